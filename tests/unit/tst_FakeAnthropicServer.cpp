// Tests of the fake Anthropic API itself: other tests trust what it checks and what it sends.
#include "FakeAnthropicServer.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QtTest>

using namespace qlaude::fakes;

namespace {

// Secrets carry the marker the suite's leak check looks for; never QCOMPARE them.
const QByteArray kTestKey = "sk-ant-qltSECRET-fake-api-key";
const QByteArray kTestToken = "sk-ant-oat-qltSECRET-fake-token";
// Spelled in two pieces so no log line quoting an assertion carries the marker itself.
const QByteArray kSecretMarker = QByteArray("qlt") + "SECRET";
constexpr int kWaitMs = 5000;

// Runs the event loop until done() holds. Unlike QTest::qWaitFor, which sleeps 10 ms between
// polls, it wakes on every event, so a server writing one byte per event-loop turn stays fast.
template<typename Predicate> bool waitUntil(Predicate done, int timeoutMs = kWaitMs)
{
    QDeadlineTimer deadline(timeoutMs);
    QTimer wakeUp; // guarantees an event at the deadline
    wakeUp.start(timeoutMs);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    return true;
}

QByteArray compactJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject validBody(bool stream = true)
{
    return QJsonObject{
        {QStringLiteral("model"), QStringLiteral("claude-test")},
        {QStringLiteral("max_tokens"), 64},
        {QStringLiteral("stream"), stream},
        {QStringLiteral("messages"),
         QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                {QStringLiteral("content"), QStringLiteral("Say hi")}}}}};
}

struct ParsedEvent
{
    QByteArray name;
    QByteArray data;
};

// A deliberately plain SSE reader (LF, CRLF or CR line ends), independent of providers/.
QList<ParsedEvent> parseSse(QByteArray body)
{
    body.replace("\r\n", "\n");
    body.replace('\r', '\n');
    QList<ParsedEvent> events;
    ParsedEvent current;
    bool hasData = false;
    for (const QByteArray &line : body.split('\n')) {
        if (line.isEmpty()) {
            if (hasData)
                events.append(current);
            current = ParsedEvent();
            hasData = false;
        } else if (line.startsWith("event: ")) {
            current.name = line.mid(7);
        } else if (line.startsWith("data: ")) {
            current.data += (hasData ? "\n" : "") + line.mid(6);
            hasData = true;
        }
    }
    return events;
}

QList<QByteArray> eventNames(const QList<ParsedEvent> &events)
{
    QList<QByteArray> names;
    for (const ParsedEvent &e : events)
        names.append(e.name);
    return names;
}

QJsonObject dataOf(const ParsedEvent &event)
{
    return QJsonDocument::fromJson(event.data).object();
}

// The text the SSE wire format gives for events, written here by hand on purpose.
QByteArray sseBytes(const QList<SseEvent> &events, const QByteArray &eol)
{
    QByteArray bytes;
    for (const SseEvent &e : events) {
        if (!e.name.isEmpty())
            bytes += "event: " + e.name + eol;
        for (const QByteArray &line : e.data.split('\n'))
            bytes += "data: " + line + eol;
        bytes += eol;
    }
    return bytes;
}

const QList<SseEvent> &scriptedEvents()
{
    static const QList<SseEvent> events{
        {"message_start", R"({"type":"message_start","message":{"id":"msg_1","content":[]}})"},
        {"content_block_delta",
         R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"h\u00e9 ✓"}})"},
        {"", "first line\nsecond line"},
        {"message_stop", R"({"type":"message_stop"})"}};
    return events;
}

// One HTTP response read off a raw socket.
struct RawResponse
{
    int status = 0;
    QByteArray head;          // status line and headers
    QList<QByteArray> chunks; // body as written: one entry per HTTP chunk (or the whole body)
    QByteArray body;
    bool complete = false; // the framing says the body is whole

    QByteArray header(const QByteArray &name) const
    {
        for (const QByteArray &line : head.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
                return line.mid(colon + 1).trimmed();
        }
        return QByteArray();
    }
};

// Parses the response at the start of bytes; *consumed is how many bytes it took (0 if the
// head is not complete yet).
RawResponse parseRaw(const QByteArray &bytes, qsizetype *consumed)
{
    RawResponse r;
    *consumed = 0;
    const qsizetype headEnd = bytes.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return r;
    r.head = bytes.left(headEnd);
    r.head.replace("\r\n", "\n");
    r.status = bytes.mid(9, 3).toInt();
    qsizetype pos = headEnd + 4;
    if (r.header("transfer-encoding") == "chunked") {
        for (;;) {
            const qsizetype lineEnd = bytes.indexOf("\r\n", pos);
            if (lineEnd < 0)
                break;
            bool ok = false;
            const qsizetype size = bytes.mid(pos, lineEnd - pos).toInt(&ok, 16);
            if (!ok || bytes.size() < lineEnd + 2 + size + 2)
                break;
            if (size == 0) {
                r.complete = true;
                pos = lineEnd + 4;
                break;
            }
            r.chunks.append(bytes.mid(lineEnd + 2, size));
            r.body += r.chunks.constLast();
            pos = lineEnd + 2 + size + 2;
        }
    } else if (!r.header("content-length").isEmpty()) {
        const qsizetype length = r.header("content-length").toInt();
        r.body = bytes.mid(pos, length);
        r.chunks.append(r.body);
        r.complete = r.body.size() == length;
        pos += r.body.size();
    } else {
        r.body = bytes.mid(pos); // close-delimited
        r.chunks.append(r.body);
        pos = bytes.size();
    }
    *consumed = pos;
    return r;
}

QByteArray rawRequest(const QByteArray &target, const QByteArray &body,
                      const QByteArray &extraHeaders = QByteArray(),
                      const QByteArray &version = "HTTP/1.1")
{
    return "POST " + target + ' ' + version + "\r\nHost: 127.0.0.1\r\nx-api-key: " + kTestKey +
           "\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
           "content-length: " +
           QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n" + body;
}

// What a QNetworkReply delivered.
struct Result
{
    bool finished = false;
    int status = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray body;
    int reads = 0;
    QHash<QByteArray, QByteArray> headers; // lower-case names

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString errorType() const
    {
        return json()
            .value(QLatin1String("error"))
            .toObject()
            .value(QLatin1String("type"))
            .toString();
    }
    QString errorMessage() const
    {
        return json()
            .value(QLatin1String("error"))
            .toObject()
            .value(QLatin1String("message"))
            .toString();
    }
};

Result waitFor(QNetworkReply *reply, int timeoutMs = kWaitMs)
{
    Result r;
    QObject::connect(reply, &QNetworkReply::readyRead, reply, [reply, &r] {
        r.body += reply->readAll();
        ++r.reads;
    });
    r.finished = waitUntil([reply] { return reply->isFinished(); }, timeoutMs);
    if (reply->isOpen()) // an aborted reply is closed
        r.body += reply->readAll();
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.error = reply->error();
    for (const auto &h : reply->rawHeaderPairs())
        r.headers.insert(h.first.toLower(), h.second);
    reply->disconnect();
    reply->deleteLater();
    return r;
}

} // namespace

