#pragma once

#include "StoredTypes.h"

#include <QAbstractListModel>
#include <QHash>
#include <QList>
#include <QSet>
#include <QTimer>

namespace qlaude {

// One row of the message view: a stored message plus what only the view cares about.
struct MessageItem
{
    StoredMessage message;
    // Bumped on every change of the row; the delegate's layout cache is keyed by it.
    quint64 revision = 1;
    QSet<int> expandedThinking; // block indexes whose thinking the user opened
};

// The messages of the open conversation, one row each. Streamed deltas are buffered and
// folded in at most once per frame (kFrameIntervalMs), with one dataChanged() for the streaming
// row only, so the view re-lays out one message per frame whatever the history length.
class MessageModel : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY(MessageModel)
public:
    static constexpr int kFrameIntervalMs = 16;

    enum Roles
    {
        MessageIdRole = Qt::UserRole + 1,
        MessageRoleRole, // MessageRole as int
        StatusRole,      // MessageStatus as int
        RevisionRole,    // quint64
    };

    explicit MessageModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    void setMessages(QList<StoredMessage> messages);
    void clear();
    void appendMessage(const StoredMessage &message);
    // Drops rows from `row` to the end (before regenerate or edit-and-resend).
    void removeFrom(int row);
    // Replaces a row with its stored version (after a turn finished), keeping view state.
    void replaceMessage(const StoredMessage &message);
    // The message's version number and count (its "‹ 1/2 ›" switcher).
    void setVersion(qint64 messageId, int version, int versionCount);

    const MessageItem &item(int row) const { return m_items.at(row); }
    int rowOf(qint64 messageId) const { return m_rows.value(messageId, -1); }
    int lastRowWithRole(MessageRole role) const;

    // Streaming.
    // connection: the named connection answering ("" for "From your settings").
    void beginAssistant(qint64 messageId, const QString &model,
                        const QString &connection = QString());
    void startBlock(qint64 messageId, int index, const StoredBlock &start);
    void appendText(qint64 messageId, int index, const QString &delta);
    void setUsage(qint64 messageId, const StoredUsage &usage);
    void finish(qint64 messageId, MessageStatus status, const QString &errorText);
    qint64 streamingId() const { return m_streamingId; }
    // Folds buffered deltas in now (the frame timer does this on its own).
    void flushPending();
    bool hasPending() const { return !m_pending.isEmpty(); }

    void setThinkingExpanded(int row, int blockIndex, bool expanded);
    bool isThinkingExpanded(int row, int blockIndex) const;

    // Totals of the assistant messages, for the status line.
    StoredUsage conversationUsage() const;
    StoredUsage lastTurnUsage() const;

    // The message as text for the clipboard and screen readers.
    static QString plainText(const StoredMessage &message);

signals:
    // A batch of buffered deltas was folded into row `row` (once per frame at most).
    void streamFlushed(int row);

private:
    struct PendingDelta
    {
        int index;
        QString text;
    };
    void touch(int row);
    void reindex(int fromRow);
    StoredBlock &blockAt(StoredMessage &message, int index);

    QList<MessageItem> m_items;
    QHash<qint64, int> m_rows; // message id -> row
    qint64 m_streamingId = 0;
    QList<PendingDelta> m_pending;
    QTimer m_frameTimer;
};

} // namespace qlaude
