#pragma once

#include "StoredTypes.h"

#include <QSqlDatabase>

class QSqlQuery;

// Mapping between the history's rows and the Stored* value types.

namespace qlaude {
namespace HistoryRows {

// "SELECT <every conversations column> FROM conversations ", for readConversation().
extern const char kConversationColumns[];
StoredConversation readConversation(const QSqlQuery &query);

// Loads the messages matching `where` (on alias m for messages, one `?` bound to key), in
// conversation order, with their blocks and their version numbers. The text of a message still
// streaming includes its committed chunks.
bool loadMessages(const QSqlDatabase &db, const QString &where, qint64 key,
                  QList<StoredMessage> *out, QString *error);

// Writes the blocks of a message (indexes 0..n-1) and its search text.
bool insertBlocks(const QSqlDatabase &db, qint64 messageId, const QList<StoredBlock> &blocks,
                  QString *error);

} // namespace HistoryRows
} // namespace qlaude
