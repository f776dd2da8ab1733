#include "FakeAnthropicServer.h"
#include "FakeConnectProxy.h"
#include "FakeResponse.h"
#include "FakeTls.h"
#include "KeychainStore.h"
#include "NetworkAccess.h"
#include "NetworkSetup.h"
#include "TestPki.h"
#include "TestSupport.h"
#include "TokenHttp.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeConnectProxy;
using qlaude::fakes::FakeResponse;

// A corporate network, as `qlaude --print` and `--doctor` meet it: an https API whose
// certificate comes from a company CA, a server that wants a client certificate, a CONNECT
// proxy that wants credentials (in its URL or from proxyAuthHelper), and NO_PROXY. Every
// certificate is made by openssl in the test; every server is real, on 127.0.0.1.
class tst_CorporateNetwork : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestHome> m_home;
    std::unique_ptr<TestPki> m_pki;
    FakeAnthropicServer *m_server = nullptr;
    QString m_key;

    // An https fake API with the test CA's server certificate; with mtls, a client certificate
    // from the test CA is required.
    FakeAnthropicServer *startServer(bool mtls, const TestPki &pki)
    {
        auto *server = new FakeAnthropicServer(this);
        QSslConfiguration tls;
        QString error;
        if (!fakes::serverTlsFromFiles(pki.serverCert(), pki.serverKey(),
                                       mtls ? pki.caCert() : QString(), &tls, &error))
            qWarning("%s", qPrintable(error));
        server->setTlsConfiguration(tls);
        server->setExpectedApiKey(m_key.toUtf8());
        server->setDefaultResponse(FakeResponse::text(QStringLiteral("Through the firewall.")));
        if (!server->listen())
            qWarning("cannot listen");
        return server;
    }

    // The test's environment: no proxy or certificate variable from the machine running it.
    QProcessEnvironment env() const
    {
        QProcessEnvironment e = m_home->environment();
        for (const char *name :
             {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY",
              "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR", "CLAUDE_CODE_CLIENT_CERT",
              "CLAUDE_CODE_CLIENT_KEY", "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE",
              "CLAUDE_CODE_CERT_STORE", "CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER"})
            e.remove(QLatin1String(name));
        e.insert("ANTHROPIC_BASE_URL", m_server->baseUrl().toString());
        e.insert("ANTHROPIC_API_KEY", m_key);
        e.insert("XDG_DATA_HOME", m_home->root() + "/xdg-data");
        return e;
    }
    QProcessEnvironment withCa() const
    {
        QProcessEnvironment e = env();
        e.insert("NODE_EXTRA_CA_CERTS", m_pki->caCert());
        return e;
    }
    ProcessResult print(const QProcessEnvironment &e, const QStringList &extra = {})
    {
        return runQlaudeAsync(QStringList{"--print", "hello", "--workspace", m_home->workspace()} +
                                  extra,
                              e, QByteArray(), 60000);
    }
    static void verifyNoSecret(const ProcessResult &r, const QString &secret)
    {
        QVERIFY(!r.out.contains(secret.toUtf8()));
        QVERIFY(!r.err.contains(secret.toUtf8()));
        QVERIFY(!r.out.contains("qltSECRET") && !r.err.contains("qltSECRET"));
    }

