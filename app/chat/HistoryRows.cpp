#include "HistoryRows.h"

#include "HistorySql.h"

#include <QHash>
#include <QPair>
#include <QSet>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <utility>

namespace qlaude {
namespace HistoryRows {

using HistorySql::exec;
using HistorySql::fromStoredTime;
using HistorySql::prepare;

namespace {

const char kMessageColumns[] =
    "SELECT m.id, m.conversation_id, m.position, m.role, m.status, m.error_text, m.model, "
    "m.stop_reason, m.input_tokens, m.output_tokens, m.cache_read_tokens, "
    "m.cache_creation_tokens, m.created_at, m.connection, m.parent_id FROM messages m ";

} // namespace

const char kConversationColumns[] =
    "SELECT id, title, created_at, updated_at, model, system_prompt, max_tokens, "
    "thinking_budget, settings_json FROM conversations ";

StoredConversation readConversation(const QSqlQuery &query)
{
    StoredConversation conversation;
    conversation.id = query.value(0).toLongLong();
    conversation.title = query.value(1).toString();
    conversation.createdAt = fromStoredTime(query.value(2).toLongLong());
    conversation.updatedAt = fromStoredTime(query.value(3).toLongLong());
    conversation.model = query.value(4).toString();
    conversation.systemPrompt = query.value(5).toString();
    conversation.maxTokens = query.value(6).toInt();
    conversation.thinkingBudget = query.value(7).toInt();
    conversation.settingsJson = query.value(8).toString().toUtf8();
    return conversation;
}

namespace {

// Sets version and versionCount. A shown message's other versions are all hidden (one version
// per turn is shown), so one query over the few hidden rows of each conversation answers every
// shown message; a hidden message (message() of another version) asks for the shown one too.
bool countVersions(const QSqlDatabase &db, QList<StoredMessage> *out, QString *error)
{
    QHash<qint64, QHash<qint64, QList<qint64>>> siblings; // conversation -> parent -> ids
    QSet<qint64> hidden;
    QSqlQuery query(db);
    query.setForwardOnly(true);
    for (const StoredMessage &message : std::as_const(*out)) {
        if (siblings.contains(message.conversationId))
            continue;
        QHash<qint64, QList<qint64>> &byParent = siblings[message.conversationId];
        if (!prepare(query,
                     QStringLiteral("SELECT parent_id, id FROM messages "
                                    "WHERE conversation_id = ? AND shown = 0"),
                     error))
            return false;
        query.addBindValue(message.conversationId);
        if (!exec(query, error))
            return false;
        while (query.next()) {
            byParent[query.value(0).toLongLong()].append(query.value(1).toLongLong());
            hidden.insert(query.value(1).toLongLong());
        }
        query.finish();
    }
    if (hidden.isEmpty())
        return true; // the common case: every message is the single version of its turn
    for (StoredMessage &message : *out) {
        QList<qint64> ids = siblings.value(message.conversationId).value(message.parentId);
        if (hidden.contains(message.id)) {
            QSqlQuery shown(db);
            shown.setForwardOnly(true);
            if (!prepare(shown,
                         QStringLiteral("SELECT id FROM messages WHERE conversation_id = ? "
                                        "AND parent_id = ? AND shown = 1"),
                         error))
                return false;
            shown.addBindValue(message.conversationId);
            shown.addBindValue(message.parentId);
            if (!exec(shown, error))
                return false;
            if (shown.next())
                ids.append(shown.value(0).toLongLong());
        }
        if (ids.isEmpty())
            continue;
        if (!ids.contains(message.id))
            ids.append(message.id);
        std::sort(ids.begin(), ids.end());
        message.version = int(ids.indexOf(message.id)) + 1;
        message.versionCount = int(ids.size());
    }
    return true;
}

// The three SELECTs of loadMessages, run inside its read transaction. A row that points at a
// message or block the earlier SELECTs did not return is skipped: in one snapshot that cannot
// happen, and text must never land on another message.
bool loadMessagesInSnapshot(const QSqlDatabase &db, const QString &where, qint64 key,
                            QList<StoredMessage> *out, QString *error)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!prepare(query,
                 QString::fromLatin1(kMessageColumns) + where +
                     QLatin1String(" ORDER BY m.position"),
                 error))
        return false;
    query.addBindValue(key);
    if (!exec(query, error))
        return false;
    QHash<qint64, qsizetype> indexById;
    while (query.next()) {
        StoredMessage message;
        message.id = query.value(0).toLongLong();
        message.conversationId = query.value(1).toLongLong();
        message.position = query.value(2).toInt();
        message.role = messageRoleFromName(query.value(3).toString()).value_or(MessageRole::User);
        message.status =
            messageStatusFromName(query.value(4).toString()).value_or(MessageStatus::Error);
        message.errorText = query.value(5).toString();
        message.model = query.value(6).toString();
        message.stopReason = query.value(7).toString();
        message.usage.inputTokens = query.value(8).toLongLong();
        message.usage.outputTokens = query.value(9).toLongLong();
        message.usage.cacheReadInputTokens = query.value(10).toLongLong();
        message.usage.cacheCreationInputTokens = query.value(11).toLongLong();
        message.createdAt = fromStoredTime(query.value(12).toLongLong());
        message.connection = query.value(13).toString();
        message.parentId = query.value(14).toLongLong();
        indexById.insert(message.id, out->size());
        out->append(message);
    }
    query.finish();
    if (out->isEmpty())
        return true;
    if (!countVersions(db, out, error))
        return false;

