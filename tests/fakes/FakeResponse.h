#pragma once

#include "HttpResponsePlan.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace qlaude::fakes {

// One server-sent event. data is written verbatim (it may be broken JSON on purpose); a '\n'
// inside it splits it over several "data:" lines. An empty name writes no "event:" line.
struct SseEvent
{
    QByteArray name;
    QByteArray data;

    static SseEvent json(const QByteArray &name, const QJsonObject &data);
};

enum class SseLineEnding
{
    Lf,
    CrLf,
    Cr
};

// A scripted answer of FakeAnthropicServer: a value built with the static makers and the
// chainable modifiers below, e.g.
//   FakeResponse::error(429).withRetryAfterSeconds(2).withShouldRetry(true)
//   FakeResponse::text("Hi there").dropAfterEvents(3)
class FakeResponse
{
public:
    // What render() needs to know about the request it answers.
    struct Context
    {
        QByteArray requestId; // "req_fake_<n>"
        int sequence = 0;     // n
        QJsonObject request;  // the parsed request body
        SseLineEnding lineEnding = SseLineEnding::Lf;
    };

    // Assistant messages. They answer as SSE when the request has "stream": true and as one
    // JSON Message otherwise. Text is streamed one text_delta per word.
    static FakeResponse message(); // no content blocks yet; add them below
    static FakeResponse text(const QString &text);
    // Text in which {model} and {prompt} (text of the last user message) are replaced from
    // the request.
    static FakeResponse templatedText(const QString &textTemplate);
    FakeResponse &addText(const QString &text);
    FakeResponse &addThinking(const QString &thinking, const QString &signature);
    // partialJson: the input_json_delta pieces, in order; their concatenation is the input.
    FakeResponse &addToolUse(const QString &id, const QString &name,
                             const QStringList &partialJson);
    FakeResponse &setUsage(int inputTokens, int outputTokens); // default: counted words
    FakeResponse &setStopReason(const QString &stopReason);    // default: tool_use or end_turn

    // Fixed answers.
    static FakeResponse sse(const QList<SseEvent> &events); // HTTP 200, these events
    static FakeResponse rawSse(const QByteArray &body);     // HTTP 200, body verbatim
    static FakeResponse json(const QJsonObject &body, int status = 200);
    // {"type":"error","error":{"type":..,"message":..},"request_id":"req_fake_<n>"}. Empty
    // type and message take the API's defaults for the status (429 -> rate_limit_error, ...).
    static FakeResponse error(int status, const QString &type = QString(),
                              const QString &message = QString());
    static FakeResponse dropConnection();  // close the connection before writing any byte
    static FakeResponse stallConnection(); // write nothing, keep the connection open
    static FakeResponse resetConnection(); // abort with a TCP RST before writing any byte

    // Response headers.
    FakeResponse &withHeader(const QByteArray &name, const QByteArray &value);
    FakeResponse &withRetryAfterMs(double milliseconds);   // retry-after-ms: <ms>
    FakeResponse &withRetryAfterSeconds(int seconds);      // retry-after: <s>
    FakeResponse &withRetryAfterDate(const QDateTime &at); // retry-after: <IMF-fixdate>
    FakeResponse &withShouldRetry(bool retry);             // x-should-retry: true|false

    // SSE faults; they leave JSON answers as they are. Events count from 0 in the written
    // stream. withStreamError keeps the first afterEvents events, then sends "event: error"
    // and ends the stream cleanly.
    FakeResponse &withStreamError(int afterEvents,
                                  const QString &type = QStringLiteral("overloaded_error"),
                                  const QString &message = QStringLiteral("Overloaded"));
    // Cuts the data of event eventIndex in half, so it is no longer valid JSON.
    FakeResponse &withBrokenJson(int eventIndex);
    // After the HTTP head and this much of the body (payload bytes, not chunk framing, or whole
    // SSE events), close the connection or go silent. 0: a head and no body byte at all. A JSON
    // body has no events: with an event count it goes out whole, then the drop or stall.
    FakeResponse &dropAfterBytes(qint64 bytes);
    FakeResponse &dropAfterEvents(int events);
    FakeResponse &stallAfterBytes(qint64 bytes);
    FakeResponse &stallAfterEvents(int events);
    // The same cut, then a TCP RST instead of a FIN.
    FakeResponse &resetAfterBytes(qint64 bytes);

    HttpResponsePlan render(const Context &context) const;

    // The fake's token count: words of "system" and of every text in "messages", at least 1.
    static int countTokens(const QJsonObject &request);

private:
    enum class Kind
    {
        Message,
        Sse,
        RawSse,
        Json,
        Error,
        Drop,
        Stall,
        Reset
    };
    enum class CutUnit
    {
        None,
        Bytes,
        Events
    };
    struct Block
    {
        QString type;  // text, thinking, tool_use
        QString text;  // text, thinking, or the tool's name
        QString extra; // signature, or the tool's id
        QStringList partialJson;
    };

    explicit FakeResponse(Kind kind) : m_kind(kind) {}
    QList<SseEvent> messageEvents(const Context &context) const;
    QJsonObject messageJson(const Context &context) const;
    QString blockText(const Block &block, const Context &context) const;
    FakeResponse &cut(CutUnit unit, qint64 at, HttpResponsePlan::Interruption interruption);

    Kind m_kind;
    QList<Block> m_blocks;
    bool m_templated = false;
    QString m_stopReason;
    int m_inputTokens = -1;
    int m_outputTokens = -1;
    QList<SseEvent> m_events;
    QByteArray m_rawBody;
    QJsonObject m_json;
    int m_status = 200;
    QString m_errorType;
    QString m_errorMessage;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    int m_streamErrorAfter = -1;
    QString m_streamErrorType;
    QString m_streamErrorMessage;
    int m_brokenEvent = -1;
    CutUnit m_cutUnit = CutUnit::None;
    qint64 m_cutAt = 0;
    HttpResponsePlan::Interruption m_interruption = HttpResponsePlan::Interruption::None;
};

} // namespace qlaude::fakes
