// Microsoft Foundry end to end through the shared call loop: the /anthropic base URL from the
// resource or the base URL, an API key as x-api-key, an Entra ID token from the Azure CLI (a real
// script on PATH) refreshed once after a 401, skipped authentication, Azure's error shapes and
// what doctor reports.
#include "AuthContext.h"
#include "AuthResolver.h"
#include "AuthorizerFactory.h"
#include "FakeAnthropicServer.h"
#include "FoundryClient.h"
#include "ProviderFactory.h"
#include "ProviderStatus.h"
#include "TestSupport.h"

#include <QFile>
#include <QNetworkAccessManager>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;

class tst_FoundryClient : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestHome> m_home;
    FakeAnthropicServer *m_server = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
    std::unique_ptr<AuthContext> m_context;
    std::unique_ptr<Authorizer> m_auth;
    std::unique_ptr<ProviderClient> m_client;
    Resolution m_resolution;

    QProcessEnvironment baseEnv() const
    {
        QProcessEnvironment env = m_home->environment();
        env.insert("HOME", m_home->root());
        env.insert("CLAUDE_CODE_USE_FOUNDRY", "1");
        env.insert("ANTHROPIC_FOUNDRY_BASE_URL",
                   m_server->baseUrl().toString() + QStringLiteral("/anthropic"));
        env.insert("PATH", m_home->path("bin") + QStringLiteral(":/usr/bin:/bin"));
        return env;
    }

    // A fake `az` that prints token number N (N counts its runs) and logs its arguments.
    void writeAz(const QString &body)
    {
        QDir().mkpath(m_home->path("bin"));
        const QString path = m_home->path("bin/az");
        m_home->writeFile(path, body.toUtf8());
        QFile::setPermissions(path, QFile::permissions(path) | QFileDevice::ExeOwner);
    }
    void writeCountingAz()
    {
        writeAz(QStringLiteral("#!/bin/sh\n"
                               "n=$(cat \"$HOME/az-runs\" 2>/dev/null || echo 0); n=$((n+1)); "
                               "echo $n > \"$HOME/az-runs\"\n"
                               "echo \"$@\" > \"$HOME/az-args\"\n"
                               "exp=$(($(date +%s) + 3600))\n"
                               // The token is put together at run time: the script itself
                               // holds no test secret.
                               "printf '{\"accessToken\": \"entra-qlt%sSECRET-%s\", "
                               "\"expires_on\": %s, \"tokenType\": \"Bearer\"}\\n' \"\" "
                               "\"$n\" \"$exp\"\n"));
    }
    int azRuns() const
    {
        QFile f(m_home->path("az-runs"));
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toInt() : 0;
    }

    void makeClient(const QProcessEnvironment &env, const KeychainSnapshot &kc = KeychainSnapshot())
    {
        AuthContext::Options o;
        o.workspace = m_home->workspace();
        o.processEnvironment = env;
        o.managedDir = m_home->managedDir();
        o.trustStorePath = m_home->trustStore();
        m_context = std::make_unique<AuthContext>(AuthContext::load(o));
        m_resolution = AuthResolver::resolve(*m_context, kc);
        m_auth = makeAuthorizer(*m_context, m_resolution);
        ProviderSetup s = makeProviderSetup(*m_context, m_resolution, m_auth.get());
        QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
        s.config.options.timeoutMs = 5000;
        m_client = std::make_unique<ProviderClient>(s.config, std::move(s.parts), m_nam);
        m_client->setScheduler(
            [](qint64, std::function<void()> fire) { QTimer::singleShot(0, std::move(fire)); });
        m_client->setJitterSource([] { return 0.0; });
    }

    static MessagesRequest request()
    {
        MessagesRequest r;
        r.model = QStringLiteral("claude-sonnet-4-5");
        r.maxTokens = 64;
        r.messages = {MessageParam{QStringLiteral("user"), MessageContent(QStringLiteral("Hi"))}};
        return r;
    }

    QString streamText(ApiCall *call)
    {
        QString text;
        connect(call, &ApiCall::textDelta, this, [&text](int, const QString &t) { text += t; });
        if (!call->isFinished()) {
            QSignalSpy spy(call, &ApiCall::finished);
            if (!spy.wait(15000))
                return QStringLiteral("timed out");
        }
        return text;
    }

    FoundryConfig configFor(const QProcessEnvironment &env)
    {
        AuthContext::Options o;
        o.workspace = m_home->workspace();
        o.processEnvironment = env;
        o.managedDir = m_home->managedDir();
        o.trustStorePath = m_home->trustStore();
        return FoundryConfig::fromContext(AuthContext::load(o));
    }

