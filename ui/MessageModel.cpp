#include "MessageModel.h"

#include <QCoreApplication>

namespace qlaude {

MessageModel::MessageModel(QObject *parent) : QAbstractListModel(parent)
{
    m_frameTimer.setSingleShot(true);
    m_frameTimer.setInterval(kFrameIntervalMs);
    m_frameTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_frameTimer, &QTimer::timeout, this, &MessageModel::flushPending);
}

int MessageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant MessageModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return QVariant();
    const MessageItem &it = m_items.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return plainText(it.message);
    case Qt::AccessibleTextRole: {
        const QString who = it.message.role == MessageRole::User
                                ? QCoreApplication::translate("MessageModel", "You")
                                : QCoreApplication::translate("MessageModel", "Claude");
        QString status;
        switch (it.message.status) {
        case MessageStatus::Stopped:
            status = QCoreApplication::translate("MessageModel", " (stopped)");
            break;
        case MessageStatus::Interrupted:
            status = QCoreApplication::translate("MessageModel", " (interrupted)");
            break;
        case MessageStatus::Error:
            status = QCoreApplication::translate("MessageModel", " (error: %1)")
                         .arg(it.message.errorText);
            break;
        case MessageStatus::Streaming:
            status = QCoreApplication::translate("MessageModel", " (writing)");
            break;
        case MessageStatus::Complete:
            break;
        }
        if (it.message.versionCount > 1)
            status += QCoreApplication::translate("MessageModel", " (version %1 of %2)")
                          .arg(it.message.version)
                          .arg(it.message.versionCount);
        return QStringLiteral("%1%2: %3").arg(who, status, plainText(it.message));
    }
    case MessageIdRole:
        return it.message.id;
    case MessageRoleRole:
        return int(it.message.role);
    case StatusRole:
        return int(it.message.status);
    case RevisionRole:
        return it.revision;
    default:
        return QVariant();
    }
}

void MessageModel::setMessages(QList<StoredMessage> messages)
{
    beginResetModel();
    m_pending.clear();
    m_frameTimer.stop();
    m_streamingId = 0;
    m_items.clear();
    m_items.reserve(messages.size());
    for (StoredMessage &m : messages) {
        if (m.status == MessageStatus::Streaming)
            m_streamingId = m.id;
        m_items.append(MessageItem{std::move(m), 1, {}});
    }
    reindex(0);
    endResetModel();
}

void MessageModel::clear()
{
    setMessages({});
}

void MessageModel::appendMessage(const StoredMessage &message)
{
    flushPending();
    const int row = int(m_items.size());
    beginInsertRows(QModelIndex(), row, row);
    m_items.append(MessageItem{message, 1, {}});
    m_rows.insert(message.id, row);
    endInsertRows();
}

void MessageModel::removeFrom(int row)
{
    if (row < 0 || row >= m_items.size())
        return;
    flushPending();
    beginRemoveRows(QModelIndex(), row, int(m_items.size()) - 1);
    for (int r = row; r < m_items.size(); ++r) {
        if (m_items.at(r).message.id == m_streamingId)
            m_streamingId = 0;
        m_rows.remove(m_items.at(r).message.id);
    }
    m_items.erase(m_items.begin() + row, m_items.end());
    endRemoveRows();
}

void MessageModel::replaceMessage(const StoredMessage &message)
{
    const int row = rowOf(message.id);
    if (row < 0)
        return;
    if (message.id == m_streamingId)
        flushPending();
    m_items[row].message = message;
    if (message.status != MessageStatus::Streaming && message.id == m_streamingId)
        m_streamingId = 0;
    touch(row);
}

void MessageModel::setVersion(qint64 messageId, int version, int versionCount)
{
    const int row = rowOf(messageId);
    if (row < 0)
        return;
    StoredMessage &m = m_items[row].message;
    if (m.version == version && m.versionCount == versionCount)
        return;
    m.version = version;
    m.versionCount = versionCount;
    touch(row);
}

int MessageModel::lastRowWithRole(MessageRole role) const
{
    for (int r = int(m_items.size()) - 1; r >= 0; --r) {
        if (m_items.at(r).message.role == role)
            return r;
    }
    return -1;
}

void MessageModel::beginAssistant(qint64 messageId, const QString &model, const QString &connection)
{
    StoredMessage m;
    m.id = messageId;
    m.role = MessageRole::Assistant;
    m.status = MessageStatus::Streaming;
    m.model = model;
    m.connection = connection;
    appendMessage(m);
    m_streamingId = messageId;
}

