#include "MessageDelegate.h"

#include "ChatWindowStyle.h"
#include "MessageModel.h"

#include <QAbstractItemView>
#include <QAbstractTextDocumentLayout>
#include <QApplication>
#include <QPainter>
#include <QPainterPath>
#include <QSet>
#include <QStyle>
#include <QTextDocument>

#include <algorithm>

namespace qlaude {

namespace {

using chatstyle::mix;

void drawDocument(QPainter *painter, const QTextDocument &doc, QPoint pos, const QColor &color,
                  const QPalette &palette, const QRect &visible)
{
    painter->save();
    painter->translate(pos);
    QAbstractTextDocumentLayout::PaintContext ctx;
    ctx.palette = palette;
    ctx.palette.setColor(QPalette::Text, color);
    ctx.clip = QRectF(visible.translated(-pos));
    doc.documentLayout()->draw(painter, ctx);
    painter->restore();
}

// Parts are sorted by position: the first one that reaches below `top`.
QList<LayoutPart>::const_iterator firstVisible(const QList<LayoutPart> &parts, int top)
{
    return std::lower_bound(parts.cbegin(), parts.cend(), top,
                            [](const LayoutPart &p, int y) { return p.rect.bottom() < y; });
}

QString statusBadge(MessageStatus status)
{
    switch (status) {
    case MessageStatus::Stopped:
        return MessageDelegate::tr("Stopped");
    case MessageStatus::Interrupted:
        return MessageDelegate::tr("Interrupted");
    case MessageStatus::Error:
        return MessageDelegate::tr("Error");
    case MessageStatus::Streaming:
    case MessageStatus::Complete:
        break;
    }
    return QString();
}

QString authorName(MessageRole role)
{
    return role == MessageRole::User ? MessageDelegate::tr("You") : MessageDelegate::tr("Claude");
}

} // namespace

MessageDelegate::MessageDelegate(QObject *parent) : QStyledItemDelegate(parent)
{
    m_style = MessageStyle::fromFont(QApplication::font());
    setViewportWidth(m_viewportWidth);
}

void MessageDelegate::setFont(const QFont &font)
{
    m_style = MessageStyle::fromFont(font);
    m_textWidth = m_style.textWidth(m_viewportWidth);
    clearCaches();
}

void MessageDelegate::clearCaches()
{
    m_layouts.clear();
    m_heights.clear();
    m_reserve.clear();
}

bool MessageDelegate::setViewportWidth(int width)
{
    m_viewportWidth = qMax(1, width);
    const int text = m_style.textWidth(m_viewportWidth);
    if (text == m_textWidth)
        return false;
    m_textWidth = text;
    return true;
}

const MessageItem *MessageDelegate::itemFor(const QModelIndex &index) const
{
    const auto *model = qobject_cast<const MessageModel *>(index.model());
    if (!model || index.row() < 0 || index.row() >= model->rowCount())
        return nullptr;
    return &model->item(index.row());
}

const MessageLayout &MessageDelegate::layoutFor(const MessageItem &item) const
{
    const qint64 id = item.message.id;
    auto it = m_layouts.find(id);
    if (it == m_layouts.end()) {
        if (m_layouts.size() >= kMaxCachedLayouts)
            evict();
        it = m_layouts.insert(id, MessageLayout());
    }
    MessageLayout &layout = *it;
    if (layout.revision != item.revision || layout.textWidth != m_textWidth || layout.id != id) {
        MessageLayoutBuilder(m_style).update(layout, item, m_textWidth);
        ++m_stats.layouts;
        m_stats.segments += layout.segmentsLaidOut;
        m_stats.laidOut.insert(id);
        recordHeight(item, layout.height, true);
    }
    layout.lastUsed = ++m_clock;
    return layout;
}

void MessageDelegate::evict() const
{
    // Drop the least recently used quarter; their heights stay known, only the documents go.
    QList<QPair<quint64, qint64>> ages;
    ages.reserve(m_layouts.size());
    for (auto it = m_layouts.cbegin(); it != m_layouts.cend(); ++it) {
        if (m_reserve.contains(it.key()))
            continue; // streaming
        ages.append({it->lastUsed, it.key()});
    }
    std::sort(ages.begin(), ages.end());
    const int drop = qMin(int(ages.size()), kMaxCachedLayouts / 4);
    for (int i = 0; i < drop; ++i)
        m_layouts.remove(ages.at(i).second);
}

void MessageDelegate::recordHeight(const MessageItem &item, int content, bool exact) const
{
    const qint64 id = item.message.id;
    int height = content;
    if (item.message.status == MessageStatus::Streaming) {
        int &reserve = m_reserve[id];
        if (content > reserve)
            reserve = content + m_slack;
        height = reserve;
    } else {
        m_reserve.remove(id);
    }
    m_heights.insert(id, RowHeight{item.revision, m_textWidth, height, content, exact});
}

int MessageDelegate::rowHeight(const QModelIndex &index, bool exact) const
{
    const MessageItem *item = itemFor(index);
    if (!item)
        return 0;
    const auto h = m_heights.constFind(item->message.id);
    if (h != m_heights.cend() && h->revision == item->revision && h->textWidth == m_textWidth &&
        (h->exact || !exact))
        return h->height;
    const auto l = m_layouts.constFind(item->message.id);
    const bool haveLayout =
        l != m_layouts.cend() && l->revision == item->revision && l->textWidth == m_textWidth;
    if (exact || haveLayout || item->message.status == MessageStatus::Streaming) {
        layoutFor(*item);
        return m_heights.value(item->message.id).height;
    }
    const int estimate = MessageLayoutBuilder(m_style).estimateHeight(*item, m_textWidth);
    ++m_stats.estimates;
    m_stats.estimated.insert(item->message.id);
    recordHeight(*item, estimate, false);
    return m_heights.value(item->message.id).height;
}

bool MessageDelegate::isExact(const QModelIndex &index) const
{
    const MessageItem *item = itemFor(index);
    if (!item)
        return true;
    const auto h = m_heights.constFind(item->message.id);
    return h != m_heights.cend() && h->exact && h->revision == item->revision &&
           h->textWidth == m_textWidth;
}

int MessageDelegate::contentHeight(const QModelIndex &index) const
{
    const MessageItem *item = itemFor(index);
    if (!item)
        return 0;
    rowHeight(index, false);
    return m_heights.value(item->message.id).content;
}

QSize MessageDelegate::sizeHint(const QStyleOptionViewItem &, const QModelIndex &index) const
{
    // The width is the view's business: rows always span the viewport.
    ++m_stats.sizeHints;
    return QSize(1, rowHeight(index, false));
}

QList<MessageDelegate::HeaderButton> MessageDelegate::headerButtons(const QModelIndex &index,
                                                                    const QRect &row) const
{
    const auto *model = qobject_cast<const MessageModel *>(index.model());
    const MessageItem *item = itemFor(index);
    if (!model || !item)
        return {};
    const bool busy = model->streamingId() != 0;
    QList<HeaderButton> buttons;
    buttons.append({Hit::Kind::CopyMessage, tr("Copy"), QRect()});
    if (item->message.role == MessageRole::User && !busy)
        buttons.append({Hit::Kind::EditMessage, tr("Edit"), QRect()});
    if (item->message.role == MessageRole::Assistant && !busy &&
        index.row() == model->rowCount() - 1)
        buttons.append({Hit::Kind::Regenerate, tr("Regenerate"), QRect()});
    const QFontMetrics fm(m_style.smallFont);
    const int height = m_style.smallLineHeight + 6;
    const int top = row.y() + MessageStyle::kRowGap + MessageStyle::kPadding +
                    (m_style.boldLineHeight - height) / 2;
    int right = row.x() + m_style.contentLeft(m_viewportWidth) +
                m_style.contentWidth(m_viewportWidth) - MessageStyle::kPadding;
    for (int i = int(buttons.size()) - 1; i >= 0; --i) {
        const int width = fm.horizontalAdvance(buttons.at(i).text) + 16;
        buttons[i].rect = QRect(right - width, top, width, height);
        right -= width + 4;
    }
    return buttons;
}

MessageDelegate::VersionSwitcher MessageDelegate::versionSwitcher(const QModelIndex &index,
                                                                  const QRect &row) const
{
    VersionSwitcher s;
    const auto *model = qobject_cast<const MessageModel *>(index.model());
    const MessageItem *item = itemFor(index);
    if (!model || !item || item->message.versionCount < 2)
        return s;
    const StoredMessage &m = item->message;
    // Right of the author's name and status badge, as paint() places them.
    const QFontMetrics sm(m_style.smallFont);
    int x = row.x() + m_style.contentLeft(m_viewportWidth) + MessageStyle::kPadding +
            QFontMetrics(m_style.boldFont).horizontalAdvance(authorName(m.role)) + 8;
    if (const QString badge = statusBadge(m.status); !badge.isEmpty())
        x += sm.horizontalAdvance(badge) + 12 - 1 + 8; // pill.right() + 8
    const int height = m_style.smallLineHeight + 6;
    const int top = row.y() + MessageStyle::kRowGap + MessageStyle::kPadding +
                    (m_style.boldLineHeight - height) / 2;
    s.text = QStringLiteral("%1/%2").arg(m.version).arg(m.versionCount);
    s.previous = QRect(x, top, height, height);
    s.label = QRect(s.previous.right() + 1, top, sm.horizontalAdvance(s.text) + 8, height);
    s.next = QRect(s.label.right() + 1, top, height, height);
    const bool busy = model->streamingId() != 0;
    s.canGoBack = !busy && m.version > 1;
    s.canGoForward = !busy && m.version < m.versionCount;
    return s;
}

void MessageDelegate::paintVersionSwitcher(QPainter *painter, const QModelIndex &index,
                                           const VersionSwitcher &s, const QPalette &pal) const
{
    const QColor secondary = chatstyle::secondaryText(pal);
    painter->setFont(m_style.smallFont);
    painter->setPen(secondary);
    painter->drawText(s.label, Qt::AlignCenter, s.text);
    for (const bool back : {true, false}) {
        const QRect r = back ? s.previous : s.next;
        const bool enabled = back ? s.canGoBack : s.canGoForward;
        const bool hot =
            enabled && m_hoverIndex == index &&
            m_hover.kind == (back ? Hit::Kind::PreviousVersion : Hit::Kind::NextVersion);
        if (hot) {
            painter->setPen(Qt::NoPen);
            painter->setBrush(mix(pal.color(QPalette::Base), pal.color(QPalette::Highlight), 0.18));
            painter->drawRoundedRect(QRectF(r), 4, 4);
        }
        // A chevron drawn as a path, like the thinking toggle's.
        const QPointF c = QRectF(r).center();
        const qreal d = back ? 1.5 : -1.5;
        QPainterPath chevron;
        chevron.moveTo(c.x() + d, c.y() - 4);
        chevron.lineTo(c.x() - d, c.y());
        chevron.lineTo(c.x() + d, c.y() + 4);
        QColor color = hot ? pal.color(QPalette::Text) : secondary;
        if (!enabled)
            color.setAlphaF(0.35);
        painter->setPen(QPen(color, 1.5, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter->setBrush(Qt::NoBrush);
        painter->drawPath(chevron);
    }
}

QRect MessageDelegate::boxButtonRect(const QRect &box) const
{
    const QFontMetrics fm(m_style.smallFont);
    const int width =
        qMax(fm.horizontalAdvance(tr("Copy")), fm.horizontalAdvance(tr("Copied"))) + 16;
    const int height = m_style.smallLineHeight + 4;
    return QRect(box.right() - 5 - width, box.top() + (m_style.boxHeaderHeight - height) / 2, width,
                 height);
}

QString MessageDelegate::boxText(const BlockLayout &block, int box) const
{
    QStringList pieces;
    for (const QList<LayoutPart> *list : {&block.closed, &block.open}) {
        for (const LayoutPart &p : *list) {
            if (p.kind == LayoutPart::Kind::BoxPiece && p.box == box && !p.text.isEmpty())
                pieces.append(p.text);
        }
    }
    return pieces.join(QLatin1Char('\n'));
}

int MessageDelegate::boxOverflow(const BlockLayout &block, int box) const
{
    int overflow = 0;
    for (const QList<LayoutPart> *list : {&block.closed, &block.open}) {
        for (const LayoutPart &p : *list) {
            if (p.kind == LayoutPart::Kind::BoxPiece && p.box == box && p.scrolls)
                overflow = qMax(overflow,
                                p.contentWidth - (p.rect.width() - 2 * MessageStyle::kCodePadding));
        }
    }
    return overflow;
}

int MessageDelegate::boxOffset(qint64 messageId, int block, int box, int overflow) const
{
    if (overflow <= 0)
        return 0;
    return qBound(0, m_boxScroll.value({messageId, block << 16 | box}), overflow);
}

QRect MessageDelegate::scrollTrack(const QRect &lastPiece) const
{
    // In the box's bottom padding, under the last line: the box keeps its height.
    return QRect(lastPiece.left() + MessageStyle::kCodePadding, lastPiece.bottom() - 6,
                 lastPiece.width() - 2 * MessageStyle::kCodePadding, 5);
}

QRect MessageDelegate::scrollThumb(const QRect &track, const BoxScroll &scroll)
{
    if (scroll.range <= 0 || scroll.page <= 0)
        return QRect();
    const int total = scroll.page + scroll.range;
    const int width = qMax(24, int(qint64(track.width()) * scroll.page / total));
    const int travel = qMax(0, track.width() - width);
    const int x = track.left() + int(qint64(travel) * scroll.value / scroll.range);
    return QRect(x, track.top(), width, track.height());
}

MessageDelegate::BoxScroll MessageDelegate::boxScroll(const QModelIndex &index, int block,
                                                      int box) const
{
    BoxScroll s;
    const MessageItem *item = itemFor(index);
    if (!item)
        return s;
    const MessageLayout &layout = layoutFor(*item);
    if (block < 0 || block >= layout.blocks.size())
        return s;
    s.range = qMax(0, boxOverflow(layout.blocks.at(block), box));
    s.value = boxOffset(item->message.id, block, box, s.range);
    s.page = m_textWidth - 2 * MessageStyle::kCodePadding;
    return s;
}

bool MessageDelegate::setBoxScroll(const QModelIndex &index, int block, int box, int value)
{
    const MessageItem *item = itemFor(index);
    const BoxScroll now = boxScroll(index, block, box);
    if (!item || now.range <= 0)
        return false;
    const int v = qBound(0, value, now.range);
    m_boxScroll.insert({item->message.id, block << 16 | box}, v);
    return v != now.value;
}

bool MessageDelegate::scrollBoxes(const QModelIndex &index, int dx)
{
    const MessageItem *item = itemFor(index);
    if (!item)
        return false;
    const MessageLayout &layout = layoutFor(*item);
    bool any = false;
    for (int b = 0; b < layout.blocks.size(); ++b) {
        QSet<int> boxes;
        const BlockLayout &block = layout.blocks.at(b);
        for (const QList<LayoutPart> *list : {&block.closed, &block.open}) {
            for (const LayoutPart &p : *list) {
                if (p.kind == LayoutPart::Kind::BoxPiece && p.scrolls)
                    boxes.insert(p.box);
            }
        }
        for (int box : qAsConst(boxes)) {
            const BoxScroll scroll = boxScroll(index, b, box);
            if (scroll.range > 0) {
                setBoxScroll(index, b, box, scroll.value + dx);
                any = true;
            }
        }
    }
    return any;
}

void MessageDelegate::setHover(const QModelIndex &index, const Hit &hit)
{
    m_hoverIndex = index;
    m_hover = hit;
}

void MessageDelegate::setCopied(qint64 messageId, int block, int box)
{
    m_copiedId = messageId;
    m_copiedBlock = block;
    m_copiedBox = box;
}

MessageDelegate::Hit MessageDelegate::hitTest(const QModelIndex &index, const QRect &row,
                                              const QPoint &pos) const
{
    Hit hit;
    const MessageItem *item = itemFor(index);
    if (!item || !row.contains(pos))
        return hit;
    const VersionSwitcher switcher = versionSwitcher(index, row);
    if (switcher.canGoBack && switcher.previous.contains(pos))
        return Hit{Hit::Kind::PreviousVersion, -1, -1, QString(), switcher.previous};
    if (switcher.canGoForward && switcher.next.contains(pos))
        return Hit{Hit::Kind::NextVersion, -1, -1, QString(), switcher.next};
    for (const HeaderButton &b : headerButtons(index, row)) {
        if (b.rect.contains(pos)) {
            hit.kind = b.kind;
            hit.rect = b.rect;
            return hit;
        }
    }
    const MessageLayout &layout = layoutFor(*item);
    const int textLeft = row.x() + m_style.contentLeft(m_viewportWidth) + MessageStyle::kPadding;
    const int bodyTop = row.y() + m_style.bodyTop();
    for (int i = 0; i < layout.blocks.size(); ++i) {
        const BlockLayout &block = layout.blocks.at(i);
        const QPoint origin(textLeft, bodyTop + layout.blockTops.at(i));
        if (pos.y() < origin.y() || pos.y() >= origin.y() + block.height)
            continue;
        if (block.headerHeight > 0 && block.header.rect.translated(origin).contains(pos)) {
            hit.kind = Hit::Kind::ToggleThinking;
            hit.block = i;
            hit.rect = block.header.rect.translated(origin);
            return hit;
        }
        for (const QList<LayoutPart> *list : {&block.closed, &block.open}) {
            for (auto p = firstVisible(*list, pos.y() - origin.y()); p != list->cend(); ++p) {
                const QRect r = p->rect.translated(origin);
                if (r.top() > pos.y())
                    break;
                if (!r.contains(pos))
                    continue;
                if (p->kind == LayoutPart::Kind::BoxPiece && p->scrolls && p->last) {
                    // The bar's track, with a few pixels around it to grab.
                    const QRect track = scrollTrack(r);
                    if (track.adjusted(0, -4, 0, 3).contains(pos) &&
                        boxOverflow(block, p->box) > 0) {
                        hit.kind = Hit::Kind::BoxScrollBar;
                        hit.block = i;
                        hit.box = p->box;
                        hit.text = boxText(block, p->box);
                        hit.rect = track;
                        return hit;
                    }
                }
                if (p->kind == LayoutPart::Kind::BoxPiece) {
                    const bool button = p->first && p->copyable && boxButtonRect(r).contains(pos);
                    hit.kind = button ? Hit::Kind::CopyBox : Hit::Kind::InBox;
                    hit.block = i;
                    hit.box = p->box;
                    hit.text = boxText(block, p->box);
                    hit.rect = button ? boxButtonRect(r) : r;
                    return hit;
                }
                if (p->kind == LayoutPart::Kind::Prose && p->doc) {
                    const QString href = p->doc->documentLayout()->anchorAt(
                        QPointF(pos - r.topLeft() - p->docOffset));
                    if (!href.isEmpty()) {
                        hit.kind = Hit::Kind::Link;
                        hit.block = i;
                        hit.text = href;
                        hit.rect = r;
                        return hit;
                    }
                }
                return hit;
            }
        }
    }
    return hit;
}

void MessageDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                            const QModelIndex &index) const
{
    const MessageItem *item = itemFor(index);
    if (!item)
        return;
    const MessageLayout &layout = layoutFor(*item);
    const StoredMessage &m = item->message;
    const QPalette &pal = option.palette;
    // QListView keeps an item's height in a short: option.rect stops at 32,767 pixels, so a very
    // long message's true extent comes from its layout (its top is right).
    const QRect row(option.rect.topLeft(), QSize(option.rect.width(), layout.height));
    QRect visible = row;
    if (const auto *view = qobject_cast<const QAbstractItemView *>(option.widget))
        visible &= view->viewport()->rect();

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const int left = row.x() + m_style.contentLeft(m_viewportWidth);
    const int width = m_style.contentWidth(m_viewportWidth);
    const QRect bubble(left, row.y() + MessageStyle::kRowGap, width,
                       layout.height - 2 * MessageStyle::kRowGap);
    const bool selected = option.state & QStyle::State_Selected;
    const bool user = m.role == MessageRole::User;
    if (user || selected) {
        QColor fill = user ? chatstyle::userBubble(pal) : chatstyle::selectedRow(pal);
        if (user && selected)
            fill = mix(fill, pal.color(QPalette::Highlight), 0.12);
        painter->setPen(Qt::NoPen);
        painter->setBrush(fill);
        painter->drawRoundedRect(bubble, 10, 10);
    }

    // The author line: name, model and status, and the actions while hovered.
    const int textLeft = left + MessageStyle::kPadding;
    const int headerTop = row.y() + MessageStyle::kRowGap + MessageStyle::kPadding;
    const QFontMetrics bm(m_style.boldFont);
    const int baseline = headerTop + bm.ascent();
    painter->setFont(m_style.boldFont);
    painter->setPen(pal.color(QPalette::Text));
    const QString who = authorName(m.role);
    painter->drawText(QPoint(textLeft, baseline), who);
    int x = textLeft + bm.horizontalAdvance(who) + 8;
    painter->setFont(m_style.smallFont);
    const QFontMetrics sm(m_style.smallFont);
    const QColor secondary = chatstyle::secondaryText(pal);
    const QString badge = statusBadge(m.status);
    if (!badge.isEmpty()) {
        const QRect pill(x, headerTop + (m_style.boldLineHeight - sm.height() - 2) / 2,
                         sm.horizontalAdvance(badge) + 12, sm.height() + 2);
        painter->setPen(QPen(chatstyle::hairline(pal), 1));
        painter->setBrush(pal.color(QPalette::Base));
        painter->drawRoundedRect(QRectF(pill).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
        painter->setPen(pal.color(QPalette::Text));
        painter->drawText(pill, Qt::AlignCenter, badge);
        x = pill.right() + 8;
    }
    if (const VersionSwitcher switcher = versionSwitcher(index, row); !switcher.label.isEmpty()) {
        paintVersionSwitcher(painter, index, switcher, pal);
        painter->setFont(m_style.smallFont);
        x = switcher.next.right() + 8;
    }
    const bool hovered = option.state & QStyle::State_MouseOver;
    const QList<HeaderButton> buttons = hovered ? headerButtons(index, row) : QList<HeaderButton>();
    const int modelRight =
        buttons.isEmpty() ? left + width - MessageStyle::kPadding : buttons.first().rect.left() - 8;
    const QString detail = user ? QString() : headerDetail(m);
    if (!detail.isEmpty() && modelRight > x) {
        painter->setPen(secondary);
        painter->drawText(QPoint(x, baseline),
                          sm.elidedText(detail, Qt::ElideRight, modelRight - x));
    }
    for (const HeaderButton &b : buttons) {
        const bool hot = m_hoverIndex == index && m_hover.kind == b.kind;
        painter->setPen(QPen(chatstyle::hairline(pal), 1));
        painter->setBrush(hot ? mix(pal.color(QPalette::Base), pal.color(QPalette::Highlight), 0.18)
                              : pal.color(QPalette::Base));
        painter->drawRoundedRect(QRectF(b.rect).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
        painter->setPen(pal.color(QPalette::Text));
        painter->drawText(b.rect, Qt::AlignCenter, b.text);
    }

    const int bodyTop = row.y() + m_style.bodyTop();
    for (int i = 0; i < layout.blocks.size(); ++i) {
        const BlockLayout &block = layout.blocks.at(i);
        const QPoint origin(textLeft, bodyTop + layout.blockTops.at(i));
        if (block.height == 0 || origin.y() > visible.bottom() ||
            origin.y() + block.height < visible.top())
            continue;
        paintBlock(painter, block, i, origin, visible, pal, m.id);
    }
    if (layout.footerDoc)
        paintFooter(painter, layout, QPoint(textLeft, bodyTop + layout.footerTop), visible, pal);
    painter->restore();
}

void MessageDelegate::paintBlock(QPainter *painter, const BlockLayout &block, int blockIndex,
                                 QPoint origin, const QRect &visible, const QPalette &pal,
                                 qint64 messageId) const
{
    if (block.headerHeight > 0) {
        const QRect r = block.header.rect.translated(origin);
        const QColor secondary = chatstyle::secondaryText(pal);
        const bool expanded = block.expanded;
        // A chevron drawn as a path, so it does not depend on the font having the glyph.
        const int cy = r.center().y();
        const int cx = r.left() + 5;
        QPainterPath chevron;
        if (expanded) {
            chevron.moveTo(cx - 4, cy - 2);
            chevron.lineTo(cx, cy + 2);
            chevron.lineTo(cx + 4, cy - 2);
        } else {
            chevron.moveTo(cx - 2, cy - 4);
            chevron.lineTo(cx + 2, cy);
            chevron.lineTo(cx - 2, cy + 4);
        }
        painter->setPen(QPen(secondary, 1.5, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter->setBrush(Qt::NoBrush);
        painter->drawPath(chevron);
        painter->setFont(m_style.boldFont);
        const QFontMetrics bm(m_style.boldFont);
        const int x = r.left() + MessageStyle::kThinkingIndent;
        painter->drawText(QRect(x, r.top(), r.right() - x, r.height()),
                          Qt::AlignLeft | Qt::AlignVCenter, block.header.label);
        if (!block.header.detail.isEmpty()) {
            const int dx = x + bm.horizontalAdvance(block.header.label) + 10;
            painter->setFont(m_style.font);
            const QFontMetrics fm(m_style.font);
            painter->drawText(QRect(dx, r.top(), qMax(0, r.right() - dx), r.height()),
                              Qt::AlignLeft | Qt::AlignVCenter,
                              fm.elidedText(block.header.detail, Qt::ElideRight, r.right() - dx));
        }
        if (block.ruleTop >= 0 && block.height > block.ruleTop) {
            painter->setPen(QPen(chatstyle::hairline(pal), 2));
            painter->drawLine(QPoint(origin.x() + 5, origin.y() + block.ruleTop + 2),
                              QPoint(origin.x() + 5, origin.y() + block.height - 2));
        }
    }
    for (const QList<LayoutPart> *list : {&block.closed, &block.open}) {
        for (auto p = firstVisible(*list, visible.top() - origin.y()); p != list->cend(); ++p) {
            if (p->rect.top() + origin.y() > visible.bottom())
                break;
            paintPart(painter, block, *p, blockIndex, origin, visible, pal, messageId);
        }
    }
}

void MessageDelegate::paintPart(QPainter *painter, const BlockLayout &block, const LayoutPart &part,
                                int blockIndex, QPoint origin, const QRect &visible,
                                const QPalette &pal, qint64 messageId) const
{
    const QRect r = part.rect.translated(origin);
    if (!r.intersects(visible))
        return;
    const QColor text = part.secondary ? chatstyle::secondaryText(pal) : pal.color(QPalette::Text);
    switch (part.kind) {
    case LayoutPart::Kind::Prose:
    case LayoutPart::Kind::Note:
        if (!part.quoteBars.isEmpty()) {
            painter->save();
            painter->setPen(Qt::NoPen);
            painter->setBrush(chatstyle::quoteBar(pal));
            for (const QRect &bar : part.quoteBars)
                painter->drawRoundedRect(QRectF(bar.translated(r.topLeft() + part.docOffset)), 1.5,
                                         1.5);
            painter->restore();
        }
        if (part.doc)
            drawDocument(painter, *part.doc, r.topLeft() + part.docOffset, text, pal, visible);
        return;
    case LayoutPart::Kind::BoxPiece: {
        const bool hot = m_hover.kind == Hit::Kind::CopyBox && m_hover.block == blockIndex &&
                         m_hover.box == part.box && m_hoverIndex.isValid() &&
                         m_hoverIndex.data(MessageModel::MessageIdRole).toLongLong() == messageId;
        const bool copied =
            m_copiedId == messageId && m_copiedBlock == blockIndex && m_copiedBox == part.box;
        paintBox(painter, part, r, pal, hot, copied);
        if (part.scrolls)
            paintCode(painter, block, part, blockIndex, r, visible, pal, messageId);
        else if (part.doc)
            drawDocument(painter, *part.doc, r.topLeft() + part.docOffset,
                         pal.color(QPalette::Text), pal, visible);
        return;
    }
    case LayoutPart::Kind::ThinkingHeader:
        return; // drawn with its block
    }
}

void MessageDelegate::paintCode(QPainter *painter, const BlockLayout &block, const LayoutPart &part,
                                int blockIndex, const QRect &r, const QRect &visible,
                                const QPalette &pal, qint64 messageId) const
{
    BoxScroll scroll;
    scroll.range = boxOverflow(block, part.box);
    scroll.value = boxOffset(messageId, blockIndex, part.box, scroll.range);
    scroll.page = r.width() - 2 * MessageStyle::kCodePadding;
    if (part.doc) {
        // Lines run under the box's side padding as they scroll, not over its border.
        const int top = part.first ? m_style.boxHeaderHeight + 1 : 0;
        const QRect clip = QRect(r.left() + 1, r.top() + top, r.width() - 2, r.height() - top);
        painter->save();
        painter->setClipRect(clip & visible);
        drawDocument(painter, *part.doc, r.topLeft() + part.docOffset - QPoint(scroll.value, 0),
                     pal.color(QPalette::Text), pal, clip & visible);
        painter->restore();
    }
    if (!part.last || scroll.range <= 0)
        return;
    const QRect track = scrollTrack(r);
    const QRect thumb = scrollThumb(track, scroll);
    painter->save();
    painter->setPen(Qt::NoPen);
    painter->setBrush(chatstyle::codeHeader(pal));
    painter->drawRoundedRect(QRectF(track), 2.5, 2.5);
    painter->setBrush(
        chatstyle::mix(chatstyle::secondaryText(pal), chatstyle::codeBackground(pal), 0.25));
    painter->drawRoundedRect(QRectF(thumb), 2.5, 2.5);
    painter->restore();
}

void MessageDelegate::paintBox(QPainter *painter, const LayoutPart &part, const QRect &r,
                               const QPalette &pal, bool hovered, bool copied) const
{
    // A box may be cut into slices; each slice draws its part of one rounded rectangle.
    constexpr qreal radius = 6;
    const QRectF whole = QRectF(r).adjusted(0.5, part.first ? 0.5 : -2 * radius, -0.5,
                                            part.last ? -0.5 : 2 * radius);
    painter->save();
    painter->setClipRect(r);
    painter->setPen(QPen(chatstyle::hairline(pal), 1));
    painter->setBrush(chatstyle::codeBackground(pal));
    painter->drawRoundedRect(whole, radius, radius);
    if (part.first) {
        const QRect header(r.left(), r.top(), r.width(), m_style.boxHeaderHeight);
        painter->setClipRect(header);
        painter->setBrush(chatstyle::codeHeader(pal));
        painter->drawRoundedRect(whole, radius, radius);
        painter->setClipping(false);
        painter->drawLine(QPointF(r.left() + 0.5, header.bottom() + 0.5),
                          QPointF(r.right() - 0.5, header.bottom() + 0.5));
        const QColor secondary = chatstyle::secondaryText(pal);
        painter->setFont(m_style.smallFont);
        const QFontMetrics sm(m_style.smallFont);
        const QRect button = boxButtonRect(r);
        int x = r.left() + MessageStyle::kCodePadding;
        const QString label = part.label.isEmpty() ? tr("Code") : part.label;
        painter->setPen(part.detail.isEmpty() ? secondary : pal.color(QPalette::Text));
        painter->drawText(QRect(x, header.top(), button.left() - x, header.height()),
                          Qt::AlignLeft | Qt::AlignVCenter, label);
        if (!part.detail.isEmpty()) {
            x += sm.horizontalAdvance(label) + 8;
            painter->setFont(m_style.monoFont);
            const QFontMetrics mm(m_style.monoFont);
            painter->drawText(
                QRect(x, header.top(), qMax(0, button.left() - 8 - x), header.height()),
                Qt::AlignLeft | Qt::AlignVCenter,
                mm.elidedText(part.detail, Qt::ElideRight, button.left() - 8 - x));
            painter->setFont(m_style.smallFont);
        }
        if (part.copyable) {
            painter->setPen(hovered ? QPen(chatstyle::hairline(pal), 1) : QPen(Qt::NoPen));
            painter->setBrush(hovered ? QBrush(pal.color(QPalette::Base)) : QBrush(Qt::NoBrush));
            painter->drawRoundedRect(QRectF(button).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
            painter->setPen(hovered || copied ? pal.color(QPalette::Text) : secondary);
            painter->drawText(button, Qt::AlignCenter, copied ? tr("Copied") : tr("Copy"));
        }
    }
    painter->restore();
}

void MessageDelegate::paintFooter(QPainter *painter, const MessageLayout &layout, QPoint origin,
                                  const QRect &visible, const QPalette &pal) const
{
    QStyle::StandardPixmap icon = QStyle::SP_MessageBoxInformation;
    QColor color = chatstyle::secondaryText(pal);
    switch (layout.footer) {
    case MessageLayout::Footer::Error:
        icon = QStyle::SP_MessageBoxCritical;
        color = pal.color(QPalette::Text);
        break;
    case MessageLayout::Footer::Stopped:
    case MessageLayout::Footer::Interrupted:
        icon = QStyle::SP_MessageBoxWarning;
        break;
    case MessageLayout::Footer::Waiting:
    case MessageLayout::Footer::None:
        break;
    }
    const int size = m_style.lineHeight;
    if (layout.footer != MessageLayout::Footer::Waiting) {
        const QIcon ic = QApplication::style()->standardIcon(icon);
        ic.paint(painter, QRect(origin.x(), origin.y(), size, size));
    }
    const int shift = layout.footer == MessageLayout::Footer::Waiting ? 0 : size + 6;
    drawDocument(painter, *layout.footerDoc, origin + QPoint(shift, 0), color, pal, visible);
}

QString MessageDelegate::headerDetail(const StoredMessage &m) const
{
    if (m.role == MessageRole::User)
        return QString();
    QString detail = m.model;
    // Which account answered, when it is not the one the window uses now.
    if (m.connection != m_currentConnection) {
        const QString via =
            tr("via %1").arg(m.connection.isEmpty() ? tr("From your settings") : m.connection);
        detail = detail.isEmpty() ? via : detail + QStringLiteral(" · ") + via;
    }
    return detail;
}

} // namespace qlaude
