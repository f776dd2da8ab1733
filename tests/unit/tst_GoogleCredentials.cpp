// Google Application Default Credentials (PROTOCOLS.md §3.3) and gcpAuthRefresh (CLAUDE_CODE.md
// §2) against FakeGoogleServer on 127.0.0.1: key files of every supported type, the well-known
// gcloud file, the metadata server, the token cache, the project lookup and the refresh command.
// Every test builds its environment itself (HOME in a temporary folder): nothing comes from the
// process. Files holding test secrets live in QTemporaryDirs, which are removed afterwards.
#include "AuthContext.h"
#include "FakeGoogleServer.h"
#include "GoogleCredentialProvider.h"
#include "RawRecordingServer.h"
#include "TestKeys.h"
#include "TestSupport.h"
#include "TrustStore.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkProxy>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace qlaude;
using qlaude::fakes::FakeGoogleServer;
using qlaude::fakes::RawRecordingServer;
using qlaude::fakes::TestRsaKey;
using Route = FakeGoogleServer::Route;
using Fault = FakeGoogleServer::Fault;

namespace {

const QString kScope = QStringLiteral("https://www.googleapis.com/auth/cloud-platform");
const QString kEmail = QStringLiteral("qlaude-test@sa-project.iam.gserviceaccount.com");
const QString kTarget = QStringLiteral("vertex-caller@target-project.iam.gserviceaccount.com");
const QString kClientId = QStringLiteral("764086051850-test.apps.googleusercontent.com");
const QString kClientSecret = QStringLiteral("d-qltSECRET-client-secret");
const QString kRefreshToken = QStringLiteral("1-qltSECRET-refresh-token");
const QString kSubjectToken = QStringLiteral("eyJ-qltSECRET-subject-token");
const QString kSubjectType = QStringLiteral("urn:ietf:params:oauth:token-type:jwt");
const QString kAudience = QStringLiteral("iam.googleapis.com/projects/123/locations/global/"
                                         "workloadIdentityPools/pool/providers/provider");
// A closed local port: a metadata request there fails at once.
const QString kClosedMetadata = QStringLiteral("127.0.0.1:9");

struct Got
{
    bool done = false;
    GoogleToken token;
    QString error;
};

// Runs an event loop until the provider answers (a local loop, not qWaitFor's 10 ms polling,
// so the measured times are the provider's own).
Got getAndWait(GoogleCredentialProvider &p, int timeoutMs = 10000)
{
    Got g;
    QEventLoop loop;
    p.get([&g, &loop](const GoogleToken &t, const QString &e) {
        g.done = true;
        g.token = t;
        g.error = e;
        loop.quit();
    });
    if (!g.done) {
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return g;
}

void writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
}

void writeJson(const QString &path, const QJsonObject &o)
{
    writeFile(path, QJsonDocument(o).toJson());
}

// HOME in the temporary folder, no Google variables, the metadata server on a closed port.
QProcessEnvironment baseEnv(const QTemporaryDir &dir)
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), dir.filePath(QStringLiteral("home")));
    env.insert(QStringLiteral("PATH"),
               qEnvironmentVariable("PATH", QStringLiteral("/usr/bin:/bin")));
    env.insert(QStringLiteral("GCE_METADATA_HOST"), kClosedMetadata);
    return env;
}

QJsonObject serviceAccountJson(const TestRsaKey &key, const FakeGoogleServer &server)
{
    return {{"type", "service_account"},
            {"project_id", "sa-project"},
            {"private_key_id", "kid-0123456789abcdef"},
            {"private_key", QString::fromLatin1(key.privateKeyPem)},
            {"client_email", kEmail},
            {"client_id", "1234567890"},
            {"token_uri", server.tokenUrl().toString()},
            {"quota_project_id", "quota-from-file"}};
}

QJsonObject authorizedUserJson(const FakeGoogleServer &server)
{
    return {{"type", "authorized_user"},
            {"client_id", kClientId},
            {"client_secret", kClientSecret},
            {"refresh_token", kRefreshToken},
            {"token_uri", server.tokenUrl().toString()},
            {"quota_project_id", "user-quota-project"}};
}