StoredBlock &MessageModel::blockAt(StoredMessage &message, int index)
{
    while (message.blocks.size() <= index)
        message.blocks.append(StoredBlock());
    return message.blocks[index];
}

void MessageModel::startBlock(qint64 messageId, int index, const StoredBlock &start)
{
    const int row = rowOf(messageId);
    if (row < 0 || index < 0)
        return;
    if (messageId == m_streamingId)
        flushPending(); // deltas of the previous block first
    blockAt(m_items[row].message, index) = start;
    touch(row);
}

void MessageModel::appendText(qint64 messageId, int index, const QString &delta)
{
    if (messageId != m_streamingId || index < 0 || delta.isEmpty())
        return;
    if (!m_pending.isEmpty() && m_pending.last().index == index)
        m_pending.last().text += delta;
    else
        m_pending.append(PendingDelta{index, delta});
    if (!m_frameTimer.isActive())
        m_frameTimer.start();
}

void MessageModel::flushPending()
{
    m_frameTimer.stop();
    if (m_pending.isEmpty())
        return;
    const int row = rowOf(m_streamingId);
    if (row < 0) {
        m_pending.clear();
        return;
    }
    StoredMessage &m = m_items[row].message;
    for (const PendingDelta &d : qAsConst(m_pending))
        blockAt(m, d.index).text += d.text;
    m_pending.clear();
    touch(row);
    emit streamFlushed(row);
}

void MessageModel::setUsage(qint64 messageId, const StoredUsage &usage)
{
    const int row = rowOf(messageId);
    if (row < 0)
        return;
    // Usage is not drawn in the row: no dataChanged, no re-layout.
    m_items[row].message.usage = usage;
}

void MessageModel::finish(qint64 messageId, MessageStatus status, const QString &errorText)
{
    const int row = rowOf(messageId);
    if (row < 0)
        return;
    if (messageId == m_streamingId) {
        flushPending();
        m_streamingId = 0;
    }
    m_items[row].message.status = status;
    m_items[row].message.errorText = errorText;
    touch(row);
}

void MessageModel::setThinkingExpanded(int row, int blockIndex, bool expanded)
{
    if (row < 0 || row >= m_items.size())
        return;
    QSet<int> &set = m_items[row].expandedThinking;
    if (set.contains(blockIndex) == expanded)
        return;
    if (expanded)
        set.insert(blockIndex);
    else
        set.remove(blockIndex);
    touch(row);
}

bool MessageModel::isThinkingExpanded(int row, int blockIndex) const
{
    return row >= 0 && row < m_items.size() &&
           m_items.at(row).expandedThinking.contains(blockIndex);
}

StoredUsage MessageModel::conversationUsage() const
{
    StoredUsage total;
    for (const MessageItem &it : m_items) {
        const StoredUsage &u = it.message.usage;
        total.inputTokens += u.inputTokens;
        total.outputTokens += u.outputTokens;
        total.cacheReadInputTokens += u.cacheReadInputTokens;
        total.cacheCreationInputTokens += u.cacheCreationInputTokens;
    }
    return total;
}

StoredUsage MessageModel::lastTurnUsage() const
{
    const int row = lastRowWithRole(MessageRole::Assistant);
    return row < 0 ? StoredUsage() : m_items.at(row).message.usage;
}

QString MessageModel::plainText(const StoredMessage &message)
{
    QStringList parts;
    for (const StoredBlock &b : message.blocks) {
        switch (b.type) {
        case BlockType::Text:
            if (!b.text.isEmpty())
                parts.append(b.text);
            break;
        case BlockType::ToolUse:
            parts.append(QStringLiteral("[%1] %2").arg(b.toolName, QString::fromUtf8(b.json)));
            break;
        case BlockType::ToolResult:
            parts.append(b.text.isEmpty() ? QString::fromUtf8(b.json) : b.text);
            break;
        case BlockType::Thinking:
        case BlockType::RedactedThinking:
        case BlockType::Other:
            break;
        }
    }
    return parts.join(QStringLiteral("\n\n"));
}

void MessageModel::touch(int row)
{
    ++m_items[row].revision;
    const QModelIndex i = index(row);
    emit dataChanged(i, i);
}

void MessageModel::reindex(int fromRow)
{
    if (fromRow == 0)
        m_rows.clear();
    for (int r = fromRow; r < m_items.size(); ++r)
        m_rows.insert(m_items.at(r).message.id, r);
}

} // namespace qlaude