class tst_FakeAnthropicServer : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void answersWithDefaultStream();
    void answersJsonWhenNotStreaming();
    void rejectsBadHeaders_data();
    void rejectsBadHeaders();
    void acceptsValidCredentials_data();
    void acceptsValidCredentials();
    void rejectsBadBodies_data();
    void rejectsBadBodies();
    void acceptsSamplingParamsOnOldVersion();
    void answersUnknownRoutes();
    void recordsEveryRequest();
    void summaryRedactsEveryCredentialHeader();
    void servesScriptedResponsesInOrder();
    void streamsScriptedBytesOneByteAtATime_data();
    void streamsScriptedBytesOneByteAtATime();
    void deliversScriptedBytesToNetworkAccessManager();
    void writesOneChunkPerEventByDefault();
    void waitsBetweenWrites();
    void buildsThinkingAndToolUse();
    void answersErrorFaults_data();
    void answersErrorFaults();
    void sendsErrorEventAfterHttp200();
    void dropsConnectionAfterBytes();
    void dropsConnectionAfterEvents();
    void closesBeforeAnyBodyByte();
    void hangsUpWithoutAnswer();
    void stallsUntilClientGivesUp();
    void stallsWithoutHead();
    void breaksJsonOfOneEvent();
    void listsModelsWithPaging_data();
    void listsModelsWithPaging();
    void pagesThroughDefaultModels();
    void retrievesOneModel();
    void countsTokens();
    void keepsConnectionAliveAcrossRequests();
    void answersPipelinedRequestsInOrder();
    void closesWhenClientAsksToClose();
    void parsesChunkedRequestBodyFedPiecemeal();
    void answersExpectContinue();
    void answersHttp10WithoutChunking();
    void rejectsMalformedHttp();

private:
    QNetworkRequest apiRequest(const QString &path) const;
    Result post(const QString &path, const QByteArray &body,
                const QNetworkRequest *custom = nullptr);
    Result get(const QString &pathAndQuery);
    bool connectRaw(QTcpSocket *socket) const;
    // Reads until one response is complete or the server closes.
    RawResponse readRaw(QTcpSocket *socket, QByteArray *buffer = nullptr, int timeoutMs = kWaitMs);

    FakeAnthropicServer *m_server = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
};

void tst_FakeAnthropicServer::init()
{
    m_server = new FakeAnthropicServer(this);
    QVERIFY2(m_server->listen(), qPrintable(m_server->errorString()));
    QVERIFY(m_server->port() != 0);
    m_nam = new QNetworkAccessManager(this);
}

void tst_FakeAnthropicServer::cleanup()
{
    delete m_nam; // also drops its kept-alive connections
    m_nam = nullptr;
    delete m_server;
    m_server = nullptr;
}

QNetworkRequest tst_FakeAnthropicServer::apiRequest(const QString &path) const
{
    QUrl url = m_server->baseUrl();
    const qsizetype q = path.indexOf(QLatin1Char('?'));
    url.setPath(q < 0 ? path : path.left(q));
    if (q >= 0)
        url.setQuery(path.mid(q + 1));
    QNetworkRequest request(url);
    request.setRawHeader("x-api-key", kTestKey);
    request.setRawHeader("anthropic-version", "2023-06-01");
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    return request;
}

Result tst_FakeAnthropicServer::post(const QString &path, const QByteArray &body,
                                     const QNetworkRequest *custom)
{
    return waitFor(m_nam->post(custom ? *custom : apiRequest(path), body));
}

Result tst_FakeAnthropicServer::get(const QString &pathAndQuery)
{
    return waitFor(m_nam->get(apiRequest(pathAndQuery)));
}

bool tst_FakeAnthropicServer::connectRaw(QTcpSocket *socket) const
{
    socket->connectToHost(QHostAddress::LocalHost, m_server->port());
    return waitUntil([socket] { return socket->state() == QAbstractSocket::ConnectedState; },
                     kWaitMs);
}

RawResponse tst_FakeAnthropicServer::readRaw(QTcpSocket *socket, QByteArray *buffer, int timeoutMs)
{
    QByteArray local;
    QByteArray &bytes = buffer ? *buffer : local;
    RawResponse response;
    qsizetype consumed = 0;
    // Callers check what arrived: a timeout shows as an incomplete response.
    (void)waitUntil(
        [&] {
            bytes += socket->readAll();
            response = parseRaw(bytes, &consumed);
            return response.complete || socket->state() == QAbstractSocket::UnconnectedState;
        },
        timeoutMs);
    bytes += socket->readAll();
    response = parseRaw(bytes, &consumed);
    bytes.remove(0, consumed);
    return response;
}

void tst_FakeAnthropicServer::answersWithDefaultStream()
{
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QCOMPARE(r.error, QNetworkReply::NoError);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("content-type"), QByteArray("text/event-stream; charset=utf-8"));
    QCOMPARE(r.headers.value("request-id"), QByteArray("req_fake_1"));

    const QList<ParsedEvent> events = parseSse(r.body);
    const QList<QByteArray> expected{
        "message_start",       "content_block_start", "ping",
        "content_block_delta", "content_block_delta", "content_block_delta",
        "content_block_delta", "content_block_delta", "content_block_stop",
        "message_delta",       "message_stop"};
    QCOMPARE(eventNames(events), expected);
    QString text;
    for (const ParsedEvent &e : events) {
        QCOMPARE(dataOf(e).value(QLatin1String("type")).toString().toLatin1(), e.name);
        if (e.name == "content_block_delta")
            text += dataOf(e)
                        .value(QLatin1String("delta"))
                        .toObject()
                        .value(QLatin1String("text"))
                        .toString();
    }
    QCOMPARE(text, QStringLiteral("Hello from the fake API."));
    const QJsonObject message = dataOf(events.at(0)).value(QLatin1String("message")).toObject();
    QCOMPARE(message.value(QLatin1String("model")).toString(), QStringLiteral("claude-test"));
    QCOMPARE(message.value(QLatin1String("id")).toString(), QStringLiteral("msg_fake_1"));
    QCOMPARE(message.value(QLatin1String("usage"))
                 .toObject()
                 .value(QLatin1String("input_tokens"))
                 .toInt(),
             2);
    const QJsonObject delta = dataOf(events.at(9));
    QCOMPARE(delta.value(QLatin1String("delta"))
                 .toObject()
                 .value(QLatin1String("stop_reason"))
                 .toString(),
             QStringLiteral("end_turn"));
    QCOMPARE(delta.value(QLatin1String("usage"))
                 .toObject()
                 .value(QLatin1String("output_tokens"))
                 .toInt(),
             5);
}

void tst_FakeAnthropicServer::answersJsonWhenNotStreaming()
{
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody(false)));
    QVERIFY(r.finished);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("content-type"), QByteArray("application/json"));
    QCOMPARE(r.headers.value("content-length"), QByteArray::number(r.body.size()));
    const QJsonObject message = r.json();
    QCOMPARE(message.value(QLatin1String("type")).toString(), QStringLiteral("message"));
    QCOMPARE(message.value(QLatin1String("role")).toString(), QStringLiteral("assistant"));
    const QJsonArray content = message.value(QLatin1String("content")).toArray();
    QCOMPARE(content.size(), 1);
    QCOMPARE(content.at(0).toObject().value(QLatin1String("text")).toString(),
             QStringLiteral("Hello from the fake API."));
    QCOMPARE(message.value(QLatin1String("stop_reason")).toString(), QStringLiteral("end_turn"));
}

