#include "HttpRequest.h"

namespace qlaude::fakes {

QByteArray HttpRequest::header(const QByteArray &name) const
{
    QByteArray joined;
    bool found = false;
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) != 0)
            continue;
        if (found)
            joined += ", ";
        joined += h.second;
        found = true;
    }
    return joined;
}

bool HttpRequest::hasHeader(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool HttpRequest::keepAlive() const
{
    const QList<QByteArray> tokens = header("connection").toLower().split(',');
    bool close = false;
    bool keep = false;
    for (const QByteArray &token : tokens) {
        close = close || token.trimmed() == "close";
        keep = keep || token.trimmed() == "keep-alive";
    }
    if (version == "HTTP/1.0")
        return keep && !close;
    return !close;
}

} // namespace qlaude::fakes
