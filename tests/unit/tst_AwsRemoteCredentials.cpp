// The remote end of the AWS credential chain (PROTOCOLS.md §2.3 "remote"): container credentials
// and the EC2 instance metadata service, against raw fakes on 127.0.0.1 that record every byte
// of every request. Every test builds its environment itself: nothing comes from the process.
#include "AwsCredentialProvider.h"
#include "AwsTestSupport.h"
#include "RawRecordingServer.h"
#include "TestSupport.h"

#include <QElapsedTimer>
#include <QNetworkProxy>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::RawRecordingServer;

namespace {

QByteArray status(int code, const QByteArray &body = QByteArray())
{
    return "HTTP/1.1 " + QByteArray::number(code) +
           " Status\r\nContent-Type: text/plain\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

QByteArray credentialJson(const QString &secret, const QString &token, const QString &expiration)
{
    return R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAREMOTE","SecretAccessKey":")" +
           secret.toUtf8() + R"(","Token":")" + token.toUtf8() + R"(","Expiration":")" +
           expiration.toUtf8() + R"("})";
}

QByteArray requestLine(const QByteArray &raw)
{
    return raw.left(raw.indexOf("\r\n"));
}

// A fresh environment: only HOME (an empty one, so no AWS profile exists) and what a test adds.
QProcessEnvironment baseEnv(const TestHome &h)
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), h.root());
    return env;
}

// The fake's port on 0.0.0.0, which Linux connects to the local host: unlike 127.0.0.1, Qt does not
// exempt it from the application proxy, so a request that honours the proxy reaches the proxy.
QUrl viaAnyAddress(const RawRecordingServer &server)
{
    return QUrl(QStringLiteral("http://0.0.0.0:%1").arg(server.port()));
}

// An application-wide proxy that must never see a metadata request.
class ProxyGuard
{
public:
    explicit ProxyGuard(quint16 port) : m_old(QNetworkProxy::applicationProxy())
    {
        QNetworkProxy::setApplicationProxy(
            QNetworkProxy(QNetworkProxy::HttpProxy, QStringLiteral("127.0.0.1"), port));
    }
    ~ProxyGuard() { QNetworkProxy::setApplicationProxy(m_old); }

private:
    QNetworkProxy m_old;
};
} // namespace

