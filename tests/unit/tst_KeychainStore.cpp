#include "KeychainJobStatus.h"
#include "KeychainStore.h"
#include "SecretChunks.h"
#include "TestSupport.h"

#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

// Runs against the real Secret Service that scripts/test starts (gnome-keyring in a private
// D-Bus session). ctest also runs this binary once without any bus and once in a private bus
// whose collection the test locks; QLAUDE_KEYCHAIN_SCENARIO says which.
class tst_KeychainStore : public QObject
{
    Q_OBJECT

    static QString scenario() { return qEnvironmentVariable("QLAUDE_KEYCHAIN_SCENARIO"); }
    static QString testService()
    {
        return QStringLiteral("qlaude-test-%1").arg(QCoreApplication::applicationPid());
    }

private slots:
    // What each QtKeychain outcome means. A refusal cannot be provoked from gnome-keyring
    // without a person at a prompt, so the mapping is checked on its own: a denied read reads as
    // locked, never as "nothing stored" (which would look logged out).
    void jobOutcomesMapToStates()
    {
        using S = KeychainResult::Status;
        QCOMPARE(keychainStatusFor(QKeychain::NoError), S::Ok);
        QCOMPARE(keychainStatusFor(QKeychain::EntryNotFound), S::NotFound);
        QCOMPARE(keychainStatusFor(QKeychain::AccessDenied), S::Locked);
        QCOMPARE(keychainStatusFor(QKeychain::AccessDeniedByUser), S::Locked);
        QCOMPARE(keychainStatusFor(QKeychain::NoBackendAvailable), S::Unavailable);
        QCOMPARE(keychainStatusFor(QKeychain::NotImplemented), S::Unavailable);
        QCOMPARE(keychainStatusFor(QKeychain::CouldNotDeleteEntry), S::Failed);
        QCOMPARE(keychainStatusFor(QKeychain::OtherError), S::Failed);
    }

    void roundTripInTheRealSecretService()
    {
        if (!scenario().isEmpty())
            QSKIP("needs the unlocked keyring of the main run");
        KeychainStore store(testService());
        QString message;
        QCOMPARE(store.probeSync(&message), KeychainState::Available);
        const QString secret = testSecret("keychain");
        KeychainResult w = store.writeSync("api-key", secret);
        QVERIFY2(w.ok(), qPrintable(w.message));
        KeychainResult r = store.readSync("api-key");
        QVERIFY2(r.ok(), qPrintable(r.message));
        QVERIFY(r.data == secret);
        // Overwrite replaces.
        const QString second = testSecret("keychain2");
        QVERIFY(store.writeSync("api-key", second).ok());
        QVERIFY(store.readSync("api-key").data == second);
        // Another service does not see it.
        KeychainStore other(testService() + "-other");
        QCOMPARE(other.readSync("api-key").status, KeychainResult::Status::NotFound);
        QVERIFY(store.removeSync("api-key").ok());
        r = store.readSync("api-key");
        QCOMPARE(r.status, KeychainResult::Status::NotFound);
        QVERIFY(r.message.contains("Nothing is stored"));
    }

