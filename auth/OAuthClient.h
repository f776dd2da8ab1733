#pragma once

#include "OAuthProfile.h"
#include "OAuthTokens.h"
#include "TokenHttp.h"

#include <QObject>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;

namespace qlaude {

class PkceSession;

// What went wrong with a token-endpoint call. The message is a sentence for a person and never
// holds a token, a code or a verifier.
struct OAuthError
{
    enum class Kind
    {
        None,
        InvalidGrant, // the code or refresh token is dead: the user must log in again
        Rejected,     // another 4xx (invalid_client, invalid_scope, ...)
        Server,       // 5xx
        Network,      // no answer
        Timeout,
        Protocol // an answer we cannot use
    };
    Kind kind = Kind::None;
    int httpStatus = 0;
    QString oauthError; // the server's "error" code, e.g. "invalid_grant"
    QString message;

    bool isError() const { return kind != Kind::None; }
};

// The endpoints an OpenID Connect provider announces.
struct OidcDiscovery
{
    QUrl issuer;
    QUrl authorizationEndpoint;
    QUrl tokenEndpoint;
    QUrl revocationEndpoint; // empty when the provider has none
};

// The token endpoint and friends: code exchange (with PKCE), refresh, revocation and OIDC
// discovery. Claude.ai and Console requests are JSON, as the CLI sends them; OIDC requests are
// form-encoded (RFC 6749, RFC 7009). Requests go through TokenHttp: redirects are never
// followed, so a token never travels on, and answers are capped.
class OAuthClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(OAuthClient)
public:
    static constexpr int kTokenTimeoutMs = 30000;
    static constexpr int kRevokeTimeoutMs = 5000;
    static constexpr int kDiscoveryTimeoutMs = 10000;

    using TokenCallback = std::function<void(const OAuthTokens &tokens, const OAuthError &error)>;
    using DoneCallback = std::function<void(const OAuthError &error)>;
    using DiscoveryCallback =
        std::function<void(const OidcDiscovery &discovery, const OAuthError &error)>;

    // The manager is not owned. Callbacks run from the event loop, never after this is deleted.
    explicit OAuthClient(QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~OAuthClient() override;

    void setTokenTimeout(int ms) { m_tokenTimeoutMs = ms; }
    void setClock(std::function<qint64()> nowMs) { m_now = std::move(nowMs); }

    // authorization_code grant; the tokens come back with the profile's refresh details filled in.
    void exchangeCode(const OAuthProfile &profile, const QString &code, const QString &redirectUri,
                      const PkceSession &pkce, TokenCallback done);
    // refresh_token grant, to the URL and client the tokens came from. The result keeps the old
    // refresh token when the reply has none, and the old scopes when it names none.
    void refresh(const OAuthTokens &current, TokenCallback done);
    // RFC 7009 revocation of the refresh token (Anthropic: JSON with token_type_hint).
    void revoke(const OAuthTokens &tokens, int timeoutMs, DoneCallback done);
    // GET {issuer}/.well-known/openid-configuration; the announced issuer must match.
    void discover(const QUrl &issuer, DiscoveryCallback done);

    // The CLI's refresh scopes: the default set plus the "preservable" scopes already held.
    static QStringList refreshScopes(const OAuthTokens &tokens);
    static QByteArray formEncode(const QList<QPair<QString, QString>> &fields);

private:
    void send(TokenHttpRequest request, TokenHttp::Callback done);
    OAuthTokens parseTokens(const TokenHttpResult &reply, OAuthTokens base, OAuthError *error,
                            const QStringList &secrets) const;
    static OAuthError errorFrom(const TokenHttpResult &reply, const QString &what,
                                const QStringList &secrets);

    QNetworkAccessManager *m_nam;
    int m_tokenTimeoutMs = kTokenTimeoutMs;
    std::function<qint64()> m_now;
};

} // namespace qlaude
