#pragma once

#include "ApiError.h"
#include "Authorizer.h"
#include "ProviderClient.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

#include <memory>

class QNetworkAccessManager;

namespace qlaude {

// One tiny real request to check that a base URL and a credential work, for "Test and save"
// and "Test connection": GET /v1/models (free and side-effect free) where the provider has a
// model list, else a one-token message to `model` (Bedrock). It never retries for long: a
// person is waiting. Owns its authorizer and its client; cancel() aborts the request.
class ConnectionTest : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ConnectionTest)
public:
    // A test never waits longer than this, whatever API_TIMEOUT_MS says.
    static constexpr int kMaxTimeoutMs = 30000;

    // nam may be null: the test then uses its own.
    ConnectionTest(ClientConfig config, std::unique_ptr<Authorizer> authorizer,
                   QNetworkAccessManager *nam, QObject *parent = nullptr);
    // Any provider: its parts (built with `authorizer`) and the model for a message test.
    ConnectionTest(ClientConfig config, std::shared_ptr<ProviderParts> parts,
                   std::unique_ptr<Authorizer> authorizer, const QString &model,
                   QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~ConnectionTest() override;

    void start();
    // Aborts the request; finished() follows with a Cancelled error.
    void cancel();
    bool isRunning() const { return m_running; }
    QUrl baseUrl() const;
    qint64 elapsedMs() const { return m_elapsed.elapsed(); }

signals:
    // modelCount is the number of models the endpoint listed, or -1 after a message test;
    // error is empty on success. The error text never holds the credential.
    void finished(int modelCount, const qlaude::ApiError &error);

private:
    void setUp(ClientConfig config, std::shared_ptr<ProviderParts> parts,
               QNetworkAccessManager *nam);

    std::unique_ptr<Authorizer> m_authorizer;
    ProviderClient *m_client = nullptr;
    QString m_model;
    QElapsedTimer m_elapsed;
    bool m_running = false;
};

} // namespace qlaude
