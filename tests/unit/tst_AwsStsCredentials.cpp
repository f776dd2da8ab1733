// STS role credentials in the AWS credential chain (PROTOCOLS.md §2.3): role_arn profiles with
// source_profile (STS AssumeRole, SigV4-signed for service sts with the source keys) and web
// identity (STS AssumeRoleWithWebIdentity, unsigned). Real shared files under a temporary HOME
// and a raw fake STS on 127.0.0.1 (AWS_ENDPOINT_URL_STS) that records every byte it receives.
// The source keys live in plaintext files under HOME, so they are not marked secrets (the leak
// check scans HOME); the role keys STS returns are.
// Also the STS GetCallerIdentity check before awsAuthRefresh (CLAUDE_CODE.md §2), nested role
// profiles and credential_source, against a fake STS that verifies each signature with the
// key's secret. Those keys are marked secrets: their credentials files live in a temporary
// folder outside HOME.
#include "AwsCredentialProvider.h"
#include "AwsTestSupport.h"
#include "RawRecordingServer.h"
#include "SigV4Check.h"
#include "SigV4Signer.h"
#include "TestSupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QHostAddress>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QUrlQuery>
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

// An AssumeRole answer handing out `c`.
QByteArray credentialsAnswer(const AwsCredentials &c, const QDateTime &expiration)
{
    return xmlAnswer(200, "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                          "<AssumeRoleResult><Credentials><AccessKeyId>" +
                              c.accessKeyId.toUtf8() + "</AccessKeyId><SecretAccessKey>" +
                              c.secretAccessKey.toUtf8() + "</SecretAccessKey><SessionToken>" +
                              c.sessionToken.toUtf8() + "</SessionToken><Expiration>" +
                              expiration.toString(Qt::ISODate).toUtf8() +
                              "</Expiration></Credentials></AssumeRoleResult>"
                              "</AssumeRoleResponse>");
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

AwsCredentialProvider::Config config(const TestHome &h, const QUrl &sts, const QString &profile)
{
    AwsCredentialProvider::Config c;
    c.environment = h.environment();
    c.environment.insert("HOME", h.root());
    if (!profile.isEmpty())
        c.environment.insert("AWS_PROFILE", profile);
    c.environment.insert("AWS_REGION", "eu-west-1");
    c.environment.insert("AWS_EC2_METADATA_DISABLED", "true");
    c.environment.insert("AWS_ENDPOINT_URL_STS", sts.toString());
    return c;
}

AwsCredentials sourceCredentials()
{
    AwsCredentials c;
    c.accessKeyId = QStringLiteral("AKIASOURCE");
    c.secretAccessKey = kSourceSecret;
    return c;
}

const QByteArray kGetCallerIdentity = "Action=GetCallerIdentity&Version=2011-06-15";

// A fake STS for GetCallerIdentity and AssumeRole that checks what STS checks: the SigV4
// signature (eu-west-1, service sts) with the secret (and session token) of the key id that
// signed. Then 200 with the caller's identity, or 403 ExpiredToken for a key it was told is
// expired; an unknown key id is InvalidClientTokenId, a wrong signature SignatureDoesNotMatch.
// AssumeRole of a role it was given answers that role's credentials, which it then accepts as
// a key; of any other role, 403 AccessDenied. Any other action is 400.
class FakeSts
{
public:
    FakeSts()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                s->setParent(&m_server);
                QObject::connect(s, &QTcpSocket::readyRead, &m_server, [this, s] { read(s); });
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl baseUrl() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()));
    }
    void addKey(const AwsCredentials &c, bool expired) { m_keys.append({c, expired}); }
    // AssumeRole of `roleArn` hands out `issued` (with a session token).
    void addRole(const QString &roleArn, const AwsCredentials &issued)
    {
        m_roles.insert(roleArn, issued);
    }

    const QList<Received> &requests() const { return m_requests; }
    int callerIdentityCalls() const
    {
        int n = 0;
        for (const Received &r : m_requests)
            n += r.body == kGetCallerIdentity ? 1 : 0;
        return n;
    }
    // What each request was answered, in order ("200" or the error code).
    const QStringList &answers() const { return m_answers; }

