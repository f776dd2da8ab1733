#include "Connections.h"
#include "FakeAnthropicServer.h"
#include "FakeResponse.h"
#include "KeychainStore.h"
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;

// Named connections from the command line, as a user would run them: two fake APIs with their
// own keys, two connections, the real keychain and real qlaude processes.
class tst_Connections : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestHome> m_home;
    FakeAnthropicServer *m_personal = nullptr;
    FakeAnthropicServer *m_work = nullptr;
    QString m_personalKey;
    QString m_workKey;

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = m_home->environment();
        e.insert("HOME", m_home->root());
        e.insert("XDG_CONFIG_HOME", m_home->root() + "/xdg-config");
        e.insert("XDG_DATA_HOME", m_home->root() + "/xdg-data");
        return e;
    }
    ProcessResult run(const QStringList &args, const QByteArray &input = QByteArray(),
                      const QProcessEnvironment &e = QProcessEnvironment()) const
    {
        return runQlaudeAsync(args, e.isEmpty() ? env() : e, input);
    }
    QString connectionsFile() const
    {
        return m_home->root() + "/xdg-config/Qlaude/connections.json";
    }

    void addBoth()
    {
        ProcessResult r = run({"--add-connection", "tc19-personal", "--settings",
                               QStringLiteral("{\"env\":{\"ANTHROPIC_BASE_URL\":\"%1\"}}")
                                   .arg(m_personal->baseUrl().toString())});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = run({"--add-connection", "tc19-work", "--settings",
                 QStringLiteral("{\"provider\":\"anthropic\",\"model\":\"claude-haiku-4-5\","
                                "\"env\":{\"ANTHROPIC_BASE_URL\":\"%1\"}}")
                     .arg(m_work->baseUrl().toString())});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = run({"--connection", "tc19-personal", "--login=api-key"}, m_personalKey.toUtf8());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("tc19-personal"));
        r = run({"--connection", "tc19-work", "--login=api-key"}, m_workKey.toUtf8());
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }

    static KeychainResult readEntry(const QString &entry)
    {
        KeychainStore store;
        return store.readSync(entry);
    }

