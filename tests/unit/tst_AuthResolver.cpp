#include "AuthResolver.h"
#include "TestSupport.h"

#include <QJsonDocument>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

namespace {
const QStringList kOrder = {
    "env:ANTHROPIC_AUTH_TOKEN",    "env:ANTHROPIC_API_KEY", "apiKeyHelper",
    "env:CLAUDE_CODE_OAUTH_TOKEN", "keychain:oauth",        "keychain:api-key"};

struct Setup
{
    QSet<QString> sources;
    bool bare = false;
    QProcessEnvironment extraEnv;
    QString flagSettings;
};

Setup only(const QSet<QString> &sources)
{
    Setup s;
    s.sources = sources;
    return s;
}
} // namespace

class tst_AuthResolver : public QObject
{
    Q_OBJECT

    // The verdict on `source`, or nullptr when the resolver did not consider it.
    static const SourceVerdict *verdictFor(const Resolution &r, const QString &source)
    {
        for (const SourceVerdict &v : r.considered) {
            if (v.source == source)
                return &v;
        }
        return nullptr;
    }

    Resolution resolveWith(const Setup &s, TestHome &h)
    {
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        o.bare = s.bare;
        o.flagSettings = s.flagSettings;
        for (const QString &k : s.extraEnv.keys())
            o.processEnvironment.insert(k, s.extraEnv.value(k));
        if (s.sources.contains("env:ANTHROPIC_AUTH_TOKEN"))
            o.processEnvironment.insert("ANTHROPIC_AUTH_TOKEN", "auth-token-value-0001");
        if (s.sources.contains("env:ANTHROPIC_API_KEY"))
            o.processEnvironment.insert("ANTHROPIC_API_KEY", "env-api-key-value-0002");
        if (s.sources.contains("env:CLAUDE_CODE_OAUTH_TOKEN"))
            o.processEnvironment.insert("CLAUDE_CODE_OAUTH_TOKEN", "oauth-env-token-0003");
        h.userSettings(s.sources.contains("apiKeyHelper")
                           ? QJsonObject{{"apiKeyHelper", "echo helper-key"}}
                           : QJsonObject{});
        KeychainSnapshot kc;
        kc.read = !s.bare;
        kc.state = KeychainState::Available;
        if (s.sources.contains("keychain:oauth"))
            kc.oauthJson = QString::fromUtf8(
                QJsonDocument(QJsonObject{{"accessToken", "stored-oauth-access-0004"},
                                          {"refreshToken", "r"},
                                          {"expiresAt", 0},
                                          {"profile", "claudeai"}})
                    .toJson());
        if (s.sources.contains("keychain:api-key"))
            kc.apiKey = "stored-api-key-value-0005";
        if (s.sources.contains("keychain:bearer-token"))
            kc.bearerToken = "stored-bearer-token-0016";
        return AuthResolver::resolve(AuthContext::load(o), kc);
    }

private slots:
    void eachPairOfSourcesPicksTheHigherOne_data()
    {
        QTest::addColumn<QString>("higher");
        QTest::addColumn<QString>("lower");
        for (int i = 0; i < kOrder.size(); ++i)
            for (int j = i + 1; j < kOrder.size(); ++j)
                QTest::newRow(qPrintable(kOrder[i] + " > " + kOrder[j])) << kOrder[i] << kOrder[j];
    }
    void eachPairOfSourcesPicksTheHigherOne()
    {
        QFETCH(QString, higher);
        QFETCH(QString, lower);
        TestHome h(QStringLiteral("pair"));
        const Resolution r = resolveWith(only({higher, lower}), h);
        QCOMPARE(r.credential.source, higher);
        const SourceVerdict *lowerVerdict = verdictFor(r, lower);
        const SourceVerdict *higherVerdict = verdictFor(r, higher);
        QVERIFY2(lowerVerdict, qPrintable(lower + QStringLiteral(" was not considered")));
        QVERIFY2(higherVerdict, qPrintable(higher + QStringLiteral(" was not considered")));
        QCOMPARE(lowerVerdict->status, SourceVerdict::Status::Shadowed);
        QVERIFY(lowerVerdict->reason.startsWith("Not used:"));
        QCOMPARE(higherVerdict->status, SourceVerdict::Status::Used);
        // A stored login that loses is called out, so nobody is billed by surprise.
        if (lower.startsWith("keychain:"))
            QVERIFY2(!r.warnings.isEmpty() && r.warnings.first().contains("is ignored"),
                     qPrintable(r.warnings.join('|')));
    }

