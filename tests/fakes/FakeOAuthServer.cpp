#include "FakeOAuthServer.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTimer>

namespace qlaude::fakes {

namespace {

const QStringList kAnthropicScopes{
    QStringLiteral("org:create_api_key"), QStringLiteral("user:profile"),
    QStringLiteral("user:inference"),     QStringLiteral("user:sessions:claude_code"),
    QStringLiteral("user:mcp_servers"),   QStringLiteral("user:file_upload")};
const QStringList kOidcScopes{QStringLiteral("openid"), QStringLiteral("offline_access")};
// The CLI's order of authorize parameters (CLAUDE_CODE.md §1.3).
const QStringList kAnthropicOrder{QStringLiteral("code"),
                                  QStringLiteral("client_id"),
                                  QStringLiteral("response_type"),
                                  QStringLiteral("redirect_uri"),
                                  QStringLiteral("scope"),
                                  QStringLiteral("code_challenge"),
                                  QStringLiteral("code_challenge_method"),
                                  QStringLiteral("state")};

QString randomText(int bytes)
{
    QByteArray b(bytes, Qt::Uninitialized);
    for (int i = 0; i < bytes; ++i)
        b[i] = char(QRandomGenerator::global()->bounded(256));
    return QString::fromLatin1(
        b.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString decodeComponent(QByteArray s)
{
    s.replace('+', ' ');
    return QUrl::fromPercentEncoding(s);
}

// Form or query text -> ordered (name, value) pairs, '+' meaning a space.
QList<QPair<QString, QString>> decodePairs(const QByteArray &text)
{
    QList<QPair<QString, QString>> out;
    for (const QByteArray &part : text.split('&')) {
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        out.append({decodeComponent(eq < 0 ? part : part.left(eq)),
                    eq < 0 ? QString() : decodeComponent(part.mid(eq + 1))});
    }
    return out;
}

QString s256(const QString &verifier)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)
            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QByteArray html(const QString &title, const QString &bodyHtml)
{
    return QStringLiteral("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%1</title>"
                          "</head><body><h1>%1</h1>%2</body></html>")
        .arg(title.toHtmlEscaped(), bodyHtml)
        .toUtf8();
}

QByteArray withQuery(const QString &uri, const QList<QPair<QString, QString>> &params)
{
    QByteArray out = uri.toUtf8();
    out += uri.contains(QLatin1Char('?')) ? '&' : '?';
    bool first = true;
    for (const auto &p : params) {
        if (!first)
            out += '&';
        first = false;
        out += QUrl::toPercentEncoding(p.first) + '=' + QUrl::toPercentEncoding(p.second);
    }
    return out;
}

} // namespace

FakeOAuthServer::FakeOAuthServer(QObject *parent) : FakeServerBase(parent) {}

FakeOAuthServer::~FakeOAuthServer() = default;

QString FakeOAuthServer::path(const char *anthropic, const char *oidc) const
{
    return QLatin1String(m_style == Style::Anthropic ? anthropic : oidc);
}

QString FakeOAuthServer::manualRedirectUri() const
{
    return baseUrl().toString() + QStringLiteral("/oauth/code/callback");
}

QUrl FakeOAuthServer::tokenUrl() const
{
    return QUrl(baseUrl().toString() + path("/v1/oauth/token", "/token"));
}

QUrl FakeOAuthServer::revokeUrl() const
{
    return QUrl(baseUrl().toString() + path("/v1/oauth/token/revoke", "/revoke"));
}

QString FakeOAuthServer::make(const QString &kind)
{
    ++m_counter;
    if (m_factory)
        return m_factory(kind);
    return QStringLiteral("fake-%1-%2-%3").arg(kind).arg(m_counter).arg(randomText(12));
}

QStringList FakeOAuthServer::expectedScopes() const
{
    if (!m_scopes.isEmpty())
        return m_scopes;
    return m_style == Style::Anthropic ? kAnthropicScopes : kOidcScopes;
}

void FakeOAuthServer::revokeAllRefreshTokens()
{
    for (auto it = m_refresh.begin(); it != m_refresh.end(); ++it)
        it->active = false;
}

bool FakeOAuthServer::isRefreshTokenActive(const QString &token) const
{
    const auto it = m_refresh.constFind(token);
    return it != m_refresh.constEnd() && it->active;
}

FakeOAuthServer::Tokens FakeOAuthServer::issueTokens(const QStringList &scopes)
{
    Tokens t;
    t.accessToken = make(QStringLiteral("access"));
    t.refreshToken = make(QStringLiteral("refresh"));
    m_access.insert(t.accessToken);
    m_refresh.insert(t.refreshToken,
                     {m_clientId, scopes.isEmpty() ? expectedScopes() : scopes, true});
    m_lastAccess = t.accessToken;
    m_lastRefresh = t.refreshToken;
    return t;
}

void FakeOAuthServer::handleRequest(FakeHttpConnection *connection, const HttpRequest &request)
{
    m_requests.append(request);
    bool delay = false;
    const Answer a = route(request, &delay);
    HttpResponsePlan plan;
    plan.status = a.status;
    plan.body = a.body;
    if (!a.contentType.isEmpty())
        plan.headers.append({QByteArrayLiteral("content-type"), a.contentType});
    plan.headers.append({QByteArrayLiteral("cache-control"), QByteArrayLiteral("no-store")});
    if (!a.location.isEmpty())
        plan.headers.append({QByteArrayLiteral("location"), a.location});
    emit requestHandled(QString::fromLatin1(request.method), request.path, a.status);
    const QPointer<FakeHttpConnection> alive(connection);
    auto send = [alive, plan] {
        if (alive)
            alive->respond(plan, FakeHttpConnection::WriteOptions());
    };
    if (delay && m_tokenDelayMs > 0)
        QTimer::singleShot(m_tokenDelayMs, this, send);
    else
        send();
}

FakeOAuthServer::Answer FakeOAuthServer::route(const HttpRequest &request, bool *delay)
{
    const QString &p = request.path;
    const QByteArray &m = request.method;
    auto only = [&](const char *method) { return m == method; };
    if (m_style == Style::Anthropic) {
        if (p == QLatin1String("/cai/oauth/authorize") || p == QLatin1String("/oauth/authorize"))
            return only("GET") ? authorize(request) : refuse(405, QStringLiteral("use GET"));
        if (p == QLatin1String("/oauth/authorize/approve"))
            return only("POST") ? approve(request) : refuse(405, QStringLiteral("use POST"));
        if (p == QLatin1String("/v1/oauth/token")) {
            *delay = true;
            return only("POST") ? token(request) : refuse(405, QStringLiteral("use POST"));
        }
        if (p == QLatin1String("/v1/oauth/token/revoke"))
            return only("POST") ? revoke(request) : refuse(405, QStringLiteral("use POST"));
        if (p == QLatin1String("/oauth/code/callback") && only("GET"))
            return codePage(request);
        if ((p == QLatin1String("/oauth/code/success") || p == QLatin1String("/buy_credits")) &&
            only("GET")) {
            return {200,
                    "text/html; charset=utf-8",
                    html(QStringLiteral("Success"),
                         QStringLiteral("<p id=\"success\">You can close this window.</p>")),
                    {}};
        }
    } else {
        if (p == QLatin1String("/.well-known/openid-configuration") && only("GET"))
            return discovery();
        if (p == QLatin1String("/authorize"))
            return only("GET") ? authorize(request) : refuse(405, QStringLiteral("use GET"));
        if (p == QLatin1String("/authorize/approve"))
            return only("POST") ? approve(request) : refuse(405, QStringLiteral("use POST"));
        if (p == QLatin1String("/token")) {
            *delay = true;
            return only("POST") ? token(request) : refuse(405, QStringLiteral("use POST"));
        }
        if (p == QLatin1String("/revoke"))
            return only("POST") ? revoke(request) : refuse(405, QStringLiteral("use POST"));
    }
    return {404, "text/plain", "not found", {}};
}

FakeOAuthServer::Answer FakeOAuthServer::refuse(int status, const QString &reason)
{
    m_refusals << reason;
    emit refused(reason);
    // Never redirects: a request that fails these checks must not send the browser anywhere.
    return {status,
            "text/html; charset=utf-8",
            html(QStringLiteral("Request refused"),
                 QStringLiteral("<p id=\"error\">%1</p>").arg(reason.toHtmlEscaped())),
            {}};
}

FakeOAuthServer::Answer FakeOAuthServer::oauthError(int status, const QString &error,
                                                    const QString &description)
{
    m_refusals << error + QStringLiteral(": ") + description;
    emit refused(error + QStringLiteral(": ") + description);
    return {status,
            "application/json",
            QJsonDocument(QJsonObject{{QStringLiteral("error"), error},
                                      {QStringLiteral("error_description"), description}})
                .toJson(QJsonDocument::Compact),
            {}};
}

bool FakeOAuthServer::isAllowedRedirect(const QString &uri) const
{
    // RFC 8252 §7.3: a loopback redirect may use any port. Anything else must match exactly.
    static const QRegularExpression loopback(
        QStringLiteral("^http://(localhost|127\\.0\\.0\\.1):[0-9]{1,5}/callback$"));
    if (loopback.match(uri).hasMatch())
        return true;
    return m_style == Style::Anthropic && uri == manualRedirectUri();
}

FakeOAuthServer::Answer FakeOAuthServer::authorize(const HttpRequest &request)
{
    ++m_authorizeRequests;
    const qsizetype q = request.target.indexOf('?');
    const QList<QPair<QString, QString>> pairs =
        decodePairs(q < 0 ? QByteArray() : request.target.mid(q + 1));
    QHash<QString, QString> params;
    QStringList order;
    for (const auto &pr : pairs) {
        if (params.contains(pr.first))
            return refuse(400, QStringLiteral("parameter %1 appears twice").arg(pr.first));
        params.insert(pr.first, pr.second);
        order << pr.first;
    }
    if (m_style == Style::Anthropic) {
        if (params.value(QStringLiteral("code")) != QLatin1String("true"))
            return refuse(400, QStringLiteral("code=true is missing"));
        if (order != kAnthropicOrder)
            return refuse(400, QStringLiteral("parameters are not in the CLI's order: ") +
                                   order.join(QLatin1Char(',')));
    }
    const QString clientId = params.value(QStringLiteral("client_id"));
    if (clientId != m_clientId)
        return refuse(400, QStringLiteral("unknown client_id"));
    if (params.value(QStringLiteral("response_type")) != QLatin1String("code"))
        return refuse(400, QStringLiteral("response_type must be code"));
    const QString redirect = params.value(QStringLiteral("redirect_uri"));
    if (!isAllowedRedirect(redirect))
        return refuse(400, QStringLiteral("redirect_uri is not registered: ") + redirect);
    const QStringList expected = expectedScopes();
    const QStringList asked =
        params.value(QStringLiteral("scope")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (QSet<QString>(asked.begin(), asked.end()) !=
            QSet<QString>(expected.begin(), expected.end()) ||
        asked.size() != expected.size())
        return refuse(400, QStringLiteral("unexpected scope: ") + asked.join(QLatin1Char(' ')));
    if (params.value(QStringLiteral("code_challenge_method")) != QLatin1String("S256"))
        return refuse(400, QStringLiteral("code_challenge_method must be S256"));
    static const QRegularExpression b64(QStringLiteral("^[A-Za-z0-9_-]{43}$"));
    const QString challenge = params.value(QStringLiteral("code_challenge"));
    if (!b64.match(challenge).hasMatch())
        return refuse(400, QStringLiteral("code_challenge is not base64url(SHA-256)"));
    const QString state = params.value(QStringLiteral("state"));
    if (state.size() < 32)
        return refuse(400, QStringLiteral("state is missing or too short"));

    if (m_page == AuthorizePage::Deny) {
        return {302, "text/html", QByteArray(),
                withQuery(redirect, {{QStringLiteral("error"), QStringLiteral("access_denied")},
                                     {QStringLiteral("state"), state}})};
    }
    const QString code = randomText(24);
    m_codes.insert(code, {clientId, redirect, challenge, state, asked, false});
    if (m_page == AuthorizePage::Redirect) {
        return {302, "text/html", QByteArray(),
                withQuery(redirect,
                          {{QStringLiteral("code"), code}, {QStringLiteral("state"), state}})};
    }
    const QString id = randomText(12);
    m_pending.insert(id, {redirect, state, code});
    const QString action = path("/oauth/authorize/approve", "/authorize/approve");
    QString body = QStringLiteral("<p>Allow the application to use your account?</p>"
                                  "<form id=\"approve\" method=\"post\" action=\"%1\">"
                                  "<input type=\"hidden\" name=\"request\" value=\"%2\">"
                                  "<button id=\"allow\" type=\"submit\">Allow</button></form>")
                       .arg(action, id);
    if (m_page == AuthorizePage::AutoSubmitForm)
        body += QStringLiteral("<script>document.getElementById('approve').submit();</script>");
    return {200, "text/html; charset=utf-8", html(QStringLiteral("Authorize"), body), {}};
}

FakeOAuthServer::Answer FakeOAuthServer::approve(const HttpRequest &request)
{
    QString id;
    for (const auto &pr : decodePairs(request.body)) {
        if (pr.first == QLatin1String("request"))
            id = pr.second;
    }
    const auto it = m_pending.find(id);
    if (it == m_pending.end())
        return refuse(400, QStringLiteral("unknown or used authorization request"));
    const PendingAuthorize p = *it;
    m_pending.erase(it);
    return {302, "text/html", QByteArray(),
            withQuery(p.redirectUri,
                      {{QStringLiteral("code"), p.code}, {QStringLiteral("state"), p.state}})};
}

FakeOAuthServer::Answer FakeOAuthServer::codePage(const HttpRequest &request) const
{
    // Like the real code-paste page: it shows code#state for the user to copy.
    const QString code = request.query.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
    const QString state = request.query.queryItemValue(QStringLiteral("state"), QUrl::FullyDecoded);
    return {200,
            "text/html; charset=utf-8",
            html(QStringLiteral("Authentication code"),
                 QStringLiteral("<p>Paste this code into Qlaude:</p><code id=\"code\">%1#%2</code>")
                     .arg(code.toHtmlEscaped(), state.toHtmlEscaped())),
            {}};
}

FakeOAuthServer::Answer FakeOAuthServer::discovery() const
{
    const QString base = baseUrl().toString();
    const QJsonObject o{
        {QStringLiteral("issuer"), m_announcedIssuer.isEmpty() ? base : m_announcedIssuer},
        {QStringLiteral("authorization_endpoint"), QString(base + QStringLiteral("/authorize"))},
        {QStringLiteral("token_endpoint"), QString(base + QStringLiteral("/token"))},
        {QStringLiteral("revocation_endpoint"), QString(base + QStringLiteral("/revoke"))},
        {QStringLiteral("response_types_supported"), QJsonArray{QStringLiteral("code")}},
        {QStringLiteral("grant_types_supported"),
         QJsonArray{QStringLiteral("authorization_code"), QStringLiteral("refresh_token")}},
        {QStringLiteral("code_challenge_methods_supported"), QJsonArray{QStringLiteral("S256")}},
        {QStringLiteral("token_endpoint_auth_methods_supported"),
         QJsonArray{QStringLiteral("none")}},
        {QStringLiteral("scopes_supported"),
         QJsonArray{QStringLiteral("openid"), QStringLiteral("offline_access")}}};
    return {200, "application/json", QJsonDocument(o).toJson(QJsonDocument::Compact), {}};
}

bool FakeOAuthServer::readParams(const HttpRequest &request, QHash<QString, QString> *params,
                                 Answer *error)
{
    const QByteArray type = request.header("content-type").toLower();
    if (m_style == Style::Anthropic) {
        if (!type.startsWith("application/json")) {
            *error = oauthError(400, QStringLiteral("invalid_request"),
                                QStringLiteral("Content-Type must be application/json"));
            return false;
        }
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &pe);
        if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
            *error = oauthError(400, QStringLiteral("invalid_request"),
                                QStringLiteral("the body is not a JSON object"));
            return false;
        }
        const QJsonObject o = doc.object();
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!it.value().isString()) {
                *error = oauthError(400, QStringLiteral("invalid_request"),
                                    QStringLiteral("%1 must be a string").arg(it.key()));
                return false;
            }
            params->insert(it.key(), it.value().toString());
        }
        return true;
    }
    if (!type.startsWith("application/x-www-form-urlencoded")) {
        *error = oauthError(400, QStringLiteral("invalid_request"),
                            QStringLiteral("Content-Type must be "
                                           "application/x-www-form-urlencoded"));
        return false;
    }
    for (const auto &pr : decodePairs(request.body)) {
        if (params->contains(pr.first)) {
            *error = oauthError(400, QStringLiteral("invalid_request"),
                                QStringLiteral("%1 appears twice").arg(pr.first));
            return false;
        }
        params->insert(pr.first, pr.second);
    }
    return true;
}

