// Microsoft Entra ID tokens for Microsoft Foundry (PROTOCOLS.md §4.1): every source of the
// DefaultAzureCredential chain Qlaude implements, against FakeEntraServer on 127.0.0.1 and fake
// `az` scripts. Every test builds its environment itself: nothing comes from the process.
#include "AzureCredentialProvider.h"
#include "FakeEntraServer.h"
#include "Jwt.h"
#include "TestKeys.h"
#include "TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>
#include <QUrlQuery>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeEntraServer;
using Route = FakeEntraServer::Route;
using Fault = FakeEntraServer::Fault;

namespace {

const QString kTenant = QStringLiteral("qlt-tenant-0001");
const QString kClient = QStringLiteral("11111111-2222-3333-4444-555555555555");
const QString kResource = QStringLiteral("https://cognitiveservices.azure.com");
const char *const kClosedPort = "http://127.0.0.1:9"; // what run_isolated.sh uses

struct Got
{
    bool done = false;
    AzureToken token;
    QString error;
};

Got getAndWait(AzureCredentialProvider &provider, int timeoutMs = 15000)
{
    Got g;
    provider.get([&g](const AzureToken &t, const QString &e) {
        g.done = true;
        g.token = t;
        g.error = e;
    });
    (void)QTest::qWaitFor([&g] { return g.done; }, timeoutMs);
    return g;
}

// The same with a plain event loop: QTest::qWaitFor sleeps 10 ms between rounds, which would
// count in the timings (the fakes run in this thread).
Got getAndTime(AzureCredentialProvider &provider, double *ms, int timeoutMs = 15000)
{
    Got g;
    QEventLoop loop;
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    QElapsedTimer t;
    t.start();
    provider.get([&g, &loop](const AzureToken &token, const QString &e) {
        g.done = true;
        g.token = token;
        g.error = e;
        loop.quit();
    });
    if (!g.done)
        loop.exec();
    *ms = t.nsecsElapsed() / 1e6;
    return g;
}

// Nothing from the process: HOME, a PATH without az, and IMDS on a closed port.
QProcessEnvironment baseEnv(const QTemporaryDir &tmp)
{
    QProcessEnvironment env;
    env.insert("HOME", tmp.path());
    env.insert("PATH", "/usr/bin:/bin");
    env.insert("IMDS_ENDPOINT", QLatin1String(kClosedPort));
    return env;
}

AzureCredentialProvider::Config config(const QProcessEnvironment &env, int probeMs = 300)
{
    AzureCredentialProvider::Config c;
    c.environment = env;
    c.probeTimeoutMs = probeMs;
    c.requestTimeoutMs = 3000;
    c.azTimeoutMs = 5000;
    return c;
}

FakeEntraServer *makeServer(QObject *parent)
{
    auto *s = new FakeEntraServer(parent);
    if (!s->listen())
        qFatal("FakeEntraServer cannot listen");
    s->setTenantId(kTenant);
    s->setClientId(kClient);
    s->setScope(kResource);
    return s;
}

// The environment credential's variables, pointed at the fake.
void entraEnv(QProcessEnvironment &env, const FakeEntraServer &server)
{
    env.insert("AZURE_AUTHORITY_HOST", server.baseUrl().toString() + QLatin1Char('/'));
    env.insert("AZURE_TENANT_ID", kTenant);
    env.insert("AZURE_CLIENT_ID", kClient);
}

QStringList formNames(const QByteArray &body)
{
    QStringList names;
    for (const auto &item : QUrlQuery(QString::fromUtf8(body)).queryItems())
        names.append(item.first);
    return names;
}

QString formValue(const QByteArray &body, const char *name)
{
    return QUrlQuery(QString::fromUtf8(body))
        .queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
}

void writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
}

// A fake `az` on the test's PATH, in a folder whose name has a space (the command line must quote
// it). The token it prints is assembled at run time, so the script never holds the marker whole.
class FakeAz
{
public:
    explicit FakeAz(const QTemporaryDir &tmp) : m_dir(tmp.path() + QStringLiteral("/fake bin"))
    {
        QDir().mkpath(m_dir);
    }
    QString dir() const { return m_dir; }
    QString argsFile() const { return m_dir + QStringLiteral("/az-args"); }
    QString marker() const { return m_dir + QStringLiteral("/az-ran"); }
    bool ran() const { return QFile::exists(marker()); }
    QStringList args() const
    {
        QFile f(argsFile());
        if (!f.open(QIODevice::ReadOnly))
            return {};
        return QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    }
    void putFirstOn(QProcessEnvironment &env) const
    {
        env.insert("PATH", m_dir + QStringLiteral(":/usr/bin:/bin"));
    }

    // Prints az's JSON: expiresOn always, expires_on when withEpoch.
    void succeed(const QDateTime &expires, bool withEpoch = true) const
    {
        const QByteArray local =
            expires.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")).toLatin1() +
            ".123456";
        QByteArray json = "{\"accessToken\":\"az-%s%s-%s\",\"expiresOn\":\"" + local + "\",";
        if (withEpoch)
            json += "\"expires_on\":" + QByteArray::number(expires.toSecsSinceEpoch()) + ",";
        json += "\"subscription\":\"sub-1\",\"tenant\":\"az-tenant-9\",\"tokenType\":\"Bearer\"}";
        write("printf '" + json + "\\n' qlt SECRET $$\n");
    }
    void fail(const QByteArray &stderrText, int code = 1) const
    {
        write("printf '%s' '" + stderrText + "' >&2\nexit " + QByteArray::number(code) + "\n");
    }

private:
    void write(const QByteArray &body) const
    {
        const QByteArray dir = m_dir.toUtf8();
        const QByteArray script = "#!/bin/sh\n: > '" + dir + "/az-ran'\nprintf '%s\\n' \"$@\" > '" +
                                  dir + "/az-args'\n" + body;
        const QString path = m_dir + QStringLiteral("/az");
        writeFile(path, script);
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    QString m_dir;
};

// No error may quote a secret: every test secret, federated token and issued token has the
// marker.
bool clean(const QString &error)
{
    return !error.contains(QLatin1String("qltSECRET")) && !error.contains(QLatin1String("eyJ"));
}

} // namespace

