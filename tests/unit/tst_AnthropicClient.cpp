#include "AnthropicClient.h"
#include "FakeAnthropicServer.h"
#include "FakeResponse.h"
#include "RawRecordingServer.h"
#include "TestSupport.h"

#include <QNetworkAccessManager>
#include <QtTest>

using namespace qlaude;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;
using qlaude::fakes::RawRecordingServer;

namespace {
// A credential source that counts invalidations and can hand out a new key after a 401.
class CountingAuthorizer : public Authorizer
{
public:
    Credential credential;
    Credential afterRefresh;
    bool refreshable = false;
    int invalidations = 0;
    void authorize(Callback cb) override { cb(credential, QString()); }
    bool invalidate() override
    {
        ++invalidations;
        if (refreshable && afterRefresh.isValid())
            credential = afterRefresh;
        return refreshable;
    }
};

Credential apiKey(const QString &key)
{
    Credential c;
    c.kind = CredentialKind::ApiKey;
    c.source = QStringLiteral("env:ANTHROPIC_API_KEY");
    c.apiKey = key;
    return c;
}

MessagesRequest simpleRequest()
{
    MessagesRequest r;
    r.model = QStringLiteral("claude-sonnet-4-5");
    r.maxTokens = 256;
    r.messages = {MessageParam{QStringLiteral("user"), MessageContent(QStringLiteral("Hi"))}};
    return r;
}
} // namespace

class tst_AnthropicClient : public QObject
{
    Q_OBJECT

    FakeAnthropicServer *m_server = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
    CountingAuthorizer m_auth;
    QList<qint64> m_delays; // every wait the client asked for, fired at once

    std::unique_ptr<AnthropicClient> makeClient(ClientConfig config = ClientConfig())
    {
        config.baseUrl = m_server->baseUrl();
        if (config.options.timeoutMs == RequestOptions::kDefaultTimeoutMs)
            config.options.timeoutMs = 5000;
        auto c = std::make_unique<AnthropicClient>(config, &m_auth, m_nam);
        c->setScheduler([this](qint64 ms, std::function<void()> fire) {
            m_delays.append(ms);
            QTimer::singleShot(0, std::move(fire));
        });
        c->setJitterSource([] { return 0.0; });
        c->setClock([] { return QDateTime(QDate(2026, 11, 25), QTime(10, 0, 0), Qt::UTC); });
        return c;
    }

    // Event-driven: QTest::qWaitFor sleeps 10 ms between polls, which would pace the stream.
    static bool waitFinished(ApiCall *call, int ms = 10000)
    {
        if (call->isFinished())
            return true;
        QSignalSpy spy(call, &ApiCall::finished);
        return spy.wait(ms);
    }

    std::unique_ptr<AnthropicClient> makeRawClient(RawRecordingServer &raw,
                                                   ClientConfig config = ClientConfig())
    {
        config.baseUrl = raw.baseUrl();
        config.options.timeoutMs = 5000;
        auto c = std::make_unique<AnthropicClient>(config, &m_auth, m_nam);
        c->setScheduler(
            [](qint64, std::function<void()> fire) { QTimer::singleShot(0, std::move(fire)); });
        c->setJitterSource([] { return 0.0; });
        return c;
    }

private slots:
    void init()
    {
        m_server = new FakeAnthropicServer(this);
        QVERIFY(m_server->listen());
        m_nam = new QNetworkAccessManager(this);
        m_auth = CountingAuthorizer();
        m_auth.credential = apiKey(QStringLiteral("sk-ant-test-key-0001"));
        m_server->setExpectedApiKey("sk-ant-test-key-0001");
        m_delays.clear();
    }
    void cleanup()
    {
        delete m_nam;
        delete m_server;
    }

