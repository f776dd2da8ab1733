#include "MessageView.h"

#include "MessageDelegate.h"
#include "MessageModel.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QDesktopServices>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QTimer>
#include <QUrl>
#include <QWheelEvent>

namespace qlaude {

namespace {
constexpr int kFollowTolerance = 8; // pixels from the end that still count as "at the end"
constexpr int kCopiedFeedbackMs = 1500;
constexpr int kBoxScrollStep = 48; // pixels per wheel notch or arrow key in a code box
} // namespace

MessageView::MessageView(QWidget *parent)
    : QListView(parent), m_delegate(new MessageDelegate(this)), m_empty(new QLabel(viewport())),
      m_jump(new QPushButton(tr("Jump to latest ↓"), this))
{
    setObjectName(QStringLiteral("messageListView"));
    setAccessibleName(tr("Messages"));
    setItemDelegate(m_delegate);
    m_delegate->setFont(font());
    setUniformItemSizes(false);
    setLayoutMode(QListView::SinglePass);
    setResizeMode(QListView::Fixed); // resizeEvent re-lays out around an anchor instead
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setFrameShape(QFrame::NoFrame);
    setSpacing(0);
    setMouseTracking(true);
    viewport()->setAttribute(Qt::WA_Hover);
    setBackgroundRole(QPalette::Base);
    viewport()->setBackgroundRole(QPalette::Base);

    m_empty->setObjectName(QStringLiteral("messageEmptyStateLabel"));
    m_empty->setAccessibleName(tr("No messages"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setTextFormat(Qt::RichText);
    m_empty->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_empty->setForegroundRole(QPalette::PlaceholderText);

    m_jump->setObjectName(QStringLiteral("jumpToLatestPushButton"));
    m_jump->setAccessibleName(tr("Jump to the latest message"));
    m_jump->setToolTip(tr("Scroll to the answer arriving now and follow it (End)"));
    m_jump->setCursor(Qt::PointingHandCursor);
    m_jump->setFocusPolicy(Qt::NoFocus); // End does the same from the keyboard
    m_jump->hide();
    connect(m_jump, &QPushButton::clicked, this, &MessageView::scrollToEnd);
}

void MessageView::updateJumpButton()
{
    const bool show = m_model && m_model->streamingId() != 0 && !m_following;
    if (show) {
        m_jump->adjustSize();
        const QRect area = viewport()->geometry();
        m_jump->move(area.right() - m_jump->width() - 16, area.bottom() - m_jump->height() - 12);
        m_jump->raise();
    }
    m_jump->setVisible(show);
}

void MessageView::setMessageModel(MessageModel *model)
{
    m_model = model;
    setModel(model);
    connect(model, &QAbstractItemModel::modelReset, this, [this] {
        m_delegate->clearCaches();
        updateEmptyState();
        scrollToEnd();
    });
    connect(model, &QAbstractItemModel::rowsRemoved, this, [this] {
        updateEmptyState();
        settle();
    });
    updateEmptyState();
}

void MessageView::setEmptyState(const QString &title, const QString &body)
{
    // The label is rich text: the two lines are escaped, then styled.
    const QString big = QStringLiteral("<p style=\"font-size:large; font-weight:600\">%1</p>")
                            .arg(title.toHtmlEscaped());
    QString small = body.toHtmlEscaped();
    small.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    m_empty->setText(big + QStringLiteral("<p>%1</p>").arg(small));
    m_empty->setAccessibleDescription(title + QLatin1Char('\n') + body);
    updateEmptyState();
}

void MessageView::updateEmptyState()
{
    const bool empty = !m_model || m_model->rowCount() == 0;
    m_empty->setVisible(empty);
    if (!empty)
        return;
    const int width = qMin(viewport()->width() - 48, 480);
    const int height = m_empty->heightForWidth(width);
    m_empty->setGeometry((viewport()->width() - width) / 2,
                         qMax(0, (viewport()->height() - height) / 2 - 20), width, height);
}

void MessageView::setScrollValue(int value)
{
    const bool was = m_settingScroll;
    m_settingScroll = true;
    verticalScrollBar()->setValue(value);
    m_settingScroll = was;
}

int MessageView::followTarget() const
{
    if (!m_model || m_model->rowCount() == 0)
        return 0;
    const QModelIndex last = m_model->index(m_model->rowCount() - 1);
    const int bottom = rectForIndex(last).top() + m_delegate->contentHeight(last);
    return qBound(0, bottom - viewport()->height(), verticalScrollBar()->maximum());
}

QRect MessageView::rowRect(const QModelIndex &index) const
{
    // visualRect() stops at 32,767 pixels (QListView keeps heights in a short); the list's
    // own positions are exact.
    const QRect r = visualRect(index);
    return QRect(r.topLeft(), QSize(r.width(), laidOutHeight(index.row())));
}

int MessageView::laidOutHeight(int row) const
{
    // The height the list's last layout gave the row. (QListView's visualRect() asks the
    // delegate again, so it shows a new height before the rows below have moved.)
    const int top = rectForIndex(m_model->index(row)).top();
    const int bottom = row + 1 < m_model->rowCount() ? rectForIndex(m_model->index(row + 1)).top()
                                                     : contentsSize().height();
    return bottom - top;
}

void MessageView::followIfNeeded()
{
    if (!m_following || !m_model || m_model->rowCount() == 0)
        return;
    const int target = followTarget();
    if (verticalScrollBar()->value() != target)
        setScrollValue(target);
}

MessageView::Anchor MessageView::captureAnchor() const
{
    Anchor a;
    if (m_following) {
        a.bottom = true;
        return a;
    }
    const QModelIndex top = indexAt(QPoint(viewport()->width() / 2, 0));
    if (top.isValid()) {
        a.messageId = top.data(MessageModel::MessageIdRole).toLongLong();
        a.offset = visualRect(top).top();
    }
    return a;
}

void MessageView::restoreAnchor(const Anchor &a)
{
    if (a.bottom) {
        followIfNeeded();
        return;
    }
    const int row = m_model ? m_model->rowOf(a.messageId) : -1;
    if (row < 0)
        return;
    setScrollValue(rectForIndex(m_model->index(row)).top() - a.offset);
}

void MessageView::relayoutKeepingAnchor()
{
    const bool was = m_settingScroll;
    m_settingScroll = true;
    const Anchor anchor = captureAnchor();
    doItemsLayout();
    ++m_listLayouts;
    restoreAnchor(anchor);
    m_settingScroll = was;
}

void MessageView::settle()
{
    m_settleQueued = false;
    if (m_settling || !m_model)
        return;
    m_settling = true;
    executeDelayedItemsLayout();
    const int rows = m_model->rowCount();
    // A few passes: making rows exact can pull further rows on screen.
    for (int pass = 0; pass < 6 && rows > 0; ++pass) {
        followIfNeeded();
        const int x = viewport()->width() / 2;
        QModelIndex first = indexAt(QPoint(x, 0));
        QModelIndex last = indexAt(QPoint(x, viewport()->height() - 1));
        const int from = qMax(0, (first.isValid() ? first.row() : 0) - 1);
        const int to = qMin(rows - 1, (last.isValid() ? last.row() : rows - 1) + 1);
        bool changed = false;
        for (int r = from; r <= to; ++r) {
            const QModelIndex i = m_model->index(r);
            if (m_delegate->rowHeight(i, true) != laidOutHeight(r))
                changed = true;
        }
        if (!changed)
            break;
        relayoutKeepingAnchor();
    }
    followIfNeeded();
    m_settling = false;
}

void MessageView::scrollToEnd()
{
    m_following = true;
    settle();
    updateJumpButton();
}

void MessageView::revealMessage(qint64 messageId)
{
    const int row = m_model ? m_model->rowOf(messageId) : -1;
    if (row < 0)
        return;
    const QModelIndex index = m_model->index(row);
    executeDelayedItemsLayout();
    m_following = false;
    m_delegate->rowHeight(index, true);
    relayoutKeepingAnchor();
    setScrollValue(rectForIndex(index).top() - 24);
    settle();
    setScrollValue(rectForIndex(index).top() - 24); // rows above may have changed height
    m_following = verticalScrollBar()->value() >= followTarget() - kFollowTolerance;
    selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect);
}

void MessageView::dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                              const QList<int> &roles)
{
    // QListView::dataChanged() would schedule a layout of every row; this view re-lays out
    // only when a row's height really changed, below. QAbstractItemView repaints the row.
    QAbstractItemView::dataChanged(topLeft, bottomRight, roles);
    if (!m_model || !topLeft.isValid())
        return;
    bool changed = false;
    const QRect area = viewport()->rect();
    for (int r = topLeft.row(); r <= bottomRight.row(); ++r) {
        const QModelIndex i = m_model->index(r);
        const bool streaming =
            i.data(MessageModel::MessageIdRole).toLongLong() == m_model->streamingId();
        // Only a row on screen (or the streaming one) is laid out; others get a new estimate.
        const bool exact = streaming || rowRect(i).intersects(area);
        if (m_delegate->rowHeight(i, exact) != laidOutHeight(r))
            changed = true;
    }
    if (changed)
        relayoutKeepingAnchor();
    else
        followIfNeeded();
}

void MessageView::rowsInserted(const QModelIndex &parent, int start, int end)
{
    QListView::rowsInserted(parent, start, end);
    updateEmptyState();
    updateJumpButton();
    if (!m_settleQueued) {
        m_settleQueued = true;
        QTimer::singleShot(0, this, &MessageView::settle);
    }
}

void MessageView::resizeEvent(QResizeEvent *event)
{
    const Anchor anchor = captureAnchor();
    QListView::resizeEvent(event);
    m_delegate->setStreamSlack(viewport()->height());
    updateEmptyState();
    if (m_delegate->setViewportWidth(viewport()->width()) && m_model) {
        const bool was = m_settingScroll;
        m_settingScroll = true;
        doItemsLayout();
        ++m_listLayouts;
        restoreAnchor(anchor);
        m_settingScroll = was;
    }
    settle();
    updateJumpButton();
    emitColumn();
}

int MessageView::columnLeftMargin() const
{
    const MessageStyle &style = m_delegate->style();
    return viewport()->x() + style.contentLeft(viewport()->width());
}

int MessageView::columnRightMargin() const
{
    const MessageStyle &style = m_delegate->style();
    const int right = viewport()->x() + style.contentLeft(viewport()->width()) +
                      style.contentWidth(viewport()->width());
    return width() - right;
}

void MessageView::emitColumn()
{
    const int left = columnLeftMargin();
    const int right = columnRightMargin();
    if (left == m_columnLeft && right == m_columnRight)
        return;
    m_columnLeft = left;
    m_columnRight = right;
    emit columnChanged(left, right);
}

void MessageView::paintEvent(QPaintEvent *event)
{
    QListView::paintEvent(event);
    if (!m_model || m_settleQueued || m_settling || m_model->rowCount() == 0)
        return;
    // Painting lays out rows that came on screen; if one was estimated wrongly, settle the list
    // right after this frame.
    const int x = viewport()->width() / 2;
    const QModelIndex first = indexAt(QPoint(x, 0));
    const QModelIndex last = indexAt(QPoint(x, viewport()->height() - 1));
    const int from = first.isValid() ? first.row() : 0;
    const int to = last.isValid() ? last.row() : m_model->rowCount() - 1;
    for (int r = from; r <= to; ++r) {
        const QModelIndex i = m_model->index(r);
        if (m_delegate->rowHeight(i, false) != laidOutHeight(r)) {
            m_settleQueued = true;
            QTimer::singleShot(0, this, &MessageView::settle);
            return;
        }
    }
}

void MessageView::updateGeometries()
{
    QListView::updateGeometries();
    verticalScrollBar()->setSingleStep(m_delegate->style().lineHeight * 3);
    verticalScrollBar()->setPageStep(qMax(1, viewport()->height() - 40));
    updateJumpButton();
}

void MessageView::verticalScrollbarValueChanged(int value)
{
    QListView::verticalScrollbarValueChanged(value);
    if (m_settingScroll || m_settling)
        return;
    // The user scrolled: follow again only at the end.
    m_following = value >= followTarget() - kFollowTolerance;
    settle();
    updateJumpButton();
}

void MessageView::mouseMoveEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    if (m_barDrag.index.isValid()) {
        const int value = m_barDrag.startValue +
                          int(qint64(pos.x() - m_barDrag.startX) * m_barDrag.pixelsPerTrack / 1000);
        if (m_delegate->setBoxScroll(m_barDrag.index, m_barDrag.block, m_barDrag.box, value))
            viewport()->update(rowRect(m_barDrag.index) & viewport()->rect());
        return;
    }
    QListView::mouseMoveEvent(event);
    const QModelIndex index = indexAt(pos);
    const MessageDelegate::Hit hit =
        index.isValid() ? m_delegate->hitTest(index, rowRect(index), pos) : MessageDelegate::Hit();
    const bool actionable = hit.kind != MessageDelegate::Hit::Kind::None &&
                            hit.kind != MessageDelegate::Hit::Kind::InBox &&
                            hit.kind != MessageDelegate::Hit::Kind::BoxScrollBar;
    viewport()->setCursor(actionable ? Qt::PointingHandCursor : Qt::ArrowCursor);
    m_delegate->setHover(index, hit);
    if (index.isValid())
        viewport()->update(rowRect(index) & viewport()->rect());
}

