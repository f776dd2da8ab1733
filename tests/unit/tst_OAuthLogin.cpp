#include "FakeAnthropicServer.h"
#include "FakeOAuthServer.h"
#include "OAuthTestSupport.h"
#include "TestSupport.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusServiceWatcher>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QtTest>

using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeOAuthServer;

namespace {

// A Secret Service of our own: a private D-Bus daemon with an unlocked gnome-keyring, so these
// `qlaude` processes (which use the real "qlaude" service) never meet the other tests' logins.
class PrivateKeyring
{
public:
    ~PrivateKeyring()
    {
        for (QProcess *p : {&m_keyring, &m_bus}) {
            if (p->state() != QProcess::NotRunning) {
                p->terminate();
                if (!p->waitForFinished(3000))
                    p->kill();
                p->waitForFinished(3000);
            }
        }
        QDBusConnection::disconnectFromBus(QStringLiteral("qlaude-oauth-login-test"));
    }

    bool start(const QString &dir, QString *error)
    {
        m_runtime = dir + QStringLiteral("/run");
        QDir().mkpath(m_runtime);
        QFile::setPermissions(m_runtime, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                             QFileDevice::ExeOwner);
        m_bus.setStandardErrorFile(QProcess::nullDevice());
        m_bus.start(QStringLiteral("dbus-daemon"),
                    {QStringLiteral("--session"), QStringLiteral("--nofork"),
                     QStringLiteral("--print-address=1"),
                     QStringLiteral("--address=unix:path=") + dir + QStringLiteral("/bus")});
        if (!m_bus.waitForStarted(5000)) {
            *error = QStringLiteral("dbus-daemon did not start");
            return false;
        }
        QEventLoop loop;
        QObject::connect(&m_bus, &QProcess::readyReadStandardOutput, &loop, &QEventLoop::quit);
        QTimer::singleShot(5000, &loop, &QEventLoop::quit);
        if (!m_bus.canReadLine())
            loop.exec();
        m_address = QString::fromUtf8(m_bus.readLine()).trimmed();
        if (m_address.isEmpty()) {
            *error = QStringLiteral("dbus-daemon printed no address");
            return false;
        }
        QDBusConnection bus =
            QDBusConnection::connectToBus(m_address, QStringLiteral("qlaude-oauth-login-test"));
        QDBusServiceWatcher watcher(QStringLiteral("org.freedesktop.secrets"), bus,
                                    QDBusServiceWatcher::WatchForRegistration);
        QEventLoop registered;
        QObject::connect(&watcher, &QDBusServiceWatcher::serviceRegistered, &registered,
                         &QEventLoop::quit);

        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), m_address);
        env.insert(QStringLiteral("HOME"), dir);
        env.insert(QStringLiteral("XDG_DATA_HOME"), dir + QStringLiteral("/data"));
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_runtime);
        m_keyring.setProcessEnvironment(env);
        m_keyring.setStandardOutputFile(QProcess::nullDevice());
        m_keyring.setStandardErrorFile(QProcess::nullDevice());
        m_keyring.start(QStringLiteral("gnome-keyring-daemon"),
                        {QStringLiteral("--foreground"), QStringLiteral("--unlock"),
                         QStringLiteral("--components=secrets")});
        if (!m_keyring.waitForStarted(5000)) {
            *error = QStringLiteral("gnome-keyring-daemon did not start");
            return false;
        }
        m_keyring.write("qlaude-login-test-pw"); // never empty: that would ask a GUI prompter
        m_keyring.closeWriteChannel();
        QTimer::singleShot(10000, &registered, &QEventLoop::quit);
        if (!bus.interface()->isServiceRegistered(QStringLiteral("org.freedesktop.secrets")))
            registered.exec();
        if (!bus.interface()->isServiceRegistered(QStringLiteral("org.freedesktop.secrets"))) {
            *error = QStringLiteral("gnome-keyring did not register the Secret Service");
            return false;
        }
        return true;
    }

    QString address() const { return m_address; }
    QString runtimeDir() const { return m_runtime; }

private:
    QProcess m_bus;
    QProcess m_keyring;
    QString m_address;
    QString m_runtime;
};

