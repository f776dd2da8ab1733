#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

class QTcpServer;
class QTcpSocket;

namespace qlaude::fakes {

// An HTTP proxy on 127.0.0.1 that speaks CONNECT (RFC 9110 §9.3.6), as corporate proxies do for
// https: it reads "CONNECT host:port", checks Proxy-Authorization when one is required (a 407
// with "Proxy-Authenticate: Basic" otherwise, and the connection closes), answers 200 and then
// relays bytes both ways until either side closes. It never sees inside the TLS tunnel.
class FakeConnectProxy : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(FakeConnectProxy)

public:
    explicit FakeConnectProxy(QObject *parent = nullptr);
    ~FakeConnectProxy() override;

    bool listen(quint16 port = 0);
    quint16 port() const;
    QString url() const; // http://127.0.0.1:<port>

    // The exact Proxy-Authorization value a CONNECT must carry ("Basic dXNlcjpwYXNz"); empty:
    // none is required.
    void setRequiredAuthorization(const QByteArray &value) { m_required = value; }

    int connectRequests() const { return m_connects; }      // every CONNECT, 407s included
    int tunnelsOpened() const { return m_tunnels; }         // answered 200
    int challenges() const { return m_challenges; }         // answered 407
    QList<QByteArray> targets() const { return m_targets; } // "host:port" of each CONNECT

private:
    void accept();
    void readRequest(QTcpSocket *client);

    QTcpServer *m_server;
    QByteArray m_required;
    int m_connects = 0;
    int m_tunnels = 0;
    int m_challenges = 0;
    QList<QByteArray> m_targets;
};

} // namespace qlaude::fakes