void tst_FakeAnthropicServer::rejectsBadHeaders_data()
{
    QTest::addColumn<QStringList>("removed"); // header names the request leaves out
    QTest::addColumn<QStringList>("changed"); // "Name: value" lines it sends instead
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("errorType");
    QTest::addColumn<QString>("message");

    const QString auth = QStringLiteral("authentication_error");
    const QString invalid = QStringLiteral("invalid_request_error");
    QTest::newRow("no credentials")
        << QStringList{QStringLiteral("x-api-key")} << QStringList() << 401 << auth
        << QStringLiteral("x-api-key header is required");
    QTest::newRow("basic auth is no bearer")
        << QStringList{QStringLiteral("x-api-key")}
        << QStringList{QStringLiteral("Authorization: Basic dXNlcjpwYXNz")} << 401 << auth
        << QStringLiteral("x-api-key header is required");
    QTest::newRow("wrong api key")
        << QStringList() << QStringList{QStringLiteral("x-api-key: sk-ant-qltSECRET-wrong")} << 401
        << auth << QStringLiteral("invalid x-api-key");
    QTest::newRow("wrong bearer") << QStringList{QStringLiteral("x-api-key")}
                                  << QStringList{QStringLiteral(
                                         "Authorization: Bearer qltSECRET-wrong")}
                                  << 401 << auth << QStringLiteral("invalid bearer token");
    QTest::newRow("no version") << QStringList{QStringLiteral("anthropic-version")} << QStringList()
                                << 400 << invalid
                                << QStringLiteral("anthropic-version: header is required");
    QTest::newRow("unknown version")
        << QStringList() << QStringList{QStringLiteral("anthropic-version: 2024-01-01")} << 400
        << invalid
        << QStringLiteral("anthropic-version: unknown version '2024-01-01' (known: 2023-01-01, "
                          "2023-06-01, 2026-10-21)");
    QTest::newRow("missing beta") << QStringList()
                                  << QStringList{QStringLiteral(
                                         "anthropic-beta: claude-code-20250219")}
                                  << 400 << invalid
                                  << QStringLiteral("anthropic-beta: oauth-2025-04-20 is required");
    QTest::newRow("missing custom header")
        << QStringList{QStringLiteral("x-anthropic-additional-protection")} << QStringList() << 400
        << invalid << QStringLiteral("x-anthropic-additional-protection: header is required");
    QTest::newRow("wrong custom header value")
        << QStringList() << QStringList{QStringLiteral("X-Anthropic-Additional-Protection: false")}
        << 400 << invalid
        << QStringLiteral("x-anthropic-additional-protection: header has an unexpected value");
}

void tst_FakeAnthropicServer::rejectsBadHeaders()
{
    QFETCH(QStringList, removed);
    QFETCH(QStringList, changed);
    QFETCH(int, status);
    QFETCH(QString, errorType);
    QFETCH(QString, message);

    m_server->setExpectedApiKey(kTestKey);
    m_server->setExpectedBearerToken(kTestToken);
    m_server->setRequiredBetas({QStringLiteral("oauth-2025-04-20")});
    m_server->setRequiredHeader("x-anthropic-additional-protection", "true");
    m_server->enqueue(FakeResponse::text(QStringLiteral("kept for a valid request")));

    QNetworkRequest request = apiRequest(QStringLiteral("/v1/messages"));
    request.setRawHeader("anthropic-beta", "claude-code-20250219, oauth-2025-04-20");
    request.setRawHeader("x-anthropic-additional-protection", "true");
    for (const QString &name : removed)
        request.setRawHeader(name.toLatin1(), QByteArray());
    for (const QString &line : changed) {
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        request.setRawHeader(line.left(colon).toLatin1(), line.mid(colon + 1).trimmed().toLatin1());
    }
    const Result r = post(QString(), compactJson(validBody()), &request);
    QVERIFY(r.finished);
    QCOMPARE(r.status, status);
    QCOMPARE(r.headers.value("content-type"), QByteArray("application/json"));
    QCOMPARE(r.json().value(QLatin1String("type")).toString(), QStringLiteral("error"));
    QCOMPARE(r.errorType(), errorType);
    QCOMPARE(r.errorMessage(), message);
    QCOMPARE(r.json().value(QLatin1String("request_id")).toString().toLatin1(),
             r.headers.value("request-id"));
    QVERIFY2(!r.body.contains(kSecretMarker), "an error body must never echo a credential");
    QCOMPARE(m_server->queuedResponses(), 1); // a rejected request consumes no script
    QCOMPARE(m_server->lastRequest().responseStatus, status);
}

void tst_FakeAnthropicServer::acceptsValidCredentials_data()
{
    QTest::addColumn<bool>("expectKey");
    QTest::addColumn<bool>("expectToken");
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");

    QTest::newRow("x-api-key") << true << false << QByteArray("x-api-key") << kTestKey;
    QTest::newRow("api key as bearer (SDK 1.x)")
        << true << false << QByteArray("Authorization") << QByteArray("Bearer " + kTestKey);
    QTest::newRow("oauth bearer") << false << true << QByteArray("authorization")
                                  << QByteArray("bearer " + kTestToken);
    QTest::newRow("key or token, token sent")
        << true << true << QByteArray("Authorization") << QByteArray("Bearer " + kTestToken);
    QTest::newRow("no expectation, any key")
        << false << false << QByteArray("x-api-key") << QByteArray("anything");
}

void tst_FakeAnthropicServer::acceptsValidCredentials()
{
    QFETCH(bool, expectKey);
    QFETCH(bool, expectToken);
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    if (expectKey)
        m_server->setExpectedApiKey(kTestKey);
    if (expectToken)
        m_server->setExpectedBearerToken(kTestToken);
    QNetworkRequest request = apiRequest(QStringLiteral("/v1/messages"));
    request.setRawHeader("x-api-key", QByteArray());
    request.setRawHeader(header, value);
    const Result r = post(QString(), compactJson(validBody()), &request);
    QVERIFY(r.finished);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.error, QNetworkReply::NoError);
}

void tst_FakeAnthropicServer::rejectsBadBodies_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");

    const QString messages = QStringLiteral("/v1/messages");
    const QByteArray v1 = "2023-06-01";
    const QByteArray v2 = "2026-10-21";
    auto without = [](const char *field) {
        QJsonObject o = validBody();
        o.remove(QLatin1String(field));
        return compactJson(o);
    };
    auto with = [](const char *field, const QJsonValue &value) {
        QJsonObject o = validBody();
        o.insert(QLatin1String(field), value);
        return compactJson(o);
    };
    QTest::newRow("broken json") << messages << v1 << QByteArray("{\"model\":")
                                 << QStringLiteral(
                                        "request body is not valid JSON: unterminated object "
                                        "at offset 9");
    QTest::newRow("empty body") << messages << v1 << QByteArray()
                                << QStringLiteral("request body is empty; expected a JSON object");
    QTest::newRow("array body") << messages << v1 << QByteArray("[]")
                                << QStringLiteral("request body must be a JSON object");
    QTest::newRow("no model") << messages << v1 << without("model")
                              << QStringLiteral("model: Field required");
    QTest::newRow("no max_tokens")
        << messages << v1 << without("max_tokens") << QStringLiteral("max_tokens: Field required");
    QTest::newRow("zero max_tokens")
        << messages << v1 << with("max_tokens", 0)
        << QStringLiteral("max_tokens: Input should be a positive integer");
    QTest::newRow("no messages") << messages << v1 << without("messages")
                                 << QStringLiteral("messages: Field required");
    QTest::newRow("empty messages") << messages << v1 << with("messages", QJsonArray())
                                    << QStringLiteral("messages: at least one message is required");
    QTest::newRow("bad role")
        << messages << v1
        << with("messages",
                QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("tool")},
                                       {QStringLiteral("content"), QStringLiteral("x")}}})
        << QStringLiteral("messages.0.role: Input should be 'user', 'assistant' or 'system'");
    QTest::newRow("stream not bool") << messages << v1 << with("stream", QStringLiteral("yes"))
                                     << QStringLiteral("stream: Input should be a valid boolean");
    QTest::newRow("temperature on 2026-10-21")
        << messages << v2 << with("temperature", 1.0)
        << QStringLiteral("temperature: Extra inputs are not permitted");
    QTest::newRow("top_p on 2026-10-21") << messages << v2 << with("top_p", 0.9)
                                         << QStringLiteral("top_p: Extra inputs are not permitted");
    QTest::newRow("top_k on 2026-10-21") << messages << v2 << with("top_k", 5)
                                         << QStringLiteral("top_k: Extra inputs are not permitted");
    QTest::newRow("count_tokens without model")
        << QStringLiteral("/v1/messages/count_tokens") << v1 << without("model")
        << QStringLiteral("model: Field required");
}