FakeOAuthServer::Answer FakeOAuthServer::token(const HttpRequest &request)
{
    QHash<QString, QString> params;
    Answer error;
    if (!readParams(request, &params, &error))
        return error;
    const QString grant = params.value(QStringLiteral("grant_type"));
    if (grant == QLatin1String("authorization_code")) {
        ++m_codeExchanges;
        return exchange(params);
    }
    if (grant == QLatin1String("refresh_token")) {
        ++m_refreshRequests;
        return refresh(params);
    }
    return oauthError(400, QStringLiteral("unsupported_grant_type"),
                      QStringLiteral("grant_type %1 is not supported").arg(grant));
}

FakeOAuthServer::Answer FakeOAuthServer::exchange(const QHash<QString, QString> &params)
{
    const QString code = params.value(QStringLiteral("code"));
    auto it = m_codes.find(code);
    if (code.isEmpty() || it == m_codes.end())
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid authorization code"));
    if (it->used)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Authorization code already used"));
    it->used = true; // single use, even when the rest of the request is wrong
    const CodeGrant g = *it;
    if (params.value(QStringLiteral("client_id")) != g.clientId)
        return oauthError(401, QStringLiteral("invalid_client"),
                          QStringLiteral("client_id does not match the authorization request"));
    if (params.value(QStringLiteral("redirect_uri")) != g.redirectUri)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("redirect_uri does not match the authorization request"));
    static const QRegularExpression verifierSyntax(QStringLiteral("^[A-Za-z0-9._~-]{43,128}$"));
    const QString verifier = params.value(QStringLiteral("code_verifier"));
    if (!verifierSyntax.match(verifier).hasMatch() || s256(verifier) != g.challenge)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("code_verifier does not match the code_challenge"));
    if (m_style == Style::Anthropic && params.value(QStringLiteral("state")) != g.state)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("state does not match the authorization request"));
    return tokensAnswer(g.clientId, g.scopes, true);
}