    void kindsAndHeadersPerSource()
    {
        TestHome h(QStringLiteral("kinds"));
        Resolution r = resolveWith(only({"env:ANTHROPIC_API_KEY"}), h);
        QCOMPARE(r.credential.kind, CredentialKind::ApiKey);
        QCOMPARE(r.credential.apiKey, QStringLiteral("env-api-key-value-0002"));
        QVERIFY(r.credential.bearerToken.isEmpty());
        r = resolveWith(only({"env:ANTHROPIC_AUTH_TOKEN"}), h);
        QCOMPARE(r.credential.kind, CredentialKind::Bearer);
        QCOMPARE(r.credential.bearerToken, QStringLiteral("auth-token-value-0001"));
        QVERIFY(r.credential.apiKey.isEmpty());
        r = resolveWith(only({"env:ANTHROPIC_AUTH_TOKEN", "env:ANTHROPIC_API_KEY"}), h);
        QCOMPARE(r.credential.apiKey, QStringLiteral("env-api-key-value-0002"));
        QCOMPARE(r.credential.bearerToken, QStringLiteral("auth-token-value-0001"));
        r = resolveWith(only({"keychain:oauth"}), h);
        QCOMPARE(r.credential.kind, CredentialKind::OAuth);
        QCOMPARE(r.credential.bearerToken, QStringLiteral("stored-oauth-access-0004"));
        r = resolveWith(only({"apiKeyHelper"}), h);
        QCOMPARE(r.credential.kind, CredentialKind::ApiKey);
        QCOMPARE(r.helperCommand, QStringLiteral("echo helper-key"));
        QCOMPARE(r.helperFile, h.configDir() + "/settings.json");
    }

    void nothingGivesNoneWithAnActionableProblem()
    {
        TestHome h(QStringLiteral("none"));
        const Resolution r = resolveWith(Setup(), h);
        QVERIFY(!r.usable());
        QCOMPARE(credentialKindName(r.credential.kind), QStringLiteral("none"));
        QVERIFY(r.problems.last().contains("--login=api-key"));
    }

    void bareHonoursOnlyApiKeyAndFlagHelper()
    {
        TestHome h(QStringLiteral("bare"));
        Setup s = only({"env:ANTHROPIC_AUTH_TOKEN", "apiKeyHelper", "env:CLAUDE_CODE_OAUTH_TOKEN",
                        "keychain:oauth", "keychain:api-key"});
        s.bare = true;
        Resolution r = resolveWith(s, h);
        QVERIFY2(!r.usable(), qPrintable(r.credential.source));
        s.sources.insert("env:ANTHROPIC_API_KEY");
        r = resolveWith(s, h);
        QCOMPARE(r.credential.source, QStringLiteral("env:ANTHROPIC_API_KEY"));
        for (const char *source : {"env:ANTHROPIC_AUTH_TOKEN", "env:CLAUDE_CODE_OAUTH_TOKEN"}) {
            const SourceVerdict *v = verdictFor(r, QLatin1String(source));
            QVERIFY2(v, source);
            QCOMPARE(v->status, SourceVerdict::Status::Skipped);
        }
        // The user settings' helper is ignored; one from --settings is honoured.
        s.sources.remove("env:ANTHROPIC_API_KEY");
        s.flagSettings = QStringLiteral(R"({"apiKeyHelper":"echo flag-helper"})");
        r = resolveWith(s, h);
        QCOMPARE(r.credential.source, QStringLiteral("apiKeyHelper"));
        QCOMPARE(r.helperCommand, QStringLiteral("echo flag-helper"));
    }

