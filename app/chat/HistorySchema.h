#pragma once

#include <QSqlDatabase>
#include <QString>

// The chat history's schema and its forward migrations. The schema version is SQLite's
// `PRAGMA user_version`; each migration runs in its own write transaction that also bumps the
// version, so a crash mid-migration leaves the previous version intact.
//
// Version 1: conversations, messages, content_blocks and the append-only block_chunks that
//            streaming writes into.
// Version 2: cache token columns, the thinking budget, a recency index, and the FTS5 table
//            message_search (back-filled from version 1 messages).
// Version 3: messages.writer, the process streaming a message (ProcessIdentity).
// Version 4: answer versions: messages form a tree (parent_id, 0 for a conversation's first
//            message); the messages following one message are its versions, `chosen` marks
//            the one shown, and `shown` marks the path the conversation shows (the chosen
//            version at every turn), so reading a conversation stays one indexed scan. Older
//            messages become a single chain. Also messages.connection, the named connection
//            that answered (NULL: "From your settings").

namespace qlaude {
namespace HistorySchema {

constexpr int kCurrentVersion = 4;

// PRAGMA user_version, or -1 with *error set (for example when the file is not a database).
int version(const QSqlDatabase &db, QString *error);

// Whether the file holds tables although its version is 0: someone else's database.
bool hasUnversionedTables(const QSqlDatabase &db, bool *ok, QString *error);

// Applies every migration after the stored version, in order. The caller has refused versions
// newer than kCurrentVersion before.
bool migrate(const QSqlDatabase &db, QString *error);

// Messages still marked streaming whose writer process is gone were cut off by a crash or a
// kill: marks them interrupted, folds their committed chunks into their blocks and indexes
// their text. Returns how many it recovered, or -1 with *error set.
int recoverInterruptedStreams(const QSqlDatabase &db, QString *error);

// Marks the conversation's shown path again after a version was chosen, added or removed:
// from the chosen first message, the chosen message following each one.
bool updateShownPath(const QSqlDatabase &db, qint64 conversationId, QString *error);

} // namespace HistorySchema
} // namespace qlaude
