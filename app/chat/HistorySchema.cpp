#include "HistorySchema.h"

#include "HistorySql.h"
#include "ProcessIdentity.h"
#include "StoredTypes.h"

#include <QCoreApplication>
#include <QList>
#include <QSqlQuery>
#include <QVariant>

#include <iterator>
#include <utility>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::HistorySchema)
};
} // namespace
namespace HistorySchema {

namespace {

const char *const kVersion1[] = {
    R"(CREATE TABLE conversations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        model TEXT NOT NULL DEFAULT '',
        system_prompt TEXT NOT NULL DEFAULT '',
        max_tokens INTEGER NOT NULL DEFAULT 0,
        settings_json TEXT NOT NULL DEFAULT ''))",
    R"(CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        status TEXT NOT NULL
            CHECK (status IN ('complete', 'streaming', 'stopped', 'interrupted', 'error')),
        error_text TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        stop_reason TEXT NOT NULL DEFAULT '',
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        UNIQUE (conversation_id, position)))",
    R"(CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming')",
    R"(CREATE TABLE content_blocks (
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        block_index INTEGER NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('text', 'thinking', 'redacted_thinking',
                                           'tool_use', 'tool_result', 'other')),
        text TEXT NOT NULL DEFAULT '',
        signature TEXT NOT NULL DEFAULT '',
        tool_id TEXT NOT NULL DEFAULT '',
        tool_name TEXT NOT NULL DEFAULT '',
        json TEXT NOT NULL DEFAULT '',
        is_error INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (message_id, block_index)))",
    // Streaming appends one row per block per flush instead of rewriting the growing text, so
    // a flush costs O(batch). finish folds the rows into content_blocks.text.
    R"(CREATE TABLE block_chunks (
        message_id INTEGER NOT NULL,
        block_index INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (message_id, block_index, seq),
        FOREIGN KEY (message_id, block_index)
            REFERENCES content_blocks(message_id, block_index) ON DELETE CASCADE))",
};

const char *const kVersion2[] = {
    "ALTER TABLE messages ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE messages ADD COLUMN cache_creation_tokens INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE conversations ADD COLUMN thinking_budget INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX conversations_by_recency ON conversations(updated_at DESC, id DESC)",
    // rowid = messages.id. Only finished text is indexed (at finish or add), never chunks.
    R"(CREATE VIRTUAL TABLE message_search
        USING fts5(body, tokenize = 'unicode61 remove_diacritics 2'))",
    // Also runs for rows removed by ON DELETE CASCADE, so deleting a conversation or
    // truncating it cleans the index too.
    R"(CREATE TRIGGER message_search_forget AFTER DELETE ON messages BEGIN
        DELETE FROM message_search WHERE rowid = old.id;
    END)",
};

// The process streaming a message, so opening the history recovers only answers whose writer
// is gone (ProcessIdentity). Empty for every message written before.
const char *const kVersion3[] = {
    "ALTER TABLE messages ADD COLUMN writer TEXT NOT NULL DEFAULT ''",
};

// Answer versions and the answering connection. Every existing message follows the one
// before it in its conversation, so each has a single version and all are shown.
const char *const kVersion4[] = {
    "ALTER TABLE messages ADD COLUMN parent_id INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE messages ADD COLUMN chosen INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE messages ADD COLUMN shown INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE messages ADD COLUMN connection TEXT",
    R"(UPDATE messages SET parent_id = coalesce((SELECT p.id FROM messages p
        WHERE p.conversation_id = messages.conversation_id AND p.position < messages.position
        ORDER BY p.position DESC LIMIT 1), 0))",
    "CREATE INDEX messages_by_parent ON messages(conversation_id, parent_id)",
    // Reading a conversation's shown path, in order; it covers the joins that read its blocks
    // and chunks, so they need not visit the message rows.
    "CREATE INDEX messages_shown ON messages(conversation_id, shown, position)",
    // The versions not shown: few, so finding a shown message's other versions is cheap.
    "CREATE INDEX messages_hidden ON messages(conversation_id, parent_id) WHERE shown = 0",
};

bool backfillSearchIndex(const QSqlDatabase &db, QString *error)
{
    QSqlQuery ids(db);
    ids.setForwardOnly(true);
    if (!HistorySql::prepare(ids, QStringLiteral("SELECT id FROM messages WHERE status <> ?"),
                             error))
        return false;
    ids.addBindValue(messageStatusName(MessageStatus::Streaming));
    if (!HistorySql::exec(ids, error))
        return false;
    QList<qint64> messageIds;
    while (ids.next())
        messageIds.append(ids.value(0).toLongLong());
    ids.finish();
    for (qint64 id : std::as_const(messageIds)) {
        if (!HistorySql::reindexMessage(db, id, error))
            return false;
    }
    return true;
}