void tst_FakeAnthropicServer::rejectsBadBodies()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, version);
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    QNetworkRequest request = apiRequest(path);
    request.setRawHeader("anthropic-version", version);
    const Result r = post(QString(), body, &request);
    QVERIFY(r.finished);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.errorType(), QStringLiteral("invalid_request_error"));
    QCOMPARE(r.errorMessage(), message);
    QCOMPARE(m_server->requests().size(), 1);
    QCOMPARE(m_server->lastRequest().body, body);
}

void tst_FakeAnthropicServer::acceptsSamplingParamsOnOldVersion()
{
    QJsonObject body = validBody();
    body.insert(QStringLiteral("temperature"), 0.5);
    body.insert(QStringLiteral("top_k"), 3);
    QCOMPARE(post(QStringLiteral("/v1/messages"), compactJson(body)).status, 200);

    // count_tokens takes no max_tokens.
    body.remove(QStringLiteral("max_tokens"));
    QCOMPARE(post(QStringLiteral("/v1/messages/count_tokens"), compactJson(body)).status, 200);
}

void tst_FakeAnthropicServer::answersUnknownRoutes()
{
    const Result notFound = get(QStringLiteral("/v1/complete"));
    QCOMPARE(notFound.status, 404);
    QCOMPARE(notFound.errorType(), QStringLiteral("not_found_error"));
    QCOMPARE(notFound.errorMessage(), QStringLiteral("Not found: /v1/complete"));

    const Result wrongMethod = get(QStringLiteral("/v1/messages"));
    QCOMPARE(wrongMethod.status, 405);
    QCOMPARE(wrongMethod.errorMessage(),
             QStringLiteral("Method GET is not allowed on /v1/messages; use POST"));
}

void tst_FakeAnthropicServer::recordsEveryRequest()
{
    QSignalSpy spy(m_server, &FakeAnthropicServer::requestReceived);
    QNetworkRequest request = apiRequest(QStringLiteral("/v1/messages?beta=true"));
    request.setRawHeader("Anthropic-Beta",
                         "claude-code-20250219,  interleaved-thinking-2025-05-14");
    request.setRawHeader("X-App", "cli");
    const QByteArray body = compactJson(validBody());
    QCOMPARE(post(QString(), body, &request).status, 200);
    QCOMPARE(post(QStringLiteral("/v1/messages"), "not json").status, 400);

    QCOMPARE(spy.size(), 2);
    const QList<ReceivedRequest> requests = m_server->requests();
    QCOMPARE(requests.size(), 2);
    const ReceivedRequest &first = requests.at(0);
    QCOMPARE(first.method, QByteArray("POST"));
    QCOMPARE(first.path, QStringLiteral("/v1/messages"));
    QCOMPARE(first.target, QByteArray("/v1/messages?beta=true"));
    QCOMPARE(first.query.queryItemValue(QStringLiteral("beta")), QStringLiteral("true"));
    QCOMPARE(first.header("x-APP"), QByteArray("cli"));
    QVERIFY(first.header("X-API-KEY") == kTestKey);
    QCOMPARE(first.betas(), QStringList({QStringLiteral("claude-code-20250219"),
                                         QStringLiteral("interleaved-thinking-2025-05-14")}));
    QCOMPARE(first.body, body);
    QVERIFY(first.bodyIsJson);
    QCOMPARE(first.json, validBody());
    QCOMPARE(first.number, 1);
    QCOMPARE(first.requestId, QByteArray("req_fake_1"));
    QCOMPARE(first.connectionId, 1);
    QCOMPARE(first.responseStatus, 200);
    QCOMPARE(spy.at(0).at(0).value<ReceivedRequest>().requestId, QByteArray("req_fake_1"));
    QCOMPARE(requests.at(1).responseStatus, 400);
    QVERIFY(!requests.at(1).bodyIsJson);
    QCOMPARE(requests.at(1).requestId, QByteArray("req_fake_2"));

    // The log line never shows a credential.
    const QString summary = first.summary(true);
    QVERIFY(summary.startsWith(QStringLiteral("#1 POST /v1/messages?beta=true -> 200")));
    QVERIFY(summary.contains(QStringLiteral("X-App: cli")));
    QVERIFY(summary.contains(QStringLiteral("x-api-key: <redacted,")));
    QVERIFY(!summary.contains(QString::fromLatin1(kSecretMarker)));

    m_server->clearRequests();
    QVERIFY(m_server->requests().isEmpty());
}

// Every header that can carry a credential is shown by its size only; others in full.
void tst_FakeAnthropicServer::summaryRedactsEveryCredentialHeader()
{
    const QByteArray secret = kSecretMarker + "-header-value";
    ReceivedRequest r;
    r.number = 1;
    r.method = "POST";
    r.target = "/v1/messages";
    r.responseStatus = 200;
    const QList<QByteArray> secretNames = {
        "Authorization", "Proxy-Authorization",    "Cookie",
        "x-api-key",     "X-Goog-Api-Key",         "X-Amz-Security-Token",
        "X-Auth-Token",  "X-Client-Secret",        "X-Amz-Signature",
        "X-Credential",  "x-ms-token-aad-id-token"};
    for (const QByteArray &name : secretNames)
        r.headers.append(qMakePair(name, secret));
    r.headers.append(qMakePair(QByteArray("X-App"), QByteArray("cli")));
    const QString summary = r.summary(true);
    QVERIFY2(!summary.contains(QString::fromLatin1(kSecretMarker)), qPrintable(summary));
    for (const QByteArray &name : secretNames) {
        QVERIFY2(ReceivedRequest::isSecretHeader(name), name.constData());
        QVERIFY2(summary.contains(QString::fromLatin1(name) + QStringLiteral(": <redacted, ")),
                 name.constData());
    }
    QVERIFY(summary.contains(QStringLiteral("X-App: cli")));
    QVERIFY(!ReceivedRequest::isSecretHeader("Content-Type"));
}

