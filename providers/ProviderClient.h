#pragma once

#include "ApiCall.h"
#include "ApiError.h"
#include "MessagesTypes.h"
#include "ProviderParts.h"
#include "RequestOptions.h"
#include "RetryPolicy.h"

#include <QDateTime>
#include <QJsonObject>
#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>

class QNetworkAccessManager;

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

// A model provider behind one interface: ChatSession, --print, the model list and the
// connection test hold only this. What differs per provider are its four parts
// (ProviderParts); the call loop is shared.
class ProviderClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ProviderClient)
public:
    ProviderClient(ClientConfig config, std::shared_ptr<ProviderParts> parts,
                   QNetworkAccessManager *nam, QObject *parent = nullptr);

    const ClientConfig &config() const { return m_config; }
    QString providerName() const { return m_parts ? m_parts->name : QString(); }
    ProviderCapabilities capabilities() const
    {
        return m_parts ? m_parts->capabilities : ProviderCapabilities();
    }
    // After settings or a login changed: later attempts use these.
    void reconfigure(ClientConfig config, std::shared_ptr<ProviderParts> parts);
    void setScheduler(Scheduler scheduler) { m_scheduler = std::move(scheduler); }
    void setJitterSource(std::function<double()> jitter) { m_jitter = std::move(jitter); }
    void setClock(std::function<QDateTime()> now) { m_now = std::move(now); }

    // A streamed message. The call is owned by the client (parent) and deleted with it;
    // delete it earlier with deleteLater() after finished().
    ApiCall *stream(MessagesRequest request);
    // One message, unstreamed: jsonBody() holds the Message JSON when it succeeds.
    ApiCall *send(MessagesRequest request);
    // The input token count (capabilities().countTokens).
    void countTokens(const MessagesRequest &request,
                     std::function<void(qint64 inputTokens, const ApiError &error)> done);
    // The provider's model list, every page (capabilities().listModels).
    void
    listModels(std::function<void(const QList<ModelInfo> &models, const ApiError &error)> done);

signals:
    // A line from a credential helper that talks to the user while it runs (awsAuthRefresh:
    // "open this URL and enter the code ...").
    void credentialProgress(const QString &line);

protected:
    ClientConfig m_config;

private:
    friend class ApiCall;
    ApiCall *call(CallSpec spec);
    void listModelsPage(QString afterId, QList<ModelInfo> collected,
                        std::function<void(const QList<ModelInfo> &, const ApiError &)> done);
    static ApiError unsupported(const QString &what, const QString &provider);
    void watchSigner();

    std::shared_ptr<ProviderParts> m_parts;
    QNetworkAccessManager *m_nam;
    Scheduler m_scheduler;
    std::function<double()> m_jitter;
    std::function<QDateTime()> m_now;
};

} // namespace qlaude
