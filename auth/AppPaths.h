#pragma once

#include <QProcessEnvironment>
#include <QString>

namespace qlaude {

// Where Qlaude and the CLI keep their files.
namespace AppPaths {
// Qlaude's own data (trust decisions, history): <XDG data>/qlaude. Outside every project.
QString dataDir();
// Qlaude's runtime directory (lock files): $XDG_RUNTIME_DIR/qlaude, else a per-user temp dir.
QString runtimeDir();
// The CLI's user directory: CLAUDE_CONFIG_DIR, else ~/.claude.
QString userConfigDir(const QProcessEnvironment &env);
// Canonical absolute path of a directory (symlinks resolved); the input, cleaned, if missing.
QString canonicalDir(const QString &dir);
} // namespace AppPaths

} // namespace qlaude
