#include "FakeOAuthServer.h"
#include "OAuthClient.h"
#include "OAuthTestSupport.h"
#include "PkceSession.h"
#include "TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeOAuthServer;

// The token endpoint calls against the strict fake authorization server: code exchange, refresh,
// revocation and OIDC discovery, in the JSON (Claude.ai) and form (OIDC) styles.
class tst_OAuthClient : public QObject
{
    Q_OBJECT

    std::unique_ptr<FakeOAuthServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<OAuthClient> m_client;

    struct TokenResult
    {
        OAuthTokens tokens;
        OAuthError error;
    };
    TokenResult waitTokens(const std::function<void(OAuthClient::TokenCallback)> &start)
    {
        TokenResult r;
        bool done = false;
        QEventLoop loop;
        start([&](const OAuthTokens &t, const OAuthError &e) {
            r = {t, e};
            done = true;
            loop.quit();
        });
        if (!done)
            loop.exec();
        return r;
    }
    OAuthError waitDone(const std::function<void(OAuthClient::DoneCallback)> &start)
    {
        OAuthError r;
        bool done = false;
        QEventLoop loop;
        start([&](const OAuthError &e) {
            r = e;
            done = true;
            loop.quit();
        });
        if (!done)
            loop.exec();
        return r;
    }
    // Sends the "browser" to the authorize URL and returns the code from the redirect.
    QString authorize(const OAuthProfile &p, const PkceSession &pkce, const QString &redirect)
    {
        const HttpResult r = httpRequest(p.authorizationUrl(pkce, redirect), false);
        if (r.status != 302)
            return QString();
        if (queryValue(r.location, "state") != pkce.state())
            return QString();
        return queryValue(r.location, "code");
    }
    TokenResult login(const OAuthProfile &p)
    {
        const PkceSession pkce = PkceSession::generate();
        const QString redirect = QStringLiteral("http://localhost:4242/callback");
        const QString code = authorize(p, pkce, redirect);
        return waitTokens([&](OAuthClient::TokenCallback cb) {
            m_client->exchangeCode(p, code, redirect, pkce, std::move(cb));
        });
    }
    static bool mentionsAny(const QString &text, const QStringList &secrets)
    {
        for (const QString &s : secrets) {
            if (!s.isEmpty() && text.contains(s))
                return true;
        }
        return text.contains(QLatin1String("SECRET"));
    }

private slots:
    void init()
    {
        m_server = std::make_unique<FakeOAuthServer>();
        m_server->setTokenFactory(secretTokens(QStringLiteral("client")));
        QVERIFY(m_server->listen());
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_client = std::make_unique<OAuthClient>(m_nam.get());
    }
    void cleanup()
    {
        m_client.reset();
        m_nam.reset();
        m_server.reset();
    }

