// The provider seam: a provider made only of the four parts (builder, signer, decoder, error
// mapper) streams through the shared call loop, retries, refreshes a rejected credential once,
// is scrubbed of its secrets and is cancelled cleanly. Nothing here is Anthropic's.
#include "ProviderClient.h"
#include "RawRecordingServer.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QtTest>

using namespace qlaude;
using qlaude::fakes::RawRecordingServer;

namespace {
// "POST {base}/test/v1/generate" with the model moved out of the body into "target".
class TestBuilder : public RequestBuilder
{
public:
    explicit TestBuilder(QUrl base) : m_base(std::move(base)) {}
    bool build(const CallSpec &spec, PreparedRequest *out, QString *error) const override
    {
        if (spec.model == QLatin1String("no-such-model")) {
            *error = QStringLiteral("the test provider has no model no-such-model");
            return false;
        }
        QJsonObject body = spec.body;
        body.remove(QStringLiteral("model"));
        body.insert(QStringLiteral("target"), spec.model);
        out->url = m_base.resolved(QUrl(QStringLiteral("/test/v1/generate")));
        out->method = "POST";
        out->body = QJsonDocument(body).toJson(QJsonDocument::Compact);
        out->setHeader("content-type", "application/json");
        out->setHeader("x-test-version", "7");
        return true;
    }

private:
    QUrl m_base;
};

// Signs asynchronously with "x-test-token: tok-N"; a rejection moves to the next token.
class TestSigner : public RequestSigner
{
public:
    int generation = 1;
    int invalidations = 0;
    void sign(std::shared_ptr<PreparedRequest> request, Done done) override
    {
        const QByteArray token = "tok-secret-" + QByteArray::number(generation);
        QTimer::singleShot(1, [request, done, token] {
            request->setHeader("x-test-token", token);
            done(ApiError(), Signature{QStringLiteral("test-token"), {QString::fromLatin1(token)}});
        });
    }
    bool invalidate() override
    {
        ++invalidations;
        ++generation;
        return true;
    }
};

// One event per line: "<name>|<json>".
class LineDecoder : public StreamDecoder
{
public:
    bool feed(QByteArrayView chunk, QList<SseEvent> &out) override
    {
        m_buffer.append(chunk.data(), chunk.size());
        int nl;
        while ((nl = m_buffer.indexOf('\n')) >= 0) {
            const QByteArray line = m_buffer.left(nl);
            m_buffer.remove(0, nl + 1);
            const int bar = line.indexOf('|');
            if (bar < 0) {
                m_error = QStringLiteral("a line without '|'");
                return false;
            }
            out.append({line.left(bar), line.mid(bar + 1)});
        }
        return true;
    }
    bool finish(QList<SseEvent> &out) override { return m_buffer.isEmpty() && feed({}, out); }
    bool hasError() const override { return !m_error.isEmpty(); }
    QString errorString() const override { return m_error; }

private:
    QByteArray m_buffer;
    QString m_error;
};

// {"problem": {"code": "...", "text": "..."}}; HTTP 419 means the token was rejected.
class TestErrors : public ErrorMapper
{
public:
    ApiError fromHttp(int status, const QByteArray &body, const HeaderLookup &,
                      const QString &source, const QString &) const override
    {
        const QJsonObject p =
            QJsonDocument::fromJson(body).object().value(QStringLiteral("problem")).toObject();
        ApiError e;
        e.kind = ApiError::Kind::Http;
        e.httpStatus = status;
        e.type = p.value(QStringLiteral("code")).toString();
        e.message = p.value(QStringLiteral("text")).toString();
        e.hint = QStringLiteral("check the %1").arg(source);
        return e;
    }
    QString requestId(const HeaderLookup &headers) const override
    {
        return QString::fromLatin1(headers("x-test-request"));
    }
    bool credentialRejected(int status, const ApiError &) const override { return status == 419; }
};

QByteArray event(const char *name, const QByteArray &json)
{
    return QByteArray(name) + '|' + json + '\n';
}

QByteArray lineAnswer(const QByteArray &text)
{
    return RawRecordingServer::ok(
        "application/x-test-lines",
        event(
            "message_start",
            R"({"type":"message_start","message":{"id":"m1","type":"message","role":"assistant","model":"t","content":[],"usage":{"input_tokens":1,"output_tokens":0}}})") +
            event(
                "content_block_start",
                R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})") +
            event(
                "content_block_delta",
                R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" +
                    text + R"("}})") +
            event("content_block_stop", R"({"type":"content_block_stop","index":0})") +
            event(
                "message_delta",
                R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}})") +
            event("message_stop", R"({"type":"message_stop"})"));
}

