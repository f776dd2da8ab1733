#pragma once

#include "ApiError.h"
#include "MessageStreamAssembler.h"
#include "MessagesTypes.h"
#include "ProviderParts.h"
#include "RetryPolicy.h"
#include "SseParser.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <memory>

class QNetworkReply;

namespace qlaude {

class ProviderClient;

// One API call with the CLI's retry loop, for every provider: it builds, signs and sends the
// request through the provider's parts, decodes the stream into the one assembler, and maps
// errors. Streamed, or plain JSON.
class ApiCall : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ApiCall)
public:
    const Message &message() const { return m_assembler.message(); }
    const ApiError &error() const { return m_error; }
    QByteArray jsonBody() const { return m_body; }
    int attempts() const { return m_attempts; }
    QString model() const { return m_model; }
    bool isFinished() const { return m_finished; }

    // Stops the call: an attempt in flight is aborted, a pending wait ends. What had arrived is
    // kept; finished() follows with a Cancelled error.
    void cancel();

signals:
    void messageStarted(const qlaude::Message &message);
    void blockStarted(int index, const qlaude::ContentBlock &block);
    void textDelta(int index, const QString &text);
    void thinkingDelta(int index, const QString &text);
    void blockStopped(int index, const qlaude::ContentBlock &block);
    void usageUpdated(const qlaude::Usage &usage, const QString &stopReason);
    // A wait before the next attempt; the GUI shows "retrying in N s".
    void retrying(int retry, qint64 delayMs, const qlaude::ApiError &reason);
    void fallbackModelUsed(const QString &model);
    void finished();

private:
    friend class ProviderClient;
    ApiCall(ProviderClient *client, CallSpec spec);
    ~ApiCall() override;

    // Why an attempt was aborted for taking too long.
    enum class Timeout
    {
        None,
        Headers,  // API_TIMEOUT_MS before the response headers
        EventGap, // API_TIMEOUT_MS between two complete events
        Idle,     // CLAUDE_STREAM_IDLE_TIMEOUT_MS without a content event
    };

    bool streaming() const { return m_spec.kind == CallSpec::Kind::Stream; }
    void startAttempt();
    void signAndSend();
    void send(const PreparedRequest &request);
    void limitReadAhead();
    void onHeaders();
    void onReadyRead();
    void noteBody(const QByteArray &chunk); // a 2xx stream body arrived: keep its start to quote
    void feedEvents();                      // m_events into the assembler; restarts the timers
    void timeOut(Timeout reason);
    ApiError timeoutError(bool partial) const;
    void onReplyFinished();
    bool checkStatus(QNetworkReply *reply);
    void followRedirect(QNetworkReply *reply, const QString &requestId);
    void failAttempt(AttemptFailure failure, ApiError error);
    void finish(ApiError error);

    class Forwarder; // turns assembler callbacks into this call's signals
    friend class Forwarder;

    QPointer<ProviderClient> m_client;
    CallSpec m_spec;
    QString m_model;
    std::shared_ptr<ProviderParts> m_parts; // this attempt's parts
    PreparedRequest m_prepared;             // this attempt's request, before signing
    Signature m_signature;                  // the last signature's source and secrets
    QPointer<QNetworkReply> m_reply;
    QUrl m_redirectUrl; // where a same-origin redirect sent this attempt
    int m_redirects = 0;
    std::unique_ptr<StreamDecoder> m_decoder;
    QList<SseEvent> m_events;
    MessageStreamAssembler m_assembler;
    QByteArray m_body; // JSON mode, or an error body
    ApiError m_error;
    int m_status = 0;
    bool m_statusChecked = false;
    bool m_gotBody = false;
    bool m_gotHeaders = false;       // this attempt's 2xx stream headers arrived
    bool m_sawMessagesEvent = false; // ... and it was one of the Messages API's
    QByteArray m_firstBytes;         // the start of a 2xx stream body, to quote
    QTimer m_waitTimer;              // API_TIMEOUT_MS: headers, then the gap between events
    QTimer m_idleTimer;              // CLAUDE_STREAM_IDLE_TIMEOUT_MS since the last content
    Timeout m_timeout = Timeout::None;
    int m_attempts = 0;
    int m_retries = 0;
    int m_consecutive529 = 0;
    bool m_refreshed = false;
    bool m_proxyChallenged = false; // proxyAuthHelper ran for this call's 407
    bool m_cancelled = false;
    bool m_finished = false;
    bool m_waiting = false;
    int m_generation = 0; // invalidates a scheduled retry or a late signature after cancel()
    std::unique_ptr<Forwarder> m_forwarder;
};

} // namespace qlaude