    void exchangesTheCodeWithAJsonBody()
    {
        const OAuthProfile p = profileFor(*m_server);
        const PkceSession pkce = PkceSession::generate();
        const QString redirect = QStringLiteral("http://localhost:4242/callback");
        const QString code = authorize(p, pkce, redirect);
        QVERIFY(!code.isEmpty());
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        const TokenResult r = waitTokens([&](OAuthClient::TokenCallback cb) {
            m_client->exchangeCode(p, code, redirect, pkce, std::move(cb));
        });
        QVERIFY2(!r.error.isError(), qPrintable(r.error.message));
        QVERIFY(r.tokens.accessToken == m_server->lastAccessToken());
        QVERIFY(r.tokens.refreshToken == m_server->lastRefreshToken());
        QVERIFY(r.tokens.expiresAt >= before + 8 * 3600 * 1000);
        QVERIFY(r.tokens.expiresAt <= QDateTime::currentMSecsSinceEpoch() + 8 * 3600 * 1000);
        QCOMPARE(r.tokens.scopes, p.scopes);
        QCOMPARE(r.tokens.profile, QStringLiteral("claudeai"));
        QCOMPARE(r.tokens.tokenUrl, m_server->tokenUrl().toString());
        QCOMPARE(r.tokens.revokeUrl, m_server->revokeUrl().toString());
        QCOMPARE(r.tokens.clientId, m_server->clientId());
        QCOMPARE(r.tokens.tokenEncoding, QStringLiteral("json"));
        QCOMPARE(r.tokens.emailAddress, QStringLiteral("user@example.com"));
        QCOMPARE(r.tokens.organizationUuid, QStringLiteral("org-0001"));

        const auto req = m_server->requests().constLast();
        QCOMPARE(req.path, QStringLiteral("/v1/oauth/token"));
        QVERIFY(req.header("content-type").startsWith("application/json"));
        const QJsonObject body = QJsonDocument::fromJson(req.body).object();
        QCOMPARE(body.keys(), QStringList({"client_id", "code", "code_verifier", "grant_type",
                                           "redirect_uri", "state"}));
        QCOMPARE(body.value("grant_type").toString(), QStringLiteral("authorization_code"));
        QCOMPARE(body.value("redirect_uri").toString(), redirect);
        QCOMPARE(body.value("state").toString(), pkce.state());
        QCOMPARE(m_server->codeExchanges(), 1);
    }

    void theServerRefusesAWrongRedirectAtAuthorizeAndAtExchange()
    {
        const OAuthProfile p = profileFor(*m_server);
        const PkceSession pkce = PkceSession::generate();
        // Not registered: answered 400 and never redirected.
        HttpResult r = httpRequest(
            p.authorizationUrl(pkce, QStringLiteral("https://evil.example.com/callback")), false);
        QCOMPARE(r.status, 400);
        QVERIFY(r.location.isEmpty());
        QVERIFY(m_server->refusals().constLast().startsWith("redirect_uri is not registered"));
        // Authorized for one loopback port, exchanged for another.
        const QString code = authorize(p, pkce, QStringLiteral("http://localhost:1111/callback"));
        const TokenResult t = waitTokens([&](OAuthClient::TokenCallback cb) {
            m_client->exchangeCode(p, code, QStringLiteral("http://localhost:2222/callback"), pkce,
                                   std::move(cb));
        });
        QCOMPARE(t.error.kind, OAuthError::Kind::InvalidGrant);
        QVERIFY(t.tokens.isEmpty());
        QVERIFY2(t.error.message.startsWith("Token exchange failed (HTTP 400)"),
                 qPrintable(t.error.message));
        QVERIFY(!t.error.message.contains(code));
    }

    void aVerifierThatDoesNotMatchTheChallengeIsRefused()
    {
        const OAuthProfile p = profileFor(*m_server);
        const PkceSession pkce = PkceSession::generate();
        const QString redirect = QStringLiteral("http://localhost:4242/callback");
        const QString code = authorize(p, pkce, redirect);
        const PkceSession other =
            PkceSession::fromValues(PkceSession::generate().verifier(), pkce.state());
        const TokenResult t = waitTokens([&](OAuthClient::TokenCallback cb) {
            m_client->exchangeCode(p, code, redirect, other, std::move(cb));
        });
        QCOMPARE(t.error.kind, OAuthError::Kind::InvalidGrant);
        QVERIFY(m_server->refusals().constLast().contains("code_verifier does not match"));
        QVERIFY(!t.error.message.contains(other.verifier()));
        // The code was used up by the failed attempt.
        const TokenResult again = waitTokens([&](OAuthClient::TokenCallback cb) {
            m_client->exchangeCode(p, code, redirect, pkce, std::move(cb));
        });
        QCOMPARE(again.error.kind, OAuthError::Kind::InvalidGrant);
    }