void MessageView::leaveEvent(QEvent *event)
{
    QListView::leaveEvent(event);
    m_delegate->setHover(QModelIndex(), MessageDelegate::Hit());
    viewport()->update();
}

void MessageView::mousePressEvent(QMouseEvent *event)
{
    m_pressPos = event->position().toPoint();
    m_pressIndex = indexAt(m_pressPos);
    m_barDrag = BarDrag();
    m_pressOnBar = false;
    if (event->button() == Qt::LeftButton && m_pressIndex.isValid()) {
        const MessageDelegate::Hit hit =
            m_delegate->hitTest(m_pressIndex, rowRect(m_pressIndex), m_pressPos);
        if (hit.kind == MessageDelegate::Hit::Kind::BoxScrollBar) {
            const MessageDelegate::BoxScroll scroll =
                m_delegate->boxScroll(m_pressIndex, hit.block, hit.box);
            const QRect thumb = MessageDelegate::scrollThumb(hit.rect, scroll);
            setCurrentIndex(m_pressIndex);
            m_pressOnBar = true; // the list does not see this press, nor its release
            if (thumb.contains(m_pressPos.x(), thumb.center().y())) {
                // Drag the thumb: the box follows the mouse.
                m_barDrag.index = m_pressIndex;
                m_barDrag.block = hit.block;
                m_barDrag.box = hit.box;
                m_barDrag.startX = m_pressPos.x();
                m_barDrag.startValue = scroll.value;
                const int travel = qMax(1, hit.rect.width() - thumb.width());
                m_barDrag.pixelsPerTrack = int(qint64(scroll.range) * 1000 / travel);
            } else {
                // A click beside the thumb pages towards it.
                const int page = qMax(kBoxScrollStep, scroll.page - kBoxScrollStep);
                const int dir = m_pressPos.x() < thumb.left() ? -1 : 1;
                m_delegate->setBoxScroll(m_pressIndex, hit.block, hit.box,
                                         scroll.value + dir * page);
                viewport()->update(rowRect(m_pressIndex) & viewport()->rect());
            }
            return;
        }
    }
    QListView::mousePressEvent(event);
}

