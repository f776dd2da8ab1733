#include "ConnectionTest.h"

#include "AnthropicClient.h"
#include "NetworkAccess.h"

#include <QNetworkAccessManager>
#include <QPointer>
#include <QTimer>

namespace qlaude {

ConnectionTest::ConnectionTest(ClientConfig config, std::unique_ptr<Authorizer> authorizer,
                               QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_authorizer(std::move(authorizer))
{
    std::shared_ptr<ProviderParts> parts = makeAnthropicParts(config, m_authorizer.get());
    setUp(std::move(config), std::move(parts), nam);
}

ConnectionTest::ConnectionTest(ClientConfig config, std::shared_ptr<ProviderParts> parts,
                               std::unique_ptr<Authorizer> authorizer, const QString &model,
                               QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_authorizer(std::move(authorizer)), m_model(model)
{
    setUp(std::move(config), std::move(parts), nam);
}

void ConnectionTest::setUp(ClientConfig config, std::shared_ptr<ProviderParts> parts,
                           QNetworkAccessManager *nam)
{
    if (!nam)
        nam = new NetworkAccess(this);
    // One quick retry covers a dropped keep-alive connection; more would keep a person waiting.
    config.maxRetries = qMin(config.maxRetries, 1);
    config.options.timeoutMs = qMin(config.options.timeoutMs, kMaxTimeoutMs);
    m_client = new ProviderClient(std::move(config), std::move(parts), nam, this);
    // Retries wait a fixed short time instead of the API back-off.
    m_client->setScheduler([this](qint64, std::function<void()> fire) {
        QTimer::singleShot(200, this, std::move(fire));
    });
}

ConnectionTest::~ConnectionTest()
{
    // A request in flight is aborted (its reply belongs to the network manager, which may live
    // on); nobody hears about it any more. The client and its calls go before the authorizer.
    blockSignals(true);
    cancel();
    delete m_client;
}

QUrl ConnectionTest::baseUrl() const
{
    return m_client->config().baseUrl;
}

void ConnectionTest::start()
{
    if (m_running)
        return;
    m_running = true;
    m_elapsed.start();
    QPointer<ConnectionTest> self(this);
    if (!m_client->capabilities().listModels) {
        // No model list: the smallest real message (one output token).
        MessagesRequest r;
        r.model = m_model;
        r.maxTokens = 1;
        r.messages = {MessageParam{QStringLiteral("user"), MessageContent(QStringLiteral("Hi"))}};
        ApiCall *call = m_client->send(r);
        connect(call, &ApiCall::finished, this, [self, call] {
            call->deleteLater();
            if (!self || !self->m_running)
                return;
            self->m_running = false;
            emit self->finished(-1, call->error());
        });
        return;
    }
    m_client->listModels([self](const QList<ModelInfo> &models, const ApiError &error) {
        if (!self || !self->m_running)
            return;
        self->m_running = false;
        emit self->finished(int(models.size()), error);
    });
}

void ConnectionTest::cancel()
{
    if (!m_running)
        return;
    // listModels keeps its call private; it is the client's only child call.
    const QList<ApiCall *> calls = m_client->findChildren<ApiCall *>();
    for (ApiCall *call : calls)
        call->cancel();
    if (m_running) {
        // No call was in flight (between pages): report the cancel ourselves.
        m_running = false;
        emit finished(0, ApiError::cancelled(false));
    }
}

} // namespace qlaude
