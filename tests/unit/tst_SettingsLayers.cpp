#include "AuthContext.h"
#include "SettingsLayers.h"
#include "SettingsWriter.h"
#include "TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

#include <chrono>
#include <fcntl.h>
#include <future>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace qlaude;
using namespace qlaude::test;

class tst_SettingsLayers : public QObject
{
    Q_OBJECT

    static SettingsLayers load(const TestHome &h, const QString &flag = QString(),
                               bool bare = false)
    {
        SettingsLayers::Options o;
        o.workspace = h.workspace();
        o.userConfigDir = h.configDir();
        o.managedDir = h.managedDir();
        o.flagSettings = flag;
        o.bare = bare;
        return SettingsLayers::load(o);
    }

    // Runs `work` on a thread and waits at most 5 s. Should it hang on the FIFO at `fifo`, a
    // writer that opens and closes it frees the thread, and the test fails instead of hanging.
    template<typename T>
    static bool finishesInTime(const std::function<T()> &work, const QString &fifo, T *result)
    {
        std::packaged_task<T()> task(work);
        std::future<T> future = task.get_future();
        std::thread thread(std::move(task));
        const bool inTime = future.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
        if (!inTime && !fifo.isEmpty()) {
            const int fd = ::open(QFile::encodeName(fifo).constData(), O_WRONLY | O_NONBLOCK);
            if (fd >= 0)
                ::close(fd);
        }
        thread.join();
        *result = future.get();
        return inTime;
    }

    // Makes `path` the kind of file named by `kind`; returns the FIFO's path for a FIFO.
    static QString makeSpecial(const TestHome &h, const QString &kind, const QString &path)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile::remove(path);
        if (kind == QLatin1String("symlink to /dev/zero")) {
            QFile::link(QStringLiteral("/dev/zero"), path);
        } else if (kind == QLatin1String("fifo")) {
            ::mkfifo(QFile::encodeName(path).constData(), 0600);
            return path;
        } else if (kind == QLatin1String("directory")) {
            QDir().mkpath(path);
        } else if (kind == QLatin1String("5 MiB file")) {
            // Valid JSON, so only its size can refuse it.
            h.writeFile(path, "{\"model\": \"big\", \"pad\": \"" +
                                  QByteArray(5 * 1024 * 1024, 'x') + "\"}");
        }
        return QString();
    }