void tst_FakeAnthropicServer::servesScriptedResponsesInOrder()
{
    m_server->enqueue(FakeResponse::text(QStringLiteral("first answer")));
    m_server->enqueue(FakeResponse::error(500));
    QCOMPARE(m_server->queuedResponses(), 2);
    const QByteArray body = compactJson(validBody(false));
    auto textOf = [](const Result &r) {
        return r.json()
            .value(QLatin1String("content"))
            .toArray()
            .at(0)
            .toObject()
            .value(QLatin1String("text"))
            .toString();
    };
    const Result first = post(QStringLiteral("/v1/messages"), body);
    QCOMPARE(textOf(first), QStringLiteral("first answer"));
    QCOMPARE(post(QStringLiteral("/v1/messages"), body).status, 500);
    QCOMPARE(textOf(post(QStringLiteral("/v1/messages"), body)),
             QStringLiteral("Hello from the fake API."));
    QCOMPARE(m_server->queuedResponses(), 0);

    m_server->setDefaultResponse(
        FakeResponse::templatedText(QStringLiteral("{model} heard: {prompt}")));
    QCOMPARE(textOf(post(QStringLiteral("/v1/messages"), body)),
             QStringLiteral("claude-test heard: Say hi"));
}

void tst_FakeAnthropicServer::streamsScriptedBytesOneByteAtATime_data()
{
    QTest::addColumn<int>("lineEnding");
    QTest::addColumn<QByteArray>("eol");
    QTest::newRow("LF") << int(SseLineEnding::Lf) << QByteArray("\n");
    QTest::newRow("CRLF") << int(SseLineEnding::CrLf) << QByteArray("\r\n");
    QTest::newRow("CR") << int(SseLineEnding::Cr) << QByteArray("\r");
}

void tst_FakeAnthropicServer::streamsScriptedBytesOneByteAtATime()
{
    QFETCH(int, lineEnding);
    QFETCH(QByteArray, eol);
    m_server->setChunkSize(1);
    m_server->setLineEnding(SseLineEnding(lineEnding));
    m_server->enqueue(FakeResponse::sse(scriptedEvents()));

    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody())));
    const RawResponse r = readRaw(&socket);
    QVERIFY(r.complete);
    QVERIFY(r.head.startsWith("HTTP/1.1 200 OK\n"));
    QCOMPARE(r.header("transfer-encoding"), QByteArray("chunked"));
    QCOMPARE(r.header("content-type"), QByteArray("text/event-stream; charset=utf-8"));
    QCOMPARE(r.header("request-id"), QByteArray("req_fake_1"));
    const QByteArray expected = sseBytes(scriptedEvents(), eol);
    QCOMPARE(r.body, expected);
    QCOMPARE(r.chunks.size(), expected.size());
    for (const QByteArray &chunk : r.chunks)
        QCOMPARE(chunk.size(), 1);
}

void tst_FakeAnthropicServer::deliversScriptedBytesToNetworkAccessManager()
{
    m_server->setChunkSize(1);
    m_server->setLineEnding(SseLineEnding::CrLf);
    m_server->enqueue(FakeResponse::sse(scriptedEvents()));
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QCOMPARE(r.error, QNetworkReply::NoError);
    QCOMPARE(r.body, sseBytes(scriptedEvents(), "\r\n"));
}

void tst_FakeAnthropicServer::writesOneChunkPerEventByDefault()
{
    m_server->enqueue(FakeResponse::sse(scriptedEvents()));
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody())));
    const RawResponse r = readRaw(&socket);
    QVERIFY(r.complete);
    QCOMPARE(r.chunks.size(), scriptedEvents().size());
    for (int i = 0; i < scriptedEvents().size(); ++i)
        QCOMPARE(r.chunks.at(i), sseBytes({scriptedEvents().at(i)}, "\n"));
}

void tst_FakeAnthropicServer::waitsBetweenWrites()
{
    m_server->setChunkDelay(40);
    m_server->enqueue(FakeResponse::sse(scriptedEvents()));
    QElapsedTimer clock;
    clock.start();
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QCOMPARE(r.body, sseBytes(scriptedEvents(), "\n"));
    // One pause before each of the four event writes, and one before the last chunk.
    QVERIFY2(clock.elapsed() >= 5 * 40 - 2, // QElapsedTimer rounds to whole ms
             qPrintable(QString::number(clock.elapsed())));
    QVERIFY2(r.reads >= 2, "paced writes arrive in several reads");
}

void tst_FakeAnthropicServer::buildsThinkingAndToolUse()
{
    const QStringList pieces{QString(), QStringLiteral("{\"locati"), QStringLiteral("on\": \"P"),
                             QStringLiteral("ar"), QStringLiteral("is\"}")};
    const FakeResponse response =
        FakeResponse::message()
            .addThinking(QStringLiteral("Let me check the weather."),
                         QStringLiteral("c2lnbmF0dXJl"))
            .addToolUse(QStringLiteral("toolu_01"), QStringLiteral("get_weather"), pieces)
            .setUsage(11, 22);
    m_server->enqueue(response);
    m_server->enqueue(response);

    const Result streamed = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QCOMPARE(streamed.status, 200);
    const QList<ParsedEvent> events = parseSse(streamed.body);
    QString thinking;
    QStringList signatures;
    QStringList partials;
    QJsonObject toolStart;
    QString stopReason;
    int outputTokens = 0;
    for (const ParsedEvent &e : events) {
        const QJsonObject data = dataOf(e);
        const QJsonObject delta = data.value(QLatin1String("delta")).toObject();
        const QString type = delta.value(QLatin1String("type")).toString();
        if (type == QLatin1String("thinking_delta"))
            thinking += delta.value(QLatin1String("thinking")).toString();
        else if (type == QLatin1String("signature_delta"))
            signatures.append(delta.value(QLatin1String("signature")).toString());
        else if (type == QLatin1String("input_json_delta"))
            partials.append(delta.value(QLatin1String("partial_json")).toString());
        if (e.name == "content_block_start" && data.value(QLatin1String("index")).toInt() == 1)
            toolStart = data.value(QLatin1String("content_block")).toObject();
        if (e.name == "message_delta") {
            stopReason = delta.value(QLatin1String("stop_reason")).toString();
            outputTokens = data.value(QLatin1String("usage"))
                               .toObject()
                               .value(QLatin1String("output_tokens"))
                               .toInt();
        }
    }
    QCOMPARE(thinking, QStringLiteral("Let me check the weather."));
    QCOMPARE(signatures, QStringList{QStringLiteral("c2lnbmF0dXJl")});
    QCOMPARE(partials, pieces);
    QCOMPARE(toolStart.value(QLatin1String("type")).toString(), QStringLiteral("tool_use"));
    QCOMPARE(toolStart.value(QLatin1String("id")).toString(), QStringLiteral("toolu_01"));
    QCOMPARE(toolStart.value(QLatin1String("name")).toString(), QStringLiteral("get_weather"));
    QCOMPARE(toolStart.value(QLatin1String("input")).toObject(), QJsonObject());
    QCOMPARE(stopReason, QStringLiteral("tool_use"));
    QCOMPARE(outputTokens, 22);

    const Result whole = post(QStringLiteral("/v1/messages"), compactJson(validBody(false)));
    const QJsonArray content = whole.json().value(QLatin1String("content")).toArray();
    QCOMPARE(content.size(), 2);
    QCOMPARE(content.at(0).toObject().value(QLatin1String("signature")).toString(),
             QStringLiteral("c2lnbmF0dXJl"));
    QCOMPARE(content.at(1).toObject().value(QLatin1String("input")).toObject(),
             QJsonObject({{QStringLiteral("location"), QStringLiteral("Paris")}}));
    QCOMPARE(whole.json()
                 .value(QLatin1String("usage"))
                 .toObject()
                 .value(QLatin1String("input_tokens"))
                 .toInt(),
             11);
}

