#pragma once

#include <QHash>
#include <QObject>
#include <QUrl>

class QTcpServer;
class QTcpSocket;

namespace qlaude {

// The system-browser redirect listener (RFC 8252 §7.3): HTTP on an ephemeral port, redirect URI
// http://localhost:PORT/callback. A browser may resolve localhost to 127.0.0.1 or to ::1, so the
// listener holds the port on both; when another process already holds [::1]:PORT (and would
// receive the code), another port is chosen. Without IPv6 on the machine, 127.0.0.1 alone.
// - Any other path gets 404. A callback without a code, or with a state that is not this
//   attempt's (compared in constant time), gets 400 with a short page; the flow goes on.
// - A good callback is redirected to the success page (or gets our own page), codeReceived() is
//   emitted, and the listener stops accepting connections.
class LoopbackReceiver : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(LoopbackReceiver)
public:
    static constexpr int kMaxHeadBytes = 16 * 1024;

    explicit LoopbackReceiver(QObject *parent = nullptr);
    ~LoopbackReceiver() override;

    bool listen(QString *error = nullptr);
    bool isListening() const;
    quint16 port() const;
    // Whether [::1]:port() is held as well (false on a machine without IPv6).
    bool isListeningOnIPv6() const;
    // Tests: the port the next listen() tries first (0: an ephemeral one), to show that a port
    // taken on ::1 is not used.
    static void setFirstPortForTesting(quint16 port);
    QString redirectUri() const; // http://localhost:PORT/callback

    void setExpectedState(const QString &state) { m_state = state; }
    void setSuccessUrl(const QUrl &url) { m_successUrl = url; }
    // Stops listening. Answers already being written still reach the browser.
    void close();
    // Stops listening and deletes itself once the answers already written have left (at most
    // 5 s later), so a page the browser is still receiving is not cut off.
    void closeAndDeleteLater();

signals:
    void codeReceived(const QString &code);
    // The authorization server sent ?error=... with this attempt's state (the user declined).
    void authorizationDenied(const QString &error, const QString &description);
    // A request that did not complete the flow (404, 400, 405): for tests and diagnostics.
    void requestRejected(int status, const QString &reason);

private:
    void acceptConnections();
    void readFrom(QTcpSocket *socket);
    void handle(QTcpSocket *socket, const QByteArray &method, const QByteArray &target,
                const QByteArray &host);
    void reply(QTcpSocket *socket, int status, const QByteArray &reason, const QString &title,
               const QString &text, const QByteArray &location = QByteArray());
    void reject(QTcpSocket *socket, int status, const QByteArray &reason, const QString &text);

    QTcpServer *m_server;                      // 127.0.0.1
    QTcpServer *m_server6;                     // ::1, the same port
    QHash<QTcpSocket *, QByteArray> m_buffers; // connections not answered yet
    int m_open = 0;                            // connections not closed yet
    bool m_deleteWhenIdle = false;
    QString m_state;
    QUrl m_successUrl;
    bool m_done = false;
};

} // namespace qlaude