struct Migration
{
    int toVersion;
    const char *const *statements;
    size_t statementCount;
    bool (*afterStatements)(const QSqlDatabase &, QString *);
};

const Migration kMigrations[] = {
    {1, kVersion1, std::size(kVersion1), nullptr},
    {2, kVersion2, std::size(kVersion2), backfillSearchIndex},
    {3, kVersion3, std::size(kVersion3), nullptr},
    {4, kVersion4, std::size(kVersion4), nullptr},
};

static_assert(std::size(kMigrations) == kCurrentVersion, "one migration per schema version");

} // namespace

int version(const QSqlDatabase &db, QString *error)
{
    QSqlQuery query(db);
    if (!HistorySql::prepare(query, QStringLiteral("PRAGMA user_version"), error) ||
        !HistorySql::exec(query, error))
        return -1;
    if (!query.next()) {
        if (error)
            *error = Tr::tr("The chat history database did not report its version.");
        return -1;
    }
    return query.value(0).toInt();
}

bool hasUnversionedTables(const QSqlDatabase &db, bool *ok, QString *error)
{
    QSqlQuery query(db);
    *ok = HistorySql::prepare(query,
                              QStringLiteral("SELECT count(*) FROM sqlite_master "
                                             "WHERE name NOT LIKE 'sqlite_%'"),
                              error) &&
          HistorySql::exec(query, error) && query.next();
    return *ok && query.value(0).toInt() > 0;
}

bool migrate(const QSqlDatabase &db, QString *error)
{
    for (const Migration &migration : kMigrations) {
        HistorySql::WriteTransaction transaction(db);
        if (!transaction.begin(error))
            return false;
        // Read again under the write lock: another Qlaude may have migrated meanwhile.
        const int current = version(db, error);
        if (current < 0)
            return false;
        if (current >= migration.toVersion)
            continue;
        for (size_t i = 0; i < migration.statementCount; ++i) {
            if (!HistorySql::exec(db, QString::fromUtf8(migration.statements[i]), error))
                return false;
        }
        if (migration.afterStatements && !migration.afterStatements(db, error))
            return false;
        if (!HistorySql::exec(
                db, QStringLiteral("PRAGMA user_version = %1").arg(migration.toVersion), error))
            return false;
        if (!transaction.commit(error))
            return false;
    }
    return true;
}

int recoverInterruptedStreams(const QSqlDatabase &db, QString *error)
{
    HistorySql::WriteTransaction transaction(db);
    if (!transaction.begin(error))
        return -1;
    QSqlQuery streaming(db);
    streaming.setForwardOnly(true);
    if (!HistorySql::prepare(
            streaming, QStringLiteral("SELECT id, writer FROM messages WHERE status = ?"), error))
        return -1;
    streaming.addBindValue(messageStatusName(MessageStatus::Streaming));
    if (!HistorySql::exec(streaming, error))
        return -1;
    QList<qint64> ids;
    while (streaming.next()) {
        // Another Qlaude still writing this answer: its chunks keep arriving; leave it alone.
        if (!ProcessIdentity::isAlive(streaming.value(1).toString()))
            ids.append(streaming.value(0).toLongLong());
    }
    streaming.finish();
    if (ids.isEmpty())
        return 0;

    QSqlQuery mark(db);
    if (!HistorySql::prepare(mark, QStringLiteral("UPDATE messages SET status = ? WHERE id = ?"),
                             error))
        return -1;
    for (qint64 id : std::as_const(ids)) {
        if (!HistorySql::compactMessageText(db, id, error) ||
            !HistorySql::reindexMessage(db, id, error))
            return -1;
        mark.addBindValue(messageStatusName(MessageStatus::Interrupted));
        mark.addBindValue(id);
        if (!HistorySql::exec(mark, error))
            return -1;
    }
    if (!transaction.commit(error))
        return -1;
    return int(ids.size());
}

bool updateShownPath(const QSqlDatabase &db, qint64 conversationId, QString *error)
{
    // Only rows whose mark changes are written.
    QSqlQuery update(db);
    if (!HistorySql::prepare(
            update,
            QStringLiteral("WITH RECURSIVE path(id) AS ("
                           "SELECT id FROM messages WHERE conversation_id = ? AND parent_id = 0 "
                           "AND chosen = 1 UNION ALL SELECT m.id FROM messages m JOIN path "
                           "ON m.conversation_id = ? AND m.parent_id = path.id AND m.chosen = 1) "
                           "UPDATE messages SET shown = (id IN (SELECT id FROM path)) "
                           "WHERE conversation_id = ? AND shown <> (id IN (SELECT id FROM path))"),
            error))
        return false;
    update.addBindValue(conversationId);
    update.addBindValue(conversationId);
    update.addBindValue(conversationId);
    return HistorySql::exec(update, error);
}

} // namespace HistorySchema
} // namespace qlaude
