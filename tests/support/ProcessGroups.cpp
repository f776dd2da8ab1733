#include "ProcessGroups.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <csignal>
#include <unistd.h>

namespace qlaude::test {

QList<int> liveProcessesInGroup(int group)
{
    QList<int> live;
    const QStringList entries =
        QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool isPid = false;
        const int pid = entry.toInt(&isPid);
        QFile f(QStringLiteral("/proc/%1/stat").arg(entry));
        if (!isPid || !f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        const qsizetype name = stat.lastIndexOf(')');
        if (name < 0)
            continue;
        // After the command name: state, parent, process group.
        const QList<QByteArray> fields = stat.mid(name + 2).split(' ');
        if (fields.size() > 2 && fields.at(2).toInt() == group && fields.at(0) != "Z" &&
            fields.at(0) != "X")
            live.append(pid);
    }
    return live;
}

int groupFromFile(const QString &file)
{
    int group = 0;
    (void)QTest::qWaitFor(
        [&] {
            QFile f(file);
            if (f.open(QIODevice::ReadOnly))
                group = f.readAll().trimmed().toInt();
            return group > 0;
        },
        5000);
    return group;
}

GroupReaper::~GroupReaper()
{
    if (group > 1 && group != int(::getpgrp()))
        ::kill(-pid_t(group), SIGKILL);
}

} // namespace qlaude::test