void tst_FakeAnthropicServer::answersErrorFaults_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("errorType");
    QTest::addColumn<QString>("retry");       // none, ms, seconds, date
    QTest::addColumn<QString>("shouldRetry"); // "", true, false
    QTest::addColumn<QByteArray>("retryHeader");
    QTest::addColumn<QByteArray>("retryValue");

    QTest::newRow("401") << 401 << QStringLiteral("authentication_error") << QStringLiteral("none")
                         << QString() << QByteArray() << QByteArray();
    QTest::newRow("403 x-should-retry false")
        << 403 << QStringLiteral("permission_error") << QStringLiteral("none")
        << QStringLiteral("false") << QByteArray() << QByteArray();
    QTest::newRow("404") << 404 << QStringLiteral("not_found_error") << QStringLiteral("none")
                         << QString() << QByteArray() << QByteArray();
    QTest::newRow("429 retry-after-ms")
        << 429 << QStringLiteral("rate_limit_error") << QStringLiteral("ms") << QString()
        << QByteArray("retry-after-ms") << QByteArray("1500.5");
    QTest::newRow("429 retry-after seconds")
        << 429 << QStringLiteral("rate_limit_error") << QStringLiteral("seconds")
        << QStringLiteral("true") << QByteArray("retry-after") << QByteArray("7");
    QTest::newRow("429 retry-after date")
        << 429 << QStringLiteral("rate_limit_error") << QStringLiteral("date") << QString()
        << QByteArray("retry-after") << QByteArray("Wed, 02 Jan 2030 03:04:05 GMT");
    QTest::newRow("500 x-should-retry true")
        << 500 << QStringLiteral("api_error") << QStringLiteral("none") << QStringLiteral("true")
        << QByteArray() << QByteArray();
    QTest::newRow("529 retry-after-ms")
        << 529 << QStringLiteral("overloaded_error") << QStringLiteral("ms")
        << QStringLiteral("false") << QByteArray("retry-after-ms") << QByteArray("1500.5");
}

void tst_FakeAnthropicServer::answersErrorFaults()
{
    QFETCH(int, status);
    QFETCH(QString, errorType);
    QFETCH(QString, retry);
    QFETCH(QString, shouldRetry);
    QFETCH(QByteArray, retryHeader);
    QFETCH(QByteArray, retryValue);

    FakeResponse fault = FakeResponse::error(status);
    if (retry == QLatin1String("ms"))
        fault.withRetryAfterMs(1500.5);
    else if (retry == QLatin1String("seconds"))
        fault.withRetryAfterSeconds(7);
    else if (retry == QLatin1String("date"))
        fault.withRetryAfterDate(QDateTime(QDate(2030, 1, 2), QTime(3, 4, 5), Qt::UTC));
    if (!shouldRetry.isEmpty())
        fault.withShouldRetry(shouldRetry == QLatin1String("true"));
    m_server->enqueue(fault);

    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QCOMPARE(r.status, status);
    QCOMPARE(r.headers.value("content-type"), QByteArray("application/json"));
    const QJsonObject body = r.json();
    QCOMPARE(body.keys(), QStringList({QStringLiteral("error"), QStringLiteral("request_id"),
                                       QStringLiteral("type")}));
    QCOMPARE(body.value(QLatin1String("type")).toString(), QStringLiteral("error"));
    QCOMPARE(r.errorType(), errorType);
    QVERIFY(!r.errorMessage().isEmpty());
    QCOMPARE(body.value(QLatin1String("request_id")).toString(), QStringLiteral("req_fake_1"));
    QCOMPARE(r.headers.value("request-id"), QByteArray("req_fake_1"));
    for (const QByteArray &name : {QByteArray("retry-after"), QByteArray("retry-after-ms")})
        QCOMPARE(r.headers.value(name), name == retryHeader ? retryValue : QByteArray());
    QCOMPARE(r.headers.value("x-should-retry"), shouldRetry.toLatin1());
}

void tst_FakeAnthropicServer::sendsErrorEventAfterHttp200()
{
    m_server->enqueue(FakeResponse::text(QStringLiteral("Hello there")).withStreamError(4));
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QCOMPARE(r.error, QNetworkReply::NoError); // the HTTP exchange itself completes
    QCOMPARE(r.status, 200);
    const QList<ParsedEvent> events = parseSse(r.body);
    QCOMPARE(eventNames(events), QList<QByteArray>({"message_start", "content_block_start", "ping",
                                                    "content_block_delta", "error"}));
    const QJsonObject error = dataOf(events.constLast());
    QCOMPARE(error.value(QLatin1String("type")).toString(), QStringLiteral("error"));
    QCOMPARE(error.value(QLatin1String("error")).toObject(),
             QJsonObject({{QStringLiteral("type"), QStringLiteral("overloaded_error")},
                          {QStringLiteral("message"), QStringLiteral("Overloaded")}}));
}

void tst_FakeAnthropicServer::dropsConnectionAfterBytes()
{
    const QByteArray whole = sseBytes(scriptedEvents(), "\n");
    m_server->enqueue(FakeResponse::sse(scriptedEvents()).dropAfterBytes(25));
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody())));
    const RawResponse raw = readRaw(&socket);
    QCOMPARE(raw.status, 200);
    QVERIFY(!raw.complete);
    QCOMPARE(raw.body, whole.left(25));
    QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState);

    // Qt 6.4's QNAM may report NoError for a truncated chunked body when the FIN arrives with
    // the last data; a pause before the drop makes the drop visible to it.
    m_server->setChunkDelay(50);
    m_server->enqueue(FakeResponse::sse(scriptedEvents()).dropAfterBytes(25));
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QCOMPARE(r.error, QNetworkReply::RemoteHostClosedError);
    QCOMPARE(r.body, whole.left(25));
}

void tst_FakeAnthropicServer::dropsConnectionAfterEvents()
{
    QSignalSpy closed(m_server, &FakeAnthropicServer::connectionClosed);
    m_server->setChunkDelay(50); // see dropsConnectionAfterBytes
    m_server->enqueue(FakeResponse::sse(scriptedEvents()).dropAfterEvents(2));
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.error, QNetworkReply::RemoteHostClosedError);
    QCOMPARE(r.body, sseBytes(scriptedEvents().mid(0, 2), "\n"));
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(m_server->openConnections(), 0);
}

void tst_FakeAnthropicServer::closesBeforeAnyBodyByte()
{
    m_server->enqueue(FakeResponse::text(QStringLiteral("never sent")).dropAfterBytes(0));
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody())));
    const RawResponse raw = readRaw(&socket);
    QCOMPARE(raw.status, 200);
    QCOMPARE(raw.header("content-type"), QByteArray("text/event-stream; charset=utf-8"));
    QVERIFY(raw.chunks.isEmpty());
    QVERIFY(!raw.complete);
    QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState);

    // Through QNAM: Qt 6.4 finishes this reply with NoError or RemoteHostClosedError depending
    // on timing, so a client must itself notice that message_stop never came.
    m_server->enqueue(FakeResponse::text(QStringLiteral("never sent")).dropAfterBytes(0));
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QVERIFY2(r.error == QNetworkReply::NoError || r.error == QNetworkReply::RemoteHostClosedError,
             qPrintable(QString::number(r.error)));
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.isEmpty());
    QCOMPARE(m_server->requests().size(), 2); // no silent re-send
}

