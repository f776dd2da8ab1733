#include "ProviderParts.h"

#include <QCoreApplication>
#include <QJsonDocument>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ProviderParts)
};
} // namespace

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

void PreparedRequest::removeCredentialHeaders()
{
    headers.erase(
        std::remove_if(headers.begin(), headers.end(),
                       [](const auto &h) { return RequestOptions::isCredentialHeader(h.first); }),
        headers.end());
}

bool PreparedRequest::setBearerCredential(const QString &token)
{
    removeCredentialHeaders();
    const QByteArray value = token.toUtf8();
    if (value.isEmpty() || !RequestOptions::isValidHeaderValue(value))
        return false;
    setHeader("authorization", "Bearer " + value);
    return true;
}

ApiError unusableTokenError(const QString &source)
{
    ApiError e;
    e.kind = ApiError::Kind::Auth;
    e.message =
        Tr::tr("The access token from %1 is empty or contains a control character").arg(source);
    e.hint = Tr::tr("The token endpoint answered something that is not a token; check "
                    "the credential shown by qlaude --doctor.");
    return e;
}

qint64 RequestBuilder::parseTokenCount(const QByteArray &body) const
{
    return QJsonDocument::fromJson(body).object().value(QStringLiteral("input_tokens")).toInteger();
}

} // namespace qlaude
