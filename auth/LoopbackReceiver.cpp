#include "LoopbackReceiver.h"

#include "PkceSession.h"

#include <QCoreApplication>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::LoopbackReceiver)
};

quint16 g_firstPortForTesting = 0;
// Ports tried before giving up when each one is taken on ::1 by someone else.
constexpr int kListenAttempts = 20;

QString page(const QString &title, const QString &text)
{
    return QStringLiteral("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%1</title>"
                          "</head><body style=\"font-family:sans-serif;margin:3em\"><h1>%1</h1>"
                          "<p>%2</p></body></html>")
        .arg(title.toHtmlEscaped(), text.toHtmlEscaped());
}
} // namespace

LoopbackReceiver::LoopbackReceiver(QObject *parent)
    : QObject(parent), m_server(new QTcpServer(this)), m_server6(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &LoopbackReceiver::acceptConnections);
    connect(m_server6, &QTcpServer::newConnection, this, &LoopbackReceiver::acceptConnections);
}

LoopbackReceiver::~LoopbackReceiver()
{
    for (auto it = m_buffers.begin(); it != m_buffers.end(); ++it)
        disconnect(it.key(), nullptr, this, nullptr);
}

bool LoopbackReceiver::listen(QString *error)
{
    m_done = false;
    close();
    quint16 wanted = g_firstPortForTesting;
    g_firstPortForTesting = 0;
    for (int attempt = 0; attempt < kListenAttempts; ++attempt, wanted = 0) {
        if (!m_server->listen(QHostAddress::LocalHost, wanted)) {
            if (wanted != 0)
                continue; // that port is taken on 127.0.0.1: an ephemeral one then
            if (error)
                *error = Tr::tr("Could not listen on 127.0.0.1 for the browser's answer: "
                                "%1.")
                             .arg(m_server->errorString());
            return false;
        }
        if (m_server6->listen(QHostAddress::LocalHostIPv6, m_server->serverPort()))
            return true;
        // Someone else holds [::1] on this port: a browser that resolves localhost to ::1
        // would hand them the code. Another port, for both.
        if (m_server6->serverError() == QAbstractSocket::AddressInUseError) {
            m_server->close();
            continue;
        }
        // No IPv6 loopback here (unsupported, or ::1 not configured): nobody can listen on it,
        // and a browser cannot reach it either.
        return true;
    }
    if (error)
        *error = Tr::tr("Could not find a port that is free on both 127.0.0.1 and ::1 "
                        "for the browser's answer: another program holds every port "
                        "tried on ::1.");
    return false;
}

bool LoopbackReceiver::isListening() const
{
    return m_server->isListening();
}

bool LoopbackReceiver::isListeningOnIPv6() const
{
    return m_server6->isListening();
}

void LoopbackReceiver::setFirstPortForTesting(quint16 port)
{
    g_firstPortForTesting = port;
}

quint16 LoopbackReceiver::port() const
{
    return m_server->serverPort();
}

QString LoopbackReceiver::redirectUri() const
{
    return QStringLiteral("http://localhost:%1/callback").arg(port());
}

void LoopbackReceiver::close()
{
    m_server->close();
    m_server6->close();
}

void LoopbackReceiver::closeAndDeleteLater()
{
    close();
    if (m_open == 0) {
        deleteLater();
        return;
    }
    m_deleteWhenIdle = true;
    QTimer::singleShot(5000, this, &QObject::deleteLater);
}

void LoopbackReceiver::acceptConnections()
{
    for (QTcpServer *server : {m_server, m_server6}) {
        while (QTcpSocket *socket = server->nextPendingConnection()) {
            socket->setParent(this);
            ++m_open;
            m_buffers.insert(socket, QByteArray());
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { readFrom(socket); });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                m_buffers.remove(socket);
                socket->deleteLater();
                if (--m_open == 0 && m_deleteWhenIdle)
                    deleteLater();
            });
        }
    }
}

void LoopbackReceiver::readFrom(QTcpSocket *socket)
{
    auto it = m_buffers.find(socket);
    if (it == m_buffers.end())
        return; // already answered
    it->append(socket->readAll());
    const QByteArray &buffer = *it;
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0) {
        if (buffer.size() > kMaxHeadBytes)
            reject(socket, 431, "Request Header Fields Too Large",
                   Tr::tr("The request is too large."));
        return;
    }
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    QByteArray host;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "host")
            host = line.mid(colon + 1).trimmed().toLower();
    }
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1.")) {
        reject(socket, 400, "Bad Request", Tr::tr("That is not an HTTP request."));
        return;
    }
    handle(socket, requestLine.at(0), requestLine.at(1), host);
}

