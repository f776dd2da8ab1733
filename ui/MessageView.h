#pragma once

#include <QListView>

class QLabel;
class QPushButton;

namespace qlaude {

class MessageDelegate;
class MessageModel;

// The transcript: a virtualized QListView over MessageModel. Rows off screen carry estimated
// heights; the rows on screen are laid out exactly, and when that changes a height the list is
// re-laid out around an anchor (the first visible row, or the bottom while following), so
// nothing visible jumps. While the last message streams the view follows it, unless the user
// has scrolled up; scrolling back to the end resumes following.
class MessageView : public QListView
{
    Q_OBJECT
    Q_DISABLE_COPY(MessageView)
public:
    explicit MessageView(QWidget *parent = nullptr);

    void setMessageModel(MessageModel *model);
    MessageModel *messageModel() const { return m_model; }
    MessageDelegate *messageDelegate() const { return m_delegate; }

    // The designed empty state shown while there is no message.
    void setEmptyState(const QString &title, const QString &body);
    QLabel *emptyStateLabel() const { return m_empty; }

    bool isFollowing() const { return m_following; }
    // "Jump to latest": shown while an answer streams below the part of the list on screen.
    QPushButton *jumpToLatestButton() const { return m_jump; }
    // Jumps to the end and follows the stream again.
    void scrollToEnd();
    // Scrolls to a message and selects it (a search hit).
    void revealMessage(qint64 messageId);
    // Lays the rows on screen out exactly; re-lays out the list when a height changed.
    void settle();
    // The height the list's last layout gave a row.
    int laidOutHeight(int row) const;
    // A row's rectangle in the viewport, whatever its height.
    QRect rowRect(const QModelIndex &index) const;
    // Full re-layouts of the list so far (for tests and benchmarks).
    int listLayouts() const { return m_listLayouts; }

    // Puts the message's text on the clipboard.
    void copyMessage(const QModelIndex &index);

    // The message column in the view's own coordinates, as the distances of its edges from the
    // view's left and right edges (the composer lines up with it).
    int columnLeftMargin() const;
    int columnRightMargin() const;

signals:
    void columnChanged(int leftMargin, int rightMargin);
    void editRequested(qint64 messageId);
    void regenerateRequested();
    // Show the version `step` places from this message's (the "‹ 1/2 ›" switcher, Alt+Left and
    // Alt+Right on the current message, or its context menu).
    void versionRequested(qint64 messageId, int step);
    void textCopied(const QString &what);

protected:
    void dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                     const QList<int> &roles = QList<int>()) override;
    void rowsInserted(const QModelIndex &parent, int start, int end) override;
    void resizeEvent(QResizeEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void changeEvent(QEvent *event) override;
    void updateGeometries() override;
    void verticalScrollbarValueChanged(int value) override;

public:
    void keyboardSearch(const QString &) override {} // messages are not searched by typing

private:
    struct Anchor
    {
        qint64 messageId = 0;
        int offset = 0; // the row's top relative to the viewport's top
        bool bottom = false;
    };
    Anchor captureAnchor() const;
    void restoreAnchor(const Anchor &anchor);
    void relayoutKeepingAnchor();
    void setScrollValue(int value);
    int followTarget() const;
    void followIfNeeded();
    void updateEmptyState();
    void updateJumpButton();
    void activate(const QModelIndex &index, const QPoint &pos);
    void copyText(const QString &text, const QString &what);
    // Emits versionRequested() when the message has a version in that direction.
    bool requestVersion(const QModelIndex &index, int step);

    MessageModel *m_model = nullptr;
    MessageDelegate *m_delegate;
    QLabel *m_empty;
    QPushButton *m_jump;
    bool m_following = true;
    bool m_settingScroll = false;
    bool m_settling = false;
    bool m_settleQueued = false;
    int m_listLayouts = 0;
    void emitColumn();
    bool scrollBoxAt(const QPoint &pos, int dx);

    QPersistentModelIndex m_pressIndex;
    QPoint m_pressPos;
    // Dragging a code box's sideways scroll bar.
    struct BarDrag
    {
        QPersistentModelIndex index;
        int block = -1;
        int box = -1;
        int startX = 0;
        int startValue = 0;
        int pixelsPerTrack = 0; // scroll range over the thumb's travel, in 1/1000
    };
    BarDrag m_barDrag;
    bool m_pressOnBar = false;
    int m_columnLeft = -1;
    int m_columnRight = -1;
};

} // namespace qlaude