void MessageView::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_pressOnBar && event->button() == Qt::LeftButton) {
        m_pressOnBar = false;
        m_barDrag = BarDrag();
        return;
    }
    QListView::mouseReleaseEvent(event);
    const QPoint pos = event->position().toPoint();
    const QModelIndex index = indexAt(pos);
    if (event->button() != Qt::LeftButton || !index.isValid() || index != m_pressIndex)
        return;
    const QRect row = rowRect(index);
    const auto pressed = m_delegate->hitTest(index, row, m_pressPos);
    const auto released = m_delegate->hitTest(index, row, pos);
    if (pressed.kind == released.kind && pressed.block == released.block &&
        pressed.box == released.box)
        activate(index, pos);
}

bool MessageView::scrollBoxAt(const QPoint &pos, int dx)
{
    const QModelIndex index = indexAt(pos);
    if (!index.isValid())
        return false;
    using Kind = MessageDelegate::Hit::Kind;
    const MessageDelegate::Hit hit = m_delegate->hitTest(index, rowRect(index), pos);
    if (hit.kind != Kind::InBox && hit.kind != Kind::CopyBox && hit.kind != Kind::BoxScrollBar)
        return false;
    const MessageDelegate::BoxScroll scroll = m_delegate->boxScroll(index, hit.block, hit.box);
    if (scroll.range <= 0)
        return false;
    if (m_delegate->setBoxScroll(index, hit.block, hit.box, scroll.value + dx))
        viewport()->update(rowRect(index) & viewport()->rect());
    return true; // at an end the wheel still belongs to the box, not the list
}

