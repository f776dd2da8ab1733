#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QUrl>

class QTcpServer;
class QTcpSocket;

namespace qlaude::fakes {

// A raw HTTP/1.1 listener on 127.0.0.1 for attack tests: it records the exact bytes of every
// request it receives (request line, headers as sent, body) and answers each with the next
// scripted raw response, or with a short streamed "ok" message when none is queued. It parses
// nothing beyond what it needs to find the end of a request, so it sees what a hostile or
// confused server would see.
class RawRecordingServer : public QObject
{
    Q_OBJECT
public:
    explicit RawRecordingServer(QObject *parent = nullptr);
    ~RawRecordingServer() override;

    bool listen();
    quint16 port() const;
    QUrl baseUrl() const; // http://127.0.0.1:<port>

    // Raw bytes written back for the next request, verbatim (status line, headers, body). An
    // empty response stalls: nothing is written and the connection stays open.
    void enqueue(const QByteArray &rawResponse);
    // A 200 answer with this body and content type.
    static QByteArray ok(const QByteArray &contentType, const QByteArray &body);
    // A redirect with the given status to `location`, with an empty body.
    static QByteArray redirect(int status, const QByteArray &location);
    // An HTTP error with a JSON body, in the Anthropic error shape.
    static QByteArray jsonError(int status, const QByteArray &type, const QByteArray &message);
    // A complete streamed answer whose text is `text`.
    static QByteArray sseAnswer(const QByteArray &text);

    const QList<QByteArray> &requests() const { return m_requests; } // head + body, verbatim
    // The value of a header in request i, compared case-insensitively; every value when the
    // header was sent more than once.
    QList<QByteArray> headerValues(int i, const QByteArray &name) const;

signals:
    void requestReceived();

private:
    void onReadyRead(QTcpSocket *socket);

    QTcpServer *m_server;
    QList<QByteArray> m_queue;
    QList<QByteArray> m_requests;
};

} // namespace qlaude::fakes
