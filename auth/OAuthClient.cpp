#include "OAuthClient.h"

#include "JsonNumber.h"
#include "PkceSession.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::OAuthClient)
};

// Refresh asks for these, plus any preservable scope already held (CLAUDE_CODE.md §1.2).
const QStringList kRefreshScopes{QStringLiteral("user:profile"), QStringLiteral("user:inference"),
                                 QStringLiteral("user:sessions:claude_code"),
                                 QStringLiteral("user:mcp_servers"),
                                 QStringLiteral("user:file_upload")};
const QStringList kPreservableScopes{
    QStringLiteral("user:design:read"), QStringLiteral("user:design:write"),
    QStringLiteral("user:projects:read"), QStringLiteral("user:projects:write")};

QString scrub(QString text, const QStringList &secrets)
{
    for (const QString &s : secrets) {
        if (s.size() >= 4)
            text.replace(s, QStringLiteral("[redacted]"));
    }
    return text;
}

qint64 expiresInSeconds(const QJsonValue &v)
{
    // At most a year: the expiry is now + this * 1000 ms, which must not overflow.
    constexpr qint64 kLongest = 366LL * 24 * 3600;
    if (v.isDouble())
        return qMin(jsonNumberToInt64(v.toDouble()), kLongest);
    bool ok = false;
    const qint64 n = v.toString().toLongLong(&ok);
    return ok ? qMin(n, kLongest) : 0;
}
} // namespace