void MessageView::wheelEvent(QWheelEvent *event)
{
    // Sideways over a code box with long lines: a horizontal wheel or touchpad, or Shift with
    // the ordinary wheel.
    int dx = 0;
    const QPoint pixels = event->pixelDelta();
    const QPoint angle = event->angleDelta();
    if (angle.x() != 0 || pixels.x() != 0)
        dx = pixels.x() != 0 ? -pixels.x() : -angle.x() * kBoxScrollStep / 120;
    else if (event->modifiers() & Qt::ShiftModifier)
        dx = pixels.y() != 0 ? -pixels.y() : -angle.y() * kBoxScrollStep / 120;
    if (dx != 0 && scrollBoxAt(event->position().toPoint(), dx)) {
        event->accept();
        return;
    }
    QListView::wheelEvent(event);
}

void MessageView::activate(const QModelIndex &index, const QPoint &pos)
{
    using Kind = MessageDelegate::Hit::Kind;
    const MessageDelegate::Hit hit = m_delegate->hitTest(index, rowRect(index), pos);
    const qint64 id = index.data(MessageModel::MessageIdRole).toLongLong();
    switch (hit.kind) {
    case Kind::CopyBox: {
        copyText(hit.text, tr("Code copied"));
        m_delegate->setCopied(id, hit.block, hit.box);
        viewport()->update();
        QTimer::singleShot(kCopiedFeedbackMs, this, [this] {
            m_delegate->setCopied(0, -1, -1);
            viewport()->update();
        });
        return;
    }
    case Kind::ToggleThinking:
        m_model->setThinkingExpanded(index.row(), hit.block,
                                     !m_model->isThinkingExpanded(index.row(), hit.block));
        return;
    case Kind::Link:
        QDesktopServices::openUrl(QUrl(hit.text));
        return;
    case Kind::CopyMessage:
        copyMessage(index);
        return;
    case Kind::EditMessage:
        emit editRequested(id);
        return;
    case Kind::Regenerate:
        emit regenerateRequested();
        return;
    case Kind::PreviousVersion:
    case Kind::NextVersion:
        requestVersion(index, hit.kind == Kind::PreviousVersion ? -1 : 1);
        return;
    case Kind::InBox:
    case Kind::BoxScrollBar:
    case Kind::None:
        return;
    }
}