    void authorizeChecksClientScopesChallengeAndState()
    {
        OAuthProfile p = profileFor(*m_server);
        const PkceSession pkce = PkceSession::generate();
        const QString redirect = QStringLiteral("http://localhost:4242/callback");
        OAuthProfile wrongClient = p;
        wrongClient.clientId = QStringLiteral("someone-else");
        QCOMPARE(httpRequest(wrongClient.authorizationUrl(pkce, redirect), false).status, 400);
        QCOMPARE(m_server->refusals().constLast(), QStringLiteral("unknown client_id"));
        OAuthProfile fewerScopes = p;
        fewerScopes.scopes.removeLast();
        QCOMPARE(httpRequest(fewerScopes.authorizationUrl(pkce, redirect), false).status, 400);
        QVERIFY(m_server->refusals().constLast().startsWith("unexpected scope"));
        const PkceSession noState = PkceSession::fromValues(pkce.verifier(), QString());
        QCOMPARE(httpRequest(p.authorizationUrl(noState, redirect), false).status, 400);
        // The CLI's parameter order is part of the contract.
        QUrl shuffled = p.authorizationUrl(pkce, redirect);
        QStringList parts = shuffled.query(QUrl::FullyEncoded).split('&');
        parts.swapItemsAt(1, 2);
        shuffled.setQuery(parts.join('&'), QUrl::StrictMode);
        QCOMPARE(httpRequest(shuffled, false).status, 400);
        QVERIFY(m_server->refusals().constLast().startsWith("parameters are not in the CLI's "
                                                            "order"));
        QCOMPARE(httpRequest(p.authorizationUrl(pkce, redirect), false).status, 302);
    }

    void anUnknownClientGetsTheCliMessage()
    {
        OAuthProfile p = profileFor(*m_server);
        const PkceSession pkce = PkceSession::generate();
        const QString redirect = QStringLiteral("http://localhost:4242/callback");
        const QString code = authorize(p, pkce, redirect);
        p.clientId = QStringLiteral("someone-else");
        const TokenResult t = waitTokens([&](OAuthClient::TokenCallback cb) {
            m_client->exchangeCode(p, code, redirect, pkce, std::move(cb));
        });
        QCOMPARE(t.error.httpStatus, 401);
        QCOMPARE(t.error.message, QStringLiteral("Authentication failed: Invalid authorization "
                                                 "code."));
    }

    void refreshRotatesTheRefreshToken()
    {
        const TokenResult first = login(profileFor(*m_server));
        QVERIFY(!first.error.isError());
        const TokenResult r = waitTokens(
            [&](OAuthClient::TokenCallback cb) { m_client->refresh(first.tokens, std::move(cb)); });
        QVERIFY2(!r.error.isError(), qPrintable(r.error.message));
        QVERIFY(r.tokens.accessToken != first.tokens.accessToken);
        QVERIFY(r.tokens.refreshToken != first.tokens.refreshToken);
        QVERIFY(!m_server->isRefreshTokenActive(first.tokens.refreshToken));
        QVERIFY(m_server->isRefreshTokenActive(r.tokens.refreshToken));
        QCOMPARE(r.tokens.profile, first.tokens.profile);
        QCOMPARE(r.tokens.tokenUrl, first.tokens.tokenUrl);
        QCOMPARE(r.tokens.emailAddress, first.tokens.emailAddress);
        const QJsonObject body =
            QJsonDocument::fromJson(m_server->requests().constLast().body).object();
        QCOMPARE(body.value("grant_type").toString(), QStringLiteral("refresh_token"));
        QCOMPARE(body.value("client_id").toString(), m_server->clientId());
        // The CLI's refresh scopes (without org:create_api_key).
        QCOMPARE(body.value("scope").toString(),
                 QStringLiteral("user:profile user:inference user:sessions:claude_code "
                                "user:mcp_servers user:file_upload"));
        QCOMPARE(m_server->refreshRequests(), 1);
        // The used refresh token is dead now.
        const TokenResult replay = waitTokens(
            [&](OAuthClient::TokenCallback cb) { m_client->refresh(first.tokens, std::move(cb)); });
        QCOMPARE(replay.error.kind, OAuthError::Kind::InvalidGrant);
        QVERIFY(!mentionsAny(replay.error.message,
                             {first.tokens.refreshToken, first.tokens.accessToken}));
    }

