// Google Vertex AI end to end through the shared call loop: the URL (project, region per model
// family, the regional hosts), the body rewrite, count_tokens, Google's error shape, a token
// from Application Default Credentials (a service-account key checked by a fake Google token
// endpoint) refreshed once after a 401, and what doctor reports.
#include "AuthContext.h"
#include "AuthResolver.h"
#include "AuthorizerFactory.h"
#include "FakeGoogleServer.h"
#include "FakeVertexServer.h"
#include "ProviderFactory.h"
#include "ProviderStatus.h"
#include "TestKeys.h"
#include "TestSupport.h"
#include "VertexClient.h"

#include <QNetworkAccessManager>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeGoogleServer;
using qlaude::fakes::FakeResponse;
using qlaude::fakes::FakeVertexServer;

class tst_VertexClient : public QObject
{
    Q_OBJECT

protected:
    std::unique_ptr<TestHome> m_home;
    FakeVertexServer *m_server = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
    std::unique_ptr<AuthContext> m_context;
    std::unique_ptr<Authorizer> m_auth;
    std::unique_ptr<ProviderClient> m_client;
    Resolution m_resolution;

    QProcessEnvironment baseEnv() const
    {
        QProcessEnvironment env = m_home->environment();
        env.insert("HOME", m_home->root());
        env.insert("CLAUDE_CODE_USE_VERTEX", "1");
        env.insert("ANTHROPIC_VERTEX_BASE_URL", m_server->baseUrl().toString() + "/v1");
        env.insert("ANTHROPIC_VERTEX_PROJECT_ID", "my-project");
        env.insert("CLOUD_ML_REGION", "us-east5");
        env.insert("CLAUDE_CODE_MAX_RETRIES", "0");
        env.insert("GCE_METADATA_HOST", "127.0.0.1:9");
        return env;
    }
    QProcessEnvironment skipEnv() const
    {
        QProcessEnvironment env = baseEnv();
        env.insert("CLAUDE_CODE_SKIP_VERTEX_AUTH", "1");
        return env;
    }

    AuthContext load(const QProcessEnvironment &env) const
    {
        AuthContext::Options o;
        o.workspace = m_home->workspace();
        o.processEnvironment = env;
        o.managedDir = m_home->managedDir();
        o.trustStorePath = m_home->trustStore();
        return AuthContext::load(o);
    }

    void makeClient(const QProcessEnvironment &env)
    {
        m_context = std::make_unique<AuthContext>(load(env));
        m_resolution = AuthResolver::resolve(*m_context, KeychainSnapshot());
        m_auth = makeAuthorizer(*m_context, m_resolution);
        ProviderSetup s = makeProviderSetup(*m_context, m_resolution, m_auth.get());
        QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
        s.config.options.timeoutMs = 5000;
        m_client = std::make_unique<ProviderClient>(s.config, std::move(s.parts), m_nam);
        m_client->setScheduler(
            [](qint64, std::function<void()> fire) { QTimer::singleShot(0, std::move(fire)); });
        m_client->setJitterSource([] { return 0.0; });
    }