OAuthClient::OAuthClient(QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_nam(nam), m_now([] { return QDateTime::currentMSecsSinceEpoch(); })
{
}

// Requests in flight are aborted when this goes (TokenHttp's context), and their callbacks
// never run.
OAuthClient::~OAuthClient() = default;

QByteArray OAuthClient::formEncode(const QList<QPair<QString, QString>> &fields)
{
    return TokenHttp::formEncode(fields);
}

QStringList OAuthClient::refreshScopes(const OAuthTokens &t)
{
    QStringList scopes = kRefreshScopes;
    for (const QString &s : kPreservableScopes) {
        if (t.scopes.contains(s) && !scopes.contains(s))
            scopes << s;
    }
    return scopes;
}

void OAuthClient::send(TokenHttpRequest request, TokenHttp::Callback done)
{
    TokenHttp::send(m_nam, request, this, std::move(done));
}

OAuthError OAuthClient::errorFrom(const TokenHttpResult &reply, const QString &what,
                                  const QStringList &secrets)
{
    using Failure = TokenHttpResult::Failure;
    OAuthError e;
    e.httpStatus = reply.status;
    switch (reply.failure) {
    case Failure::Timeout:
        e.kind = OAuthError::Kind::Timeout;
        e.message = Tr::tr("%1 timed out: the sign-in server did not answer.").arg(what);
        return e;
    case Failure::Network:
        e.kind = OAuthError::Kind::Network;
        e.message = Tr::tr("%1 failed: %2.").arg(what, scrub(reply.error, secrets));
        return e;
    case Failure::Redirect:
        e.kind = OAuthError::Kind::Protocol;
        e.message = Tr::tr("%1 failed: the sign-in server answered with a redirect "
                           "(HTTP %2), which Qlaude does not follow for token requests.")
                        .arg(what)
                        .arg(reply.status);
        return e;
    case Failure::TooLarge:
        e.kind = OAuthError::Kind::Protocol;
        e.message = Tr::tr("%1 failed: %2.").arg(what, scrub(reply.error, secrets));
        return e;
    case Failure::None: // a 2xx is not an error; callers never ask
    case Failure::Http:
        break;
    }
    e.oauthError = scrub(reply.errorCode, secrets);
    QString detail = reply.errorDetail;
    if (detail.isEmpty())
        detail = e.oauthError;
    detail = scrub(detail.left(300), secrets);
    if (e.oauthError == QLatin1String("invalid_grant") &&
        (reply.status == 400 || reply.status == 401)) {
        e.kind = OAuthError::Kind::InvalidGrant;
    } else if (reply.status >= 500) {
        e.kind = OAuthError::Kind::Server;
    } else {
        e.kind = OAuthError::Kind::Rejected;
    }
    e.message = Tr::tr("%1 failed (HTTP %2)%3.")
                    .arg(what)
                    .arg(reply.status)
                    .arg(detail.isEmpty() ? QString() : QStringLiteral(": ") + detail);
    return e;
}

OAuthTokens OAuthClient::parseTokens(const TokenHttpResult &reply, OAuthTokens t, OAuthError *error,
                                     const QStringList &secrets) const
{
    const QJsonObject &o = reply.json;
    const QString access = o.value(QStringLiteral("access_token")).toString();
    const QString type = o.value(QStringLiteral("token_type")).toString();
    if (access.isEmpty()) {
        error->kind = OAuthError::Kind::Protocol;
        error->httpStatus = reply.status;
        error->message = Tr::tr("The sign-in server's answer has no access token.");
        return OAuthTokens();
    }
    if (!type.isEmpty() && type.compare(QLatin1String("bearer"), Qt::CaseInsensitive) != 0) {
        error->kind = OAuthError::Kind::Protocol;
        error->httpStatus = reply.status;
        error->message = Tr::tr("The sign-in server issued a \"%1\" token; Qlaude can only "
                                "use Bearer tokens.")
                             .arg(scrub(type.left(40), secrets));
        return OAuthTokens();
    }
    t.accessToken = access;
    const QString refresh = o.value(QStringLiteral("refresh_token")).toString();
    if (!refresh.isEmpty())
        t.refreshToken = refresh; // a reply without one keeps the old one
    const qint64 expiresIn = expiresInSeconds(o.value(QStringLiteral("expires_in")));
    t.expiresAt = expiresIn > 0 ? m_now() + expiresIn * 1000 : 0;
    const QString scope = o.value(QStringLiteral("scope")).toString();
    if (!scope.isEmpty())
        t.scopes = scope.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    const QJsonObject account = o.value(QStringLiteral("account")).toObject();
    if (!account.isEmpty()) {
        t.accountUuid = account.value(QStringLiteral("uuid")).toString();
        t.emailAddress = account.value(QStringLiteral("email_address")).toString();
    }
    const QJsonObject org = o.value(QStringLiteral("organization")).toObject();
    if (!org.isEmpty())
        t.organizationUuid = org.value(QStringLiteral("uuid")).toString();
    return t;
}

void OAuthClient::exchangeCode(const OAuthProfile &profile, const QString &code,
                               const QString &redirectUri, const PkceSession &pkce,
                               TokenCallback done)
{
    TokenHttpRequest req;
    req.url = profile.tokenUrl;
    req.timeoutMs = m_tokenTimeoutMs;
    if (profile.encoding == OAuthProfile::Encoding::Json) {
        req.body = TokenHttpRequest::Body::Json;
        req.json = QJsonObject{{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                               {QStringLiteral("code"), code},
                               {QStringLiteral("redirect_uri"), redirectUri},
                               {QStringLiteral("client_id"), profile.clientId},
                               {QStringLiteral("code_verifier"), pkce.verifier()},
                               {QStringLiteral("state"), pkce.state()}};
    } else {
        req.body = TokenHttpRequest::Body::Form;
        req.form = {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                    {QStringLiteral("code"), code},
                    {QStringLiteral("redirect_uri"), redirectUri},
                    {QStringLiteral("client_id"), profile.clientId},
                    {QStringLiteral("code_verifier"), pkce.verifier()}};
    }
    OAuthTokens base;
    base.scopes = profile.scopes;
    base.profile = profile.name();
    base.tokenUrl = profile.tokenUrl.toString(QUrl::FullyEncoded);
    base.revokeUrl = profile.revokeUrl.toString(QUrl::FullyEncoded);
    base.clientId = profile.clientId;
    base.tokenEncoding = profile.encodingName();
    base.issuer = profile.issuer.toString(QUrl::FullyEncoded);
    const QStringList secrets{code, pkce.verifier()};
    req.redact = secrets;
    send(req, [this, base, secrets, done](const TokenHttpResult &r) {
        OAuthError e;
        if (r.status == 401 && r.failure == TokenHttpResult::Failure::Http) {
            // The CLI's wording for a refused code.
            e = errorFrom(r, QStringLiteral("Authentication"), secrets);
            if (e.kind != OAuthError::Kind::InvalidGrant)
                e.kind = OAuthError::Kind::Rejected;
            e.message = Tr::tr("Authentication failed: Invalid authorization code.");
            done(OAuthTokens(), e);
            return;
        }
        if (!r.ok()) {
            done(OAuthTokens(), errorFrom(r, Tr::tr("Token exchange"), secrets));
            return;
        }
        const OAuthTokens t = parseTokens(r, base, &e, secrets);
        done(t, e);
    });
}

void OAuthClient::refresh(const OAuthTokens &current, TokenCallback done)
{
    if (!current.canRefresh()) {
        OAuthError e;
        e.kind = OAuthError::Kind::InvalidGrant;
        e.message = Tr::tr("The stored login has no refresh token.");
        done(OAuthTokens(), e);
        return;
    }
    TokenHttpRequest req;
    req.url = QUrl(current.tokenUrl);
    req.timeoutMs = m_tokenTimeoutMs;
    if (current.tokenEncoding == QLatin1String("form")) {
        req.body = TokenHttpRequest::Body::Form;
        req.form = {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                    {QStringLiteral("refresh_token"), current.refreshToken},
                    {QStringLiteral("client_id"), current.clientId}};
    } else {
        req.body = TokenHttpRequest::Body::Json;
        req.json =
            QJsonObject{{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                        {QStringLiteral("refresh_token"), current.refreshToken},
                        {QStringLiteral("client_id"), current.clientId},
                        {QStringLiteral("scope"), refreshScopes(current).join(QLatin1Char(' '))}};
    }
    const QStringList secrets{current.refreshToken, current.accessToken};
    req.redact = secrets;
    send(req, [this, current, secrets, done](const TokenHttpResult &r) {
        if (!r.ok()) {
            done(OAuthTokens(), errorFrom(r, Tr::tr("Token refresh"), secrets));
            return;
        }
        OAuthError e;
        const OAuthTokens t = parseTokens(r, current, &e, secrets);
        done(t, e);
    });
}

void OAuthClient::revoke(const OAuthTokens &tokens, int timeoutMs, DoneCallback done)
{
    const QString token = !tokens.refreshToken.isEmpty() ? tokens.refreshToken : tokens.accessToken;
    if (tokens.revokeUrl.isEmpty() || token.isEmpty()) {
        OAuthError e;
        e.kind = OAuthError::Kind::Protocol;
        e.message = tokens.revokeUrl.isEmpty()
                        ? Tr::tr("The sign-in server has no revocation endpoint.")
                        : Tr::tr("There is no token to revoke.");
        done(e);
        return;
    }
    const QString hint = !tokens.refreshToken.isEmpty() ? QStringLiteral("refresh_token")
                                                        : QStringLiteral("access_token");
    TokenHttpRequest req;
    req.url = QUrl(tokens.revokeUrl);
    req.timeoutMs = timeoutMs;
    if (tokens.tokenEncoding == QLatin1String("form")) {
        req.body = TokenHttpRequest::Body::Form;
        req.form = {{QStringLiteral("token"), token},
                    {QStringLiteral("token_type_hint"), hint},
                    {QStringLiteral("client_id"), tokens.clientId}};
    } else {
        req.body = TokenHttpRequest::Body::Json;
        req.json = QJsonObject{{QStringLiteral("token"), token},
                               {QStringLiteral("token_type_hint"), hint},
                               {QStringLiteral("client_id"), tokens.clientId}};
    }
    const QStringList secrets{tokens.refreshToken, tokens.accessToken};
    req.redact = secrets;
    send(req, [secrets, done](const TokenHttpResult &r) {
        if (!r.ok()) {
            done(errorFrom(r, QStringLiteral("Revocation"), secrets));
            return;
        }
        done(OAuthError());
    });
}

void OAuthClient::discover(const QUrl &issuer, DiscoveryCallback done)
{
    OAuthProfile p;
    p.issuer = issuer;
    const QUrl url = p.discoveryUrl();
    TokenHttpRequest req;
    req.url = url;
    req.method = QByteArrayLiteral("GET");
    req.timeoutMs = kDiscoveryTimeoutMs;
    send(req, [issuer, done](const TokenHttpResult &r) {
        if (!r.ok()) {
            done(OidcDiscovery(), errorFrom(r, Tr::tr("OIDC discovery"), {}));
            return;
        }
        OAuthError e;
        const QJsonObject &o = r.json;
        OidcDiscovery d;
        d.issuer = QUrl(o.value(QStringLiteral("issuer")).toString());
        d.authorizationEndpoint =
            QUrl(o.value(QStringLiteral("authorization_endpoint")).toString());
        d.tokenEndpoint = QUrl(o.value(QStringLiteral("token_endpoint")).toString());
        d.revocationEndpoint = QUrl(o.value(QStringLiteral("revocation_endpoint")).toString());
        const QJsonArray methods =
            o.value(QStringLiteral("code_challenge_methods_supported")).toArray();
        auto norm = [](const QUrl &u) {
            QString s = u.toString(QUrl::FullyEncoded);
            while (s.endsWith(QLatin1Char('/')))
                s.chop(1);
            return s;
        };
        if (norm(d.issuer) != norm(issuer)) {
            e.kind = OAuthError::Kind::Protocol;
            e.message = Tr::tr("The OIDC provider at %1 announced a different issuer "
                               "(%2); the login was stopped.")
                            .arg(issuer.toString(), d.issuer.toString());
        } else if (!d.authorizationEndpoint.isValid() || !d.tokenEndpoint.isValid() ||
                   d.authorizationEndpoint.isEmpty() || d.tokenEndpoint.isEmpty()) {
            e.kind = OAuthError::Kind::Protocol;
            e.message = Tr::tr("The OIDC provider at %1 announced no authorization "
                               "or token endpoint.")
                            .arg(issuer.toString());
        } else if (!methods.isEmpty() && !methods.contains(QStringLiteral("S256"))) {
            e.kind = OAuthError::Kind::Protocol;
            e.message = Tr::tr("The OIDC provider at %1 does not support PKCE with "
                               "S256, which Qlaude requires.")
                            .arg(issuer.toString());
        }
        done(e.isError() ? OidcDiscovery() : d, e);
    });
}

} // namespace qlaude