void LoopbackReceiver::handle(QTcpSocket *socket, const QByteArray &method,
                              const QByteArray &target, const QByteArray &host)
{
    const QByteArray port = QByteArray::number(this->port());
    if (host != "localhost:" + port && host != "127.0.0.1:" + port && host != "[::1]:" + port) {
        // A request that names another host came through DNS rebinding or a proxy, not from the
        // browser following our redirect.
        reject(socket, 400, "Bad Request", Tr::tr("Unexpected Host header."));
        return;
    }
    if (method != "GET") {
        reject(socket, 405, "Method Not Allowed", Tr::tr("Only GET is served here."));
        return;
    }
    const QUrl url(QString::fromLatin1(target), QUrl::StrictMode);
    if (!target.startsWith('/') || !url.isValid() || url.path() != QLatin1String("/callback")) {
        reject(socket, 404, "Not Found", Tr::tr("There is nothing here."));
        return;
    }
    const QUrlQuery query(url);
    auto single = [&query](const QString &key, bool *ok) {
        const QStringList all = query.allQueryItemValues(key, QUrl::FullyDecoded);
        *ok = all.size() <= 1; // RFC 6749 §3.1: parameters must not repeat
        return all.value(0);
    };
    bool okCode = true, okState = true, okError = true;
    const QString code = single(QStringLiteral("code"), &okCode);
    const QString state = single(QStringLiteral("state"), &okState);
    const QString error = single(QStringLiteral("error"), &okError);
    if (!okCode || !okState || !okError) {
        reject(socket, 400, "Bad Request", Tr::tr("A parameter appears twice."));
        return;
    }
    const bool stateOk =
        PkceSession::constantTimeEquals(m_state.toUtf8(), state.toUtf8()) && !m_state.isEmpty();
    if (m_done) {
        reject(socket, 400, "Bad Request",
               Tr::tr("This sign-in has already finished. Return to Qlaude."));
        return;
    }
    if (!error.isEmpty() && stateOk) {
        m_done = true;
        const QString description =
            query.queryItemValue(QStringLiteral("error_description"), QUrl::FullyDecoded).left(200);
        reply(socket, 200, "OK", Tr::tr("Sign-in refused"),
              Tr::tr("The sign-in was refused (%1). Return to Qlaude to try again.")
                  .arg(error.left(60)));
        close();
        emit authorizationDenied(error.left(60), description);
        return;
    }
    if (code.isEmpty()) {
        reject(socket, 400, "Bad Request", Tr::tr("Authorization code not found."));
        return;
    }
    if (!stateOk) {
        reject(socket, 400, "Bad Request",
               Tr::tr("Invalid state parameter: this answer belongs to another sign-in "
                      "attempt."));
        return;
    }
    m_done = true;
    if (m_successUrl.isValid() && !m_successUrl.isEmpty())
        reply(socket, 302, "Found", Tr::tr("Signed in"),
              Tr::tr("You are signed in. You can close this window."), m_successUrl.toEncoded());
    else
        reply(socket, 200, "OK", Tr::tr("Signed in"),
              Tr::tr("You are signed in to Qlaude. You can close this window and return "
                     "to the app."));
    close();
    emit codeReceived(code);
}

void LoopbackReceiver::reject(QTcpSocket *socket, int status, const QByteArray &reason,
                              const QString &text)
{
    reply(socket, status, reason, Tr::tr("Qlaude sign-in"), text);
    emit requestRejected(status, text);
}

void LoopbackReceiver::reply(QTcpSocket *socket, int status, const QByteArray &reason,
                             const QString &title, const QString &text, const QByteArray &location)
{
    m_buffers.remove(socket); // one request per connection
    const QByteArray body = page(title, text).toUtf8();
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
    head += "Content-Type: text/html; charset=utf-8\r\n";
    head += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    head += "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n";
    if (!location.isEmpty())
        head += "Location: " + location + "\r\n";
    head += "Connection: close\r\n\r\n";
    socket->write(head + body);
    socket->disconnectFromHost(); // after the bytes are written
}

} // namespace qlaude
