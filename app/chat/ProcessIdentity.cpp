#include "ProcessIdentity.h"

#include <QFile>
#include <QStringList>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <signal.h>
#include <unistd.h>
#endif

namespace qlaude {
namespace ProcessIdentity {

namespace {

#ifdef Q_OS_LINUX
QByteArray readSmallFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.read(4096).trimmed();
}

QString bootId()
{
    static const QString id =
        QString::fromLatin1(readSmallFile(QStringLiteral("/proc/sys/kernel/random/boot_id")));
    return id;
}

// Field 22 of /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so
// the fields are counted after its last ')'.
QString startTime(qint64 pid)
{
    const QByteArray stat = readSmallFile(QStringLiteral("/proc/%1/stat").arg(pid));
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return {};
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    // After ')' come field 3 (state) onward, so field 22 is at index 19.
    return fields.size() > 19 ? QString::fromLatin1(fields.at(19)) : QString();
}
#endif

} // namespace

QString current()
{
#ifdef Q_OS_UNIX
    const qint64 pid = qint64(::getpid());
#else
    const qint64 pid = 0;
#endif
#ifdef Q_OS_LINUX
    static const QString identity =
        QStringLiteral("%1:%2:%3").arg(pid).arg(bootId(), startTime(pid));
    return identity;
#else
    return QString::number(pid);
#endif
}

bool isAlive(const QString &identity)
{
    const QStringList parts = identity.split(QLatin1Char(':'));
    bool ok = false;
    const qint64 pid = parts.value(0).toLongLong(&ok);
    if (!ok || pid <= 0)
        return false;
#ifdef Q_OS_LINUX
    if (parts.size() != 3 || parts.at(1) != bootId())
        return false; // recorded before the last reboot, or by another machine's format
    const QString started = startTime(pid);
    return !started.isEmpty() && started == parts.at(2);
#elif defined(Q_OS_UNIX)
    return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
#else
    return false;
#endif
}

} // namespace ProcessIdentity
} // namespace qlaude
