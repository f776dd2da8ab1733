#include "RawRecordingServer.h"
#include "TestSupport.h"
#include "TokenHttp.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::RawRecordingServer;

namespace {

QByteArray rawAnswer(int status, const QByteArray &contentType, const QByteArray &body,
                     const QByteArray &extraHeaders = QByteArray())
{
    return "HTTP/1.1 " + QByteArray::number(status) + " Status\r\nContent-Type: " + contentType +
           "\r\n" + extraHeaders + "Content-Length: " + QByteArray::number(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

QByteArray bodyOf(const QByteArray &rawRequest)
{
    return rawRequest.mid(rawRequest.indexOf("\r\n\r\n") + 4);
}

QByteArray requestLine(const QByteArray &rawRequest)
{
    return rawRequest.left(rawRequest.indexOf("\r\n"));
}

// Writes a 200 head and then one body byte every 100 ms, forever: never silent for long.
class DripServer : public QObject
{
public:
    DripServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                s->setParent(this);
                connect(s, &QTcpSocket::readyRead, s, [s] {
                    s->readAll();
                    if (s->property("started").toBool())
                        return;
                    s->setProperty("started", true);
                    s->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             "Content-Length: 100000\r\n\r\n{");
                    auto *t = new QTimer(s);
                    connect(t, &QTimer::timeout, s, [s] { s->write(" "); });
                    t->start(100);
                });
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1/token").arg(m_port())); }

private:
    quint16 m_port() const { return m_server.serverPort(); }
    QTcpServer m_server;
};

} // namespace

// The token-endpoint HTTP helper against raw local servers: exact request bytes, no redirects,
// the size cap, the deadline, error shapes, and a callback that runs once or never.
class tst_TokenHttp : public QObject
{
    Q_OBJECT

    QNetworkAccessManager m_nam;

    // Sends and waits; fails the test if the callback does not run exactly once.
    bool run(const TokenHttpRequest &req, TokenHttpResult *out, int waitMs = 15000)
    {
        QObject context;
        int calls = 0;
        TokenHttp::send(&m_nam, req, &context, [&](const TokenHttpResult &r) {
            *out = r;
            ++calls;
        });
        if (calls != 0) {
            qWarning("the callback ran inside send()");
            return false;
        }
        if (!QTest::qWaitFor([&] { return calls > 0; }, waitMs))
            return false;
        QTest::qWait(50);
        return calls == 1;
    }

private slots:
    void formBodyArrivesByteExact()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        const QString token = testSecret("tokhttp-access");
        const QByteArray answer =
            QJsonDocument(QJsonObject{{QStringLiteral("access_token"), token},
                                      {QStringLiteral("expires_in"), 3599},
                                      {QStringLiteral("token_type"), QStringLiteral("Bearer")}})
                .toJson(QJsonDocument::Compact);
        server.enqueue(RawRecordingServer::ok("application/json", answer));
        const QString secret = testSecret("tokhttp-secret") + QStringLiteral("+/= &%?#é");
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/v2.0/token"));
        req.body = TokenHttpRequest::Body::Form;
        req.form = {{QStringLiteral("grant_type"),
                     QStringLiteral("urn:ietf:params:oauth:grant-type:jwt-bearer")},
                    {QStringLiteral("client_secret"), secret},
                    {QStringLiteral("scope"), QStringLiteral("https://ai.azure.com/.default")}};
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QVERIFY2(r.ok(), qPrintable(r.error));
        QVERIFY(r.error.isEmpty());
        QCOMPARE(r.status, 200);
        QVERIFY(r.jsonOk);
        QVERIFY(r.json.value(QStringLiteral("access_token")).toString() == token);
        QCOMPARE(server.requests().size(), 1);
        const QByteArray raw = server.requests().at(0);
        QCOMPARE(requestLine(raw), QByteArray("POST /v2.0/token HTTP/1.1"));
        QCOMPARE(server.headerValues(0, "content-type"),
                 QList<QByteArray>{"application/x-www-form-urlencoded"});
        QCOMPARE(server.headerValues(0, "accept"), QList<QByteArray>{"application/json"});
        QCOMPARE(server.headerValues(0, "cookie"), QList<QByteArray>());
        const QByteArray expected =
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&client_secret=" +
            QUrl::toPercentEncoding(secret) + "&scope=https%3A%2F%2Fai.azure.com%2F.default";
        QVERIFY(bodyOf(raw) == expected);
        // Every reserved character of the secret is escaped, so no form decoder can misread it.
        const QByteArray encodedSecret = QUrl::toPercentEncoding(secret);
        QVERIFY(encodedSecret.contains("%2B%2F%3D%20%26%25%3F%23%C3%A9"));
    }

