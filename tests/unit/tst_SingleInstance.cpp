// One desktop app per user (app/SingleInstance), with real qlaude processes: a second launch
// hands its workspace to the first and exits 0, a socket left by a killed instance does not
// stop the next launch from becoming the running one, and the command-line modes never take
// part.
#include "TestSupport.h"

#include <QDir>
#include <QDirIterator>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using namespace qlaude::test;

namespace {
constexpr int kStartTimeoutMs = 30000;
}

class tst_SingleInstance : public QObject
{
    Q_OBJECT

    QTemporaryDir m_runtime{QDir::tempPath() + QStringLiteral("/qlrt-XXXXXX")};

    QProcessEnvironment environment(const TestHome &h) const
    {
        QProcessEnvironment env = h.environment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        env.insert("XDG_RUNTIME_DIR", m_runtime.path());
        env.insert("XDG_DATA_HOME", h.path("data-home"));
        env.insert("XDG_CONFIG_HOME", h.path("config-home"));
        // A credential, so the window opens without the login dialog; no request leaves.
        env.insert("ANTHROPIC_API_KEY", testSecret("single-instance"));
        env.insert("ANTHROPIC_BASE_URL", "http://127.0.0.1:9");
        return env;
    }

    // The socket a running instance listens on, once it does.
    QStringList sockets() const
    {
        QStringList found;
        QDirIterator it(m_runtime.path(), QDir::System | QDir::Files | QDir::NoDotAndDotDot,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString f = it.next();
            if (f.endsWith(QLatin1String(".socket")))
                found << f;
        }
        return found;
    }

    bool startFirst(QProcess &p, const QProcessEnvironment &env, const QString &workspace)
    {
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(QLAUDE_BIN), {"--workspace", workspace});
        if (!p.waitForStarted(10000))
            return false;
        QElapsedTimer t;
        t.start();
        while (sockets().isEmpty() && p.state() == QProcess::Running &&
               t.elapsed() < kStartTimeoutMs)
            QTest::qWait(50);
        return !sockets().isEmpty() && p.state() == QProcess::Running;
    }

    static void stop(QProcess &p)
    {
        if (p.state() == QProcess::NotRunning)
            return;
        p.terminate();
        if (!p.waitForFinished(10000)) {
            p.kill();
            p.waitForFinished();
        }
    }

private slots:
    void initTestCase() { QVERIFY(m_runtime.isValid()); }

    void cleanup()
    {
        // Each test starts with no instance and no socket left.
        QDir(m_runtime.path()).removeRecursively();
        QDir().mkpath(m_runtime.path());
        QFile::setPermissions(m_runtime.path(),
                              QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    void aSecondLaunchHandsItsWorkspaceToTheFirst()
    {
        TestHome h(QStringLiteral("single-instance-handoff"));
        const QProcessEnvironment env = environment(h);
        const QString other = h.path("other");
        QVERIFY(QDir().mkpath(other));
        QProcess first;
        QVERIFY2(startFirst(first, env, h.workspace()), first.readAllStandardError().constData());
        QCOMPARE(sockets().size(), 1);
        // Private: the socket's folder is the user's alone.
        const QFileInfo dir(QFileInfo(sockets().first()).absolutePath());
        QCOMPARE(dir.permissions() & (QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup |
                                      QFile::ReadOther | QFile::WriteOther | QFile::ExeOther),
                 QFile::Permissions());

        // Another workspace: the first instance opens a window for it; this launch exits 0.
        ProcessResult r = runQlaude({"--workspace", other}, env, {}, {}, 15000);
        QCOMPARE(r.exitCode, 0);
        const QString otherCanonical = QDir(other).canonicalPath();
        QVERIFY2(
            r.out.contains(QByteArray("opens " + otherCanonical.toUtf8() + " in a new window")),
            r.out.constData());
        // The same workspace again: the window the first instance opened is raised.
        r = runQlaude({"--workspace", other}, env, {}, {}, 15000);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QByteArray("already showing " + otherCanonical.toUtf8())),
                 r.out.constData());
        // And the first workspace, from a relative path: its original window.
        r = runQlaude({"--workspace", "."}, env, {}, h.workspace(), 15000);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(
                     QByteArray("already showing " + QDir(h.workspace()).canonicalPath().toUtf8())),
                 r.out.constData());

        QCOMPARE(first.state(), QProcess::Running);
        stop(first);
        QCOMPARE(first.exitStatus(), QProcess::NormalExit);
        // A clean exit removes the socket.
        QVERIFY2(sockets().isEmpty(), qPrintable(sockets().join(", ")));
    }

    void aLaunchAfterACrashBecomesTheRunningInstance()
    {
        TestHome h(QStringLiteral("single-instance-stale"));
        const QProcessEnvironment env = environment(h);
        QProcess crashed;
        QVERIFY(startFirst(crashed, env, h.workspace()));
        ::kill(pid_t(crashed.processId()), SIGKILL);
        QVERIFY(crashed.waitForFinished(10000));
        QCOMPARE(sockets().size(), 1); // left behind, nobody listening

        QProcess next;
        next.setProcessEnvironment(env);
        next.start(QStringLiteral(QLAUDE_BIN), {"--workspace", h.workspace()});
        QVERIFY(next.waitForStarted(10000));
        // It stays up (it did not hand over to the dead socket)...
        QVERIFY(!next.waitForFinished(3000));
        // ...and the launch after it is handed to it.
        const ProcessResult r = runQlaude({"--workspace", h.workspace()}, env, {}, {}, 15000);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("already showing"), r.out.constData());
        stop(next);
    }

    void commandLineModesNeverTakePart()
    {
        TestHome h(QStringLiteral("single-instance-cli"));
        const QProcessEnvironment env = environment(h);
        QProcess first;
        QVERIFY(startFirst(first, env, h.workspace()));
        ProcessResult r = runQlaude({"--doctor", "--json", "--workspace", h.workspace()}, env);
        QCOMPARE(r.exitCode, 0); // the API key is a usable credential
        QVERIFY2(r.out.trimmed().startsWith('{'), r.out.constData());
        r = runQlaude({"--version"}, env);
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith("qlaude "));
        // --exit-after-first-paint (benchmarks) starts a window of its own.
        r = runQlaude({"--exit-after-first-paint", "--workspace", h.workspace()}, env, {}, {},
                      kStartTimeoutMs);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("first-paint-ms"), r.out.constData());
        stop(first);
    }
};

QTEST_GUILESS_MAIN(tst_SingleInstance)
#include "tst_SingleInstance.moc"