private slots:
    void init()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("connections"));
        m_personal = new FakeAnthropicServer(this);
        m_work = new FakeAnthropicServer(this);
        QVERIFY(m_personal->listen());
        QVERIFY(m_work->listen());
        m_personalKey = testSecret("conn-personal");
        m_workKey = testSecret("conn-work");
        m_personal->setExpectedApiKey(m_personalKey.toUtf8());
        m_work->setExpectedApiKey(m_workKey.toUtf8());
    }
    void cleanup()
    {
        for (const char *name : {"tc19-personal", "tc19-work"})
            run({"--remove-connection", name});
        delete m_personal;
        delete m_work;
    }

    void eachConnectionReachesItsServerWithItsKey()
    {
        addBoth();
        m_personal->enqueue(FakeResponse::text(QStringLiteral("from personal")));
        ProcessResult r = run(
            {"--connection", "tc19-personal", "--print", "hi", "--workspace", m_home->workspace()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("from personal\n"));
        m_work->enqueue(FakeResponse::text(QStringLiteral("from work")));
        r = run({"--connection", "tc19-work", "--print", "hi", "--workspace", m_home->workspace()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("from work\n"));
        QCOMPARE(m_personal->requests().size(), 1);
        QCOMPARE(m_work->requests().size(), 1);
        QCOMPARE(m_personal->lastRequest().header("x-api-key"), m_personalKey.toUtf8());
        QCOMPARE(m_work->lastRequest().header("x-api-key"), m_workKey.toUtf8());
        // The connection's own settings apply: its default model.
        QCOMPARE(m_work->lastRequest().json.value("model").toString(),
                 QStringLiteral("claude-haiku-4-5"));
        // The keys sit in the keychain under the connection's names, not the default entry.
        QCOMPARE(readEntry("connection:tc19-work:api-key").data, m_workKey);
        QCOMPARE(readEntry("connection:tc19-personal:api-key").data, m_personalKey);
        QFile f(connectionsFile());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(!f.readAll().contains("qltSECRET"));
        QCOMPARE(int(f.permissions() & (QFile::ReadGroup | QFile::ReadOther)), 0);
    }

    void theConnectionPinsItsProviderAndServer()
    {
        addBoth();
        // The user's own settings pick Bedrock and the work server.
        m_home->userSettings(
            {{"env", QJsonObject{{"CLAUDE_CODE_USE_BEDROCK", "1"},
                                 {"ANTHROPIC_BASE_URL", m_work->baseUrl().toString()}}}});
        ProcessResult r = run(
            {"--connection", "tc19-personal", "--print", "hi", "--workspace", m_home->workspace()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(m_personal->requests().size(), 1);
        // A connection without a server of its own uses the API's default, never the server
        // other settings name: its key must not reach another account's server.
        r = run({"--add-connection", "tc19-default", "--settings", "{}"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = run({"--connection", "tc19-default", "--doctor", "--json", "--workspace",
                 m_home->workspace()});
        run({"--remove-connection", "tc19-default"});
        const QJsonObject report = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(report.value("provider").toString(), QStringLiteral("anthropic"));
        QVERIFY2(!r.out.contains(m_work->baseUrl().toString().toUtf8()), r.out.constData());
        QVERIFY(r.out.contains("https://api.anthropic.com"));
        QCOMPARE(m_work->requests().size(), 0);
    }

    void aBoundWorkspaceUsesItsConnection()
    {
        addBoth();
        ProcessResult r =
            run({"--workspace", m_home->workspace(), "--use-connection", "tc19-work"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = run({"--print", "hi", "--workspace", m_home->workspace()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(m_work->requests().size(), 1);
        r = run({"--connections"});
        QVERIFY(r.out.contains(QDir(m_home->workspace()).canonicalPath().toUtf8()));
        // --connection wins over the binding, and "" unbinds.
        r = run(
            {"--connection", "tc19-personal", "--print", "hi", "--workspace", m_home->workspace()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(m_personal->requests().size(), 1);
        r = run({"--workspace", m_home->workspace(), "--use-connection", ""});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = run({"--print", "hi", "--workspace", m_home->workspace()});
        QVERIFY(r.exitCode != 0); // "From your settings" has no credential here
        QCOMPARE(m_work->requests().size(), 1);
        // Another folder is not bound.
        QDir().mkpath(m_home->root() + "/other");
        r = run({"--doctor", "--workspace", m_home->root() + "/other"});
        QVERIFY(r.out.contains("From your settings"));
    }

    void anEnvironmentKeyOverridesAndDoctorSaysSo()
    {
        addBoth();
        const QString envKey = testSecret("conn-env");
        QProcessEnvironment e = env();
        e.insert("ANTHROPIC_API_KEY", envKey);
        ProcessResult r =
            run({"--connection", "tc19-work", "--doctor", "--workspace", m_home->workspace()},
                QByteArray(), e);
        QVERIFY(r.out.contains("Connection: tc19-work (--connection)"));
        QVERIFY2(r.out.contains("The environment overrides the connection \"tc19-work\": "
                                "ANTHROPIC_API_KEY (environment)"),
                 r.out.constData());
        QVERIFY(!r.out.contains("qltSECRET"));
        r = run(
            {"--connection", "tc19-work", "--doctor", "--json", "--workspace", m_home->workspace()},
            QByteArray(), e);
        const QJsonObject conn =
            QJsonDocument::fromJson(r.out).object().value("connection").toObject();
        QCOMPARE(conn.value("name").toString(), QStringLiteral("tc19-work"));
        QCOMPARE(conn.value("overridden_by").toArray().size(), 1);
        // The request carries the environment's key, as the guide's priority says.
        m_work->setExpectedApiKey(envKey.toUtf8());
        r = run({"--connection", "tc19-work", "--print", "hi", "--workspace", m_home->workspace()},
                QByteArray(), e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(m_work->lastRequest().header("x-api-key"), envKey.toUtf8());
        // Without the variable, no warning.
        r = run({"--connection", "tc19-work", "--doctor", "--workspace", m_home->workspace()});
        QVERIFY(!r.out.contains("overrides the connection"));
    }

    void removingAConnectionRemovesItsKeychainEntries()
    {
        addBoth();
        QVERIFY(readEntry("connection:tc19-work:api-key").ok());
        QVERIFY(
            run({"--workspace", m_home->workspace(), "--use-connection", "tc19-work"}).exitCode ==
            0);
        const ProcessResult r = run({"--remove-connection", "tc19-work"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("Removed the connection \"tc19-work\"."));
        QVERIFY(r.out.contains("connection:tc19-work:api-key"));
        QVERIFY(r.out.contains("now uses \"From your settings\""));
        QCOMPARE(readEntry("connection:tc19-work:api-key").status,
                 KeychainResult::Status::NotFound);
        // The other connection keeps its key.
        QVERIFY(readEntry("connection:tc19-personal:api-key").ok());
        const ProcessResult again =
            run({"--connection", "tc19-work", "--print", "hi", "--workspace", m_home->workspace()});
        QCOMPARE(again.exitCode, 2);
        QVERIFY(again.err.contains("no connection named \"tc19-work\""));
        QCOMPARE(m_work->requests().size(), 0);
    }

    void aProjectFileCannotChooseAConnection()
    {
        addBoth();
        // A trusted project that names a connection every way it could.
        m_home->projectSettings({{"connection", "tc19-work"},
                                 {"apiKeyHelper", "true"},
                                 {"env", QJsonObject{{"QLAUDE_CONNECTION", "tc19-work"}}}});
        m_home->localSettings({{"connection", "tc19-work"}});
        ProcessResult r = run({"--trust", "--yes", "--workspace", m_home->workspace()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        m_home->projectSettings({{"connection", "tc19-work"},
                                 {"env", QJsonObject{{"QLAUDE_CONNECTION", "tc19-work"}}}});
        r = run({"--doctor", "--json", "--workspace", m_home->workspace()});
        const QJsonObject conn =
            QJsonDocument::fromJson(r.out).object().value("connection").toObject();
        QCOMPARE(conn.value("name").toString(), QString());
        r = run({"--print", "hi", "--workspace", m_home->workspace()});
        QVERIFY(r.exitCode != 0);
        QCOMPARE(m_work->requests().size(), 0);
        QCOMPARE(m_personal->requests().size(), 0);
    }

    void aLayerWithASecretIsRefused_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("api key") << "{\"env\":{\"ANTHROPIC_API_KEY\":\"%1\"}}"
                                 << "--connection tc19-x --login=api-key";
        QTest::newRow("bedrock token") << "{\"provider\":\"bedrock\",\"env\":{"
                                          "\"AWS_BEARER_TOKEN_BEDROCK\":\"%1\"}}"
                                       << "Settings > Connections > tc19-x";
        QTest::newRow("aws secret") << "{\"env\":{\"AWS_SECRET_ACCESS_KEY\":\"%1\"}}"
                                    << "AWS_PROFILE";
        QTest::newRow("header") << "{\"env\":{\"ANTHROPIC_CUSTOM_HEADERS\":\"X-A: 1\\n"
                                   "Authorization: Bearer %1\"}}"
                                << "The custom header Authorization";
        QTest::newRow("proxy password") << "{\"env\":{\"HTTPS_PROXY\":\"http://u:%1@proxy:8080\"}}"
                                        << "proxyAuthHelper";
        QTest::newRow("named like a secret") << "{\"env\":{\"MY_GATEWAY_TOKEN\":\"%1\"}}"
                                             << "MY_GATEWAY_TOKEN is a secret";
    }
    void aLayerWithASecretIsRefused()
    {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        const ProcessResult r =
            run({"--add-connection", "tc19-x", "--settings", json.arg(testSecret("conn-layer"))});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expected.toUtf8()), r.err.constData());
        QVERIFY(!r.err.contains("qltSECRET"));
        QVERIFY(!QFile::exists(connectionsFile()));
    }

    void anUnknownConnectionStopsTheRequest()
    {
        QProcessEnvironment e = env();
        e.insert("ANTHROPIC_API_KEY", m_personalKey);
        e.insert("ANTHROPIC_BASE_URL", m_personal->baseUrl().toString());
        const ProcessResult r =
            run({"--connection", "tc19-none", "--print", "hi"}, QByteArray(), e);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("There is no connection named \"tc19-none\""));
        QCOMPARE(m_personal->requests().size(), 0);
        // A broken connections file is named and never written over.
        m_home->writeFile(connectionsFile(), "{ broken");
        const ProcessResult add = run({"--add-connection", "tc19-y", "--settings", "{}"});
        QCOMPARE(add.exitCode, 1);
        QVERIFY(add.err.contains("connections.json"));
        QFile f(connectionsFile());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("{ broken"));
    }

    void listsWhatIsStoredButNeverTheSecret()
    {
        addBoth();
        const ProcessResult r = run({"--connections", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(!r.out.contains("qltSECRET"));
        const QJsonArray rows =
            QJsonDocument::fromJson(r.out).object().value("connections").toArray();
        QCOMPARE(rows.size(), 3);
        QVERIFY(rows.at(0).toObject().value("builtin").toBool());
        QCOMPARE(rows.at(1).toObject().value("name").toString(), QStringLiteral("tc19-personal"));
        QCOMPARE(rows.at(2).toObject().value("stored").toArray(),
                 QJsonArray({QStringLiteral("api-key")}));
        QCOMPARE(rows.at(2).toObject().value("provider").toString(), QStringLiteral("anthropic"));
    }
};

QTEST_GUILESS_MAIN(tst_Connections)
#include "tst_Connections.moc"
