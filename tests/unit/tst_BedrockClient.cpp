// Amazon Bedrock end to end through the shared call loop: SigV4 checked by a fake runtime that
// recomputes every signature, the event stream split at random byte boundaries, Bedrock's
// exception frames and HTTP errors, and the credential refresh on an expired token.
#include "AuthContext.h"
#include "AuthResolver.h"
#include "AuthorizerFactory.h"
#include "BedrockClient.h"
#include "FakeBedrockServer.h"
#include "ProviderFactory.h"
#include "TestSupport.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeBedrockResponse;
using qlaude::fakes::FakeBedrockServer;

class tst_BedrockClient : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestHome> m_home;
    FakeBedrockServer *m_server = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
    std::unique_ptr<AuthContext> m_context;
    std::unique_ptr<Authorizer> m_auth;
    std::unique_ptr<ProviderClient> m_client;
    Resolution m_resolution;
    QString m_secret;
    QList<qint64> m_delays;

    QProcessEnvironment baseEnv() const
    {
        QProcessEnvironment env = m_home->environment();
        env.insert("HOME", m_home->root());
        env.insert("CLAUDE_CODE_USE_BEDROCK", "1");
        env.insert("ANTHROPIC_BEDROCK_BASE_URL", m_server->baseUrl().toString());
        env.insert("AWS_REGION", "eu-west-1");
        return env;
    }

    QProcessEnvironment keysEnv() const
    {
        QProcessEnvironment env = baseEnv();
        env.insert("AWS_ACCESS_KEY_ID", "AKIATESTKEY");
        env.insert("AWS_SECRET_ACCESS_KEY", m_secret);
        return env;
    }

    void makeClient(const QProcessEnvironment &env, const QJsonObject &userSettings = {})
    {
        if (!userSettings.isEmpty())
            m_home->userSettings(userSettings);
        AuthContext::Options o;
        o.workspace = m_home->workspace();
        o.processEnvironment = env;
        o.managedDir = m_home->managedDir();
        o.trustStorePath = m_home->trustStore();
        m_context = std::make_unique<AuthContext>(AuthContext::load(o));
        m_resolution = AuthResolver::resolve(*m_context, KeychainSnapshot());
        m_auth = makeAuthorizer(*m_context, m_resolution);
        ProviderSetup s = makeProviderSetup(*m_context, m_resolution, m_auth.get());
        QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
        s.config.options.timeoutMs = 5000;
        m_client = std::make_unique<ProviderClient>(s.config, std::move(s.parts), m_nam);
        m_client->setScheduler([this](qint64 ms, std::function<void()> fire) {
            m_delays.append(ms);
            QTimer::singleShot(0, std::move(fire));
        });
        m_client->setJitterSource([] { return 0.0; });
    }

    static MessagesRequest
    request(const QString &model = QStringLiteral("us.anthropic.claude-sonnet-4-5-20250929-v1:0"))
    {
        MessagesRequest r;
        r.model = model;
        r.maxTokens = 64;
        r.messages = {MessageParam{QStringLiteral("user"), MessageContent(QStringLiteral("Hi"))}};
        return r;
    }

    static bool waitFinished(ApiCall *call)
    {
        if (call->isFinished())
            return true;
        QSignalSpy spy(call, &ApiCall::finished);
        return spy.wait(10000);
    }

    QString streamText(ApiCall *call)
    {
        QString text;
        connect(call, &ApiCall::textDelta, this, [&text](int, const QString &t) { text += t; });
        if (!waitFinished(call))
            return QStringLiteral("timed out");
        return text;
    }

