// AWS IAM Identity Center (SSO) profiles in the AWS credential chain (PROTOCOLS.md §2.3, "SSO
// token flow"): real shared files and token caches under a temporary HOME, and a raw fake SSO
// portal on 127.0.0.1 (AWS_ENDPOINT_URL_SSO) that records every byte of every request.
// The cached access tokens live in plaintext files under HOME, as `aws sso login` writes them:
// they are not marked secrets (the leak check scans HOME). The role keys the portal returns are.
// An SSO profile as a role's source_profile adds a raw fake STS (AWS_ENDPOINT_URL_STS) whose
// AssumeRole requests are checked for a SigV4 signature made with the portal's role keys.
#include "AwsCredentialProvider.h"
#include "AwsTestSupport.h"
#include "RawRecordingServer.h"
#include "SigV4Check.h"
#include "TestSupport.h"

#include <QCryptographicHash>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::RawRecordingServer;

namespace {

QByteArray requestLine(const QByteArray &raw)
{
    return raw.left(raw.indexOf("\r\n"));
}

QByteArray status(int code, const QByteArray &body)
{
    return "HTTP/1.1 " + QByteArray::number(code) +
           " Status\r\nContent-Type: application/json\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

QByteArray roleAnswer(const QString &secret, const QDateTime &expiration)
{
    return RawRecordingServer::ok(
        "application/json",
        "{\"roleCredentials\":{\"accessKeyId\":\"ASIASSOROLE\",\"secretAccessKey\":\"" +
            secret.toUtf8() + "\",\"sessionToken\":\"sso-session-token\",\"expiration\":" +
            QByteArray::number(expiration.toMSecsSinceEpoch()) + "}}");
}

const QByteArray kSessionConfig = "[profile corp]\n"
                                  "sso_session = corp-sso\n"
                                  "sso_account_id = 123456789012\n"
                                  "sso_role_name = BedrockUser\n"
                                  "region = eu-west-1\n"
                                  "\n"
                                  "[sso-session corp-sso]\n"
                                  "sso_start_url = https://corp.awsapps.com/start\n"
                                  "sso_region = eu-west-1\n"
                                  "sso_registration_scopes = sso:account:access\n";

const QString kStartUrl = QStringLiteral("https://legacy.awsapps.com/start#/");

const QByteArray kLegacyConfig = "[profile old]\n"
                                 "sso_start_url = https://legacy.awsapps.com/start#/\n"
                                 "sso_region = us-east-2\n"
                                 "sso_account_id = 210987654321\n"
                                 "sso_role_name = Legacy+Role\n";

QString cachePath(const TestHome &h, const QString &name)
{
    return h.root() + "/.aws/sso/cache/" +
           QString::fromLatin1(
               QCryptographicHash::hash(name.toUtf8(), QCryptographicHash::Sha1).toHex()) +
           ".json";
}

void writeToken(const TestHome &h, const QString &name, const QString &token,
                const QDateTime &expiresAt)
{
    h.writeFile(cachePath(h, name),
                "{\"startUrl\":\"https://corp.awsapps.com/start\",\"region\":\"eu-west-1\","
                "\"accessToken\":\"" +
                    token.toUtf8() + "\",\"expiresAt\":\"" +
                    expiresAt.toUTC().toString(Qt::ISODate).toUtf8() + "\"}");
}

AwsCredentialProvider::Config config(const TestHome &h, const RawRecordingServer &portal,
                                     const QString &profile)
{
    AwsCredentialProvider::Config c;
    c.environment = h.environment();
    c.environment.insert("HOME", h.root());
    c.environment.insert("AWS_PROFILE", profile);
    c.environment.insert("AWS_EC2_METADATA_DISABLED", "true");
    c.environment.insert("AWS_ENDPOINT_URL_SSO", portal.baseUrl().toString());
    return c;
}

QString expiredText(const QString &name, const QString &login)
{
    return QStringLiteral("The AWS SSO session %1 has expired or has no cached token. Run `%2` "
                          "(or set awsAuthRefresh to it).")
        .arg(name, login);
}

// SSO profiles as a role's source_profile: "dev" and "legacy-dev" assume roles with the role
// credentials of "my-sso" (an sso_session) and "my-old-sso" (legacy); "chained" assumes a role
// with dev's; "broken" names an SSO profile without sso_account_id.
const QByteArray kSourceConfig = "[profile dev]\n"
                                 "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                                 "source_profile = my-sso\n"
                                 "role_session_name = sso-source\n"
                                 "\n"
                                 "[profile legacy-dev]\n"
                                 "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                                 "source_profile = my-old-sso\n"
                                 "\n"
                                 "[profile chained]\n"
                                 "role_arn = arn:aws:iam::123456789012:role/Outer\n"
                                 "source_profile = dev\n"
                                 "role_session_name = outer\n"
                                 "\n"
                                 "[profile broken]\n"
                                 "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                                 "source_profile = no-account\n"
                                 "\n"
                                 "[profile my-sso]\n"
                                 "sso_session = corp-sso\n"
                                 "sso_account_id = 123456789012\n"
                                 "sso_role_name = BedrockUser\n"
                                 "\n"
                                 "[profile my-old-sso]\n"
                                 "sso_start_url = https://legacy.awsapps.com/start#/\n"
                                 "sso_region = us-east-2\n"
                                 "sso_account_id = 210987654321\n"
                                 "sso_role_name = Legacy+Role\n"
                                 "\n"
                                 "[profile no-account]\n"
                                 "sso_session = corp-sso\n"
                                 "sso_role_name = BedrockUser\n"
                                 "\n"
                                 "[sso-session corp-sso]\n"
                                 "sso_start_url = https://corp.awsapps.com/start\n"
                                 "sso_region = eu-west-1\n";

const QByteArray kEncodedBedrockArn = "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FBedrock";
const QString kDevLabel = QStringLiteral(
    "role_arn arn:aws:iam::123456789012:role/Bedrock (profile dev, source sso profile my-sso)");

// What the portal's roleAnswer() hands out, as STS must see it sign.
AwsCredentials portalKeys(const QString &secret)
{
    AwsCredentials c;
    c.accessKeyId = QStringLiteral("ASIASSOROLE");
    c.secretAccessKey = secret;
    c.sessionToken = QStringLiteral("sso-session-token");
    return c;
}

// An STS AssumeRole answer with these credentials.
QByteArray assumeRoleAnswer(const AwsCredentials &c, const QDateTime &expiration)
{
    return RawRecordingServer::ok(
        "text/xml", "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                    "<AssumeRoleResult><Credentials><AccessKeyId>" +
                        c.accessKeyId.toUtf8() + "</AccessKeyId><SecretAccessKey>" +
                        c.secretAccessKey.toUtf8() + "</SecretAccessKey><SessionToken>" +
                        c.sessionToken.toUtf8() + "</SessionToken><Expiration>" +
                        expiration.toUTC().toString(Qt::ISODate).toUtf8() +
                        "</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>");
}

// The form body of request i to the fake STS.
QByteArray stsBody(const RawRecordingServer &sts, int i)
{
    const QByteArray raw = sts.requests().value(i);
    return raw.mid(raw.indexOf("\r\n\r\n") + 4);
}

// "" when the SigV4 signature (eu-west-1, service sts) of request i to the fake STS verifies
// with `signer`, as STS checks it; else why not.
QString stsSignatureError(const RawRecordingServer &sts, int i, const AwsCredentials &signer)
{
    const QByteArray raw = sts.requests().value(i);
    const QList<QByteArray> lines = raw.left(raw.indexOf("\r\n\r\n")).split('\n');
    const QList<QByteArray> start = lines.value(0).trimmed().split(' ');
    QList<QPair<QByteArray, QByteArray>> headers;
    for (int l = 1; l < lines.size(); ++l) {
        const int colon = lines.at(l).indexOf(':');
        if (colon > 0)
            headers.append(
                {lines.at(l).left(colon).trimmed(), lines.at(l).mid(colon + 1).trimmed()});
    }
    return qlaude::fakes::checkSigV4(start.value(0), start.value(1), headers, stsBody(sts, i),
                                     signer, QStringLiteral("eu-west-1"), QStringLiteral("sts"));
}

AwsCredentialProvider::Config sourceConfig(const TestHome &h, const RawRecordingServer &portal,
                                           const RawRecordingServer &sts, const QString &profile)
{
    AwsCredentialProvider::Config c = config(h, portal, profile);
    c.environment.insert("AWS_REGION", "eu-west-1");
    c.environment.insert("AWS_ENDPOINT_URL_STS", sts.baseUrl().toString());
    return c;
}

QString sourceExpiredText(const QString &label, const QString &session, const QString &profile)
{
    return QStringLiteral("No source credentials for %1: The AWS SSO session %2 of source_profile "
                          "\"%3\" has expired or has no cached token. Run `aws sso login "
                          "--profile %3` (or set awsAuthRefresh to it).")
        .arg(label, session, profile);
}
} // namespace

class tst_AwsSsoCredentials : public QObject
{
    Q_OBJECT

private slots:
    // An sso_session profile: the token cached for the session buys the role's credentials, with
    // the exact request the portal expects; the answer is cached until it nears expiry.
    void ssoSessionProfileAsksThePortal()
    {
        TestHome h(QStringLiteral("aws-sso-session"));
        h.writeFile(h.root() + "/.aws/config", kSessionConfig);
        const QString token = QStringLiteral("cached-sso-access-token-0001");
        writeToken(h, "corp-sso", token, QDateTime::currentDateTimeUtc().addSecs(3600));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        const QString secret = testSecret("sso-role-secret");
        const QDateTime expiration =
            QDateTime::fromMSecsSinceEpoch(QDateTime::currentMSecsSinceEpoch() + 3600000, Qt::UTC);
        portal.enqueue(roleAnswer(secret, expiration));

        const AwsCredentialProvider::Config c = config(h, portal, "corp");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("sso (profile corp)"));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(portal.requests().size(), 1);
        QCOMPARE(requestLine(portal.requests().at(0)),
                 QByteArray("GET /federation/credentials?account_id=123456789012&role_name="
                            "BedrockUser HTTP/1.1"));
        QVERIFY(portal.headerValues(0, "x-amz-sso_bearer_token") ==
                QList<QByteArray>{token.toUtf8()});
        QCOMPARE(g.credentials.accessKeyId, QStringLiteral("ASIASSOROLE"));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.sessionToken, QStringLiteral("sso-session-token"));
        QCOMPARE(g.credentials.expiration, expiration);
        QCOMPARE(g.credentials.source, QStringLiteral("AWS SSO (profile corp)"));