    // Windows' Credential Manager holds 2,560 bytes per entry; with a limit set (as on
    // Windows), a large token goes through the real Secret Service in chunks and back whole.
    void aLargeSecretIsChunkedAndReadBackWhole()
    {
        if (!scenario().isEmpty())
            QSKIP("needs the unlocked keyring of the main run");
        KeychainStore store(testService());
        store.setChunkLimit(64);
        QString big = QStringLiteral(R"({"accessToken":")");
        while (big.size() < 1000)
            big += testSecret("chunked");
        big += QStringLiteral(R"("})");
        QVERIFY2(store.writeSync(KeychainStore::kOAuth, big).ok(), "write");
        KeychainResult r = store.readSync(KeychainStore::kOAuth);
        QVERIFY2(r.ok(), qPrintable(r.message));
        QVERIFY(r.data == big);
        // What is really stored: a header, and chunks of at most 64 bytes.
        KeychainStore raw(testService());
        const QString header = raw.readSync(KeychainStore::kOAuth).data;
        QVERIFY2(header.startsWith("qlaude-chunks:1:"), qPrintable(header.left(20)));
        const int count = SecretChunks::chunkCount(header);
        QCOMPARE(count, int((big.toUtf8().size() + 63) / 64));
        for (int i = 0; i < count; ++i) {
            const KeychainResult c = raw.readSync(SecretChunks::chunkKey(KeychainStore::kOAuth, i));
            QVERIFY(c.ok());
            QVERIFY(c.data.toUtf8().size() <= 64);
        }
        // A small secret replaces it whole, and the old chunks go.
        const QString small = testSecret("small");
        QVERIFY(store.writeSync(KeychainStore::kOAuth, small).ok());
        QVERIFY(store.readSync(KeychainStore::kOAuth).data == small);
        QVERIFY(raw.readSync(KeychainStore::kOAuth).data == small);
        for (int i = 0; i < count; ++i)
            QCOMPARE(raw.readSync(SecretChunks::chunkKey(KeychainStore::kOAuth, i)).status,
                     KeychainResult::Status::NotFound);
        // Chunked again, then removed: header and chunks.
        QVERIFY(store.writeSync(KeychainStore::kOAuth, big).ok());
        QVERIFY(store.removeSync(KeychainStore::kOAuth).ok());
        QCOMPARE(raw.readSync(KeychainStore::kOAuth).status, KeychainResult::Status::NotFound);
        for (int i = 0; i < count; ++i)
            QCOMPARE(raw.readSync(SecretChunks::chunkKey(KeychainStore::kOAuth, i)).status,
                     KeychainResult::Status::NotFound);
        // A missing chunk reads as an error, never as a shorter secret.
        QVERIFY(store.writeSync(KeychainStore::kOAuth, big).ok());
        QVERIFY(raw.removeSync(SecretChunks::chunkKey(KeychainStore::kOAuth, 1)).ok());
        r = store.readSync(KeychainStore::kOAuth);
        QCOMPARE(r.status, KeychainResult::Status::Failed);
        QVERIFY2(r.message.contains("missing"), qPrintable(r.message));
        QVERIFY(r.data.isEmpty());
        QVERIFY(store.removeSync(KeychainStore::kOAuth).ok());
    }

    void oauthEntryHoldsOneJsonDocument()
    {
        if (!scenario().isEmpty())
            QSKIP("needs the unlocked keyring of the main run");
        KeychainStore store(testService());
        const QString json =
            QStringLiteral(R"({"accessToken":"%1","refreshToken":"%2","expiresAt":1})")
                .arg(testSecret("access"), testSecret("refresh"));
        QVERIFY(store.writeSync(KeychainStore::kOAuth, json).ok());
        QCOMPARE(store.readSync(KeychainStore::kOAuth).data, json);
        QVERIFY(store.removeSync(KeychainStore::kOAuth).ok());
    }

    void queuedJobsRunInOrderAndEachAnswersOnce()
    {
        if (!scenario().isEmpty())
            QSKIP("needs the unlocked keyring of the main run");
        KeychainStore store(testService());
        QStringList log;
        QMap<QString, int> answers;
        for (int i = 0; i < 5; ++i) {
            const QString key = QStringLiteral("cloud:k%1").arg(i);
            store.write(key, testSecret(key.mid(6)), [&, key](const KeychainResult &r) {
                log << "w" + key;
                answers[key] += r.ok() ? 1 : 100;
            });
            store.read(key, [&, key](const KeychainResult &r) {
                log << "r" + key;
                answers[key] += r.ok() && !r.data.isEmpty() ? 1 : 100;
            });
            store.remove(key, [&, key](const KeychainResult &r) {
                log << "d" + key;
                answers[key] += r.ok() ? 1 : 100;
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(log.size(), 15, 20000);
        QTest::qWait(100);
        QCOMPARE(log.size(), 15);
        for (int i = 0; i < 5; ++i) {
            const QString key = QStringLiteral("cloud:k%1").arg(i);
            QCOMPARE(log.at(i * 3), "w" + key);
            QCOMPARE(log.at(i * 3 + 1), "r" + key);
            QCOMPARE(log.at(i * 3 + 2), "d" + key);
            QCOMPARE(answers.value(key), 3);
        }
    }

    // The app opens its login dialog (a nested event loop) inside the start-up read's callback;
    // a job queued from there must still run, or "Test and save" never finishes saving.
    void aCallbackWaitingInANestedLoopDoesNotHoldTheQueue()
    {
        if (!scenario().isEmpty())
            QSKIP("needs the unlocked keyring of the main run");
        KeychainStore store(testService());
        const QString secret = testSecret(QStringLiteral("nested"));
        bool saved = false;
        bool outerDone = false;
        store.read(QStringLiteral("cloud:nested-read"), [&](const KeychainResult &) {
            QEventLoop dialog;
            store.write(QStringLiteral("cloud:nested-write"), secret, [&](const KeychainResult &r) {
                saved = r.ok();
                dialog.quit();
            });
            QTimer::singleShot(5000, &dialog, &QEventLoop::quit);
            dialog.exec();
            outerDone = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(outerDone, 10000);
        QVERIFY(saved);
        bool removed = false;
        store.remove(QStringLiteral("cloud:nested-write"),
                     [&](const KeychainResult &r) { removed = r.ok(); });
        QTRY_VERIFY_WITH_TIMEOUT(removed, 10000);
    }

    void reportsMissingBackendWithoutBus()
    {
        if (scenario() != QLatin1String("nobus"))
            QSKIP("run by ctest as tst_KeychainStore_noBus");
        KeychainStore store(testService());
        QString message;
        QCOMPARE(store.probeSync(&message), KeychainState::Unavailable);
        QVERIFY2(message.contains("No keychain is available"), qPrintable(message));
        QVERIFY(message.contains("never writes them to disk"));
        const KeychainResult w = store.writeSync("api-key", testSecret("nobus"));
        QCOMPARE(w.status, KeychainResult::Status::Unavailable);
        const KeychainResult r = store.readSync("api-key");
        QCOMPARE(r.status, KeychainResult::Status::Unavailable);
        QVERIFY(r.status != KeychainResult::Status::NotFound);
    }

    void reportsLockedCollection()
    {
        if (scenario() != QLatin1String("locked"))
            QSKIP("run by ctest as tst_KeychainStore_locked");
        KeychainStore store(testService());
        // Store something while unlocked, then lock the collection through the Secret Service.
        const KeychainResult first = store.writeSync("api-key", testSecret("locked"));
        QVERIFY2(
            first.ok(),
            qPrintable(QStringLiteral("status %1: %2").arg(int(first.status)).arg(first.message)));
        QDBusMessage lock =
            QDBusMessage::createMethodCall("org.freedesktop.secrets", "/org/freedesktop/secrets",
                                           "org.freedesktop.Secret.Service", "Lock");
        lock << QVariant::fromValue(
            QList<QDBusObjectPath>{QDBusObjectPath("/org/freedesktop/secrets/collection/login")});
        const QDBusMessage reply = QDBusConnection::sessionBus().call(lock, QDBus::Block, 5000);
        QVERIFY2(reply.type() == QDBusMessage::ReplyMessage, qPrintable(reply.errorMessage()));

        QString message;
        QCOMPARE(store.probeSync(&message), KeychainState::Locked);
        QVERIFY(message.contains("locked"));
        const KeychainResult r = store.readSync("api-key");
        QCOMPARE(r.status, KeychainResult::Status::Locked);
        QVERIFY2(r.message.contains("Unlock it"), qPrintable(r.message));
        const KeychainResult w = store.writeSync("api-key", testSecret("locked2"));
        QCOMPARE(w.status, KeychainResult::Status::Locked);
    }
};

QTEST_GUILESS_MAIN(tst_KeychainStore)
#include "tst_KeychainStore.moc"