private slots:
    void init()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("bedrock"));
        m_server = new FakeBedrockServer(this);
        QVERIFY(m_server->listen());
        m_server->setRegion("eu-west-1");
        m_secret = testSecret("aws-secret");
        AwsCredentials creds;
        creds.accessKeyId = "AKIATESTKEY";
        creds.secretAccessKey = m_secret;
        m_server->setCredentials(creds);
        m_nam = new QNetworkAccessManager(this);
        m_delays.clear();
    }
    void cleanup()
    {
        m_client.reset();
        delete m_nam;
        delete m_server;
    }

    void streamsWithSigV4AndTheBodyRewrite()
    {
        makeClient(keysEnv());
        QCOMPARE(m_resolution.credential.kind, CredentialKind::AwsSigV4);
        m_server->enqueue(FakeBedrockResponse::answer("Signed and streamed in pieces."));
        ClientConfig withBetas = m_client->config();
        ApiCall *call = m_client->stream(request());
        const QString text = streamText(call);
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(text, QStringLiteral("Signed and streamed in pieces."));
        QCOMPARE(call->message().stopReason, QStringLiteral("end_turn"));
        QVERIFY2(m_server->lastRejection().isEmpty(), qPrintable(m_server->lastRejection()));
        const auto req = m_server->lastRequest();
        QCOMPARE(req.target, QByteArray("/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/"
                                        "invoke-with-response-stream"));
        QCOMPARE(req.json.value("anthropic_version").toString(),
                 QStringLiteral("bedrock-2023-05-31"));
        QVERIFY(!req.json.contains("model") && !req.json.contains("stream"));
        QVERIFY(!req.hasHeader("anthropic-version"));
        QVERIFY(req.header("authorization").startsWith("AWS4-HMAC-SHA256 Credential=AKIATESTKEY/"));
        QVERIFY(req.header("authorization").contains("/eu-west-1/bedrock/aws4_request"));
        QVERIFY(!req.body.contains(m_secret.toUtf8()));
    }

    void anArnModelIdIsOnePathSegment()
    {
        makeClient(keysEnv());
        const QString arn = QStringLiteral("arn:aws:bedrock:eu-west-1:123456789012:"
                                           "inference-profile/eu.anthropic.claude-sonnet-4-5");
        ApiCall *call = m_client->stream(request(arn));
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_server->lastModelId(), arn);
        QVERIFY(m_server->lastRequest().target.contains("inference-profile%2Feu.anthropic"));
    }

    void betasGoIntoTheBody()
    {
        QProcessEnvironment env = keysEnv();
        env.insert("ANTHROPIC_BETAS", "interleaved-thinking-2025-05-14");
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_server->lastRequest().json.value("anthropic_beta").toArray(),
                 QJsonArray{"interleaved-thinking-2025-05-14"});
    }

    void aBedrockApiKeyIsSentAsBearerWithoutSigV4()
    {
        const QString token = testSecret("bedrock-api-key");
        m_server->setBearerToken(token.toUtf8());
        QProcessEnvironment env = baseEnv();
        env.insert("AWS_BEARER_TOKEN_BEDROCK", token);
        env.insert("AWS_ACCESS_KEY_ID", "AKIAIGNORED");
        env.insert("AWS_SECRET_ACCESS_KEY", "ignored");
        makeClient(env);
        QCOMPARE(m_resolution.credential.kind, CredentialKind::Bearer);
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QVERIFY(!m_server->lastRequest().hasHeader("x-amz-date"));
    }

    void skippedAuthSendsNoAuthorization()
    {
        m_server->setNoAuth(true);
        QProcessEnvironment env = baseEnv();
        env.insert("CLAUDE_CODE_SKIP_BEDROCK_AUTH", "1");
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QVERIFY(!m_server->lastRequest().hasHeader("authorization"));
    }

    void aWrongSecretIsRefusedClearly()
    {
        QProcessEnvironment env = keysEnv();
        env.insert("AWS_SECRET_ACCESS_KEY", "not-the-secret-0012");
        makeClient(env);
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->error().httpStatus, 403);
        QCOMPARE(call->error().type, QStringLiteral("InvalidSignatureException"));
        QVERIFY(call->error().hint.contains("AWS credentials"));
        // Environment keys cannot change by asking again: one request, no refresh loop.
        QCOMPARE(m_server->requests().size(), 1);
    }

    void throttlingBeforeContentIsRetried()
    {
        makeClient(keysEnv());
        m_server->enqueue(FakeBedrockResponse::exception("throttlingException", "Slow down"));
        m_server->enqueue(FakeBedrockResponse::answer("After the wait."));
        ApiCall *call = m_client->stream(request());
        QList<ApiError> retries;
        connect(call, &ApiCall::retrying, this,
                [&retries](int, qint64, const ApiError &e) { retries.append(e); });
        QCOMPARE(streamText(call), QStringLiteral("After the wait."));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(retries.size(), 1);
        QCOMPARE(retries.first().type, QStringLiteral("rate_limit_error"));
        QCOMPARE(m_server->requests().size(), 2);
    }

    void anExceptionAfterContentIsKeptAndMarked()
    {
        makeClient(keysEnv());
        m_server->enqueue(FakeBedrockResponse::exception("modelStreamErrorException",
                                                         "The model stopped", "Partial answer"));
        ApiCall *call = m_client->stream(request());
        const QString text = streamText(call);
        QCOMPARE(text, QStringLiteral("Partial"));
        QVERIFY(call->error().isError());
        QVERIFY(call->error().partial);
        QVERIFY(call->error().message.contains("modelStreamErrorException"));
        QCOMPARE(m_server->requests().size(), 1);
    }

    void httpErrorsCarryBedrocksHints()
    {
        makeClient(keysEnv());
        m_server->enqueue(FakeBedrockResponse::httpError(404, "ResourceNotFoundException",
                                                         "Could not resolve the foundation model"));
        ApiCall *call = m_client->stream(request("anthropic.claude-nonexistent"));
        QVERIFY(waitFinished(call));
        QCOMPARE(call->error().httpStatus, 404);
        QCOMPARE(call->error().type, QStringLiteral("ResourceNotFoundException"));
        QVERIFY(call->error().message.contains("Could not resolve the foundation model"));
        QVERIFY(call->error().hint.contains("eu-west-1"));
        QVERIFY(call->error().hint.contains("inference profile"));
        QVERIFY(!call->error().requestId.isEmpty());
    }

    void aDroppedStreamKeepsWhatArrived()
    {
        makeClient(keysEnv());
        m_server->enqueue(FakeBedrockResponse::drop("one two three"));
        ApiCall *call = m_client->stream(request());
        QCOMPARE(streamText(call), QStringLiteral("one"));
        QCOMPARE(call->error().kind, ApiError::Kind::Connection);
        QVERIFY(call->error().partial);
    }

    // An expired token from awsCredentialExport: the cache is cleared, the command runs again
    // and the request is signed anew, once.
    void expiredCredentialsAreRefreshedOnce()
    {
        const QString counter = m_home->root() + "/export-runs";
        const int cut = m_secret.indexOf("SECRET");
        QProcessEnvironment env = baseEnv();
        env.insert("QLAUDE_TEST_COUNTER", counter);
        AwsCredentials creds;
        creds.accessKeyId = "AKIAEXPORT";
        creds.secretAccessKey = m_secret;
        creds.sessionToken = "tok-export";
        m_server->setCredentials(creds);
        makeClient(env,
                   QJsonObject{{"awsCredentialExport",
                                helperCommand("aws_export.sh", QString(),
                                              {"sts", m_secret.left(cut), m_secret.mid(cut)})}});
        QCOMPARE(m_resolution.credential.source, QStringLiteral("aws:awsCredentialExport"));
        m_server->expireCredentials(1);
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_server->requests().size(), 2);
        QFile runs(counter);
        QVERIFY(runs.open(QIODevice::ReadOnly));
        QCOMPARE(runs.readAll().count('\n'), 2);
        QCOMPARE(m_server->lastRequest().header("x-amz-security-token"), QByteArray("tok-export"));
    }

    void noModelListOrTokenCount()
    {
        makeClient(keysEnv());
        QVERIFY(!m_client->capabilities().listModels);
        QVERIFY(!m_client->capabilities().countTokens);
        QCOMPARE(m_client->providerName(), QStringLiteral("bedrock"));
    }

    // No credentials anywhere, but awsAuthRefresh (like `aws sso login`): it runs once, its
    // device code reaches the user while it runs, and the chain then finds what it wrote.
    void awsAuthRefreshRunsWhenTheChainFindsNothing()
    {
        // The fixture writes a plaintext ~/.aws/credentials, as AWS's tools do: its secret is
        // not one of the suite's marked secrets, which may never reach a file.
        m_secret = QStringLiteral("file-written-aws-secret-0013");
        AwsCredentials creds;
        creds.accessKeyId = "AKIATESTKEY";
        creds.secretAccessKey = m_secret;
        m_server->setCredentials(creds);
        const int cut = 12;
        const QString counter = m_home->root() + "/refresh-runs";
        QProcessEnvironment env = baseEnv();
        env.insert("QLAUDE_TEST_COUNTER", counter);
        makeClient(env, QJsonObject{{"awsAuthRefresh",
                                     helperCommand("aws_refresh.sh", QString(),
                                                   {m_home->root() + "/.aws/credentials",
                                                    m_secret.left(cut), m_secret.mid(cut)})}});
        QCOMPARE(m_resolution.credential.source, QStringLiteral("aws:awsAuthRefresh"));
        QStringList progress;
        connect(m_client.get(), &ProviderClient::credentialProgress, this,
                [&progress](const QString &line) { progress << line; });
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QVERIFY2(progress.join('\n').contains("Then enter the code: WDDD-HRQV"),
                 qPrintable(progress.join('\n')));
        QFile runs(counter);
        QVERIFY(runs.open(QIODevice::ReadOnly));
        QCOMPARE(runs.readAll().count('\n'), 1);
        QVERIFY(m_server->lastRejection().isEmpty());
    }

    // Expired credentials: awsAuthRefresh runs before the chain is asked again.
    void anExpiredTokenRunsAwsAuthRefreshFirst()
    {
        const int cut = m_secret.indexOf("SECRET");
        const QString counter = m_home->root() + "/runs";
        QProcessEnvironment env = baseEnv();
        env.insert("QLAUDE_TEST_COUNTER", counter);
        AwsCredentials creds;
        creds.accessKeyId = "AKIAEXPORT";
        creds.secretAccessKey = m_secret;
        creds.sessionToken = "tok-export";
        m_server->setCredentials(creds);
        makeClient(env, QJsonObject{
                            {"awsCredentialExport",
                             helperCommand("aws_export.sh", QString(),
                                           {"sts", m_secret.left(cut), m_secret.mid(cut)})},
                            {"awsAuthRefresh", helperCommand("aws_refresh.sh", QString(), {"-"})}});
        m_server->expireCredentials(1);
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        // export, then (after the 403) refresh and export again.
        QFile runs(counter);
        QVERIFY(runs.open(QIODevice::ReadOnly));
        QCOMPARE(runs.readAll().count('\n'), 3);
    }
};

QTEST_GUILESS_MAIN(tst_BedrockClient)
#include "tst_BedrockClient.moc"