    // Managed settings still load under --bare, but their apiKeyHelper does not run: only one
    // passed with --settings does.
    void bareIgnoresAManagedHelper()
    {
        TestHome h(QStringLiteral("bare-managed"));
        h.writeJson(h.managedDir() + "/managed-settings.json",
                    QJsonObject{{"apiKeyHelper", "echo managed-helper"}});
        Setup s = only({});
        s.bare = true;
        Resolution r = resolveWith(s, h);
        QVERIFY2(!r.usable(), qPrintable(r.helperCommand));
        QVERIFY(r.helperCommand.isEmpty());
        s.flagSettings = QStringLiteral(R"({"apiKeyHelper":"echo flag-helper"})");
        r = resolveWith(s, h);
        QCOMPARE(r.credential.source, QStringLiteral("apiKeyHelper"));
        QCOMPARE(r.helperCommand, QStringLiteral("echo flag-helper"));
    }

    void simpleEnvironmentMeansBare()
    {
        TestHome h(QStringLiteral("simple"));
        Setup s = only({"keychain:api-key"});
        s.extraEnv.insert("CLAUDE_CODE_SIMPLE", "1");
        const Resolution r = resolveWith(s, h);
        QVERIFY(!r.usable());
    }

    void managedContextForcesOAuth_data()
    {
        QTest::addColumn<QString>("var");
        QTest::addColumn<QString>("value");
        QTest::newRow("desktop") << "CLAUDE_CODE_ENTRYPOINT"
                                 << "claude-desktop";
        QTest::newRow("local-agent") << "CLAUDE_CODE_ENTRYPOINT"
                                     << "local-agent";
        QTest::newRow("remote") << "CLAUDE_CODE_REMOTE"
                                << "true";
    }
    void managedContextForcesOAuth()
    {
        QFETCH(QString, var);
        QFETCH(QString, value);
        TestHome h(QStringLiteral("managed"));
        Setup s = only({"env:ANTHROPIC_AUTH_TOKEN", "env:ANTHROPIC_API_KEY", "apiKeyHelper",
                        "keychain:api-key", "keychain:bearer-token", "keychain:oauth"});
        s.extraEnv.insert(var, value);
        Resolution r = resolveWith(s, h);
        QCOMPARE(r.credential.source, QStringLiteral("keychain:oauth"));
        for (const char *source : {"env:ANTHROPIC_AUTH_TOKEN", "env:ANTHROPIC_API_KEY",
                                   "apiKeyHelper", "keychain:api-key", "keychain:bearer-token"}) {
            const SourceVerdict *v = verdictFor(r, QLatin1String(source));
            QVERIFY2(v, source);
            QCOMPARE(v->status, SourceVerdict::Status::Skipped);
        }
        for (const SourceVerdict &v : r.considered) {
            if (v.source != "keychain:oauth" && v.source != "env:CLAUDE_CODE_OAUTH_TOKEN")
                QCOMPARE(v.status, SourceVerdict::Status::Skipped);
        }
        s.sources.remove("keychain:oauth");
        r = resolveWith(s, h);
        QVERIFY(!r.usable());
    }

    void cliEntrypointIsNotManaged()
    {
        TestHome h(QStringLiteral("cli"));
        Setup s = only({"env:ANTHROPIC_API_KEY"});
        s.extraEnv.insert("CLAUDE_CODE_ENTRYPOINT", "cli");
        QCOMPARE(resolveWith(s, h).credential.source, QStringLiteral("env:ANTHROPIC_API_KEY"));
    }