void MessageView::copyText(const QString &text, const QString &what)
{
    QGuiApplication::clipboard()->setText(text);
    emit textCopied(what);
}

bool MessageView::requestVersion(const QModelIndex &index, int step)
{
    if (!index.isValid() || !m_model || m_model->streamingId() != 0)
        return false;
    const StoredMessage &m = m_model->item(index.row()).message;
    const int target = m.version + step;
    if (m.versionCount < 2 || target < 1 || target > m.versionCount)
        return false;
    emit versionRequested(m.id, step);
    return true;
}

void MessageView::copyMessage(const QModelIndex &index)
{
    if (!index.isValid() || !m_model)
        return;
    copyText(MessageModel::plainText(m_model->item(index.row()).message), tr("Message copied"));
}

void MessageView::contextMenuEvent(QContextMenuEvent *event)
{
    if (!m_model)
        return;
    const bool mouse = event->reason() == QContextMenuEvent::Mouse;
    const QModelIndex index = mouse ? indexAt(event->pos()) : currentIndex();
    if (!index.isValid())
        return;
    const MessageItem &item = m_model->item(index.row());
    const MessageDelegate::Hit hit =
        mouse ? m_delegate->hitTest(index, rowRect(index), event->pos()) : MessageDelegate::Hit();
    const bool busy = m_model->streamingId() != 0;
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("messageContextMenu"));
    if (hit.kind == MessageDelegate::Hit::Kind::InBox ||
        hit.kind == MessageDelegate::Hit::Kind::CopyBox ||
        hit.kind == MessageDelegate::Hit::Kind::BoxScrollBar) {
        const QString code = hit.text;
        menu.addAction(tr("Copy Code"), this, [this, code] { copyText(code, tr("Code copied")); });
    }
    menu.addAction(tr("Copy Message"), this, [this, index] { copyMessage(index); });
    for (int b = 0; b < item.message.blocks.size(); ++b) {
        if (item.message.blocks.at(b).type != BlockType::Thinking)
            continue;
        const bool open = m_model->isThinkingExpanded(index.row(), b);
        menu.addAction(
            open ? tr("Hide Thinking") : tr("Show Thinking"), this,
            [this, row = index.row(), b, open] { m_model->setThinkingExpanded(row, b, !open); });
        break;
    }
    if (!busy && item.message.versionCount > 1) {
        menu.addSeparator();
        const int version = item.message.version;
        QAction *previous = menu.addAction(tr("Previous Version"), this,
                                           [this, index] { requestVersion(index, -1); });
        previous->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Left));
        previous->setEnabled(version > 1);
        QAction *next =
            menu.addAction(tr("Next Version"), this, [this, index] { requestVersion(index, 1); });
        next->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Right));
        next->setEnabled(version < item.message.versionCount);
    }
    if (!busy && item.message.role == MessageRole::User) {
        const qint64 id = item.message.id;
        menu.addSeparator();
        menu.addAction(tr("Edit and Resend…"), this, [this, id] { emit editRequested(id); });
    }
    if (!busy && item.message.role == MessageRole::Assistant &&
        index.row() == m_model->rowCount() - 1) {
        menu.addSeparator();
        menu.addAction(tr("Regenerate"), this, [this] { emit regenerateRequested(); });
    }
    menu.exec(event->globalPos());
}

