#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

namespace qlaude::fakes {

// One HTTP/1.x request as it arrived on the wire, body already de-chunked.
struct HttpRequest
{
    QByteArray method;
    QByteArray target;  // the raw request-target, e.g. "/v1/messages?beta=true"
    QString path;       // percent-decoded path of the target
    QUrlQuery query;    // query of the target
    QByteArray version; // "HTTP/1.1" or "HTTP/1.0"
    QList<QPair<QByteArray, QByteArray>> headers; // names as sent, values trimmed, in order
    QByteArray body;
    bool chunkedBody = false; // the body came with Transfer-Encoding: chunked

    // Case-insensitive lookup; several lines of the same header are joined with ", ".
    QByteArray header(const QByteArray &name) const;
    bool hasHeader(const QByteArray &name) const;
    // HTTP/1.1 keeps the connection unless "Connection: close"; HTTP/1.0 only with keep-alive.
    bool keepAlive() const;
};

} // namespace qlaude::fakes