private:
    struct Key
    {
        AwsCredentials credentials;
        bool expired = false;
    };

    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const int headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return;
        const Received head = split(buffer);
        const qint64 length = head.header("content-length").toLongLong();
        if (buffer.size() < headEnd + 4 + length)
            return;
        const Received r = split(buffer.left(int(headEnd + 4 + length)));
        m_buffers.remove(socket);
        m_requests.append(r);
        const QByteArray response = answer(r);
        socket->write(response);
        socket->disconnectFromHost();
    }

    QByteArray answer(const Received &r)
    {
        const auto error = [this](const QByteArray &code, const QByteArray &message) {
            m_answers << QString::fromLatin1(code);
            return xmlAnswer(code == "InvalidAction" ? 400 : 403,
                             "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                             "<Error><Type>Sender</Type><Code>" +
                                 code + "</Code><Message>" + message +
                                 "</Message></Error><RequestId>r-9</RequestId></ErrorResponse>");
        };
        const QUrlQuery form(QString::fromLatin1(r.body));
        const QString action = form.queryItemValue("Action", QUrl::FullyDecoded);
        if (r.method != "POST" || r.target != "/" ||
            (r.body != kGetCallerIdentity && action != QLatin1String("AssumeRole")))
            return error("InvalidAction", "Could not find operation");
        const QByteArray authorization = r.header("authorization");
        const int at = authorization.indexOf("Credential=");
        const QByteArray scope = at < 0 ? QByteArray() : authorization.mid(at + 11);
        const QByteArray keyId = scope.left(scope.indexOf('/'));
        for (const Key &k : std::as_const(m_keys)) {
            if (k.credentials.accessKeyId.toUtf8() != keyId)
                continue;
            if (!qlaude::fakes::checkSigV4(r.method, r.target, r.headers, r.body, k.credentials,
                                           "eu-west-1", "sts")
                     .isEmpty())
                return error("SignatureDoesNotMatch", "The request signature we calculated does "
                                                      "not match the signature you provided.");
            if (k.expired)
                return error("ExpiredToken",
                             "The security token included in the request is expired");
            if (action == QLatin1String("AssumeRole")) {
                const QString arn = form.queryItemValue("RoleArn", QUrl::FullyDecoded);
                if (!m_roles.contains(arn))
                    return error("AccessDenied", "Not authorized to perform sts:AssumeRole");
                const AwsCredentials issued = m_roles.value(arn);
                m_keys.append({issued, false});
                m_answers << QStringLiteral("200");
                return credentialsAnswer(issued, QDateTime::currentDateTimeUtc().addSecs(3600));
            }
            m_answers << QStringLiteral("200");
            return xmlAnswer(
                200, "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/"
                     "2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:"
                     "user/dev</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>"
                     "</GetCallerIdentityResult><ResponseMetadata><RequestId>r-8</RequestId>"
                     "</ResponseMetadata></GetCallerIdentityResponse>");
        }
        return error("InvalidClientTokenId",
                     "The security token included in the request is invalid.");
    }

    QTcpServer m_server;
    QList<Key> m_keys;
    QHash<QString, AwsCredentials> m_roles;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<Received> m_requests;
    QStringList m_answers;
};

AwsCredentials staticKeys(const QString &id, const QString &secret)
{
    AwsCredentials c;
    c.accessKeyId = id;
    c.secretAccessKey = secret;
    return c;
}

AwsCredentials sessionKeys(const QString &id, const QString &secret, const QString &token)
{
    AwsCredentials c = staticKeys(id, secret);
    c.sessionToken = token;
    return c;
}

