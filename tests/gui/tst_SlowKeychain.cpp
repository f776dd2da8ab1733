// A keychain that does not answer (issue 14): the Secret Service keeps a write waiting, as a
// locked keyring does while its password prompt is open. On a D-Bus session bus of this test's
// own, org.freedesktop.secrets is owned first by slow-secret-service (tests/fakes), a real process
// that answers reads and never a write, and later by the real gnome-keyring. The login dialog
// must say why it waits once the keychain has been silent for a few seconds, let Cancel stop
// waiting, stay usable, ignore the abandoned write's late answer, and save on the next try.
#include "AppServices.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "FakeAnthropicServer.h"
#include "KeychainStore.h"
#include "LoginDialog.h"
#include "PrivateKeyring.h"
#include "TestSupport.h"

#include <QApplication>
#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusObjectPath>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QtTest>

#include <csignal>

#include <sys/prctl.h>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;

namespace {

template<typename T> T *child(QWidget &dialog, const char *name)
{
    T *w = dialog.findChild<T *>(QLatin1String(name));
    if (!w)
        qWarning("no %s in the dialog", name);
    return w;
}

// How many items the real Secret Service on the bus holds (-1: it did not answer).
int storedItems()
{
    qDBusRegisterMetaType<QMap<QString, QString>>();
    QDBusMessage m = QDBusMessage::createMethodCall(
        QStringLiteral("org.freedesktop.secrets"), QStringLiteral("/org/freedesktop/secrets"),
        QStringLiteral("org.freedesktop.Secret.Service"), QStringLiteral("SearchItems"));
    m << QVariant::fromValue(QMap<QString, QString>());
    const QDBusMessage r = QDBusConnection::sessionBus().call(m, QDBus::Block, 5000);
    if (r.type() != QDBusMessage::ReplyMessage || r.arguments().size() < 2)
        return -1;
    int n = 0;
    for (const QVariant &list : r.arguments())
        n += int(qdbus_cast<QList<QDBusObjectPath>>(list).size());
    return n;
}

} // namespace

class tst_SlowKeychain : public QObject
{
    Q_OBJECT