        // Cached: a second get() sends nothing.
        const AwsGot again = getAndWait(p);
        QVERIFY2(again.error.isEmpty(), qPrintable(again.error));
        QVERIFY(again.credentials.secretAccessKey == secret);
        QTest::qWait(100);
        QCOMPARE(portal.requests().size(), 1);
        QCOMPARE(p.runs(), 1);
    }

    // A legacy profile (sso_start_url and sso_region in the profile): the cache file is named by
    // the sha1 of the start URL, and query values are percent-encoded.
    void legacyProfileUsesTheStartUrlHash()
    {
        TestHome h(QStringLiteral("aws-sso-legacy"));
        h.writeFile(h.root() + "/.aws/config", kLegacyConfig);
        const QString token = QStringLiteral("cached-legacy-token-0002");
        writeToken(h, kStartUrl, token, QDateTime::currentDateTimeUtc().addSecs(3600));
        // A decoy under the session-style name must not be used.
        writeToken(h, "old", QStringLiteral("wrong-token"),
                   QDateTime::currentDateTimeUtc().addSecs(3600));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        const QString secret = testSecret("sso-legacy-secret");
        portal.enqueue(roleAnswer(secret, QDateTime::currentDateTimeUtc().addSecs(3600)));

        const AwsCredentialProvider::Config c = config(h, portal, "old");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("sso (profile old)"));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.source, QStringLiteral("AWS SSO (profile old)"));
        QCOMPARE(portal.requests().size(), 1);
        QCOMPARE(requestLine(portal.requests().at(0)),
                 QByteArray("GET /federation/credentials?account_id=210987654321&role_name="
                            "Legacy%2BRole HTTP/1.1"));
        QVERIFY(portal.headerValues(0, "x-amz-sso_bearer_token") ==
                QList<QByteArray>{token.toUtf8()});
    }

    // An expired token, or none: the error says how to log in, and nothing is sent.
    void expiredOrMissingTokenSendsNothing()
    {
        TestHome h(QStringLiteral("aws-sso-expired"));
        h.writeFile(h.root() + "/.aws/config", kSessionConfig + "\n" + kLegacyConfig);
        writeToken(h, "corp-sso", QStringLiteral("stale-token-0003"),
                   QDateTime::currentDateTimeUtc().addSecs(-60));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        {
            AwsCredentialProvider p(config(h, portal, "corp"));
            const AwsGot g = getAndWait(p);
            QVERIFY(g.done);
            QVERIFY(!g.credentials.isValid());
            QCOMPARE(g.error, expiredText("corp-sso", "aws sso login --sso-session corp-sso"));
        }
        {
            // Legacy, and no cache file at all.
            AwsCredentialProvider p(config(h, portal, "old"));
            const AwsGot g = getAndWait(p);
            QVERIFY(!g.credentials.isValid());
            QCOMPARE(g.error, expiredText(kStartUrl, "aws sso login --profile old"));
        }
        QTest::qWait(100);
        QCOMPARE(portal.requests().size(), 0);
    }

    // 403 (and 401) from the portal: the session must be renewed, and no error quotes the token,
    // even when the portal echoes it. Other failures name the profile, not the token.
    void portalRejectionAsksToRenew()
    {
        TestHome h(QStringLiteral("aws-sso-403"));
        h.writeFile(h.root() + "/.aws/config", kSessionConfig);
        const QString token = QStringLiteral("revoked-sso-token-0004");
        writeToken(h, "corp-sso", token, QDateTime::currentDateTimeUtc().addSecs(3600));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        const QByteArray echo =
            "{\"message\":\"Session token not found or invalid: " + token.toUtf8() + "\"}";
        portal.enqueue(status(403, echo));
        portal.enqueue(status(401, echo));
        portal.enqueue(status(500, echo));
        for (int code : {403, 401}) {
            AwsCredentialProvider p(config(h, portal, "corp"));
            const AwsGot g = getAndWait(p);
            QVERIFY(!g.credentials.isValid());
            QVERIFY2(g.error == expiredText("corp-sso", "aws sso login --sso-session corp-sso"),
                     qPrintable(QString::number(code) + ": " + g.error));
        }
        AwsCredentialProvider p(config(h, portal, "corp"));
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("AWS SSO") && g.error.contains("corp") && g.error.contains("500"),
                 qPrintable(g.error));
        QVERIFY(!g.error.contains(token));
        QCOMPARE(portal.requests().size(), 3);
    }

    // awsAuthRefresh set to `aws sso login`: an expired token runs it once, and the token it
    // caches is then used.
    void awsAuthRefreshRenewsAnExpiredToken()
    {
        TestHome h(QStringLiteral("aws-sso-refresh"));
        h.writeFile(h.root() + "/.aws/config", kSessionConfig);
        writeToken(h, "corp-sso", QStringLiteral("stale-token-0005"),
                   QDateTime::currentDateTimeUtc().addSecs(-3600));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        const QString secret = testSecret("sso-refreshed-secret");
        portal.enqueue(roleAnswer(secret, QDateTime::currentDateTimeUtc().addSecs(3600)));
        const QString fresh = QStringLiteral("fresh-sso-token-0005");
        const QString counter = h.root() + "/refresh-runs";

        AwsCredentialProvider::Config c = config(h, portal, "corp");
        c.refreshCommand =
            helperCommand("aws_sso_refresh.sh", QString(), {cachePath(h, "corp-sso"), fresh});
        c.refreshWorkingDirectory = h.root();
        c.refreshEnvironment = c.environment;
        c.refreshEnvironment.insert("QLAUDE_TEST_COUNTER", counter);
        AwsCredentialProvider p(c);
        QStringList output;
        connect(&p, &AwsCredentialProvider::refreshOutput, this,
                [&output](const QString &line) { output << line; });
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.source, QStringLiteral("AWS SSO (profile corp)"));
        QCOMPARE(p.refreshRuns(), 1);
        QFile runs(counter);
        QVERIFY(runs.open(QIODevice::ReadOnly));
        QCOMPARE(runs.readAll().count('\n'), 1);
        QVERIFY2(output.join('\n').contains("WDDD-HRQV"), qPrintable(output.join('\n')));
        QCOMPARE(portal.requests().size(), 1);
        QVERIFY(portal.headerValues(0, "x-amz-sso_bearer_token") ==
                QList<QByteArray>{fresh.toUtf8()});
    }

    // A token within 5 minutes of expiry, with a refresh token and client registration: SSO-OIDC
    // CreateToken renews it, the cache file is rewritten (mode 0600), and the new token is used.
    void nearExpiryTokenIsRefreshed()
    {
        TestHome h(QStringLiteral("aws-sso-oidc"));
        h.writeFile(h.root() + "/.aws/config", kSessionConfig);
        const QString file = cachePath(h, "corp-sso");
        const QDateTime registration = QDateTime::currentDateTimeUtc().addDays(30);
        h.writeFile(
            file,
            QJsonDocument(
                QJsonObject{{"startUrl", "https://corp.awsapps.com/start"},
                            {"region", "eu-west-1"},
                            {"accessToken", "old-sso-token-0006"},
                            {"expiresAt",
                             QDateTime::currentDateTimeUtc().addSecs(120).toString(Qt::ISODate)},
                            {"refreshToken", "refresh-token-0006"},
                            {"clientId", "client-id-0006"},
                            {"clientSecret", "client-secret-0006"},
                            {"registrationExpiresAt", registration.toString(Qt::ISODate)}})
                .toJson());
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(RawRecordingServer::ok(
            "application/json",
            "{\"accessToken\":\"new-sso-token-0006\",\"expiresIn\":3600,"
            "\"refreshToken\":\"refresh-token-0007\",\"tokenType\":\"Bearer\"}"));
        const QString secret = testSecret("sso-oidc-secret");
        server.enqueue(roleAnswer(secret, QDateTime::currentDateTimeUtc().addSecs(3600)));
        AwsCredentialProvider::Config c = config(h, server, "corp");
        c.environment.insert("AWS_ENDPOINT_URL_SSO_OIDC", server.baseUrl().toString());
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(server.requests().size(), 2);
        const QByteArray post = server.requests().at(0);
        QCOMPARE(requestLine(post), QByteArray("POST /token HTTP/1.1"));
        QVERIFY(server.headerValues(0, "content-type").value(0).startsWith("application/json"));
        const QJsonObject sent =
            QJsonDocument::fromJson(post.mid(post.indexOf("\r\n\r\n") + 4)).object();
        QVERIFY(sent == (QJsonObject{{"grantType", "refresh_token"},
                                     {"clientId", "client-id-0006"},
                                     {"clientSecret", "client-secret-0006"},
                                     {"refreshToken", "refresh-token-0006"}}));
        QVERIFY(server.headerValues(1, "x-amz-sso_bearer_token") ==
                QList<QByteArray>{"new-sso-token-0006"});

        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject written = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(written.value("accessToken").toString() == "new-sso-token-0006");
        QVERIFY(written.value("refreshToken").toString() == "refresh-token-0007");
        QVERIFY(written.value("clientSecret").toString() == "client-secret-0006");
        QCOMPARE(written.value("startUrl").toString(),
                 QStringLiteral("https://corp.awsapps.com/start"));
        const QDateTime expiresAt =
            QDateTime::fromString(written.value("expiresAt").toString(), Qt::ISODate);
        QVERIFY2(qAbs(QDateTime::currentDateTimeUtc().addSecs(3600).secsTo(expiresAt)) < 60,
                 qPrintable(written.value("expiresAt").toString()));
        QCOMPARE(QFile::permissions(file) & ~(QFileDevice::ReadUser | QFileDevice::WriteUser),
                 QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }

    // CreateToken fails: the old token still serves while valid, and within 30 s no second
    // refresh is tried.
    void failedRefreshKeepsTheValidTokenAndWaits()
    {
        TestHome h(QStringLiteral("aws-sso-oidc-fail"));
        h.writeFile(h.root() + "/.aws/config", kSessionConfig);
        h.writeFile(
            cachePath(h, "corp-sso"),
            QJsonDocument(
                QJsonObject{{"accessToken", "old-sso-token-0008"},
                            {"expiresAt",
                             QDateTime::currentDateTimeUtc().addSecs(120).toString(Qt::ISODate)},
                            {"refreshToken", "refresh-token-0008"},
                            {"clientId", "client-id-0008"},
                            {"clientSecret", "client-secret-0008"}})
                .toJson());
        RawRecordingServer server;
        QVERIFY(server.listen());
        server.enqueue(status(400, "{\"error\":\"invalid_grant\",\"error_description\":"
                                   "\"refresh-token-0008\"}"));
        const QString secret = testSecret("sso-oidc-fallback");
        server.enqueue(roleAnswer(secret, QDateTime::currentDateTimeUtc().addSecs(3600)));
        server.enqueue(roleAnswer(secret, QDateTime::currentDateTimeUtc().addSecs(3600)));
        AwsCredentialProvider::Config c = config(h, server, "corp");
        c.environment.insert("AWS_ENDPOINT_URL_SSO_OIDC", server.baseUrl().toString());
        AwsCredentialProvider p(c);
        AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(g.credentials.secretAccessKey == secret);
        p.invalidate();
        g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(server.requests().size(), 3);
        QCOMPARE(requestLine(server.requests().at(0)), QByteArray("POST /token HTTP/1.1"));
        for (int i = 1; i < 3; ++i) {
            QVERIFY(requestLine(server.requests().at(i)).startsWith("GET /federation/"));
            QVERIFY(server.headerValues(i, "x-amz-sso_bearer_token") ==
                    QList<QByteArray>{"old-sso-token-0008"});
        }
    }

    // A key the SSO flow needs is missing: the error names it and the file, and neither
    // staticSource nor resolve() falls through to another source.
    void missingKeysAreNamed()
    {
        TestHome h(QStringLiteral("aws-sso-missing"));
        const QString file = h.root() + "/.aws/config";
        h.writeFile(file, "[profile corp]\nsso_session = corp-sso\nsso_role_name = R\n"
                          "[sso-session corp-sso]\nsso_start_url = https://x/start\n"
                          "sso_region = eu-west-1\n"
                          "[profile noregion]\nsso_session = bare\nsso_account_id = 1\n"
                          "sso_role_name = R\n"
                          "[sso-session bare]\nsso_start_url = https://x/start\n");
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        AwsCredentialProvider::Config c = config(h, portal, "corp");
        QString why;
        QVERIFY(AwsCredentialProvider::staticSource(c, &why).isEmpty());
        QVERIFY2(why.contains("sso_account_id") && why.contains(file), qPrintable(why));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QCOMPARE(g.error, why);

        c = config(h, portal, "noregion");
        why.clear();
        QVERIFY(AwsCredentialProvider::staticSource(c, &why).isEmpty());
        QVERIFY2(why.contains("sso_region") && why.contains("[sso-session bare]") &&
                     why.contains(file),
                 qPrintable(why));
        QTest::qWait(100);
        QCOMPARE(portal.requests().size(), 0);
    }

    // role_arn + source_profile naming an SSO profile: the SSO profile's cached token buys its
    // role credentials from the portal, exactly as for an SSO profile of its own, and those
    // sign STS AssumeRole (with their session token). staticSource names the SSO source.
    void ssoProfileAsRoleSource()
    {
        TestHome h(QStringLiteral("aws-sso-source"));
        h.writeFile(h.root() + "/.aws/config", kSourceConfig);
        const QString token = QStringLiteral("cached-sso-access-token-0101");
        writeToken(h, "corp-sso", token, QDateTime::currentDateTimeUtc().addSecs(3600));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        const QString portalSecret = testSecret("sso-source-portal");
        portal.enqueue(roleAnswer(portalSecret, QDateTime::currentDateTimeUtc().addSecs(3600)));
        AwsCredentials role;
        role.accessKeyId = QStringLiteral("ASIAROLEFROMSSO");
        role.secretAccessKey = testSecret("sso-source-role");
        role.sessionToken = QStringLiteral("role-session-token-0101");
        const QDateTime expiration =
            QDateTime::fromSecsSinceEpoch(QDateTime::currentSecsSinceEpoch() + 3600, Qt::UTC);
        sts.enqueue(assumeRoleAnswer(role, expiration));

        const AwsCredentialProvider::Config c = sourceConfig(h, portal, sts, "dev");
        QString why;
        QCOMPARE(AwsCredentialProvider::staticSource(c, &why), kDevLabel);
        QVERIFY(why.isEmpty());
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));

        QCOMPARE(portal.requests().size(), 1);
        QCOMPARE(requestLine(portal.requests().at(0)),
                 QByteArray("GET /federation/credentials?account_id=123456789012&role_name="
                            "BedrockUser HTTP/1.1"));
        QVERIFY(portal.headerValues(0, "x-amz-sso_bearer_token") ==
                QList<QByteArray>{token.toUtf8()});

        QCOMPARE(sts.requests().size(), 1);
        QCOMPARE(requestLine(sts.requests().at(0)), QByteArray("POST / HTTP/1.1"));
        QCOMPARE(stsBody(sts, 0),
                 "Action=AssumeRole&Version=2011-06-15&RoleArn=" + kEncodedBedrockArn +
                     "&RoleSessionName=sso-source&DurationSeconds=3600");
        const QString signatureError = stsSignatureError(sts, 0, portalKeys(portalSecret));
        QVERIFY2(signatureError.isEmpty(), qPrintable(signatureError));
        QVERIFY(sts.headerValues(0, "x-amz-security-token") ==
                QList<QByteArray>{"sso-session-token"});
        QVERIFY(sts.headerValues(0, "x-amz-sso_bearer_token").isEmpty());

        QCOMPARE(g.credentials.accessKeyId, role.accessKeyId);
        QVERIFY(g.credentials.secretAccessKey == role.secretAccessKey);
        QCOMPARE(g.credentials.sessionToken, role.sessionToken);
        QCOMPARE(g.credentials.expiration, expiration);
        QCOMPARE(g.credentials.source, kDevLabel);

        // Cached: nothing is asked again.
        QVERIFY(getAndWait(p).credentials.secretAccessKey == role.secretAccessKey);
        QTest::qWait(100);
        QCOMPARE(portal.requests().size(), 1);
        QCOMPARE(sts.requests().size(), 1);
        QCOMPARE(p.runs(), 1);
    }

    // The SSO source behind another role: chained -> dev -> my-sso. Two AssumeRole calls, the
    // second signed with what the first returned; only the direct SSO source is named.
    void ssoSourceBehindAnotherRole()
    {
        TestHome h(QStringLiteral("aws-sso-source-chain"));
        h.writeFile(h.root() + "/.aws/config", kSourceConfig);
        writeToken(h, "corp-sso", QStringLiteral("cached-sso-access-token-0102"),
                   QDateTime::currentDateTimeUtc().addSecs(3600));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        const QString portalSecret = testSecret("sso-chain-portal");
        portal.enqueue(roleAnswer(portalSecret, QDateTime::currentDateTimeUtc().addSecs(3600)));
        AwsCredentials inner;
        inner.accessKeyId = QStringLiteral("ASIAINNERROLE");
        inner.secretAccessKey = testSecret("sso-chain-inner");
        inner.sessionToken = QStringLiteral("inner-session-token");
        AwsCredentials outer;
        outer.accessKeyId = QStringLiteral("ASIAOUTERROLE");
        outer.secretAccessKey = testSecret("sso-chain-outer");
        outer.sessionToken = QStringLiteral("outer-session-token");
        sts.enqueue(assumeRoleAnswer(inner, QDateTime::currentDateTimeUtc().addSecs(3600)));
        sts.enqueue(assumeRoleAnswer(outer, QDateTime::currentDateTimeUtc().addSecs(3600)));

        const AwsCredentialProvider::Config c = sourceConfig(h, portal, sts, "chained");
        const QString label =
            QStringLiteral("role_arn arn:aws:iam::123456789012:role/Outer (profile chained)");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr), label);
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(portal.requests().size(), 1);
        QCOMPARE(sts.requests().size(), 2);
        QVERIFY(stsBody(sts, 0).contains(QByteArray("&RoleArn=" + kEncodedBedrockArn + "&")));
        QString signatureError = stsSignatureError(sts, 0, portalKeys(portalSecret));
        QVERIFY2(signatureError.isEmpty(), qPrintable(signatureError));
        QVERIFY(stsBody(sts, 1).contains("&RoleSessionName=outer&"));
        signatureError = stsSignatureError(sts, 1, inner);
        QVERIFY2(signatureError.isEmpty(), qPrintable(signatureError));
        QCOMPARE(g.credentials.accessKeyId, outer.accessKeyId);
        QVERIFY(g.credentials.secretAccessKey == outer.secretAccessKey);
        QCOMPARE(g.credentials.source, label);
    }

    // The source profile's token is expired (sso_session) or was never cached (legacy): no
    // credentials, with a sentence naming the profile and `aws sso login --profile <it>`, and
    // neither the portal nor STS is asked.
    void expiredSourceTokenNamesTheProfile()
    {
        TestHome h(QStringLiteral("aws-sso-source-expired"));
        h.writeFile(h.root() + "/.aws/config", kSourceConfig);
        writeToken(h, "corp-sso", QStringLiteral("stale-token-0103"),
                   QDateTime::currentDateTimeUtc().addSecs(-60));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        {
            AwsCredentialProvider p(sourceConfig(h, portal, sts, "dev"));
            const AwsGot g = getAndWait(p);
            QVERIFY(g.done);
            QVERIFY(!g.credentials.isValid());
            QCOMPARE(g.error, sourceExpiredText(kDevLabel, "corp-sso", "my-sso"));
        }
        {
            const AwsCredentialProvider::Config c = sourceConfig(h, portal, sts, "legacy-dev");
            const QString label =
                QStringLiteral("role_arn arn:aws:iam::123456789012:role/Bedrock (profile "
                               "legacy-dev, source sso profile my-old-sso)");
            QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr), label);
            AwsCredentialProvider p(c);
            const AwsGot g = getAndWait(p);
            QVERIFY(!g.credentials.isValid());
            QCOMPARE(g.error, sourceExpiredText(label, kStartUrl, "my-old-sso"));
        }
        QTest::qWait(100);
        QCOMPARE(portal.requests().size(), 0);
        QCOMPARE(sts.requests().size(), 0);
    }

    // The portal rejects the source's token (403): the same "log in again" sentence, and STS is
    // not asked.
    void portalRejectionOfTheSourceAsksToRenew()
    {
        TestHome h(QStringLiteral("aws-sso-source-403"));
        h.writeFile(h.root() + "/.aws/config", kSourceConfig);
        writeToken(h, "corp-sso", QStringLiteral("revoked-sso-token-0104"),
                   QDateTime::currentDateTimeUtc().addSecs(3600));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        portal.enqueue(status(403, "{\"message\":\"Session token not found or invalid\"}"));
        AwsCredentialProvider p(sourceConfig(h, portal, sts, "dev"));
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QCOMPARE(g.error, sourceExpiredText(kDevLabel, "corp-sso", "my-sso"));
        QCOMPARE(portal.requests().size(), 1);
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 0);
    }

    // awsAuthRefresh set to `aws sso login`: the source's expired token runs it once, and the
    // token it caches buys the source credentials that sign AssumeRole.
    void awsAuthRefreshRenewsTheSourceToken()
    {
        TestHome h(QStringLiteral("aws-sso-source-refresh"));
        h.writeFile(h.root() + "/.aws/config", kSourceConfig);
        writeToken(h, "corp-sso", QStringLiteral("stale-token-0105"),
                   QDateTime::currentDateTimeUtc().addSecs(-3600));
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        const QString portalSecret = testSecret("sso-source-refreshed");
        portal.enqueue(roleAnswer(portalSecret, QDateTime::currentDateTimeUtc().addSecs(3600)));
        AwsCredentials role;
        role.accessKeyId = QStringLiteral("ASIAREFRESHEDROLE");
        role.secretAccessKey = testSecret("sso-source-refreshed-role");
        role.sessionToken = QStringLiteral("refreshed-role-token");
        sts.enqueue(assumeRoleAnswer(role, QDateTime::currentDateTimeUtc().addSecs(3600)));
        const QString fresh = QStringLiteral("fresh-sso-token-0105");

        AwsCredentialProvider::Config c = sourceConfig(h, portal, sts, "dev");
        c.refreshCommand =
            helperCommand("aws_sso_refresh.sh", QString(), {cachePath(h, "corp-sso"), fresh});
        c.refreshWorkingDirectory = h.root();
        c.refreshEnvironment = c.environment;
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(p.refreshRuns(), 1);
        QCOMPARE(p.runs(), 2);
        QCOMPARE(portal.requests().size(), 1);
        QVERIFY(portal.headerValues(0, "x-amz-sso_bearer_token") ==
                QList<QByteArray>{fresh.toUtf8()});
        QCOMPARE(sts.requests().size(), 1); // no GetCallerIdentity: the role keys are fresh
        const QString signatureError = stsSignatureError(sts, 0, portalKeys(portalSecret));
        QVERIFY2(signatureError.isEmpty(), qPrintable(signatureError));
        QVERIFY(g.credentials.secretAccessKey == role.secretAccessKey);
        QCOMPARE(g.credentials.source, kDevLabel);
    }

    // The source's token within 5 minutes of expiry: SSO-OIDC CreateToken renews it first, as
    // for an SSO profile of its own.
    void nearExpirySourceTokenIsRefreshed()
    {
        TestHome h(QStringLiteral("aws-sso-source-oidc"));
        h.writeFile(h.root() + "/.aws/config", kSourceConfig);
        const QString file = cachePath(h, "corp-sso");
        h.writeFile(
            file,
            QJsonDocument(
                QJsonObject{{"accessToken", "old-sso-token-0106"},
                            {"expiresAt",
                             QDateTime::currentDateTimeUtc().addSecs(120).toString(Qt::ISODate)},
                            {"refreshToken", "refresh-token-0106"},
                            {"clientId", "client-id-0106"},
                            {"clientSecret", "client-secret-0106"}})
                .toJson());
        RawRecordingServer server; // SSO-OIDC and the portal
        QVERIFY(server.listen());
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        server.enqueue(RawRecordingServer::ok(
            "application/json", "{\"accessToken\":\"new-sso-token-0106\",\"expiresIn\":3600}"));
        const QString portalSecret = testSecret("sso-source-oidc");
        server.enqueue(roleAnswer(portalSecret, QDateTime::currentDateTimeUtc().addSecs(3600)));
        AwsCredentials role;
        role.accessKeyId = QStringLiteral("ASIAOIDCROLE");
        role.secretAccessKey = testSecret("sso-source-oidc-role");
        role.sessionToken = QStringLiteral("oidc-role-token");
        sts.enqueue(assumeRoleAnswer(role, QDateTime::currentDateTimeUtc().addSecs(3600)));
        AwsCredentialProvider::Config c = sourceConfig(h, server, sts, "dev");
        c.environment.insert("AWS_ENDPOINT_URL_SSO_OIDC", server.baseUrl().toString());
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(server.requests().size(), 2);
        QCOMPARE(requestLine(server.requests().at(0)), QByteArray("POST /token HTTP/1.1"));
        QVERIFY(server.headerValues(1, "x-amz-sso_bearer_token") ==
                QList<QByteArray>{"new-sso-token-0106"});
        QCOMPARE(sts.requests().size(), 1);
        const QString signatureError = stsSignatureError(sts, 0, portalKeys(portalSecret));
        QVERIFY2(signatureError.isEmpty(), qPrintable(signatureError));
        QVERIFY(g.credentials.secretAccessKey == role.secretAccessKey);
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(QJsonDocument::fromJson(f.readAll()).object().value("accessToken").toString() ==
                "new-sso-token-0106");
    }

    // A source SSO profile without a key it needs: staticSource names it without running
    // anything, get() says the same, and nothing is sent.
    void sourceMissingKeyIsNamed()
    {
        TestHome h(QStringLiteral("aws-sso-source-missing"));
        const QString file = h.root() + "/.aws/config";
        h.writeFile(file, kSourceConfig);
        RawRecordingServer portal;
        QVERIFY(portal.listen());
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        const AwsCredentialProvider::Config c = sourceConfig(h, portal, sts, "broken");
        QString why;
        QVERIFY(AwsCredentialProvider::staticSource(c, &why).isEmpty());
        QVERIFY2(why.contains("sso_account_id") && why.contains(file) &&
                     why.contains("\"no-account\"") && why.contains("profile broken"),
                 qPrintable(why));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QCOMPARE(g.error, why);
        QTest::qWait(100);
        QCOMPARE(portal.requests().size(), 0);
        QCOMPARE(sts.requests().size(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_AwsSsoCredentials)
#include "tst_AwsSsoCredentials.moc"
