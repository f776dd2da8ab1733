#include "TestSupport.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

namespace qlaude::test {

TestHome::TestHome(const QString &name)
{
    QString base = qEnvironmentVariable("QLAUDE_TEST_HOME");
    if (base.isEmpty())
        base = QDir::tempPath();
    QDir().mkpath(base + QStringLiteral("/qlaude-tests"));
    QTemporaryDir dir(base + QStringLiteral("/qlaude-tests/") + name + QStringLiteral("-XXXXXX"));
    dir.setAutoRemove(false);
    m_root = dir.path();
    for (const char *sub : {"config", "workspace", "managed", "data"})
        QDir().mkpath(m_root + QLatin1Char('/') + QLatin1String(sub));
}

QProcessEnvironment TestHome::environment() const
{
    const QProcessEnvironment sys = QProcessEnvironment::systemEnvironment();
    QProcessEnvironment env;
    for (const char *name : {"PATH", "HOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR",
                             "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "LANG",
                             "QT_QPA_PLATFORM", "QTWEBENGINE_DISABLE_SANDBOX", "QLAUDE_TEST_HOME",
                             "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS",
                             // run_isolated.sh: cloud metadata endpoints on a closed port
                             "AWS_EC2_METADATA_DISABLED", "GCE_METADATA_HOST", "GCE_METADATA_IP",
                             "IDENTITY_ENDPOINT", "IMDS_ENDPOINT", "AWS_ENDPOINT_URL_STS"}) {
        const QString n = QLatin1String(name);
        if (sys.contains(n))
            env.insert(n, sys.value(n));
    }
    env.insert(QStringLiteral("CLAUDE_CONFIG_DIR"), configDir());
    return env;
}

void TestHome::writeFile(const QString &path, const QByteArray &content) const
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
}

void TestHome::writeJson(const QString &path, const QJsonObject &object) const
{
    writeFile(path, QJsonDocument(object).toJson());
}

QString testSecret(const QString &name)
{
    return QStringLiteral("sk-ant-qltSECRET-%1-%2")
        .arg(name)
        .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
}

QString helperScript(const QString &name)
{
    return QStringLiteral(QLAUDE_TEST_HELPERS_DIR) + QLatin1Char('/') + name;
}

static QString shellQuote(const QString &s)
{
    QString q = s;
    q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

QString helperCommand(const QString &script, const QString &secret, const QStringList &args)
{
    QStringList parts{shellQuote(helperScript(script))};
    for (const QString &a : args)
        parts << shellQuote(a);
    if (!secret.isEmpty()) {
        const int cut = secret.indexOf(QStringLiteral("SECRET"));
        parts << shellQuote(secret.left(cut)) << shellQuote(secret.mid(cut));
    }
    return parts.join(QLatin1Char(' '));
}

ProcessResult runQlaude(const QStringList &args, const QProcessEnvironment &env,
                        const QByteArray &stdinData, const QString &workDir, int timeoutMs)
{
    ProcessResult r;
    QProcess p;
    p.setProcessEnvironment(env);
    if (!workDir.isEmpty())
        p.setWorkingDirectory(workDir);
    p.start(QStringLiteral(QLAUDE_BIN), args);
    if (!p.waitForStarted(10000))
        return r;
    if (!stdinData.isEmpty())
        p.write(stdinData);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.crashed = true;
    }
    r.exitCode = p.exitCode();
    r.crashed = r.crashed || p.exitStatus() != QProcess::NormalExit;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

ProcessResult runQlaudeAsync(const QStringList &args, const QProcessEnvironment &env,
                             const QByteArray &stdinData, int timeoutMs)
{
    ProcessResult r;
    QProcess p;
    p.setProcessEnvironment(env);
    // An event loop, not a polling wait: fakes in this process must answer without delay.
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&p, &QProcess::errorOccurred, &loop, [&loop](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            loop.quit();
    });
    p.start(QStringLiteral(QLAUDE_BIN), args);
    if (!stdinData.isEmpty())
        p.write(stdinData);
    p.closeWriteChannel();
    timer.start(timeoutMs);
    if (p.state() != QProcess::NotRunning)
        loop.exec();
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished();
        r.crashed = true;
    }
    r.exitCode = p.exitCode();
    r.crashed = r.crashed || p.exitStatus() != QProcess::NormalExit;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace qlaude::test
