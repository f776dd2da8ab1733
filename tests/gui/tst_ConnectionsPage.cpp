#include "AppServices.h"
#include "ConnectionsPage.h"
#include "FakeAnthropicServer.h"
#include "KeychainStore.h"
#include "NetworkAccess.h"
#include "TestSupport.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;

// Settings > Connections with the real keychain, real files and two fake APIs: what is saved
// where, what "Test" sends, and that rename, duplicate and remove carry the keychain entries.
class tst_ConnectionsPage : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestHome> m_home;
    std::unique_ptr<AuthContext> m_context;
    std::unique_ptr<NetworkAccess> m_network;
    AppServices m_services;
    FakeAnthropicServer *m_a = nullptr;
    FakeAnthropicServer *m_b = nullptr;
    QString m_keyA;
    QString m_keyB;
    int m_reloads = 0;
    QStringList m_switches;

    QString connectionsPath() const { return m_home->root() + "/qlaude-config/connections.json"; }

    template<typename T> static T *child(QWidget *w, const char *name)
    {
        T *c = w->findChild<T *>(QLatin1String(name));
        if (!c)
            qFatal("no child %s", name);
        return c;
    }
    static KeychainResult entry(const QString &name)
    {
        KeychainStore store;
        return store.readSync(name);
    }
    static bool waitFinished(ConnectionsPage &page, bool *ok)
    {
        QSignalSpy spy(&page, &ConnectionsPage::finished);
        if (!spy.wait(15000))
            return false;
        *ok = spy.first().first().toBool();
        return true;
    }
    void saveWithKey(ConnectionsPage &page, const QString &name, FakeAnthropicServer *server,
                     const QString &key)
    {
        page.addConnection(name);
        child<QLineEdit>(&page, "connectionBaseUrlEdit")->setText(server->baseUrl().toString());
        child<QLineEdit>(&page, "connectionApiKeyEdit")->setText(key);
        page.save();
        bool ok = false;
        QVERIFY(waitFinished(page, &ok));
        QVERIFY2(ok, qPrintable(page.statusText()));
    }

