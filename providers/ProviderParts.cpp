#include "ProviderParts.h"

#include <QJsonDocument>

namespace qlaude {

namespace {
bool sameName(const QByteArray &a, const QByteArray &b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}
} // namespace

QByteArray PreparedRequest::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (sameName(h.first, name))
            return h.second;
    }
    return QByteArray();
}

bool PreparedRequest::hasHeader(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (sameName(h.first, name))
            return true;
    }
    return false;
}

void PreparedRequest::setHeader(const QByteArray &name, const QByteArray &value)
{
    removeHeader(name);
    headers.append({name, value});
}

void PreparedRequest::removeHeader(const QByteArray &name)
{
    headers.erase(std::remove_if(headers.begin(), headers.end(),
                                 [&name](const auto &h) { return sameName(h.first, name); }),
                  headers.end());
}

qint64 RequestBuilder::parseTokenCount(const QByteArray &body) const
{
    return QJsonDocument::fromJson(body).object().value(QStringLiteral("input_tokens")).toInteger();
}

} // namespace qlaude
