#pragma once

#include "ApiError.h"
#include "Authorizer.h"
#include "MessageStreamAssembler.h"
#include "MessagesTypes.h"
#include "RequestOptions.h"
#include "RetryPolicy.h"
#include "SseParser.h"

#include <QElapsedTimer>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <functional>
#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace qlaude {

class AuthContext;

// Everything a request needs besides the credential.
struct ClientConfig
{
    QUrl baseUrl = QUrl(QStringLiteral("https://api.anthropic.com"));
    QByteArray anthropicVersion = "2023-06-01";
    QStringList betas; // anthropic-beta values; OAuth adds its own
    RequestOptions options;
    int maxRetries = RetryPolicy::kDefaultMaxRetries;
    QString fallbackModel; // used after three 529s in a row
    QString userAgent = QStringLiteral("qlaude/" QLAUDE_VERSION);

    // ANTHROPIC_BASE_URL, ANTHROPIC_BETAS, custom headers, API_TIMEOUT_MS,
    // CLAUDE_CODE_ADDITIONAL_PROTECTION, CLAUDE_CODE_MAX_RETRIES, QLAUDE_ANTHROPIC_VERSION.
    static ClientConfig fromContext(const AuthContext &context);
};

// Waits are scheduled through this, so tests can check the delays without sleeping.
using Scheduler = std::function<void(qint64 delayMs, std::function<void()> fire)>;

// One API call with the CLI's retry loop; streamed (SSE) or plain JSON.
class ApiCall : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ApiCall)
public:
    enum class Mode
    {
        Stream,
        Json
    };

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
    friend class AnthropicClient;
    ApiCall(class AnthropicClient *client, Mode mode, QByteArray method, QString path,
            QJsonObject body, QString model);

    void startAttempt();
    void send(const Credential &credential);
    void onReadyRead();
    void onReplyFinished();
    bool checkStatus(QNetworkReply *reply);
    void failAttempt(AttemptFailure failure, ApiError error);
    void followRedirect(QNetworkReply *reply, const QString &requestId);
    void finish(ApiError error);

    class Forwarder; // turns assembler callbacks into this call's signals
    friend class Forwarder;

    ~ApiCall() override;
    QPointer<AnthropicClient> m_client;
    Mode m_mode;
    QByteArray m_method;
    QString m_path;
    QJsonObject m_requestBody;
    QString m_model;
    QPointer<QNetworkReply> m_reply;
    QUrl m_redirectUrl; // where a same-origin redirect sent this attempt
    int m_redirects = 0;
    SseParser m_parser;
    QList<SseEvent> m_events;
    MessageStreamAssembler m_assembler;
    QByteArray m_body; // JSON mode, or an error body
    Credential m_credential;
    ApiError m_error;
    int m_status = 0;
    bool m_statusChecked = false;
    bool m_gotBody = false;
    int m_attempts = 0;
    int m_retries = 0;
    int m_consecutive529 = 0;
    bool m_refreshed = false;
    bool m_cancelled = false;
    bool m_finished = false;
    bool m_waiting = false;
    int m_generation = 0; // invalidates a scheduled retry after cancel()
    std::unique_ptr<Forwarder> m_forwarder;
};

struct ModelInfo
{
    QString id;
    QString displayName;
    QString createdAt;
    QJsonObject raw;
};

// The direct Anthropic Messages API on QNetworkAccessManager.
class AnthropicClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(AnthropicClient)
public:
    // The authorizer is not owned and must outlive the client.
    AnthropicClient(ClientConfig config, Authorizer *authorizer, QNetworkAccessManager *nam,
                    QObject *parent = nullptr);

    const ClientConfig &config() const { return m_config; }
    // After settings or a login changed: later attempts use these (the authorizer is not owned
    // and must outlive every call that may still ask it).
    void reconfigure(ClientConfig config, Authorizer *authorizer)
    {
        m_config = std::move(config);
        m_authorizer = authorizer;
    }
    void setScheduler(Scheduler scheduler) { m_scheduler = std::move(scheduler); }
    void setJitterSource(std::function<double()> jitter) { m_jitter = std::move(jitter); }
    void setClock(std::function<QDateTime()> now) { m_now = std::move(now); }

    // POST /v1/messages with "stream": true. The call is owned by the client (parent) and
    // deleted with it; delete it earlier with deleteLater() after finished().
    ApiCall *stream(MessagesRequest request);
    // POST /v1/messages/count_tokens.
    void countTokens(const MessagesRequest &request,
                     std::function<void(qint64 inputTokens, const ApiError &error)> done);
    // GET /v1/models, following has_more/last_id pages.
    void
    listModels(std::function<void(const QList<ModelInfo> &models, const ApiError &error)> done);

private:
    friend class ApiCall;
    ApiCall *call(ApiCall::Mode mode, const QByteArray &method, const QString &path,
                  const QJsonObject &body, const QString &model);
    QNetworkRequest buildRequest(const QString &path, const Credential &credential) const;
    void listModelsPage(QString afterId, QList<ModelInfo> collected,
                        std::function<void(const QList<ModelInfo> &, const ApiError &)> done);

    ClientConfig m_config;
    Authorizer *m_authorizer;
    QNetworkAccessManager *m_nam;
    Scheduler m_scheduler;
    std::function<double()> m_jitter;
    std::function<QDateTime()> m_now;
};

} // namespace qlaude
