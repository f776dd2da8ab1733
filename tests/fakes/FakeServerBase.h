#pragma once

#include "FakeHttpConnection.h"
#include "HttpRequest.h"
#include "ReceivedRequest.h"

#include <QObject>
#include <QSslConfiguration>
#include <QUrl>

class QTcpServer;

namespace qlaude::fakes {

// The plumbing every fake server shares: a QTcpServer on 127.0.0.1, one FakeHttpConnection per
// accepted socket (keep-alive, pipelining, paced writes and faults), connection bookkeeping, and
// numbered request records. A fake only decides what to answer: it implements handleRequest()
// and calls connection->respond() exactly once per request, now or later.
class FakeServerBase : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(FakeServerBase)

public:
    ~FakeServerBase() override;

    // Serves https with this certificate and key from now on (call before listen()). With
    // QSslSocket::VerifyPeer and CA certificates set, a client certificate is required.
    void setTlsConfiguration(const QSslConfiguration &tls);
    bool listen(quint16 port = 0); // 0: any free port
    quint16 port() const;
    QUrl baseUrl() const; // http://127.0.0.1:<port>, or https:// with TLS
    QString errorString() const;

    int connectionsAccepted() const { return m_connectionCount; }
    int openConnections() const { return m_openConnections; }
    // TLS handshakes that failed (an untrusted certificate, a missing client certificate).
    int tlsFailures() const { return m_tlsFailures; }

signals:
    // The TCP connection closed, by the client or by the server.
    void connectionClosed(int connectionId);

protected:
    explicit FakeServerBase(QObject *parent = nullptr);

    // A complete request arrived on `connection`.
    virtual void handleRequest(FakeHttpConnection *connection, const HttpRequest &request) = 0;
    // Bytes that are not an acceptable HTTP request; the connection closes after the answer.
    // By default: the bare status with an empty body.
    virtual void handleMalformed(FakeHttpConnection *connection, int status, const QString &reason);

    // The next request number (1, 2, ...), shared by recorded and malformed requests.
    int nextRequestNumber() { return ++m_requestCount; }
    // A record of `request` with the next number, its connection, "req_fake_<n>" and the
    // body parsed when it is a JSON object.
    ReceivedRequest makeRecord(FakeHttpConnection *connection, const HttpRequest &request);

private:
    void acceptConnections();

    QTcpServer *m_server;
    bool m_tls = false;
    int m_tlsFailures = 0;
    int m_requestCount = 0;
    int m_connectionCount = 0;
    int m_openConnections = 0;
};

} // namespace qlaude::fakes
