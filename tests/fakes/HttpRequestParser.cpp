#include "HttpRequestParser.h"

#include <QUrl>

namespace qlaude::fakes {

namespace {

constexpr qsizetype kMaxChunkLineBytes = 4096;

bool isToken(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || QByteArray("!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

bool isDigits(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

} // namespace

void HttpRequestParser::append(const QByteArray &data)
{
    m_buffer.append(data);
}

bool HttpRequestParser::readLine(QByteArray *line)
{
    const qsizetype end = m_buffer.indexOf('\n', m_pos);
    if (end < 0)
        return false;
    *line = m_buffer.mid(m_pos, end - m_pos);
    if (line->endsWith('\r'))
        line->chop(1);
    m_pos = end + 1;
    return true;
}

bool HttpRequestParser::failed(int status, const QString &reason)
{
    m_state = State::Failed;
    m_errorStatus = status;
    m_errorReason = reason;
    return false;
}

HttpRequestParser::Result HttpRequestParser::fail(int status, const QString &reason)
{
    failed(status, reason);
    return Result::Error;
}

HttpRequestParser::Result HttpRequestParser::parse()
{
    for (;;) {
        QByteArray line;
        switch (m_state) {
        case State::Failed:
            return Result::Error;
        case State::Done:
            return Result::Ready;
        case State::Head: {
            const qsizetype before = m_pos;
            if (!readLine(&line)) {
                if (m_headBytes + (m_buffer.size() - m_pos) > kMaxHeadBytes)
                    return fail(431, QStringLiteral("request head exceeds 64 KiB"));
                return Result::NeedMore;
            }
            m_headBytes += m_pos - before;
            if (m_headBytes > kMaxHeadBytes)
                return fail(431, QStringLiteral("request head exceeds 64 KiB"));
            if (!m_sawRequestLine) {
                if (line.isEmpty())
                    continue; // RFC 9112 2.2: ignore empty lines before the request line
                if (!parseRequestLine(line))
                    return Result::Error;
                m_sawRequestLine = true;
            } else if (line.isEmpty()) {
                if (!finishHead())
                    return Result::Error;
                if (m_state != State::Done &&
                    m_request.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0)
                    return Result::SendContinue;
            } else if (!parseHeaderLine(line)) {
                return Result::Error;
            }
            break;
        }
        case State::Body: {
            const qint64 take = qMin<qint64>(m_remaining, m_buffer.size() - m_pos);
            m_request.body.append(m_buffer.constData() + m_pos, take);
            m_pos += take;
            m_remaining -= take;
            if (m_remaining > 0)
                return Result::NeedMore;
            m_state = State::Done;
            break;
        }
        case State::ChunkSize: {
            if (!readLine(&line)) {
                if (m_buffer.size() - m_pos > kMaxChunkLineBytes)
                    return fail(400, QStringLiteral("chunk size line too long"));
                return Result::NeedMore;
            }
            const qsizetype semicolon = line.indexOf(';');
            const QByteArray hex = (semicolon >= 0 ? line.left(semicolon) : line).trimmed();
            bool ok = false;
            const qint64 size = hex.toLongLong(&ok, 16);
            if (!ok || hex.isEmpty() || size < 0)
                return fail(400, QStringLiteral("invalid chunk size"));
            if (m_request.body.size() + size > kMaxBodyBytes)
                return fail(413, QStringLiteral("request body exceeds 32 MiB"));
            m_remaining = size;
            m_state = size == 0 ? State::Trailers : State::ChunkData;
            break;
        }
        case State::ChunkData: {
            const qint64 take = qMin<qint64>(m_remaining, m_buffer.size() - m_pos);
            m_request.body.append(m_buffer.constData() + m_pos, take);
            m_pos += take;
            m_remaining -= take;
            if (m_remaining > 0)
                return Result::NeedMore;
            m_state = State::ChunkDataEnd;
            break;
        }
        case State::ChunkDataEnd:
            if (!readLine(&line))
                return Result::NeedMore;
            if (!line.isEmpty())
                return fail(400, QStringLiteral("chunk data longer than its size"));
            m_state = State::ChunkSize;
            break;
        case State::Trailers:
            if (!readLine(&line)) {
                if (m_buffer.size() - m_pos > kMaxChunkLineBytes)
                    return fail(400, QStringLiteral("trailer line too long"));
                return Result::NeedMore;
            }
            if (line.isEmpty())
                m_state = State::Done; // trailer fields are accepted and ignored
            break;
        }
    }
}

bool HttpRequestParser::parseRequestLine(const QByteArray &line)
{
    const QList<QByteArray> parts = line.split(' ');
    if (parts.size() != 3 || !isToken(parts[0]) || parts[1].isEmpty()) {
        return failed(400, QStringLiteral("malformed request line"));
    }
    if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") {
        return failed(parts[2].startsWith("HTTP/") ? 505 : 400,
                      QStringLiteral("unsupported protocol version"));
    }
    m_request.method = parts[0];
    m_request.target = parts[1];
    m_request.version = parts[2];
    QByteArray rawPath;
    QByteArray rawQuery;
    if (m_request.target.startsWith('/')) {
        const qsizetype q = m_request.target.indexOf('?');
        rawPath = q >= 0 ? m_request.target.left(q) : m_request.target;
        rawQuery = q >= 0 ? m_request.target.mid(q + 1) : QByteArray();
    } else {
        const QUrl url = QUrl::fromEncoded(m_request.target, QUrl::StrictMode);
        if (!url.isValid() || url.scheme().isEmpty()) {
            return failed(400, QStringLiteral("malformed request target"));
        }
        rawPath = url.path(QUrl::FullyEncoded).toLatin1();
        rawQuery = url.query(QUrl::FullyEncoded).toLatin1();
    }
    m_request.path = QUrl::fromPercentEncoding(rawPath);
    m_request.query = QUrlQuery(QString::fromUtf8(rawQuery));
    return true;
}

bool HttpRequestParser::parseHeaderLine(const QByteArray &line)
{
    if (line.startsWith(' ') || line.startsWith('\t')) {
        return failed(400, QStringLiteral("obsolete header line folding"));
    }
    const qsizetype colon = line.indexOf(':');
    const QByteArray name = colon > 0 ? line.left(colon) : QByteArray();
    if (!isToken(name)) {
        return failed(400, QStringLiteral("malformed header line"));
    }
    m_request.headers.append({name, line.mid(colon + 1).trimmed()});
    return true;
}

bool HttpRequestParser::finishHead()
{
    const QByteArray transferEncoding = m_request.header("transfer-encoding").toLower();
    QList<QByteArray> lengths;
    for (const auto &h : std::as_const(m_request.headers)) {
        if (h.first.compare("content-length", Qt::CaseInsensitive) == 0)
            lengths.append(h.second);
    }
    if (!transferEncoding.isEmpty()) {
        if (!lengths.isEmpty())
            return failed(400, QStringLiteral("both Transfer-Encoding and Content-Length"));
        if (transferEncoding.split(',').constLast().trimmed() != "chunked")
            return failed(501, QStringLiteral("unsupported Transfer-Encoding"));
        m_request.chunkedBody = true;
        m_state = State::ChunkSize;
    } else if (!lengths.isEmpty()) {
        for (const QByteArray &l : std::as_const(lengths)) {
            if (!isDigits(l) || l != lengths.constFirst())
                return failed(400, QStringLiteral("invalid Content-Length"));
        }
        bool ok = false;
        m_remaining = lengths.constFirst().toLongLong(&ok);
        if (!ok || m_remaining > kMaxBodyBytes)
            return failed(413, QStringLiteral("request body exceeds 32 MiB"));
        m_state = m_remaining > 0 ? State::Body : State::Done;
    } else {
        m_state = State::Done;
    }
    return true;
}

HttpRequest HttpRequestParser::takeRequest()
{
    HttpRequest request = std::move(m_request);
    m_request = HttpRequest();
    m_buffer.remove(0, m_pos);
    m_pos = 0;
    m_state = State::Head;
    m_sawRequestLine = false;
    m_headBytes = 0;
    m_remaining = 0;
    return request;
}

} // namespace qlaude::fakes