// The shared files in a temporary folder outside HOME (the leak check does not scan it), so
// they may hold marked secrets; `point` sends a config there.
struct OutsideFiles
{
    QTemporaryDir dir;
    bool write(const QString &name, const QByteArray &text)
    {
        QFile f(dir.path() + QLatin1Char('/') + name);
        return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
    }
    void point(AwsCredentialProvider::Config &c) const
    {
        c.environment.insert("AWS_CONFIG_FILE", dir.path() + QStringLiteral("/config"));
        c.environment.insert("AWS_SHARED_CREDENTIALS_FILE",
                             dir.path() + QStringLiteral("/credentials"));
    }
};

// The key id that signed a request to the fake STS.
QByteArray signedBy(const Received &r)
{
    const QByteArray authorization = r.header("authorization");
    const int at = authorization.indexOf("Credential=");
    if (at < 0)
        return QByteArray();
    const QByteArray scope = authorization.mid(at + 11);
    return scope.left(scope.indexOf('/'));
}

QByteArray credentialsFile(const AwsCredentials &c)
{
    return "[default]\naws_access_key_id = " + c.accessKeyId.toUtf8() +
           "\naws_secret_access_key = " + c.secretAccessKey.toUtf8() + "\n";
}

// The default profile's static keys in a credentials file outside HOME (they are marked
// secrets), with awsAuthRefresh set to the fixture that rewrites that file with `fresh`.
struct StaleProfile
{
    QTemporaryDir dir; // outside HOME: the leak check does not scan it
    AwsCredentialProvider::Config config;
    QString file() const { return dir.path() + QStringLiteral("/credentials"); }
};