    void streamsTextAndSendsTheRightHeaders()
    {
        ClientConfig cfg;
        cfg.betas = {QStringLiteral("extra-beta-1")};
        cfg.options.additionalProtection = true;
        QStringList errors;
        cfg.options.customHeaders = RequestOptions::parseCustomHeaders(
            QStringLiteral("X-Team: qlaude\nX-Trace: 7"), &errors);
        auto client = makeClient(cfg);
        m_server->enqueue(FakeResponse::text(QStringLiteral("Hello, streaming world.")));
        m_server->setChunkSize(1);
        ApiCall *call = client->stream(simpleRequest());
        QString text;
        connect(call, &ApiCall::textDelta, this, [&text](int, const QString &t) { text += t; });
        QVERIFY2(waitFinished(call, 30000),
                 qPrintable(text + " / " + m_server->lastRequest().summary()));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(text, QStringLiteral("Hello, streaming world."));
        QCOMPARE(call->message().content.first().text, text);
        QCOMPARE(call->message().stopReason, QStringLiteral("end_turn"));
        const auto req = m_server->lastRequest();
        QCOMPARE(req.header("anthropic-version"), QByteArray("2023-06-01"));
        QCOMPARE(req.header("x-api-key"), QByteArray("sk-ant-test-key-0001"));
        QVERIFY(!req.hasHeader("authorization"));
        QCOMPARE(req.header("anthropic-beta"), QByteArray("extra-beta-1"));
        QCOMPARE(req.header("x-anthropic-additional-protection"), QByteArray("true"));
        QCOMPARE(req.header("x-team"), QByteArray("qlaude"));
        QCOMPARE(req.header("x-trace"), QByteArray("7"));
        QCOMPARE(req.json.value("stream").toBool(), true);
        QVERIFY(!req.json.contains("temperature"));
        QVERIFY(!req.json.contains("top_p"));
        QVERIFY(!req.json.contains("top_k"));
    }

    void oauthCredentialSendsBearerAndOAuthBeta()
    {
        auto client = makeClient();
        m_auth.credential = Credential();
        m_auth.credential.kind = CredentialKind::OAuth;
        m_auth.credential.source = QStringLiteral("keychain:oauth");
        m_auth.credential.bearerToken = QStringLiteral("oauth-access-token-0002");
        m_server->setExpectedApiKey(QByteArray());
        m_server->setExpectedBearerToken("oauth-access-token-0002");
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        const auto req = m_server->lastRequest();
        QCOMPARE(req.header("authorization"), QByteArray("Bearer oauth-access-token-0002"));
        QVERIFY(!req.hasHeader("x-api-key"));
        QVERIFY(req.betas().contains("oauth-2025-04-20"));
    }