    void providerComesFromEnvironmentOrSettings()
    {
        TestHome h(QStringLiteral("provider"));
        Setup s = only({"env:ANTHROPIC_API_KEY"});
        s.extraEnv.insert("CLAUDE_CODE_USE_VERTEX", "1");
        s.extraEnv.insert("CLAUDE_CODE_USE_BEDROCK", "true");
        Resolution r = resolveWith(s, h);
        QCOMPARE(r.provider, Provider::Bedrock);
        QVERIFY(!r.usable());
        QVERIFY(r.problems.first().contains("No AWS credentials"));

        TestHome h2(QStringLiteral("provider-settings"));
        h2.userSettings({{"env", QJsonObject{{"CLAUDE_CODE_USE_FOUNDRY", "1"}}}});
        AuthContext::Options o;
        o.workspace = h2.workspace();
        o.processEnvironment = h2.environment();
        o.managedDir = h2.managedDir();
        o.trustStorePath = h2.trustStore();
        QCOMPARE(AuthContext::load(o).provider(), Provider::Foundry);
        o.processEnvironment.insert("CLAUDE_CODE_USE_VERTEX", "yes");
        QCOMPARE(AuthContext::load(o).provider(), Provider::Foundry); // Foundry before Vertex
    }

    void lockedKeychainIsNotLoggedOut()
    {
        TestHome h(QStringLiteral("locked"));
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        KeychainSnapshot kc;
        kc.read = true;
        kc.state = KeychainState::Locked;
        kc.stateMessage = KeychainStore::messageFor(KeychainState::Locked);
        const Resolution r = AuthResolver::resolve(AuthContext::load(o), kc);
        QVERIFY(!r.usable());
        QVERIFY(r.problems.first().contains("locked"));
        QVERIFY(r.problems.first().contains("not logged out"));
    }

    void untrustedProjectHelperIsExplained()
    {
        TestHome h(QStringLiteral("untrusted-helper"));
        h.projectSettings({{"apiKeyHelper", "echo project"}});
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        KeychainSnapshot kc;
        const Resolution r = AuthResolver::resolve(AuthContext::load(o), kc);
        QVERIFY(!r.usable());
        bool explained = false;
        for (const SourceVerdict &v : r.considered)
            explained |= v.source == "apiKeyHelper" && v.reason.contains("not trusted");
        QVERIFY(explained);
    }
    // Cloud providers: skipped authentication, then the key from the environment, then the one
    // the settings dialog saved in the keychain.
    void cloudKeysComeFromTheEnvironmentThenTheKeychain_data()
    {
        QTest::addColumn<QString>("useVar");
        QTest::addColumn<QString>("keyVar");
        QTest::addColumn<QString>("entry");
        QTest::addColumn<int>("kind");
        QTest::newRow("bedrock") << "CLAUDE_CODE_USE_BEDROCK"
                                 << "AWS_BEARER_TOKEN_BEDROCK"
                                 << "cloud:aws-bearer-token" << int(CredentialKind::Bearer);
        QTest::newRow("foundry") << "CLAUDE_CODE_USE_FOUNDRY"
                                 << "ANTHROPIC_FOUNDRY_API_KEY"
                                 << "cloud:foundry-api-key" << int(CredentialKind::ApiKey);
    }
    void cloudKeysComeFromTheEnvironmentThenTheKeychain()
    {
        QFETCH(QString, useVar);
        QFETCH(QString, keyVar);
        QFETCH(QString, entry);
        QFETCH(int, kind);
        TestHome h(QStringLiteral("cloud-") + entry.mid(6));
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.processEnvironment.insert(useVar, "1");
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        KeychainSnapshot kc;
        kc.read = true;
        kc.state = KeychainState::Available;
        kc.cloud.insert(entry, "stored-cloud-key-0007");

        Resolution r = AuthResolver::resolve(AuthContext::load(o), kc);
        QVERIFY(r.usable());
        QCOMPARE(r.credential.source, "keychain:" + entry);
        QCOMPARE(int(r.credential.kind), kind);
        QVERIFY((r.credential.apiKey + r.credential.bearerToken) == "stored-cloud-key-0007");
        // Both providers send requests now: nothing says otherwise.
        QVERIFY(!r.problems.join(' ').contains("cannot send requests"));

        o.processEnvironment.insert(keyVar, "env-cloud-key-0008");
        r = AuthResolver::resolve(AuthContext::load(o), kc);
        QCOMPARE(r.credential.source, "env:" + keyVar);
        bool shadowed = false;
        for (const SourceVerdict &v : r.considered)
            shadowed = shadowed || (v.source == "keychain:" + entry &&
                                    v.status == SourceVerdict::Status::Shadowed);
        QVERIFY(shadowed);
        QVERIFY(r.summary.contains(keyVar));

        o.processEnvironment.insert(QString(useVar).replace("USE", "SKIP") + "_AUTH", "1");
        r = AuthResolver::resolve(AuthContext::load(o), kc);
        QCOMPARE(r.credential.kind, CredentialKind::Skipped);
        QVERIFY(r.usable());
        QVERIFY(!r.credential.hasSecret());
        QVERIFY(r.summary.contains("No ") && r.summary.contains("authentication is sent"));
    }