    void aReplyWithoutRefreshTokenKeepsTheOldOne()
    {
        const TokenResult first = login(profileFor(*m_server));
        m_server->setOmitRefreshToken(true);
        const TokenResult r = waitTokens(
            [&](OAuthClient::TokenCallback cb) { m_client->refresh(first.tokens, std::move(cb)); });
        QVERIFY(!r.error.isError());
        QVERIFY(r.tokens.accessToken != first.tokens.accessToken);
        QVERIFY(r.tokens.refreshToken == first.tokens.refreshToken);
    }

    void invalidGrantIsReportedAsSuch()
    {
        const TokenResult first = login(profileFor(*m_server));
        m_server->failNextRefresh(QStringLiteral("invalid_grant"));
        TokenResult r = waitTokens(
            [&](OAuthClient::TokenCallback cb) { m_client->refresh(first.tokens, std::move(cb)); });
        QCOMPARE(r.error.kind, OAuthError::Kind::InvalidGrant);
        QCOMPARE(r.error.oauthError, QStringLiteral("invalid_grant"));
        QCOMPARE(r.error.httpStatus, 400);
        m_server->failNextRefresh(QStringLiteral("invalid_scope"));
        r = waitTokens(
            [&](OAuthClient::TokenCallback cb) { m_client->refresh(first.tokens, std::move(cb)); });
        QCOMPARE(r.error.kind, OAuthError::Kind::Rejected);
        m_server->revokeAllRefreshTokens();
        r = waitTokens(
            [&](OAuthClient::TokenCallback cb) { m_client->refresh(first.tokens, std::move(cb)); });
        QCOMPARE(r.error.kind, OAuthError::Kind::InvalidGrant);
    }

    void revocationSendsTheRefreshTokenAsJson()
    {
        const TokenResult first = login(profileFor(*m_server));
        const OAuthError e = waitDone([&](OAuthClient::DoneCallback cb) {
            m_client->revoke(first.tokens, OAuthClient::kRevokeTimeoutMs, std::move(cb));
        });
        QVERIFY2(!e.isError(), qPrintable(e.message));
        QCOMPARE(m_server->revokeRequests(), 1);
        QVERIFY(!m_server->isRefreshTokenActive(first.tokens.refreshToken));
        const QJsonObject body =
            QJsonDocument::fromJson(m_server->requests().constLast().body).object();
        QVERIFY(body.value("token").toString() == first.tokens.refreshToken);
        QCOMPARE(body.value("token_type_hint").toString(), QStringLiteral("refresh_token"));
        QCOMPARE(body.value("client_id").toString(), m_server->clientId());
    }

