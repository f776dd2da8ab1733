#include "FakeConnectProxy.h"

#include <QHostAddress>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

namespace qlaude::fakes {

namespace {
constexpr int kMaxHeaderBytes = 16 * 1024;
const char *const kBufferProperty = "fakeProxyBuffer";
} // namespace

FakeConnectProxy::FakeConnectProxy(QObject *parent)
    : QObject(parent), m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &FakeConnectProxy::accept);
}

FakeConnectProxy::~FakeConnectProxy() = default;

bool FakeConnectProxy::listen(quint16 port)
{
    return m_server->listen(QHostAddress::LocalHost, port);
}

quint16 FakeConnectProxy::port() const
{
    return m_server->serverPort();
}

QString FakeConnectProxy::url() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port());
}

void FakeConnectProxy::accept()
{
    while (QTcpSocket *client = m_server->nextPendingConnection()) {
        client->setParent(this);
        connect(client, &QTcpSocket::readyRead, this, [this, client] { readRequest(client); });
        connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
    }
}

void FakeConnectProxy::readRequest(QTcpSocket *client)
{
    QByteArray buffer = client->property(kBufferProperty).toByteArray() + client->readAll();
    const int end = buffer.indexOf("\r\n\r\n");
    if (end < 0) {
        if (buffer.size() > kMaxHeaderBytes)
            client->abort();
        else
            client->setProperty(kBufferProperty, buffer);
        return;
    }
    client->setProperty(kBufferProperty, QVariant());
    const QByteArray head = buffer.left(end);
    const QByteArray rest = buffer.mid(end + 4);
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || requestLine[0] != "CONNECT") {
        client->write("HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n"
                      "Content-Length: 0\r\n\r\n");
        client->disconnectFromHost();
        return;
    }
    ++m_connects;
    const QByteArray target = requestLine[1];
    m_targets << target;
    QByteArray authorization;
    for (int i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const int colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "proxy-authorization")
            authorization = line.mid(colon + 1).trimmed();
    }
    if (!m_required.isEmpty() && authorization != m_required) {
        ++m_challenges;
        client->write("HTTP/1.1 407 Proxy Authentication Required\r\n"
                      "Proxy-Authenticate: Basic realm=\"fake-proxy\"\r\n"
                      "Connection: close\r\nContent-Length: 0\r\n\r\n");
        client->disconnectFromHost();
        return;
    }
    const int colon = target.lastIndexOf(':');
    const QString host = QString::fromLatin1(target.left(colon));
    const quint16 port = quint16(target.mid(colon + 1).toUInt());
    disconnect(client, &QTcpSocket::readyRead, this, nullptr);
    auto *upstream = new QTcpSocket(client);
    QPointer<QTcpSocket> guard(client);
    connect(upstream, &QTcpSocket::connected, this, [this, client, upstream, rest] {
        ++m_tunnels;
        client->write("HTTP/1.1 200 Connection established\r\n\r\n");
        if (!rest.isEmpty())
            upstream->write(rest);
        connect(client, &QTcpSocket::readyRead, upstream,
                [client, upstream] { upstream->write(client->readAll()); });
        connect(upstream, &QTcpSocket::readyRead, client,
                [client, upstream] { client->write(upstream->readAll()); });
        connect(upstream, &QTcpSocket::disconnected, client,
                [client] { client->disconnectFromHost(); });
        connect(client, &QTcpSocket::disconnected, upstream,
                [upstream] { upstream->disconnectFromHost(); });
        if (client->bytesAvailable())
            upstream->write(client->readAll());
    });
    connect(upstream, &QTcpSocket::errorOccurred, client, [client, upstream] {
        if (upstream->state() != QAbstractSocket::ConnectedState) {
            client->write("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n"
                          "Content-Length: 0\r\n\r\n");
            client->disconnectFromHost();
        }
    });
    upstream->connectToHost(host, port);
}

} // namespace qlaude::fakes
