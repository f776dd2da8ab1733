#pragma once

#include "AuthContext.h"

namespace qlaude {

// The named-connection modes of qlaude. Each returns the process exit code.
namespace ConnectionCommands {
struct Paths
{
    QString connections; // empty: ConnectionStore::defaultPath()
    QString bindings;    // empty: ConnectionStore::defaultBindingsPath()
};
// --connections [--json]: name, provider, account hint, what the keychain holds (never the
// secret) and the workspaces bound to each, the built-in "From your settings" first.
int list(const Paths &paths, bool json);
// --add-connection NAME --settings FILE-OR-JSON: creates or replaces the connection.
int add(const Paths &paths, const QString &name, const QString &settings);
// --remove-connection NAME: the connection, its bindings and its keychain entries.
int remove(const Paths &paths, const QString &name);
// --workspace DIR --use-connection NAME ("" unbinds).
int use(const Paths &paths, const QString &workspace, const QString &name);
} // namespace ConnectionCommands

} // namespace qlaude
