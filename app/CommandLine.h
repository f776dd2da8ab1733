#pragma once

namespace qlaude {
// Parses the command line, runs the requested mode (--doctor, --print, --login, ...) or starts
// the desktop app, and returns the process exit code.
int runQlaude(int argc, char *argv[]);
} // namespace qlaude