class tst_AzureCredentials : public QObject
{
    Q_OBJECT

private slots:
    void scopeAndResource()
    {
        QCOMPARE(AzureCredentialProvider::defaultScope(),
                 QStringLiteral("https://cognitiveservices.azure.com/.default"));
        QCOMPARE(AzureCredentialProvider::resourceFromScope(
                     QStringLiteral("https://cognitiveservices.azure.com/.default")),
                 kResource);
        QCOMPARE(AzureCredentialProvider::resourceFromScope(
                     QStringLiteral("https://ai.azure.com/.default")),
                 QStringLiteral("https://ai.azure.com"));
        QCOMPARE(AzureCredentialProvider::resourceFromScope(QStringLiteral("https://ai.azure.com")),
                 QStringLiteral("https://ai.azure.com"));
        QCOMPARE(AzureCredentialProvider::Config().scope, AzureCredentialProvider::defaultScope());
    }

    // AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET: the client-credentials grant,
    // fields in MSAL's order.
    void clientSecretFromEnvironment()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        const QString secret = testSecret(QStringLiteral("azure-secret"));
        server->setClientSecret(secret);
        server->setTokenLifetime(3599);
        QProcessEnvironment env = baseEnv(tmp);
        entraEnv(env, *server);
        env.insert("AZURE_CLIENT_SECRET", secret);
        AzureCredentialProvider provider(config(env));
        const QDateTime before = QDateTime::currentDateTimeUtc();
        const Got g = getAndWait(provider);
        QVERIFY(g.done);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QVERIFY(g.token.isValid());
        QCOMPARE(g.token.accessToken, server->lastIssuedToken());
        QCOMPARE(g.token.source, QStringLiteral("client secret (environment)"));
        QCOMPARE(g.token.tenantId, kTenant);
        QCOMPARE(g.token.clientId, kClient);
        QCOMPARE(g.token.expiresAt.timeSpec(), Qt::UTC);
        QVERIFY(qAbs(before.secsTo(g.token.expiresAt) - 3599) <= 5);
        QVERIFY2(server->refusals().isEmpty(), qPrintable(server->refusals().join("; ")));
        QCOMPARE(server->requestCount(Route::Token), 1);
        const auto r = server->lastRequest();
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.path, QStringLiteral("/%1/oauth2/v2.0/token").arg(kTenant));
        QCOMPARE(formNames(r.body),
                 QStringList({"client_id", "scope", "client_secret", "grant_type"}));
        QCOMPARE(formValue(r.body, "scope"), kResource + QStringLiteral("/.default"));
        QCOMPARE(formValue(r.body, "grant_type"), QStringLiteral("client_credentials"));
        QCOMPARE(provider.fetchCount(), 1);
        QVERIFY(provider.invalidate()); // Entra issues a new token each time
    }

    // A rejected secret stops the chain with Entra's AADSTS text, and never the secret.
    void clientSecretRejected()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        server->setClientSecret(testSecret(QStringLiteral("azure-right")));
        FakeAz az(tmp);
        az.succeed(QDateTime::currentDateTimeUtc().addSecs(3600));
        QProcessEnvironment env = baseEnv(tmp);
        az.putFirstOn(env);
        entraEnv(env, *server);
        env.insert("IMDS_ENDPOINT", server->baseUrl().toString());
        const QString wrong = testSecret(QStringLiteral("azure-wrong"));
        env.insert("AZURE_CLIENT_SECRET", wrong);
        AzureCredentialProvider provider(config(env));
        Got g = getAndWait(provider);
        QVERIFY(g.done);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("AADSTS7000215")), qPrintable(g.error));
        QVERIFY(g.error.contains(QLatin1String("client secret (environment)")));
        QVERIFY(g.error.contains(QLatin1String("401")));
        QVERIFY(!g.error.contains(wrong));
        QVERIFY(clean(g.error));
        // A configured credential that fails stops the chain.
        QCOMPARE(server->requestCount(Route::Imds), 0);
        QVERIFY(!az.ran());

        // The scripted faults: Entra's error JSON, a 500, a 2xx without a token (whose body holds
        // a secret that must not reach the error).
        server->setClientSecret(wrong);
        server->failNext(Route::Token, Fault::InvalidClient);
        g = getAndWait(provider);
        QVERIFY2(g.error.contains(QLatin1String("invalid_client: AADSTS7000215: Invalid client "
                                                "secret provided.")),
                 qPrintable(g.error));
        server->failNext(Route::Token, Fault::ServerError);
        g = getAndWait(provider);
        QVERIFY2(g.error.contains(QLatin1String("500")), qPrintable(g.error));
        QVERIFY(clean(g.error));
        server->failNext(Route::Token, Fault::SuccessWithoutToken);
        g = getAndWait(provider);
        QVERIFY2(g.error.contains(QLatin1String("no access_token")), qPrintable(g.error));
        QVERIFY(clean(g.error));
        QVERIFY(!g.error.contains(QLatin1String("note")));
        g = getAndWait(provider); // the faults are used up
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(server->requestCount(Route::Imds), 0);
        QVERIFY(!az.ran());
    }

    // The keychain's client secret stands in for an unset AZURE_CLIENT_SECRET.
    void keychainClientSecret()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        const QString stored = testSecret(QStringLiteral("azure-keychain"));
        server->setClientSecret(stored);
        QProcessEnvironment env = baseEnv(tmp);
        entraEnv(env, *server);
        AzureCredentialProvider::Config c = config(env);
        c.keychainClientSecret = stored;
        AzureCredentialProvider provider(c);
        const Got g = getAndWait(provider);
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(g.token.source, QStringLiteral("client secret (keychain)"));
        QCOMPARE(formValue(server->lastRequest().body, "client_secret"), stored);
        QString why;
        QCOMPARE(AzureCredentialProvider::staticSource(c, &why),
                 QStringLiteral("client secret (keychain)"));

        // The variable wins over the keychain.
        const QString fromEnv = testSecret(QStringLiteral("azure-env"));
        server->setClientSecret(fromEnv);
        env.insert("AZURE_CLIENT_SECRET", fromEnv);
        c.environment = env;
        AzureCredentialProvider second(c);
        const Got g2 = getAndWait(second);
        QVERIFY2(g2.token.isValid(), qPrintable(g2.error));
        QCOMPARE(g2.token.source, QStringLiteral("client secret (environment)"));
    }

    // AZURE_CLIENT_CERTIFICATE_PATH: an RS256 assertion the fake verifies with the certificate
    // (signature, x5t = SHA-1 thumbprint, aud, iss, sub, jti, nbf, iat, exp).
    void clientCertificate()
    {
        QTemporaryDir tmp;
        const fakes::TestRsaKey key = fakes::TestRsaKey::generate();
        QVERIFY(key.isValid());
        const QString pemPath = tmp.path() + QStringLiteral("/client.pem");
        writeFile(pemPath, key.certificatePem + key.privateKeyPem);
        FakeEntraServer *server = makeServer(this);
        server->setCertificatePem(key.certificatePem);
        QProcessEnvironment env = baseEnv(tmp);
        entraEnv(env, *server);
        env.insert("AZURE_CLIENT_CERTIFICATE_PATH", pemPath);
        AzureCredentialProvider provider(config(env));
        const Got g = getAndWait(provider);
        QVERIFY2(g.token.isValid(), qPrintable(g.error + server->refusals().join("; ")));
        QCOMPARE(g.token.source, QStringLiteral("client certificate ") + pemPath);
        QCOMPARE(server->verifiedAssertions(), 1);
        QCOMPARE(formNames(server->lastRequest().body),
                 QStringList({"client_id", "scope", "client_assertion_type", "client_assertion",
                              "grant_type"}));
        QCOMPARE(formValue(server->lastRequest().body, "client_assertion_type"),
                 QStringLiteral("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
        const QJsonObject claims = server->lastAssertionClaims();
        QCOMPARE(claims.value("aud").toString(), server->tokenUrl().toString());
        QCOMPARE(claims.value("iss").toString(), kClient);
        QCOMPARE(claims.value("sub").toString(), kClient);
        QCOMPARE(claims.value("exp").toInteger() - claims.value("iat").toInteger(), 600);
        QCOMPARE(claims.value("nbf").toInteger(), claims.value("iat").toInteger());
        QCOMPARE(claims.value("jti").toString().size(), 36); // a UUID
        QCOMPARE(server->lastAssertionHeader().value("alg").toString(), QStringLiteral("RS256"));
        QString e;
        QCOMPARE(server->lastAssertionHeader().value("x5t").toString().toLatin1(),
                 Jwt::base64Url(
                     Jwt::certificateThumbprint(key.certificatePem, QCryptographicHash::Sha1, &e)));

        // Each fetch signs a new assertion (a new jti).
        const QString firstJti = claims.value("jti").toString();
        provider.invalidate();
        QVERIFY(getAndWait(provider).token.isValid());
        QVERIFY(server->lastAssertionClaims().value("jti").toString() != firstJti);

        // A certificate Entra does not know: refused, and the assertion is not in the error.
        const fakes::TestRsaKey other = fakes::TestRsaKey::generate();
        server->setCertificatePem(other.certificatePem);
        provider.invalidate();
        const Got bad = getAndWait(provider);
        QVERIFY(!bad.token.isValid());
        QVERIFY2(bad.error.contains(QLatin1String("AADSTS700027")), qPrintable(bad.error));
        const QString assertion = formValue(server->lastRequest().body, "client_assertion");
        QVERIFY(assertion.size() > 100);
        QVERIFY(!bad.error.contains(assertion.left(40)));
        QVERIFY(clean(bad.error));
    }

    void certificatePasswordAndMissingFile()
    {
        QTemporaryDir tmp;
        const fakes::TestRsaKey key = fakes::TestRsaKey::generate();
        const QString pemPath = tmp.path() + QStringLiteral("/client.pem");
        writeFile(pemPath, key.certificatePem + key.privateKeyPem);
        FakeEntraServer *server = makeServer(this);
        server->setCertificatePem(key.certificatePem);
        QProcessEnvironment env = baseEnv(tmp);
        entraEnv(env, *server);
        env.insert("AZURE_CLIENT_CERTIFICATE_PATH", pemPath);
        env.insert("AZURE_CLIENT_CERTIFICATE_PASSWORD", testSecret(QStringLiteral("pfx-pass")));
        AzureCredentialProvider provider(config(env));
        Got g = getAndWait(provider);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(
                     QLatin1String("password-protected certificates are not supported yet")),
                 qPrintable(g.error));
        QVERIFY(clean(g.error));
        QCOMPARE(server->totalRequests(), 0);
        QVERIFY(AzureCredentialProvider::configurationProblems(config(env))
                    .join(' ')
                    .contains(QLatin1String("not supported yet")));

        env.remove("AZURE_CLIENT_CERTIFICATE_PASSWORD");
        const QString missing = tmp.path() + QStringLiteral("/nope.pem");
        env.insert("AZURE_CLIENT_CERTIFICATE_PATH", missing);
        AzureCredentialProvider second(config(env));
        g = getAndWait(second);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(missing), qPrintable(g.error));
        QCOMPARE(server->totalRequests(), 0);

        // A PEM without a private key.
        const QString certOnly = tmp.path() + QStringLiteral("/cert-only.pem");
        writeFile(certOnly, key.certificatePem);
        env.insert("AZURE_CLIENT_CERTIFICATE_PATH", certOnly);
        AzureCredentialProvider third(config(env));
        g = getAndWait(third);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("private key")), qPrintable(g.error));
        QCOMPARE(server->totalRequests(), 0);
    }

    // AZURE_FEDERATED_TOKEN_FILE: its contents (trimmed) are the assertion, read on every fetch.
    void workloadIdentity()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        const QString tokenFile = tmp.path() + QStringLiteral("/federated-token");
        const QString one = QStringLiteral("fed-qltSECRET-one");
        const QString two = QStringLiteral("fed-qltSECRET-two");
        writeFile(tokenFile, one.toUtf8() + "\n");
        server->setFederatedToken(one);
        QProcessEnvironment env = baseEnv(tmp);
        entraEnv(env, *server);
        env.insert("AZURE_FEDERATED_TOKEN_FILE", tokenFile);
        AzureCredentialProvider provider(config(env));
        Got g = getAndWait(provider);
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(g.token.source, QStringLiteral("workload identity"));
        QCOMPARE(formValue(server->lastRequest().body, "client_assertion"), one);
        QCOMPARE(formValue(server->lastRequest().body, "client_assertion_type"),
                 QStringLiteral("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
        QVERIFY(!server->lastRequest().body.contains("client_secret"));

        // Kubernetes rotates the file: the next fetch reads it again.
        writeFile(tokenFile, two.toUtf8());
        server->setFederatedToken(two);
        QVERIFY(provider.invalidate());
        g = getAndWait(provider);
        QVERIFY2(g.token.isValid(), qPrintable(g.error + server->refusals().join("; ")));
        QCOMPARE(formValue(server->lastRequest().body, "client_assertion"), two);
        QCOMPARE(server->requestCount(Route::Token), 2);

        // A token Entra does not accept: its error, and not the token.
        server->setFederatedToken(QStringLiteral("fed-qltSECRET-three"));
        provider.invalidate();
        g = getAndWait(provider);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("AADSTS70021")), qPrintable(g.error));
        QVERIFY(clean(g.error));
    }

    // IDENTITY_ENDPOINT + IDENTITY_HEADER: App Service's managed identity, expires_on only.
    void appServiceManagedIdentity()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        server->setScope(QStringLiteral("https://ai.azure.com"));
        const QByteArray header = "identity-header-qltSECRET-1";
        server->setIdentityHeader(header);
        server->setTokenLifetime(1800);
        FakeAz az(tmp);
        az.succeed(QDateTime::currentDateTimeUtc().addSecs(3600));
        QProcessEnvironment env = baseEnv(tmp);
        az.putFirstOn(env);
        env.insert("IDENTITY_ENDPOINT", server->appServiceUrl().toString());
        env.insert("IDENTITY_HEADER", QString::fromLatin1(header));
        env.insert("IMDS_ENDPOINT", server->baseUrl().toString());
        AzureCredentialProvider::Config c = config(env);
        c.scope = QStringLiteral("https://ai.azure.com/.default");
        AzureCredentialProvider provider(c);
        const QDateTime before = QDateTime::currentDateTimeUtc();
        Got g = getAndWait(provider);
        QVERIFY2(g.token.isValid(), qPrintable(g.error + server->refusals().join("; ")));
        QCOMPARE(g.token.source, QStringLiteral("managed identity (App Service)"));
        QCOMPARE(g.token.accessToken, server->lastIssuedToken());
        QVERIFY(qAbs(before.secsTo(g.token.expiresAt) - 1800) <= 5);
        const auto r = server->lastRequest();
        QCOMPARE(r.method, QByteArray("GET"));
        QCOMPARE(r.header("x-identity-header"), header);
        QCOMPARE(r.query.queryItemValue("api-version"), QStringLiteral("2019-08-01"));
        QCOMPARE(r.query.queryItemValue("resource", QUrl::FullyDecoded),
                 QStringLiteral("https://ai.azure.com"));
        QVERIFY(!r.query.hasQueryItem("client_id"));
        QCOMPARE(server->requestCount(Route::Imds), 0);
        QVERIFY(!provider.invalidate()); // the endpoint hands back its own cached token

        // A user-assigned identity: AZURE_CLIENT_ID goes along as client_id.
        env.insert("AZURE_CLIENT_ID", QStringLiteral("user-assigned-1"));
        server->setManagedClientId(QStringLiteral("user-assigned-1"));
        c.environment = env;
        AzureCredentialProvider assigned(c);
        g = getAndWait(assigned);
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(g.token.clientId, QStringLiteral("user-assigned-1"));
        QCOMPARE(server->lastRequest().query.queryItemValue("client_id"),
                 QStringLiteral("user-assigned-1"));

        // A wrong header: configured and failing, so the chain stops there.
        env.insert("IDENTITY_HEADER", QStringLiteral("identity-header-qltSECRET-wrong"));
        c.environment = env;
        AzureCredentialProvider wrong(c);
        g = getAndWait(wrong);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("401")), qPrintable(g.error));
        QVERIFY(clean(g.error));
        QCOMPARE(server->requestCount(Route::Imds), 0);
        QVERIFY(!az.ran());
    }

    // IMDS (here IMDS_ENDPOINT, or AZURE_POD_IDENTITY_AUTHORITY_HOST first): "Metadata: true",
    // strings for expires_in and expires_on.
    void imdsManagedIdentity()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        server->setTokenLifetime(2400);
        QProcessEnvironment env = baseEnv(tmp);
        env.insert("IMDS_ENDPOINT", server->baseUrl().toString() + QLatin1Char('/'));
        AzureCredentialProvider provider(config(env));
        const QDateTime before = QDateTime::currentDateTimeUtc();
        Got g = getAndWait(provider);
        QVERIFY2(g.token.isValid(), qPrintable(g.error + server->refusals().join("; ")));
        QCOMPARE(g.token.source, QStringLiteral("managed identity (IMDS)"));
        QCOMPARE(g.token.accessToken, server->lastIssuedToken());
        QVERIFY(qAbs(before.secsTo(g.token.expiresAt) - 2400) <= 5);
        const auto r = server->lastRequest();
        QCOMPARE(r.path, QStringLiteral("/metadata/identity/oauth2/token"));
        QCOMPARE(r.header("metadata"), QByteArray("true"));
        QCOMPARE(r.query.queryItemValue("api-version"), QStringLiteral("2018-02-01"));
        QCOMPARE(r.query.queryItemValue("resource", QUrl::FullyDecoded), kResource);
        QCOMPARE(server->requestCount(Route::Imds), 1);

        // AZURE_POD_IDENTITY_AUTHORITY_HOST comes before IMDS_ENDPOINT.
        env.insert("IMDS_ENDPOINT", QLatin1String(kClosedPort));
        env.insert("AZURE_POD_IDENTITY_AUTHORITY_HOST", server->baseUrl().toString());
        AzureCredentialProvider pod(config(env));
        g = getAndWait(pod);
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(server->requestCount(Route::Imds), 2);
    }

    // An IMDS that never answers is unavailable after the probe timeout (one request, no
    // retries), and the chain goes on to az: within about twice the probe timeout.
    void imdsHangsThenAzureCli()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        server->setFault(Route::Imds, Fault::Hang);
        FakeAz az(tmp);
        const QDateTime expires = QDateTime::currentDateTimeUtc().addSecs(3000);
        az.succeed(expires);
        QProcessEnvironment env = baseEnv(tmp);
        az.putFirstOn(env);
        env.insert("IMDS_ENDPOINT", server->baseUrl().toString());
        const int probeMs = 500;
        AzureCredentialProvider provider(config(env, probeMs));
        QElapsedTimer timer;
        timer.start();
        const Got g = getAndWait(provider);
        const qint64 elapsed = timer.elapsed();
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(g.token.source, QStringLiteral("Azure CLI"));
        QCOMPARE(server->requestCount(Route::Imds), 1);
        QVERIFY2(elapsed >= probeMs - 50, qPrintable(QString::number(elapsed)));
        QVERIFY2(elapsed < 2 * probeMs, qPrintable(QString::number(elapsed)));
        qDebug("IMDS silent, fell to az after %lld ms (probe %d ms)", elapsed, probeMs);
    }

    // IMDS answering 4xx (no identity, another cloud's metadata service) or on a closed port:
    // unavailable, az next. A 5xx: IMDS is there and failing, the chain stops.
    void imdsUnavailableOrFailing()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        FakeAz az(tmp);
        az.succeed(QDateTime::currentDateTimeUtc().addSecs(3000));
        QProcessEnvironment env = baseEnv(tmp);
        az.putFirstOn(env);

        // The closed port run_isolated.sh uses.
        AzureCredentialProvider closed(config(env));
        Got g = getAndWait(closed);
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(g.token.source, QStringLiteral("Azure CLI"));

        env.insert("IMDS_ENDPOINT", server->baseUrl().toString());
        server->failNext(Route::Imds, Fault::BadRequest);
        AzureCredentialProvider noIdentity(config(env));
        g = getAndWait(noIdentity);
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(g.token.source, QStringLiteral("Azure CLI"));

        QFile::remove(az.marker());
        server->failNext(Route::Imds, Fault::ServerError);
        AzureCredentialProvider failing(config(env));
        g = getAndWait(failing);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("managed identity (IMDS)")) &&
                     g.error.contains(QLatin1String("500")),
                 qPrintable(g.error));
        QVERIFY(!az.ran());
    }

    // `az account get-access-token --output json --resource R --tenant T`, arguments quoted
    // (the folder has a space), accessToken and expires_on read.
    void azureCli()
    {
        QTemporaryDir tmp;
        FakeAz az(tmp);
        const QDateTime expires =
            QDateTime::fromSecsSinceEpoch(QDateTime::currentSecsSinceEpoch() + 2000, Qt::UTC);
        az.succeed(expires);
        QProcessEnvironment env = baseEnv(tmp);
        az.putFirstOn(env);
        env.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        env.insert("AZURE_TENANT_ID", kTenant);
        AzureCredentialProvider provider(config(env));
        const Got g = getAndWait(provider);
        QVERIFY2(g.token.isValid(), qPrintable(g.error));
        QCOMPARE(g.token.source, QStringLiteral("Azure CLI"));
        QVERIFY(g.token.accessToken.startsWith(
            QString(QStringLiteral("az-qlt") + QStringLiteral("SECRET-"))));
        QCOMPARE(g.token.expiresAt, expires);
        QCOMPARE(g.token.tenantId, QStringLiteral("az-tenant-9"));
        QCOMPARE(az.args(), QStringList({"account", "get-access-token", "--output", "json",
                                         "--resource", kResource, "--tenant", kTenant}));
        QVERIFY(!provider.invalidate()); // az hands back its own cached token

        // Without expires_on (az < 2.54): expiresOn, local time.
        az.succeed(expires.addSecs(100), false);
        AzureCredentialProvider older(config(env));
        const Got g2 = getAndWait(older);
        QVERIFY2(g2.token.isValid(), qPrintable(g2.error));
        QCOMPARE(g2.token.expiresAt.toSecsSinceEpoch(), expires.addSecs(100).toSecsSinceEpoch());
        QCOMPARE(g2.token.expiresAt.timeSpec(), Qt::UTC);
    }

    // Not signed in: the error quotes az's "az login" line (not the first stderr line).
    void azureCliNotLoggedIn()
    {
        QTemporaryDir tmp;
        FakeAz az(tmp);
        az.fail("WARNING: A newer version is available.\n"
                "ERROR: Please run '\\''az login'\\'' to setup account.\n");
        QProcessEnvironment env = baseEnv(tmp);
        az.putFirstOn(env);
        AzureCredentialProvider provider(config(env));
        Got g = getAndWait(provider);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("ERROR: Please run 'az login' to setup account.")),
                 qPrintable(g.error));
        QVERIFY(!g.error.contains(QLatin1String("newer version")));

        // Another failure: the first stderr line.
        az.fail("ERROR: AADSTS70043: The refresh token has expired.\nmore detail\n", 2);
        provider.invalidate();
        g = getAndWait(provider);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("AADSTS70043")), qPrintable(g.error));
    }

    void azureCliMissing()
    {
        QTemporaryDir tmp;
        QProcessEnvironment env = baseEnv(tmp);
        env.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        AzureCredentialProvider provider(config(env));
        const Got g = getAndWait(provider);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("Azure CLI not found on PATH")),
                 qPrintable(g.error));
        QString why;
        QCOMPARE(AzureCredentialProvider::staticSource(config(env), &why), QString());
        QVERIFY2(why.contains(QLatin1String("not found on PATH")), qPrintable(why));

        // The whole chain with nothing at all: each source says why.
        env.remove("AZURE_TOKEN_CREDENTIALS");
        AzureCredentialProvider all(config(env));
        const Got g2 = getAndWait(all);
        QVERIFY(!g2.token.isValid());
        QVERIFY2(g2.error.contains(QLatin1String("AZURE_CLIENT_SECRET")) &&
                     g2.error.contains(QLatin1String("IMDS")) &&
                     g2.error.contains(QLatin1String("Azure CLI not found on PATH")),
                 qPrintable(g2.error));
    }

    // AZURE_TOKEN_CREDENTIALS: dev, prod, one name (any case), or an error.
    void tokenCredentialsRestrictTheChain()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        const QString secret = testSecret(QStringLiteral("azure-mode"));
        server->setClientSecret(secret);
        FakeAz az(tmp);
        az.succeed(QDateTime::currentDateTimeUtc().addSecs(3000));
        QProcessEnvironment env = baseEnv(tmp);
        az.putFirstOn(env);
        entraEnv(env, *server);
        env.insert("AZURE_CLIENT_SECRET", secret);
        env.insert("IMDS_ENDPOINT", server->baseUrl().toString());
        const auto sourceWith = [&](const QString &mode) {
            QProcessEnvironment e = env;
            e.insert("AZURE_TOKEN_CREDENTIALS", mode);
            AzureCredentialProvider p(config(e));
            const Got g = getAndWait(p);
            return g.token.isValid() ? g.token.source : QStringLiteral("error: ") + g.error;
        };
        QCOMPARE(sourceWith("dev"), QStringLiteral("Azure CLI"));
        QCOMPARE(sourceWith("DEV"), QStringLiteral("Azure CLI"));
        QCOMPARE(server->requestCount(Route::Token), 0);
        QCOMPARE(sourceWith("prod"), QStringLiteral("client secret (environment)"));
        QCOMPARE(sourceWith("azureCLIcredential"), QStringLiteral("Azure CLI"));
        QCOMPARE(sourceWith("EnvironmentCredential"),
                 QStringLiteral("client secret (environment)"));
        QCOMPARE(sourceWith("ManagedIdentityCredential"),
                 QStringLiteral("managed identity (IMDS)"));
        QCOMPARE(server->requestCount(Route::Imds), 1);

        // prod never runs az.
        QProcessEnvironment bare = baseEnv(tmp);
        az.putFirstOn(bare);
        bare.insert("AZURE_TOKEN_CREDENTIALS", "prod");
        QFile::remove(az.marker());
        AzureCredentialProvider prod(config(bare));
        Got g = getAndWait(prod);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("AZURE_TOKEN_CREDENTIALS=prod")),
                 qPrintable(g.error));
        QVERIFY(!az.ran());
        QString why;
        QCOMPARE(AzureCredentialProvider::staticSource(config(bare), &why),
                 QStringLiteral("managed identity (IMDS)"));

        // One name whose credential is not configured: no fallback to the others.
        bare.insert("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential");
        AzureCredentialProvider workload(config(bare));
        g = getAndWait(workload);
        QVERIFY2(g.error.contains(QLatin1String("AZURE_FEDERATED_TOKEN_FILE")),
                 qPrintable(g.error));
        QVERIFY(!az.ran());
        QCOMPARE(AzureCredentialProvider::staticSource(config(bare), &why), QString());
        QVERIFY2(why.contains(QLatin1String("workload identity")), qPrintable(why));
        bare.insert("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential");
        QCOMPARE(AzureCredentialProvider::staticSource(config(bare), &why), QString());
        QVERIFY2(why.contains(QLatin1String("AZURE_CLIENT_SECRET")), qPrintable(why));

        // Anything else: an error naming the value and the allowed ones, nothing sent or run.
        const int before = server->totalRequests();
        env.insert("AZURE_TOKEN_CREDENTIALS", "Bogus");
        AzureCredentialProvider invalid(config(env));
        g = getAndWait(invalid);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("\"Bogus\"")) &&
                     g.error.contains(QLatin1String("dev, prod, EnvironmentCredential")) &&
                     g.error.contains(QLatin1String("AzureCliCredential")),
                 qPrintable(g.error));
        QCOMPARE(server->totalRequests(), before);
        QCOMPARE(AzureCredentialProvider::staticSource(config(env), &why), QString());
        QCOMPARE(why, g.error);
        QVERIFY(AzureCredentialProvider::configurationProblems(config(env)).contains(g.error));
        env.insert("AZURE_TOKEN_CREDENTIALS", "AzurePowerShellCredential");
        QVERIFY(AzureCredentialProvider::configurationProblems(config(env))
                    .join(' ')
                    .contains(QLatin1String("not support yet")));
    }

    // http:// only on loopback: 0.0.0.0 reaches this host on Linux, so a request that slipped
    // through would land on the fake.
    void httpOnlyOnLoopback()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        const QString secret = testSecret(QStringLiteral("azure-http"));
        server->setClientSecret(secret);
        server->setIdentityHeader("identity-header-qltSECRET-2");
        const QString anyAddress = QStringLiteral("http://0.0.0.0:%1").arg(server->port());
        QProcessEnvironment env = baseEnv(tmp);
        entraEnv(env, *server);
        env.insert("AZURE_CLIENT_SECRET", secret);
        env.insert("AZURE_AUTHORITY_HOST", anyAddress);
        AzureCredentialProvider authority(config(env));
        Got g = getAndWait(authority);
        QVERIFY(!g.token.isValid());
        QVERIFY2(g.error.contains(QLatin1String("AZURE_AUTHORITY_HOST")) &&
                     g.error.contains(QLatin1String("not loopback")),
                 qPrintable(g.error));
        QVERIFY(clean(g.error));

        QProcessEnvironment mi = baseEnv(tmp);
        mi.insert("IDENTITY_ENDPOINT", anyAddress + QStringLiteral("/msi/token"));
        mi.insert("IDENTITY_HEADER", "identity-header-qltSECRET-2");
        AzureCredentialProvider appService(config(mi));
        g = getAndWait(appService);
        QVERIFY2(g.error.contains(QLatin1String("IDENTITY_ENDPOINT")), qPrintable(g.error));

        mi.remove("IDENTITY_HEADER");
        mi.insert("IMDS_ENDPOINT", anyAddress);
        AzureCredentialProvider imds(config(mi));
        g = getAndWait(imds);
        QVERIFY2(g.error.contains(QLatin1String("IMDS_ENDPOINT")), qPrintable(g.error));
        QCOMPARE(server->totalRequests(), 0);

        // The same address on loopback is fine (the other tests use 127.0.0.1); so is localhost.
        env.insert("AZURE_AUTHORITY_HOST",
                   QStringLiteral("http://localhost:%1").arg(server->port()));
        AzureCredentialProvider local(config(env));
        g = getAndWait(local);
        QVERIFY2(g.token.isValid(), qPrintable(g.error));

        // The rule without network, host by host.
        const auto problems = [&tmp](const char *variable, const QString &value) {
            QProcessEnvironment e = baseEnv(tmp);
            e.remove("IMDS_ENDPOINT");
            e.insert(QLatin1String(variable), value);
            if (QLatin1String(variable) == QLatin1String("IDENTITY_ENDPOINT"))
                e.insert("IDENTITY_HEADER", "h");
            return AzureCredentialProvider::configurationProblems(config(e)).join(' ');
        };
        for (const char *ok :
             {"http://127.0.0.1:8080", "http://127.0.0.2", "http://[::1]:80", "http://localhost",
              "https://login.example.com", "https://10.0.0.1"}) {
            QVERIFY2(problems("AZURE_AUTHORITY_HOST", QLatin1String(ok)).isEmpty(), ok);
            QVERIFY2(problems("IDENTITY_ENDPOINT", QLatin1String(ok)).isEmpty(), ok);
            QVERIFY2(problems("IMDS_ENDPOINT", QLatin1String(ok)).isEmpty(), ok);
        }
        for (const char *bad :
             {"http://0.0.0.0", "http://10.0.0.1", "http://login.example.com",
              "http://169.254.169.254", "login.microsoftonline.com", "ftp://127.0.0.1"}) {
            QVERIFY2(!problems("AZURE_AUTHORITY_HOST", QLatin1String(bad)).isEmpty(), bad);
            QVERIFY2(!problems("IDENTITY_ENDPOINT", QLatin1String(bad)).isEmpty(), bad);
        }
        // IMDS's own address is the one exception, for IMDS only.
        QVERIFY(problems("IMDS_ENDPOINT", QStringLiteral("http://169.254.169.254")).isEmpty());
        QVERIFY(!problems("IMDS_ENDPOINT", QStringLiteral("http://10.0.0.1")).isEmpty());
        QVERIFY(!problems("AZURE_POD_IDENTITY_AUTHORITY_HOST", QStringLiteral("http://10.0.0.1"))
                     .isEmpty());
    }

    // Cached until 2 minutes before expiry; one fetch for concurrent callers; invalidate().
    void cache()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        const QString secret = testSecret(QStringLiteral("azure-cache"));
        server->setClientSecret(secret);
        server->setTokenLifetime(3600);
        QProcessEnvironment env = baseEnv(tmp);
        entraEnv(env, *server);
        env.insert("AZURE_CLIENT_SECRET", secret);
        AzureCredentialProvider provider(config(env));
        QDateTime now = QDateTime::currentDateTimeUtc();
        provider.setClockForTesting([&now] { return now; });

        QVERIFY(!provider.invalidate()); // nothing cached
        const Got first = getAndWait(provider);
        QVERIFY2(first.token.isValid(), qPrintable(first.error));
        QCOMPARE(provider.fetchCount(), 1);

        // Warm: answered inside get(), no fetch.
        bool answered = false;
        AzureToken warm;
        provider.get([&](const AzureToken &t, const QString &) {
            answered = true;
            warm = t;
        });
        QVERIFY(answered);
        QCOMPARE(warm.accessToken, first.token.accessToken);
        QCOMPARE(provider.fetchCount(), 1);

        // 2 min 1 s before expiry: still cached; 1 min 59 s before: fetched again.
        now = first.token.expiresAt.addSecs(-121);
        QCOMPARE(getAndWait(provider).token.accessToken, first.token.accessToken);
        QCOMPARE(provider.fetchCount(), 1);
        now = first.token.expiresAt.addSecs(-119);
        const Got second = getAndWait(provider);
        QVERIFY(second.token.isValid());
        QVERIFY(second.token.accessToken != first.token.accessToken);
        QCOMPARE(provider.fetchCount(), 2);
        QCOMPARE(server->requestCount(Route::Token), 2);

        // Concurrent callers share one fetch.
        QVERIFY(provider.invalidate());
        server->setAnswerDelay(50);
        QList<Got> gots(3);
        for (Got &g : gots) {
            provider.get([&g](const AzureToken &t, const QString &e) {
                g.done = true;
                g.token = t;
                g.error = e;
            });
        }
        QVERIFY(QTest::qWaitFor([&gots] { return gots[0].done && gots[1].done && gots[2].done; }));
        QCOMPARE(provider.fetchCount(), 3);
        QCOMPARE(server->requestCount(Route::Token), 3);
        QVERIFY(gots[0].token.isValid());
        QCOMPARE(gots[1].token.accessToken, gots[0].token.accessToken);
        QCOMPARE(gots[2].token.accessToken, gots[0].token.accessToken);
        QVERIFY(gots[0].token.accessToken != second.token.accessToken);

        // invalidate() after a 401: the next get() fetches.
        QVERIFY(provider.invalidate());
        const Got third = getAndWait(provider);
        QVERIFY(third.token.isValid());
        QCOMPARE(provider.fetchCount(), 4);
    }

    void staticSourceAndProblems()
    {
        QTemporaryDir tmp;
        FakeAz az(tmp);
        az.succeed(QDateTime::currentDateTimeUtc().addSecs(3000));
        const auto source = [](const QProcessEnvironment &e, QString *why = nullptr) {
            QString w;
            const QString s = AzureCredentialProvider::staticSource(config(e), &w);
            if (why)
                *why = w;
            return s;
        };
        QProcessEnvironment env = baseEnv(tmp);
        QCOMPARE(source(env), QStringLiteral("managed identity (IMDS)"));
        QVERIFY(AzureCredentialProvider::configurationProblems(config(env)).isEmpty());
        env.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        QCOMPARE(source(env), QString());
        az.putFirstOn(env);
        QCOMPARE(source(env), QStringLiteral("Azure CLI"));
        env.remove("AZURE_TOKEN_CREDENTIALS");

        env.insert("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token");
        QCOMPARE(source(env), QStringLiteral("managed identity (IMDS)")); // no IDENTITY_HEADER
        env.insert("IDENTITY_HEADER", "h");
        QCOMPARE(source(env), QStringLiteral("managed identity (App Service)"));

        env.insert("AZURE_TENANT_ID", kTenant);
        env.insert("AZURE_CLIENT_ID", kClient);
        env.insert("AZURE_FEDERATED_TOKEN_FILE", tmp.path() + "/missing-token");
        QCOMPARE(source(env), QStringLiteral("workload identity"));
        env.insert("AZURE_CLIENT_CERTIFICATE_PATH", tmp.path() + "/missing.pem");
        QCOMPARE(source(env), QStringLiteral("client certificate ") + tmp.path() + "/missing.pem");
        env.insert("AZURE_CLIENT_SECRET", testSecret(QStringLiteral("azure-static")));
        QCOMPARE(source(env), QStringLiteral("client secret (environment)"));

        QStringList problems = AzureCredentialProvider::configurationProblems(config(env));
        QString all = problems.join(QLatin1Char(' '));
        QCOMPARE(problems.size(), 2);
        QVERIFY2(all.contains(tmp.path() + "/missing.pem") &&
                     all.contains(tmp.path() + "/missing-token"),
                 qPrintable(all));
        QVERIFY(clean(all));

        QProcessEnvironment partial = baseEnv(tmp);
        partial.insert("AZURE_CLIENT_SECRET", testSecret(QStringLiteral("azure-partial")));
        partial.insert("AZURE_TENANT_ID", "bad/tenant");
        problems = AzureCredentialProvider::configurationProblems(config(partial));
        all = problems.join(QLatin1Char(' '));
        QVERIFY2(all.contains(QLatin1String("AZURE_TENANT_ID is not a valid tenant id")) &&
                     all.contains(QLatin1String("AZURE_TENANT_ID and AZURE_CLIENT_ID are not "
                                                "both set")),
                 qPrintable(all));
        QVERIFY(clean(all));
        // Without a client id the secret is not used: IMDS is what remains.
        QCOMPARE(source(partial), QStringLiteral("managed identity (IMDS)"));
    }

    // Cold paths against each fake and a warm get(), printed for the lead's bench.
    void timings()
    {
        QTemporaryDir tmp;
        FakeEntraServer *server = makeServer(this);
        const QString secret = testSecret(QStringLiteral("azure-timing"));
        server->setClientSecret(secret);
        const fakes::TestRsaKey key = fakes::TestRsaKey::generate();
        const QString pemPath = tmp.path() + QStringLiteral("/client.pem");
        writeFile(pemPath, key.certificatePem + key.privateKeyPem);
        server->setCertificatePem(key.certificatePem);
        server->setIdentityHeader("identity-header-qltSECRET-3");
        FakeAz az(tmp);
        az.succeed(QDateTime::currentDateTimeUtc().addSecs(3000));

        const auto cold = [](const QProcessEnvironment &e, const char *what) {
            AzureCredentialProvider p(config(e));
            double ms = 0;
            const Got g = getAndTime(p, &ms);
            if (!g.token.isValid())
                qWarning("%s failed: %s", what, qPrintable(g.error));
            qDebug("cold %-22s %7.2f ms", what, ms);
            return g.token.isValid();
        };
        QProcessEnvironment entra = baseEnv(tmp);
        entraEnv(entra, *server);
        QProcessEnvironment e = entra;
        e.insert("AZURE_CLIENT_SECRET", secret);
        QVERIFY(cold(e, "client secret"));
        QVERIFY(cold(e, "client secret (again)"));
        e = entra;
        e.insert("AZURE_CLIENT_CERTIFICATE_PATH", pemPath);
        QVERIFY(cold(e, "client certificate"));
        e = baseEnv(tmp);
        e.insert("IDENTITY_ENDPOINT", server->appServiceUrl().toString());
        e.insert("IDENTITY_HEADER", "identity-header-qltSECRET-3");
        QVERIFY(cold(e, "App Service"));
        e = baseEnv(tmp);
        e.insert("IMDS_ENDPOINT", server->baseUrl().toString());
        QVERIFY(cold(e, "IMDS"));
        e = baseEnv(tmp);
        az.putFirstOn(e);
        e.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        QVERIFY(cold(e, "az script (dev)"));
        e.remove("AZURE_TOKEN_CREDENTIALS");
        QVERIFY(cold(e, "az script (IMDS refused)"));

        e = entra;
        e.insert("AZURE_CLIENT_SECRET", secret);
        AzureCredentialProvider warm(config(e));
        QVERIFY(getAndWait(warm).token.isValid());
        const int n = 10000;
        int answered = 0;
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < n; ++i)
            warm.get([&answered](const AzureToken &, const QString &) { ++answered; });
        const double us = t.nsecsElapsed() / 1e3 / n;
        QCOMPARE(answered, n);
        QCOMPARE(warm.fetchCount(), 1);
        qDebug("warm get() %.3f us each (%d calls)", us, n);

        // A fetch on a provider whose network is already set up (after invalidate()).
        warm.invalidate();
        double ms = 0;
        QVERIFY(getAndTime(warm, &ms).token.isValid());
        qDebug("refetch client secret  %7.2f ms (same provider)", ms);
    }
};

QTEST_GUILESS_MAIN(tst_AzureCredentials)
#include "tst_AzureCredentials.moc"
