#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace qlaude::test {

// A fresh folder tree for one test under the suite's temporary HOME:
//   <root>/config     the CLI user dir (CLAUDE_CONFIG_DIR)
//   <root>/workspace  a project folder
//   <root>/managed    a managed-settings folder (reached through the code seam only)
//   <root>/data       Qlaude's data dir for trust decisions
// Folders are kept after the test, so the secret-leak check can scan them.
class TestHome
{
public:
    explicit TestHome(const QString &name);

    QString root() const { return m_root; }
    QString configDir() const { return m_root + QStringLiteral("/config"); }
    QString workspace() const { return m_root + QStringLiteral("/workspace"); }
    QString managedDir() const { return m_root + QStringLiteral("/managed"); }
    QString trustStore() const { return m_root + QStringLiteral("/data/trust.json"); }
    QString path(const QString &relative) const { return m_root + QLatin1Char('/') + relative; }

    // A clean environment: PATH, HOME, D-Bus and XDG from the suite, CLAUDE_CONFIG_DIR set,
    // and none of the variables that pick credentials or providers.
    QProcessEnvironment environment() const;

    void writeFile(const QString &path, const QByteArray &content) const;
    void writeJson(const QString &path, const QJsonObject &object) const;
    void userSettings(const QJsonObject &o) const
    {
        writeJson(configDir() + QStringLiteral("/settings.json"), o);
    }
    void projectSettings(const QJsonObject &o) const
    {
        writeJson(workspace() + QStringLiteral("/.claude/settings.json"), o);
    }
    void localSettings(const QJsonObject &o) const
    {
        writeJson(workspace() + QStringLiteral("/.claude/settings.local.json"), o);
    }

private:
    QString m_root;
};

// A secret for tests. Every one contains the marker the leak check looks for.
QString testSecret(const QString &name);

// The path of a script in tests/helpers/.
QString helperScript(const QString &name);
// A shell command line running a helper script with `args` and then the secret split in two
// halves, so the whole secret never appears in a settings file or on a command line.
QString helperCommand(const QString &script, const QString &secret,
                      const QStringList &args = QStringList());

struct ProcessResult
{
    int exitCode = -1;
    bool crashed = false;
    QByteArray out;
    QByteArray err;
};
// Runs the built qlaude with arguments, environment and stdin; waits up to timeoutMs.
ProcessResult runQlaude(const QStringList &args, const QProcessEnvironment &env,
                        const QByteArray &stdinData = QByteArray(),
                        const QString &workDir = QString(), int timeoutMs = 30000);

// The same, but keeps this process's event loop running meanwhile, so servers living in the
// test process (fakes on 127.0.0.1) can answer the child.
ProcessResult runQlaudeAsync(const QStringList &args, const QProcessEnvironment &env,
                             const QByteArray &stdinData = QByteArray(), int timeoutMs = 30000);

} // namespace qlaude::test