// A qlaude process driven while this process's event loop keeps the fakes answering.
class Qlaude : public QObject
{
public:
    explicit Qlaude(const QProcessEnvironment &env)
    {
        m_p.setProcessEnvironment(env);
        connect(&m_p, &QProcess::readyReadStandardOutput, this, [this] {
            out += m_p.readAllStandardOutput();
            m_loop.quit();
        });
        connect(&m_p, &QProcess::readyReadStandardError, this, [this] {
            err += m_p.readAllStandardError();
            m_loop.quit();
        });
        connect(&m_p, &QProcess::finished, this, [this] { m_loop.quit(); });
    }
    ~Qlaude() override
    {
        if (m_p.state() != QProcess::NotRunning) {
            m_p.kill();
            m_p.waitForFinished(3000);
        }
    }
    void start(const QStringList &args) { m_p.start(QStringLiteral(QLAUDE_BIN), args); }
    void write(const QByteArray &bytes) { m_p.write(bytes); }
    void closeInput() { m_p.closeWriteChannel(); }
    // Waits until stdout matches; returns the first capture (or the whole match).
    QString waitForOutput(const QRegularExpression &re, int timeoutMs = 20000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            const QRegularExpressionMatch m = re.match(QString::fromUtf8(out));
            if (m.hasMatch())
                return m.lastCapturedIndex() > 0 ? m.captured(1) : m.captured(0);
            if (m_p.state() == QProcess::NotRunning)
                return QString();
            QTimer::singleShot(int(timeoutMs - t.elapsed()), &m_loop, &QEventLoop::quit);
            m_loop.exec();
        }
        return QString();
    }
    int wait(int timeoutMs = 30000)
    {
        QElapsedTimer t;
        t.start();
        while (m_p.state() != QProcess::NotRunning && t.elapsed() < timeoutMs) {
            QTimer::singleShot(int(timeoutMs - t.elapsed()), &m_loop, &QEventLoop::quit);
            m_loop.exec();
        }
        if (m_p.state() != QProcess::NotRunning)
            return -1;
        out += m_p.readAllStandardOutput();
        err += m_p.readAllStandardError();
        return m_p.exitStatus() == QProcess::NormalExit ? m_p.exitCode() : -2;
    }
    QByteArray out;
    QByteArray err;

private:
    QProcess m_p;
    QEventLoop m_loop;
};

} // namespace

// `qlaude --login=oauth` and what follows it, as real processes: the system-browser and manual
// flows against the strict fake authorization server, the token reaching the fake API, two
// processes refreshing at once, invalid_grant, logout and doctor.
class tst_OAuthLogin : public QObject
{
    Q_OBJECT

    std::unique_ptr<PrivateKeyring> m_keyring;
    std::unique_ptr<TestHome> m_home;
    std::unique_ptr<FakeOAuthServer> m_oauth;
    std::unique_ptr<FakeAnthropicServer> m_api;

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = m_home->environment();
        e.insert("DBUS_SESSION_BUS_ADDRESS", m_keyring->address());
        e.insert("XDG_RUNTIME_DIR", m_keyring->runtimeDir());
        e.insert("HOME", m_home->root());
        e.insert("XDG_DATA_HOME", m_home->root() + "/xdg-data");
        e.insert("CLAUDE_CODE_CUSTOM_OAUTH_URL", m_oauth->baseUrl().toString());
        e.insert("CLAUDE_CODE_OAUTH_CLIENT_ID", m_oauth->clientId());
        e.insert("ANTHROPIC_BASE_URL", m_api->baseUrl().toString());
        e.remove("DISPLAY");
        e.remove("WAYLAND_DISPLAY");
        return e;
    }
    QProcessEnvironment browserEnv() const
    {
        QProcessEnvironment e = env();
        e.insert("BROWSER", helperScript("browser_curl.sh"));
        return e;
    }
    QJsonObject doctor(const QProcessEnvironment &e)
    {
        const ProcessResult r =
            runQlaudeAsync({"--doctor", "--json", "--workspace", m_home->workspace()}, e);
        return QJsonDocument::fromJson(r.out).object();
    }
    static bool leaks(const ProcessResult &r)
    {
        return r.out.contains("SECRET") || r.err.contains("SECRET");
    }
    // Logs in through the system browser; the tokens the fake issues live `lifetime` seconds.
    bool login(int lifetime = 8 * 3600, const QStringList &extra = {})
    {
        m_oauth->setAccessTokenLifetime(lifetime);
        const ProcessResult r = runQlaudeAsync(
            QStringList{"--login=oauth", "--browser=system", "--workspace", m_home->workspace()} +
                extra,
            browserEnv());
        if (r.exitCode != 0)
            qWarning("login failed: %s", r.err.constData());
        return r.exitCode == 0 && !leaks(r);
    }
    QByteArray bearer() const { return "Bearer " + m_oauth->lastAccessToken().toUtf8(); }

