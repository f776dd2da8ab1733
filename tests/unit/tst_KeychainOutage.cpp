// The keychain goes away while Qlaude runs: the Secret Service is stopped (gnome-keyring-daemon
// killed), or the login collection is locked, mid-session. Against the real daemon, in a private
// D-Bus session this test starts for itself (no service activation, so a stopped daemon stays
// stopped), with the keyring in this test's own HOME. In both cases Qlaude must say so, go on
// with the credential it holds in memory (an API key, and an OAuth login it refreshes meanwhile),
// write no plaintext anywhere, and recover once the service is back or unlocked: the login
// refreshed meanwhile is stored then.
#include "AnthropicClient.h"
#include "AuthResolver.h"
#include "FakeAnthropicServer.h"
#include "FakeOAuthServer.h"
#include "KeychainStore.h"
#include "OAuthAuthorizer.h"
#include "OAuthTestSupport.h"
#include "OAuthTokenStore.h"
#include "PrivateKeyring.h"
#include "TestSupport.h"

#include <QDirIterator>
#include <QNetworkAccessManager>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeOAuthServer;
using qlaude::fakes::FakeResponse;

namespace {
const QByteArray kKeyringPassword = "outage-test-pw";
} // namespace

class tst_KeychainOutage : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestHome> m_home;
    PrivateKeyring m_keyring{QStringLiteral("keychain-outage-keyring"), kKeyringPassword};
    QString m_service;
    std::unique_ptr<FakeOAuthServer> m_oauth;
    QList<QString> m_secrets; // every secret this test handled, for the plaintext scan

    bool startKeyring() { return m_keyring.startKeyring(); }
    static uint keyringPid() { return PrivateKeyring::keyringPid(); }
    bool stopKeyring() { return m_keyring.stopKeyring(); }
    bool lockKeyring() const { return m_keyring.lock(); }
    bool unlockKeyring() const { return m_keyring.unlock(); }

    // No secret this test handled is in any file under its HOME (the keyring's own file is
    // encrypted) or in the keyring's runtime folder.
    QString plaintextHits() const
    {
        QStringList hits;
        for (const QString &root :
             {m_home->root(), m_keyring.homePath(), m_keyring.runtimePath()}) {
            QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::System,
                            QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString path = it.next();
                QFile f(path);
                if (f.size() > 16 * 1024 * 1024 || !f.open(QIODevice::ReadOnly))
                    continue;
                const QByteArray data = f.readAll();
                for (const QString &s : m_secrets) {
                    if (!s.isEmpty() && data.contains(s.toUtf8()))
                        hits << path;
                }
            }
        }
        return hits.join(QLatin1Char('\n'));
    }

    // A login the fake server knows, stored; an empty one (and *error) when it cannot be.
    OAuthTokens storeLogin(OAuthTokenStore &store, qint64 expiresAt, QString *error)
    {
        const FakeOAuthServer::Tokens issued = m_oauth->issueTokens();
        OAuthTokens t;
        t.accessToken = issued.accessToken;
        t.refreshToken = issued.refreshToken;
        t.expiresAt = expiresAt;
        t.scopes = QStringList{"user:inference", "user:profile"};
        t.profile = QStringLiteral("claudeai");
        t.tokenUrl = m_oauth->tokenUrl().toString();
        t.clientId = m_oauth->clientId();
        t.tokenEncoding = QStringLiteral("json");
        m_secrets << t.accessToken << t.refreshToken;
        const KeychainResult w = store.writeSync(t);
        if (!w.ok()) {
            *error = w.message;
            return OAuthTokens();
        }
        return t;
    }

    struct Answer
    {
        Credential credential;
        QString error;
    };
    static Answer authorizeOnce(OAuthAuthorizer &a)
    {
        Answer answer;
        bool done = false;
        a.authorize([&](const Credential &c, const QString &e) {
            answer = {c, e};
            done = true;
        });
        (void)QTest::qWaitFor([&] { return done; }, 20000);
        return answer;
    }

    // A request through the real client with the credential, against the fake Messages API.
    static QString sendWith(const Credential &credential, FakeAnthropicServer &api)
    {
        StaticAuthorizer auth(credential);
        QNetworkAccessManager nam;
        ClientConfig cfg;
        cfg.baseUrl = api.baseUrl();
        cfg.options.timeoutMs = 10000;
        AnthropicClient client(cfg, &auth, &nam);
        MessagesRequest request;
        request.model = QStringLiteral("claude-sonnet-4-5");
        request.maxTokens = 100;
        request.messages = {
            MessageParam{QStringLiteral("user"), MessageContent(QStringLiteral("Still there?"))}};
        QString result;
        bool done = false;
        ApiCall *call = client.stream(request);
        QObject::connect(call, &ApiCall::finished, [&] {
            if (call->error().isError())
                result = call->error().userMessage();
            else
                for (const ContentBlock &b : call->message().content)
                    result += b.text;
            done = true;
        });
        (void)QTest::qWaitFor([&] { return done; }, 20000);
        return result;
    }

