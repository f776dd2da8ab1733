// STS role credentials in the AWS credential chain (PROTOCOLS.md §2.3): role_arn profiles with
// source_profile (STS AssumeRole, SigV4-signed for service sts with the source keys) and web
// identity (STS AssumeRoleWithWebIdentity, unsigned). Real shared files under a temporary HOME
// and a raw fake STS on 127.0.0.1 (AWS_ENDPOINT_URL_STS) that records every byte it receives.
// The source keys live in plaintext files under HOME, so they are not marked secrets (the leak
// check scans HOME); the role keys STS returns are.
#include "AwsCredentialProvider.h"
#include "AwsTestSupport.h"
#include "RawRecordingServer.h"
#include "SigV4Check.h"
#include "SigV4Signer.h"
#include "TestSupport.h"

#include <QRegularExpression>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::RawRecordingServer;

namespace {

// One recorded request, split.
struct Received
{
    QByteArray method;
    QByteArray target;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &h : headers) {
            if (h.first.toLower() == name.toLower())
                return h.second;
        }
        return QByteArray();
    }
};

Received split(const QByteArray &raw)
{
    Received r;
    const int end = raw.indexOf("\r\n\r\n");
    const QList<QByteArray> lines = raw.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    r.method = requestLine.value(0);
    r.target = requestLine.value(1);
    for (int i = 1; i < lines.size(); ++i) {
        const int colon = lines.at(i).indexOf(':');
        if (colon > 0)
            r.headers.append(
                {lines.at(i).left(colon).trimmed(), lines.at(i).mid(colon + 1).trimmed()});
    }
    r.body = raw.mid(end + 4);
    return r;
}

QByteArray xmlAnswer(int code, const QByteArray &body)
{
    return "HTTP/1.1 " + QByteArray::number(code) +
           " Status\r\nContent-Type: text/xml\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

QByteArray credentialsAnswer(const QByteArray &action, const QString &secret,
                             const QDateTime &expiration)
{
    return xmlAnswer(200,
                     "<" + action +
                         "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                         "<" +
                         action +
                         "Result><AssumedRoleUser><Arn>arn:aws:sts::123456789012:"
                         "assumed-role/Bedrock/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId>"
                         "</AssumedRoleUser><Credentials><AccessKeyId>ASIASTSROLE</AccessKeyId>"
                         "<SecretAccessKey>" +
                         secret.toUtf8() +
                         "</SecretAccessKey><SessionToken>sts-session-token</SessionToken>"
                         "<Expiration>" +
                         expiration.toString(Qt::ISODate).toUtf8() +
                         "</Expiration></Credentials></" + action +
                         "Result><ResponseMetadata>"
                         "<RequestId>r-1</RequestId></ResponseMetadata></" +
                         action + "Response>");
}

const QString kRoleArn = QStringLiteral("arn:aws:iam::123456789012:role/Bedrock");
const QByteArray kEncodedArn = "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FBedrock";
// Plaintext in a file under HOME: deliberately not a marked test secret.
const QString kSourceSecret = QStringLiteral("source-secret-value-0001");

const QByteArray kConfig = "[profile base]\n"
                           "aws_access_key_id = AKIASOURCE\n"
                           "aws_secret_access_key = source-secret-value-0001\n"
                           "\n"
                           "[profile role]\n"
                           "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                           "source_profile = base\n"
                           "role_session_name = qlaude-test\n"
                           "\n"
                           "[profile plain]\n"
                           "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                           "source_profile = base\n"
                           "\n"
                           "[profile mfa]\n"
                           "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                           "source_profile = base\n"
                           "mfa_serial = arn:aws:iam::123456789012:mfa/user\n"
                           "\n"
                           "[profile loop-a]\n"
                           "role_arn = arn:aws:iam::123456789012:role/A\n"
                           "source_profile = loop-b\n"
                           "\n"
                           "[profile loop-b]\n"
                           "role_arn = arn:aws:iam::123456789012:role/B\n"
                           "source_profile = loop-a\n"
                           "\n"
                           "[profile web]\n"
                           "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                           "web_identity_token_file = /nonexistent/token\n";

AwsCredentialProvider::Config config(const TestHome &h, const RawRecordingServer &sts,
                                     const QString &profile)
{
    AwsCredentialProvider::Config c;
    c.environment = h.environment();
    c.environment.insert("HOME", h.root());
    if (!profile.isEmpty())
        c.environment.insert("AWS_PROFILE", profile);
    c.environment.insert("AWS_REGION", "eu-west-1");
    c.environment.insert("AWS_EC2_METADATA_DISABLED", "true");
    c.environment.insert("AWS_ENDPOINT_URL_STS", sts.baseUrl().toString());
    return c;
}

AwsCredentials sourceCredentials()
{
    AwsCredentials c;
    c.accessKeyId = QStringLiteral("AKIASOURCE");
    c.secretAccessKey = kSourceSecret;
    return c;
}
} // namespace

