#pragma once

#include <QString>

// Opening the chat history file: the checks that keep a user's file safe, the connection
// settings, migration and crash recovery. ConversationStore calls it once per instance.

namespace qlaude {
namespace HistoryFile {

// Opens `path` as the QSqlDatabase connection `connectionName`. Refuses, without writing to it,
// a file that is not an SQLite database, an SQLite database that is not a Qlaude history, and
// a history from a newer Qlaude. Then sets WAL mode, foreign keys and synchronous=NORMAL,
// migrates the schema and recovers answers cut off by a crash. On failure the connection is
// removed again and *error is a sentence that says what to do.
bool open(const QString &path, const QString &connectionName, QString *error);

} // namespace HistoryFile
} // namespace qlaude