    // In the order the messages index walks (position, then the block's primary key), so
    // SQLite does not sort the blocks, text and all, in a temporary tree.
    QSqlQuery blocks(db);
    blocks.setForwardOnly(true);
    if (!prepare(blocks,
                 QStringLiteral("SELECT b.message_id, b.block_index, b.type, b.text, b.signature, "
                                "b.tool_id, b.tool_name, b.json, b.is_error FROM content_blocks b "
                                "JOIN messages m ON m.id = b.message_id ") +
                     where + QLatin1String(" ORDER BY m.position, b.block_index"),
                 error))
        return false;
    blocks.addBindValue(key);
    if (!exec(blocks, error))
        return false;
    // block_index -> position in the message's block list, for the chunk pass below.
    QHash<QPair<qint64, int>, qsizetype> blockPositions;
    while (blocks.next()) {
        const auto owner = indexById.constFind(blocks.value(0).toLongLong());
        if (owner == indexById.constEnd())
            continue;
        StoredMessage &message = (*out)[*owner];
        StoredBlock block;
        block.type = blockTypeFromName(blocks.value(2).toString()).value_or(BlockType::Other);
        block.text = blocks.value(3).toString();
        block.signature = blocks.value(4).toString();
        block.toolId = blocks.value(5).toString();
        block.toolName = blocks.value(6).toString();
        block.json = blocks.value(7).toString().toUtf8();
        block.isError = blocks.value(8).toBool();
        blockPositions.insert({message.id, blocks.value(1).toInt()}, message.blocks.size());
        message.blocks.append(block);
    }
    blocks.finish();

    // Text of a message still streaming, committed since its blocks were written.
    QSqlQuery chunks(db);
    chunks.setForwardOnly(true);
    if (!prepare(chunks,
                 QStringLiteral("SELECT c.message_id, c.block_index, c.text FROM block_chunks c "
                                "JOIN messages m ON m.id = c.message_id ") +
                     where + QLatin1String(" ORDER BY m.position, c.block_index, c.seq"),
                 error))
        return false;
    chunks.addBindValue(key);
    if (!exec(chunks, error))
        return false;
    while (chunks.next()) {
        const qint64 messageId = chunks.value(0).toLongLong();
        const auto owner = indexById.constFind(messageId);
        const auto block = blockPositions.constFind({messageId, chunks.value(1).toInt()});
        if (owner == indexById.constEnd() || block == blockPositions.constEnd())
            continue;
        (*out)[*owner].blocks[*block].text.append(chunks.value(2).toString());
    }
    return true;
}

} // namespace

bool loadMessages(const QSqlDatabase &db, const QString &where, qint64 key,
                  QList<StoredMessage> *out, QString *error)
{
    HistorySql::ReadTransaction snapshot(db);
    if (!snapshot.begin(error))
        return false;
    if (!loadMessagesInSnapshot(db, where, key, out, error)) {
        out->clear();
        return false;
    }
    return snapshot.commit(error);
}

bool insertBlocks(const QSqlDatabase &db, qint64 messageId, const QList<StoredBlock> &blocks,
                  QString *error)
{
    QSqlQuery insert(db);
    if (!prepare(insert,
                 QStringLiteral("INSERT INTO content_blocks (message_id, block_index, type, text, "
                                "signature, tool_id, tool_name, json, is_error) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 error))
        return false;
    for (qsizetype i = 0; i < blocks.size(); ++i) {
        const StoredBlock &block = blocks.at(i);
        insert.addBindValue(messageId);
        insert.addBindValue(int(i));
        insert.addBindValue(blockTypeName(block.type));
        insert.addBindValue(HistorySql::text(block.text));
        insert.addBindValue(HistorySql::text(block.signature));
        insert.addBindValue(HistorySql::text(block.toolId));
        insert.addBindValue(HistorySql::text(block.toolName));
        insert.addBindValue(HistorySql::text(block.json));
        insert.addBindValue(block.isError ? 1 : 0);
        if (!exec(insert, error))
            return false;
    }
    return HistorySql::reindexMessage(db, messageId, error);
}

} // namespace HistoryRows
} // namespace qlaude
