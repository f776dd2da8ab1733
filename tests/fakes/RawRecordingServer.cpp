#include "RawRecordingServer.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

namespace qlaude::fakes {

RawRecordingServer::RawRecordingServer(QObject *parent)
    : QObject(parent), m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *s = m_server->nextPendingConnection()) {
            s->setParent(this);
            s->setProperty("buffer", QByteArray());
            connect(s, &QTcpSocket::readyRead, this, [this, s] { onReadyRead(s); });
            connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        }
    });
}

RawRecordingServer::~RawRecordingServer() = default;

bool RawRecordingServer::listen()
{
    return m_server->listen(QHostAddress::LocalHost, 0);
}

quint16 RawRecordingServer::port() const
{
    return m_server->serverPort();
}

QUrl RawRecordingServer::baseUrl() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port()));
}

void RawRecordingServer::enqueue(const QByteArray &rawResponse)
{
    m_queue.append(rawResponse);
}

QByteArray RawRecordingServer::redirect(int status, const QByteArray &location)
{
    return "HTTP/1.1 " + QByteArray::number(status) + " Redirect\r\nLocation: " + location +
           "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

QByteArray RawRecordingServer::ok(const QByteArray &contentType, const QByteArray &body)
{
    return "HTTP/1.1 200 OK\r\nContent-Type: " + contentType +
           "\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

QByteArray RawRecordingServer::jsonError(int status, const QByteArray &type,
                                         const QByteArray &message)
{
    const QByteArray body =
        R"({"type":"error","error":{"type":")" + type + R"(","message":")" + message + R"("}})";
    return "HTTP/1.1 " + QByteArray::number(status) +
           " Error\r\nContent-Type: application/json\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

QByteArray RawRecordingServer::sseAnswer(const QByteArray &text)
{
    const QByteArray body =
        "event: message_start\ndata: "
        R"({"type":"message_start","message":{"id":"msg_raw","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":0}}})"
        "\n\nevent: content_block_start\ndata: "
        R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
        "\n\nevent: content_block_delta\ndata: "
        R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" +
        text +
        R"("}})"
        "\n\nevent: content_block_stop\ndata: "
        R"({"type":"content_block_stop","index":0})"
        "\n\nevent: message_delta\ndata: "
        R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}})"
        "\n\nevent: message_stop\ndata: "
        R"({"type":"message_stop"})"
        "\n\n";
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

void RawRecordingServer::onReadyRead(QTcpSocket *socket)
{
    QByteArray buffer = socket->property("buffer").toByteArray() + socket->readAll();
    socket->setProperty("buffer", buffer);
    const int headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return;
    qint64 length = 0;
    for (const QByteArray &line : buffer.left(headEnd).split('\n')) {
        const int colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "content-length")
            length = line.mid(colon + 1).trimmed().toLongLong();
    }
    if (buffer.size() < headEnd + 4 + length)
        return;
    m_requests.append(buffer.left(int(headEnd + 4 + length)));
    socket->setProperty("buffer", QByteArray());
    const QByteArray response = m_queue.isEmpty() ? sseAnswer("ok") : m_queue.takeFirst();
    emit requestReceived();
    if (response.isEmpty())
        return; // stall
    socket->write(response);
    socket->disconnectFromHost();
}

QList<QByteArray> RawRecordingServer::headerValues(int i, const QByteArray &name) const
{
    QList<QByteArray> values;
    const QByteArray request = m_requests.value(i);
    const QByteArray head = request.left(request.indexOf("\r\n\r\n"));
    const QList<QByteArray> lines = head.split('\n');
    for (int l = 1; l < lines.size(); ++l) {
        const int colon = lines.at(l).indexOf(':');
        if (colon > 0 && lines.at(l).left(colon).trimmed().toLower() == name.toLower())
            values.append(lines.at(l).mid(colon + 1).trimmed());
    }
    return values;
}

} // namespace qlaude::fakes