private slots:
    void initTestCase()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("corpnet"));
        m_pki = std::make_unique<TestPki>(m_home->path("pki"));
        QVERIFY2(m_pki->ok(), qPrintable(m_pki->error()));
        m_key = testSecret(QStringLiteral("corpnet"));
    }
    void init()
    {
        NetworkAccess::clearProxyAuthorizationCache();
        m_server = startServer(false, *m_pki);
    }
    void cleanup()
    {
        delete m_server;
        m_server = nullptr;
    }

    void companyCaIsNeededAndEnough()
    {
        // Without the company CA: a TLS error that names the issuer and what to set.
        ProcessResult r = print(env());
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(TestPki::kCaName), r.err.constData());
        QVERIFY2(r.err.contains("NODE_EXTRA_CA_CERTS"), r.err.constData());
        QVERIFY2(!r.err.contains("retrying"), r.err.constData()); // a refused certificate is final
        QCOMPARE(int(m_server->requests().size()), 0);
        // With it: the answer.
        r = print(withCa());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("Through the firewall.\n"));
        QCOMPARE(int(m_server->requests().size()), 1);
    }

    void aBadBundleNamesItsFile()
    {
        QProcessEnvironment e = env();
        e.insert("NODE_EXTRA_CA_CERTS", m_home->path("no-such-bundle.pem"));
        ProcessResult r = print(e);
        QCOMPARE(r.exitCode, 1);
        const QByteArray missing = "NODE_EXTRA_CA_CERTS names " +
                                   m_home->path("no-such-bundle.pem").toUtf8() +
                                   ", which does not exist";
        QVERIFY2(r.err.contains(missing), r.err.constData());
        // A file that holds no certificate.
        m_home->writeFile(m_home->path("garbage.pem"), "not a certificate\n");
        e.insert("NODE_EXTRA_CA_CERTS", m_home->path("garbage.pem"));
        r = print(e);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("holds no PEM certificate"), r.err.constData());
        QCOMPARE(int(m_server->requests().size()), 0);
    }

    void sslCertFileReplacesTheSystemStore()
    {
        QProcessEnvironment e = env();
        e.insert("SSL_CERT_FILE", m_pki->caCert());
        ProcessResult r = print(e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        // Replaced, not extended: the doctor says so.
        r = runQlaude({"--doctor", "--json", "--workspace", m_home->workspace()}, e);
        const QJsonObject net = QJsonDocument::fromJson(r.out).object().value("network").toObject();
        QCOMPARE(net.value("system_store").toString(), QStringLiteral("replaced by SSL_CERT_FILE"));
    }

    void aHostNameMismatchNamesBothNames()
    {
        TestPki other(m_home->path("pki-mismatch"), {QStringLiteral("DNS:api.example.test")});
        QVERIFY2(other.ok(), qPrintable(other.error()));
        delete m_server;
        m_server = startServer(false, other);
        QProcessEnvironment e = env();
        e.insert("NODE_EXTRA_CA_CERTS", other.caCert());
        const ProcessResult r = print(e);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("is for api.example.test, not for 127.0.0.1"), r.err.constData());
    }

    void clientCertificateIsRequiredAndPresented()
    {
        delete m_server;
        m_server = startServer(true, *m_pki);
        // None: a clear error, not a retry loop.
        ProcessResult r = print(withCa());
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("CLAUDE_CODE_CLIENT_CERT"), r.err.constData());
        QCOMPARE(int(m_server->requests().size()), 0);
        // Certificate and key.
        QProcessEnvironment e = withCa();
        e.insert("CLAUDE_CODE_CLIENT_CERT", m_pki->clientCert());
        e.insert("CLAUDE_CODE_CLIENT_KEY", m_pki->clientKey());
        r = print(e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(int(m_server->requests().size()), 1);
    }

    void anEncryptedKeyNeedsItsPassphrase()
    {
        delete m_server;
        m_server = startServer(true, *m_pki);
        QProcessEnvironment e = withCa();
        e.insert("CLAUDE_CODE_CLIENT_CERT", m_pki->clientCert());
        e.insert("CLAUDE_CODE_CLIENT_KEY", m_pki->encryptedClientKey());
        ProcessResult r = print(e);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(
                     QByteArray(m_pki->encryptedClientKey().toUtf8() + ", which is encrypted")),
                 r.err.constData());
        e.insert("CLAUDE_CODE_CLIENT_KEY_PASSPHRASE", QStringLiteral("wrong-passphrase"));
        r = print(e);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("could not be decrypted"), r.err.constData());
        QCOMPARE(int(m_server->requests().size()), 0);
        e.insert("CLAUDE_CODE_CLIENT_KEY_PASSPHRASE", m_pki->passphrase());
        r = print(e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        verifyNoSecret(r, m_pki->passphrase());
        QCOMPARE(int(m_server->requests().size()), 1);
    }

    void thePassphraseCanComeFromTheKeychain()
    {
        delete m_server;
        m_server = startServer(true, *m_pki);
        KeychainStore keychain;
        QVERIFY(
            keychain.writeSync(QLatin1String(NetworkSetup::kPassphraseEntry), m_pki->passphrase())
                .ok());
        QProcessEnvironment e = withCa();
        e.insert("CLAUDE_CODE_CLIENT_CERT", m_pki->clientCert());
        e.insert("CLAUDE_CODE_CLIENT_KEY", m_pki->encryptedClientKey());
        ProcessResult r = print(e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = runQlaude({"--doctor", "--workspace", m_home->workspace()}, e);
        QVERIFY2(r.out.contains("passphrase from keychain"), r.out.constData());
        verifyNoSecret(r, m_pki->passphrase());
        QVERIFY(keychain.removeSync(QLatin1String(NetworkSetup::kPassphraseEntry)).ok());
        r = print(e);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("is encrypted"), r.err.constData());
    }

    void tokenEndpointsGetTheClientCertificateToo()
    {
        // The same set-up serves OAuth, Google, Entra and STS token requests: TokenHttp on a
        // NetworkAccess presents the certificate to a server that requires it.
        delete m_server;
        m_server = startServer(true, *m_pki);
        QProcessEnvironment e = withCa();
        NetworkAccess without(NetworkSetup::fromEnvironment(e));
        e.insert("CLAUDE_CODE_CLIENT_CERT", m_pki->clientCert());
        e.insert("CLAUDE_CODE_CLIENT_KEY", m_pki->clientKey());
        NetworkAccess with(NetworkSetup::fromEnvironment(e));
        const auto fetch = [this](NetworkAccess *nam) {
            TokenHttpRequest req;
            req.url = QUrl(m_server->baseUrl().toString() + "/v1/models");
            req.method = "GET";
            req.timeoutMs = 10000;
            TokenHttpResult out;
            bool done = false;
            TokenHttp::send(nam, req, this, [&](const TokenHttpResult &r) {
                out = r;
                done = true;
            });
            [&] { QTRY_VERIFY_WITH_TIMEOUT(done, 15000); }();
            return out;
        };
        const TokenHttpResult refused = fetch(&without);
        QVERIFY(refused.status == 0);
        QVERIFY2(refused.error.contains("CLAUDE_CODE_CLIENT_CERT"), qPrintable(refused.error));
        const TokenHttpResult accepted = fetch(&with);
        QVERIFY2(accepted.status != 0, qPrintable(accepted.error));
    }

    void proxyCredentialsFromTheUrl()
    {
        FakeConnectProxy proxy;
        QVERIFY(proxy.listen());
        const QString password = testSecret(QStringLiteral("proxy-password"));
        proxy.setRequiredAuthorization("Basic " + ("alice:" + password).toUtf8().toBase64());
        QProcessEnvironment e = withCa();
        // No credentials: the 407, in words.
        e.insert("HTTPS_PROXY", proxy.url());
        ProcessResult r = print(e);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("asks for credentials (HTTP 407"), r.err.constData());
        QCOMPARE(proxy.tunnelsOpened(), 0);
        // Credentials in the URL: Basic, and the password is never printed.
        e.insert("HTTPS_PROXY", QStringLiteral("http://alice:%1@127.0.0.1:%2")
                                    .arg(QString::fromLatin1(QUrl::toPercentEncoding(password)))
                                    .arg(proxy.port()));
        r = print(e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(proxy.tunnelsOpened() >= 1);
        QVERIFY(proxy.targets().contains("127.0.0.1:" + QByteArray::number(m_server->port())));
        verifyNoSecret(r, password);
        r = runQlaude({"--doctor", "--workspace", m_home->workspace()}, e);
        verifyNoSecret(r, password);
        QVERIFY2(r.out.contains("through http://alice:"), r.out.constData());
    }

    void noProxyBypassesTheProxy()
    {
        FakeConnectProxy proxy;
        QVERIFY(proxy.listen());
        QProcessEnvironment e = withCa();
        e.insert("HTTPS_PROXY", proxy.url());
        e.insert("NO_PROXY", QStringLiteral("localhost,127.0.0.1"));
        ProcessResult r = print(e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(proxy.connectRequests(), 0);
        // Without NO_PROXY the same request goes through it.
        e.remove("NO_PROXY");
        r = print(e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(proxy.tunnelsOpened(), 1);
    }

    void proxyAuthHelperAnswersA407Once()
    {
        FakeConnectProxy proxy;
        QVERIFY(proxy.listen());
        const QString token = testSecret(QStringLiteral("proxy-token"));
        proxy.setRequiredAuthorization("Bearer " + token.toUtf8());
        const QString counter = m_home->path("proxy-helper-runs");
        QFile::remove(counter);
        // The helper prints "Bearer <token>" (the token split, so no file holds it whole).
        const QString command = QStringLiteral("echo run >> '%1'; printf 'Bearer %2''%3\\n'")
                                    .arg(counter, token.left(10), token.mid(10));
        QProcessEnvironment e = withCa();
        e.insert("HTTPS_PROXY", proxy.url());
        const QString settings =
            QString::fromUtf8(QJsonDocument(QJsonObject{{"proxyAuthHelper", command}})
                                  .toJson(QJsonDocument::Compact));
        // Without CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER it does not run.
        ProcessResult r = print(e, {"--settings", settings});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(!QFile::exists(counter));
        QVERIFY2(r.err.contains("407"), r.err.constData());
        // With it: one run, one retry, the answer.
        e.insert("CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER", "1");
        const int before = proxy.challenges();
        r = print(e, {"--settings", settings});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QFile runs(counter);
        QVERIFY(runs.open(QIODevice::ReadOnly));
        QCOMPARE(runs.readAll(), QByteArray("run\n"));
        QCOMPARE(proxy.challenges(), before + 1);
        verifyNoSecret(r, token);
    }

    void anUntrustedProjectChangesNothingOnTheNetwork()
    {
        FakeConnectProxy proxy;
        QVERIFY(proxy.listen());
        proxy.setRequiredAuthorization("Bearer never");
        const QString counter = m_home->path("project-helper-runs");
        QFile::remove(counter);
        TestHome project(QStringLiteral("corpnet-project"));
        // The project asks for a proxy, a CA, a client certificate and a proxyAuthHelper.
        project.projectSettings(
            QJsonObject{{"proxyAuthHelper",
                         QStringLiteral("echo run >> '%1'; echo 'Bearer never'").arg(counter)},
                        {"env", QJsonObject{{"HTTPS_PROXY", proxy.url()},
                                            {"NODE_EXTRA_CA_CERTS", m_pki->caCert()},
                                            {"CLAUDE_CODE_CLIENT_CERT", m_pki->clientCert()},
                                            {"CLAUDE_CODE_CLIENT_KEY", m_pki->clientKey()},
                                            {"CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER", "1"}}}});
        QProcessEnvironment e = env();
        e.insert("CLAUDE_CONFIG_DIR", project.configDir());
        const ProcessResult r = runQlaudeAsync(
            {"--print", "hello", "--workspace", project.workspace()}, e, QByteArray(), 60000);
        // Not trusted: no proxy, no extra CA, no helper. The request goes direct and fails on
        // the certificate it cannot check.
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(proxy.connectRequests(), 0);
        QVERIFY(!QFile::exists(counter));
        QVERIFY2(r.err.contains(TestPki::kCaName), r.err.constData());
        QVERIFY2(!r.err.contains("CLAUDE_CODE_CLIENT_CERT"), r.err.constData());
    }

    void doctorShowsTheNetwork()
    {
        TestPki soon(m_home->path("pki-soon"), {QStringLiteral("IP:127.0.0.1")}, 10);
        QVERIFY2(soon.ok(), qPrintable(soon.error()));
        const QString password = testSecret(QStringLiteral("doctor-proxy"));
        QProcessEnvironment e = env();
        e.insert("HTTPS_PROXY", "http://bob:" + password + "@proxy.corp.test:3128");
        e.insert("NO_PROXY", ".amazonaws.com");
        e.insert("NODE_EXTRA_CA_CERTS", soon.caCert());
        e.insert("CLAUDE_CODE_CERT_STORE", "bundled,system");
        e.insert("CLAUDE_CODE_CLIENT_CERT", soon.clientCert());
        e.insert("CLAUDE_CODE_CLIENT_KEY", soon.encryptedClientKey());
        e.insert("CLAUDE_CODE_CLIENT_KEY_PASSPHRASE", soon.passphrase());
        ProcessResult r = runQlaude({"--doctor", "--json", "--workspace", m_home->workspace()}, e);
        verifyNoSecret(r, password);
        verifyNoSecret(r, soon.passphrase());
        const QJsonObject report = QJsonDocument::fromJson(r.out).object();
        const QJsonObject net = report.value("network").toObject();
        QCOMPARE(net.value("proxy").toObject().value("url").toString(),
                 QStringLiteral("http://bob:***@proxy.corp.test:3128"));
        QHash<QString, QJsonObject> hosts;
        for (const QJsonValue &v : net.value("hosts").toArray())
            hosts.insert(v.toObject().value("provider").toString(), v.toObject());
        QCOMPARE(hosts.value("anthropic").value("via").toString(),
                 QStringLiteral("http://bob:***@proxy.corp.test:3128"));
        QCOMPARE(hosts.value("bedrock").value("via").toString(), QStringLiteral("direct"));
        QVERIFY(hosts.value("bedrock").value("bypass").toString().contains("NO_PROXY"));
        const QJsonArray cas = net.value("ca_files").toArray();
        QCOMPARE(cas.size(), 1);
        QCOMPARE(cas.at(0).toObject().value("certificates").toInt(), 1);
        const QJsonObject client = net.value("client_certificate").toObject();
        QCOMPARE(client.value("subject").toString(),
                 QStringLiteral("CN=qlaude-test-client, O=Qlaude Tests"));
        QVERIFY(client.value("expires_in_days").toInt() <= 10);
        QVERIFY(net.value("cert_store").toString().contains("no bundled store"));
        bool warned = false;
        for (const QJsonValue &w : report.value("warnings").toArray())
            warned = warned || w.toString().contains("expires on");
        QVERIFY2(warned, r.out.constData());
        // The text form says the same.
        r = runQlaude({"--doctor", "--workspace", m_home->workspace()}, e);
        verifyNoSecret(r, password);
        QVERIFY2(r.out.contains("Network:"), r.out.constData());
        QVERIFY2(r.out.contains(QByteArray("NODE_EXTRA_CA_CERTS: " + soon.caCert().toUtf8() +
                                           " (1 certificate)")),
                 r.out.constData());
        QVERIFY2(r.out.contains("subject CN=qlaude-test-client"), r.out.constData());
        QVERIFY2(r.out.contains("! The client certificate"), r.out.constData());
    }
};

QTEST_GUILESS_MAIN(tst_CorporateNetwork)
#include "tst_CorporateNetwork.moc"
