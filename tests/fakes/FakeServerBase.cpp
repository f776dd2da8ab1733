#include "FakeServerBase.h"

#include <QJsonDocument>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>

namespace qlaude::fakes {

FakeServerBase::FakeServerBase(QObject *parent) : QObject(parent), m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &FakeServerBase::acceptConnections);
}

FakeServerBase::~FakeServerBase()
{
    // Connections die with this object; they must not call back into it meanwhile.
    const QList<FakeHttpConnection *> connections = findChildren<FakeHttpConnection *>();
    for (FakeHttpConnection *c : connections) {
        disconnect(c, nullptr, this, nullptr);
        delete c;
    }
}

void FakeServerBase::setTlsConfiguration(const QSslConfiguration &tls)
{
    delete m_server;
    auto *server = new QSslServer(this);
    server->setSslConfiguration(tls);
    server->setHandshakeTimeout(5000);
    connect(server, &QSslServer::errorOccurred, this,
            [this](QSslSocket *, QAbstractSocket::SocketError) { ++m_tlsFailures; });
    m_server = server;
    m_tls = true;
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this,
            &FakeServerBase::acceptConnections);
}

bool FakeServerBase::listen(quint16 port)
{
    return m_server->listen(QHostAddress::LocalHost, port);
}

quint16 FakeServerBase::port() const
{
    return m_server->serverPort();
}

QUrl FakeServerBase::baseUrl() const
{
    QUrl url;
    url.setScheme(m_tls ? QStringLiteral("https") : QStringLiteral("http"));
    url.setHost(QStringLiteral("127.0.0.1"));
    url.setPort(port());
    return url;
}

QString FakeServerBase::errorString() const
{
    return m_server->errorString();
}

void FakeServerBase::handleMalformed(FakeHttpConnection *connection, int status, const QString &)
{
    HttpResponsePlan plan;
    plan.status = status;
    connection->respond(plan, FakeHttpConnection::WriteOptions());
}

ReceivedRequest FakeServerBase::makeRecord(FakeHttpConnection *connection,
                                           const HttpRequest &request)
{
    ReceivedRequest record;
    static_cast<HttpRequest &>(record) = request;
    record.number = nextRequestNumber();
    record.connectionId = connection->id();
    record.requestId = "req_fake_" + QByteArray::number(record.number);
    const QJsonDocument doc = QJsonDocument::fromJson(request.body);
    record.bodyIsJson = doc.isObject();
    record.json = doc.object();
    return record;
}

void FakeServerBase::acceptConnections()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        auto *connection = new FakeHttpConnection(socket, ++m_connectionCount, this);
        ++m_openConnections;
        connect(
            connection, &FakeHttpConnection::requestReady, this,
            [this, connection](const HttpRequest &request) { handleRequest(connection, request); });
        connect(connection, &FakeHttpConnection::malformedRequest, this,
                [this, connection](int status, const QString &reason) {
                    handleMalformed(connection, status, reason);
                });
        connect(connection, &FakeHttpConnection::closed, this, [this, connection] {
            --m_openConnections;
            emit connectionClosed(connection->id());
            connection->deleteLater();
        });
    }
}

} // namespace qlaude::fakes