private slots:
    void initTestCase()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("keychain-outage"));
        // A session bus of its own, without service activation: a stopped Secret Service is
        // not restarted behind the test's back.
        QString error;
        QVERIFY2(m_keyring.startBus(&error), qPrintable(error));
        QVERIFY2(startKeyring(), "gnome-keyring-daemon did not start on the private bus");
        m_service = QStringLiteral("qlaude-outage-%1").arg(QCoreApplication::applicationPid());
        m_oauth = std::make_unique<FakeOAuthServer>();
        m_oauth->setTokenFactory(secretTokens(QStringLiteral("outage")));
        QVERIFY(m_oauth->listen());
    }

    void cleanupTestCase()
    {
        if (keyringPid() == 0)
            startKeyring();
        KeychainStore store(m_service);
        store.removeSync(QLatin1String(KeychainStore::kApiKey));
        store.removeSync(QLatin1String(KeychainStore::kOAuth));
        stopKeyring();
    }

    void init()
    {
        if (keyringPid() == 0)
            QVERIFY(startKeyring());
        QVERIFY(unlockKeyring());
    }

    // An API key read at start goes on working when the service stops or the keyring locks; a
    // fresh read says why it cannot read, and resolving from it keeps the key with a warning.
    void apiKeyOutlivesTheKeychain_data()
    {
        QTest::addColumn<bool>("lock");
        QTest::newRow("service stopped") << false;
        QTest::newRow("keyring locked") << true;
    }
    void apiKeyOutlivesTheKeychain()
    {
        QFETCH(bool, lock);
        KeychainStore store(m_service);
        const QString key = testSecret(QStringLiteral("outage-key"));
        m_secrets << key;
        QVERIFY(store.writeSync(QLatin1String(KeychainStore::kApiKey), key).ok());
        const KeychainSnapshot before = KeychainSnapshot::loadSync(&store);
        QCOMPARE(before.state, KeychainState::Available);
        AuthContext::Options options;
        options.workspace = m_home->workspace();
        options.processEnvironment = m_home->environment();
        options.managedDir = m_home->managedDir();
        options.trustStorePath = m_home->trustStore();
        const AuthContext context = AuthContext::load(options);
        QCOMPARE(AuthResolver::resolve(context, before).credential.source,
                 QStringLiteral("keychain:api-key"));

        QVERIFY(lock ? lockKeyring() : stopKeyring());
        const KeychainSnapshot fresh = KeychainSnapshot::loadSync(&store);
        QCOMPARE(fresh.state, lock ? KeychainState::Locked : KeychainState::Unavailable);
        QVERIFY(fresh.apiKey.isEmpty());
        QVERIFY2(!fresh.stateMessage.isEmpty() && !fresh.stateMessage.contains(key),
                 qPrintable(fresh.stateMessage));

        // The app resolves from what it held: the key, and a warning that says why.
        const KeychainSnapshot held = KeychainSnapshot::carryOver(before, fresh);
        QVERIFY(held.heldInMemory);
        const Resolution r = AuthResolver::resolve(context, held);
        QCOMPARE(r.credential.source, QStringLiteral("keychain:api-key"));
        QVERIFY(r.usable());
        const QString warnings = r.warnings.join(QLatin1Char(' '));
        QVERIFY2(warnings.contains(fresh.stateMessage) && warnings.contains("memory"),
                 qPrintable(warnings));
        QVERIFY(!warnings.contains(key));
        // ... and a request with it still goes through.
        FakeAnthropicServer api;
        QVERIFY(api.listen());
        api.setExpectedApiKey(key.toUtf8());
        api.enqueue(FakeResponse::text(QStringLiteral("Yes, still here.")));
        QCOMPARE(sendWith(r.credential, api), QStringLiteral("Yes, still here."));
        QVERIFY2(plaintextHits().isEmpty(), qPrintable(plaintextHits()));

        // Back: a fresh read is used as it is.
        QVERIFY(lock ? unlockKeyring() : startKeyring());
        const KeychainSnapshot after = KeychainSnapshot::loadSync(&store);
        QCOMPARE(after.state, KeychainState::Available);
        QCOMPARE(after.apiKey, key);
        const KeychainSnapshot recovered = KeychainSnapshot::carryOver(held, after);
        QVERIFY(!recovered.heldInMemory);
        QVERIFY(AuthResolver::resolve(context, recovered).warnings.isEmpty());
        QVERIFY(store.removeSync(QLatin1String(KeychainStore::kApiKey)).ok());
    }

    // An OAuth login that must be refreshed while the keychain is away is refreshed and used
    // from memory (said once), written nowhere, and stored when the keychain answers again.
    void oauthLoginRefreshedWhileTheKeychainIsAway_data()
    {
        QTest::addColumn<bool>("lock");
        QTest::newRow("service stopped") << false;
        QTest::newRow("keyring locked") << true;
    }
    void oauthLoginRefreshedWhileTheKeychainIsAway()
    {
        QFETCH(bool, lock);
        KeychainStore keychain(m_service);
        OAuthTokenStore tokenStore(&keychain);
        qint64 clock = QDateTime::currentMSecsSinceEpoch();
        QString error;
        const OAuthTokens stored = storeLogin(tokenStore, clock + 3600 * 1000, &error);
        QVERIFY2(!stored.isEmpty(), qPrintable(error));
        OAuthAuthorizer authorizer(m_service, m_home->path(QStringLiteral("oauth-refresh.lock")));
        authorizer.setClock([&clock] { return clock; });
        QSignalSpy away(&authorizer, &OAuthAuthorizer::keychainUnavailable);
        QSignalSpy back(&authorizer, &OAuthAuthorizer::keychainRecovered);
        Answer a = authorizeOnce(authorizer);
        QCOMPARE(a.credential.bearerToken, stored.accessToken);

        QVERIFY(lock ? lockKeyring() : stopKeyring());
        // Still valid: used from memory.
        a = authorizeOnce(authorizer);
        QVERIFY2(a.error.isEmpty(), qPrintable(a.error));
        QCOMPARE(a.credential.bearerToken, stored.accessToken);
        // Expired: refreshed, and used although it cannot be stored.
        clock += 2 * 3600 * 1000;
        a = authorizeOnce(authorizer);
        QVERIFY2(a.error.isEmpty(), qPrintable(a.error));
        const QString fresh = a.credential.bearerToken;
        QVERIFY(!fresh.isEmpty() && fresh != stored.accessToken);
        m_secrets << fresh;
        QVERIFY(authorizer.holdsUnsavedLogin());
        QCOMPARE(authorizer.refreshesStarted(), 1);
        QCOMPARE(away.size(), 1); // said once
        const QString message = away.first().at(0).toString();
        QVERIFY2(message.contains(lock ? "locked" : "keychain", Qt::CaseInsensitive) &&
                     message.contains("memory"),
                 qPrintable(message));
        for (const QString &s : m_secrets)
            QVERIFY(!message.contains(s));
        // The next call is answered from memory too, and says nothing new.
        a = authorizeOnce(authorizer);
        QCOMPARE(a.credential.bearerToken, fresh);
        QCOMPARE(away.size(), 1);
        QVERIFY2(plaintextHits().isEmpty(), qPrintable(plaintextHits()));
        QVERIFY(back.isEmpty());

        // Back: the next call stores the refreshed login, and the keychain holds it.
        QVERIFY(lock ? unlockKeyring() : startKeyring());
        a = authorizeOnce(authorizer);
        QCOMPARE(a.credential.bearerToken, fresh);
        QVERIFY(QTest::qWaitFor([&] { return !back.isEmpty(); }, 10000));
        QVERIFY(!authorizer.holdsUnsavedLogin());
        const OAuthTokenStore::ReadResult r = tokenStore.readSync();
        QVERIFY2(r.ok(), qPrintable(r.message));
        QCOMPARE(r.tokens.accessToken, fresh);
        QVERIFY(r.tokens.refreshToken != stored.refreshToken);
        m_secrets << r.tokens.refreshToken;
        QCOMPARE(authorizer.refreshesStarted(), 1);
        QVERIFY(tokenStore.removeSync().ok());
    }
};

QTEST_GUILESS_MAIN(tst_KeychainOutage)
#include "tst_KeychainOutage.moc"