void tst_FakeAnthropicServer::hangsUpWithoutAnswer()
{
    m_server->enqueue(FakeResponse::dropConnection());
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody())));
    QVERIFY(
        waitUntil([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, kWaitMs));
    QVERIFY(socket.readAll().isEmpty());
    QCOMPARE(m_server->requests().size(), 1);
    QCOMPARE(m_server->lastRequest().responseStatus, 0);

    // QNAM re-sends a request once, silently, when the connection closes before any answer.
    m_server->setDefaultResponse(FakeResponse::dropConnection());
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QVERIFY(r.finished);
    QCOMPARE(r.error, QNetworkReply::RemoteHostClosedError);
    QCOMPARE(r.status, 0);
    QCOMPARE(m_server->requests().size(), 3);
}

void tst_FakeAnthropicServer::stallsUntilClientGivesUp()
{
    QSignalSpy closed(m_server, &FakeAnthropicServer::connectionClosed);
    m_server->enqueue(FakeResponse::sse(scriptedEvents()).stallAfterEvents(1));
    QNetworkRequest request = apiRequest(QStringLiteral("/v1/messages"));
    request.setTransferTimeout(300);
    QElapsedTimer clock;
    clock.start();
    const Result r = waitFor(m_nam->post(request, compactJson(validBody())));
    QVERIFY(r.finished);
    QVERIFY(clock.elapsed() >= 285); // QNAM's coarse timer may fire up to 5% early
    QCOMPARE(r.status, 200);
    QCOMPARE(r.error, QNetworkReply::OperationCanceledError);
    QCOMPARE(r.body, sseBytes(scriptedEvents().mid(0, 1), "\n"));
    QTRY_COMPARE(closed.size(), 1); // the server saw the client give up
    QCOMPARE(m_server->openConnections(), 0);
}

void tst_FakeAnthropicServer::stallsWithoutHead()
{
    m_server->enqueue(FakeResponse::stallConnection());
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody())));
    QTRY_COMPARE(m_server->requests().size(), 1);
    QTest::qWait(300);
    QVERIFY(socket.readAll().isEmpty());
    QCOMPARE(socket.state(), QAbstractSocket::ConnectedState);
    QCOMPARE(m_server->openConnections(), 1);
    QCOMPARE(m_server->lastRequest().responseStatus, 0);
}

void tst_FakeAnthropicServer::breaksJsonOfOneEvent()
{
    m_server->enqueue(FakeResponse::text(QStringLiteral("Hello world")).withBrokenJson(3));
    const Result r = post(QStringLiteral("/v1/messages"), compactJson(validBody()));
    QCOMPARE(r.status, 200);
    const QList<ParsedEvent> events = parseSse(r.body);
    QCOMPARE(events.size(), 8);
    for (int i = 0; i < events.size(); ++i) {
        QJsonParseError error;
        QJsonDocument::fromJson(events.at(i).data, &error);
        QCOMPARE(error.error != QJsonParseError::NoError, i == 3);
    }
    QCOMPARE(events.at(3).name, QByteArray("content_block_delta"));
    QVERIFY(events.at(3).data.startsWith("{\"delta\":"));
}

void tst_FakeAnthropicServer::listsModelsWithPaging_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<int>("status");
    QTest::addColumn<QStringList>("ids");
    QTest::addColumn<bool>("hasMore");

    const QString m1 = QStringLiteral("m1"), m2 = QStringLiteral("m2"), m3 = QStringLiteral("m3"),
                  m4 = QStringLiteral("m4"), m5 = QStringLiteral("m5");
    QTest::newRow("all") << QString() << 200 << QStringList{m1, m2, m3, m4, m5} << false;
    QTest::newRow("limit") << QStringLiteral("limit=2") << 200 << QStringList{m1, m2} << true;
    QTest::newRow("after") << QStringLiteral("limit=2&after_id=m2") << 200 << QStringList{m3, m4}
                           << true;
    QTest::newRow("after, last page")
        << QStringLiteral("limit=2&after_id=m4") << 200 << QStringList{m5} << false;
    QTest::newRow("after the last")
        << QStringLiteral("after_id=m5") << 200 << QStringList() << false;
    QTest::newRow("before") << QStringLiteral("limit=2&before_id=m5") << 200 << QStringList{m3, m4}
                            << true;
    QTest::newRow("before, first page")
        << QStringLiteral("limit=3&before_id=m3") << 200 << QStringList{m1, m2} << false;
    QTest::newRow("limit 0") << QStringLiteral("limit=0") << 400 << QStringList() << false;
    QTest::newRow("limit 1001") << QStringLiteral("limit=1001") << 400 << QStringList() << false;
    QTest::newRow("limit text") << QStringLiteral("limit=ten") << 400 << QStringList() << false;
    QTest::newRow("unknown id") << QStringLiteral("after_id=nope") << 400 << QStringList() << false;
    QTest::newRow("both ids") << QStringLiteral("after_id=m1&before_id=m3") << 400 << QStringList()
                              << false;
}

void tst_FakeAnthropicServer::listsModelsWithPaging()
{
    QFETCH(QString, query);
    QFETCH(int, status);
    QFETCH(QStringList, ids);
    QFETCH(bool, hasMore);
    QList<QJsonObject> models;
    for (int i = 1; i <= 5; ++i) {
        models.append(
            {{QStringLiteral("type"), QStringLiteral("model")},
             {QStringLiteral("id"), QStringLiteral("m%1").arg(i)},
             {QStringLiteral("display_name"), QStringLiteral("Model %1").arg(i)},
             {QStringLiteral("created_at"), QStringLiteral("2026-01-0%1T00:00:00Z").arg(6 - i)}});
    }
    m_server->setModels(models);
    const Result r = get(QStringLiteral("/v1/models") +
                         (query.isEmpty() ? QString() : QStringLiteral("?") + query));
    QVERIFY(r.finished);
    QCOMPARE(r.status, status);
    if (status != 200) {
        QCOMPARE(r.errorType(), QStringLiteral("invalid_request_error"));
        return;
    }
    const QJsonObject page = r.json();
    QStringList got;
    for (const QJsonValue &model : page.value(QLatin1String("data")).toArray()) {
        QCOMPARE(model.toObject().value(QLatin1String("type")).toString(), QStringLiteral("model"));
        got.append(model.toObject().value(QLatin1String("id")).toString());
    }
    QCOMPARE(got, ids);
    QCOMPARE(page.value(QLatin1String("has_more")).toBool(), hasMore);
    QVERIFY(page.value(QLatin1String("has_more")).isBool());
    QCOMPARE(page.value(QLatin1String("first_id")),
             ids.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(ids.constFirst()));
    QCOMPARE(page.value(QLatin1String("last_id")),
             ids.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(ids.constLast()));
}

void tst_FakeAnthropicServer::pagesThroughDefaultModels()
{
    QStringList expected;
    for (const QJsonObject &model : m_server->models())
        expected.append(model.value(QLatin1String("id")).toString());
    QVERIFY(expected.size() > 3);
    QStringList seen;
    QString after;
    for (int page = 0; page < 10; ++page) {
        const Result r = get(QStringLiteral("/v1/models?limit=3") +
                             (after.isEmpty() ? QString() : QStringLiteral("&after_id=") + after));
        QCOMPARE(r.status, 200);
        for (const QJsonValue &model : r.json().value(QLatin1String("data")).toArray())
            seen.append(model.toObject().value(QLatin1String("id")).toString());
        after = r.json().value(QLatin1String("last_id")).toString();
        if (!r.json().value(QLatin1String("has_more")).toBool())
            break;
    }
    QCOMPARE(seen, expected);
}

