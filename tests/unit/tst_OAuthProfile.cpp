#include "AuthResolver.h"
#include "DoctorReport.h"
#include "OAuthProfile.h"
#include "PkceSession.h"
#include "TestSupport.h"

#include <QJsonArray>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

// Where a login goes: the Claude.ai, Console and OIDC profiles, their overrides, and which
// settings files may set them.
class tst_OAuthProfile : public QObject
{
    Q_OBJECT

    static AuthContext context(const TestHome &h, const QProcessEnvironment &extra = {},
                               const QString &flagSettings = QString())
    {
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        for (const QString &k : extra.keys())
            o.processEnvironment.insert(k, extra.value(k));
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        o.flagSettings = flagSettings;
        return AuthContext::load(o);
    }
    static QProcessEnvironment env(std::initializer_list<std::pair<const char *, const char *>> l)
    {
        QProcessEnvironment e;
        for (const auto &p : l)
            e.insert(QLatin1String(p.first), QLatin1String(p.second));
        return e;
    }
    static void managedSettings(const TestHome &h, const QJsonObject &o)
    {
        h.writeJson(h.managedDir() + QStringLiteral("/managed-settings.json"), o);
    }
    // The query as (name, raw value) pairs, in order.
    static QList<QPair<QString, QString>> rawQuery(const QUrl &url)
    {
        QList<QPair<QString, QString>> out;
        for (const QString &part : url.query(QUrl::FullyEncoded).split(QLatin1Char('&'))) {
            const int eq = part.indexOf(QLatin1Char('='));
            out.append({part.left(eq), part.mid(eq + 1)});
        }
        return out;
    }

private slots:
    void claudeAiUsesTheCliEndpointsAndScopes()
    {
        TestHome h(QStringLiteral("profile-claudeai"));
        const AuthContext ctx = context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "client-123"}}));
        const OAuthProfile p = OAuthProfile::load(ctx, OAuthProfile::Kind::ClaudeAi);
        QVERIFY2(p.isValid(), qPrintable(p.error));
        QCOMPARE(p.name(), QStringLiteral("claudeai"));
        QCOMPARE(p.authorizeUrl, QUrl(QStringLiteral("https://claude.com/cai/oauth/authorize")));
        QCOMPARE(p.tokenUrl, QUrl(QStringLiteral("https://platform.claude.com/v1/oauth/token")));
        QCOMPARE(p.revokeUrl,
                 QUrl(QStringLiteral("https://platform.claude.com/v1/oauth/token/revoke")));
        QCOMPARE(p.manualRedirectUri,
                 QUrl(QStringLiteral("https://platform.claude.com/oauth/code/callback")));
        QCOMPARE(p.successUrl.toString(QUrl::FullyEncoded),
                 QStringLiteral("https://platform.claude.com/oauth/code/success?app=claude-code"));
        QCOMPARE(p.scopes.join(' '), QStringLiteral("org:create_api_key user:profile "
                                                    "user:inference user:sessions:claude_code "
                                                    "user:mcp_servers user:file_upload"));
        QCOMPARE(p.encoding, OAuthProfile::Encoding::Json);
        QCOMPARE(p.credentialKind(), CredentialKind::OAuth);
        QCOMPARE(p.clientId, QStringLiteral("client-123"));
        QCOMPARE(p.clientIdSource, QStringLiteral("environment"));
    }

    void consoleDiffersOnlyInAuthorizeUrlAndSuccessPage()
    {
        TestHome h(QStringLiteral("profile-console"));
        const AuthContext ctx = context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "client-123"}}));
        const OAuthProfile c = OAuthProfile::load(ctx, OAuthProfile::Kind::Console);
        const OAuthProfile a = OAuthProfile::load(ctx, OAuthProfile::Kind::ClaudeAi);
        QCOMPARE(c.authorizeUrl,
                 QUrl(QStringLiteral("https://platform.claude.com/oauth/authorize")));
        QCOMPARE(c.successUrl.toString(QUrl::FullyEncoded),
                 QStringLiteral("https://platform.claude.com/buy_credits?returnUrl=/oauth/code/"
                                "success%3Fapp%3Dclaude-code"));
        QCOMPARE(c.tokenUrl, a.tokenUrl);
        QCOMPARE(c.scopes, a.scopes);
        QCOMPARE(c.encoding, OAuthProfile::Encoding::Json);
        QCOMPARE(c.credentialKind(), CredentialKind::OAuth);
    }

    void withoutClientIdSubscriptionLoginIsUnavailable()
    {
        TestHome h(QStringLiteral("profile-noclient"));
        const AuthContext ctx = context(h);
        const OAuthProfile p = OAuthProfile::load(ctx, OAuthProfile::Kind::ClaudeAi);
#if QLAUDE_BUILD_HAS_OAUTH_CLIENT_ID
        // Decided by the build option, not by the outcome: the build's client id is used.
        QVERIFY2(p.isValid(), qPrintable(p.error));
        QVERIFY2(p.clientIdSource.startsWith(QLatin1String("build option")),
                 qPrintable(p.clientIdSource));
        QSKIP("this build has a QLAUDE_OAUTH_CLIENT_ID (build option)");
#endif
        QVERIFY2(!p.isValid(), qPrintable(p.clientIdSource));
        // One sentence on why, then the permitted routes.
        QVERIFY2(p.error.startsWith("This build of Qlaude is not authorized by Anthropic for "
                                    "Claude.ai or Console subscription login."),
                 qPrintable(p.error));
        for (const char *route : {"API key", "apiKeyHelper", "ANTHROPIC_AUTH_TOKEN", "Bedrock",
                                  "Vertex", "Foundry", "--profile=oidc"})
            QVERIFY2(p.error.contains(QLatin1String(route)), route);
        QCOMPARE(OAuthProfile::unavailableReason(ctx, OAuthProfile::Kind::Console), p.error);
        QVERIFY(
            OAuthProfile::unavailableReason(context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "x"}})),
                                            OAuthProfile::Kind::ClaudeAi)
                .isEmpty());
    }

    void managedSettingsProvideTheClientIdAndWin()
    {
        TestHome h(QStringLiteral("profile-managed-client"));
        managedSettings(h, {{"oauthClientId", "managed-client"}});
        OAuthProfile p =
            OAuthProfile::load(context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "env-client"}})),
                               OAuthProfile::Kind::ClaudeAi);
        QCOMPARE(p.clientId, QStringLiteral("managed-client"));
        QVERIFY(p.clientIdSource.startsWith("managed settings ("));
        // A managed env block wins as well.
        managedSettings(h, {{"env", QJsonObject{{"CLAUDE_CODE_OAUTH_CLIENT_ID", "managed-env"}}}});
        p = OAuthProfile::load(context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "env-client"}})),
                               OAuthProfile::Kind::Console);
        QCOMPARE(p.clientId, QStringLiteral("managed-env"));
        // The user's own settings may set the environment variable, too.
        managedSettings(h, {});
        h.userSettings({{"env", QJsonObject{{"CLAUDE_CODE_OAUTH_CLIENT_ID", "user-client"}}}});
        p = OAuthProfile::load(context(h), OAuthProfile::Kind::ClaudeAi);
        QCOMPARE(p.clientId, QStringLiteral("user-client"));
        QVERIFY(p.clientIdSource.startsWith("user settings ("));
    }

    void customOAuthUrlKeepsEachPathAndSwapsTheOrigin()
    {
        TestHome h(QStringLiteral("profile-custom"));
        const AuthContext ctx =
            context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "c"},
                            {"CLAUDE_CODE_CUSTOM_OAUTH_URL", "http://127.0.0.1:5555"}}));
        const OAuthProfile a = OAuthProfile::load(ctx, OAuthProfile::Kind::ClaudeAi);
        QVERIFY2(a.isValid(), qPrintable(a.error));
        QCOMPARE(a.authorizeUrl.toString(),
                 QStringLiteral("http://127.0.0.1:5555/cai/oauth/authorize"));
        QCOMPARE(a.tokenUrl.toString(), QStringLiteral("http://127.0.0.1:5555/v1/oauth/token"));
        QCOMPARE(a.revokeUrl.toString(),
                 QStringLiteral("http://127.0.0.1:5555/v1/oauth/token/revoke"));
        QCOMPARE(a.manualRedirectUri.toString(),
                 QStringLiteral("http://127.0.0.1:5555/oauth/code/callback"));
        QCOMPARE(a.successUrl.toString(),
                 QStringLiteral("http://127.0.0.1:5555/oauth/code/success?app=claude-code"));
        QCOMPARE(a.endpointSource, QStringLiteral("environment"));
        const OAuthProfile c = OAuthProfile::load(ctx, OAuthProfile::Kind::Console);
        QCOMPARE(c.authorizeUrl.toString(),
                 QStringLiteral("http://127.0.0.1:5555/oauth/authorize"));
    }

    void customOAuthUrlMustBeHttpsOffLoopback()
    {
        TestHome h(QStringLiteral("profile-custom-http"));
        const OAuthProfile p = OAuthProfile::load(
            context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "c"},
                            {"CLAUDE_CODE_CUSTOM_OAUTH_URL", "http://login.example.com"}})),
            OAuthProfile::Kind::ClaudeAi);
        QVERIFY(!p.isValid());
        QVERIFY2(p.error.contains("must be an https URL"), qPrintable(p.error));
        QVERIFY(OAuthProfile::load(context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "c"},
                                                   {"CLAUDE_CODE_CUSTOM_OAUTH_URL",
                                                    "https://login.example.com/base"}})),
                                   OAuthProfile::Kind::ClaudeAi)
                    .tokenUrl == QUrl("https://login.example.com/base/v1/oauth/token"));
    }

    void authorizeUrlHasTheCliParametersInOrder()
    {
        TestHome h(QStringLiteral("profile-order"));
        const OAuthProfile p =
            OAuthProfile::load(context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "9d1c-client"}})),
                               OAuthProfile::Kind::ClaudeAi);
        const PkceSession s =
            PkceSession::fromValues(QStringLiteral("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                                    QStringLiteral("state-0123456789"));
        const QUrl url = p.authorizationUrl(s, QStringLiteral("http://localhost:4567/callback"));
        QCOMPARE(url.scheme() + "://" + url.host() + url.path(),
                 QStringLiteral("https://claude.com/cai/oauth/authorize"));
        const auto q = rawQuery(url);
        QStringList names;
        for (const auto &pr : q)
            names << pr.first;
        QCOMPARE(names, QStringList({"code", "client_id", "response_type", "redirect_uri", "scope",
                                     "code_challenge", "code_challenge_method", "state"}));
        QCOMPARE(q.at(0).second, QStringLiteral("true"));
        QCOMPARE(q.at(1).second, QStringLiteral("9d1c-client"));
        QCOMPARE(q.at(2).second, QStringLiteral("code"));
        QCOMPARE(q.at(3).second, QStringLiteral("http%3A%2F%2Flocalhost%3A4567%2Fcallback"));
        QCOMPARE(QUrl::fromPercentEncoding(q.at(4).second.toLatin1()), p.scopes.join(' '));
        QCOMPARE(q.at(5).second, QStringLiteral("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        QCOMPARE(q.at(6).second, QStringLiteral("S256"));
        QCOMPARE(q.at(7).second, QStringLiteral("state-0123456789"));
    }

    void oidcNeedsAnIssuerAndAClientId()
    {
        TestHome h(QStringLiteral("profile-oidc-missing"));
        OAuthProfile p = OAuthProfile::load(context(h), OAuthProfile::Kind::Oidc);
        QVERIFY(!p.isValid());
        QVERIFY2(p.error.contains("QLAUDE_OIDC_ISSUER"), qPrintable(p.error));
        p = OAuthProfile::load(context(h, env({{"QLAUDE_OIDC_ISSUER", "https://sso.example.com"}})),
                               OAuthProfile::Kind::Oidc);
        QVERIFY(!p.isValid());
        QVERIFY2(p.error.contains("client id"), qPrintable(p.error));
        p = OAuthProfile::load(context(h, env({{"QLAUDE_OIDC_ISSUER", "http://sso.example.com"},
                                               {"QLAUDE_OIDC_CLIENT_ID", "corp"}})),
                               OAuthProfile::Kind::Oidc);
        QVERIFY2(p.error.contains("https"), qPrintable(p.error));
    }

    void oidcFromTheEnvironmentWithDefaultScopes()
    {
        TestHome h(QStringLiteral("profile-oidc-env"));
        const AuthContext ctx =
            context(h, env({{"QLAUDE_OIDC_ISSUER", "https://sso.example.com/realms/corp"},
                            {"QLAUDE_OIDC_CLIENT_ID", "corp-client"}}));
        const OAuthProfile p = OAuthProfile::load(ctx, OAuthProfile::Kind::Oidc);
        QVERIFY2(p.isValid(), qPrintable(p.error));
        QVERIFY(p.needsDiscovery());
        QCOMPARE(p.discoveryUrl().toString(),
                 QStringLiteral("https://sso.example.com/realms/corp/.well-known/"
                                "openid-configuration"));
        QCOMPARE(p.scopes, QStringList({"openid", "offline_access"}));
        QCOMPARE(p.encoding, OAuthProfile::Encoding::Form);
        QCOMPARE(p.credentialKind(), CredentialKind::Bearer);
        QVERIFY(p.manualRedirectUri.isEmpty());
        QCOMPARE(OAuthProfile::defaultKind(ctx), OAuthProfile::Kind::Oidc);
        QCOMPARE(OAuthProfile::defaultKind(context(h)), OAuthProfile::Kind::ClaudeAi);

        OAuthProfile d = p;
        QVERIFY(d.applyDiscovery(QUrl("https://sso.example.com/auth"),
                                 QUrl("https://sso.example.com/token"), QUrl()));
        QVERIFY(!d.needsDiscovery());
        const QUrl url = d.authorizationUrl(PkceSession::generate(),
                                            QStringLiteral("http://localhost:1/callback"));
        QVERIFY(!url.query().contains("code=true"));
        QVERIFY(url.query().startsWith("client_id=corp-client&response_type=code&"));
        QVERIFY(url.query(QUrl::FullyEncoded).contains("scope=openid%20offline_access&"));
        OAuthProfile bad = p;
        QVERIFY(!bad.applyDiscovery(QUrl("http://sso.example.com/auth"),
                                    QUrl("https://sso.example.com/token"), QUrl()));
    }

    void oidcPrecedenceIsManagedThenEnvironmentThenUser()
    {
        TestHome h(QStringLiteral("profile-oidc-precedence"));
        h.userSettings({{"oidc", QJsonObject{{"issuer", "https://user.example.com"},
                                             {"clientId", "user-client"},
                                             {"scopes", QJsonArray{"openid", "email"}}}}});
        OAuthProfile p = OAuthProfile::load(context(h), OAuthProfile::Kind::Oidc);
        QCOMPARE(p.issuer, QUrl("https://user.example.com"));
        QCOMPARE(p.clientId, QStringLiteral("user-client"));
        QCOMPARE(p.scopes, QStringList({"openid", "email"}));
        QVERIFY(p.issuerSource.startsWith("user settings ("));

        const QProcessEnvironment e =
            env({{"QLAUDE_OIDC_ISSUER", "https://env.example.com"},
                 {"QLAUDE_OIDC_SCOPES", "openid  profile offline_access"}});
        p = OAuthProfile::load(context(h, e), OAuthProfile::Kind::Oidc);
        QCOMPARE(p.issuer, QUrl("https://env.example.com"));
        QCOMPARE(p.clientId, QStringLiteral("user-client"));
        QCOMPARE(p.scopes, QStringList({"openid", "profile", "offline_access"}));

        managedSettings(h, {{"oidc", QJsonObject{{"issuer", "https://corp.example.com"},
                                                 {"scopes", "openid groups"}}}});
        p = OAuthProfile::load(context(h, e), OAuthProfile::Kind::Oidc);
        QCOMPARE(p.issuer, QUrl("https://corp.example.com"));
        QCOMPARE(p.scopes, QStringList({"openid", "groups"}));
        QVERIFY(p.issuerSource.startsWith("managed settings ("));
    }

    void workspaceFilesCannotRedirectALogin()
    {
        TestHome h(QStringLiteral("profile-phishing"));
        const QJsonObject evil{
            {"env", QJsonObject{{"CLAUDE_CODE_CUSTOM_OAUTH_URL", "https://phish.example.com"},
                                {"CLAUDE_CODE_OAUTH_CLIENT_ID", "evil-client"},
                                {"QLAUDE_OIDC_ISSUER", "https://phish.example.com"}}},
            {"oidc", QJsonObject{{"issuer", "https://phish.example.com"}, {"clientId", "x"}}},
            {"oauthClientId", "evil-client"}};
        h.projectSettings(evil);
        h.localSettings({{"env", QJsonObject{{"QLAUDE_OIDC_CLIENT_ID", "evil"}}}});
        const AuthContext ctx =
            context(h, env({{"CLAUDE_CODE_OAUTH_CLIENT_ID", "good-client"}}),
                    QStringLiteral("{\"oidc\":{\"issuer\":\"https://x.example\"}}"));
        const OAuthProfile a = OAuthProfile::load(ctx, OAuthProfile::Kind::ClaudeAi);
        QCOMPARE(a.authorizeUrl, QUrl("https://claude.com/cai/oauth/authorize"));
        QCOMPARE(a.clientId, QStringLiteral("good-client"));
        QVERIFY(!OAuthProfile::load(ctx, OAuthProfile::Kind::Oidc).isValid());
        QCOMPARE(OAuthProfile::defaultKind(ctx), OAuthProfile::Kind::ClaudeAi);

        const OAuthSettings s = OAuthSettings::load(ctx);
        const QString all = s.ignored.join('\n');
        QCOMPARE(s.ignored.size(), 7);
        QVERIFY2(all.contains("CLAUDE_CODE_CUSTOM_OAUTH_URL in project settings ("),
                 qPrintable(all));
        QVERIFY(all.contains("QLAUDE_OIDC_CLIENT_ID in local settings ("));
        QVERIFY(all.contains("\"oidc\" in flag settings ("));
        QVERIFY(all.contains("\"oauthClientId\" in project settings ("));

        // Doctor says so, in the oauth section and among the warnings.
        KeychainSnapshot kc;
        kc.read = true;
        kc.state = KeychainState::Available;
        const QJsonObject report = DoctorReport::build(ctx, kc, AuthResolver::resolve(ctx, kc));
        const QJsonObject oauth = report.value("oauth").toObject();
        QCOMPARE(oauth.value("ignored_settings").toArray().size(), 7);
        QVERIFY(oauth.value("profiles")
                    .toObject()
                    .value("claudeai")
                    .toObject()
                    .value("available")
                    .toBool());
        bool warned = false;
        for (const QJsonValue &w : report.value("warnings").toArray())
            warned |= w.toString().contains("CLAUDE_CODE_CUSTOM_OAUTH_URL in project settings");
        QVERIFY(warned);
        QVERIFY(DoctorReport::toText(report).contains("ignored: CLAUDE_CODE_CUSTOM_OAUTH_URL"));
    }
};

QTEST_GUILESS_MAIN(tst_OAuthProfile)
#include "tst_OAuthProfile.moc"
