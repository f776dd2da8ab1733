#include "StreamWriteBuffer.h"

#include "HistorySql.h"

#include <QSqlQuery>
#include <QVariant>

namespace qlaude {

namespace {

// Prepared on first use: a typical flush only appends chunks.
struct LazyQuery
{
    explicit LazyQuery(const QSqlDatabase &db) : query(db) {}

    bool ensure(const char *sql, QString *error)
    {
        prepared = prepared || HistorySql::prepare(query, QString::fromLatin1(sql), error);
        return prepared;
    }

    QSqlQuery query;
    bool prepared = false;
};

} // namespace

void StreamWriteBuffer::addStream(qint64 messageId, qint64 conversationId)
{
    Stream stream;
    stream.conversationId = conversationId;
    m_streams.insert(messageId, stream);
}

void StreamWriteBuffer::removeStream(qint64 messageId)
{
    m_streams.remove(messageId);
}

QList<qint64> StreamWriteBuffer::streamsOfConversation(qint64 conversationId) const
{
    QList<qint64> ids;
    for (auto it = m_streams.cbegin(); it != m_streams.cend(); ++it) {
        if (it->conversationId == conversationId)
            ids.append(it.key());
    }
    return ids;
}

StreamWriteBuffer::Block *StreamWriteBuffer::block(qint64 messageId, int blockIndex, QString *error)
{
    auto stream = m_streams.find(messageId);
    if (stream == m_streams.end()) {
        *error = QStringLiteral("Message %1 is not being streamed.").arg(messageId);
        return nullptr;
    }
    auto found = stream->blocks.find(blockIndex);
    if (found == stream->blocks.end()) {
        *error = QStringLiteral("Block %1 of message %2 was never started.")
                     .arg(blockIndex)
                     .arg(messageId);
        return nullptr;
    }
    return &found->second;
}

bool StreamWriteBuffer::startBlock(qint64 messageId, int blockIndex, const StoredBlock &start,
                                   QString *error)
{
    auto stream = m_streams.find(messageId);
    if (stream == m_streams.end()) {
        *error = QStringLiteral("Message %1 is not being streamed.").arg(messageId);
        return false;
    }
    if (blockIndex < 0 || stream->blocks.count(blockIndex)) {
        *error = QStringLiteral("Block %1 of message %2 was already started or is invalid.")
                     .arg(blockIndex)
                     .arg(messageId);
        return false;
    }
    Block block;
    block.start = start;
    stream->blocks.emplace(blockIndex, block);
    m_pending = true;
    return true;
}

bool StreamWriteBuffer::appendText(qint64 messageId, int blockIndex, QStringView delta,
                                   QString *error)
{
    Block *target = block(messageId, blockIndex, error);
    if (!target)
        return false;
    const BlockType type = target->start.type;
    if (type != BlockType::Text && type != BlockType::Thinking) {
        *error = QStringLiteral("Block %1 of message %2 is a %3 block, which takes no text deltas.")
                     .arg(blockIndex)
                     .arg(messageId)
                     .arg(blockTypeName(type));
        return false;
    }
    if (delta.isEmpty())
        return true;
    target->pendingText.append(delta);
    m_pending = true;
    return true;
}

bool StreamWriteBuffer::setSignature(qint64 messageId, int blockIndex, const QString &signature,
                                     QString *error)
{
    Block *target = block(messageId, blockIndex, error);
    if (!target)
        return false;
    target->start.signature = signature;
    target->signatureDirty = true;
    m_pending = true;
    return true;
}

bool StreamWriteBuffer::setJson(qint64 messageId, int blockIndex, const QByteArray &json,
                                QString *error)
{
    Block *target = block(messageId, blockIndex, error);
    if (!target)
        return false;
    target->start.json = json;
    target->jsonDirty = true;
    m_pending = true;
    return true;
}

bool StreamWriteBuffer::setUsage(qint64 messageId, const StoredUsage &usage, QString *error)
{
    auto stream = m_streams.find(messageId);
    if (stream == m_streams.end()) {
        *error = QStringLiteral("Message %1 is not being streamed.").arg(messageId);
        return false;
    }
    stream->usage = usage;
    stream->usageDirty = true;
    m_pending = true;
    return true;
}

bool StreamWriteBuffer::flush(const QSqlDatabase &db, QString *error)
{
    if (!m_pending)
        return true;
    HistorySql::WriteTransaction transaction(db);
    if (!transaction.begin(error) || !writePending(db, error) || !transaction.commit(error))
        return false;
    markCommitted();
    return true;
}

bool StreamWriteBuffer::writePending(const QSqlDatabase &db, QString *error) const
{
    using HistorySql::exec;
    LazyQuery insertBlock(db);
    LazyQuery insertChunk(db);
    LazyQuery updateSignature(db);
    LazyQuery updateJson(db);
    LazyQuery updateUsage(db);
    auto ensure = [error](LazyQuery &lazy, const char *sql) { return lazy.ensure(sql, error); };

    for (auto stream = m_streams.cbegin(); stream != m_streams.cend(); ++stream) {
        const qint64 messageId = stream.key();
        for (const auto &[index, block] : stream->blocks) {
            if (!block.persisted) {
                if (!ensure(insertBlock,
                            "INSERT INTO content_blocks (message_id, block_index, type, text, "
                            "signature, tool_id, tool_name, json, is_error) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"))
                    return false;
                const StoredBlock &start = block.start;
                insertBlock.query.addBindValue(messageId);
                insertBlock.query.addBindValue(index);
                insertBlock.query.addBindValue(blockTypeName(start.type));
                insertBlock.query.addBindValue(HistorySql::text(start.text));
                insertBlock.query.addBindValue(HistorySql::text(start.signature));
                insertBlock.query.addBindValue(HistorySql::text(start.toolId));
                insertBlock.query.addBindValue(HistorySql::text(start.toolName));
                insertBlock.query.addBindValue(HistorySql::text(start.json));
                insertBlock.query.addBindValue(start.isError ? 1 : 0);
                if (!exec(insertBlock.query, error))
                    return false;
            } else {
                if (block.signatureDirty) {
                    if (!ensure(updateSignature, "UPDATE content_blocks SET signature = ? "
                                                 "WHERE message_id = ? AND block_index = ?"))
                        return false;
                    updateSignature.query.addBindValue(HistorySql::text(block.start.signature));
                    updateSignature.query.addBindValue(messageId);
                    updateSignature.query.addBindValue(index);
                    if (!exec(updateSignature.query, error))
                        return false;
                }
                if (block.jsonDirty) {
                    if (!ensure(updateJson, "UPDATE content_blocks SET json = ? "
                                            "WHERE message_id = ? AND block_index = ?"))
                        return false;
                    updateJson.query.addBindValue(HistorySql::text(block.start.json));
                    updateJson.query.addBindValue(messageId);
                    updateJson.query.addBindValue(index);
                    if (!exec(updateJson.query, error))
                        return false;
                }
            }
            if (!block.pendingText.isEmpty()) {
                if (!ensure(insertChunk, "INSERT INTO block_chunks (message_id, block_index, "
                                         "seq, text) VALUES (?, ?, ?, ?)"))
                    return false;
                insertChunk.query.addBindValue(messageId);
                insertChunk.query.addBindValue(index);
                insertChunk.query.addBindValue(block.nextSeq);
                insertChunk.query.addBindValue(HistorySql::text(block.pendingText));
                if (!exec(insertChunk.query, error))
                    return false;
            }
        }
        if (stream->usageDirty) {
            if (!ensure(updateUsage,
                        "UPDATE messages SET input_tokens = ?, output_tokens = ?, "
                        "cache_read_tokens = ?, cache_creation_tokens = ? WHERE id = ?"))
                return false;
            const StoredUsage &usage = stream->usage;
            updateUsage.query.addBindValue(usage.inputTokens);
            updateUsage.query.addBindValue(usage.outputTokens);
            updateUsage.query.addBindValue(usage.cacheReadInputTokens);
            updateUsage.query.addBindValue(usage.cacheCreationInputTokens);
            updateUsage.query.addBindValue(messageId);
            if (!exec(updateUsage.query, error))
                return false;
        }
    }
    return true;
}

void StreamWriteBuffer::markCommitted()
{
    for (Stream &stream : m_streams) {
        for (auto &entry : stream.blocks) {
            Block &block = entry.second;
            block.persisted = true;
            block.signatureDirty = false;
            block.jsonDirty = false;
            if (!block.pendingText.isEmpty()) {
                ++block.nextSeq;
                // Keeps the allocation: the next batch is about as large as this one.
                block.pendingText.resize(0);
            }
        }
        stream.usageDirty = false;
    }
    m_pending = false;
}

} // namespace qlaude
