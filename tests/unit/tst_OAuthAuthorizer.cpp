#include "AnthropicClient.h"
#include "AuthorizerFactory.h"
#include "FakeAnthropicServer.h"
#include "FakeResponse.h"
#include "KeychainStore.h"
#include "OAuthAuthorizer.h"
#include "OAuthTestSupport.h"
#include "OAuthTokenStore.h"
#include "RefreshLock.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLockFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cstdio>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeOAuthServer;
using qlaude::fakes::FakeResponse;

// The stored login as an Authorizer, against the real keychain (a private service name) and the
// strict fake authorization server: when it refreshes, single flight in the process and across
// processes (the lock file, the second read), invalid_grant, and the API's 401.
class tst_OAuthAuthorizer : public QObject
{
    Q_OBJECT

    std::unique_ptr<FakeOAuthServer> m_server;
    std::unique_ptr<KeychainStore> m_keychain;
    std::unique_ptr<OAuthTokenStore> m_store;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_service;

    QString lockPath() const { return m_dir->filePath(QStringLiteral("oauth-refresh.lock")); }
    std::unique_ptr<OAuthAuthorizer> makeAuthorizer()
    {
        return std::make_unique<OAuthAuthorizer>(m_service, lockPath());
    }
    // A login the fake server knows, stored with the given expiry.
    OAuthTokens storeLogin(qint64 expiresAt, bool withRefresh = true,
                           const QString &profile = QStringLiteral("claudeai"))
    {
        const FakeOAuthServer::Tokens issued = m_server->issueTokens();
        OAuthTokens t;
        t.accessToken = issued.accessToken;
        t.refreshToken = withRefresh ? issued.refreshToken : QString();
        t.expiresAt = expiresAt;
        t.scopes = QStringList{"user:inference", "user:profile"};
        t.profile = profile;
        t.tokenUrl = m_server->tokenUrl().toString();
        t.revokeUrl = m_server->revokeUrl().toString();
        t.clientId = m_server->clientId();
        t.tokenEncoding = QStringLiteral("json");
        const KeychainResult w = m_store->writeSync(t);
        if (!w.ok())
            qFatal("cannot store the test login: %s", qPrintable(w.message));
        return t;
    }
    static qint64 now() { return QDateTime::currentMSecsSinceEpoch(); }

    struct Answer
    {
        Credential credential;
        QString error;
    };
    // Starts n authorize() calls at once and waits for every answer.
    static QList<Answer> authorizeMany(OAuthAuthorizer &a, int n)
    {
        QList<Answer> answers;
        QEventLoop loop;
        for (int i = 0; i < n; ++i) {
            a.authorize([&](const Credential &c, const QString &e) {
                answers.append({c, e});
                if (answers.size() == n)
                    loop.quit();
            });
        }
        if (answers.size() < n) {
            QTimer::singleShot(20000, &loop, &QEventLoop::quit);
            loop.exec();
        }
        return answers;
    }
    static Answer authorizeOnce(OAuthAuthorizer &a)
    {
        const QList<Answer> all = authorizeMany(a, 1);
        return all.value(0);
    }
    // An authorize() whose answer is awaited later with wait().
    struct Pending
    {
        Answer answer;
        bool answered = false;
        QEventLoop loop;
        bool wait(int ms)
        {
            if (!answered) {
                QTimer::singleShot(ms, &loop, &QEventLoop::quit);
                loop.exec();
            }
            return answered;
        }
    };
    static void authorizeLater(OAuthAuthorizer &a, Pending *p)
    {
        a.authorize([p](const Credential &c, const QString &e) {
            p->answer = {c, e};
            p->answered = true;
            p->loop.quit();
        });
    }
    static void pause(int ms)
    {
        QEventLoop loop;
        QTimer::singleShot(ms, &loop, &QEventLoop::quit);
        loop.exec();
    }

private slots:
    void initTestCase()
    {
        m_service = QStringLiteral("qlaude-test-authz-%1").arg(QCoreApplication::applicationPid());
        KeychainStore probe(m_service);
        if (probe.probeSync() != KeychainState::Available) {
            // scripts/test (which sets QLAUDE_TEST_HOME) always starts an unlocked keyring:
            // there a missing one is a failure, not a reason to skip.
            if (!qEnvironmentVariableIsEmpty("QLAUDE_TEST_HOME"))
                QFAIL("no unlocked keyring, although the suite (scripts/test) starts one");
            QSKIP("needs the suite's unlocked keyring (scripts/test)");
        }
    }
    void init()
    {
        m_server = std::make_unique<FakeOAuthServer>();
        m_server->setTokenFactory(secretTokens(QStringLiteral("authz")));
        QVERIFY(m_server->listen());
        m_keychain = std::make_unique<KeychainStore>(m_service);
        m_store = std::make_unique<OAuthTokenStore>(m_keychain.get());
        m_dir = std::make_unique<QTemporaryDir>();
    }
    void cleanup()
    {
        m_store->removeSync();
        m_store.reset();
        m_keychain.reset();
        m_server.reset();
        m_dir.reset();
    }

