#include "OAuthTokens.h"

#include "JsonNumber.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace qlaude {

namespace {
void putIfSet(QJsonObject &o, const char *key, const QString &value)
{
    if (!value.isEmpty())
        o.insert(QLatin1String(key), value);
}
} // namespace

QJsonObject OAuthTokens::toJson() const
{
    QJsonObject o{{QStringLiteral("accessToken"), accessToken},
                  {QStringLiteral("refreshToken"), refreshToken},
                  {QStringLiteral("expiresAt"), double(expiresAt)},
                  {QStringLiteral("scopes"), QJsonArray::fromStringList(scopes)},
                  {QStringLiteral("profile"), profile},
                  {QStringLiteral("tokenUrl"), tokenUrl},
                  {QStringLiteral("clientId"), clientId},
                  {QStringLiteral("tokenEncoding"), tokenEncoding}};
    putIfSet(o, "revokeUrl", revokeUrl);
    putIfSet(o, "issuer", issuer);
    QJsonObject account;
    putIfSet(account, "uuid", accountUuid);
    putIfSet(account, "emailAddress", emailAddress);
    putIfSet(account, "organizationUuid", organizationUuid);
    if (!account.isEmpty())
        o.insert(QStringLiteral("account"), account);
    return o;
}

QString OAuthTokens::toJsonText() const
{
    return QString::fromUtf8(QJsonDocument(toJson()).toJson(QJsonDocument::Compact));
}

OAuthTokens OAuthTokens::fromJson(const QJsonObject &o)
{
    OAuthTokens t;
    t.accessToken = o.value(QStringLiteral("accessToken")).toString();
    t.refreshToken = o.value(QStringLiteral("refreshToken")).toString();
    t.expiresAt = jsonNumberToInt64(o.value(QStringLiteral("expiresAt")).toDouble());
    for (const QJsonValue &v : o.value(QStringLiteral("scopes")).toArray())
        t.scopes << v.toString();
    t.profile = o.value(QStringLiteral("profile")).toString();
    t.tokenUrl = o.value(QStringLiteral("tokenUrl")).toString();
    t.revokeUrl = o.value(QStringLiteral("revokeUrl")).toString();
    t.clientId = o.value(QStringLiteral("clientId")).toString();
    t.tokenEncoding = o.value(QStringLiteral("tokenEncoding")).toString();
    t.issuer = o.value(QStringLiteral("issuer")).toString();
    const QJsonObject account = o.value(QStringLiteral("account")).toObject();
    t.accountUuid = account.value(QStringLiteral("uuid")).toString();
    t.emailAddress = account.value(QStringLiteral("emailAddress")).toString();
    t.organizationUuid = account.value(QStringLiteral("organizationUuid")).toString();
    return t;
}

OAuthTokens OAuthTokens::fromJson(const QString &text, QString *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        // The parser's message never quotes the input, so no secret can leak through it.
        if (error)
            *error = QStringLiteral("The stored login is not a JSON document (%1).")
                         .arg(pe.errorString());
        return OAuthTokens();
    }
    return fromJson(doc.object());
}

void OAuthTokens::wipe()
{
    accessToken.fill(QLatin1Char('\0'));
    refreshToken.fill(QLatin1Char('\0'));
    accessToken.clear();
    refreshToken.clear();
}

} // namespace qlaude