FakeOAuthServer::Answer FakeOAuthServer::refresh(const QHash<QString, QString> &params)
{
    if (!m_nextRefreshError.isEmpty()) {
        const QString e = std::exchange(m_nextRefreshError, QString());
        return oauthError(400, e, QStringLiteral("Refresh token not found or invalid"));
    }
    const QString token = params.value(QStringLiteral("refresh_token"));
    auto it = m_refresh.find(token);
    if (token.isEmpty() || it == m_refresh.end() || !it->active)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Refresh token not found or invalid"));
    if (params.value(QStringLiteral("client_id")) != it->clientId)
        return oauthError(401, QStringLiteral("invalid_client"),
                          QStringLiteral("client_id does not match the refresh token"));
    QStringList scopes = it->scopes;
    if (m_style == Style::Anthropic) {
        const QStringList asked =
            params.value(QStringLiteral("scope")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (asked.isEmpty())
            return oauthError(400, QStringLiteral("invalid_request"),
                              QStringLiteral("scope is required"));
        for (const QString &s : asked) {
            if (!it->scopes.contains(s))
                return oauthError(400, QStringLiteral("invalid_scope"),
                                  QStringLiteral("scope %1 was not granted").arg(s));
        }
        scopes = asked;
    }
    const QString clientId = it->clientId;
    if (m_omitRefresh)
        return tokensAnswer(clientId, scopes, false, token);
    if (m_rotate)
        it->active = false;
    else
        return tokensAnswer(clientId, scopes, false, token);
    return tokensAnswer(clientId, scopes, true);
}

FakeOAuthServer::Answer FakeOAuthServer::tokensAnswer(const QString &clientId,
                                                      const QStringList &scopes, bool withRefresh,
                                                      const QString &refreshToken)
{
    const QString access = make(QStringLiteral("access"));
    m_access.insert(access);
    m_lastAccess = access;
    QJsonObject o{{QStringLiteral("access_token"), access},
                  {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                  {QStringLiteral("expires_in"), m_lifetime},
                  {QStringLiteral("scope"), scopes.join(QLatin1Char(' '))}};
    QString refresh = refreshToken;
    if (withRefresh) {
        refresh = make(QStringLiteral("refresh"));
        m_refresh.insert(refresh, {clientId, scopes, true});
        o.insert(QStringLiteral("refresh_token"), refresh);
    }
    m_lastRefresh = refresh;
    if (m_style == Style::Anthropic) {
        o.insert(
            QStringLiteral("account"),
            QJsonObject{{QStringLiteral("uuid"), QStringLiteral("acc-0001")},
                        {QStringLiteral("email_address"), QStringLiteral("user@example.com")}});
        o.insert(QStringLiteral("organization"),
                 QJsonObject{{QStringLiteral("uuid"), QStringLiteral("org-0001")}});
    }
    emit tokensIssued(access, refresh);
    return {200, "application/json", QJsonDocument(o).toJson(QJsonDocument::Compact), {}};
}

FakeOAuthServer::Answer FakeOAuthServer::revoke(const HttpRequest &request)
{
    ++m_revokeRequests;
    QHash<QString, QString> params;
    Answer error;
    if (!readParams(request, &params, &error))
        return error;
    const QString token = params.value(QStringLiteral("token"));
    if (token.isEmpty())
        return oauthError(400, QStringLiteral("invalid_request"),
                          QStringLiteral("token is required"));
    if (params.value(QStringLiteral("client_id")) != m_clientId)
        return oauthError(401, QStringLiteral("invalid_client"),
                          QStringLiteral("client_id is not known"));
    auto it = m_refresh.find(token);
    if (it != m_refresh.end())
        it->active = false;
    m_access.remove(token);
    // RFC 7009 §2.2: an unknown token is answered 200 as well.
    return {200, "application/json", "{}", {}};
}

} // namespace qlaude::fakes
