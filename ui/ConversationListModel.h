#pragma once

#include "StoredTypes.h"

#include <QAbstractListModel>
#include <QPointer>
#include <QSet>

namespace qlaude {

class ConversationStore;

// The sidebar's rows: every conversation, newest first, or the hits of a full-text search
// (one per conversation, best first, with a snippet). Conversations whose deletion can still be
// undone are hidden. Renaming a row (EditRole) renames the stored conversation.
class ConversationListModel : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY(ConversationListModel)
public:
    enum Roles
    {
        ConversationIdRole = Qt::UserRole + 1,
        MessageIdRole, // search hits: the best-matching message
        SnippetRole,   // search hits: the excerpt, matches between \x02 and \x03
        UpdatedRole,   // QDateTime, UTC
        SubtitleRole,  // what the second line says: a date or the snippet
    };

    explicit ConversationListModel(QObject *parent = nullptr);

    void setStore(ConversationStore *store);
    // Reads the list again (or runs the search again).
    void reload();
    // Empty: all conversations; otherwise the search hits.
    void setSearchText(const QString &text);
    QString searchText() const { return m_search; }
    bool isSearching() const { return !m_search.trimmed().isEmpty(); }
    void setHidden(qint64 conversationId, bool hidden);

    int rowOf(qint64 conversationId) const;
    qint64 conversationIdAt(int row) const;
    QString titleOf(qint64 conversationId) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    // "14:02", "Yesterday", "Monday", "3 Mar 2024": when a conversation last changed.
    static QString relativeTime(const QDateTime &utc, const QDateTime &nowUtc);

private:
    struct Row
    {
        qint64 id = 0;
        qint64 messageId = 0;
        QString title;
        QString snippet;
        QDateTime updated;
    };

    QPointer<ConversationStore> m_store;
    QList<Row> m_rows;
    QString m_search;
    QSet<qint64> m_hidden;
};

} // namespace qlaude
