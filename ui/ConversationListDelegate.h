#pragma once

#include <QStyledItemDelegate>

namespace qlaude {

// Two lines per conversation: the title, then when it last changed or, for a search hit, the
// matching excerpt with the matched words in bold.
class ConversationListDelegate : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY(ConversationListDelegate)
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    void updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const override;

    // The snippet without its markers, and where the matches are in it.
    struct Snippet
    {
        QString text;
        QList<QPair<int, int>> matches; // start, length
    };
    static Snippet parseSnippet(const QString &marked);
};

} // namespace qlaude
