#pragma once

#include <QFontMetrics>
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

    // The ring around the current row of a focused list.
    static QColor focusRingColor(const QPalette &palette, bool selected);

    // The snippet without its markers, and where the matches are in it.
    struct Snippet
    {
        QString text;
        QList<QPair<int, int>> matches; // start, length
    };
    static Snippet parseSnippet(const QString &marked);
    // The snippet as one line of `width` pixels shows it: when the first match would not fit,
    // the start is cut ("…") so that the match sits in the middle, whole; then the end is
    // elided. Match positions follow the cut.
    static Snippet fitToLine(Snippet snippet, const QFontMetrics &metrics, int width);
};

} // namespace qlaude
