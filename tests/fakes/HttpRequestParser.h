#pragma once

#include "HttpRequest.h"

#include <QByteArray>
#include <QString>

namespace qlaude::fakes {

// Incremental HTTP/1.x request parser: request line, headers (LF or CRLF line ends), a body
// framed by Content-Length or by Transfer-Encoding: chunked, several requests per connection.
class HttpRequestParser
{
public:
    enum class Result
    {
        NeedMore,     // feed more bytes
        Ready,        // takeRequest() returns the next request
        SendContinue, // the client sent "Expect: 100-continue": answer it, then parse() again
        Error,        // malformed: answer errorStatus() and close the connection
    };

    static constexpr qsizetype kMaxHeadBytes = 64 * 1024;
    static constexpr qint64 kMaxBodyBytes = 32 * 1024 * 1024; // the API's own request limit

    void append(const QByteArray &data);
    Result parse();
    HttpRequest takeRequest();
    bool hasBufferedBytes() const { return m_pos < m_buffer.size(); }

    int errorStatus() const { return m_errorStatus; }
    QString errorReason() const { return m_errorReason; }

private:
    enum class State
    {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        Done,
        Failed
    };

    bool readLine(QByteArray *line);
    bool failed(int status, const QString &reason); // records the error, returns false
    Result fail(int status, const QString &reason);
    bool parseRequestLine(const QByteArray &line);
    bool parseHeaderLine(const QByteArray &line);
    bool finishHead();

    QByteArray m_buffer;
    qsizetype m_pos = 0;
    State m_state = State::Head;
    HttpRequest m_request;
    bool m_sawRequestLine = false;
    qsizetype m_headBytes = 0;
    qint64 m_remaining = 0;
    int m_errorStatus = 0;
    QString m_errorReason;
};

} // namespace qlaude::fakes
