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
        Snippet s = parseSnippet(index.data(ConversationListModel::SnippetRole).toString());
        // Keep the first match in view: start a few characters before it when it is far in.
        if (!s.matches.isEmpty() &&
            sm.horizontalAdvance(s.text.left(s.matches.first().first + s.matches.first().second)) >
                second.width()) {
            const int cut = qMax(0, s.matches.first().first - 12);
            s.text = QStringLiteral("…") + s.text.mid(cut);
            for (auto &m : s.matches)
                m.first = m.first - cut + 1;
        }
        const QString elided = sm.elidedText(s.text, Qt::ElideRight, second.width());
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
