#include "FakeHttpConnection.h"

#include <algorithm>

#include <QTcpSocket>

#include <sys/socket.h>

namespace qlaude::fakes {

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    case 529:
        return "Site Overloaded";
    default:
        return "Unknown";
    }
}

} // namespace

FakeHttpConnection::FakeHttpConnection(QTcpSocket *socket, int id, QObject *parent)
    : QObject(parent), m_socket(socket), m_id(id)
{
    m_socket->setParent(this);
    // Every write must leave as its own segment, so clients see the chunking as scripted.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer); // scripted pauses are exact, never up to 5% early
    connect(&m_timer, &QTimer::timeout, this, &FakeHttpConnection::writeNextChunk);
    connect(m_socket, &QTcpSocket::readyRead, this, &FakeHttpConnection::readIncoming);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        m_timer.stop();
        m_state = State::Closed;
        emit closed();
    });
    if (m_socket->bytesAvailable() > 0)
        QTimer::singleShot(0, this, &FakeHttpConnection::readIncoming);
}

void FakeHttpConnection::readIncoming()
{
    const QByteArray data = m_socket->readAll();
    if (m_state == State::Stalled || m_state == State::Closing || m_state == State::Closed)
        return; // nothing more will be answered on this connection
    m_parser.append(data);
    parseNext();
}

void FakeHttpConnection::parseNext()
{
    while (m_state == State::Idle) {
        switch (m_parser.parse()) {
        case HttpRequestParser::Result::NeedMore:
            return;
        case HttpRequestParser::Result::SendContinue:
            write("HTTP/1.1 100 Continue\r\n\r\n");
            break;
        case HttpRequestParser::Result::Ready: {
            const HttpRequest request = m_parser.takeRequest();
            m_keepAlive = request.keepAlive();
            m_http10 = request.version == "HTTP/1.0";
            m_headRequest = request.method == "HEAD";
            m_state = State::Handling;
            emit requestReady(request);
            return; // respond() continues with the next buffered request when done
        }
        case HttpRequestParser::Result::Error:
            m_keepAlive = false;
            m_http10 = false;
            m_headRequest = false;
            m_state = State::Handling;
            emit malformedRequest(m_parser.errorStatus(), m_parser.errorReason());
            return;
        }
    }
}

void FakeHttpConnection::respond(const HttpResponsePlan &plan, const WriteOptions &options)
{
    if (m_state != State::Handling)
        return;
    m_plan = plan;
    m_options = options;
    m_state = State::Writing;
    if (!m_plan.sendHead) {
        interrupt();
        return;
    }
    const bool closeDelimited = m_plan.chunked && m_http10; // HTTP/1.0 has no chunked coding
    if (closeDelimited)
        m_keepAlive = false;
    QByteArray head = "HTTP/1.1 " + QByteArray::number(m_plan.status) + ' ' +
                      reasonPhrase(m_plan.status) + "\r\n";
    for (const auto &h : std::as_const(m_plan.headers))
        head += h.first + ": " + h.second + "\r\n";
    if (!m_plan.chunked)
        head += "content-length: " + QByteArray::number(m_plan.body.size()) + "\r\n";
    else if (!closeDelimited)
        head += "transfer-encoding: chunked\r\n";
    head += m_keepAlive ? "connection: keep-alive\r\n" : "connection: close\r\n";
    write(head + "\r\n");
    m_pos = 0;
    m_stop = m_plan.stopAt < 0 ? m_plan.body.size() : qMin(m_plan.stopAt, m_plan.body.size());
    if (m_headRequest)
        m_stop = 0;
    m_timer.start(m_options.delayMs);
}

void FakeHttpConnection::write(const QByteArray &bytes)
{
    m_socket->write(bytes);
    m_socket->flush();
}

void FakeHttpConnection::writeNextChunk()
{
    if (m_state != State::Writing)
        return;
    // Each turn is one step: a body piece, or the end of the response (its last chunk, or the
    // fault). The pause comes before every step, so a drop reaches the client on its own.
    if (m_pos >= m_stop) {
        if (m_plan.interruption != HttpResponsePlan::Interruption::None ||
            (m_stop < m_plan.body.size() && !m_headRequest))
            interrupt();
        else
            complete();
        return;
    }
    qint64 end = m_stop;
    if (m_options.chunkSize > 0) {
        end = qMin(m_pos + m_options.chunkSize, m_stop);
    } else {
        // eventEnds is ascending: a binary search keeps long streams O(log n) per write.
        const auto next =
            std::upper_bound(m_plan.eventEnds.cbegin(), m_plan.eventEnds.cend(), m_pos);
        if (next != m_plan.eventEnds.cend())
            end = qMin(*next, m_stop);
    }
    const QByteArray piece = m_plan.body.mid(m_pos, end - m_pos);
    if (m_plan.chunked && !m_http10)
        write(QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n");
    else
        write(piece);
    m_pos = end;
    m_timer.start(m_options.delayMs);
}

void FakeHttpConnection::complete()
{
    if (m_plan.chunked && !m_http10 && !m_headRequest)
        write("0\r\n\r\n");
    if (!m_keepAlive) {
        m_state = State::Closing;
        m_socket->disconnectFromHost();
        return;
    }
    m_state = State::Idle;
    parseNext();
}

void FakeHttpConnection::interrupt()
{
    if (m_plan.interruption == HttpResponsePlan::Interruption::Stall) {
        m_state = State::Stalled;
        return;
    }
    m_state = State::Closing;
    if (m_plan.interruption == HttpResponsePlan::Interruption::Reset) {
        // What was written goes out first; closing with a zero linger then sends RST.
        m_socket->flush();
        const linger abortive{1, 0};
        ::setsockopt(int(m_socket->socketDescriptor()), SOL_SOCKET, SO_LINGER, &abortive,
                     sizeof abortive);
        m_socket->abort();
        return;
    }
    m_socket->disconnectFromHost(); // flushes what was written, then FIN
}

} // namespace qlaude::fakes