void writeProfile(StaleProfile &s, const TestHome &h, const QUrl &sts, const AwsCredentials &in,
                  const QString &freshSecret)
{
    QFile f(s.file());
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(credentialsFile(in));
    f.close();
    s.config = config(h, sts, QString());
    s.config.environment.insert("AWS_SHARED_CREDENTIALS_FILE", s.file());
    s.config.environment.insert("AWS_CONFIG_FILE", s.dir.path() + QStringLiteral("/config"));
    s.config.refreshCommand = helperCommand("aws_refresh.sh", freshSecret, {s.file()});
    s.config.refreshWorkingDirectory = s.dir.path();
    s.config.refreshEnvironment = s.config.environment;
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

        const AwsCredentialProvider::Config c = config(h, sts.baseUrl(), "role");
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
        AwsCredentialProvider p(config(h, sts.baseUrl(), "plain"));
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
        const AwsCredentialProvider::Config c = config(h, sts.baseUrl(), "mfa");
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
        AwsCredentialProvider p(config(h, sts.baseUrl(), "loop-a"));
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
        AwsCredentialProvider::Config c = config(h, sts.baseUrl(), QString());
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
        const AwsCredentialProvider::Config c = config(h, sts.baseUrl(), "web");
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

    // Static keys STS no longer accepts, with awsAuthRefresh set: GetCallerIdentity says
    // ExpiredToken, awsAuthRefresh runs once (its output live) and rewrites the file, and the
    // new keys, which STS accepts, are handed out and cached.
    void staleProfileKeysRunAwsAuthRefresh()
    {
        TestHome h(QStringLiteral("aws-caller-stale"));
        FakeSts sts;
        QVERIFY(sts.listen());
        const AwsCredentials stale = staticKeys("AKIASTALEKEY", testSecret("stale-profile"));
        const AwsCredentials fresh = staticKeys("AKIATESTKEY", testSecret("fresh-profile"));
        sts.addKey(stale, true);
        sts.addKey(fresh, false);
        StaleProfile s;
        QVERIFY(s.dir.isValid());
        writeProfile(s, h, sts.baseUrl(), stale, fresh.secretAccessKey);
        AwsCredentialProvider p(s.config);
        QStringList output;
        connect(&p, &AwsCredentialProvider::refreshOutput, this,
                [&output](const QString &line) { output << line; });
        int started = 0;
        QStringList finished;
        connect(&p, &AwsCredentialProvider::refreshStarted, this, [&started] { ++started; });
        connect(&p, &AwsCredentialProvider::refreshFinished, this,
                [&finished](const QString &error) { finished << error; });

        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, fresh.accessKeyId);
        QVERIFY(g.credentials.secretAccessKey == fresh.secretAccessKey);
        QCOMPARE(p.refreshRuns(), 1);
        QCOMPARE(started, 1);
        QCOMPARE(finished, QStringList{QString()});
        QVERIFY2(output.join('\n').contains("Then enter the code: WDDD-HRQV"),
                 qPrintable(output.join('\n')));
        QCOMPARE(sts.callerIdentityCalls(), 2);
        QCOMPARE(sts.answers(), (QStringList{"ExpiredToken", "200"}));
        QVERIFY(sts.requests().at(0).header("authorization").contains("Credential=AKIASTALEKEY/"));
        QVERIFY(sts.requests().at(1).header("authorization").contains("Credential=AKIATESTKEY/"));
        QCOMPARE(p.runs(), 2);

        // Cached with its check: no GetCallerIdentity on a warm cache.
        const AwsGot again = getAndWait(p);
        QVERIFY(again.credentials.secretAccessKey == fresh.secretAccessKey);
        QTest::qWait(100);
        QCOMPARE(sts.callerIdentityCalls(), 2);
        QCOMPARE(p.refreshRuns(), 1);
    }

    // Keys STS accepts: one GetCallerIdentity, signed with them, and no awsAuthRefresh; callers
    // asking while it runs share it.
    void validKeysAreCheckedOnce()
    {
        TestHome h(QStringLiteral("aws-caller-valid"));
        FakeSts sts;
        QVERIFY(sts.listen());
        const AwsCredentials valid = staticKeys("AKIAVALIDKEY", testSecret("valid-profile"));
        sts.addKey(valid, false);
        StaleProfile s;
        QVERIFY(s.dir.isValid());
        writeProfile(s, h, sts.baseUrl(), valid, testSecret("unused-profile"));
        AwsCredentialProvider p(s.config);
        int answered = 0;
        p.get([&answered](const AwsCredentials &c, const QString &) {
            if (c.isValid())
                ++answered;
        });
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(answered, 1);
        QCOMPARE(g.credentials.accessKeyId, valid.accessKeyId);
        QVERIFY(g.credentials.secretAccessKey == valid.secretAccessKey);
        QCOMPARE(g.credentials.source, QStringLiteral("profile default"));
        QCOMPARE(sts.callerIdentityCalls(), 1);
        QCOMPARE(sts.answers(), QStringList{"200"});
        QCOMPARE(p.refreshRuns(), 0);
        QCOMPARE(p.runs(), 1);
        const Received r = sts.requests().at(0);
        QVERIFY(r.header("content-type").startsWith("application/x-www-form-urlencoded"));
        QVERIFY(r.header("x-amz-security-token").isEmpty());
    }

    // STS that cannot say anything about the keys (closed port, no answer within a few seconds,
    // a server error, throttling): the keys are handed out as they are, without awsAuthRefresh.
    void unreachableStsHandsTheKeysOut_data()
    {
        QTest::addColumn<QByteArray>("answer");
        QTest::addColumn<bool>("closed");
        QTest::newRow("closed port") << QByteArray() << true;
        QTest::newRow("no answer") << QByteArray() << false;
        QTest::newRow("server error")
            << xmlAnswer(500, "<ErrorResponse><Error><Code>InternalFailure</Code></Error>"
                              "</ErrorResponse>")
            << false;
        QTest::newRow("throttled")
            << xmlAnswer(400, "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate "
                              "exceeded</Message></Error></ErrorResponse>")
            << false;
    }
    void unreachableStsHandsTheKeysOut()
    {
        QFETCH(QByteArray, answer);
        QFETCH(bool, closed);
        TestHome h(QStringLiteral("aws-caller-offline"));
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        sts.enqueue(answer); // empty: it never answers
        const QUrl url = closed ? QUrl("http://127.0.0.1:9") : sts.baseUrl();
        const AwsCredentials stale = staticKeys("AKIAOFFLINEKEY", testSecret("offline-profile"));
        StaleProfile s;
        QVERIFY(s.dir.isValid());
        writeProfile(s, h, url, stale, testSecret("unused-profile"));
        AwsCredentialProvider p(s.config);
        QElapsedTimer timer;
        timer.start();
        const AwsGot g = getAndWait(p);
        QVERIFY(timer.elapsed() < 6000);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, stale.accessKeyId);
        QVERIFY(g.credentials.secretAccessKey == stale.secretAccessKey);
        QCOMPARE(p.refreshRuns(), 0);
        QCOMPARE(p.runs(), 1);
        QCOMPARE(sts.requests().size(), closed ? 0 : 1);
        if (!closed)
            QCOMPARE(split(sts.requests().at(0)).body, kGetCallerIdentity);
    }

    // Keys from the environment cannot be changed by awsAuthRefresh: never checked.
    void environmentKeysAreNotChecked()
    {
        TestHome h(QStringLiteral("aws-caller-env"));
        FakeSts sts;
        QVERIFY(sts.listen());
        const AwsCredentials env = staticKeys("AKIAENVKEY", testSecret("env-keys"));
        sts.addKey(env, true);
        StaleProfile s;
        QVERIFY(s.dir.isValid());
        writeProfile(s, h, sts.baseUrl(), staticKeys("AKIAFILEKEY", testSecret("file-keys")),
                     testSecret("unused-profile"));
        s.config.environment.insert("AWS_ACCESS_KEY_ID", env.accessKeyId);
        s.config.environment.insert("AWS_SECRET_ACCESS_KEY", env.secretAccessKey);
        AwsCredentialProvider p(s.config);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, env.accessKeyId);
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 0);
        QCOMPARE(p.refreshRuns(), 0);
    }

    // Without awsAuthRefresh there is nothing the check could start: never checked.
    void noCheckWithoutAwsAuthRefresh()
    {
        TestHome h(QStringLiteral("aws-caller-norefresh"));
        FakeSts sts;
        QVERIFY(sts.listen());
        const AwsCredentials stale = staticKeys("AKIASTALEKEY", testSecret("stale-profile"));
        sts.addKey(stale, true);
        StaleProfile s;
        QVERIFY(s.dir.isValid());
        writeProfile(s, h, sts.baseUrl(), stale, testSecret("unused-profile"));
        s.config.refreshCommand.clear();
        AwsCredentialProvider p(s.config);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, stale.accessKeyId);
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 0);
        QCOMPARE(p.refreshRuns(), 0);
    }

    // credential_process keys (with a session token) and an Expiration: more than 5 minutes
    // away, STS has just issued them and they are not checked; closer, or past, they are.
    void expiringCredentialsAreChecked_data()
    {
        QTest::addColumn<int>("expiresInSecs");
        QTest::addColumn<int>("calls");
        QTest::newRow("in an hour") << 3600 << 0;
        QTest::newRow("in 6 minutes") << 360 << 0;
        QTest::newRow("in 4 minutes") << 240 << 1;
        QTest::newRow("an hour ago") << -3600 << 1;
    }
    void expiringCredentialsAreChecked()
    {
        QFETCH(int, expiresInSecs);
        QFETCH(int, calls);
        TestHome h(QStringLiteral("aws-caller-expiry"));
        FakeSts sts;
        QVERIFY(sts.listen());
        const QString secret = testSecret("process-keys");
        const AwsCredentials process = [&secret] {
            AwsCredentials c = staticKeys("AKIAEXPORT", secret);
            c.sessionToken = QStringLiteral("tok-export");
            return c;
        }();
        sts.addKey(process, false);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString expiration =
            QDateTime::currentDateTimeUtc().addSecs(expiresInSecs).toString(Qt::ISODate);
        const int cut = secret.indexOf("SECRET");
        QFile f(dir.path() + "/config");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[default]\ncredential_process = " +
                helperCommand("aws_export.sh", QString(),
                              {"sts", secret.left(cut), secret.mid(cut), expiration})
                    .toUtf8() +
                "\n");
        f.close();
        AwsCredentialProvider::Config c = config(h, sts.baseUrl(), QString());
        c.environment.insert("AWS_CONFIG_FILE", dir.path() + "/config");
        c.environment.insert("AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/credentials");
        c.refreshCommand = QStringLiteral("true");
        c.refreshEnvironment = c.environment;
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, process.accessKeyId);
        QCOMPARE(g.credentials.source, QStringLiteral("credential_process (profile default)"));
        QTest::qWait(100);
        QCOMPARE(sts.callerIdentityCalls(), calls);
        if (calls)
            QCOMPARE(sts.requests().at(0).header("x-amz-security-token"), QByteArray("tok-export"));
        QCOMPARE(p.refreshRuns(), 0);
    }

    // A nested chain a -> b -> c, c with static keys: two AssumeRole calls, b's signed with c's
    // keys and a's with the role credentials b's returned (and their session token). The fake
    // STS verifies each signature with the right secret, so a wrong signer fails the chain.
    void nestedSourceProfilesSignWithThePreviousKeys()
    {
        TestHome h(QStringLiteral("aws-sts-nested"));
        FakeSts sts;
        QVERIFY(sts.listen());
        const AwsCredentials c = staticKeys("AKIANESTEDC", testSecret("nested-c"));
        const AwsCredentials b =
            sessionKeys("ASIANESTEDB", testSecret("nested-b"), "nested-b-session-token");
        const AwsCredentials a =
            sessionKeys("ASIANESTEDA", testSecret("nested-a"), "nested-a-session-token");
        sts.addKey(c, false);
        sts.addRole("arn:aws:iam::123456789012:role/B", b);
        sts.addRole("arn:aws:iam::123456789012:role/A", a);
        OutsideFiles files;
        QVERIFY(files.dir.isValid());
        QVERIFY(files.write("config", "[profile a]\n"
                                      "role_arn = arn:aws:iam::123456789012:role/A\n"
                                      "source_profile = b\n"
                                      "role_session_name = session-a\n"
                                      "[profile b]\n"
                                      "role_arn = arn:aws:iam::123456789012:role/B\n"
                                      "source_profile = c\n"
                                      "role_session_name = session-b\n"));
        QVERIFY(files.write("credentials",
                            "[c]\naws_access_key_id = " + c.accessKeyId.toUtf8() +
                                "\naws_secret_access_key = " + c.secretAccessKey.toUtf8() + "\n"));
        AwsCredentialProvider::Config settings = config(h, sts.baseUrl(), "a");
        files.point(settings);
        const QString label =
            QStringLiteral("role_arn arn:aws:iam::123456789012:role/A (profile a)");
        QCOMPARE(AwsCredentialProvider::staticSource(settings, nullptr), label);
        AwsCredentialProvider p(settings);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(sts.answers(), (QStringList{"200", "200"}));
        QCOMPARE(sts.requests().size(), 2);
        const Received first = sts.requests().at(0);
        QCOMPARE(first.body, QByteArray("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3A"
                                        "iam%3A%3A123456789012%3Arole%2FB&RoleSessionName="
                                        "session-b&DurationSeconds=3600"));
        QCOMPARE(signedBy(first), QByteArray("AKIANESTEDC"));
        QVERIFY(first.header("x-amz-security-token").isEmpty());
        const Received second = sts.requests().at(1);
        QCOMPARE(second.body, QByteArray("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3A"
                                         "iam%3A%3A123456789012%3Arole%2FA&RoleSessionName="
                                         "session-a&DurationSeconds=3600"));
        QCOMPARE(signedBy(second), QByteArray("ASIANESTEDB"));
        QCOMPARE(second.header("x-amz-security-token"), QByteArray("nested-b-session-token"));
        QCOMPARE(g.credentials.accessKeyId, a.accessKeyId);
        QVERIFY(g.credentials.secretAccessKey == a.secretAccessKey);
        QCOMPARE(g.credentials.sessionToken, a.sessionToken);
        QCOMPARE(g.credentials.source, label);
    }

    // A loop deeper in the chain (x -> y -> z -> y), and a chain of six role profiles: errors
    // naming the chain, and nothing is sent.
    void deepLoopsAndLongChainsAreRefused()
    {
        TestHome h(QStringLiteral("aws-sts-deep"));
        h.writeFile(h.root() + "/.aws/config",
                    kConfig + "\n[profile x]\nrole_arn = arn:aws:iam::123456789012:role/X\n"
                              "source_profile = y\n"
                              "[profile y]\nrole_arn = arn:aws:iam::123456789012:role/Y\n"
                              "source_profile = z\n"
                              "[profile z]\nrole_arn = arn:aws:iam::123456789012:role/Z\n"
                              "source_profile = y\n"
                              "[profile r0]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
                              "source_profile = r1\n"
                              "[profile r1]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
                              "source_profile = r2\n"
                              "[profile r2]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
                              "source_profile = r3\n"
                              "[profile r3]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
                              "source_profile = r4\n"
                              "[profile r4]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
                              "source_profile = r5\n"
                              "[profile r5]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
                              "source_profile = base\n");
        RawRecordingServer sts;
        QVERIFY(sts.listen());
        {
            AwsCredentialProvider p(config(h, sts.baseUrl(), "x"));
            const AwsGot g = getAndWait(p);
            QVERIFY(g.done);
            QVERIFY(!g.credentials.isValid());
            QVERIFY2(g.error.contains("Profile \"z\": source_profile makes a loop (x -> y -> z -> "
                                      "y)"),
                     qPrintable(g.error));
        }
        {
            AwsCredentialProvider p(config(h, sts.baseUrl(), "r0"));
            const AwsGot g = getAndWait(p);
            QVERIFY(!g.credentials.isValid());
            QVERIFY2(g.error.contains("(r0 -> r1 -> r2 -> r3 -> r4) is longer than 5"),
                     qPrintable(g.error));
        }
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 0);
    }

    // credential_source = EcsContainer: the container credentials (fake endpoint on loopback,
    // with its Authorization token) sign AssumeRole, with their session token.
    void credentialSourceEcsContainer()
    {
        TestHome h(QStringLiteral("aws-sts-ecs"));
        FakeSts sts;
        QVERIFY(sts.listen());
        RawRecordingServer container;
        QVERIFY(container.listen());
        const AwsCredentials task =
            sessionKeys("ASIACONTAINER", testSecret("ecs-task"), "container-session-token");
        const QString authorization = testSecret("ecs-authorization");
        container.enqueue(RawRecordingServer::ok(
            "application/json", "{\"AccessKeyId\":\"ASIACONTAINER\",\"SecretAccessKey\":\"" +
                                    task.secretAccessKey.toUtf8() +
                                    "\",\"Token\":\"container-session-token\",\"Expiration\":"
                                    "\"2099-01-01T00:00:00Z\"}"));
        const AwsCredentials role =
            sessionKeys("ASIAECSROLE", testSecret("ecs-role"), "ecs-role-session-token");
        sts.addKey(task, false);
        sts.addRole(kRoleArn, role);
        OutsideFiles files;
        QVERIFY(files.dir.isValid());
        QVERIFY(files.write("config", "[profile ecs]\n"
                                      "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                                      "credential_source = EcsContainer\n"
                                      "role_session_name = ecs-session\n"));
        AwsCredentialProvider::Config c = config(h, sts.baseUrl(), "ecs");
        files.point(c);
        c.environment.insert("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                             container.baseUrl().toString() + "/v2/credentials/task");
        c.environment.insert("AWS_CONTAINER_AUTHORIZATION_TOKEN", authorization);
        const QString label =
            QStringLiteral("role_arn arn:aws:iam::123456789012:role/Bedrock (profile ecs)");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr), label);
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(container.requests().size(), 1);
        QVERIFY(container.requests().at(0).startsWith("GET /v2/credentials/task HTTP/1.1\r\n"));
        QVERIFY(container.headerValues(0, "authorization") ==
                QList<QByteArray>{authorization.toUtf8()});
        QCOMPARE(sts.answers(), QStringList{"200"});
        const Received r = sts.requests().at(0);
        QCOMPARE(r.body, "Action=AssumeRole&Version=2011-06-15&RoleArn=" + kEncodedArn +
                             "&RoleSessionName=ecs-session&DurationSeconds=3600");
        QCOMPARE(signedBy(r), QByteArray("ASIACONTAINER"));
        QCOMPARE(r.header("x-amz-security-token"), QByteArray("container-session-token"));
        QCOMPARE(g.credentials.accessKeyId, role.accessKeyId);
        QVERIFY(g.credentials.secretAccessKey == role.secretAccessKey);
        QCOMPARE(g.credentials.source, label);
    }

    // credential_source = Environment. Keys in the environment are the chain's second step, so
    // with both set they are handed out as they are and the role is never assumed (PROTOCOLS.md
    // §2.3: the Bedrock SDK's own fromEnv wins even with AWS_PROFILE). Without both, the role
    // says what it needs, and nothing is sent.
    void credentialSourceEnvironment()
    {
        TestHome h(QStringLiteral("aws-sts-env-source"));
        FakeSts sts;
        QVERIFY(sts.listen());
        const AwsCredentials env = staticKeys("AKIAENVSOURCE", testSecret("env-source"));
        sts.addKey(env, false);
        sts.addRole(kRoleArn, sessionKeys("ASIAENVROLE", testSecret("env-role"), "env-role-token"));
        OutsideFiles files;
        QVERIFY(files.dir.isValid());
        QVERIFY(files.write("config", "[profile envrole]\n"
                                      "role_arn = arn:aws:iam::123456789012:role/Bedrock\n"
                                      "credential_source = Environment\n"));
        AwsCredentialProvider::Config c = config(h, sts.baseUrl(), "envrole");
        files.point(c);
        {
            AwsCredentialProvider::Config withKeys = c;
            withKeys.environment.insert("AWS_ACCESS_KEY_ID", env.accessKeyId);
            withKeys.environment.insert("AWS_SECRET_ACCESS_KEY", env.secretAccessKey);
            QCOMPARE(AwsCredentialProvider::staticSource(withKeys, nullptr), QStringLiteral("env"));
            AwsCredentialProvider p(withKeys);
            const AwsGot g = getAndWait(p);
            QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
            QCOMPARE(g.credentials.accessKeyId, env.accessKeyId);
            QCOMPARE(g.credentials.source, QStringLiteral("AWS_ACCESS_KEY_ID (environment)"));
        }
        {
            AwsCredentialProvider::Config idOnly = c;
            idOnly.environment.insert("AWS_ACCESS_KEY_ID", env.accessKeyId);
            QCOMPARE(AwsCredentialProvider::staticSource(idOnly, nullptr),
                     QStringLiteral("role_arn arn:aws:iam::123456789012:role/Bedrock (profile "
                                    "envrole)"));
            AwsCredentialProvider p(idOnly);
            const AwsGot g = getAndWait(p);
            QVERIFY(!g.credentials.isValid());
            QCOMPARE(g.error,
                     QStringLiteral("No source credentials for role_arn arn:aws:iam::123456789012:"
                                    "role/Bedrock (profile envrole): credential_source "
                                    "Environment needs AWS_ACCESS_KEY_ID and "
                                    "AWS_SECRET_ACCESS_KEY."));
        }
        QTest::qWait(100);
        QCOMPARE(sts.requests().size(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_AwsStsCredentials)
#include "tst_AwsStsCredentials.moc"