class tst_AwsStsCredentials : public QObject
{
    Q_OBJECT

private slots:
    // role_arn + source_profile with static keys: one signed AssumeRole POST with the exact
    // form; the role's credentials and expiration come back and are cached until 5 minutes
    // before they expire.
    void assumeRoleWithSourceProfile()
    {
        TestHome h(QStringLiteral("aws-sts-assume"));
        h.writeFile(h.root() + "/.aws/config", kConfig);
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        const QString secret = testSecret("sts-role-secret");
        QDateTime expiration = QDateTime::currentDateTimeUtc().addSecs(3600);
        expiration.setTime(QTime(expiration.time().hour(), expiration.time().minute(),
                                 expiration.time().second()));
        sts.enqueue(credentialsAnswer("AssumeRole", secret, expiration));
        sts.enqueue(credentialsAnswer("AssumeRole", secret, expiration.addSecs(3600)));

        const AwsCredentialProvider::Config c = config(h, sts, "role");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("role_arn arn:aws:iam::123456789012:role/Bedrock (profile role)"));
        AwsCredentialProvider p(c);
        QDateTime clock = QDateTime::currentDateTimeUtc();
        p.setClockForTesting([&clock] { return clock; });
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(sts.requests().size(), 1);
        const Received r = split(sts.requests().at(0));
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.target, QByteArray("/"));
        QCOMPARE(r.body, "Action=AssumeRole&Version=2011-06-15&RoleArn=" + kEncodedArn +
                             "&RoleSessionName=qlaude-test&DurationSeconds=3600");
        QVERIFY(r.header("content-type").startsWith("application/x-www-form-urlencoded"));
        const QString signatureError = qlaude::fakes::checkSigV4(
            r.method, r.target, r.headers, r.body, sourceCredentials(), "eu-west-1", "sts");
        QVERIFY2(signatureError.isEmpty(), qPrintable(signatureError));
        QVERIFY(r.header("x-amz-security-token").isEmpty());

        QCOMPARE(g.credentials.accessKeyId, QStringLiteral("ASIASTSROLE"));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.sessionToken, QStringLiteral("sts-session-token"));
        QCOMPARE(g.credentials.expiration, expiration);
        QCOMPARE(g.credentials.source,
                 QStringLiteral("role_arn arn:aws:iam::123456789012:role/Bedrock (profile role)"));

        // Cached: a second get() sends nothing.
        const AwsGot again = getAndWait(p);
        QVERIFY2(again.error.isEmpty(), qPrintable(again.error));
        QVERIFY(again.credentials.secretAccessKey == secret);
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 1);
        QCOMPARE(p.runs(), 1);

        // 4 minutes before expiry: asked again.
        clock = expiration.addSecs(-240);
        const AwsGot renewed = getAndWait(p);
        QVERIFY2(renewed.error.isEmpty(), qPrintable(renewed.error));
        QCOMPARE(sts.requests().size(), 2);
        QCOMPARE(renewed.credentials.expiration, expiration.addSecs(3600));
    }

    // An STS ErrorResponse: the error names the code and the message, never the source keys;
    // without role_session_name the session is named qlaude-<ms>.
    void stsErrorIsNamed()
    {
        TestHome h(QStringLiteral("aws-sts-error"));
        h.writeFile(h.root() + "/.aws/config", kConfig);
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        sts.enqueue(xmlAnswer(
            403, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                 "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: "
                 "arn:aws:iam::123456789012:user/dev is not authorized to perform: "
                 "sts:AssumeRole</Message></Error><RequestId>r-2</RequestId></ErrorResponse>"));
        AwsCredentialProvider p(config(h, sts, "plain"));
        const AwsGot g = getAndWait(p);
        QVERIFY(g.done);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("AccessDenied") &&
                     g.error.contains("is not authorized to perform: sts:AssumeRole") &&
                     g.error.contains("AssumeRole") && g.error.contains("profile plain"),
                 qPrintable(g.error));
        QVERIFY(!g.error.contains(kSourceSecret));
        QCOMPARE(sts.requests().size(), 1);
        const QByteArray body = split(sts.requests().at(0)).body;
        QVERIFY2(QRegularExpression("&RoleSessionName=qlaude-[0-9]{13}&DurationSeconds=3600$")
                     .match(QString::fromLatin1(body))
                     .hasMatch(),
                 body.constData());
    }

    // mfa_serial: a clear error that points to awsCredentialExport, and nothing is sent.
    void mfaSerialIsNotSupported()
    {
        TestHome h(QStringLiteral("aws-sts-mfa"));
        h.writeFile(h.root() + "/.aws/config", kConfig);
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        const AwsCredentialProvider::Config c = config(h, sts, "mfa");
        QString why;
        QCOMPARE(AwsCredentialProvider::staticSource(c, &why), QString());
        QVERIFY2(why.contains("MFA-protected roles are not supported yet"), qPrintable(why));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(g.done);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("MFA-protected roles are not supported yet") &&
                     g.error.contains("awsCredentialExport") && g.error.contains("\"mfa\""),
                 qPrintable(g.error));
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 0);
    }

    // Two role profiles naming each other: an error naming the loop, and nothing is sent.
    void sourceProfileLoopIsAnError()
    {
        TestHome h(QStringLiteral("aws-sts-loop"));
        h.writeFile(h.root() + "/.aws/config", kConfig);
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        AwsCredentialProvider p(config(h, sts, "loop-a"));
        const AwsGot g = getAndWait(p);
        QVERIFY(g.done);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("makes a loop") && g.error.contains("loop-a -> loop-b -> loop-a"),
                 qPrintable(g.error));
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 0);
    }

    // AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: an unsigned AssumeRoleWithWebIdentity POST
    // carrying the trimmed token from the file.
    void webIdentityFromEnvironment()
    {
        TestHome h(QStringLiteral("aws-sts-web"));
        const QString tokenFile = h.root() + "/web-identity-token";
        h.writeFile(tokenFile, "  eyJ.web-identity-token.0001\n");
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        const QString secret = testSecret("sts-web-secret");
        const QDateTime expiration =
            QDateTime::fromSecsSinceEpoch(QDateTime::currentSecsSinceEpoch() + 3600, Qt::UTC);
        sts.enqueue(credentialsAnswer("AssumeRoleWithWebIdentity", secret, expiration));
        AwsCredentialProvider::Config c = config(h, sts, QString());
        c.environment.insert("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile);
        c.environment.insert("AWS_ROLE_ARN", kRoleArn);
        c.environment.insert("AWS_ROLE_SESSION_NAME", "wi-session");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("web identity (arn:aws:iam::123456789012:role/Bedrock)"));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(sts.requests().size(), 1);
        const Received r = split(sts.requests().at(0));
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.body,
                 "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + kEncodedArn +
                     "&RoleSessionName=wi-session&WebIdentityToken=eyJ.web-identity-"
                     "token.0001");
        QVERIFY(r.header("authorization").isEmpty());
        QVERIFY(r.header("x-amz-date").isEmpty());
        QCOMPARE(g.credentials.accessKeyId, QStringLiteral("ASIASTSROLE"));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.sessionToken, QStringLiteral("sts-session-token"));
        QCOMPARE(g.credentials.expiration, expiration);
        QCOMPARE(g.credentials.source,
                 QStringLiteral("web identity (arn:aws:iam::123456789012:role/Bedrock)"));
    }

    // A profile with web_identity_token_file names its source; a missing token file is an
    // error naming the file, and nothing is sent.
    void webIdentityProfile()
    {
        TestHome h(QStringLiteral("aws-sts-web-profile"));
        h.writeFile(h.root() + "/.aws/config", kConfig);
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        const AwsCredentialProvider::Config c = config(h, sts, "web");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("web identity (arn:aws:iam::123456789012:role/Bedrock)"));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("/nonexistent/token") && g.error.contains("does not exist"),
                 qPrintable(g.error));
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_AwsStsCredentials)
#include "tst_AwsStsCredentials.moc"
