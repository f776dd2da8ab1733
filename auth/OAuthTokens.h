#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace qlaude {

// A stored OAuth login: the keychain entry "oauth", one JSON document. Besides the tokens it keeps
// what a refresh needs (token URL, client id, encoding), so a refresh goes where the login came
// from whatever the environment says later.
struct OAuthTokens
{
    static constexpr qint64 kRefreshMarginMs = 5 * 60 * 1000; // refresh when now + 5 min >= expiry

    QString accessToken;
    QString refreshToken;
    qint64 expiresAt = 0; // ms since the epoch; 0: unknown (never refreshed early)
    QStringList scopes;
    QString profile;       // "claudeai", "console" or "oidc"
    QString tokenUrl;      // where refreshes go
    QString revokeUrl;     // empty: the server has no revocation endpoint
    QString clientId;      // the client the tokens were issued to
    QString tokenEncoding; // "json" (Anthropic) or "form" (RFC 6749)
    QString issuer;        // OIDC only
    // From the token response; not secret, shown by doctor.
    QString accountUuid;
    QString emailAddress;
    QString organizationUuid;

    bool isEmpty() const { return accessToken.isEmpty(); }
    bool canRefresh() const { return !refreshToken.isEmpty() && !tokenUrl.isEmpty(); }
    bool needsRefresh(qint64 nowMs) const
    {
        return expiresAt > 0 && nowMs + kRefreshMarginMs >= expiresAt;
    }

    QJsonObject toJson() const;
    QString toJsonText() const;
    // An empty result with *error set when the text is not a login document.
    static OAuthTokens fromJson(const QString &text, QString *error = nullptr);
    static OAuthTokens fromJson(const QJsonObject &object);

    // Overwrites the secrets in memory.
    void wipe();
};

} // namespace qlaude