QByteArray problem(int status, const QByteArray &code, const QByteArray &text)
{
    const QByteArray body = R"({"problem":{"code":")" + code + R"(","text":")" + text + R"("}})";
    return "HTTP/1.1 " + QByteArray::number(status) +
           " Problem\r\nContent-Type: application/json\r\nx-test-request: rq-" + code +
           "\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}
} // namespace

class tst_ProviderClient : public QObject
{
    Q_OBJECT

    RawRecordingServer *m_server = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
    TestSigner *m_signer = nullptr; // owned by the parts
    std::unique_ptr<ProviderClient> m_client;
    QList<qint64> m_delays;

    std::shared_ptr<ProviderParts> parts()
    {
        auto p = std::make_shared<ProviderParts>();
        p->name = QStringLiteral("test");
        p->builder = std::make_unique<TestBuilder>(m_server->baseUrl());
        auto signer = std::make_unique<TestSigner>();
        m_signer = signer.get();
        p->signer = std::move(signer);
        p->makeDecoder = [] { return std::make_unique<LineDecoder>(); };
        p->errors = std::make_unique<TestErrors>();
        return p;
    }

    static MessagesRequest request(const QString &model = QStringLiteral("test-model-1"))
    {
        MessagesRequest r;
        r.model = model;
        r.maxTokens = 64;
        r.messages = {MessageParam{QStringLiteral("user"), MessageContent(QStringLiteral("Hi"))}};
        return r;
    }

    static bool waitFinished(ApiCall *call, int ms = 10000)
    {
        if (call->isFinished())
            return true;
        QSignalSpy spy(call, &ApiCall::finished);
        return spy.wait(ms);
    }

private slots:
    void init()
    {
        m_server = new RawRecordingServer(this);
        QVERIFY(m_server->listen());
        m_nam = new QNetworkAccessManager(this);
        ClientConfig config;
        config.options.timeoutMs = 5000;
        m_client = std::make_unique<ProviderClient>(config, parts(), m_nam);
        m_delays.clear();
        m_client->setScheduler([this](qint64 ms, std::function<void()> fire) {
            m_delays.append(ms);
            QTimer::singleShot(0, std::move(fire));
        });
        m_client->setJitterSource([] { return 0.0; });
    }
    void cleanup()
    {
        m_client.reset();
        delete m_nam;
        delete m_server;
    }

    void streamsThroughTheSharedLoop()
    {
        m_server->enqueue(lineAnswer("Hello from four parts."));
        ApiCall *call = m_client->stream(request());
        QString text;
        connect(call, &ApiCall::textDelta, this, [&text](int, const QString &t) { text += t; });
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(text, QStringLiteral("Hello from four parts."));
        QCOMPARE(call->message().stopReason, QStringLiteral("end_turn"));
        QCOMPARE(m_server->requests().size(), 1);
        QVERIFY(m_server->requests().first().startsWith("POST /test/v1/generate HTTP/1.1\r\n"));
        QCOMPARE(m_server->headerValues(0, "x-test-token"), QList<QByteArray>{"tok-secret-1"});
        QCOMPARE(m_server->headerValues(0, "x-test-version"), QList<QByteArray>{"7"});
        const QByteArray raw = m_server->requests().first();
        const QJsonObject body =
            QJsonDocument::fromJson(raw.mid(raw.indexOf("\r\n\r\n") + 4)).object();
        QCOMPARE(body.value("target").toString(), QStringLiteral("test-model-1"));
        QVERIFY(!body.contains("model"));
        QCOMPARE(body.value("stream").toBool(), true);
        QCOMPARE(m_client->providerName(), QStringLiteral("test"));
    }

