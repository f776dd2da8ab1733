#pragma once

#include "MessagesTypes.h"
#include "SseParser.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringView>

namespace qlaude {

// Receives what MessageStreamAssembler decodes, as it happens. Every method has an empty
// default, so a listener overrides only what it shows. Views passed in are valid only during
// the call. The assembler's message() already holds the change when a method is called.
// Keep the deltas rather than a copy of the message: a copy shares the growing text, and the
// next delta then has to copy all of it.
class MessageStreamListener
{
public:
    virtual ~MessageStreamListener() = default;

    virtual void messageStarted(const Message & /*message*/) {}
    virtual void blockStarted(int /*index*/, const ContentBlock & /*block*/) {}
    virtual void textDelta(int /*index*/, QStringView /*text*/) {}
    virtual void thinkingDelta(int /*index*/, QStringView /*thinking*/) {}
    virtual void signatureSet(int /*index*/, const QString & /*signature*/) {}
    // A piece of the tool input's JSON text, UTF-8; the pieces are not valid JSON on their own.
    virtual void toolInputDelta(int /*index*/, QByteArrayView /*partialJson*/) {}
    virtual void citationAdded(int /*index*/, const QJsonObject & /*citation*/) {}
    // For tool_use blocks, block.input holds the parsed input by now.
    virtual void blockStopped(int /*index*/, const ContentBlock & /*block*/) {}
    // usage holds the cumulative totals after this delta.
    virtual void messageDelta(const QString & /*stopReason*/, const Usage & /*usage*/) {}
    virtual void messageStopped(const Message & /*message*/) {}
    // Called once; the assembler ignores everything after an error.
    virtual void errorOccurred(const QString & /*type*/, const QString & /*message*/,
                               const QString & /*requestId*/)
    {
    }
};

// Builds a Message from the Anthropic streaming events (PROTOCOLS.md 1.4). Every provider
// feeds it the same event JSON, however the provider frames it (SSE, AWS event-stream).
//
// content_block_delta events with text_delta, thinking_delta and input_json_delta take a fast
// path that reads the JSON without building a QJsonDocument; any event it does not recognise
// exactly goes through QJsonDocument with the same result.
class MessageStreamAssembler
{
public:
    explicit MessageStreamAssembler(MessageStreamListener *listener = nullptr);

    // The listener is not owned and must outlive the assembler or be replaced first.
    void setListener(MessageStreamListener *listener) { m_listener = listener; }

    // One event: its SSE name (may be empty: then the JSON "type" names it) and its JSON data.
    // Returns false once the stream is in error, including an `error` event from the server.
    bool feed(QByteArrayView eventName, QByteArrayView data);
    bool feed(const SseEvent &event) { return feed(event.event, event.data); }

    bool isStarted() const { return m_started; }
    // message_stop arrived and no error happened.
    bool isComplete() const { return m_stopped && !m_error; }
    bool hasError() const { return m_error; }
    // The server's error.type ("overloaded_error", ...) for an `error` event, or
    // decodeErrorType() when the stream itself could not be decoded.
    QString errorType() const { return m_errorType; }
    QString errorMessage() const { return m_errorMessage; }
    QString errorRequestId() const { return m_errorRequestId; }
    bool errorCameFromServer() const { return m_error && m_serverError; }
    static QString decodeErrorType() { return QStringLiteral("stream_decode_error"); }

    const Message &message() const { return m_message; }
    // How many events took the fast path (for tests and the benchmark).
    qint64 fastPathEventCount() const { return m_fastPathEvents; }
    void reset();

private:
    enum class EventKind
    {
        Unknown,
        Ping,
        Error,
        MessageStart,
        BlockStart,
        BlockDelta,
        BlockStop,
        MessageDelta,
        MessageStop,
    };
    struct BlockState
    {
        QByteArray partialJson; // input_json_delta pieces so far
        bool tracksInput = false;
        bool open = false;
    };

    bool tryFastDelta(QByteArrayView data);
    static EventKind eventKind(QByteArrayView name);
    static const char *eventKindName(EventKind kind);
    bool handleEvent(EventKind kind, const QJsonObject &event);
    bool handleMessageStart(const QJsonObject &event);
    bool handleBlockStart(const QJsonObject &event);
    bool handleBlockDelta(const QJsonObject &event);
    bool handleBlockStop(const QJsonObject &event);
    bool handleMessageDelta(const QJsonObject &event);
    bool handleServerError(const QJsonObject &event);
    // The index of an open block for `eventName`, or -1 after reporting the error.
    int openBlockIndex(const QJsonObject &event, const char *eventName);
    void appendText(int index, QStringView text);
    void appendThinking(int index, QStringView thinking);
    void appendInputJson(int index, QByteArrayView partialJson);
    bool fail(const QString &message);
    bool failFromServer(const QString &type, const QString &message, const QString &requestId);

    MessageStreamListener *m_listener = nullptr;
    Message m_message;
    QList<BlockState> m_blocks; // parallel to m_message.content
    QString m_errorType;
    QString m_errorMessage;
    QString m_errorRequestId;
    qint64 m_fastPathEvents = 0;
    bool m_started = false;
    bool m_stopped = false;
    bool m_error = false;
    bool m_serverError = false;
};

} // namespace qlaude