    void aFreshTokenIsUsedAsItIs()
    {
        const OAuthTokens t = storeLogin(now() + 3600 * 1000);
        auto a = makeAuthorizer();
        const Answer r = authorizeOnce(*a);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.credential.kind, CredentialKind::OAuth);
        QCOMPARE(r.credential.source, QStringLiteral("keychain:oauth"));
        QVERIFY(r.credential.bearerToken == t.accessToken);
        QVERIFY(r.credential.apiKey.isEmpty());
        QCOMPARE(m_server->refreshRequests(), 0);
    }

    void anOidcTokenIsAPlainBearer()
    {
        storeLogin(now() + 3600 * 1000, true, QStringLiteral("oidc"));
        auto a = makeAuthorizer();
        QCOMPARE(authorizeOnce(*a).credential.kind, CredentialKind::Bearer);
    }

    void itRefreshesFiveMinutesBeforeExpiry()
    {
        const qint64 expiry = now() + 3600 * 1000;
        const OAuthTokens t = storeLogin(expiry);
        auto a = makeAuthorizer();
        qint64 clock = expiry - OAuthTokens::kRefreshMarginMs - 1;
        a->setClock([&clock] { return clock; });
        Answer r = authorizeOnce(*a);
        QVERIFY(r.credential.bearerToken == t.accessToken);
        QCOMPARE(m_server->refreshRequests(), 0);

        clock = expiry - OAuthTokens::kRefreshMarginMs; // now + 5 min >= expiry
        QSignalSpy refreshed(a.get(), &OAuthAuthorizer::tokensRefreshed);
        r = authorizeOnce(*a);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(m_server->refreshRequests(), 1);
        QCOMPARE(refreshed.size(), 1);
        QVERIFY(r.credential.bearerToken == m_server->lastAccessToken());
        // Stored, with the rotated refresh token and the new expiry.
        const OAuthTokenStore::ReadResult stored = m_store->readSync();
        QVERIFY(stored.ok());
        QVERIFY(stored.tokens.accessToken == m_server->lastAccessToken());
        QVERIFY(stored.tokens.refreshToken == m_server->lastRefreshToken());
        QVERIFY(stored.tokens.refreshToken != t.refreshToken);
        QCOMPARE(stored.tokens.expiresAt, clock + 8 * 3600 * 1000);
        QCOMPARE(stored.tokens.profile, t.profile);
        // The next request uses it without asking again.
        r = authorizeOnce(*a);
        QVERIFY(r.credential.bearerToken == m_server->lastAccessToken());
        QCOMPARE(m_server->refreshRequests(), 1);
        // The refresh lock is given back as soon as the new login is stored, so another
        // process never waits on an authorizer that is done.
        QVERIFY2(!QFile::exists(lockPath()), "the refresh lock is still held after the refresh");
    }

    void twentyRequestsWithAnExpiredTokenMakeOneRefresh()
    {
        storeLogin(now() - 1000);
        m_server->setTokenDelay(100);
        auto a = makeAuthorizer();
        const QList<Answer> answers = authorizeMany(*a, 20);
        QCOMPARE(answers.size(), 20);
        for (const Answer &r : answers) {
            QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
            QVERIFY(r.credential.bearerToken == m_server->lastAccessToken());
        }
        QCOMPARE(m_server->refreshRequests(), 1);
        QCOMPARE(a->refreshesStarted(), 1);
    }

    void twentyApiCallsAtOnceShareOneRefresh()
    {
        storeLogin(now() - 1000);
        FakeAnthropicServer api;
        QVERIFY(api.listen());
        auto a = makeAuthorizer();
        QNetworkAccessManager nam;
        ClientConfig config;
        config.baseUrl = api.baseUrl();
        AnthropicClient client(config, a.get(), &nam);
        MessagesRequest req;
        req.model = QStringLiteral("claude-sonnet-4-5");
        req.messages.append({QStringLiteral("user"), MessageContent(QStringLiteral("hi"))});
        int done = 0;
        QStringList errors;
        QEventLoop loop;
        for (int i = 0; i < 20; ++i) {
            client.countTokens(req, [&](qint64, const ApiError &e) {
                if (e.isError())
                    errors << e.userMessage();
                if (++done == 20)
                    loop.quit();
            });
        }
        QTimer::singleShot(20000, &loop, &QEventLoop::quit);
        loop.exec();
        QCOMPARE(done, 20);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join('\n')));
        QCOMPARE(m_server->refreshRequests(), 1);
        QCOMPARE(api.requests().size(), 20);
        for (const auto &r : api.requests()) {
            QVERIFY(r.header("authorization") == "Bearer " + m_server->lastAccessToken().toUtf8());
            QVERIFY(r.betas().contains("oauth-2025-04-20"));
            QVERIFY(!r.hasHeader("x-api-key"));
        }
    }

    void a401FromTheApiLeadsToARefresh()
    {
        const OAuthTokens t = storeLogin(now() + 3600 * 1000);
        FakeAnthropicServer api;
        QVERIFY(api.listen());
        api.enqueue(FakeResponse::error(401), FakeAnthropicServer::Route::CountTokens);
        auto a = makeAuthorizer();
        QNetworkAccessManager nam;
        ClientConfig config;
        config.baseUrl = api.baseUrl();
        AnthropicClient client(config, a.get(), &nam);
        MessagesRequest req;
        req.model = QStringLiteral("claude-sonnet-4-5");
        req.messages.append({QStringLiteral("user"), MessageContent(QStringLiteral("hi"))});
        ApiError error;
        QEventLoop loop;
        client.countTokens(req, [&](qint64, const ApiError &e) {
            error = e;
            loop.quit();
        });
        loop.exec();
        QVERIFY2(!error.isError(), qPrintable(error.userMessage()));
        QCOMPARE(api.requests().size(), 2);
        QVERIFY(api.requests().at(0).header("authorization") == "Bearer " + t.accessToken.toUtf8());
        QVERIFY(api.requests().at(1).header("authorization") ==
                "Bearer " + m_server->lastAccessToken().toUtf8());
        QCOMPARE(m_server->refreshRequests(), 1);
    }

    // A second Qlaude (this binary, started again as refreshAsAnotherProcess()) refreshes first
    // and holds the lock meanwhile: this one waits for the lock, reads the keychain again and
    // uses the other's token, with no refresh of its own.
    void anotherProcessThatRefreshedFirstIsTrusted()
    {
        const OAuthTokens expired = storeLogin(now() - 1000);
        // Slow token answers keep the other process inside its refresh, holding the lock.
        m_server->setTokenDelay(1500);
        QProcess other;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QLAUDE_TEST_REFRESH_SERVICE"), m_service);
        env.insert(QStringLiteral("QLAUDE_TEST_REFRESH_LOCK"), lockPath());
        other.setProcessEnvironment(env);
        other.start(QCoreApplication::applicationFilePath(), QStringList());
        QVERIFY(other.waitForStarted(10000));
        // Its refresh has reached the server, so it holds the lock: a lock of that process.
        QTRY_COMPARE_WITH_TIMEOUT(m_server->refreshRequests(), 1, 15000);
        {
            QLockFile probe(lockPath());
            QVERIFY(!probe.tryLock(0));
            qint64 holder = 0;
            QString hostname, appname;
            QVERIFY(probe.getLockInfo(&holder, &hostname, &appname));
            QCOMPARE(holder, other.processId());
            QVERIFY(holder != QCoreApplication::applicationPid());
        }
        auto a = makeAuthorizer();
        Pending p;
        authorizeLater(*a, &p);
        pause(300); // it has read the expired token and waits for the lock
        QVERIFY(!p.answered);
        QVERIFY(p.wait(20000));
        QTRY_COMPARE_WITH_TIMEOUT(other.state(), QProcess::NotRunning, 10000);
        QVERIFY2(other.exitStatus() == QProcess::NormalExit && other.exitCode() == 0,
                 other.readAllStandardError().constData());
        QVERIFY2(p.answer.error.isEmpty(), qPrintable(p.answer.error));
        QVERIFY(p.answer.credential.bearerToken != expired.accessToken);
        QVERIFY(p.answer.credential.bearerToken == m_server->lastAccessToken());
        QVERIFY(m_store->readSync().tokens.accessToken == m_server->lastAccessToken());
        QCOMPARE(m_server->refreshRequests(), 1); // the other process's, and no second one
        QCOMPARE(a->refreshesStarted(), 0);
    }

    void aStaleLockIsTakenOver()
    {
        storeLogin(now() - 1000);
        // A lock left by a process that hung: older than 10 s.
        QFile f(lockPath());
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("1\nqlaude\n\n");
        f.close();
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-20),
                              QFileDevice::FileModificationTime));
        f.close();
        auto a = makeAuthorizer();
        QElapsedTimer t;
        t.start();
        const Answer r = authorizeOnce(*a);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(m_server->refreshRequests(), 1);
        QVERIFY(t.elapsed() < RefreshLock::kStaleMs);
    }

    // A lock of a live process (this one, under its own name) that has not moved for 20 s is a
    // hung holder: taken over after 10 s (RefreshLock::kStaleMs), not QLockFile's default 30 s.
    void aHungHoldersLockIsTakenOverAfterTenSeconds()
    {
        storeLogin(now() - 1000);
        QByteArray lockContent;
        {
            QLockFile real(lockPath());
            QVERIFY(real.tryLock(0));
            QFile f(lockPath());
            QVERIFY(f.open(QIODevice::ReadOnly));
            lockContent = f.readAll();
        } // unlocked: the file is gone, written again below as a live process's lock
        QVERIFY(lockContent.startsWith(QByteArray::number(QCoreApplication::applicationPid())));
        QFile f(lockPath());
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(lockContent);
        f.close();
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-20),
                              QFileDevice::FileModificationTime));
        f.close();
        auto a = makeAuthorizer();
        QElapsedTimer t;
        t.start();
        const Answer r = authorizeOnce(*a);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(m_server->refreshRequests(), 1);
        QVERIFY2(t.elapsed() < RefreshLock::kStaleMs, qPrintable(QString::number(t.elapsed())));
    }

    // A lock held (and kept fresh) by a live holder is waited on for at most the maximum wait;
    // then the waiter is told so and may go on without it.
    void aHeldLockIsWaitedOnForTheMaximumWaitOnly()
    {
        QLockFile holder(lockPath());
        QVERIFY(holder.tryLock(0));
        RefreshLock lock(lockPath());
        lock.setMaxWait(300);
        bool answered = false;
        bool locked = true;
        QString why;
        QElapsedTimer t;
        t.start();
        lock.acquire([&](bool l, const QString &e) {
            answered = true;
            locked = l;
            why = e;
        });
        QTRY_VERIFY_WITH_TIMEOUT(answered, 5000);
        QVERIFY(!locked);
        QVERIFY2(why.contains(QLatin1String("too long")), qPrintable(why));
        QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
        QVERIFY(!lock.isLocked());
    }

    void invalidGrantSignsOut()
    {
        storeLogin(now() - 1000);
        m_server->failNextRefresh(QStringLiteral("invalid_grant"));
        auto a = makeAuthorizer();
        QSignalSpy signedOut(a.get(), &OAuthAuthorizer::signedOut);
        const Answer r = authorizeOnce(*a);
        QVERIFY(!r.credential.isValid());
        QCOMPARE(r.error, OAuthAuthorizer::signedOutMessage());
        QVERIFY(r.error.startsWith("Signed out, please log in again"));
        QCOMPARE(signedOut.size(), 1);
        QCOMPARE(m_store->readSync().status, KeychainResult::Status::NotFound);
        // Later requests say "not logged in" without asking the server again.
        const Answer later = authorizeOnce(*a);
        QVERIFY2(later.error.contains("not logged in"), qPrintable(later.error));
        QCOMPARE(m_server->refreshRequests(), 1);
    }

    void aTokenRotatedByAnotherProcessIsNotWiped()
    {
        storeLogin(now() - 1000);
        m_server->setTokenDelay(400);
        m_server->failNextRefresh(QStringLiteral("invalid_grant"));
        auto a = makeAuthorizer();
        QSignalSpy signedOut(a.get(), &OAuthAuthorizer::signedOut);
        Pending p;
        authorizeLater(*a, &p);
        pause(200); // our refresh is at the server; meanwhile another process stores its own
        const OAuthTokens theirs = storeLogin(now() + 3600 * 1000);
        QVERIFY(p.wait(10000));
        QVERIFY2(p.answer.error.isEmpty(), qPrintable(p.answer.error));
        QVERIFY(p.answer.credential.bearerToken == theirs.accessToken);
        QCOMPARE(signedOut.size(), 0);
        QVERIFY(m_store->readSync().tokens.refreshToken == theirs.refreshToken);
    }

    void aReplyWithoutRefreshTokenKeepsTheStoredOne()
    {
        const OAuthTokens t = storeLogin(now() - 1000);
        m_server->setOmitRefreshToken(true);
        auto a = makeAuthorizer();
        QVERIFY(authorizeOnce(*a).error.isEmpty());
        const OAuthTokens stored = m_store->readSync().tokens;
        QVERIFY(stored.accessToken == m_server->lastAccessToken());
        QVERIFY(stored.refreshToken == t.refreshToken);
    }

    void withoutALoginOrARefreshTokenItSaysWhatToDo()
    {
        auto a = makeAuthorizer();
        Answer r = authorizeOnce(*a);
        QVERIFY(!r.credential.isValid());
        QVERIFY2(r.error.contains("qlaude --login=oauth"), qPrintable(r.error));
        QVERIFY(!a->invalidate());
        storeLogin(now() - 1000, false);
        r = authorizeOnce(*a);
        QVERIFY2(r.error.contains("holds no refresh token"), qPrintable(r.error));
        QCOMPARE(m_server->refreshRequests(), 0);
    }

    void aServerErrorKeepsTheLogin()
    {
        const OAuthTokens t = storeLogin(now() - 1000);
        m_server->failNextRefresh(QStringLiteral("server_error"));
        auto a = makeAuthorizer();
        const Answer r = authorizeOnce(*a);
        QVERIFY(!r.credential.isValid());
        QVERIFY2(r.error.startsWith("Token refresh failed (HTTP 400)"), qPrintable(r.error));
        QVERIFY(!r.error.contains(t.refreshToken) && !r.error.contains("SECRET"));
        QVERIFY(m_store->readSync().tokens.refreshToken == t.refreshToken);
    }

    void theFactoryMakesAnOAuthAuthorizerForAStoredLogin()
    {
        TestHome h(QStringLiteral("authz-factory"));
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        const AuthContext ctx = AuthContext::load(o);
        Resolution res;
        res.credential.kind = CredentialKind::OAuth;
        res.credential.source = QStringLiteral("keychain:oauth");
        res.credential.bearerToken = QStringLiteral("x");
        auto a = qlaude::makeAuthorizer(ctx, res);
        QVERIFY(dynamic_cast<OAuthAuthorizer *>(a.get()));
        res.credential.source = QStringLiteral("env:CLAUDE_CODE_OAUTH_TOKEN");
        a = qlaude::makeAuthorizer(ctx, res);
        QVERIFY(!dynamic_cast<OAuthAuthorizer *>(a.get()));
        QVERIFY(!a->invalidate()); // an environment token is never refreshed
    }
};

