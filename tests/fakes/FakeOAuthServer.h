#pragma once

#include "FakeServerBase.h"

#include <QHash>
#include <QSet>
#include <QStringList>

#include <functional>

namespace qlaude::fakes {

// A strict OAuth 2.0 authorization server on 127.0.0.1, in one of two styles:
// - Anthropic: the Claude Code CLI's paths under one base URL (point
//   CLAUDE_CODE_CUSTOM_OAUTH_URL at baseUrl()): GET /cai/oauth/authorize and /oauth/authorize,
//   POST /v1/oauth/token and /v1/oauth/token/revoke with JSON bodies, the code-paste page
//   /oauth/code/callback and the success pages.
// - Oidc: OpenID Connect with discovery at /.well-known/openid-configuration (the issuer is
//   baseUrl()), GET /authorize, POST /token and /revoke with form bodies (RFC 6749, RFC 7009).
// The authorize endpoint checks client_id, response_type, the exact redirect_uri (a loopback
// http://localhost:PORT/callback or the code-paste page), the scopes, the S256 challenge and the
// state (and, Anthropic style, the CLI's parameter order). The token endpoint checks the code
// (single use), client_id, the same redirect_uri, the verifier against the challenge and (JSON
// style) the state. Refresh tokens rotate; each answer can be made to fail. listen(), port(),
// baseUrl() and errorString() come from FakeServerBase.
class FakeOAuthServer : public FakeServerBase
{
    Q_OBJECT
    Q_DISABLE_COPY(FakeOAuthServer)

public:
    enum class Style
    {
        Anthropic,
        Oidc
    };
    enum class AuthorizePage
    {
        Redirect,       // 302 straight to redirect_uri?code=...&state=...
        AutoSubmitForm, // an HTML form that a script submits; its POST answers the 302
        Form,           // the same form without the script: the test submits it
        Deny            // 302 to redirect_uri?error=access_denied&state=...
    };

    struct Tokens
    {
        QString accessToken;
        QString refreshToken;
    };

    explicit FakeOAuthServer(QObject *parent = nullptr);
    ~FakeOAuthServer() override;

    // baseUrl(), http://127.0.0.1:PORT, is the custom OAuth URL or the OIDC issuer.

    void setStyle(Style style) { m_style = style; }
    Style style() const { return m_style; }
    void setClientId(const QString &clientId) { m_clientId = clientId; }
    QString clientId() const { return m_clientId; }
    void setScopes(const QStringList &scopes) { m_scopes = scopes; } // what authorize must ask for
    QStringList scopes() const { return m_scopes; }
    void setAuthorizePage(AuthorizePage page) { m_page = page; }
    void setAccessTokenLifetime(int seconds) { m_lifetime = seconds; }
    void setTokenDelay(int ms) { m_tokenDelayMs = ms; } // before each token answer
    // Makes the secrets it hands out (kind: "access", "refresh"); default: random strings.
    void setTokenFactory(std::function<QString(const QString &kind)> factory)
    {
        m_factory = std::move(factory);
    }
    void setRotateRefreshTokens(bool rotate) { m_rotate = rotate; }
    // A refresh answer without refresh_token (the old one stays valid).
    void setOmitRefreshToken(bool omit) { m_omitRefresh = omit; }
    // The next refresh answers 400 with this error (e.g. "invalid_grant").
    void failNextRefresh(const QString &error) { m_nextRefreshError = error; }
    // Every refresh token stops working: refreshes answer invalid_grant.
    void revokeAllRefreshTokens();
    // Discovery announces this issuer instead of the real one.
    void setAnnouncedIssuer(const QString &issuer) { m_announcedIssuer = issuer; }

    // A login as if it had been made by the flow, for tests that start from stored tokens.
    Tokens issueTokens(const QStringList &scopes = QStringList());

    QString manualRedirectUri() const; // Anthropic style: <base>/oauth/code/callback
    QUrl tokenUrl() const;
    QUrl revokeUrl() const;

    int authorizeRequests() const { return m_authorizeRequests; }
    int tokenRequests() const { return m_codeExchanges + m_refreshRequests; }
    int codeExchanges() const { return m_codeExchanges; }
    int refreshRequests() const { return m_refreshRequests; }
    int revokeRequests() const { return m_revokeRequests; }
    bool isRefreshTokenActive(const QString &token) const;
    bool isAccessTokenActive(const QString &token) const { return m_access.contains(token); }
    QString lastAccessToken() const { return m_lastAccess; }
    QString lastRefreshToken() const { return m_lastRefresh; }
    // Why requests were refused, oldest first: "state mismatch", "redirect_uri ...", ...
    QStringList refusals() const { return m_refusals; }
    QList<HttpRequest> requests() const { return m_requests; }

signals:
    void tokensIssued(const QString &accessToken, const QString &refreshToken);
    void refused(const QString &reason);
    void requestHandled(const QString &method, const QString &path, int status);

private:
    struct CodeGrant
    {
        QString clientId;
        QString redirectUri;
        QString challenge;
        QString state;
        QStringList scopes;
        bool used = false;
    };
    struct RefreshGrant
    {
        QString clientId;
        QStringList scopes;
        bool active = true;
    };
    struct PendingAuthorize
    {
        QString redirectUri;
        QString state;
        QString code;
    };
    struct Answer
    {
        int status = 200;
        QByteArray contentType;
        QByteArray body;
        QByteArray location;
    };

    void handleRequest(FakeHttpConnection *connection, const HttpRequest &request) override;
    Answer route(const HttpRequest &request, bool *delay);
    Answer authorize(const HttpRequest &request);
    Answer approve(const HttpRequest &request);
    Answer token(const HttpRequest &request);
    Answer exchange(const QHash<QString, QString> &params);
    Answer refresh(const QHash<QString, QString> &params);
    Answer revoke(const HttpRequest &request);
    Answer discovery() const;
    Answer codePage(const HttpRequest &request) const;
    Answer refuse(int status, const QString &reason);
    Answer oauthError(int status, const QString &error, const QString &description);
    Answer tokensAnswer(const QString &clientId, const QStringList &scopes, bool withRefresh,
                        const QString &refreshToken = QString());
    bool readParams(const HttpRequest &request, QHash<QString, QString> *params, Answer *error);
    bool isAllowedRedirect(const QString &uri) const;
    QStringList expectedScopes() const;
    QString make(const QString &kind);
    QString path(const char *anthropic, const char *oidc) const;

    Style m_style = Style::Anthropic;
    QString m_clientId = QStringLiteral("fake-client-id");
    QStringList m_scopes;
    AuthorizePage m_page = AuthorizePage::Redirect;
    int m_lifetime = 8 * 3600;
    int m_tokenDelayMs = 0;
    std::function<QString(const QString &)> m_factory;
    bool m_rotate = true;
    bool m_omitRefresh = false;
    QString m_nextRefreshError;
    QString m_announcedIssuer;
    QHash<QString, CodeGrant> m_codes;
    QHash<QString, RefreshGrant> m_refresh;
    QSet<QString> m_access;
    QHash<QString, PendingAuthorize> m_pending; // form page id -> where to send the browser
    QString m_lastAccess;
    QString m_lastRefresh;
    QStringList m_refusals;
    QList<HttpRequest> m_requests;
    int m_authorizeRequests = 0;
    int m_codeExchanges = 0;
    int m_refreshRequests = 0;
    int m_revokeRequests = 0;
    int m_counter = 0;
};

} // namespace qlaude::fakes
