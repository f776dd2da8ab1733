#pragma once

#include "StoredTypes.h"

#include <QHash>
#include <QSqlDatabase>
#include <QStringView>

#include <map>

// What the streaming path of ConversationStore has received but not yet committed. Deltas are
// appended to an in-memory string per block; flush() writes, in one transaction, new block rows,
// one block_chunks row per block that grew, and any changed signature, tool input or usage. The
// cost of a flush depends on the batch only, never on how long the message already is.

namespace qlaude {

class StreamWriteBuffer
{
public:
    // Starts tracking a message whose row (status streaming) already exists.
    void addStream(qint64 messageId, qint64 conversationId);
    void removeStream(qint64 messageId);
    bool contains(qint64 messageId) const { return m_streams.contains(messageId); }
    QList<qint64> streamIds() const { return m_streams.keys(); }
    QList<qint64> streamsOfConversation(qint64 conversationId) const;
    qint64 conversationOf(qint64 messageId) const
    {
        return m_streams.value(messageId).conversationId;
    }

    bool startBlock(qint64 messageId, int blockIndex, const StoredBlock &start, QString *error);
    bool appendText(qint64 messageId, int blockIndex, QStringView delta, QString *error);
    bool setSignature(qint64 messageId, int blockIndex, const QString &signature, QString *error);
    bool setJson(qint64 messageId, int blockIndex, const QByteArray &json, QString *error);
    bool setUsage(qint64 messageId, const StoredUsage &usage, QString *error);

    bool hasPendingWrites() const { return m_pending; }
    // Writes everything pending in one transaction and forgets it only once committed, so a
    // failed flush is retried whole by the next one.
    bool flush(const QSqlDatabase &db, QString *error);

private:
    struct Block
    {
        StoredBlock start; // the row written by the first flush after the block started
        bool persisted = false;
        QString pendingText;
        int nextSeq = 0;
        bool signatureDirty = false;
        bool jsonDirty = false;
    };
    struct Stream
    {
        qint64 conversationId = 0;
        std::map<int, Block> blocks;
        StoredUsage usage;
        bool usageDirty = false;
    };

    Block *block(qint64 messageId, int blockIndex, QString *error);
    bool writePending(const QSqlDatabase &db, QString *error) const;
    void markCommitted();

    QHash<qint64, Stream> m_streams;
    bool m_pending = false;
};

} // namespace qlaude