private slots:
    void onlyRegularFilesUpTo4MiBAreRead_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("reason");
        QTest::newRow("symlink to /dev/zero")
            << QStringLiteral("symlink to /dev/zero")
            << QStringLiteral("is not a regular file (it is a device)");
        QTest::newRow("fifo") << QStringLiteral("fifo")
                              << QStringLiteral("is not a regular file (it is a FIFO)");
        QTest::newRow("directory") << QStringLiteral("directory")
                                   << QStringLiteral("is not a regular file (it is a directory)");
        QTest::newRow("5 MiB file")
            << QStringLiteral("5 MiB file") << QStringLiteral("is larger than 4 MiB");
    }
    void onlyRegularFilesUpTo4MiBAreRead()
    {
        QFETCH(QString, kind);
        QFETCH(QString, reason);
        TestHome h(QStringLiteral("special"));
        h.userSettings({{"model", "user-model"}, {"a", "user"}});
        h.writeJson(h.path("elsewhere.json"), {{"b", "local via symlink"}});
        // A symlink to a regular file is read as that file.
        QVERIFY(QDir().mkpath(h.workspace() + "/.claude"));
        QVERIFY(
            QFile::link(h.path("elsewhere.json"), h.workspace() + "/.claude/settings.local.json"));
        const QString project = h.workspace() + "/.claude/settings.json";
        const QString fifo = makeSpecial(h, kind, project);

        QElapsedTimer timer;
        timer.start();
        SettingsLayers s;
        QVERIFY2(finishesInTime<SettingsLayers>([&h] { return load(h); }, fifo, &s),
                 "loading the settings hung");
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(s.files().size(), 4);
        const SettingsFile &p = s.files().at(1);
        QCOMPARE(p.scope, SettingsScope::Project);
        QCOMPARE(p.status, SettingsFile::Status::Error);
        QVERIFY2(p.error.startsWith(project + ": " + reason), qPrintable(p.error));
        QVERIFY(p.data.isEmpty());
        QCOMPARE(s.files().at(0).status, SettingsFile::Status::Loaded);
        QCOMPARE(s.value("model").toString(), QStringLiteral("user-model"));
        QCOMPARE(s.files().at(2).status, SettingsFile::Status::Loaded);
        QCOMPARE(s.value("b").toString(), QStringLiteral("local via symlink"));

        // The writer refuses it the same way, and leaves it alone.
        QString error;
        bool written = true;
        QVERIFY2(finishesInTime<bool>(
                     [&] {
                         return SettingsWriter::updateEnv(project, {{"B", "2"}}, &error);
                     },
                     fifo, &written),
                 "the writer hung");
        QVERIFY(!written);
        QVERIFY2(error.startsWith(project + ": " + reason), qPrintable(error));
        QVERIFY(QFileInfo(project).isSymLink() == (kind == QLatin1String("symlink to /dev/zero")));
    }

    void laterLayersWinInTheCliOrder()
    {
        TestHome h(QStringLiteral("merge"));
        h.userSettings({{"model", "user-model"}, {"a", "user"}});
        h.projectSettings({{"model", "project-model"}, {"b", "project"}});
        h.localSettings({{"model", "local-model"}, {"c", "local"}});
        h.writeJson(h.managedDir() + "/managed-settings.json", {{"d", "managed"}});
        const SettingsLayers s = load(h, QStringLiteral(R"({"model":"flag-model"})"));
        QCOMPARE(s.files().size(), 5);
        QCOMPARE(s.value("model").toString(), QStringLiteral("flag-model"));
        QCOMPARE(s.sourceOf("model")->scope, SettingsScope::Flag);
        QCOMPARE(s.sourceOf("a")->scope, SettingsScope::User);
        QCOMPARE(s.sourceOf("b")->scope, SettingsScope::Project);
        QCOMPARE(s.sourceOf("c")->scope, SettingsScope::Local);
        QCOMPARE(s.sourceOf("d")->scope, SettingsScope::Managed);
        QCOMPARE(s.sourceOf("a")->path, h.configDir() + "/settings.json");
        QVERIFY(!s.sourceOf("nothing"));
    }

    void managedSettingsOverrideEverything()
    {
        TestHome h(QStringLiteral("managed-wins"));
        h.userSettings({{"model", "user"}});
        h.localSettings({{"model", "local"}});
        h.writeJson(h.managedDir() + "/managed-settings.json", {{"model", "policy"}});
        const SettingsLayers s = load(h, QStringLiteral(R"({"model":"flag"})"));
        QCOMPARE(s.value("model").toString(), QStringLiteral("policy"));
    }

    void managedDropInsMergeInNameOrder()
    {
        TestHome h(QStringLiteral("dropins"));
        h.writeJson(h.managedDir() + "/managed-settings.json", {{"x", "base"}, {"y", "base"}});
        h.writeJson(h.managedDir() + "/managed-settings.d/20-b.json", {{"x", "b"}});
        h.writeJson(h.managedDir() + "/managed-settings.d/10-a.json", {{"x", "a"}, {"z", "a"}});
        const SettingsLayers s = load(h);
        QCOMPARE(s.value("x").toString(), QStringLiteral("b"));
        QCOMPARE(s.value("y").toString(), QStringLiteral("base"));
        QCOMPARE(s.value("z").toString(), QStringLiteral("a"));
    }

    void nestedObjectsMergeAndArraysConcatenate()
    {
        TestHome h(QStringLiteral("deep"));
        h.userSettings(
            {{"env", QJsonObject{{"A", "1"}, {"B", "user"}}}, {"list", QJsonArray{"x", "y"}}});
        h.projectSettings(
            {{"env", QJsonObject{{"B", "project"}, {"C", "3"}}}, {"list", QJsonArray{"y", "z"}}});
        const SettingsLayers s = load(h);
        const QJsonObject env = s.value("env").toObject();
        QCOMPARE(env.value("A").toString(), QStringLiteral("1"));
        QCOMPARE(env.value("B").toString(), QStringLiteral("project"));
        QCOMPARE(env.value("C").toString(), QStringLiteral("3"));
        QCOMPARE(s.value("list").toArray(), (QJsonArray{"x", "y", "z"}));
        QCOMPARE(s.envSourceOf("B")->scope, SettingsScope::Project);
        QCOMPARE(s.envSourceOf("A")->scope, SettingsScope::User);
    }

    void malformedFileNamesFileLineAndColumnAndOthersStillLoad_data()
    {
        QTest::addColumn<int>("scope");
        QTest::newRow("user") << int(SettingsScope::User);
        QTest::newRow("project") << int(SettingsScope::Project);
        QTest::newRow("local") << int(SettingsScope::Local);
        QTest::newRow("flag") << int(SettingsScope::Flag);
        QTest::newRow("managed") << int(SettingsScope::Managed);
    }
    void malformedFileNamesFileLineAndColumnAndOthersStillLoad()
    {
        QFETCH(int, scope);
        TestHome h(QStringLiteral("malformed"));
        const QByteArray broken = "{\n  \"model\": \"x\",\n  \"oops\" 42\n}\n";
        const QString paths[] = {
            h.configDir() + "/settings.json", h.workspace() + "/.claude/settings.json",
            h.workspace() + "/.claude/settings.local.json", h.root() + "/flag.json",
            h.managedDir() + "/managed-settings.json"};
        for (int i = 0; i < 5; ++i) {
            const QByteArray good =
                QJsonDocument(QJsonObject{{QStringLiteral("k%1").arg(i), i}}).toJson();
            h.writeFile(paths[i], i == scope ? broken : good);
        }
        const SettingsLayers s = load(h, h.root() + "/flag.json");
        QCOMPARE(s.files().size(), 5);
        for (const SettingsFile &f : s.files()) {
            const int i = int(f.scope);
            if (i == scope) {
                QCOMPARE(f.status, SettingsFile::Status::Error);
                // The stray 42 stands at line 3, column 10; Qt reports the offset just after it.
                QVERIFY2(f.error.startsWith(paths[i] + ": line 3, column 10") ||
                             f.error.startsWith(paths[i] + ": line 3, column 11"),
                         qPrintable(f.error));
            } else {
                QCOMPARE(f.status, SettingsFile::Status::Loaded);
                QCOMPARE(s.value(QStringLiteral("k%1").arg(i)).toInt(), i);
            }
        }
        QVERIFY(!s.value("model").isString());
    }

    void nonObjectJsonIsAnError()
    {
        TestHome h(QStringLiteral("array"));
        h.writeFile(h.configDir() + "/settings.json", "[1,2]");
        const SettingsLayers s = load(h);
        QCOMPARE(s.files().first().status, SettingsFile::Status::Error);
        QVERIFY(s.files().first().error.contains("must be a JSON object"));
    }

    void missingFlagFileIsAnError()
    {
        TestHome h(QStringLiteral("flagmissing"));
        const SettingsLayers s = load(h, h.root() + "/nope.json");
        const SettingsFile &flag = s.files().at(3);
        QCOMPARE(flag.scope, SettingsScope::Flag);
        QCOMPARE(flag.status, SettingsFile::Status::Error);
        QVERIFY(flag.error.contains("does not exist"));
    }

    void bareReadsOnlyFlagAndManaged()
    {
        TestHome h(QStringLiteral("bare"));
        h.userSettings({{"u", 1}});
        h.projectSettings({{"p", 1}});
        const SettingsLayers s = load(h, QStringLiteral(R"({"f":1})"), true);
        QCOMPARE(s.files().size(), 2);
        QCOMPARE(s.files().at(0).scope, SettingsScope::Flag);
        QCOMPARE(s.files().at(1).scope, SettingsScope::Managed);
        QVERIFY(!s.value("u").isDouble());
        QCOMPARE(s.value("f").toInt(), 1);
    }

    void claudeConfigDirMovesTheUserDirectory()
    {
        TestHome h(QStringLiteral("configdir"));
        h.writeJson(h.root() + "/elsewhere/settings.json", {{"model", "moved"}});
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.processEnvironment.insert("CLAUDE_CONFIG_DIR", h.root() + "/elsewhere");
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        const AuthContext ctx = AuthContext::load(o);
        QCOMPARE(ctx.settings().files().first().path, h.root() + "/elsewhere/settings.json");
        QCOMPARE(ctx.effectiveSettings().value("model").toString(), QStringLiteral("moved"));
    }

    void managedDirectoryIgnoresTheEnvironment()
    {
        // Only the code seam moves it; no variable does.
        qputenv("QLAUDE_MANAGED_SETTINGS_DIR", "/tmp");
        qputenv("CLAUDE_CODE_MANAGED_SETTINGS_PATH", "/tmp");
        SettingsLayers::setManagedDirForTesting(QString());
        QCOMPARE(SettingsLayers::platformManagedDir(), QStringLiteral("/etc/claude-code"));
        qunsetenv("QLAUDE_MANAGED_SETTINGS_DIR");
        qunsetenv("CLAUDE_CODE_MANAGED_SETTINGS_PATH");
    }

    void writerKeepsKeysItDoesNotOwn()
    {
        TestHome h(QStringLiteral("writer"));
        const QString path = h.configDir() + "/settings.json";
        h.writeJson(path, {{"permissions", QJsonObject{{"allow", QJsonArray{"Bash(ls)"}}}},
                           {"env", QJsonObject{{"KEEP", "1"}, {"AWS_REGION", "us-east-1"}}}});
        QString error;
        QVERIFY(
            SettingsWriter::updateEnv(path, {{"AWS_REGION", "eu-west-1"}, {"NEW", "x"}}, &error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value("permissions").toObject().value("allow").toArray(),
                 QJsonArray{"Bash(ls)"});
        const QJsonObject env = o.value("env").toObject();
        QCOMPARE(env.value("KEEP").toString(), QStringLiteral("1"));
        QCOMPARE(env.value("AWS_REGION").toString(), QStringLiteral("eu-west-1"));
        QCOMPARE(env.value("NEW").toString(), QStringLiteral("x"));
        QVERIFY(SettingsWriter::updateEnv(path, {{"NEW", QString()}}, &error));
        f.close();
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(
            !QJsonDocument::fromJson(f.readAll()).object().value("env").toObject().contains("NEW"));
    }

    void writerRefusesToOverwriteAMalformedFile()
    {
        TestHome h(QStringLiteral("writer-bad"));
        const QString path = h.configDir() + "/settings.json";
        const QByteArray broken = "{ \"env\": { \"A\": 1 }, oops }";
        h.writeFile(path, broken);
        QString error;
        QVERIFY(!SettingsWriter::updateEnv(path, {{"B", "2"}}, &error));
        QVERIFY2(error.contains("line 1, column"), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), broken);
    }
};

QTEST_GUILESS_MAIN(tst_SettingsLayers)
#include "tst_SettingsLayers.moc"