// The other process of anotherProcessThatRefreshedFirstIsTrusted(): the stored, expired login
// authorized as a second Qlaude would (the refresh lock, the refresh, the new tokens stored, the
// lock released). Exit code 0 once the new token is in the keychain; no token is printed.
static int refreshAsAnotherProcess(const QString &service, const QString &lockPath)
{
    OAuthAuthorizer authorizer(service, lockPath);
    QEventLoop loop;
    QString error = QStringLiteral("no answer within 30 s");
    authorizer.authorize([&](const Credential &c, const QString &e) {
        error = c.isValid() ? e : QStringLiteral("no credential: ") + e;
        loop.quit();
    });
    QTimer::singleShot(30000, &loop, &QEventLoop::quit);
    loop.exec();
    if (!error.isEmpty()) {
        fprintf(stderr, "the other process could not refresh: %s\n", qPrintable(error));
        return 1;
    }
    if (authorizer.refreshesStarted() != 1) {
        fprintf(stderr, "the other process did not refresh\n");
        return 1;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QString service = qEnvironmentVariable("QLAUDE_TEST_REFRESH_SERVICE");
    if (!service.isEmpty())
        return refreshAsAnotherProcess(service, qEnvironmentVariable("QLAUDE_TEST_REFRESH_LOCK"));
    tst_OAuthAuthorizer test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_OAuthAuthorizer.moc"
