#include "SystemBrowser.h"

#include <QCoreApplication>
#include <QProcess>
#include <QStandardPaths>

namespace qlaude::SystemBrowser {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::SystemBrowser)
};
} // namespace

namespace {
bool startDetached(const QStringList &command, const QProcessEnvironment &env)
{
    if (command.isEmpty())
        return false;
    QProcess p;
    p.setProgram(command.first());
    p.setArguments(command.mid(1));
    p.setProcessEnvironment(env);
    // The browser's own chatter must not land in our output.
    p.setStandardOutputFile(QProcess::nullDevice());
    p.setStandardErrorFile(QProcess::nullDevice());
    p.setStandardInputFile(QProcess::nullDevice());
    return p.startDetached();
}
} // namespace

bool open(const QUrl &url, const QProcessEnvironment &env, QString *error)
{
    const QString target = url.toString(QUrl::FullyEncoded);
    const QString browsers = env.value(QStringLiteral("BROWSER")).trimmed();
    for (const QString &entry : browsers.split(QLatin1Char(':'), Qt::SkipEmptyParts)) {
        QStringList command = QProcess::splitCommand(entry);
        if (command.isEmpty())
            continue;
        bool substituted = false;
        for (QString &arg : command) {
            if (arg.contains(QLatin1String("%s"))) {
                arg.replace(QLatin1String("%s"), target);
                substituted = true;
            }
        }
        if (!substituted)
            command << target;
        if (startDetached(command, env))
            return true;
    }
    const QString xdgOpen = QStandardPaths::findExecutable(QStringLiteral("xdg-open"));
    if (!xdgOpen.isEmpty() && startDetached({xdgOpen, target}, env))
        return true;
    if (error)
        *error = browsers.isEmpty()
                     ? Tr::tr("No browser could be started: xdg-open is not installed "
                              "and BROWSER is not set.")
                     : Tr::tr("No browser could be started from BROWSER or xdg-open.");
    return false;
}

} // namespace qlaude::SystemBrowser