    static MessagesRequest
    request(const QString &model = QStringLiteral("claude-sonnet-4-5@20250929"))
    {
        MessagesRequest r;
        r.model = model;
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

private slots:
    void init()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("vertex"));
        m_server = new FakeVertexServer(this);
        QVERIFY(m_server->listen());
        m_nam = new QNetworkAccessManager(this);
    }
    void cleanup()
    {
        m_client.reset();
        delete m_nam;
        delete m_server;
    }

    void streamsToTheModelsPathWithTheRewrittenBody()
    {
        m_server->setRequireAuth(false);
        m_server->setExpectedProject("my-project");
        m_server->setExpectedRegion("us-east5");
        QProcessEnvironment env = skipEnv();
        env.insert("ANTHROPIC_BETAS", "context-1m-2025-08-07");
        makeClient(env);
        QCOMPARE(m_resolution.credential.kind, CredentialKind::Skipped);
        ApiCall *call = m_client->stream(request());
        const QString text = streamText(call);
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QVERIFY2(m_server->lastRejection().isEmpty(), qPrintable(m_server->lastRejection()));
        QCOMPARE(text, QStringLiteral("Hello from fake Vertex AI."));
        const auto req = m_server->requests().last();
        // '@' stays literal in the model segment.
        QCOMPARE(req.target, QByteArray("/v1/projects/my-project/locations/us-east5/publishers/"
                                        "anthropic/models/claude-sonnet-4-5@20250929:"
                                        "streamRawPredict"));
        QVERIFY(!req.json.contains("model"));
        QCOMPARE(req.json.value("stream").toBool(), true);
        QCOMPARE(req.json.value("anthropic_version").toString(),
                 QStringLiteral("vertex-2023-10-16"));
        QVERIFY(req.header("anthropic-version").isEmpty());
        QCOMPARE(req.header("anthropic-beta"), QByteArray("context-1m-2025-08-07"));
        QVERIFY(req.header("authorization").isEmpty());
    }

    void aModelFamilysRegionVariableWinsOverCloudMlRegion()
    {
        m_server->setRequireAuth(false);
        QProcessEnvironment env = skipEnv();
        env.insert("VERTEX_REGION_CLAUDE_HAIKU_4_5", "europe-west1");
        makeClient(env);
        streamText(m_client->stream(request(QStringLiteral("claude-haiku-4-5@20251001"))));
        QCOMPARE(m_server->lastRegion(), QStringLiteral("europe-west1"));
        QCOMPARE(m_server->lastModel(), QStringLiteral("claude-haiku-4-5@20251001"));
        streamText(m_client->stream(request()));
        QCOMPARE(m_server->lastRegion(), QStringLiteral("us-east5"));
    }

    void regionVariablesMatchWholeModelFamilies()
    {
        QCOMPARE(VertexConfig::regionVariableFor("claude-sonnet-4-5@20250929"),
                 QStringLiteral("VERTEX_REGION_CLAUDE_4_5_SONNET"));
        QCOMPARE(VertexConfig::regionVariableFor("claude-sonnet-4@20250514"),
                 QStringLiteral("VERTEX_REGION_CLAUDE_4_0_SONNET"));
        QCOMPARE(VertexConfig::regionVariableFor("claude-opus-4-6"),
                 QStringLiteral("VERTEX_REGION_CLAUDE_4_6_OPUS"));
        QCOMPARE(VertexConfig::regionVariableFor("claude-3-5-haiku@20241022"),
                 QStringLiteral("VERTEX_REGION_CLAUDE_3_5_HAIKU"));
        QCOMPARE(VertexConfig::regionVariableFor("claude-sonnet-40"), QString());
        QCOMPARE(VertexConfig::regionVariableFor("my-tuned-model"), QString());
    }

    void regionsPickTheirHosts()
    {
        QCOMPARE(VertexConfig::baseFor("global"),
                 QStringLiteral("https://aiplatform.googleapis.com/v1"));
        QCOMPARE(VertexConfig::baseFor("us"),
                 QStringLiteral("https://aiplatform.us.rep.googleapis.com/v1"));
        QCOMPARE(VertexConfig::baseFor("eu"),
                 QStringLiteral("https://aiplatform.eu.rep.googleapis.com/v1"));
        QCOMPARE(VertexConfig::baseFor("europe-west4"),
                 QStringLiteral("https://europe-west4-aiplatform.googleapis.com/v1"));
        QProcessEnvironment env = skipEnv();
        env.remove("ANTHROPIC_VERTEX_BASE_URL");
        env.insert("CLOUD_ML_REGION", "global");
        env.insert("ANTHROPIC_VERTEX_PROJECT_ID", "p 1");
        QString error;
        const QUrl url =
            VertexConfig::fromContext(load(env)).urlFor("claude-opus-4-6", "rawPredict", &error);
        QCOMPARE(url.toEncoded(),
                 QByteArray("https://aiplatform.googleapis.com/v1/projects/p%201/locations/global/"
                            "publishers/anthropic/models/claude-opus-4-6:rawPredict"));
    }

    void aRegionThatIsNotAHostLabelIsRefused()
    {
        QProcessEnvironment env = skipEnv();
        env.insert("CLOUD_ML_REGION", "evil.example.com/x");
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        streamText(call);
        QVERIFY(call->error().isError());
        QVERIFY2(call->error().userMessage().contains("is not a region name"),
                 qPrintable(call->error().userMessage()));
        QCOMPARE(m_server->requests().size(), 0);
    }

    void countTokensUsesTheCountingModelAndKeepsTheModelInTheBody()
    {
        m_server->setRequireAuth(false);
        makeClient(skipEnv());
        QVERIFY(m_client->capabilities().countTokens);
        qint64 tokens = -1;
        bool done = false;
        m_client->countTokens(request(), [&](qint64 n, const ApiError &e) {
            QVERIFY2(!e.isError(), qPrintable(e.userMessage()));
            tokens = n;
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
        QVERIFY(tokens > 0);
        QCOMPARE(m_server->lastModel(), QStringLiteral("count-tokens"));
        QCOMPARE(m_server->lastMethod(), QStringLiteral("rawPredict"));
        QCOMPARE(m_server->requests().last().json.value("model").toString(),
                 QStringLiteral("claude-sonnet-4-5@20250929"));
    }

    void googleErrorShapeBecomesAQuotaError()
    {
        m_server->setRequireAuth(false);
        makeClient(skipEnv());
        m_server->enqueueGoogleError(429, "RESOURCE_EXHAUSTED",
                                     "Quota exceeded for aiplatform.googleapis.com/"
                                     "online_prediction_requests_per_base_model");
        ApiCall *call = m_client->stream(request());
        streamText(call);
        const ApiError e = call->error();
        QCOMPARE(e.httpStatus, 429);
        QCOMPARE(e.type, QStringLiteral("RESOURCE_EXHAUSTED"));
        QVERIFY2(e.message.startsWith("Google Vertex AI: Quota exceeded"), qPrintable(e.message));
        QVERIFY2(e.hint.contains("quota"), qPrintable(e.hint));

        m_server->enqueueGoogleError(403, "PERMISSION_DENIED",
                                     "Vertex AI API has not been used in project my-project "
                                     "before or it is disabled. Enable aiplatform.googleapis.com");
        ApiCall *disabled = m_client->stream(request());
        streamText(disabled);
        QVERIFY2(disabled->error().hint.contains("not enabled in project my-project"),
                 qPrintable(disabled->error().hint));
    }

    void aMissingProjectNamesTheVariableToSet()
    {
        QProcessEnvironment env = skipEnv();
        env.remove("ANTHROPIC_VERTEX_PROJECT_ID");
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        streamText(call);
        QVERIFY2(call->error().userMessage().contains("ANTHROPIC_VERTEX_PROJECT_ID"),
                 qPrintable(call->error().userMessage()));
        QVERIFY(!call->error().userMessage().contains("required"));
        QCOMPARE(m_server->requests().size(), 0);
        const ProviderStatus st =
            ProviderStatus::of(Provider::Vertex, load(env), KeychainSnapshot());
        QVERIFY(st.missing.join(' ').contains("ANTHROPIC_VERTEX_PROJECT_ID"));
    }

    void aServiceAccountTokenIsTheBearerAndA401RefreshesItOnce()
    {
        FakeGoogleServer google;
        QVERIFY(google.listen());
        const fakes::TestRsaKey key = fakes::TestRsaKey::generate();
        const QString email = QStringLiteral("vertex@sa-project.iam.gserviceaccount.com");
        google.setServiceAccount(email, key.publicKeyPem);
        m_home->writeJson(m_home->path("sa.json"),
                          QJsonObject{{"type", "service_account"},
                                      {"project_id", "sa-project"},
                                      {"private_key", QString::fromLatin1(key.privateKeyPem)},
                                      {"client_email", email},
                                      {"token_uri", google.tokenUrl().toString()},
                                      {"quota_project_id", "billing-project"}});
        // The first token is refused, as an expired one would be; the second is accepted.
        m_server->setExpectedToken("ya29.qltSECRET-oauth-2");
        QProcessEnvironment env = baseEnv();
        env.insert("GOOGLE_APPLICATION_CREDENTIALS", m_home->path("sa.json"));
        makeClient(env);
        QCOMPARE(m_resolution.credential.kind, CredentialKind::GoogleAdc);
        ApiCall *call = m_client->stream(request());
        const QString text = streamText(call);
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(text, QStringLiteral("Hello from fake Vertex AI."));
        QCOMPARE(google.requestCount(FakeGoogleServer::Route::Token), 2);
        QCOMPARE(google.verifiedAssertions(), 2);
        const auto reqs = m_server->requests();
        QCOMPARE(reqs.size(), 2);
        QCOMPARE(reqs.at(0).responseStatus, 401);
        QVERIFY(reqs.at(1).header("authorization") == "Bearer ya29.qltSECRET-oauth-2");
        QCOMPARE(reqs.at(1).header("x-goog-user-project"), QByteArray("billing-project"));
        // GOOGLE_APPLICATION_CREDENTIALS is set, so the file's project wins over
        // ANTHROPIC_VERTEX_PROJECT_ID, as in the CLI.
        QCOMPARE(m_server->lastProject(), QStringLiteral("sa-project"));
        // The next message reuses the cached token.
        streamText(m_client->stream(request()));
        QCOMPARE(google.requestCount(FakeGoogleServer::Route::Token), 2);
    }

    void onGoogleCloudTheMetadataServerGivesTokenAndProject()
    {
        FakeGoogleServer google;
        QVERIFY(google.listen());
        google.setProjectId("metadata-project");
        m_server->setExpectedProject("metadata-project");
        QProcessEnvironment env = baseEnv();
        env.remove("ANTHROPIC_VERTEX_PROJECT_ID");
        env.remove("GCE_METADATA_IP"); // it would win over GCE_METADATA_HOST
        env.insert("GCE_METADATA_HOST", google.metadataHost());
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        const QString text = streamText(call);
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(text, QStringLiteral("Hello from fake Vertex AI."));
        QCOMPARE(m_server->lastProject(), QStringLiteral("metadata-project"));
        QVERIFY(m_server->requests().last().header("authorization").startsWith("Bearer ya29."));
    }

    void noGoogleCredentialsIsAClearErrorAndNothingIsSent()
    {
        QProcessEnvironment env = baseEnv();
        env.insert("METADATA_SERVER_DETECTION", "none");
        makeClient(env);
        QVERIFY(!m_resolution.usable());
        // Even so, a call made anyway fails before sending.
        ProviderSetup s = makeProviderSetup(*m_context, m_resolution, m_auth.get());
        QVERIFY(s.error.isEmpty());
        QVERIFY2(m_resolution.considered.last().reason.contains("GOOGLE_APPLICATION_CREDENTIALS") ||
                     m_resolution.considered.last().reason.contains("gcloud"),
                 qPrintable(m_resolution.considered.last().reason));
        QCOMPARE(m_server->requests().size(), 0);
    }

    void doctorShowsProjectRegionAndTheFinalUrl()
    {
        QProcessEnvironment env = skipEnv();
        env.insert("VERTEX_REGION_CLAUDE_4_5_SONNET", "europe-west4");
        const ProviderStatus st =
            ProviderStatus::of(Provider::Vertex, load(env), KeychainSnapshot());
        const QString facts = st.facts.join('\n');
        QVERIFY2(facts.contains("Project: my-project (ANTHROPIC_VERTEX_PROJECT_ID"),
                 qPrintable(facts));
        QVERIFY2(facts.contains("Region: us-east5 (CLOUD_ML_REGION"), qPrintable(facts));
        QVERIFY2(facts.contains("Region for VERTEX_REGION_CLAUDE_4_5_SONNET: europe-west4"),
                 qPrintable(facts));
        QVERIFY2(facts.contains("/projects/my-project/locations/europe-west4/publishers/anthropic/"
                                "models/claude-sonnet-4-5@20250929:streamRawPredict"),
                 qPrintable(facts));
        QVERIFY2(facts.contains("Authentication: skipped"), qPrintable(facts));
        QVERIFY2(st.configured(), qPrintable(st.missing.join('\n')));
    }
};

QTEST_GUILESS_MAIN(tst_VertexClient)
#include "tst_VertexClient.moc"