    void vertexUsesApplicationDefaultCredentials()
    {
        TestHome h(QStringLiteral("cloud-vertex"));
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.processEnvironment.insert("CLAUDE_CODE_USE_VERTEX", "1");
        o.processEnvironment.insert("HOME", h.root());
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        // A key file: the credential names it (the token is fetched when a request is signed).
        h.writeJson(h.path("sa.json"), QJsonObject{{"type", "service_account"},
                                                   {"client_email", "sa@p.iam.gserviceaccount.com"},
                                                   {"private_key", "unused"},
                                                   {"project_id", "p"}});
        o.processEnvironment.insert("GOOGLE_APPLICATION_CREDENTIALS", h.path("sa.json"));
        Resolution r = AuthResolver::resolve(AuthContext::load(o), KeychainSnapshot());
        QVERIFY(r.usable());
        QCOMPARE(r.credential.kind, CredentialKind::GoogleAdc);
        QVERIFY2(r.credential.source.contains("service_account"), qPrintable(r.credential.source));
        QVERIFY(!r.credential.hasSecret() || r.credential.apiKey.isEmpty());
        // A broken file is not usable, and says why.
        h.writeFile(h.path("sa.json"), "{not json");
        r = AuthResolver::resolve(AuthContext::load(o), KeychainSnapshot());
        QVERIFY(!r.usable());
        QCOMPARE(r.considered.last().source,
                 QStringLiteral("google:application-default-credentials"));
        QVERIFY2(r.considered.last().reason.contains("GOOGLE_APPLICATION_CREDENTIALS"),
                 qPrintable(r.considered.last().reason));
    }

    // The login dialog's "Bearer token" route stores the token under "bearer-token": it must
    // be found, after a stored API key, and never in --bare.
    void aStoredBearerTokenIsUsed()
    {
        TestHome h(QStringLiteral("stored-bearer"));
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        KeychainSnapshot kc;
        kc.read = true;
        kc.state = KeychainState::Available;
        kc.bearerToken = "stored-gateway-token-0014";
        Resolution r = AuthResolver::resolve(AuthContext::load(o), kc);
        QCOMPARE(r.credential.source, QStringLiteral("keychain:bearer-token"));
        QCOMPARE(r.credential.kind, CredentialKind::Bearer);
        QVERIFY(r.credential.bearerToken == kc.bearerToken);
        QVERIFY(r.credential.apiKey.isEmpty());
        kc.apiKey = "stored-api-key-value-0015";
        r = AuthResolver::resolve(AuthContext::load(o), kc);
        QCOMPARE(r.credential.source, QStringLiteral("keychain:api-key"));
        o.bare = true;
        kc.apiKey.clear();
        QVERIFY(!AuthResolver::resolve(AuthContext::load(o), kc).usable());
    }
};

QTEST_GUILESS_MAIN(tst_AuthResolver)
#include "tst_AuthResolver.moc"
