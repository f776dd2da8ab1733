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

// Qlaude's own configuration (QSettings "Qlaude"/"qlaude", the window state):
// <XDG config>/Qlaude.
QString configDir();

// Private files. Qlaude's folders are 0700 and its files 0600 (trust decisions and history are
// nobody else's business). The process umask is never changed: helpers inherit it.
//
// Creates `dir` (missing parents with the usual mode) and makes it 0700 if it has group or
// other permissions. False when it is not a directory afterwards.
bool ensurePrivateDir(const QString &dir);
// Takes the group and other permissions away from a regular file (0644 becomes 0600). Nothing
// happens to a missing file, a symlink or anything that is not a regular file.
void makePrivate(const QString &file);
// Creates `file` empty with mode 0600 unless it exists, so that whatever opens it next (SQLite,
// which gives its -wal and -shm files the main file's mode) keeps that mode. False when it can
// neither be created nor exists.
bool createPrivateFile(const QString &file);
// At start-up, in every mode: dataDir() and configDir() become 0700, and the files and folders
// directly in them lose their group and other permissions (files made by older versions). Only
// what is wrong is changed and nothing is created, so it costs a few system calls.
void secureOwnFiles();
} // namespace AppPaths

} // namespace qlaude
