#pragma once

#include <QString>

// Who is writing a streamed answer, in a form another process can check later: the process id
// plus what makes it unique across pid reuse (on Linux the boot id and the process's start
// time). The history records it on every message it streams, so opening the history marks
// only answers whose writer is gone as interrupted, never one a live process is still writing.

namespace qlaude {
namespace ProcessIdentity {

// This process: "<pid>:<boot id>:<start time in clock ticks>" on Linux, "<pid>" elsewhere.
QString current();

// Whether the process named by `identity` (from current(), in any process) still runs. An empty
// or unreadable identity is a writer that is gone (histories written before writers were
// recorded). Elsewhere than Linux only the pid can be checked.
bool isAlive(const QString &identity);

} // namespace ProcessIdentity
} // namespace qlaude
