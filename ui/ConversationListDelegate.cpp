#include "ConversationListDelegate.h"

#include "ChatWindowStyle.h"
#include "ConversationListModel.h"
#include "StoredTypes.h"

#include <QApplication>
#include <QPainter>
#include <QTextLayout>

namespace qlaude {

namespace {
constexpr int kHPad = 10;
constexpr int kVPad = 7;
constexpr int kLineGap = 2;

QFont smallFont(const QFont &base)
{
    QFont f = base;
    if (f.pointSizeF() > 0)
        f.setPointSizeF(f.pointSizeF() * 0.9);
    return f;
}
} // namespace

ConversationListDelegate::Snippet ConversationListDelegate::parseSnippet(const QString &marked)
{
    Snippet s;
    s.text.reserve(marked.size());
    int start = -1;
    for (const QChar c : marked) {
        if (c == SearchHit::kSnippetMatchBegin) {
            start = int(s.text.size());
        } else if (c == SearchHit::kSnippetMatchEnd) {
            if (start >= 0)
                s.matches.append({start, int(s.text.size()) - start});
            start = -1;
        } else {
            s.text += c == QLatin1Char('\n') ? QLatin1Char(' ') : c;
        }
    }
    return s;
}

QSize ConversationListDelegate::sizeHint(const QStyleOptionViewItem &option,
                                         const QModelIndex &) const
{
    const QFontMetrics title(option.font);
    const QFontMetrics small(smallFont(option.font));
    return QSize(120, kVPad + title.height() + kLineGap + small.height() + kVPad);
}

void ConversationListDelegate::updateEditorGeometry(QWidget *editor,
                                                    const QStyleOptionViewItem &option,
                                                    const QModelIndex &) const
{
    const QFontMetrics title(option.font);
    editor->setGeometry(option.rect.x() + kHPad - 4, option.rect.y() + kVPad - 4,
                        option.rect.width() - 2 * kHPad + 8, title.height() + 8);
}

QColor ConversationListDelegate::focusRingColor(const QPalette &palette, bool selected)
{
    // On the selection's fill, a lighter ring; elsewhere the selection colour.
    return selected ? chatstyle::mix(palette.color(QPalette::HighlightedText),
                                     palette.color(QPalette::Highlight), 0.35)
                    : palette.color(QPalette::Highlight);
}

ConversationListDelegate::Snippet
ConversationListDelegate::fitToLine(Snippet s, const QFontMetrics &metrics, int width)
{
    const QString ellipsis = QStringLiteral("…");
    if (!s.matches.isEmpty()) {
        const int start = s.matches.first().first;
        const int end = start + s.matches.first().second;
        if (metrics.horizontalAdvance(s.text.left(end) + ellipsis) > width) {
            // Cut the start until the middle of the match is at the middle of the line.
            const int middle = (start + end) / 2;
            int cut = 0;
            while (cut < start &&
                   metrics.horizontalAdvance(ellipsis + s.text.mid(cut, middle - cut)) > width / 2)
                ++cut;
            s.text = ellipsis + s.text.mid(cut);
            for (auto &m : s.matches)
                m.first = m.first - cut + int(ellipsis.size());
        }
    }
    s.text = metrics.elidedText(s.text, Qt::ElideRight, width);
    return s;
}

void ConversationListDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                                     const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    opt.text.clear();
    opt.icon = QIcon();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);
    if (opt.state & QStyle::State_HasFocus) {
        // Where the keyboard is: the current row of a focused list, outlined (the selection
        // alone does not say whether the list has the focus).
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(QPen(focusRingColor(opt.palette, opt.state & QStyle::State_Selected), 2));
        painter->setBrush(Qt::NoBrush);
        painter->drawRoundedRect(QRectF(opt.rect).adjusted(1.5, 1.5, -1.5, -1.5), 5, 5);
        painter->restore();
    }

    const bool selected = opt.state & QStyle::State_Selected;
    const QPalette &pal = opt.palette;
    const QColor text = pal.color(selected ? QPalette::HighlightedText : QPalette::Text);
    const QColor secondary = selected ? chatstyle::mix(pal.color(QPalette::HighlightedText),
                                                       pal.color(QPalette::Highlight), 0.3)
                                      : chatstyle::secondaryText(pal);
    const QRect r = opt.rect.adjusted(kHPad, kVPad, -kHPad, -kVPad);
    QFont titleFont = opt.font;
    titleFont.setWeight(QFont::Medium);
    const QFontMetrics tm(titleFont);
    const QFont small = smallFont(opt.font);
    const QFontMetrics sm(small);

    painter->save();
    painter->setFont(titleFont);
    painter->setPen(text);
    const QString title = index.data(Qt::DisplayRole).toString();
    painter->drawText(QRect(r.left(), r.top(), r.width(), tm.height()),
                      Qt::AlignLeft | Qt::AlignVCenter,
                      tm.elidedText(title, Qt::ElideRight, r.width()));

    const QRect second(r.left(), r.top() + tm.height() + kLineGap, r.width(), sm.height());
    const auto *model = qobject_cast<const ConversationListModel *>(index.model());
    if (model && model->isSearching()) {
        const Snippet s =
            fitToLine(parseSnippet(index.data(ConversationListModel::SnippetRole).toString()), sm,
                      second.width());
        const QString &elided = s.text;
        QTextLayout layout(elided, small);
        QList<QTextLayout::FormatRange> formats;
        for (const auto &m : qAsConst(s.matches)) {
            if (m.first < 0 || m.first >= elided.size())
                continue;
            QTextLayout::FormatRange f;
            f.start = m.first;
            f.length = qMin(m.second, int(elided.size()) - m.first);
            f.format.setFontWeight(QFont::Bold);
            f.format.setForeground(text);
            formats.append(f);
        }
        layout.setFormats(formats);
        layout.beginLayout();
        QTextLine line = layout.createLine();
        if (line.isValid())
            line.setLineWidth(second.width() + sm.averageCharWidth());
        layout.endLayout();
        painter->setPen(secondary);
        layout.draw(painter, second.topLeft());
    } else {
        painter->setFont(small);
        painter->setPen(secondary);
        painter->drawText(second, Qt::AlignLeft | Qt::AlignVCenter,
                          sm.elidedText(index.data(ConversationListModel::SubtitleRole).toString(),
                                        Qt::ElideRight, second.width()));
    }
    painter->restore();
}

} // namespace qlaude