void tst_FakeAnthropicServer::retrievesOneModel()
{
    const Result found = get(QStringLiteral("/v1/models/claude-sonnet-4-6"));
    QCOMPARE(found.status, 200);
    QCOMPARE(found.json().value(QLatin1String("id")).toString(),
             QStringLiteral("claude-sonnet-4-6"));
    QCOMPARE(found.json().value(QLatin1String("type")).toString(), QStringLiteral("model"));
    QCOMPARE(found.json().value(QLatin1String("display_name")).toString(),
             QStringLiteral("Claude Sonnet 4.6"));

    const Result missing = get(QStringLiteral("/v1/models/claude-nope"));
    QCOMPARE(missing.status, 404);
    QCOMPARE(missing.errorType(), QStringLiteral("not_found_error"));
    QCOMPARE(missing.errorMessage(), QStringLiteral("model: claude-nope"));
}

void tst_FakeAnthropicServer::countsTokens()
{
    const QJsonObject body{
        {QStringLiteral("model"), QStringLiteral("claude-test")},
        {QStringLiteral("system"), QStringLiteral("You are terse")},
        {QStringLiteral("messages"),
         QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                {QStringLiteral("content"), QStringLiteral("one two three")}},
                    QJsonObject{{QStringLiteral("role"), QStringLiteral("assistant")},
                                {QStringLiteral("content"),
                                 QJsonArray{QJsonObject{
                                     {QStringLiteral("type"), QStringLiteral("text")},
                                     {QStringLiteral("text"), QStringLiteral("four five")}}}}}}}};
    const Result counted = post(QStringLiteral("/v1/messages/count_tokens"), compactJson(body));
    QCOMPARE(counted.status, 200);
    QCOMPARE(counted.json(), QJsonObject({{QStringLiteral("input_tokens"), 8}}));

    m_server->enqueue(FakeResponse::json({{QStringLiteral("input_tokens"), 1234}}),
                      FakeAnthropicServer::Route::CountTokens);
    QCOMPARE(m_server->queuedResponses(), 0); // the Messages queue is separate
    const Result scripted = post(QStringLiteral("/v1/messages/count_tokens"), compactJson(body));
    QCOMPARE(scripted.json().value(QLatin1String("input_tokens")).toInt(), 1234);
}

void tst_FakeAnthropicServer::keepsConnectionAliveAcrossRequests()
{
    for (int i = 0; i < 3; ++i)
        QCOMPARE(post(QStringLiteral("/v1/messages"), compactJson(validBody(i != 1))).status, 200);
    QCOMPARE(get(QStringLiteral("/v1/models")).status, 200);
    QCOMPARE(m_server->connectionsAccepted(), 1);
    for (const ReceivedRequest &request : m_server->requests())
        QCOMPARE(request.connectionId, 1);
    QCOMPARE(m_server->lastRequest().requestId, QByteArray("req_fake_4"));
}

void tst_FakeAnthropicServer::answersPipelinedRequestsInOrder()
{
    m_server->enqueue(FakeResponse::text(QStringLiteral("one")));
    m_server->enqueue(FakeResponse::error(429));
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody())) +
                 rawRequest("/v1/messages", compactJson(validBody(false))));
    QByteArray buffer;
    const RawResponse first = readRaw(&socket, &buffer);
    const RawResponse second = readRaw(&socket, &buffer);
    QVERIFY(first.complete);
    QVERIFY(second.complete);
    QCOMPARE(first.status, 200);
    QCOMPARE(first.header("request-id"), QByteArray("req_fake_1"));
    QCOMPARE(first.header("connection"), QByteArray("keep-alive"));
    QCOMPARE(second.status, 429);
    QCOMPARE(second.header("request-id"), QByteArray("req_fake_2"));
    QVERIFY(buffer.isEmpty());
    QCOMPARE(socket.state(), QAbstractSocket::ConnectedState);
    QCOMPARE(m_server->connectionsAccepted(), 1);
}

void tst_FakeAnthropicServer::closesWhenClientAsksToClose()
{
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody()), "Connection: close\r\n"));
    const RawResponse r = readRaw(&socket);
    QVERIFY(r.complete);
    QCOMPARE(r.header("connection"), QByteArray("close"));
    QVERIFY(
        waitUntil([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, kWaitMs));
}

void tst_FakeAnthropicServer::parsesChunkedRequestBodyFedPiecemeal()
{
    const QByteArray json = compactJson(validBody(false));
    const QByteArray body = QByteArray::number(10, 16) + ";ext=1\r\n" + json.left(10) + "\r\n" +
                            QByteArray::number(json.size() - 10, 16) + "\r\n" + json.mid(10) +
                            "\r\n0\r\nX-Trailer: yes\r\n\r\n";
    const QByteArray request =
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + kTestKey +
        "\r\nAnthropic-Version: 2023-06-01\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    for (qsizetype i = 0; i < request.size(); i += 7) {
        socket.write(request.mid(i, 7));
        socket.flush();
        QTest::qWait(1);
    }
    const RawResponse r = readRaw(&socket);
    QCOMPARE(r.status, 200);
    QVERIFY(r.complete);
    const ReceivedRequest received = m_server->lastRequest();
    QVERIFY(received.chunkedBody);
    QCOMPARE(received.body, json);
    QCOMPARE(received.json, validBody(false));
}

void tst_FakeAnthropicServer::answersExpectContinue()
{
    const QByteArray json = compactJson(validBody(false));
    const QByteArray full = rawRequest("/v1/messages", json, "Expect: 100-continue\r\n");
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(full.left(full.size() - json.size()));
    QByteArray interim;
    QVERIFY(waitUntil(
        [&] {
            interim += socket.readAll();
            return interim.contains("\r\n\r\n");
        },
        kWaitMs));
    QCOMPARE(interim, QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
    socket.write(json);
    const RawResponse r = readRaw(&socket);
    QCOMPARE(r.status, 200);
    QCOMPARE(m_server->lastRequest().body, json);
}

void tst_FakeAnthropicServer::answersHttp10WithoutChunking()
{
    m_server->enqueue(FakeResponse::sse(scriptedEvents()));
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write(rawRequest("/v1/messages", compactJson(validBody()), QByteArray(), "HTTP/1.0"));
    const RawResponse r = readRaw(&socket);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("transfer-encoding"), QByteArray());
    QCOMPARE(r.header("connection"), QByteArray("close"));
    QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(r.body, sseBytes(scriptedEvents(), "\n"));
}

void tst_FakeAnthropicServer::rejectsMalformedHttp()
{
    QTcpSocket socket;
    QVERIFY(connectRaw(&socket));
    socket.write("POST /v1/messages HTTP/1.1\r\nBad Header Line\r\n\r\n");
    const RawResponse r = readRaw(&socket);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("connection"), QByteArray("close"));
    const QJsonObject error =
        QJsonDocument::fromJson(r.body).object().value(QLatin1String("error")).toObject();
    QCOMPARE(error.value(QLatin1String("type")).toString(),
             QStringLiteral("invalid_request_error"));
    QCOMPARE(error.value(QLatin1String("message")).toString(),
             QStringLiteral("malformed HTTP request: malformed header line"));
    QVERIFY(
        waitUntil([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, kWaitMs));
    QVERIFY(m_server->requests().isEmpty());
}

QTEST_GUILESS_MAIN(tst_FakeAnthropicServer)
#include "tst_FakeAnthropicServer.moc"