    void jsonBodyArrivesByteExact()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(RawRecordingServer::ok("application/json", "{\"ok\":true}"));
        const QString refresh = testSecret("tokhttp-refresh");
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/v1/oauth/token"));
        req.body = TokenHttpRequest::Body::Json;
        req.json = QJsonObject{{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                               {QStringLiteral("refresh_token"), refresh},
                               {QStringLiteral("client_id"), QStringLiteral("abc")}};
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(server.headerValues(0, "content-type"), QList<QByteArray>{"application/json"});
        const QByteArray expected =
            "{\"client_id\":\"abc\",\"grant_type\":\"refresh_token\",\"refresh_token\":\"" +
            refresh.toUtf8() + "\"}";
        QVERIFY(bodyOf(server.requests().at(0)) == expected);
    }

    void getSendsExtraHeadersAndNoBody()
    {
        // The GCE metadata server: GET, Metadata-Flavor: Google, and the answer echoes it.
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(rawAnswer(200, "application/json", "{\"access_token\":\"x\"}",
                                 "Metadata-Flavor: Google\r\n"));
        TokenHttpRequest req;
        req.method = "GET";
        req.url = QUrl(server.baseUrl().toString() +
                       QStringLiteral("/computeMetadata/v1/instance/service-accounts/default/"
                                      "token?scopes=https://www.googleapis.com/auth/"
                                      "cloud-platform"));
        req.headers = {{"Metadata-Flavor", "Google"}};
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.header("metadata-flavor"), QByteArray("Google"));
        const QByteArray raw = server.requests().at(0);
        QVERIFY2(requestLine(raw).startsWith(
                     "GET /computeMetadata/v1/instance/service-accounts/default/token?scopes="),
                 requestLine(raw).constData());
        QCOMPARE(server.headerValues(0, "metadata-flavor"), QList<QByteArray>{"Google"});
        QCOMPARE(server.headerValues(0, "content-type"), QList<QByteArray>());
        QVERIFY(bodyOf(raw).isEmpty());
    }

    void redirectsAreNotFollowed_data()
    {
        QTest::addColumn<int>("status");
        QTest::newRow("302") << 302;
        QTest::newRow("307") << 307;
        QTest::newRow("308") << 308;
    }
    void redirectsAreNotFollowed()
    {
        QFETCH(int, status);
        RawRecordingServer first;
        RawRecordingServer target;
        QVERIFY(first.listen());
        QVERIFY(target.listen());
        const QString leaked = testSecret("tokhttp-query");
        const QByteArray location =
            target.baseUrl().toString().toUtf8() + "/steal?code=" + leaked.toUtf8();
        first.enqueue(RawRecordingServer::redirect(status, location));
        TokenHttpRequest req;
        req.url = QUrl(first.baseUrl().toString() + QStringLiteral("/token"));
        req.body = TokenHttpRequest::Body::Form;
        req.form = {{QStringLiteral("refresh_token"), testSecret("tokhttp-redirect")}};
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::Redirect);
        QCOMPARE(r.status, status);
        QVERIFY2(r.error.contains(QStringLiteral("HTTP %1").arg(status)), qPrintable(r.error));
        QVERIFY2(r.error.contains(target.baseUrl().toString()), qPrintable(r.error));
        QVERIFY(!r.error.contains(QStringLiteral("steal")));
        QVERIFY(!r.error.contains(leaked));
        QTest::qWait(200);
        QCOMPARE(first.requests().size(), 1);
        QCOMPARE(target.requests().size(), 0);
    }

    void oversizedAnswersAreCut()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(RawRecordingServer::ok("application/json", QByteArray(1000, 'a')));
        server.enqueue(RawRecordingServer::ok("application/json", QByteArray(1001, 'a')));
        server.enqueue(rawAnswer(400, "application/json", QByteArray(5000, 'b')));
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/token"));
        req.maxBytes = 1000;
        TokenHttpResult r;
        QVERIFY(run(req, &r)); // exactly at the cap: fine
        QCOMPARE(r.failure, TokenHttpResult::Failure::None);
        QCOMPARE(r.body.size(), 1000);
        QVERIFY(run(req, &r)); // one byte over
        QCOMPARE(r.failure, TokenHttpResult::Failure::TooLarge);
        QVERIFY(r.body.isEmpty());
        QVERIFY2(r.error.contains(QStringLiteral("longer than 1000 bytes")), qPrintable(r.error));
        QVERIFY(run(req, &r)); // an error answer is capped as well
        QCOMPARE(r.failure, TokenHttpResult::Failure::TooLarge);
    }

    void aBigAnswerIsCutWithTheDefaultCap()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(RawRecordingServer::ok("application/json", QByteArray(3 << 20, 'c')));
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/token"));
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::TooLarge);
        QVERIFY2(r.error.contains(QStringLiteral("1024 KiB")), qPrintable(r.error));
    }

    void aStallHitsTheTimeout()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(QByteArray()); // stalls
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/token"));
        req.timeoutMs = 400;
        QElapsedTimer timer;
        timer.start();
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::Timeout);
        QVERIFY(timer.elapsed() >= 350);
        QVERIFY(timer.elapsed() < 5000);
        QVERIFY2(r.error.contains(QStringLiteral("did not answer within 0.4 s")),
                 qPrintable(r.error));
    }

    void aSlowDripHitsTheDeadline()
    {
        // A byte every 100 ms never trips an inactivity timer; the deadline covers the whole
        // exchange.
        DripServer server;
        QVERIFY(server.listen());
        TokenHttpRequest req;
        req.url = server.url();
        req.timeoutMs = 600;
        QElapsedTimer timer;
        timer.start();
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::Timeout);
        QVERIFY(timer.elapsed() < 3000);
    }

    void errorShapesGiveTheirMessage_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("detail");
        QTest::newRow("oauth") << 400 << QByteArray("application/json")
                               << QByteArray("{\"error\":\"invalid_grant\","
                                             "\"error_description\":\"Token has been expired\"}")
                               << "invalid_grant"
                               << "Token has been expired";
        QTest::newRow("entra") << 401 << QByteArray("application/json")
                               << QByteArray("{\"error\":\"invalid_client\",\"error_description\":"
                                             "\"AADSTS7000215: Invalid client secret.\","
                                             "\"error_codes\":[7000215]}")
                               << "invalid_client"
                               << "AADSTS7000215: Invalid client secret.";
        QTest::newRow("azure") << 403 << QByteArray("application/json")
                               << QByteArray("{\"error\":{\"code\":\"AuthorizationFailed\","
                                             "\"message\":\"The client has no access.\"}}")
                               << "AuthorizationFailed"
                               << "The client has no access.";
        QTest::newRow("google") << 403 << QByteArray("application/json")
                                << QByteArray("{\"error\":{\"code\":403,\"message\":\"Permission "
                                              "denied on resource.\",\"status\":"
                                              "\"PERMISSION_DENIED\"}}")
                                << "PERMISSION_DENIED"
                                << "Permission denied on resource.";
        QTest::newRow("text") << 503 << QByteArray("text/plain")
                              << QByteArray("Service\x1b[31m unavailable\r\n\x07now") << ""
                              << "Service unavailable ?now";
    }
    void errorShapesGiveTheirMessage()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, body);
        QFETCH(QString, code);
        QFETCH(QString, detail);
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(rawAnswer(status, contentType, body));
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/token"));
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::Http);
        QCOMPARE(r.status, status);
        QCOMPARE(r.errorCode, code);
        QCOMPARE(r.errorDetail, detail);
        QVERIFY2(
            r.error.startsWith(
                QStringLiteral("127.0.0.1:%1 answered HTTP %2: ").arg(server.port()).arg(status)),
            qPrintable(r.error));
        QVERIFY2(r.error.contains(detail), qPrintable(r.error));
        if (!code.isEmpty())
            QVERIFY2(r.error.contains(code), qPrintable(r.error));
    }

    void errorTextIsCappedCleanedAndRedacted()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        const QString secret = testSecret("tokhttp-echo");
        // A server that echoes the request, with a control character and a bidi override.
        const QByteArray description =
            "bad secret " + secret.toUtf8() + " \x01 \xe2\x80\xae " + QByteArray(2000, 'z');
        server.enqueue(rawAnswer(
            400, "application/json",
            QJsonDocument(
                QJsonObject{{QStringLiteral("error"), QStringLiteral("invalid_request")},
                            {QStringLiteral("error_description"), QString::fromUtf8(description)}})
                .toJson(QJsonDocument::Compact)));
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/token"));
        req.body = TokenHttpRequest::Body::Form;
        req.form = {{QStringLiteral("client_secret"), secret}};
        req.redact = {secret};
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::Http);
        QVERIFY(!r.error.contains(secret));
        QVERIFY(!r.errorDetail.contains(secret));
        QVERIFY(r.errorDetail.size() <= 301);
        QVERIFY(r.error.size() <= 601);
        QVERIFY(!r.error.contains(QChar(0x01)));
        QVERIFY(!r.error.contains(QChar(0x202e)));
        QVERIFY(r.error.contains(QStringLiteral("[redacted]")));
    }

    void aSecretThatCrossesTheCutIsStillRemoved()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        // A long assertion echoed back, starting before the 300-character cut and ending after
        // it: cut first, its start would no longer match the secret and would leak.
        const QString secret = testSecret("tokhttp-long") + QString(400, QLatin1Char('x'));
        const QByteArray description = QByteArray(250, 'a') + " " + secret.toUtf8();
        server.enqueue(rawAnswer(
            400, "application/json",
            QJsonDocument(
                QJsonObject{{QStringLiteral("error"), QStringLiteral("invalid_grant")},
                            {QStringLiteral("error_description"), QString::fromUtf8(description)}})
                .toJson(QJsonDocument::Compact)));
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/token"));
        req.body = TokenHttpRequest::Body::Form;
        req.form = {{QStringLiteral("assertion"), secret}};
        req.redact = {secret};
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QVERIFY(!r.errorDetail.contains(QStringLiteral("qltSECRET")));
        QVERIFY(!r.error.contains(QStringLiteral("qltSECRET")));
    }

    // A server whose JSON escapes '/' (as many encoders do) sends a base64 secret back as
    // "\/": the raw body does not hold the secret byte for byte, the decoded detail does.
    void aJsonEscapedEchoIsStillRemoved()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        const QString secret = testSecret("tokhttp-slash") + QStringLiteral("/b64+tail/x");
        QByteArray escaped = secret.toUtf8();
        escaped.replace("/", "\\/");
        server.enqueue(rawAnswer(400, "application/json",
                                 "{\"error\":\"invalid_client\",\"error_description\":\"bad "
                                 "secret " +
                                     escaped + "\"}"));
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/token"));
        req.body = TokenHttpRequest::Body::Form;
        req.form = {{QStringLiteral("client_secret"), secret}};
        req.redact = {secret};
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::Http);
        QVERIFY2(!r.errorDetail.contains(QStringLiteral("qltSECRET")), qPrintable(r.errorDetail));
        QVERIFY2(!r.error.contains(QStringLiteral("qltSECRET")), qPrintable(r.error));
        QVERIFY2(r.errorDetail.contains(QStringLiteral("[redacted]")), qPrintable(r.errorDetail));
    }

    void anUnreachableHostIsNamed()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close();
        TokenHttpRequest req;
        req.url = QUrl(QStringLiteral("http://127.0.0.1:%1/token?secret=x").arg(port));
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::Network);
        QCOMPARE(r.status, 0);
        QVERIFY2(r.error.startsWith(QStringLiteral("could not reach 127.0.0.1:%1: ").arg(port)),
                 qPrintable(r.error));
        QVERIFY(!r.error.contains(QStringLiteral("secret=")));
    }

    void onlyHttpUrls()
    {
        TokenHttpRequest req;
        req.url = QUrl(QStringLiteral("file:///etc/passwd"));
        req.method = "GET";
        TokenHttpResult r;
        QVERIFY(run(req, &r));
        QCOMPARE(r.failure, TokenHttpResult::Failure::Network);
        QVERIFY(r.body.isEmpty());
        QVERIFY2(r.error.contains(QStringLiteral("only http and https")), qPrintable(r.error));
    }

    void aDestroyedContextSilencesTheCallback()
    {
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(QByteArray()); // stalls
        TokenHttpRequest req;
        req.url = QUrl(server.baseUrl().toString() + QStringLiteral("/token"));
        req.timeoutMs = 300;
        int calls = 0;
        auto *context = new QObject;
        TokenHttp::send(&m_nam, req, context, [&](const TokenHttpResult &) { ++calls; });
        QTRY_COMPARE(server.requests().size(), 1);
        delete context;
        QTest::qWait(700); // past the timeout: nothing runs
        QCOMPARE(calls, 0);
    }
};

QTEST_GUILESS_MAIN(tst_TokenHttp)
#include "tst_TokenHttp.moc"
