#pragma once

#include <QList>
#include <QString>

// Checks that a helper command and everything it started are gone: tests run
// tests/helpers/sleep_in_group.sh (which writes its process group to a file and keeps two more
// processes in that group) and then look for survivors in /proc.

namespace qlaude::test {

// The processes of a process group still alive (a zombie, already dead and waiting for its
// parent, does not count).
QList<int> liveProcessesInGroup(int group);

// The process group a command wrote to `file`, once it has (waits up to 5 s); 0 if it never did.
int groupFromFile(const QString &file);

// Kills whatever is left of a command's process group when the test ends, so a failing run does
// not leave `sleep 600` behind.
struct GroupReaper
{
    int group = 0;
    ~GroupReaper();
};

} // namespace qlaude::test