    void oidcUsesDiscoveryAndFormEncodedRequests()
    {
        m_server->setStyle(FakeOAuthServer::Style::Oidc);
        m_server->setClientId(QStringLiteral("corp-client"));
        OAuthProfile p = profileFor(*m_server, OAuthProfile::Kind::Oidc);
        QVERIFY2(p.isValid(), qPrintable(p.error));
        QVERIFY(p.needsDiscovery());
        OidcDiscovery d;
        OAuthError de;
        {
            QEventLoop loop;
            m_client->discover(p.issuer, [&](const OidcDiscovery &dd, const OAuthError &e) {
                d = dd;
                de = e;
                loop.quit();
            });
            loop.exec();
        }
        QVERIFY2(!de.isError(), qPrintable(de.message));
        QCOMPARE(d.tokenEndpoint, m_server->tokenUrl());
        QVERIFY(p.applyDiscovery(d.authorizationEndpoint, d.tokenEndpoint, d.revocationEndpoint));

        const TokenResult t = login(p);
        QVERIFY2(!t.error.isError(), qPrintable(t.error.message));
        QCOMPARE(t.tokens.profile, QStringLiteral("oidc"));
        QCOMPARE(t.tokens.tokenEncoding, QStringLiteral("form"));
        QCOMPARE(t.tokens.issuer, m_server->baseUrl().toString());
        auto req = m_server->requests().constLast();
        QVERIFY(req.header("content-type").startsWith("application/x-www-form-urlencoded"));
        QUrlQuery form(QString::fromLatin1(req.body));
        QCOMPARE(form.queryItemValue("grant_type"), QStringLiteral("authorization_code"));
        QVERIFY(!form.hasQueryItem("state"));
        QCOMPARE(form.queryItemValue("client_id"), QStringLiteral("corp-client"));

        const TokenResult r = waitTokens(
            [&](OAuthClient::TokenCallback cb) { m_client->refresh(t.tokens, std::move(cb)); });
        QVERIFY2(!r.error.isError(), qPrintable(r.error.message));
        req = m_server->requests().constLast();
        form = QUrlQuery(QString::fromLatin1(req.body));
        QCOMPARE(form.queryItemValue("grant_type"), QStringLiteral("refresh_token"));
        QVERIFY(!form.hasQueryItem("scope"));
        const OAuthError e = waitDone(
            [&](OAuthClient::DoneCallback cb) { m_client->revoke(r.tokens, 5000, std::move(cb)); });
        QVERIFY(!e.isError());
        QVERIFY(!m_server->isRefreshTokenActive(r.tokens.refreshToken));
    }

    void discoveryRefusesAnotherIssuer()
    {
        m_server->setStyle(FakeOAuthServer::Style::Oidc);
        m_server->setAnnouncedIssuer(QStringLiteral("https://other.example.com"));
        OAuthError de;
        QEventLoop loop;
        m_client->discover(m_server->baseUrl(), [&](const OidcDiscovery &, const OAuthError &e) {
            de = e;
            loop.quit();
        });
        loop.exec();
        QCOMPARE(de.kind, OAuthError::Kind::Protocol);
        QVERIFY2(de.message.contains("announced a different issuer"), qPrintable(de.message));
    }

    void aSilentServerTimesOutAndAClosedPortFails()
    {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        OAuthTokens t;
        t.refreshToken = testSecret("silent");
        t.revokeUrl = QStringLiteral("http://127.0.0.1:%1/revoke").arg(silent.serverPort());
        QElapsedTimer timer;
        timer.start();
        OAuthError e = waitDone(
            [&](OAuthClient::DoneCallback cb) { m_client->revoke(t, 300, std::move(cb)); });
        QCOMPARE(e.kind, OAuthError::Kind::Timeout);
        QVERIFY(timer.elapsed() < 5000);
        const quint16 closedPort = silent.serverPort();
        silent.close();
        t.revokeUrl = QStringLiteral("http://127.0.0.1:%1/revoke").arg(closedPort);
        e = waitDone(
            [&](OAuthClient::DoneCallback cb) { m_client->revoke(t, 3000, std::move(cb)); });
        QCOMPARE(e.kind, OAuthError::Kind::Network);
        QVERIFY(!mentionsAny(e.message, {t.refreshToken}));
    }

    void tokenRequestsDoNotFollowRedirects()
    {
        // A token endpoint that redirects must not receive the refresh token a second time.
        const TokenResult first = login(profileFor(*m_server));
        OAuthTokens t = first.tokens;
        t.tokenUrl = m_server->baseUrl().toString() + QStringLiteral("/cai/oauth/authorize");
        m_server->setClientId(QStringLiteral("x")); // makes the authorize GET answer 405 anyway
        const int before = m_server->requests().size();
        const TokenResult r =
            waitTokens([&](OAuthClient::TokenCallback cb) { m_client->refresh(t, std::move(cb)); });
        QVERIFY(r.error.isError());
        QCOMPARE(m_server->requests().size(), before + 1);
    }
};

QTEST_GUILESS_MAIN(tst_OAuthClient)
#include "tst_OAuthClient.moc"