private slots:
    void init()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("connections-page"));
        AuthContext::Options o;
        o.workspace = m_home->workspace();
        QDir().mkpath(o.workspace);
        o.processEnvironment = m_home->environment();
        o.managedDir = m_home->managedDir();
        o.trustStorePath = m_home->trustStore();
        o.connectionsPath = connectionsPath();
        o.bindingsPath = m_home->root() + "/qlaude-data/connection-bindings.json";
        m_context = std::make_unique<AuthContext>(AuthContext::load(o));
        m_network = std::make_unique<NetworkAccess>();
        m_services = AppServices();
        m_services.context = m_context.get();
        m_services.network = m_network.get();
        m_reloads = 0;
        m_switches.clear();
        m_services.reload = [this](std::function<void()> done) {
            ++m_reloads;
            if (done)
                done();
        };
        m_services.switchConnection = [this](const QString &name) { m_switches << name; };
        m_a = new FakeAnthropicServer(this);
        m_b = new FakeAnthropicServer(this);
        QVERIFY(m_a->listen());
        QVERIFY(m_b->listen());
        m_keyA = testSecret("page-a");
        m_keyB = testSecret("page-b");
        m_a->setExpectedApiKey(m_keyA.toUtf8());
        m_b->setExpectedApiKey(m_keyB.toUtf8());
    }
    void cleanup()
    {
        KeychainStore store;
        for (const char *n : {"tcp-a", "tcp-b", "tcp-a-copy", "tcp-renamed"}) {
            store.setKeyPrefix(Connection::keychainPrefixFor(QLatin1String(n)));
            for (const auto &e : ConnectionStore::secretEntries())
                store.removeSync(e.first);
        }
        delete m_a;
        delete m_b;
    }

    void savesSettingsToTheFileAndTheKeyToTheKeychain()
    {
        ConnectionsPage page(m_services);
        saveWithKey(page, "tcp-a", m_a, m_keyA);
        QFile f(connectionsPath());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.contains(m_a->baseUrl().toString().toUtf8()));
        QVERIFY(!text.contains("qltSECRET"));
        QCOMPARE(entry("connection:tcp-a:api-key").data, m_keyA);
        QCOMPARE(entry("api-key").status == KeychainResult::Status::Ok &&
                     entry("api-key").data == m_keyA,
                 false);
        QCOMPARE(m_reloads, 1);
        // The secret field is cleared after saving, and the page says what is stored.
        QVERIFY(child<QLineEdit>(&page, "connectionApiKeyEdit")->text().isEmpty());
        QTRY_VERIFY(child<QLabel>(&page, "connectionStoredLabel")->text().contains("API key"));
    }

    void refusesASecretInTheSettings()
    {
        ConnectionsPage page(m_services);
        page.addConnection("tcp-a");
        child<QPlainTextEdit>(&page, "connectionHeadersEdit")
            ->setPlainText("Authorization: Bearer " + testSecret("page-header"));
        page.save();
        QVERIFY(page.statusText().contains("The custom header Authorization"));
        QVERIFY(!page.statusText().contains("qltSECRET"));
        QVERIFY(!QFile::exists(connectionsPath()));
    }

    void testSendsWhatIsOnScreen()
    {
        ConnectionsPage page(m_services);
        saveWithKey(page, "tcp-a", m_a, m_keyA);
        // Unsaved: another server and another key.
        child<QLineEdit>(&page, "connectionBaseUrlEdit")->setText(m_b->baseUrl().toString());
        child<QLineEdit>(&page, "connectionApiKeyEdit")->setText(m_keyB);
        page.test();
        bool ok = false;
        QVERIFY(waitFinished(page, &ok));
        QVERIFY2(ok, qPrintable(page.statusText()));
        QVERIFY(page.statusText().startsWith("It works"));
        QCOMPARE(m_a->requests().size(), 0);
        QVERIFY(m_b->requests().size() >= 1);
        QCOMPARE(m_b->lastRequest().header("x-api-key"), m_keyB.toUtf8());
        // Nothing was saved by testing.
        QCOMPARE(entry("connection:tcp-a:api-key").data, m_keyA);
        // With the stored key and the saved server, it reaches A.
        child<QLineEdit>(&page, "connectionBaseUrlEdit")->setText(m_a->baseUrl().toString());
        child<QLineEdit>(&page, "connectionApiKeyEdit")->clear();
        page.test();
        QVERIFY(waitFinished(page, &ok));
        QVERIFY2(ok, qPrintable(page.statusText()));
        QVERIFY(m_a->requests().size() >= 1);
        // A wrong key fails with the API's reason, never the key.
        child<QLineEdit>(&page, "connectionApiKeyEdit")->setText(testSecret("page-wrong"));
        page.test();
        QVERIFY(waitFinished(page, &ok));
        QVERIFY(!ok);
        QVERIFY(!page.statusText().contains("qltSECRET"));
    }

    void renameDuplicateAndRemoveCarryTheKeychainEntries()
    {
        ConnectionsPage page(m_services);
        saveWithKey(page, "tcp-a", m_a, m_keyA);
        bool ok = false;
        page.duplicateConnection();
        QVERIFY(waitFinished(page, &ok));
        QVERIFY2(ok, qPrintable(page.statusText()));
        QCOMPARE(page.currentName(), QStringLiteral("tcp-a-copy"));
        QCOMPARE(entry("connection:tcp-a-copy:api-key").data, m_keyA);

        page.renameConnection("tcp-renamed");
        QVERIFY(waitFinished(page, &ok));
        QVERIFY2(ok, qPrintable(page.statusText()));
        QCOMPARE(entry("connection:tcp-renamed:api-key").data, m_keyA);
        QCOMPARE(entry("connection:tcp-a-copy:api-key").status, KeychainResult::Status::NotFound);
        ConnectionStore store(connectionsPath(),
                              m_home->root() + "/qlaude-data/connection-bindings.json");
        QVERIFY(store.load());
        QVERIFY(store.find("tcp-renamed"));
        QVERIFY(!store.find("tcp-a-copy"));

        page.removeConnection(true);
        QVERIFY(waitFinished(page, &ok));
        QVERIFY2(ok, qPrintable(page.statusText()));
        QVERIFY(page.statusText().contains("the API key"));
        QCOMPARE(entry("connection:tcp-renamed:api-key").status, KeychainResult::Status::NotFound);
        QVERIFY(store.load());
        QVERIFY(!store.find("tcp-renamed"));
        QVERIFY(store.find("tcp-a"));
        QCOMPARE(entry("connection:tcp-a:api-key").data, m_keyA);
    }

    void removingTheWindowsConnectionSwitchesItBack()
    {
        ConnectionsPage page(m_services);
        saveWithKey(page, "tcp-b", m_b, m_keyB);
        AuthContext::Options o = m_context->options();
        o.connection = "tcp-b";
        o.connectionGiven = true;
        *m_context = AuthContext::load(o);
        QCOMPARE(m_context->connectionName(), QStringLiteral("tcp-b"));
        page.removeConnection(true);
        bool ok = false;
        QVERIFY(waitFinished(page, &ok));
        QVERIFY(ok);
        QCOMPARE(m_switches, QStringList{QString()});
    }

    void providerChoiceShowsItsFieldsAndIsSaved()
    {
        ConnectionsPage page(m_services);
        page.addConnection("tcp-a");
        auto *provider = child<QComboBox>(&page, "connectionProviderCombo");
        provider->setCurrentIndex(1); // Bedrock
        child<QLineEdit>(&page, "connectionAwsRegionEdit")->setText("eu-west-1");
        child<QLineEdit>(&page, "connectionAwsProfileEdit")->setText("prod");
        const Connection c = page.editedConnection();
        QCOMPARE(c.provider, QStringLiteral("bedrock"));
        QCOMPARE(c.accountHint(), QStringLiteral("Amazon Bedrock · eu-west-1 · profile prod"));
        page.save();
        bool ok = false;
        QVERIFY(waitFinished(page, &ok));
        QVERIFY(ok);
        ConnectionStore store(connectionsPath(),
                              m_home->root() + "/qlaude-data/connection-bindings.json");
        QVERIFY(store.load());
        QCOMPARE(store.find("tcp-a")->provider, QStringLiteral("bedrock"));
        // A second page shows it as saved.
        ConnectionsPage again(m_services);
        QCOMPARE(again.currentName(), QStringLiteral("tcp-a"));
        QCOMPARE(child<QComboBox>(&again, "connectionProviderCombo")->currentIndex(), 1);
        QCOMPARE(child<QLineEdit>(&again, "connectionAwsRegionEdit")->text(),
                 QStringLiteral("eu-west-1"));
    }
};

QTEST_MAIN(tst_ConnectionsPage)
#include "tst_ConnectionsPage.moc"