    void retriesThroughTheSharedPolicy()
    {
        m_server->enqueue(problem(503, "busy", "try later"));
        m_server->enqueue(problem(500, "oops", "internal"));
        m_server->enqueue(lineAnswer("third time"));
        ApiCall *call = m_client->stream(request());
        QList<ApiError> reasons;
        connect(call, &ApiCall::retrying, this,
                [&reasons](int, qint64, const ApiError &e) { reasons.append(e); });
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_server->requests().size(), 3);
        QCOMPARE(reasons.size(), 2);
        QCOMPARE(reasons.first().type, QStringLiteral("busy"));
        QCOMPARE(m_delays, (QList<qint64>{500, 1000}));
        QCOMPARE(m_signer->invalidations, 0);
    }

    void refreshesARejectedCredentialOnce()
    {
        m_server->enqueue(problem(419, "token_expired", "expired"));
        m_server->enqueue(lineAnswer("fresh"));
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QVERIFY2(!call->error().isError(), qPrintable(call->error().userMessage()));
        QCOMPARE(m_signer->invalidations, 1);
        QCOMPARE(m_server->headerValues(0, "x-test-token"), QList<QByteArray>{"tok-secret-1"});
        QCOMPARE(m_server->headerValues(1, "x-test-token"), QList<QByteArray>{"tok-secret-2"});
    }

    void aSecondRejectionFailsWithTheMappersError()
    {
        m_server->enqueue(problem(419, "token_expired", "expired"));
        m_server->enqueue(problem(419, "token_expired", "still expired"));
        m_server->enqueue(lineAnswer("never asked"));
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QCOMPARE(m_server->requests().size(), 2);
        QCOMPARE(m_signer->invalidations, 1);
        QCOMPARE(call->error().httpStatus, 419);
        QCOMPARE(call->error().message, QStringLiteral("still expired"));
        QCOMPARE(call->error().requestId, QStringLiteral("rq-token_expired"));
        QCOMPARE(call->error().hint, QStringLiteral("check the test-token"));
    }

    void errorTextsAreScrubbedOfTheSignaturesSecrets()
    {
        m_server->enqueue(problem(503, "busy", "token tok-secret-1 is busy"));
        m_server->enqueue(problem(400, "bad", "bad request for tok-secret-1"));
        ApiCall *call = m_client->stream(request());
        QList<ApiError> reasons;
        connect(call, &ApiCall::retrying, this,
                [&reasons](int, qint64, const ApiError &e) { reasons.append(e); });
        QVERIFY(waitFinished(call));
        QCOMPARE(reasons.size(), 1);
        QVERIFY(!reasons.first().message.contains("tok-secret-1"));
        QVERIFY(!call->error().message.contains("tok-secret-1"));
        QVERIFY(call->error().message.contains("[redacted]"));
    }

    void aBuilderErrorIsAConfigurationError()
    {
        ApiCall *call = m_client->stream(request(QStringLiteral("no-such-model")));
        QVERIFY(waitFinished(call));
        QCOMPARE(call->error().kind, ApiError::Kind::Config);
        QVERIFY(call->error().message.contains("no-such-model"));
        QCOMPARE(m_server->requests().size(), 0);
    }

    void aBrokenStreamIsAProtocolError()
    {
        m_server->enqueue(RawRecordingServer::ok("application/x-test-lines", "no bar here\n"));
        ApiCall *call = m_client->stream(request());
        QVERIFY(waitFinished(call));
        QCOMPARE(call->error().kind, ApiError::Kind::Protocol);
        QVERIFY(call->error().message.contains("without '|'"));
    }

    void cancelStopsAStalledAttemptCleanly()
    {
        m_server->enqueue(QByteArray()); // stall
        ApiCall *call = m_client->stream(request());
        QSignalSpy received(m_server, &RawRecordingServer::requestReceived);
        QVERIFY(received.wait(5000));
        call->cancel();
        QVERIFY(waitFinished(call, 2000));
        QCOMPARE(call->error().kind, ApiError::Kind::Cancelled);
        QCOMPARE(m_server->requests().size(), 1);
        call->deleteLater();
    }

    void optionalCallsSayTheyAreMissing()
    {
        QVERIFY(!m_client->capabilities().listModels);
        bool done = false;
        m_client->listModels([&done](const QList<ModelInfo> &models, const ApiError &e) {
            done = true;
            QVERIFY(models.isEmpty());
            QCOMPARE(e.kind, ApiError::Kind::Config);
            QVERIFY(e.message.contains("test provider"));
        });
        QVERIFY(done);
        QCOMPARE(m_server->requests().size(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_ProviderClient)
#include "tst_ProviderClient.moc"