    void retriesRetryableStatusesWithBackoff_data()
    {
        QTest::addColumn<int>("status");
        QTest::newRow("408") << 408;
        QTest::newRow("409") << 409;
        QTest::newRow("429") << 429;
        QTest::newRow("500") << 500;
        QTest::newRow("503") << 503;
        QTest::newRow("529") << 529;
    }
    void retriesRetryableStatusesWithBackoff()
    {
        QFETCH(int, status);
        auto client = makeClient();
        m_server->enqueue(FakeResponse::error(status));
        m_server->enqueue(FakeResponse::error(status));
        m_server->enqueue(FakeResponse::text(QStringLiteral("ok")));
        ApiCall *call = client->stream(simpleRequest());
        QSignalSpy retrying(call, &ApiCall::retrying);
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_delays, (QList<qint64>{500, 1000}));
        QCOMPARE(retrying.count(), 2);
        QCOMPARE(retrying.at(1).at(1).toLongLong(), 1000);
        QCOMPARE(call->attempts(), 3);
    }

    void backoffDoublesToTheCapWithJitter()
    {
        QCOMPARE(RetryPolicy::backoffMs(1, 0), 500);
        QCOMPARE(RetryPolicy::backoffMs(2, 0), 1000);
        QCOMPARE(RetryPolicy::backoffMs(7, 0), 32000);
        QCOMPARE(RetryPolicy::backoffMs(12, 0), 32000);
        QCOMPARE(RetryPolicy::backoffMs(1, 0.999), 624);
        QCOMPARE(RetryPolicy::backoffMs(7, 1.0), 40000);
    }

    void doesNotRetryClientErrors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("hint");
        QTest::newRow("400") << 400 << "rejected the request";
        QTest::newRow("401") << 401 << "ANTHROPIC_API_KEY was rejected";
        QTest::newRow("403") << 403 << "does not have access";
        QTest::newRow("404") << 404 << "not available here";
    }
    void doesNotRetryClientErrors()
    {
        QFETCH(int, status);
        QFETCH(QString, hint);
        auto client = makeClient();
        m_server->enqueue(FakeResponse::error(status));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 1);
        QVERIFY(m_delays.isEmpty());
        const ApiError &e = call->error();
        QCOMPARE(e.kind, ApiError::Kind::Http);
        QCOMPARE(e.httpStatus, status);
        QVERIFY(!e.type.isEmpty());
        QVERIFY(e.requestId.startsWith("req_fake_"));
        QVERIFY2(e.userMessage().contains(hint), qPrintable(e.userMessage()));
        QVERIFY(e.userMessage().contains(QStringLiteral("[request-id %1]").arg(e.requestId)));
        QVERIFY(!e.userMessage().contains("sk-ant-test-key-0001"));
    }

    void shouldRetryHeaderOverridesTheStatus()
    {
        auto client = makeClient();
        m_server->enqueue(FakeResponse::error(500).withShouldRetry(false));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 1);
        QCOMPARE(call->error().httpStatus, 500);

        m_server->enqueue(FakeResponse::error(400).withShouldRetry(true));
        m_server->enqueue(FakeResponse::text(QStringLiteral("ok")));
        call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QVERIFY(!call->error().isError());
        QCOMPARE(call->attempts(), 2);
    }

    void retryAfterHeadersAreAMinimumWait()
    {
        auto client = makeClient();
        m_server->enqueue(FakeResponse::error(429).withRetryAfterMs(2500));
        m_server->enqueue(FakeResponse::error(429).withRetryAfterSeconds(3));
        m_server->enqueue(FakeResponse::error(529).withRetryAfterDate(
            QDateTime(QDate(2026, 11, 25), QTime(10, 0, 7), Qt::UTC)));
        m_server->enqueue(FakeResponse::error(429).withRetryAfterMs(10)); // below the backoff
        m_server->enqueue(FakeResponse::text(QStringLiteral("ok")));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_delays, (QList<qint64>{2500, 3000, 7000, 4000}));
    }

    void aWaitOverSixtySecondsGivesUp()
    {
        auto client = makeClient();
        m_server->enqueue(FakeResponse::error(429).withRetryAfterSeconds(61));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 1);
        QVERIFY(m_delays.isEmpty());
        QVERIFY2(call->error().userMessage().contains("wait 61 s"),
                 qPrintable(call->error().userMessage()));
        QVERIFY(call->error().userMessage().contains("rate or usage limit"));
    }

    void maxRetriesStopsTheLoop()
    {
        ClientConfig cfg;
        cfg.maxRetries = 2;
        auto client = makeClient(cfg);
        for (int i = 0; i < 4; ++i)
            m_server->enqueue(FakeResponse::error(500));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 3);
        QVERIFY(call->error().userMessage().contains("Gave up after 2 retries"));
        QProcessEnvironment env;
        QCOMPARE(RetryPolicy::maxRetriesFrom(env), 10);
        env.insert("CLAUDE_CODE_MAX_RETRIES", "99");
        QCOMPARE(RetryPolicy::maxRetriesFrom(env), 15);
        env.insert("CLAUDE_CODE_MAX_RETRIES", "3");
        QCOMPARE(RetryPolicy::maxRetriesFrom(env), 3);
    }

    void threeOverloadsSwitchToTheFallbackModel()
    {
        ClientConfig cfg;
        cfg.fallbackModel = QStringLiteral("claude-haiku-4-5");
        auto client = makeClient(cfg);
        for (int i = 0; i < 3; ++i)
            m_server->enqueue(FakeResponse::error(529));
        m_server->enqueue(FakeResponse::text(QStringLiteral("from the fallback")));
        ApiCall *call = client->stream(simpleRequest());
        QSignalSpy fallback(call, &ApiCall::fallbackModelUsed);
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(fallback.count(), 1);
        QCOMPARE(m_server->lastRequest().json.value("model").toString(),
                 QStringLiteral("claude-haiku-4-5"));
        QCOMPARE(m_server->requests().at(2).json.value("model").toString(),
                 QStringLiteral("claude-sonnet-4-5"));
    }

    void threeOverloadsWithoutFallbackFailClearly()
    {
        auto client = makeClient();
        for (int i = 0; i < 4; ++i)
            m_server->enqueue(FakeResponse::error(529));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 3);
        QVERIFY2(call->error().userMessage().contains("Repeated 529 Overloaded errors"),
                 qPrintable(call->error().userMessage()));
        QVERIFY(call->error().userMessage().contains("at capacity"));
    }

    void a401WithARefreshableCredentialRetriesOnce()
    {
        auto client = makeClient();
        m_auth.refreshable = true;
        m_auth.credential.source = QStringLiteral("apiKeyHelper");
        m_auth.afterRefresh = apiKey(QStringLiteral("sk-ant-test-key-0001"));
        m_auth.afterRefresh.source = QStringLiteral("apiKeyHelper");
        m_auth.credential.apiKey = QStringLiteral("sk-ant-stale-key-0000");
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_auth.invalidations, 1);
        QCOMPARE(call->attempts(), 2);
        QCOMPARE(m_delays, QList<qint64>{0});

        // Still wrong after the refresh: one retry only, then a clear error.
        m_auth.credential.apiKey = QStringLiteral("sk-ant-stale-key-0000");
        m_auth.afterRefresh.apiKey = QStringLiteral("sk-ant-still-wrong-01");
        call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 2);
        QCOMPARE(call->error().httpStatus, 401);
        QVERIFY(call->error().userMessage().contains("apiKeyHelper was rejected"));
    }

    void a403RevokedTokenIsRefreshedOnce()
    {
        auto client = makeClient();
        m_auth.refreshable = true;
        m_auth.afterRefresh = m_auth.credential;
        m_server->enqueue(FakeResponse::error(403, QStringLiteral("permission_error"),
                                              QStringLiteral("OAuth token has been revoked.")));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_auth.invalidations, 1);
        QCOMPARE(call->attempts(), 2);

        // Any other 403 is not a refresh case.
        m_server->enqueue(FakeResponse::error(403));
        call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 1);
        QCOMPARE(m_auth.invalidations, 1);
    }

    void a401WithAStaticKeyIsNotRetried()
    {
        auto client = makeClient();
        m_auth.credential.apiKey = QStringLiteral("sk-ant-wrong-key-9999");
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 1);
        QCOMPARE(m_auth.invalidations, 1);
        QVERIFY(!call->error().userMessage().contains("sk-ant-wrong-key-9999"));
    }

    void connectionErrorsAreRetried()
    {
        auto client = makeClient();
        // Qt resends once by itself when a kept-alive connection closes before any answer, so
        // three drops make our own loop retry at least once.
        for (int i = 0; i < 3; ++i)
            m_server->enqueue(FakeResponse::dropConnection());
        m_server->enqueue(FakeResponse::text(QStringLiteral("after the drop")));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QVERIFY(call->attempts() >= 2);
        QVERIFY(!m_delays.isEmpty());
        QCOMPARE(m_delays.first(), 500);
    }

    void aStreamCutAfterTheFirstByteIsKeptNotReplayed()
    {
        auto client = makeClient();
        m_server->enqueue(
            FakeResponse::text(QStringLiteral("one two three four five six")).dropAfterEvents(4));
        m_server->enqueue(FakeResponse::text(QStringLiteral("should never be requested")));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->attempts(), 1);
        QCOMPARE(call->error().kind, ApiError::Kind::Connection);
        QVERIFY(call->error().partial);
        QVERIFY(call->error().userMessage().contains("was kept"));
        QVERIFY(!call->message().content.isEmpty());
        QVERIFY(QStringLiteral("one two three four five six")
                    .startsWith(call->message().content.first().text));
        QCOMPARE(m_server->requests().size(), 1);
    }

    void anErrorEventAfter200IsSurfaced()
    {
        auto client = makeClient();
        m_server->enqueue(
            FakeResponse::text(QStringLiteral("partial answer here")).withStreamError(3));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->error().kind, ApiError::Kind::InStream);
        QCOMPARE(call->error().type, QStringLiteral("overloaded_error"));
        QVERIFY(call->error().userMessage().contains("Overloaded"));
        QCOMPARE(call->attempts(), 1);
    }

    void malformedStreamIsAProtocolError()
    {
        auto client = makeClient();
        m_server->enqueue(FakeResponse::text(QStringLiteral("a b c")).withBrokenJson(3));
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->error().kind, ApiError::Kind::Protocol);
        QVERIFY2(call->error().userMessage().contains("could not be read"),
                 qPrintable(call->error().userMessage()));
    }

    void aStallPastTheTimeoutIsATimeout()
    {
        ClientConfig cfg;
        cfg.options.timeoutMs = 400;
        cfg.maxRetries = 1;
        auto client = makeClient(cfg);
        m_server->enqueue(FakeResponse::stallConnection());
        m_server->enqueue(FakeResponse::stallConnection());
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call, 10000));
        QCOMPARE(call->error().kind, ApiError::Kind::Timeout);
        QCOMPARE(call->attempts(), 2);
        QVERIFY(call->error().userMessage().contains("API_TIMEOUT_MS"));
    }

    void cancelMidStreamKeepsThePartialAnswer()
    {
        auto client = makeClient();
        m_server->setChunkSize(8);
        m_server->setChunkDelay(20);
        m_server->enqueue(
            FakeResponse::text(QStringLiteral("a long answer that takes a while to arrive")));
        ApiCall *call = client->stream(simpleRequest());
        QString text;
        connect(call, &ApiCall::textDelta, this, [&](int, const QString &t) {
            text += t;
            if (text.size() >= 5)
                call->cancel();
        });
        QVERIFY(waitFinished(call));
        QCOMPARE(call->error().kind, ApiError::Kind::Cancelled);
        QVERIFY(call->error().partial);
        QVERIFY(!text.isEmpty());
        QVERIFY(text.size() < 42);
        QCOMPARE(call->message().content.first().text, text);
    }

    void cancelDuringARetryWaitEndsIt()
    {
        auto client = makeClient();
        client->setScheduler([this](qint64 ms, std::function<void()> fire) {
            m_delays.append(ms);
            QTimer::singleShot(60000, std::move(fire)); // a real, long wait
        });
        m_server->enqueue(FakeResponse::error(529));
        ApiCall *call = client->stream(simpleRequest());
        QSignalSpy retrying(call, &ApiCall::retrying);
        QVERIFY(retrying.wait(5000));
        call->cancel();
        QVERIFY(call->isFinished());
        QCOMPARE(call->error().kind, ApiError::Kind::Cancelled);
    }

    void listsModelsAcrossPages()
    {
        auto client = makeClient();
        QList<QJsonObject> models;
        for (int i = 0; i < 250; ++i)
            models.append(QJsonObject{{"type", "model"},
                                      {"id", QStringLiteral("model-%1").arg(i)},
                                      {"display_name", QStringLiteral("Model %1").arg(i)},
                                      {"created_at", "2026-01-01T00:00:00Z"}});
        m_server->setModels(models);
        bool done = false;
        QList<ModelInfo> got;
        client->listModels([&](const QList<ModelInfo> &m, const ApiError &e) {
            QVERIFY(!e.isError());
            got = m;
            done = true;
        });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
        QCOMPARE(got.size(), 250);
        QCOMPARE(got.last().id, QStringLiteral("model-249"));
        QCOMPARE(m_server->requests().size(), 3);
        QCOMPARE(m_server->requests().at(1).query.queryItemValue("after_id"),
                 QStringLiteral("model-99"));
    }

    void countsTokens()
    {
        auto client = makeClient();
        bool done = false;
        qint64 tokens = -1;
        client->countTokens(simpleRequest(), [&](qint64 n, const ApiError &e) {
            QVERIFY(!e.isError());
            tokens = n;
            done = true;
        });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
        QVERIFY(tokens > 0);
        QCOMPARE(m_server->lastRequest().path, QStringLiteral("/v1/messages/count_tokens"));
        QVERIFY(!m_server->lastRequest().json.contains("max_tokens"));
    }
    // --- Attacks from the security review (issue 8), each against a raw recording server ---

    void customHeadersCannotReplaceTheCredentialOrTheFraming()
    {
        RawRecordingServer raw;
        QVERIFY(raw.listen());
        QProcessEnvironment env;
        env.insert("ANTHROPIC_CUSTOM_HEADERS",
                   "x-api-key: theirs-0001\nHost: other.internal\nContent-Length: 0\n"
                   "Transfer-Encoding: chunked\n  AUTHORIZATION : Bearer theirs-0002\n"
                   "Proxy-Authorization: Basic eA==\nanthropic-beta: custom-beta-1\n"
                   "X-Team: platform");
        env.insert("ANTHROPIC_BETAS", "listed-beta-2");
        ClientConfig cfg;
        cfg.options = RequestOptions::fromEnvironment(env);
        cfg.betas = cfg.options.extraBetas;
        auto client = makeRawClient(raw, cfg);
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(raw.requests().size(), 1);
        const QByteArray bytes = raw.requests().first();
        QVERIFY(!bytes.contains("theirs-000"));
        QVERIFY(!bytes.contains("other.internal"));
        QCOMPARE(raw.headerValues(0, "x-api-key"), QList<QByteArray>{"sk-ant-test-key-0001"});
        QCOMPARE(raw.headerValues(0, "host"),
                 QList<QByteArray>{"127.0.0.1:" + QByteArray::number(raw.port())});
        QVERIFY(raw.headerValues(0, "transfer-encoding").isEmpty());
        QVERIFY(raw.headerValues(0, "proxy-authorization").isEmpty());
        QVERIFY(raw.headerValues(0, "authorization").isEmpty());
        const QList<QByteArray> length = raw.headerValues(0, "content-length");
        QCOMPARE(length.size(), 1);
        QCOMPARE(length.first().toLongLong(), qint64(bytes.size() - bytes.indexOf("\r\n\r\n") - 4));
        QCOMPARE(raw.headerValues(0, "x-team"), QList<QByteArray>{"platform"});
        QCOMPARE(raw.headerValues(0, "anthropic-beta"),
                 QList<QByteArray>{"listed-beta-2,custom-beta-1"});
        QCOMPARE(raw.headerValues(0, "anthropic-version"), QList<QByteArray>{"2023-06-01"});
    }

    void customAuthorizationIsSentWhenQlaudeHasNoCredential()
    {
        RawRecordingServer raw;
        QVERIFY(raw.listen());
        QProcessEnvironment env;
        env.insert("ANTHROPIC_CUSTOM_HEADERS", "Authorization: Bearer gateway-token-01");
        ClientConfig cfg;
        cfg.options = RequestOptions::fromEnvironment(env);
        RequestOptions o = cfg.options;
        QCOMPARE(o.headersFor(false).size(), 1);
        QVERIFY(o.headersFor(true).isEmpty());
        QCOMPARE(o.droppedCredentialHeaders(), QStringList{"Authorization"});
    }

    void retryEventsNeverCarryAnEchoedKey()
    {
        const QString key = test::testSecret(QStringLiteral("echoed"));
        m_auth.credential = apiKey(key);
        RawRecordingServer raw;
        QVERIFY(raw.listen());
        raw.enqueue(RawRecordingServer::jsonError(529, "overloaded_error",
                                                  "Overloaded for key " + key.toUtf8()));
        raw.enqueue(
            RawRecordingServer::jsonError(500, "api_error", "internal error with " + key.toUtf8()));
        auto client = makeRawClient(raw);
        ApiCall *call = client->stream(simpleRequest());
        QList<ApiError> retries;
        connect(call, &ApiCall::retrying, this,
                [&retries](int, qint64, const ApiError &e) { retries.append(e); });
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), "the third attempt should succeed");
        QCOMPARE(retries.size(), 2);
        for (const ApiError &e : retries) {
            QVERIFY(!e.userMessage().contains(key));
            QVERIFY(!e.message.contains(key));
            QVERIFY(e.message.contains("[redacted]"));
        }
    }

    void redirectToAnotherOriginIsRefused()
    {
        RawRecordingServer api, other;
        QVERIFY(api.listen());
        QVERIFY(other.listen());
        const QByteArray target = other.baseUrl().toEncoded() + "/v1/messages?x=1";
        api.enqueue(RawRecordingServer::redirect(307, target));
        auto client = makeRawClient(api);
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QTest::qWait(100); // a follow-up request would have arrived by now
        QCOMPARE(api.requests().size(), 1);
        QCOMPARE(other.requests().size(), 0);
        QVERIFY(call->error().isError());
        const QString text = call->error().userMessage();
        QVERIFY2(text.contains(other.baseUrl().toString() + "/v1/messages"), qPrintable(text));
        QVERIFY2(text.contains("another origin"), qPrintable(text));
    }

    void redirectToTheSameOriginIsFollowed()
    {
        RawRecordingServer api;
        QVERIFY(api.listen());
        api.enqueue(
            RawRecordingServer::redirect(307, api.baseUrl().toEncoded() + "/gateway/v1/messages"));
        auto client = makeRawClient(api);
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(api.requests().size(), 2);
        QVERIFY(api.requests().at(1).startsWith("POST /gateway/v1/messages "));
    }

    void credentialWithALineBreakIsNeverSent()
    {
        RawRecordingServer raw;
        QVERIFY(raw.listen());
        m_auth.credential = apiKey(QStringLiteral("sk-ant-test-key-0001\r\nX-Injected: 1"));
        auto client = makeRawClient(raw);
        ApiCall *call = client->stream(simpleRequest());
        QVERIFY(waitFinished(call));
        QTest::qWait(50);
        QCOMPARE(raw.requests().size(), 0);
        QCOMPARE(call->error().kind, ApiError::Kind::Auth);
        QVERIFY(call->error().message.contains("line break"));
        QVERIFY(!call->error().userMessage().contains("sk-ant-test-key-0001"));
    }
};

QTEST_GUILESS_MAIN(tst_AnthropicClient)
#include "tst_AnthropicClient.moc"