private slots:
    void init()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("foundry"));
        m_server = new FakeAnthropicServer(this);
        QVERIFY(m_server->listen());
        m_server->setPathPrefix(QStringLiteral("/anthropic"));
        m_nam = new QNetworkAccessManager(this);
    }
    void cleanup()
    {
        m_client.reset();
        delete m_nam;
        delete m_server;
    }

    void apiKeyIsSentAsXApiKeyUnderTheAnthropicPath()
    {
        const QString key = testSecret("foundry-key");
        m_server->setExpectedApiKey(key.toUtf8());
        QProcessEnvironment env = baseEnv();
        env.insert("ANTHROPIC_FOUNDRY_API_KEY", key);
        makeClient(env);
        QCOMPARE(m_resolution.credential.kind, CredentialKind::ApiKey);
        ApiCall *call = m_client->stream(request());
        QCOMPARE(streamText(call), QStringLiteral("Hello from the fake API."));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        const auto req = m_server->lastRequest();
        QCOMPARE(req.path, QStringLiteral("/anthropic/v1/messages"));
        QVERIFY(req.header("x-api-key") == key.toUtf8());
        QVERIFY(req.header("authorization").isEmpty());
        QCOMPARE(req.json.value("model").toString(), QStringLiteral("claude-sonnet-4-5"));
        QVERIFY(!req.header("anthropic-version").isEmpty());
    }

    void keychainApiKeyIsUsedWhenTheEnvironmentHasNone()
    {
        const QString key = testSecret("foundry-keychain-key");
        m_server->setExpectedApiKey(key.toUtf8());
        KeychainSnapshot kc;
        kc.read = true;
        kc.state = KeychainState::Available;
        kc.cloud.insert("cloud:foundry-api-key", key);
        makeClient(baseEnv(), kc);
        QCOMPARE(m_resolution.credential.source, QStringLiteral("keychain:cloud:foundry-api-key"));
        ApiCall *call = m_client->stream(request());
        QCOMPARE(streamText(call), QStringLiteral("Hello from the fake API."));
    }

    void entraTokenFromTheAzureCliIsABearerAndA401RefreshesItOnce()
    {
        writeCountingAz();
        // The first token is refused (as an expired one would be); the second is accepted.
        m_server->setExpectedBearerToken("entra-qltSECRET-2");
        QProcessEnvironment env = baseEnv();
        env.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        makeClient(env);
        QCOMPARE(m_resolution.credential.kind, CredentialKind::EntraId);
        ApiCall *call = m_client->stream(request());
        const QString text = streamText(call);
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(text, QStringLiteral("Hello from the fake API."));
        QCOMPARE(azRuns(), 2);
        const auto reqs = m_server->requests();
        QCOMPARE(reqs.size(), 2);
        QCOMPARE(reqs.at(0).responseStatus, 401);
        QVERIFY(reqs.at(1).header("authorization") == "Bearer entra-qltSECRET-2");
        QVERIFY(reqs.at(1).header("x-api-key").isEmpty());
        QFile args(m_home->path("az-args"));
        QVERIFY(args.open(QIODevice::ReadOnly));
        QCOMPARE(args.readAll().trimmed(),
                 QByteArray("account get-access-token --output json --resource "
                            "https://cognitiveservices.azure.com"));
        // A second message reuses the cached token: az does not run again.
        ApiCall *again = m_client->stream(request());
        QCOMPARE(streamText(again), QStringLiteral("Hello from the fake API."));
        QCOMPARE(azRuns(), 2);
    }

    void scopeComesFromQlaudeFoundryScope()
    {
        writeCountingAz();
        QProcessEnvironment env = baseEnv();
        env.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        env.insert("QLAUDE_FOUNDRY_SCOPE", "https://ai.azure.com/.default");
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        streamText(call);
        QFile args(m_home->path("az-args"));
        QVERIFY(args.open(QIODevice::ReadOnly));
        QVERIFY(args.readAll().contains("--resource https://ai.azure.com"));
    }

    // A token source is hostile input: a token with a line break cannot add a header line.
    void aTokenWithALineBreakIsRefusedAndNothingIsSent()
    {
        writeAz(QStringLiteral("#!/bin/sh\nexp=$(($(date +%s) + 3600))\n"
                               "printf '{\"accessToken\": \"tok\\\\r\\\\nx-injected: 1\", "
                               "\"expires_on\": %s}\\n' \"$exp\"\n"));
        QProcessEnvironment env = baseEnv();
        env.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        streamText(call);
        QCOMPARE(call->error().kind, ApiError::Kind::Auth);
        QVERIFY2(call->error().message.contains("control character"),
                 qPrintable(call->error().userMessage()));
        QCOMPARE(m_server->requests().size(), 0);
    }

    void azLoginNeededIsQuotedAndNothingIsSent()
    {
        writeAz(QStringLiteral("#!/bin/sh\necho \"ERROR: Please run 'az login' to setup "
                               "account.\" >&2\nexit 1\n"));
        QProcessEnvironment env = baseEnv();
        env.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        streamText(call);
        QCOMPARE(call->error().kind, ApiError::Kind::Auth);
        QVERIFY2(call->error().userMessage().contains("Please run 'az login' to setup account."),
                 qPrintable(call->error().userMessage()));
        QCOMPARE(m_server->requests().size(), 0);
    }

    void skippedAuthSendsNoCredential()
    {
        QProcessEnvironment env = baseEnv();
        env.insert("CLAUDE_CODE_SKIP_FOUNDRY_AUTH", "1");
        env.insert("ANTHROPIC_CUSTOM_HEADERS", "x-gateway: yes");
        makeClient(env);
        QCOMPARE(m_resolution.credential.kind, CredentialKind::Skipped);
        m_server->setRequiredHeader("x-gateway", "yes");
        // The fake wants some credential: a gateway would add it. Accept none here.
        m_server->setExpectedApiKey(QByteArray());
        ApiCall *call = m_client->stream(request());
        streamText(call);
        const auto req = m_server->lastRequest();
        QVERIFY(req.header("x-api-key").isEmpty());
        QVERIFY(req.header("authorization").isEmpty());
    }

    void azureErrorShapesGetFoundryHints()
    {
        QProcessEnvironment env = baseEnv();
        env.insert("ANTHROPIC_FOUNDRY_API_KEY", testSecret("foundry-key"));
        makeClient(env);
        m_server->enqueue(FakeResponse::json(
            QJsonObject{
                {"error", QJsonObject{{"code", "DeploymentNotFound"},
                                      {"message", "The API deployment for this resource does not "
                                                  "exist."}}}},
            404));
        ApiCall *call = m_client->stream(request());
        streamText(call);
        const ApiError e = call->error();
        QCOMPARE(e.httpStatus, 404);
        QCOMPARE(e.type, QStringLiteral("DeploymentNotFound"));
        QVERIFY2(e.message.startsWith("Microsoft Foundry: The API deployment"),
                 qPrintable(e.message));
        QVERIFY2(e.hint.contains("No deployment named claude-sonnet-4-5"), qPrintable(e.hint));

        m_server->enqueue(FakeResponse::json(
            QJsonObject{{"error", QJsonObject{{"code", "PermissionDenied"},
                                              {"message", "Principal does not have access."}}}},
            403));
        ApiCall *denied = m_client->stream(request());
        streamText(denied);
        QVERIFY2(denied->error().hint.contains("Cognitive Services User"),
                 qPrintable(denied->error().hint));
    }

    void baseUrlComesFromTheResourceOrTheBaseUrl()
    {
        QProcessEnvironment env = m_home->environment();
        env.insert("CLAUDE_CODE_USE_FOUNDRY", "1");
        env.insert("ANTHROPIC_FOUNDRY_RESOURCE", "my-resource");
        FoundryConfig c = configFor(env);
        QCOMPARE(c.baseUrl.toString(),
                 QStringLiteral("https://my-resource.services.ai.azure.com/anthropic"));
        QVERIFY(c.error.isEmpty());
        QVERIFY(!c.resourceIgnored);

        env.insert("ANTHROPIC_FOUNDRY_BASE_URL", "https://gateway.example.com/anthropic");
        c = configFor(env);
        QCOMPARE(c.baseUrl.toString(), QStringLiteral("https://gateway.example.com/anthropic"));
        QVERIFY(c.resourceIgnored);

        env.remove("ANTHROPIC_FOUNDRY_BASE_URL");
        env.insert("ANTHROPIC_FOUNDRY_RESOURCE", "evil.example.com/x");
        c = configFor(env);
        QVERIFY(!c.baseUrl.isValid());
        QVERIFY2(c.error.contains("not a resource name"), qPrintable(c.error));

        env.remove("ANTHROPIC_FOUNDRY_RESOURCE");
        c = configFor(env);
        QVERIFY(c.error.contains("ANTHROPIC_FOUNDRY_RESOURCE"));
        QVERIFY(c.error.contains("ANTHROPIC_FOUNDRY_BASE_URL"));
    }

    void doctorNamesTheEndpointTheCredentialAndWhatIsMissing()
    {
        QProcessEnvironment env = m_home->environment();
        env.insert("HOME", m_home->root());
        env.insert("PATH", m_home->path("bin"));
        env.insert("CLAUDE_CODE_USE_FOUNDRY", "1");
        env.insert("ANTHROPIC_FOUNDRY_RESOURCE", "my-resource");
        env.insert("ANTHROPIC_FOUNDRY_BASE_URL", "https://gateway.example.com/anthropic");
        env.insert("AZURE_TENANT_ID", "tenant-1");
        env.insert("AZURE_CLIENT_ID", "client-1");
        env.insert("AZURE_CLIENT_SECRET", testSecret("azure-client-secret"));
        AuthContext::Options o;
        o.workspace = m_home->workspace();
        o.processEnvironment = env;
        o.managedDir = m_home->managedDir();
        o.trustStorePath = m_home->trustStore();
        const AuthContext ctx = AuthContext::load(o);
        const ProviderStatus st = ProviderStatus::of(Provider::Foundry, ctx, KeychainSnapshot());
        const QString facts = st.facts.join('\n');
        QVERIFY2(facts.contains("Endpoint: https://gateway.example.com/anthropic"),
                 qPrintable(facts));
        QVERIFY2(facts.contains("ANTHROPIC_FOUNDRY_RESOURCE is ignored"), qPrintable(facts));
        QVERIFY2(facts.contains("Microsoft Entra ID token from client secret"), qPrintable(facts));
        QVERIFY2(facts.contains("Tenant: tenant-1; client id: client-1"), qPrintable(facts));
        QVERIFY(!facts.contains("qltSECRET"));
        QVERIFY2(st.configured(), qPrintable(st.missing.join('\n')));

        env.remove("ANTHROPIC_FOUNDRY_BASE_URL");
        env.remove("ANTHROPIC_FOUNDRY_RESOURCE");
        o.processEnvironment = env;
        const ProviderStatus none =
            ProviderStatus::of(Provider::Foundry, AuthContext::load(o), KeychainSnapshot());
        QVERIFY(!none.configured());
        QVERIFY(none.missing.join(' ').contains("ANTHROPIC_FOUNDRY_RESOURCE"));
    }
};

QTEST_GUILESS_MAIN(tst_FoundryClient)
#include "tst_FoundryClient.moc"