// Nothing secret in an error: no marked secret, no JWT, no private key.
bool hasNoSecret(const QString &text)
{
    return !text.contains(QLatin1String("qltSECRET")) && !text.contains(QLatin1String("eyJ")) &&
           !text.contains(QLatin1String("PRIVATE KEY")) && !text.contains(kClientSecret) &&
           !text.contains(kRefreshToken);
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

class tst_GoogleCredentials : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        m_key = TestRsaKey::generate();
        QVERIFY(m_key.isValid());
    }

    // A service-account key: an RS256 assertion the fake verifies with the public key, exchanged
    // for the Bearer token it issued; project and quota project from the file.
    void serviceAccountFile()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setServiceAccount(kEmail, m_key.publicKeyPem,
                                 QStringLiteral("kid-0123456789abcdef"));
        const QString file = dir.filePath(QStringLiteral("sa.json"));
        writeJson(file, serviceAccountJson(m_key, server));

        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        QString why;
        QCOMPARE(GoogleCredentialProvider::staticSource(c, &why),
                 QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS (service_account, %1)").arg(file));

        GoogleCredentialProvider p(c);
        QElapsedTimer t;
        t.start();
        const Got g = getAndWait(p);
        const qint64 coldUs = t.nsecsElapsed() / 1000;
        QVERIFY(g.done);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY2(server.refusals().isEmpty(), qPrintable(server.refusals().join('\n')));
        QCOMPARE(server.verifiedAssertions(), 1);
        QVERIFY(g.token.accessToken == server.lastIssuedToken()); // the Bearer value
        QVERIFY(g.token.accessToken.startsWith(QLatin1String("ya29.")));
        QCOMPARE(g.token.projectId, QStringLiteral("sa-project"));
        QCOMPARE(g.token.quotaProject, QStringLiteral("quota-from-file"));
        QCOMPARE(g.token.source, QStringLiteral("service account file %1 (%2)").arg(file, kEmail));
        const qint64 left = QDateTime::currentDateTimeUtc().secsTo(g.token.expiresAt);
        QVERIFY2(left > 3590 && left <= 3599, qPrintable(QString::number(left)));
        QCOMPARE(g.token.expiresAt.timeSpec(), Qt::UTC);

        // What went on the wire.
        QCOMPARE(server.requestCount(Route::Token), 1);
        const fakes::ReceivedRequest r = server.lastRequest();
        QCOMPARE(r.method, QByteArray("POST"));
        QVERIFY(r.header("content-type").startsWith("application/x-www-form-urlencoded"));
        QVERIFY(r.body.startsWith("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-"
                                  "bearer&assertion="));
        const QJsonObject header = server.lastAssertionHeader();
        QCOMPARE(header.value("alg").toString(), QStringLiteral("RS256"));
        QCOMPARE(header.value("typ").toString(), QStringLiteral("JWT"));
        QCOMPARE(header.value("kid").toString(), QStringLiteral("kid-0123456789abcdef"));
        const QJsonObject claims = server.lastAssertionClaims();
        QCOMPARE(claims.value("iss").toString(), kEmail);
        QCOMPARE(claims.value("scope").toString(), kScope);
        QCOMPARE(claims.value("aud").toString(), server.tokenUrl().toString());
        QCOMPARE(claims.value("exp").toInteger() - claims.value("iat").toInteger(), qint64(3600));
        QCOMPARE(p.fetchCount(), 1);
        qDebug("cold get(), service account file: %.2f ms", coldUs / 1000.0);

        // Warm: answered inside get(), without a request.
        bool inside = false;
        p.get([&inside](const GoogleToken &tok, const QString &) { inside = tok.isValid(); });
        QVERIFY(inside);
        const int n = 20000;
        int answered = 0;
        t.restart();
        for (int i = 0; i < n; ++i)
            p.get([&answered](const GoogleToken &, const QString &) { ++answered; });
        const double warmNs = double(t.nsecsElapsed()) / n;
        QCOMPARE(answered, n);
        QCOMPARE(server.requestCount(Route::Token), 1);
        qDebug("warm get() from the cache: %.0f ns per call (%d calls)", warmNs, n);
        p.invalidate();
        t.restart();
        QVERIFY(getAndWait(p).token.isValid());
        qDebug("get() after invalidate(), service account file: %.2f ms", t.nsecsElapsed() / 1e6);
    }

    // The token endpoint refuses the assertion (invalid_grant): the error says which file and
    // what to do, and holds neither the assertion the server echoed nor any key.
    void serviceAccountRejected()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setServiceAccount(kEmail, m_key.publicKeyPem);
        server.failNext(Route::Token, Fault::InvalidGrant);
        const QString file = dir.filePath(QStringLiteral("sa.json"));
        writeJson(file, serviceAccountJson(m_key, server));
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        GoogleCredentialProvider p(c);
        const Got g = getAndWait(p);
        QVERIFY(g.done && !g.token.isValid());
        QVERIFY2(g.error.contains(file) && g.error.contains(QLatin1String("invalid_grant")) &&
                     g.error.contains(QLatin1String("rejected by the token endpoint")) &&
                     g.error.contains(QLatin1String("Create a new key")),
                 qPrintable(g.error));
        QVERIFY(server.lastRequest().body.contains("assertion=eyJ")); // it was echoed back...
        QVERIFY2(hasNoSecret(g.error), "the error holds a secret");   // ...and is not shown

        // A wrong key: the fake's own signature check refuses it.
        const TestRsaKey other = TestRsaKey::generate();
        writeJson(file, serviceAccountJson(other, server));
        const Got wrong = getAndWait(p);
        QVERIFY2(wrong.error.contains(QLatin1String("Invalid JWT Signature")),
                 qPrintable(wrong.error));
        QVERIFY(hasNoSecret(wrong.error));
    }

    // authorized_user: the refresh-token grant with the client's id and secret.
    void authorizedUserFile()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setAuthorizedUser(kClientId, kClientSecret, kRefreshToken);
        const QString file = dir.filePath(QStringLiteral("user.json"));
        writeJson(file, authorizedUserJson(server));
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        QCOMPARE(GoogleCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS (authorized_user, %1)").arg(file));
        GoogleCredentialProvider p(c);
        QElapsedTimer t;
        t.start();
        const Got g = getAndWait(p);
        const qint64 coldUs = t.nsecsElapsed() / 1000;
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(g.token.accessToken == server.lastIssuedToken());
        QCOMPARE(g.token.source, QStringLiteral("authorized user file %1").arg(file));
        QCOMPARE(g.token.quotaProject, QStringLiteral("user-quota-project"));
        QCOMPARE(g.token.projectId, QString());
        const QUrlQuery form(QString::fromLatin1(server.lastRequest().body));
        QCOMPARE(form.queryItemValue("grant_type"), QStringLiteral("refresh_token"));
        QCOMPARE(form.queryItemValue("client_id", QUrl::FullyDecoded), kClientId);
        QVERIFY(form.queryItemValue("client_secret", QUrl::FullyDecoded) == kClientSecret);
        QVERIFY(form.queryItemValue("refresh_token", QUrl::FullyDecoded) == kRefreshToken);
        qDebug("cold get(), authorized user file: %.2f ms", coldUs / 1000.0);
    }

    // The refresh token was revoked: the error names the file and the fix, without a secret even
    // though the server echoed the refresh token.
    void authorizedUserInvalidGrantHasNoSecret()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setAuthorizedUser(kClientId, kClientSecret, kRefreshToken);
        server.failNext(Route::Token, Fault::InvalidGrant);
        const QString file = dir.filePath(QStringLiteral("user.json"));
        writeJson(file, authorizedUserJson(server));
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        GoogleCredentialProvider p(c);
        const Got g = getAndWait(p);
        QVERIFY(g.done && !g.token.isValid());
        QVERIFY2(hasNoSecret(g.error), "the error holds a secret");
        QVERIFY2(g.error.contains(file) && g.error.contains(QLatin1String("invalid_grant")) &&
                     g.error.contains(QLatin1String("gcloud auth application-default login")),
                 qPrintable(g.error));

        // A 500 is a plain failure, named as such.
        server.failNext(Route::Token, Fault::ServerError);
        const Got e = getAndWait(p);
        QVERIFY2(e.error.contains(QLatin1String("HTTP 500")) && e.error.contains(file),
                 qPrintable(e.error));
    }

    // external_account, credential_source file (text): STS exchange, then impersonation with the
    // STS token as the bearer.
    void externalAccountFileWithImpersonation()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setExternalAccount(kAudience, kSubjectType, kSubjectToken);
        server.setImpersonationTarget(kTarget);
        const QString tokenFile = dir.filePath(QStringLiteral("oidc-token"));
        writeFile(tokenFile, kSubjectToken.toUtf8() + "\n");
        const QString file = dir.filePath(QStringLiteral("wif.json"));
        writeJson(file, {{"type", "external_account"},
                         {"audience", kAudience},
                         {"subject_token_type", kSubjectType},
                         {"token_url", server.stsUrl().toString()},
                         {"service_account_impersonation_url", server.iamUrl(kTarget).toString()},
                         {"credential_source", QJsonObject{{"file", tokenFile}}},
                         {"quota_project_id", "wif-quota"}});
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        QCOMPARE(GoogleCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS (external_account, %1)").arg(file));
        GoogleCredentialProvider p(c);
        const Got g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY2(server.refusals().isEmpty(), qPrintable(server.refusals().join('\n')));
        QCOMPARE(server.requestCount(Route::Sts), 1);
        QCOMPARE(server.requestCount(Route::Iam), 1);
        QCOMPARE(server.lastIamBearerRoute(), Route::Sts);
        QVERIFY(g.token.accessToken == server.lastIssuedToken());
        QVERIFY(g.token.accessToken.contains(QLatin1String("-iam-")));
        QCOMPARE(g.token.source, QStringLiteral("external account file %1").arg(file));
        QCOMPARE(g.token.quotaProject, QStringLiteral("wif-quota"));
        const qint64 left = QDateTime::currentDateTimeUtc().secsTo(g.token.expiresAt);
        QVERIFY2(left > 3590 && left <= 3599, qPrintable(QString::number(left)));
        const QJsonObject body = server.lastRequest().json;
        QCOMPARE(body.value("scope").toArray(), QJsonArray{kScope});
    }

    // external_account, credential_source url (json format, with its headers), no impersonation:
    // the STS token is the token.
    void externalAccountUrl()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setExternalAccount(kAudience, kSubjectType, kSubjectToken);
        server.setSubjectTokenAnswer(
            "application/json",
            QJsonDocument(QJsonObject{{"access_token", kSubjectToken}, {"expires_in", 3600}})
                .toJson(QJsonDocument::Compact));
        server.setRequiredSubjectHeader("Metadata", "True");
        const QString file = dir.filePath(QStringLiteral("wif-url.json"));
        QJsonObject json{
            {"type", "external_account"},
            {"audience", kAudience},
            {"subject_token_type", kSubjectType},
            {"token_url", server.stsUrl().toString()},
            {"credential_source",
             QJsonObject{{"url", server.subjectTokenUrl().toString()},
                         {"headers", QJsonObject{{"Metadata", "True"}}},
                         {"format", QJsonObject{{"type", "json"},
                                                {"subject_token_field_name", "access_token"}}}}}};
        writeJson(file, json);
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        GoogleCredentialProvider p(c);
        Got g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY2(server.refusals().isEmpty(), qPrintable(server.refusals().join('\n')));
        QCOMPARE(server.requestCount(Route::SubjectToken), 1);
        QCOMPARE(server.requestCount(Route::Sts), 1);
        QCOMPARE(server.requestCount(Route::Iam), 0);
        QVERIFY(g.token.accessToken == server.lastIssuedToken());
        QVERIFY(g.token.accessToken.contains(QLatin1String("-sts-")));
        // The exchange's form, field by field.
        const QUrlQuery form(QString::fromLatin1(server.lastRequest().body));
        QCOMPARE(form.queryItemValue("grant_type", QUrl::FullyDecoded),
                 QStringLiteral("urn:ietf:params:oauth:grant-type:token-exchange"));
        QCOMPARE(form.queryItemValue("requested_token_type", QUrl::FullyDecoded),
                 QStringLiteral("urn:ietf:params:oauth:token-type:access_token"));
        QCOMPARE(form.queryItemValue("subject_token_type", QUrl::FullyDecoded), kSubjectType);
        QCOMPARE(form.queryItemValue("audience", QUrl::FullyDecoded), kAudience);
        QCOMPARE(form.queryItemValue("scope", QUrl::FullyDecoded), kScope);
        QVERIFY(form.queryItemValue("subject_token", QUrl::FullyDecoded) == kSubjectToken);

        // A field name the answer lacks: a clear error, no token in it.
        json["credential_source"] = QJsonObject{
            {"url", server.subjectTokenUrl().toString()},
            {"headers", QJsonObject{{"Metadata", "True"}}},
            {"format", QJsonObject{{"type", "json"}, {"subject_token_field_name", "id_token"}}}};
        writeJson(file, json);
        p.invalidate();
        g = getAndWait(p);
        QVERIFY2(g.error.contains(QLatin1String("\"id_token\"")) && hasNoSecret(g.error),
                 qPrintable(g.error));

        // The STS refuses the subject token (it echoes it): rejected, no secret shown.
        json["credential_source"] =
            QJsonObject{{"url", server.subjectTokenUrl().toString()},
                        {"headers", QJsonObject{{"Metadata", "True"}}},
                        {"format", QJsonObject{{"type", "json"},
                                               {"subject_token_field_name", "access_token"}}}};
        writeJson(file, json);
        server.failNext(Route::Sts, Fault::InvalidGrant);
        g = getAndWait(p);
        QVERIFY2(g.error.contains(QLatin1String("Security Token Service")) &&
                     g.error.contains(QLatin1String("invalid_grant")) && hasNoSecret(g.error),
                 qPrintable(g.error));
    }

    // impersonated_service_account: the source credentials' token (authorized_user) is the
    // bearer of the IAM call.
    void impersonatedServiceAccount()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setAuthorizedUser(kClientId, kClientSecret, kRefreshToken);
        server.setImpersonationTarget(kTarget);
        const QString file = dir.filePath(QStringLiteral("impersonated.json"));
        writeJson(file, {{"type", "impersonated_service_account"},
                         {"service_account_impersonation_url", server.iamUrl(kTarget).toString()},
                         {"delegates", QJsonArray()},
                         {"source_credentials", authorizedUserJson(server)}});
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        QCOMPARE(GoogleCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS (impersonated_service_account, %1)")
                     .arg(file));
        GoogleCredentialProvider p(c);
        const Got g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY2(server.refusals().isEmpty(), qPrintable(server.refusals().join('\n')));
        QCOMPARE(server.requestCount(Route::Token), 1);
        QCOMPARE(server.requestCount(Route::Iam), 1);
        QCOMPARE(server.lastIamBearerRoute(), Route::Token);
        QVERIFY(g.token.accessToken == server.lastIssuedToken());
        QCOMPARE(g.token.source,
                 QStringLiteral("impersonated service account file %1 (%2)").arg(file, kTarget));

        // The target refuses: named, with the role to grant.
        server.setImpersonationTarget(QStringLiteral("someone-else@x.iam.gserviceaccount.com"));
        p.invalidate();
        const Got refused = getAndWait(p);
        QVERIFY2(
            refused.error.contains(kTarget) &&
                refused.error.contains(QLatin1String("PERMISSION_DENIED")) &&
                refused.error.contains(QLatin1String("roles/iam.serviceAccountTokenCreator")) &&
                hasNoSecret(refused.error),
            qPrintable(refused.error));
    }

    // The gcloud well-known file, found through CLOUDSDK_CONFIG and through HOME.
    void wellKnownFile()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setAuthorizedUser(kClientId, kClientSecret, kRefreshToken);

        // CLOUDSDK_CONFIG
        const QString sdk = dir.filePath(QStringLiteral("sdk-config"));
        const QString sdkFile = sdk + QStringLiteral("/application_default_credentials.json");
        writeJson(sdkFile, authorizedUserJson(server));
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("CLOUDSDK_CONFIG"), sdk);
        QCOMPARE(GoogleCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("gcloud application default credentials (%1)").arg(sdkFile));
        {
            GoogleCredentialProvider p(c);
            const Got g = getAndWait(p);
            QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
            QCOMPARE(g.token.source,
                     QStringLiteral("gcloud application default credentials (%1)").arg(sdkFile));
            QCOMPARE(g.token.quotaProject, QStringLiteral("user-quota-project"));
        }

        // HOME/.config/gcloud (CLOUDSDK_CONFIG unset).
        const QString homeFile = dir.filePath(
            QStringLiteral("home/.config/gcloud/application_default_credentials.json"));
        writeJson(homeFile, authorizedUserJson(server));
        c.environment.remove(QStringLiteral("CLOUDSDK_CONFIG"));
        QCOMPARE(GoogleCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("gcloud application default credentials (%1)").arg(homeFile));
        {
            GoogleCredentialProvider p(c);
            const Got g = getAndWait(p);
            QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
            QCOMPARE(g.token.source,
                     QStringLiteral("gcloud application default credentials (%1)").arg(homeFile));
        }
        QCOMPARE(server.requestCount(Route::Token), 2);

        // CLOUDSDK_CONFIG set to a folder without the file: no fallback to HOME.
        c.environment.insert(QStringLiteral("CLOUDSDK_CONFIG"),
                             dir.filePath(QStringLiteral("empty")));
        QCOMPARE(GoogleCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("metadata server"));
        // GOOGLE_APPLICATION_CREDENTIALS wins over the well-known file.
        c.environment.remove(QStringLiteral("CLOUDSDK_CONFIG"));
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"),
                             dir.filePath(QStringLiteral("missing.json")));
        QString why;
        QCOMPARE(GoogleCredentialProvider::staticSource(c, &why), QString());
        QVERIFY2(why.contains(QLatin1String("GOOGLE_APPLICATION_CREDENTIALS")) &&
                     why.contains(QLatin1String("does not exist")),
                 qPrintable(why));
    }

    // The metadata server: Metadata-Flavor both ways, the project, and never a proxy.
    void metadataServer()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setProjectId(QStringLiteral("gce-project"));
        RawRecordingServer proxy;
        QVERIFY(proxy.listen());
        ProxyGuard guard(proxy.port());

        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        // 0.0.0.0 reaches the fake, and unlike 127.0.0.1 Qt would send it to the proxy.
        c.environment.insert(QStringLiteral("GCE_METADATA_HOST"),
                             QStringLiteral("0.0.0.0:%1").arg(server.port()));
        c.environment.insert(QStringLiteral("GOOGLE_CLOUD_QUOTA_PROJECT"),
                             QStringLiteral("env-quota"));
        QCOMPARE(GoogleCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("metadata server"));
        GoogleCredentialProvider p(c);
        QElapsedTimer t;
        t.start();
        const Got g = getAndWait(p);
        const qint64 coldUs = t.nsecsElapsed() / 1000;
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(proxy.requests().size(), 0);
        QVERIFY(g.token.accessToken == server.issuedTokens().value(0));
        QCOMPARE(g.token.source, QStringLiteral("metadata server"));
        QCOMPARE(g.token.projectId, QStringLiteral("gce-project"));
        QCOMPARE(g.token.quotaProject, QStringLiteral("env-quota"));
        QCOMPARE(server.requestCount(Route::MetadataToken), 1);
        const fakes::ReceivedRequest r = server.requests().value(0);
        QCOMPARE(r.header("metadata-flavor"), QByteArray("Google"));
        QCOMPARE(r.query.queryItemValue("scopes", QUrl::FullyDecoded), kScope);
        qDebug("cold get(), metadata server (token + project-id): %.2f ms", coldUs / 1000.0);
    }

    void metadataWithoutFlavorIsRejected()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setMetadataFlavorInAnswers(false);
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GCE_METADATA_HOST"), server.metadataHost());
        GoogleCredentialProvider p(c);
        const Got g = getAndWait(p);
        QVERIFY(g.done && !g.token.isValid());
        QCOMPARE(server.requestCount(Route::MetadataToken), 1);
        QVERIFY2(g.error.contains(QLatin1String("not a Google metadata server")) &&
                     g.error.startsWith(QLatin1String("No Google credentials found")) &&
                     g.error.contains(QLatin1String("GOOGLE_APPLICATION_CREDENTIALS")) &&
                     g.error.contains(QLatin1String("gcloud auth application-default login")),
                 qPrintable(g.error));
        QVERIFY(hasNoSecret(g.error)); // the token it sent is not shown
    }

    // A metadata server that never answers: the attempt ends after metadataTimeoutMs.
    void metadataNeverAnswersTimesOut()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setMetadataSilent(true);
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GCE_METADATA_HOST"), server.metadataHost());
        c.metadataTimeoutMs = 300;
        GoogleCredentialProvider p(c);
        QElapsedTimer t;
        t.start();
        const Got g = getAndWait(p, 5000);
        const qint64 ms = t.elapsed();
        QVERIFY(g.done);
        QVERIFY2(ms >= 250 && ms < 600, qPrintable(QString::number(ms)));
        QVERIFY2(g.error.startsWith(QLatin1String("No Google credentials found")) &&
                     g.error.contains(QLatin1String("did not answer within 0.3 s")),
                 qPrintable(g.error));

        // METADATA_SERVER_DETECTION=none: not asked at all.
        c.environment.insert(QStringLiteral("METADATA_SERVER_DETECTION"), QStringLiteral("none"));
        QString why;
        QCOMPARE(GoogleCredentialProvider::staticSource(c, &why), QString());
        QVERIFY2(why.startsWith(QLatin1String("No Google credentials found")), qPrintable(why));
        GoogleCredentialProvider off(c);
        const int before = server.requestCount(Route::MetadataToken);
        const Got none = getAndWait(off);
        QVERIFY2(none.error.contains(QLatin1String("METADATA_SERVER_DETECTION")),
                 qPrintable(none.error));
        QCOMPARE(server.requestCount(Route::MetadataToken), before);
    }

    // Files that cannot be used: each error names the variable and path (or the type), never
    // the content.
    void badFiles()
    {
        QTemporaryDir dir;
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        const auto check = [&c](const QString &path, const QStringList &expected) {
            c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), path);
            QString why;
            const QString source = GoogleCredentialProvider::staticSource(c, &why);
            GoogleCredentialProvider p(c);
            const Got g = getAndWait(p);
            bool ok = source.isEmpty() && g.done && !g.token.isValid() && why == g.error &&
                      hasNoSecret(g.error);
            for (const QString &e : expected)
                ok = ok && g.error.contains(e);
            if (!ok)
                qWarning("source \"%s\", why \"%s\", error \"%s\"", qPrintable(source),
                         qPrintable(why), qPrintable(g.error));
            return ok;
        };
        const QString missing = dir.filePath(QStringLiteral("missing.json"));
        QVERIFY(check(missing, {"GOOGLE_APPLICATION_CREDENTIALS", missing, "does not exist"}));
        QVERIFY(check(dir.path(), {"GOOGLE_APPLICATION_CREDENTIALS", dir.path(), "directory"}));

        const QString malformed = dir.filePath(QStringLiteral("malformed.json"));
        writeFile(malformed, "{\"type\": \"authorized_user\", \"refresh_token\": \"1-qltSECRET-x");
        QVERIFY(check(malformed, {"GOOGLE_APPLICATION_CREDENTIALS", malformed, "not valid JSON"}));

        const QString array = dir.filePath(QStringLiteral("array.json"));
        writeFile(array, "[1, 2]");
        QVERIFY(check(array, {array, "not a JSON object"}));

        const QString unknown = dir.filePath(QStringLiteral("unknown.json"));
        writeJson(unknown, {{"type", "martian_account"}, {"secret", "qltSECRET-x"}});
        QVERIFY(check(unknown, {unknown, "unknown type \"martian_account\""}));

        const QString untyped = dir.filePath(QStringLiteral("untyped.json"));
        writeJson(untyped, {{"hello", "world"}});
        QVERIFY(check(untyped, {untyped, "no \"type\""}));

        const QString incomplete = dir.filePath(QStringLiteral("incomplete.json"));
        writeJson(incomplete, {{"type", "authorized_user"}, {"client_id", kClientId}});
        QVERIFY(check(incomplete, {incomplete, "\"client_secret\""}));

        const QString aws = dir.filePath(QStringLiteral("aws.json"));
        writeJson(aws, {{"type", "external_account"},
                        {"audience", kAudience},
                        {"subject_token_type", kSubjectType},
                        {"credential_source", QJsonObject{{"environment_id", "aws1"},
                                                          {"region_url", "http://x/region"}}}});
        QVERIFY(check(aws, {aws, "aws1", "not support yet"}));
        const QString exe = dir.filePath(QStringLiteral("exe.json"));
        writeJson(exe, {{"type", "external_account"},
                        {"audience", kAudience},
                        {"subject_token_type", kSubjectType},
                        {"credential_source",
                         QJsonObject{{"executable", QJsonObject{{"command", "/bin/true"}}}}}});
        QVERIFY(check(exe, {exe, "executable", "not support yet"}));

        // A token endpoint over plain http to another machine: refused before any request.
        const QString plain = dir.filePath(QStringLiteral("plain.json"));
        writeJson(plain, {{"type", "authorized_user"},
                          {"client_id", kClientId},
                          {"client_secret", kClientSecret},
                          {"refresh_token", kRefreshToken},
                          {"token_uri", "http://example.com/token"}});
        QVERIFY(check(plain, {plain, "token_uri must be an https URL"}));

        if (::geteuid() != 0) { // root reads anything
            const QString locked = dir.filePath(QStringLiteral("locked.json"));
            writeJson(locked, {{"type", "authorized_user"}});
            QFile::setPermissions(locked, QFileDevice::Permissions());
            QVERIFY(check(locked, {"GOOGLE_APPLICATION_CREDENTIALS", locked, "cannot be read"}));
        }

        // The lowercase variable is honoured, and named.
        c.environment.remove(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"));
        c.environment.insert(QStringLiteral("google_application_credentials"), missing);
        GoogleCredentialProvider p(c);
        const Got g = getAndWait(p);
        QVERIFY2(g.error.contains(QLatin1String("google_application_credentials")),
                 qPrintable(g.error));
    }

    // The cache: a second get() does not fetch, near expiry it does, concurrent gets share one
    // fetch, invalidate() fetches again.
    void cacheAndSingleFlight()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setAuthorizedUser(kClientId, kClientSecret, kRefreshToken);
        server.setAnswerDelay(30);
        const QString file = dir.filePath(QStringLiteral("user.json"));
        writeJson(file, authorizedUserJson(server));
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        GoogleCredentialProvider p(c);
        QDateTime now = QDateTime::currentDateTimeUtc();
        p.setClockForTesting([&now] { return now; });

        // Three at once: one fetch, three answers with the same token.
        QStringList tokens;
        for (int i = 0; i < 3; ++i)
            p.get([&tokens](const GoogleToken &t, const QString &) { tokens << t.accessToken; });
        QVERIFY(tokens.isEmpty()); // from the event loop
        QVERIFY(QTest::qWaitFor([&tokens] { return tokens.size() == 3; }, 5000));
        QCOMPARE(server.requestCount(Route::Token), 1);
        QCOMPARE(p.fetchCount(), 1);
        QVERIFY(tokens.at(0) == tokens.at(1) && tokens.at(1) == tokens.at(2));
        QVERIFY(tokens.at(0) == server.lastIssuedToken());

        // Cached.
        Got g = getAndWait(p);
        QVERIFY(g.token.accessToken == tokens.at(0));
        QCOMPARE(server.requestCount(Route::Token), 1);

        // 6 minutes before expiry (3599 s): still cached; 4 minutes before: fetched again.
        now = now.addSecs(3599 - 6 * 60);
        QVERIFY(getAndWait(p).token.accessToken == tokens.at(0));
        QCOMPARE(server.requestCount(Route::Token), 1);
        now = now.addSecs(2 * 60);
        g = getAndWait(p);
        QCOMPARE(server.requestCount(Route::Token), 2);
        QVERIFY(g.token.accessToken == server.lastIssuedToken());
        QVERIFY(g.token.accessToken != tokens.at(0));

        // A Vertex 401: dropped and fetched again.
        QVERIFY(p.invalidate());
        QVERIFY(!p.hasCachedToken());
        g = getAndWait(p);
        QCOMPARE(server.requestCount(Route::Token), 3);
        QVERIFY(g.token.accessToken == server.lastIssuedToken());
        // A late 401 for an old token keeps the newer one.
        QVERIFY(p.invalidate(tokens.at(0)));
        QVERIFY(p.hasCachedToken());
        QCOMPARE(p.fetchCount(), 3);
    }

    // x-goog-user-project: GOOGLE_CLOUD_QUOTA_PROJECT wins over the file's quota_project_id.
    void quotaProjectFromEnvironment()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setServiceAccount(kEmail, m_key.publicKeyPem);
        const QString file = dir.filePath(QStringLiteral("sa.json"));
        writeJson(file, serviceAccountJson(m_key, server));
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        c.environment.insert(QStringLiteral("GOOGLE_CLOUD_QUOTA_PROJECT"),
                             QStringLiteral("billing-env"));
        GoogleCredentialProvider p(c);
        const Got g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.token.quotaProject, QStringLiteral("billing-env"));
        QCOMPARE(g.token.projectId, QStringLiteral("sa-project"));
    }

    // The project without network, rule by rule.
    void staticProjectOrder()
    {
        QTemporaryDir dir;
        const QString saFile = dir.filePath(QStringLiteral("sa.json"));
        writeJson(saFile, {{"type", "service_account"},
                           {"project_id", "file-project"},
                           {"client_email", kEmail},
                           {"private_key", "unused"}});
        const QString gcloud = dir.filePath(QStringLiteral("home/.config/gcloud"));
        writeFile(gcloud + QStringLiteral("/configurations/config_default"),
                  "[core]\naccount = me@example.com\nproject = gcloud-project\n");
        GoogleCredentialProvider::Config c;
        const auto project = [&c](std::initializer_list<std::pair<const char *, QString>> vars,
                                  QString *source) {
            for (const auto &v : vars)
                c.environment.insert(QLatin1String(v.first), v.second);
            return GoogleCredentialProvider::staticProject(c, source);
        };
        QString source;

        // ANTHROPIC_VERTEX_PROJECT_ID alone beats the gcloud configuration.
        c.environment = baseEnv(dir);
        QCOMPARE(project({{"ANTHROPIC_VERTEX_PROJECT_ID", "vertex-project"}}, &source),
                 QStringLiteral("vertex-project"));
        QCOMPARE(source, QStringLiteral("ANTHROPIC_VERTEX_PROJECT_ID"));
        // With GOOGLE_APPLICATION_CREDENTIALS set, the file's project_id comes first...
        QCOMPARE(project({{"GOOGLE_APPLICATION_CREDENTIALS", saFile}}, &source),
                 QStringLiteral("file-project"));
        QCOMPARE(source, QStringLiteral("credentials file"));
        // ...and GOOGLE_CLOUD_PROJECT before it, GCLOUD_PROJECT before that.
        QCOMPARE(project({{"GOOGLE_CLOUD_PROJECT", "google-cloud-project"}}, &source),
                 QStringLiteral("google-cloud-project"));
        QCOMPARE(source, QStringLiteral("GOOGLE_CLOUD_PROJECT"));
        QCOMPARE(project({{"GCLOUD_PROJECT", "gcloud-env-project"}}, &source),
                 QStringLiteral("gcloud-env-project"));
        QCOMPARE(source, QStringLiteral("GCLOUD_PROJECT"));
        // GOOGLE_CLOUD_PROJECT alone also takes precedence over ANTHROPIC_VERTEX_PROJECT_ID.
        c.environment = baseEnv(dir);
        QCOMPARE(project({{"ANTHROPIC_VERTEX_PROJECT_ID", "vertex-project"},
                          {"GOOGLE_CLOUD_PROJECT", "google-cloud-project"}},
                         &source),
                 QStringLiteral("google-cloud-project"));
        // A credentials file without project_id: then gcloud, and ANTHROPIC_VERTEX_PROJECT_ID
        // last.
        const QString userFile = dir.filePath(QStringLiteral("user.json"));
        writeJson(userFile, {{"type", "authorized_user"}, {"quota_project_id", "not-a-project"}});
        c.environment = baseEnv(dir);
        QCOMPARE(project({{"ANTHROPIC_VERTEX_PROJECT_ID", "vertex-project"},
                          {"GOOGLE_APPLICATION_CREDENTIALS", userFile}},
                         &source),
                 QStringLiteral("gcloud-project"));
        QCOMPARE(source, QStringLiteral("gcloud configuration default"));
        c.environment.insert(QStringLiteral("CLOUDSDK_CONFIG"),
                             dir.filePath(QStringLiteral("none")));
        QCOMPARE(project({}, &source), QStringLiteral("vertex-project"));
        QCOMPARE(source, QStringLiteral("ANTHROPIC_VERTEX_PROJECT_ID"));
        // The well-known file's project_id counts when GOOGLE_APPLICATION_CREDENTIALS is unset;
        // its quota_project_id never does.
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("CLOUDSDK_CONFIG"),
                             dir.filePath(QStringLiteral("adc")));
        writeJson(dir.filePath(QStringLiteral("adc/application_default_credentials.json")),
                  {{"type", "authorized_user"}, {"quota_project_id", "not-a-project"}});
        source = QStringLiteral("unchanged");
        QCOMPARE(project({}, &source), QString());
        QCOMPARE(source, QString());
        writeJson(dir.filePath(QStringLiteral("adc/application_default_credentials.json")),
                  {{"type", "service_account"}, {"project_id", "well-known-project"}});
        QCOMPARE(project({}, &source), QStringLiteral("well-known-project"));
        QCOMPARE(source, QStringLiteral("credentials file"));
    }

    // The gcloud configuration: active_config names it, CLOUDSDK_ACTIVE_CONFIG_NAME overrides,
    // CLOUDSDK_CORE_PROJECT beats the files.
    void gcloudConfiguration()
    {
        QTemporaryDir dir;
        const QString sdk = dir.filePath(QStringLiteral("sdk"));
        writeFile(sdk + QStringLiteral("/active_config"), "work\n");
        writeFile(sdk + QStringLiteral("/configurations/config_work"),
                  "[core]\nproject = work-project\n\n[compute]\nregion = us-east5\n");
        writeFile(sdk + QStringLiteral("/configurations/config_default"),
                  "[core]\nproject = default-project\n");
        writeFile(sdk + QStringLiteral("/configurations/config_play"), "[compute]\nzone = a\n");
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("CLOUDSDK_CONFIG"), sdk);
        QString source;
        QCOMPARE(GoogleCredentialProvider::staticProject(c, &source),
                 QStringLiteral("work-project"));
        QCOMPARE(source, QStringLiteral("gcloud configuration work"));
        c.environment.insert(QStringLiteral("CLOUDSDK_ACTIVE_CONFIG_NAME"),
                             QStringLiteral("default"));
        QCOMPARE(GoogleCredentialProvider::staticProject(c, &source),
                 QStringLiteral("default-project"));
        QCOMPARE(source, QStringLiteral("gcloud configuration default"));
        c.environment.insert(QStringLiteral("CLOUDSDK_ACTIVE_CONFIG_NAME"), QStringLiteral("play"));
        QCOMPARE(GoogleCredentialProvider::staticProject(c, &source), QString());
        c.environment.insert(QStringLiteral("CLOUDSDK_ACTIVE_CONFIG_NAME"),
                             QStringLiteral("../../etc"));
        QCOMPARE(GoogleCredentialProvider::staticProject(c, &source), QString());
        c.environment.insert(QStringLiteral("CLOUDSDK_CORE_PROJECT"), QStringLiteral("core-env"));
        QCOMPARE(GoogleCredentialProvider::staticProject(c, &source), QStringLiteral("core-env"));
        QCOMPARE(source, QStringLiteral("CLOUDSDK_CORE_PROJECT"));
    }

    // resolveProject: the static project at once; else the metadata server's project-id.
    void resolveProjectViaMetadata()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setProjectId(QStringLiteral("gce-project-42"));
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GCE_METADATA_HOST"), server.metadataHost());
        GoogleCredentialProvider p(c);
        struct R
        {
            bool done = false;
            QString project, source, error;
        } r;
        const auto ask = [&p, &r] {
            r = R();
            p.resolveProject(
                [&r](const QString &project, const QString &source, const QString &error) {
                    r = {true, project, source, error};
                });
            (void)QTest::qWaitFor([&r] { return r.done; }, 5000);
        };
        ask();
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.project, QStringLiteral("gce-project-42"));
        QCOMPARE(r.source, QStringLiteral("metadata server"));
        QCOMPARE(server.requestCount(Route::MetadataProject), 1);
        QCOMPARE(server.requests().value(0).header("metadata-flavor"), QByteArray("Google"));

        // A static project answers inside the call, without a request.
        GoogleCredentialProvider::Config s = c;
        s.environment.insert(QStringLiteral("GOOGLE_CLOUD_PROJECT"), QStringLiteral("env-project"));
        GoogleCredentialProvider sp(s);
        bool inside = false;
        sp.resolveProject(
            [&inside](const QString &project, const QString &source, const QString &) {
                inside = project == QLatin1String("env-project") &&
                         source == QLatin1String("GOOGLE_CLOUD_PROJECT");
            });
        QVERIFY(inside);
        QCOMPARE(server.requestCount(Route::MetadataProject), 1);

        // No metadata server either: an error that says what to set.
        c.environment.insert(QStringLiteral("GCE_METADATA_HOST"), kClosedMetadata);
        GoogleCredentialProvider none(c);
        R n;
        none.resolveProject(
            [&n](const QString &project, const QString &source, const QString &error) {
                n = {true, project, source, error};
            });
        QVERIFY(QTest::qWaitFor([&n] { return n.done; }, 5000));
        QVERIFY(n.project.isEmpty());
        QVERIFY2(n.error.contains(QLatin1String("ANTHROPIC_VERTEX_PROJECT_ID")) &&
                     n.error.contains(kClosedMetadata),
                 qPrintable(n.error));
    }

    // gcpAuthRefresh: not run while ADC works; run (its lines streamed) when ADC finds nothing,
    // then ADC again; not run again within the hour unless the memo is cleared.
    void gcpAuthRefreshRunsOnlyWhenNeeded()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setAuthorizedUser(kClientId, kClientSecret, kRefreshToken);
        server.setTokenLifetime(600);
        const QString sdk = dir.filePath(QStringLiteral("sdk"));
        const QString prepared = dir.filePath(QStringLiteral("prepared.json"));
        writeJson(prepared, authorizedUserJson(server));
        const QString counter = dir.filePath(QStringLiteral("runs"));
        const QString script = dir.filePath(QStringLiteral("login.sh"));
        writeFile(script,
                  "#!/bin/sh\n"
                  "echo run >> \"$RUNS\"\n"
                  "echo 'Go to the following link in your browser:'\n"
                  "echo '  accounts.google.com/o/oauth2/auth?code=x'\n"
                  "echo 'progress on stderr' >&2\n"
                  "mkdir -p \"$CLOUDSDK_CONFIG\"\n"
                  "cp \"$PREPARED\" \"$CLOUDSDK_CONFIG/application_default_credentials.json\"\n"
                  "echo 'Credentials saved to file'\n");
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("CLOUDSDK_CONFIG"), sdk);
        c.refreshCommand = QStringLiteral("sh '%1'").arg(script);
        c.refreshWorkingDirectory = dir.path();
        c.refreshEnvironment = c.environment;
        c.refreshEnvironment.insert(QStringLiteral("RUNS"), counter);
        c.refreshEnvironment.insert(QStringLiteral("PREPARED"), prepared);
        c.probeTimeoutMs = 2000;
        QCOMPARE(GoogleCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("metadata server"));

        GoogleCredentialProvider p(c);
        QDateTime now = QDateTime::currentDateTimeUtc();
        p.setClockForTesting([&now] { return now; });
        QSignalSpy started(&p, &GoogleCredentialProvider::refreshStarted);
        QSignalSpy output(&p, &GoogleCredentialProvider::refreshOutput);
        QSignalSpy finished(&p, &GoogleCredentialProvider::refreshFinished);
        // Two at once: one run.
        Got second;
        p.get([&second](const GoogleToken &t, const QString &e) { second = {true, t, e}; });
        Got g = getAndWait(p);
        QVERIFY(QTest::qWaitFor([&second] { return second.done; }, 5000));
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(second.token.accessToken == g.token.accessToken);
        QCOMPARE(p.refreshRuns(), 1);
        QCOMPARE(p.fetchCount(), 2); // ADC, the command, ADC again
        QCOMPARE(started.size(), 1);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.at(0).at(0).toString(), QString());
        QStringList lines;
        for (const auto &args : std::as_const(output))
            lines << args.at(0).toString();
        QVERIFY(lines.contains(QStringLiteral("Go to the following link in your browser:")));
        QVERIFY(lines.contains(QStringLiteral("progress on stderr")));
        QVERIFY(lines.contains(QStringLiteral("Credentials saved to file")));
        QCOMPARE(g.token.source, QStringLiteral("gcloud application default credentials (%1/"
                                                "application_default_credentials.json)")
                                     .arg(sdk));

        // Expired 10 minutes later; the token endpoint fails with a 500: within the hour the
        // command does not run again, and the error is the endpoint's.
        now = now.addSecs(11 * 60);
        server.failNext(Route::Token, Fault::ServerError);
        g = getAndWait(p);
        QVERIFY2(g.error.contains(QLatin1String("HTTP 500")), qPrintable(g.error));
        QCOMPARE(p.refreshRuns(), 1);
        // invalid_grant clears the memo: the command runs again, then ADC succeeds.
        server.failNext(Route::Token, Fault::InvalidGrant);
        g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(p.refreshRuns(), 2);
        // invalidate() (a Vertex 401) clears it too: a failure after it runs the command.
        QVERIFY(p.invalidate());
        server.failNext(Route::Token, Fault::ServerError);
        g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(p.refreshRuns(), 3);
        QFile runs(counter);
        QVERIFY(runs.open(QIODevice::ReadOnly));
        QCOMPARE(runs.readAll().count('\n'), 3);

        // ADC that works: the command never runs.
        GoogleCredentialProvider fine(c);
        g = getAndWait(fine);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(fine.refreshRuns(), 0);
    }

    // ADC that hangs: after probeTimeoutMs the command runs, then ADC again.
    void gcpAuthRefreshAfterProbeTimeout()
    {
        QTemporaryDir dir;
        FakeGoogleServer server;
        QVERIFY(server.listen());
        server.setAuthorizedUser(kClientId, kClientSecret, kRefreshToken);
        server.failNext(Route::Token, Fault::Hang);
        const QString file = dir.filePath(QStringLiteral("user.json"));
        writeJson(file, authorizedUserJson(server));
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), file);
        c.refreshCommand = QStringLiteral("echo refreshed");
        c.refreshEnvironment = c.environment;
        c.probeTimeoutMs = 300;
        GoogleCredentialProvider p(c);
        QElapsedTimer t;
        t.start();
        const Got g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
        QCOMPARE(p.refreshRuns(), 1);
        QCOMPARE(server.requestCount(Route::Token), 2);
    }

    void gcpAuthRefreshFailsOrTimesOut()
    {
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("fail.sh"));
        writeFile(script, "#!/bin/sh\necho 'trying to log in'\necho 'login refused' >&2\nexit 3\n");
        GoogleCredentialProvider::Config c;
        c.environment = baseEnv(dir);
        c.environment.insert(QStringLiteral("CLOUDSDK_CONFIG"),
                             dir.filePath(QStringLiteral("sdk")));
        c.refreshCommand = QStringLiteral("sh '%1'").arg(script);
        c.refreshEnvironment = c.environment;
        {
            GoogleCredentialProvider p(c);
            QSignalSpy finished(&p, &GoogleCredentialProvider::refreshFinished);
            const Got g = getAndWait(p);
            QVERIFY(g.done && !g.token.isValid());
            QVERIFY2(g.error.startsWith(QLatin1String("Error running gcpAuthRefresh")) &&
                         g.error.contains(QLatin1String("code 3")) &&
                         g.error.contains(QLatin1String("login refused")) &&
                         g.error.contains(QLatin1String("No Google credentials found")),
                     qPrintable(g.error));
            QCOMPARE(finished.size(), 1);
            QVERIFY(!finished.at(0).at(0).toString().isEmpty());
            QCOMPARE(p.refreshRuns(), 1);
            // A failed run is not repeated within 30 s (each message would start it again);
            // after that it is.
            QDateTime clock = QDateTime::currentDateTimeUtc();
            p.setClockForTesting([&clock] { return clock; });
            const Got again = getAndWait(p);
            QVERIFY(again.done && !again.token.isValid());
            QCOMPARE(p.refreshRuns(), 1);
            QVERIFY2(again.error.contains(QLatin1String("not run again")), qPrintable(again.error));
            clock = clock.addSecs(31);
            (void)getAndWait(p);
            QCOMPARE(p.refreshRuns(), 2);
        }
        // A command that never ends: stopped after refreshTimeoutMs.
        c.refreshCommand = QStringLiteral("echo waiting; sleep 30");
        c.refreshTimeoutMs = 300;
        GoogleCredentialProvider p(c);
        QElapsedTimer t;
        t.start();
        const Got g = getAndWait(p);
        QVERIFY(g.done && !g.token.isValid());
        QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
        QVERIFY2(g.error.startsWith(QLatin1String("gcpAuthRefresh timed out after 0.3 s")),
                 qPrintable(g.error));
        // The CLI's 3 minutes are said as such.
        QVERIFY(GoogleCredentialProvider::Config().refreshTimeoutMs == 180000);
    }

    // configFrom: gcpAuthRefresh from the effective settings (a workspace's only once trusted,
    // then run in the workspace), none under --bare.
    void configFromSettings()
    {
        test::TestHome h(QStringLiteral("gcp-config-from"));
        h.userSettings(QJsonObject{{"gcpAuthRefresh", "gcloud auth application-default login"}});
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.processEnvironment.insert(QStringLiteral("CLOUDSDK_CONFIG"), h.path("gcloud"));
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        {
            const AuthContext ctx = AuthContext::load(o);
            const auto c = GoogleCredentialProvider::configFrom(ctx);
            QCOMPARE(c.refreshCommand, QStringLiteral("gcloud auth application-default login"));
            QCOMPARE(c.refreshWorkingDirectory, o.processEnvironment.value("HOME"));
            QCOMPARE(c.environment.value("CLOUDSDK_CONFIG"), h.path("gcloud"));
            QCOMPARE(c.refreshTimeoutMs, 180000);
            QCOMPARE(c.probeTimeoutMs, 5000);
        }
        h.projectSettings(QJsonObject{{"gcpAuthRefresh", "echo from-project"}});
        AuthContext ctx = AuthContext::load(o);
        QVERIFY(!ctx.trust().trusted);
        QCOMPARE(GoogleCredentialProvider::configFrom(ctx).refreshCommand,
                 QStringLiteral("gcloud auth application-default login"));
        TrustStore store(h.trustStore());
        QString error;
        QVERIFY2(store.trust(ctx.trust(), &error), qPrintable(error));
        ctx.reloadTrust();
        const auto trusted = GoogleCredentialProvider::configFrom(ctx);
        QCOMPARE(trusted.refreshCommand, QStringLiteral("echo from-project"));
        QCOMPARE(trusted.refreshWorkingDirectory, h.workspace());

        o.bare = true;
        QVERIFY(
            GoogleCredentialProvider::configFrom(AuthContext::load(o)).refreshCommand.isEmpty());
    }

private:
    TestRsaKey m_key;
};

QTEST_GUILESS_MAIN(tst_GoogleCredentials)
#include "tst_GoogleCredentials.moc"