class tst_AwsRemoteCredentials : public QObject
{
    Q_OBJECT

private slots:
    // AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on 169.254.170.2 (here the fake): a 503 is
    // retried, the token goes in Authorization, and the answer is cached until it nears expiry.
    void containerRelativeUri()
    {
        TestHome h(QStringLiteral("aws-container-relative"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        const QString secret = testSecret("container-secret");
        const QString token = testSecret("container-auth");
        server.enqueue(status(503));
        server.enqueue(RawRecordingServer::ok(
            "application/json", credentialJson(secret, "session-token-1", "2099-01-01T00:00:00Z")));

        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                             "/v2/credentials/qlt-id?a=1");
        c.environment.insert("AWS_CONTAINER_AUTHORIZATION_TOKEN", token);
        c.containerHost = viaAnyAddress(server);
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("container credentials"));

        RawRecordingServer proxy;
        QVERIFY(proxy.listen());
        ProxyGuard guard(proxy.port());
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QCOMPARE(proxy.requests().size(), 0); // never through a proxy
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, QStringLiteral("ASIAREMOTE"));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.sessionToken, QStringLiteral("session-token-1"));
        QCOMPARE(g.credentials.expiration, QDateTime(QDate(2099, 1, 1), QTime(0, 0), Qt::UTC));
        QCOMPARE(g.credentials.source, QStringLiteral("container credentials"));
        QCOMPARE(server.requests().size(), 2); // the 503, then the retry
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(requestLine(server.requests().at(i)),
                     QByteArray("GET /v2/credentials/qlt-id?a=1 HTTP/1.1"));
            QVERIFY(server.headerValues(i, "authorization") == QList<QByteArray>{token.toUtf8()});
        }
        QCOMPARE(proxy.requests().size(), 0);

        QVERIFY(getAndWait(p).credentials.isValid()); // cached
        QCOMPARE(server.requests().size(), 2);
    }

    // AWS_CONTAINER_CREDENTIALS_FULL_URI on loopback, with the token read (and trimmed) from
    // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, which wins over the variable.
    void containerFullUriWithTokenFile()
    {
        TestHome h(QStringLiteral("aws-container-full"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        const QString secret = testSecret("container-full");
        server.enqueue(
            RawRecordingServer::ok("application/json", credentialJson(secret, "session-token-2",
                                                                      "2099-02-03T04:05:06.789Z")));
        // A file on disk holds no marked secret (the suite's leak check scans HOME).
        const QString tokenFile = h.path("eks-pod-identity-token");
        h.writeFile(tokenFile, "  file-written-container-token-0021\n");

        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                             server.baseUrl().toString() + "/get-credentials");
        c.environment.insert("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile);
        c.environment.insert("AWS_CONTAINER_AUTHORIZATION_TOKEN", "variable-token-loses");
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.expiration,
                 QDateTime(QDate(2099, 2, 3), QTime(4, 5, 6, 789), Qt::UTC));
        QCOMPARE(server.requests().size(), 1);
        QCOMPARE(requestLine(server.requests().at(0)), QByteArray("GET /get-credentials HTTP/1.1"));
        QCOMPARE(server.headerValues(0, "authorization"),
                 QList<QByteArray>{"file-written-container-token-0021"});

        // A token file that is not a regular file: refused before any request.
        c.environment.insert("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", h.root());
        AwsCredentialProvider directory(c);
        const AwsGot bad = getAndWait(directory);
        QVERIFY(!bad.credentials.isValid());
        QVERIFY2(bad.error.contains("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") &&
                     bad.error.contains("not a regular file"),
                 qPrintable(bad.error));
        QTest::qWait(100);
        QCOMPARE(server.requests().size(), 1);
    }

    // A full URI over plain http to any other host is refused without a connection: 0.0.0.0
    // would reach the fake on 127.0.0.1 if it were tried.
    void containerFullUriToOtherHostIsRefused()
    {
        TestHome h(QStringLiteral("aws-container-refused"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                             QStringLiteral("http://0.0.0.0:%1/creds").arg(server.port()));
        c.environment.insert("AWS_CONTAINER_AUTHORIZATION_TOKEN", testSecret("refused"));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QTest::qWait(200);
        QCOMPARE(server.requests().size(), 0);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("is not allowed") && g.error.contains("0.0.0.0"),
                 qPrintable(g.error));
        QVERIFY(!g.error.contains("qltSECRET"));
        QString why;
        QVERIFY(AwsCredentialProvider::staticSource(c, &why).isEmpty());
        QVERIFY2(why.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI") && why.contains("https") &&
                     why.contains("loopback") && why.contains("169.254.170.23"),
                 qPrintable(why));

        // The rule, host by host.
        const auto source = [&c](const QString &uri) {
            c.environment.insert("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri);
            return AwsCredentialProvider::staticSource(c, nullptr);
        };
        const QString yes = QStringLiteral("container credentials");
        for (const char *allowed :
             {"https://creds.example.com/x", "http://127.0.0.1:9/x", "http://127.8.9.10/x",
              "http://[::1]:9/x", "http://localhost:9/x", "http://LOCALHOST/x",
              "http://169.254.170.2/x", "http://169.254.170.23/v1/credentials",
              "http://[fd00:ec2::23]/x"})
            QVERIFY2(source(QLatin1String(allowed)) == yes, allowed);
        for (const char *refused :
             {"http://creds.example.com/x", "http://169.254.170.3/x", "http://128.0.0.1/x",
              "http://[fd00:ec2::24]/x", "http://169.254.169.254/x", "ftp://127.0.0.1/x",
              "file:///etc/passwd", "not a url"})
            QVERIFY2(source(QLatin1String(refused)).isEmpty(), refused);
    }

    // Container answers: retried at most 3 times on 5xx, never on 4xx, and no error quotes the
    // authorization token, even when the server echoes it.
    void containerFailuresAreBoundedAndRedacted()
    {
        TestHome h(QStringLiteral("aws-container-fail"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        const QString token = testSecret("container-echo");
        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                             server.baseUrl().toString() + "/creds");
        c.environment.insert("AWS_CONTAINER_AUTHORIZATION_TOKEN", token);
        for (int i = 0; i < 5; ++i)
            server.enqueue(status(500));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QCOMPARE(server.requests().size(), 4); // one try and 3 retries
        QVERIFY2(g.error.contains(server.baseUrl().toString()) && g.error.contains("HTTP 500") &&
                     g.error.contains("after 3 retries"),
                 qPrintable(g.error));

        TestHome h2(QStringLiteral("aws-container-echo"));
        RawRecordingServer echo;
        QVERIFY(echo.listen());
        echo.enqueue(
            RawRecordingServer::jsonError(401, "unauthorized", "bad token " + token.toUtf8()));
        c.environment.insert("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                             echo.baseUrl().toString() + "/c");
        AwsCredentialProvider q(c);
        const AwsGot e = getAndWait(q);
        QVERIFY(!e.credentials.isValid());
        QCOMPARE(echo.requests().size(), 1);
        QVERIFY2(e.error.contains("HTTP 401"), "401 not named");
        QVERIFY2(!e.error.contains("qltSECRET"), "the token reached the error text");
    }

    // IMDSv2: the session token (PUT, TTL header), the role name, then its credentials, with the
    // token on both GETs; never through a proxy; cached until 5 minutes before expiry.
    void imdsV2TokenRoleCredentials()
    {
        TestHome h(QStringLiteral("aws-imds-v2"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        const QString secret = testSecret("imds-secret");
        const QString token = testSecret("imds-token");
        const auto script = [&] {
            server.enqueue(RawRecordingServer::ok("text/plain", token.toUtf8()));
            server.enqueue(RawRecordingServer::ok("text/plain", "qlt-role\n"));
            server.enqueue(RawRecordingServer::ok(
                "text/plain", credentialJson(secret, "imds-session", "2026-12-06T11:00:00Z")));
        };
        script();
        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_EC2_METADATA_SERVICE_ENDPOINT",
                             viaAnyAddress(server).toString() + "/");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("instance metadata"));

        RawRecordingServer proxy;
        QVERIFY(proxy.listen());
        ProxyGuard guard(proxy.port());
        QDateTime now(QDate(2026, 12, 6), QTime(10, 0), Qt::UTC);
        AwsCredentialProvider p(c);
        p.setClockForTesting([&now] { return now; });
        const AwsGot g = getAndWait(p);
        QCOMPARE(proxy.requests().size(), 0); // never through a proxy
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, QStringLiteral("ASIAREMOTE"));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.sessionToken, QStringLiteral("imds-session"));
        QCOMPARE(g.credentials.source, QStringLiteral("instance metadata (role qlt-role)"));
        QCOMPARE(g.credentials.expiration, QDateTime(QDate(2026, 12, 6), QTime(11, 0), Qt::UTC));

        const QList<QByteArray> &r = server.requests();
        QCOMPARE(r.size(), 3);
        QCOMPARE(requestLine(r.at(0)), QByteArray("PUT /latest/api/token HTTP/1.1"));
        QCOMPARE(server.headerValues(0, "x-aws-ec2-metadata-token-ttl-seconds"),
                 QList<QByteArray>{"21600"});
        QVERIFY(server.headerValues(0, "x-aws-ec2-metadata-token").isEmpty());
        QVERIFY(r.at(0).endsWith("\r\n\r\n")); // no body
        QCOMPARE(requestLine(r.at(1)),
                 QByteArray("GET /latest/meta-data/iam/security-credentials/ HTTP/1.1"));
        QCOMPARE(requestLine(r.at(2)),
                 QByteArray("GET /latest/meta-data/iam/security-credentials/qlt-role HTTP/1.1"));
        for (int i = 1; i < 3; ++i) {
            QVERIFY(server.headerValues(i, "x-aws-ec2-metadata-token") ==
                    QList<QByteArray>{token.toUtf8()});
            QVERIFY(server.headerValues(i, "x-aws-ec2-metadata-token-ttl-seconds").isEmpty());
        }
        QCOMPARE(proxy.requests().size(), 0);

        // Cached: 54 minutes later (6 before expiry) nothing is asked again...
        now = now.addSecs(54 * 60);
        QVERIFY(getAndWait(p).credentials.isValid());
        QCOMPARE(server.requests().size(), 3);
        // ...4 minutes before expiry the whole exchange runs again.
        now = now.addSecs(2 * 60);
        script();
        QVERIFY(getAndWait(p).credentials.isValid());
        QCOMPARE(server.requests().size(), 6);
        QCOMPARE(requestLine(server.requests().at(3)),
                 QByteArray("PUT /latest/api/token HTTP/1.1"));
    }

    // A 405 for the token: IMDSv1, the same two GETs without a token header.
    void imdsV1FallbackOn405()
    {
        TestHome h(QStringLiteral("aws-imds-v1"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        const QString secret = testSecret("imds-v1");
        server.enqueue(status(405));
        server.enqueue(RawRecordingServer::ok("text/plain", "role-v1\nsecond-line-ignored\n"));
        server.enqueue(RawRecordingServer::ok(
            "text/plain", credentialJson(secret, "v1-session", "2099-01-01T00:00:00Z")));
        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.baseUrl().toString());
        c.environment.insert("AWS_EC2_METADATA_DISABLED", "false");
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.source, QStringLiteral("instance metadata (role role-v1)"));
        QCOMPARE(server.requests().size(), 3);
        QCOMPARE(requestLine(server.requests().at(0)),
                 QByteArray("PUT /latest/api/token HTTP/1.1"));
        QCOMPARE(requestLine(server.requests().at(2)),
                 QByteArray("GET /latest/meta-data/iam/security-credentials/role-v1 HTTP/1.1"));
        for (int i = 1; i < 3; ++i)
            QVERIFY(server.headerValues(i, "x-aws-ec2-metadata-token").isEmpty());
    }

    // With IMDSv1 disabled (variable or profile key) a failed token request is the end.
    void imdsV1DisabledFails()
    {
        TestHome h(QStringLiteral("aws-imds-v1-off"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(status(405));
        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.baseUrl().toString());
        c.environment.insert("AWS_EC2_METADATA_V1_DISABLED", "true");
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("IMDSv1 is disabled") && g.error.contains("HTTP 405") &&
                     g.error.contains(server.baseUrl().toString()) &&
                     g.error.contains("No AWS credentials"),
                 qPrintable(g.error));
        QTest::qWait(100);
        QCOMPARE(server.requests().size(), 1);

        // The same from the profile's ec2_metadata_v1_disabled.
        h.writeFile(h.root() + "/.aws/config", "[default]\nec2_metadata_v1_disabled = true\n");
        c.environment.remove("AWS_EC2_METADATA_V1_DISABLED");
        server.enqueue(status(403));
        AwsCredentialProvider q(c);
        const AwsGot g2 = getAndWait(q);
        QVERIFY2(g2.error.contains("IMDSv1 is disabled") && g2.error.contains("HTTP 403"),
                 qPrintable(g2.error));
        QTest::qWait(100);
        QCOMPARE(server.requests().size(), 2);
    }

    // AWS_EC2_METADATA_DISABLED: IMDS is not tried at all, and the error says why.
    void imdsDisabledIsNotTried()
    {
        TestHome h(QStringLiteral("aws-imds-off"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.baseUrl().toString());
        c.environment.insert("AWS_EC2_METADATA_DISABLED", "true");
        QString why;
        QVERIFY(AwsCredentialProvider::staticSource(c, &why).isEmpty());
        QVERIFY2(why.contains("AWS_EC2_METADATA_DISABLED"), qPrintable(why));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("No AWS credentials") &&
                     g.error.contains("AWS_EC2_METADATA_DISABLED"),
                 qPrintable(g.error));
        QTest::qWait(300);
        QCOMPARE(server.requests().size(), 0);
    }

    // A metadata server that accepts and never answers: 1 s per request, the UI thread's event
    // loop keeps running meanwhile. With IMDSv1 disabled that is one request (~1 s); otherwise
    // the token timeout falls back to IMDSv1, whose GET times out too (~2 s, two requests).
    void silentMetadataServerTimesOut()
    {
        QFETCH(bool, v1Disabled);
        QFETCH(int, expectedRequests);
        QFETCH(int, limitMs);
        TestHome h(QStringLiteral("aws-imds-silent"));
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(QByteArray()); // stall
        server.enqueue(QByteArray()); // stall
        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        c.environment.insert("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.baseUrl().toString());
        if (v1Disabled)
            c.environment.insert("AWS_EC2_METADATA_V1_DISABLED", "true");
        AwsCredentialProvider p(c);

        int ticks = 0;
        QTimer ticker;
        ticker.setInterval(50);
        connect(&ticker, &QTimer::timeout, &ticker, [&ticks] { ++ticks; });
        ticker.start();
        AwsGot g;
        QElapsedTimer clock;
        clock.start();
        p.get([&g](const AwsCredentials &cr, const QString &e) {
            g.done = true;
            g.credentials = cr;
            g.error = e;
        });
        QVERIFY(clock.elapsed() < 100); // get() never waits
        QVERIFY(QTest::qWaitFor([&g] { return g.done; }, 5000));
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed >= 900 && elapsed < limitMs, qPrintable(QString::number(elapsed)));
        QVERIFY2(ticks >= elapsed / 50 / 2, qPrintable(QStringLiteral("%1 ticks").arg(ticks)));
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("did not answer within 1 s") &&
                     g.error.contains(server.baseUrl().toString()),
                 qPrintable(g.error));
        QCOMPARE(server.requests().size(), expectedRequests);
    }
    void silentMetadataServerTimesOut_data()
    {
        QTest::addColumn<bool>("v1Disabled");
        QTest::addColumn<int>("expectedRequests");
        QTest::addColumn<int>("limitMs");
        QTest::newRow("v1 disabled") << true << 1 << 1500;
        QTest::newRow("v1 fallback") << false << 2 << 2500;
    }

    // What the resolver and doctor are told, without anything running.
    void staticSourceNamesTheRemoteSources()
    {
        TestHome h(QStringLiteral("aws-remote-static"));
        AwsCredentialProvider::Config c;
        c.environment = baseEnv(h);
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("instance metadata"));
        c.environment.insert("AWS_EC2_METADATA_DISABLED", "1");
        QVERIFY(AwsCredentialProvider::staticSource(c, nullptr).isEmpty());
        c.environment.insert("AWS_EC2_METADATA_DISABLED", "FALSE");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("instance metadata"));
        // A configured awsAuthRefresh is named before IMDS.
        c.refreshCommand = QStringLiteral("true");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr), QStringLiteral("awsAuthRefresh"));
        c.refreshCommand.clear();
        // Container credentials before both; earlier sources before them.
        c.environment.insert("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("container credentials"));
        c.environment.insert("AWS_ACCESS_KEY_ID", "AKIAENV");
        c.environment.insert("AWS_SECRET_ACCESS_KEY", "env-secret-remote-0031");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr), QStringLiteral("env"));
        // A profile needing an unsupported feature is not replaced by a remote source.
        c.environment.remove("AWS_ACCESS_KEY_ID");
        c.environment.remove("AWS_SECRET_ACCESS_KEY");
        c.environment.remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        h.writeFile(h.root() + "/.aws/config", "[profile corp]\nsso_session = corp\n");
        c.environment.insert("AWS_PROFILE", "corp");
        QString why;
        QVERIFY(AwsCredentialProvider::staticSource(c, &why).isEmpty());
        QVERIFY2(why.contains("SSO"), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(tst_AwsRemoteCredentials)
#include "tst_AwsRemoteCredentials.moc"