private slots:
    void initTestCase()
    {
        for (const char *tool : {"dbus-daemon", "gnome-keyring-daemon", "curl"}) {
            if (QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty())
                QSKIP(qPrintable(QStringLiteral("%1 is not installed").arg(QLatin1String(tool))));
        }
        TestHome keyringHome(QStringLiteral("oauth-login-keyring"));
        m_keyring = std::make_unique<PrivateKeyring>();
        QString error;
        QVERIFY2(m_keyring->start(keyringHome.root(), &error), qPrintable(error));
    }
    void cleanupTestCase() { m_keyring.reset(); }
    void init()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("oauth-login"));
        m_oauth = std::make_unique<FakeOAuthServer>();
        m_oauth->setClientId(QStringLiteral("qlaude-test-client"));
        m_oauth->setTokenFactory(secretTokens(QStringLiteral("cli")));
        QVERIFY(m_oauth->listen());
        m_api = std::make_unique<FakeAnthropicServer>();
        QVERIFY(m_api->listen());
    }
    void cleanup()
    {
        // Leave the private keyring empty for the next test.
        runQlaudeAsync({"--logout"}, env());
        m_api.reset();
        m_oauth.reset();
        m_home.reset();
    }

    void theSystemBrowserLoginStoresTheTokens()
    {
        QProcessEnvironment e = browserEnv();
        e.insert("QLAUDE_TEST_BROWSER_LOG", m_home->path("browser.log"));
        const ProcessResult r =
            runQlaudeAsync({"--login=oauth", "--profile=claudeai", "--browser=system"}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("Opening your browser to sign in with Claude.ai"),
                 r.out.constData());
        QVERIFY(r.out.contains("Signed in with Claude.ai. Account: user@example.com. The login is "
                               "stored in the system keychain; the access token lasts 8 hours"));
        QVERIFY(!leaks(r));
        QCOMPARE(m_oauth->codeExchanges(), 1);
        QVERIFY(m_oauth->refusals().isEmpty());
        // The browser was sent to the loopback redirect, and ended on the success page.
        const auto authorize = m_oauth->requests().first();
        QCOMPARE(authorize.path, QStringLiteral("/cai/oauth/authorize"));
        QVERIFY(authorize.query.queryItemValue("redirect_uri", QUrl::FullyDecoded)
                    .startsWith("http://localhost:"));
        QFile log(m_home->path("browser.log"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        QCOMPARE(log.readAll().trimmed(), QByteArray("200"));

        const QJsonObject d = doctor(env());
        QCOMPARE(d.value("credential").toObject().value("source").toString(),
                 QStringLiteral("keychain:oauth"));
        const QJsonObject oauth = d.value("oauth").toObject();
        QCOMPARE(oauth.value("stored").toBool(), true);
        QCOMPARE(oauth.value("profile").toString(), QStringLiteral("claudeai"));
        QCOMPARE(oauth.value("expired").toBool(), false);
        QCOMPARE(oauth.value("scopes").toArray().size(), 6);
        QCOMPARE(oauth.value("account").toString(), QStringLiteral("user@example.com"));
    }

    void theManualLoginReadsThePastedCode()
    {
        Qlaude q(env()); // no display: manual is the default
        q.start({"--login=oauth"});
        const QString url = q.waitForOutput(QRegularExpression("\\n(http\\S+)\\n"));
        QVERIFY2(!url.isEmpty(), q.out.constData());
        QCOMPARE(queryValue(QUrl(url), "redirect_uri"), m_oauth->manualRedirectUri());
        // The user signs in and copies the code the paste page shows.
        const HttpResult page = httpRequest(QUrl(url));
        const QString pasted = pastedCodeFrom(page.body);
        QVERIFY2(pasted.contains('#'), page.body.constData());
        q.write("not-a-code\n");
        q.write(pasted.toUtf8() + "\n");
        QCOMPARE(q.wait(), 0);
        QVERIFY2(q.err.contains("Invalid code. Please make sure the full code was copied."),
                 q.err.constData());
        QVERIFY(q.out.contains("Signed in with Claude.ai."));
        QCOMPARE(m_oauth->codeExchanges(), 1);
        QVERIFY(m_oauth->refusals().isEmpty()); // the exchange used the manual redirect_uri
        QVERIFY(doctor(env()).value("oauth").toObject().value("stored").toBool());
    }

    void aManualLoginWithoutInputEndsClearly()
    {
        const ProcessResult r = runQlaudeAsync({"--login=oauth", "--browser=manual"}, env());
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("No code was pasted before stdin closed"), r.err.constData());
        QCOMPARE(m_oauth->codeExchanges(), 0);
    }

    void withoutAClientIdTheLoginExplainsThePermittedRoutes()
    {
#if QLAUDE_BUILD_HAS_OAUTH_CLIENT_ID
        QSKIP("this build has a QLAUDE_OAUTH_CLIENT_ID (build option)");
#endif
        QProcessEnvironment e = env();
        e.remove("CLAUDE_CODE_OAUTH_CLIENT_ID");
        const ProcessResult r = runQlaudeAsync({"--login=oauth", "--profile=claudeai"}, e);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith("This build of Qlaude is not authorized by Anthropic for "
                                  "Claude.ai or Console subscription login."),
                 r.err.constData());
        QVERIFY(r.err.contains("qlaude --login=api-key") && r.err.contains("apiKeyHelper") &&
                r.err.contains("Bedrock"));
        QCOMPARE(m_oauth->authorizeRequests(), 0);
    }

    void badOptionsAreUsageErrors()
    {
        ProcessResult r = runQlaudeAsync({"--login=oauth", "--browser=embedded"}, env());
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("The embedded browser needs the desktop app"), r.err.constData());
        r = runQlaudeAsync({"--login=oauth", "--profile=github"}, env());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("Unknown login profile"));
        r = runQlaudeAsync({"--login=oauth", "--browser=lynx"}, env());
        QCOMPARE(r.exitCode, 2);
    }

    void printSendsTheClaudeAiTokenWithTheOAuthBeta()
    {
        QVERIFY(login());
        const ProcessResult r =
            runQlaudeAsync({"--print", "hi", "--workspace", m_home->workspace()}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto req = m_api->lastRequest();
        QVERIFY(req.header("authorization") == bearer());
        QVERIFY(!req.hasHeader("x-api-key"));
        QVERIFY(req.betas().contains("oauth-2025-04-20"));
        QCOMPARE(m_oauth->refreshRequests(), 0);
        QVERIFY(!leaks(r));
    }

    void twoProcessesRefreshingAtOnceMakeOneRefresh()
    {
        QVERIFY(login(60)); // already inside the 5-minute margin: the next use refreshes
        m_oauth->setAccessTokenLifetime(3600);
        m_oauth->setTokenDelay(300); // a slow token endpoint widens the race
        Qlaude a(env());
        Qlaude b(env());
        a.start({"--print", "first"});
        b.start({"--print", "second"});
        const int codeA = a.wait();
        const int codeB = b.wait();
        QVERIFY2(codeA == 0 && codeB == 0, QByteArray(a.err + b.err).constData());
        QVERIFY2(a.err.isEmpty() && b.err.isEmpty(), QByteArray(a.err + b.err).constData());
        QCOMPARE(m_oauth->refreshRequests(), 1);
        QCOMPARE(m_api->requests().size(), 2);
        for (const auto &req : m_api->requests())
            QVERIFY(req.header("authorization") == bearer());
        // The rotated refresh token is the one stored: a third process needs no refresh.
        const ProcessResult c = runQlaudeAsync({"--print", "third"}, env());
        QCOMPARE(c.exitCode, 0);
        QCOMPARE(m_oauth->refreshRequests(), 1);
    }

    void a401FromTheApiLeadsToARefresh()
    {
        QVERIFY(login());
        const QByteArray before = bearer();
        m_api->enqueue(qlaude::fakes::FakeResponse::error(401));
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(m_oauth->refreshRequests(), 1);
        QCOMPARE(m_api->requests().size(), 2);
        QVERIFY(m_api->requests().at(0).header("authorization") == before);
        QVERIFY(m_api->requests().at(1).header("authorization") == bearer());
    }

    void invalidGrantSignsOut()
    {
        QVERIFY(login(60));
        m_oauth->revokeAllRefreshTokens();
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, env());
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("Signed out, please log in again"), r.err.constData());
        QVERIFY(!leaks(r));
        QCOMPARE(m_api->requests().size(), 0);
        const QJsonObject d = doctor(env());
        QCOMPARE(d.value("keychain").toObject().value("has_oauth").toBool(), false);
    }

    void anOidcLoginSendsAPlainBearerToTheGateway()
    {
        FakeOAuthServer sso;
        sso.setStyle(FakeOAuthServer::Style::Oidc);
        sso.setClientId(QStringLiteral("corp-gateway"));
        sso.setTokenFactory(secretTokens(QStringLiteral("sso")));
        QVERIFY(sso.listen());
        QProcessEnvironment e = browserEnv();
        e.insert("QLAUDE_OIDC_ISSUER", sso.baseUrl().toString());
        e.insert("QLAUDE_OIDC_CLIENT_ID", sso.clientId());
        ProcessResult r = runQlaudeAsync({"--login=oauth", "--browser=system"}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("Signed in with organization SSO."));
        QCOMPARE(sso.codeExchanges(), 1);
        r = runQlaudeAsync({"--print", "hi"}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto req = m_api->lastRequest();
        QVERIFY(req.header("authorization") == "Bearer " + sso.lastAccessToken().toUtf8());
        QVERIFY(!req.betas().contains("oauth-2025-04-20"));
        QVERIFY(!req.hasHeader("x-api-key"));
        QCOMPARE(doctor(e).value("oauth").toObject().value("profile").toString(),
                 QStringLiteral("oidc"));
        r = runQlaudeAsync({"--logout"}, e);
        QVERIFY(r.out.contains("Removed the organization SSO login"));
        QCOMPARE(sso.revokeRequests(), 1);
    }

    void logoutRevokesThenRemovesTheLogin()
    {
        QVERIFY(login());
        const QString refresh = m_oauth->lastRefreshToken();
        const ProcessResult r = runQlaudeAsync({"--logout"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const int revoked = r.out.indexOf("Revoked the refresh token at 127.0.0.1.");
        const int removed = r.out.indexOf("Removed the Claude.ai login (user@example.com) from "
                                          "the system keychain.");
        QVERIFY2(revoked >= 0 && removed > revoked, r.out.constData());
        QCOMPARE(m_oauth->revokeRequests(), 1);
        QVERIFY(!m_oauth->isRefreshTokenActive(refresh));
        QVERIFY(!leaks(r));
        QCOMPARE(doctor(env()).value("oauth").toObject().value("stored").toBool(), false);
    }

    void logoutGoesOnWhenRevocationFails()
    {
        QVERIFY(login());
        m_oauth.reset(); // the sign-in server is gone
        m_oauth = std::make_unique<FakeOAuthServer>();
        QVERIFY(m_oauth->listen());
        const ProcessResult r = runQlaudeAsync({"--logout"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("Could not revoke the login at the sign-in server"),
                 r.out.constData());
        QVERIFY(r.out.contains("Continuing with the local logout."));
        QVERIFY(r.out.contains("Removed the Claude.ai login"));
    }

    void projectSettingsCannotRedirectTheLogin()
    {
        m_home->projectSettings(
            {{"env", QJsonObject{{"CLAUDE_CODE_CUSTOM_OAUTH_URL", "https://phish.example.com"}}}});
        QProcessEnvironment e = env();
        e.remove("CLAUDE_CODE_CUSTOM_OAUTH_URL");
        const ProcessResult r = runQlaudeAsync(
            {"--login=oauth", "--browser=manual", "--workspace", m_home->workspace()}, e);
        QCOMPARE(r.exitCode, 1); // no code pasted
        QVERIFY2(r.out.contains("https://claude.com/cai/oauth/authorize?code=true&"),
                 r.out.constData());
        QVERIFY(!r.out.contains("phish"));
        const QJsonObject d = doctor(e);
        const QJsonArray ignored = d.value("oauth").toObject().value("ignored_settings").toArray();
        QCOMPARE(ignored.size(), 1);
        QVERIFY(ignored.first().toString().startsWith(
            "CLAUDE_CODE_CUSTOM_OAUTH_URL in project settings ("));
    }
};

QTEST_GUILESS_MAIN(tst_OAuthLogin)
#include "tst_OAuthLogin.moc"
