#include "ConversationListModel.h"

#include "ConversationStore.h"

#include <QLocale>

namespace qlaude {

ConversationListModel::ConversationListModel(QObject *parent) : QAbstractListModel(parent) {}

void ConversationListModel::setStore(ConversationStore *store)
{
    m_store = store;
    reload();
}

void ConversationListModel::reload()
{
    QList<Row> rows;
    if (m_store && m_store->isOpen()) {
        if (isSearching()) {
            for (const SearchHit &h : m_store->search(m_search)) {
                if (!m_hidden.contains(h.conversationId))
                    rows.append(Row{h.conversationId, h.messageId, h.conversationTitle, h.snippet,
                                    QDateTime()});
            }
        } else {
            for (const StoredConversation &c : m_store->conversations()) {
                if (!m_hidden.contains(c.id))
                    rows.append(Row{c.id, 0, c.title, QString(), c.updatedAt});
            }
        }
    }
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

void ConversationListModel::setSearchText(const QString &text)
{
    if (text == m_search)
        return;
    m_search = text;
    reload();
}

void ConversationListModel::setHidden(qint64 conversationId, bool hidden)
{
    if (hidden)
        m_hidden.insert(conversationId);
    else
        m_hidden.remove(conversationId);
    reload();
}

int ConversationListModel::rowOf(qint64 conversationId) const
{
    for (int r = 0; r < m_rows.size(); ++r) {
        if (m_rows.at(r).id == conversationId)
            return r;
    }
    return -1;
}

qint64 ConversationListModel::conversationIdAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).id : 0;
}

QString ConversationListModel::titleOf(qint64 conversationId) const
{
    const int row = rowOf(conversationId);
    if (row >= 0)
        return m_rows.at(row).title;
    if (m_store) {
        if (const auto c = m_store->conversation(conversationId))
            return c->title;
    }
    return QString();
}

int ConversationListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QString ConversationListModel::relativeTime(const QDateTime &utc, const QDateTime &nowUtc)
{
    if (!utc.isValid())
        return QString();
    const QDateTime local = utc.toLocalTime();
    const QDate today = nowUtc.toLocalTime().date();
    const QLocale locale;
    const qint64 days = local.date().daysTo(today);
    if (days == 0) {
        // Hours and minutes are enough in a list (some locales' short format has seconds).
        QString format = locale.timeFormat(QLocale::ShortFormat);
        format.remove(QStringLiteral(":ss")).remove(QStringLiteral(".ss"));
        return locale.toString(local.time(), format);
    }
    if (days == 1)
        return tr("Yesterday");
    if (days > 1 && days < 7)
        return locale.dayName(local.date().dayOfWeek(), QLocale::LongFormat);
    return locale.toString(local.date(), QLocale::ShortFormat);
}

QVariant ConversationListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return QVariant();
    const Row &r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return r.title.isEmpty() ? tr("Untitled conversation") : r.title;
    case Qt::EditRole:
        return r.title;
    case Qt::ToolTipRole:
        return r.title;
    case Qt::AccessibleTextRole: {
        QString plain = r.snippet;
        plain.remove(SearchHit::kSnippetMatchBegin).remove(SearchHit::kSnippetMatchEnd);
        return plain.isEmpty()
                   ? tr("%1, %2").arg(r.title,
                                      relativeTime(r.updated, QDateTime::currentDateTimeUtc()))
                   : tr("%1: %2").arg(r.title, plain);
    }
    case ConversationIdRole:
        return r.id;
    case MessageIdRole:
        return r.messageId;
    case SnippetRole:
        return r.snippet;
    case UpdatedRole:
        return r.updated;
    case SubtitleRole:
        return isSearching() ? r.snippet : relativeTime(r.updated, QDateTime::currentDateTimeUtc());
    default:
        return QVariant();
    }
}

Qt::ItemFlags ConversationListModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable;
}

bool ConversationListModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !index.isValid() || !m_store)
        return false;
    const QString title = value.toString().simplified();
    Row &r = m_rows[index.row()];
    if (title.isEmpty() || title == r.title)
        return false;
    if (!m_store->renameConversation(r.id, title))
        return false;
    r.title = title;
    emit dataChanged(index, index);
    return true;
}

} // namespace qlaude
