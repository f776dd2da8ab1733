#pragma once

#include "AuthContext.h"

#include <QCommandLineParser>
#include <QTextStream>

namespace qlaude {

// The non-GUI modes of qlaude. Each returns the process exit code.
namespace CliCommands {
int doctor(const AuthContext &context, bool json);
int loginApiKey(const AuthContext &context);
int logout(const AuthContext &context);
int trust(AuthContext &context, bool assumeYes);
int untrust(const AuthContext &context);
} // namespace CliCommands

// stdout and stderr for the command-line modes: one stream each, shared, so lines keep their
// order whichever mode writes them.
QTextStream &cliOut();
QTextStream &cliErr();

// Reads one secret line from stdin: without echo on a terminal, or all of stdin when piped.
QString readSecretFromStdin(const QString &prompt);
bool stdinIsTerminal();

} // namespace qlaude