    PrivateKeyring m_keyring{QStringLiteral("slow-keychain"), "slow-keychain-pw"};
    QProcess m_slow; // slow-secret-service

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_keyring.startBus(&error), qPrintable(error));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), m_keyring.busAddress());
        m_slow.setProcessEnvironment(env);
        m_slow.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
        m_slow.start(QStringLiteral(QLAUDE_SLOW_SECRET_SERVICE), QStringList());
        QVERIFY2(m_slow.waitForStarted(5000), "slow-secret-service did not start");
        QVERIFY(QTest::qWaitFor([this] { return m_slow.canReadLine(); }, 5000));
        QCOMPARE(m_slow.readLine().trimmed(), QByteArray("ready"));
        QVERIFY(PrivateKeyring::keyringPid() > 0);
    }

    void cleanupTestCase()
    {
        if (m_slow.state() != QProcess::NotRunning) {
            m_slow.kill();
            m_slow.waitForFinished(5000);
        }
        m_keyring.stopKeyring();
    }

    void aSilentKeychainIsExplainedAndCancelStopsWaiting()
    {
        FakeAnthropicServer api;
        QVERIFY(api.listen());
        const QString key = testSecret(QStringLiteral("slow-keychain-key"));
        api.setExpectedApiKey(key.toUtf8());

        TestHome home(QStringLiteral("slow-keychain-login"));
        AuthContext::Options options;
        options.workspace = home.workspace();
        options.processEnvironment = home.environment();
        options.processEnvironment.insert(QStringLiteral("ANTHROPIC_BASE_URL"),
                                          api.baseUrl().toString());
        options.managedDir = home.managedDir();
        options.trustStorePath = home.trustStore();
        AuthContext context = AuthContext::load(options);
        KeychainStore keychain(QStringLiteral("qlaude-slow-keychain-test"));
        QNetworkAccessManager network;
        AppServices services;
        services.context = &context;
        services.keychain = &keychain;
        services.network = &network;
        // Reads are answered: the app starts with "nothing stored", as on a first launch.
        services.keychainSnapshot = KeychainSnapshot::loadSync(&keychain);
        QCOMPARE(services.keychainSnapshot.state, KeychainState::Available);
        services.resolution = AuthResolver::resolve(context, services.keychainSnapshot);
        int reloads = 0;
        services.reload = [&](std::function<void()> done) {
            ++reloads;
            done();
        };

        LoginDialog dialog(services);
        QSignalSpy saved(&dialog, &LoginDialog::credentialSaved);
        QSignalSpy finished(&dialog, &QDialog::finished);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowActive(&dialog));
        auto *edit = child<QLineEdit>(dialog, "apiKeyLineEdit");
        auto *save = child<QPushButton>(dialog, "testAndSavePushButton");
        auto *cancel = child<QPushButton>(dialog, "cancelPushButton");
        QVERIFY(edit && save && cancel);
        QTest::keyClicks(edit, key);
        QTest::mouseClick(save, Qt::LeftButton);

        // The key works; the keychain write starts and gets no answer.
        QTRY_VERIFY_WITH_TIMEOUT(dialog.statusText().contains(QStringLiteral("Saving it in the "
                                                                             "keychain")),
                                 10000);
        QElapsedTimer waiting;
        waiting.start();
        QVERIFY(QTest::qWaitFor([this] { return m_slow.canReadLine(); }, 5000));
        const QByteArray held = m_slow.readLine().trimmed();
        QVERIFY2(held.startsWith("held "), held.constData());
        QVERIFY(!cancel->isEnabled()); // a quick write needs no Cancel
        QVERIFY(dialog.isBusy());

        // A few seconds later the dialog says why it waits, and Cancel works.
        QTRY_VERIFY_WITH_TIMEOUT(
            dialog.statusText().contains(QStringLiteral("The keychain has not answered for")),
            6000);
        const qint64 shownAfter = waiting.elapsed();
        QVERIFY2(shownAfter >= 2500, qPrintable(QString::number(shownAfter)));
        const QString slowText = dialog.statusText();
        QVERIFY2(slowText.contains(QStringLiteral("keyring password")) &&
                     slowText.contains(QStringLiteral("Cancel")),
                 qPrintable(slowText));
        QVERIFY2(cancel->isEnabled(), "Cancel stays disabled while the keychain is silent");
        QCOMPARE(dialog.focusWidget(), cancel);
        if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR"))
            dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                               QStringLiteral("/login-dialog-slow-keychain.png"));

        QTest::mouseClick(cancel, Qt::LeftButton);
        QVERIFY(dialog.isVisible()); // stopping the wait does not close the dialog
        QVERIFY(finished.isEmpty());
        QVERIFY(!dialog.isBusy());
        const QString stopped = dialog.statusText();
        QVERIFY2(stopped.startsWith(QStringLiteral("Stopped waiting for the keychain")),
                 qPrintable(stopped));
        QVERIFY(!stopped.contains(QStringLiteral("Saved")));
        QVERIFY(save->isEnabled() && edit->isEnabled());
        QCOMPARE(edit->text(), key); // ready for another try
        QVERIFY(saved.isEmpty());
        QCOMPARE(reloads, 0);

        // The keychain answers late: the silent service lets go of the bus name, the real
        // gnome-keyring takes it, and the held write fails (the bus answers it once the silent
        // service exits); KeychainStore runs it again on a fresh connection, and it lands in the
        // real keyring. The dialog, no longer waiting, must not take that answer as its save.
        m_slow.write("release\n");
        QVERIFY(QTest::qWaitFor([] { return PrivateKeyring::keyringPid() == 0; }, 5000));
        QVERIFY2(m_keyring.startKeyring(), "gnome-keyring-daemon did not start on the bus");
        QCOMPARE(storedItems(), 0);
        m_slow.write("quit\n");
        QVERIFY(m_slow.waitForFinished(5000));
        QVERIFY2(QTest::qWaitFor([] { return storedItems() > 0; }, 20000),
                 "the abandoned write never reached the keychain");
        QTest::qWait(500);
        QCOMPARE(dialog.statusText(), stopped);
        QVERIFY(saved.isEmpty());
        QCOMPARE(reloads, 0);
        QVERIFY(dialog.isVisible() && finished.isEmpty() && !dialog.isBusy());

        // The queue moved on: the next try saves at once and the dialog accepts.
        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(finished.first().at(0).toInt(), int(QDialog::Accepted));
        QCOMPARE(saved.size(), 1);
        QCOMPARE(reloads, 1);
        const KeychainResult stored = keychain.readSync(QLatin1String(KeychainStore::kApiKey));
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        QVERIFY(stored.data == key);
        QVERIFY(keychain.removeSync(QLatin1String(KeychainStore::kApiKey)).ok());
    }
};

QTEST_MAIN(tst_SlowKeychain)
#include "tst_SlowKeychain.moc"