void MessageView::keyPressEvent(QKeyEvent *event)
{
    if (event->matches(QKeySequence::Copy)) {
        copyMessage(currentIndex());
        return;
    }
    if (event->key() == Qt::Key_End && event->modifiers() == Qt::NoModifier && m_model &&
        m_model->rowCount() > 0) {
        // To the very end of the last message (QListView would stop at its top), following.
        setCurrentIndex(m_model->index(m_model->rowCount() - 1));
        scrollToEnd();
        return;
    }
    if ((event->key() == Qt::Key_Left || event->key() == Qt::Key_Right) &&
        event->modifiers() == Qt::AltModifier) {
        // The current message's versions, as its "‹ 1/2 ›" switcher.
        requestVersion(currentIndex(), event->key() == Qt::Key_Left ? -1 : 1);
        return;
    }
    if ((event->key() == Qt::Key_Left || event->key() == Qt::Key_Right) &&
        (event->modifiers() & ~Qt::KeypadModifier) == Qt::NoModifier && currentIndex().isValid()) {
        // The keyboard way to read long code lines: the current message's code boxes scroll.
        const int dx = event->key() == Qt::Key_Left ? -kBoxScrollStep : kBoxScrollStep;
        if (m_delegate->scrollBoxes(currentIndex(), dx))
            viewport()->update(rowRect(currentIndex()) & viewport()->rect());
        return;
    }
    if ((event->key() == Qt::Key_Space || event->key() == Qt::Key_Return) && m_model &&
        currentIndex().isValid()) {
        // The keyboard way to open or close the thinking of the current message.
        const int row = currentIndex().row();
        const QList<StoredBlock> &blocks = m_model->item(row).message.blocks;
        for (int b = 0; b < blocks.size(); ++b) {
            if (blocks.at(b).type == BlockType::Thinking) {
                m_model->setThinkingExpanded(row, b, !m_model->isThinkingExpanded(row, b));
                return;
            }
        }
    }
    QListView::keyPressEvent(event);
}

void MessageView::changeEvent(QEvent *event)
{
    QListView::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::PaletteChange) {
        // Documents carry fonts and link colors: build them again.
        m_delegate->setFont(font());
        if (m_model) {
            doItemsLayout();
            ++m_listLayouts;
            settle();
        }
    }
}

} // namespace qlaude
