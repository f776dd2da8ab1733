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

// One tiny real request (GET /v1/models, free and side-effect free) to check that a base URL
// and a credential work, for "Test and save" and "Test connection". It never retries for
// long: a person is waiting. Owns its authorizer and its client; cancel() aborts the request.
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
    ~ConnectionTest() override;

    void start();
    // Aborts the request; finished() follows with a Cancelled error.
    void cancel();
    bool isRunning() const { return m_running; }
    QUrl baseUrl() const;
    qint64 elapsedMs() const { return m_elapsed.elapsed(); }

signals:
    // modelCount is the number of models the endpoint listed; error is empty on success. The
    // error text never holds the credential.
    void finished(int modelCount, const qlaude::ApiError &error);

private:
    std::unique_ptr<Authorizer> m_authorizer;
    ProviderClient *m_client = nullptr;
    QElapsedTimer m_elapsed;
    bool m_running = false;
};

} // namespace qlaude
