#pragma once

#include "MessageLayout.h"

#include <QHash>
#include <QSet>
#include <QStyledItemDelegate>

namespace qlaude {

class MessageModel;
struct MessageItem;

// Paints MessageModel rows from cached layouts (QTextDocuments per Markdown segment) and
// answers size hints from a per-row height cache keyed by revision and width, so a change to
// one row re-lays out that row only. Rows that were never on screen get an estimated height
// (from character counts); MessageView makes visible rows exact. A streaming row reserves room
// ahead of its text, so the list around it is re-laid out once per screenful, not per frame.
class MessageDelegate : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY(MessageDelegate)
public:
    static constexpr int kMaxCachedLayouts = 400;

    // Work counters, for tests and benchmarks.
    struct Stats
    {
        int layouts = 0;   // message layouts built or updated
        int segments = 0;  // documents laid out by them
        int estimates = 0; // heights estimated
        int sizeHints = 0; // sizeHint() calls (cache hits included): the list's own layouts
        QSet<qint64> laidOut;
        QSet<qint64> estimated;
    };

    // What is under the mouse.
    struct Hit
    {
        enum class Kind
        {
            None,
            CopyBox,        // a code or tool box's Copy button
            InBox,          // elsewhere in a code or tool box (its context menu copies it)
            BoxScrollBar,   // the sideways scroll bar of a code box with long lines
            ToggleThinking, // a thinking block's title line
            Link,
            CopyMessage,
            EditMessage,
            Regenerate,
            PreviousVersion, // the switcher's ‹
            NextVersion,     // the switcher's ›
        };
        Kind kind = Kind::None;
        int block = -1;
        int box = -1;
        QString text; // CopyBox: the box's text; Link: the href
        QRect rect;   // in viewport coordinates; BoxScrollBar: the bar's track
    };

    // How far a code box with long lines is scrolled sideways, and how far it can be.
    struct BoxScroll
    {
        int value = 0;
        int range = 0; // 0: the box's lines fit
        int page = 0;  // the visible width of its lines
    };

    // The "‹ 1/2 ›" switcher in the author line of a message with versions (rects in viewport
    // coordinates; all empty for a message with one version). An arrow is off at the first or
    // last version, and while an answer streams.
    struct VersionSwitcher
    {
        QRect previous, label, next;
        QString text; // "1/2"
        bool canGoBack = false;
        bool canGoForward = false;
    };

    explicit MessageDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    void setFont(const QFont &font); // drops every cached layout and height
    void clearCaches();
    const MessageStyle &style() const { return m_style; }
    // Returns true when the text width changed (every cached height is then stale).
    bool setViewportWidth(int width);
    int viewportWidth() const { return m_viewportWidth; }
    // How far ahead of its text a streaming row reserves room.
    void setStreamSlack(int pixels) { m_slack = qMax(120, pixels); }

    // The row's height as the list should use it now: exact, or estimated unless `exact`.
    int rowHeight(const QModelIndex &index, bool exact) const;
    bool isExact(const QModelIndex &index) const;
    // The height of the row's content, without the room a streaming row reserves.
    int contentHeight(const QModelIndex &index) const;

    Hit hitTest(const QModelIndex &index, const QRect &rowRect, const QPoint &pos) const;

    BoxScroll boxScroll(const QModelIndex &index, int block, int box) const;
    // Scrolls one code box sideways (clamped); returns whether it moved.
    bool setBoxScroll(const QModelIndex &index, int block, int box, int value);
    // Scrolls every code box of the message that has long lines by dx; returns whether the
    // message has such a box.
    bool scrollBoxes(const QModelIndex &index, int dx);
    // The thumb of a code box's scroll bar on its track (viewport coordinates).
    static QRect scrollThumb(const QRect &track, const BoxScroll &scroll);
    VersionSwitcher versionSwitcher(const QModelIndex &index, const QRect &rowRect) const;
    void setHover(const QModelIndex &index, const Hit &hit);
    void setCopied(qint64 messageId, int block, int box);
    // The connection the window uses now ("" for "From your settings"): an answer from another
    // one says which in its author line.
    void setCurrentConnection(const QString &name) { m_currentConnection = name; }
    // What the author line shows after the name: the model, and the answering connection when
    // it is not the current one.
    QString headerDetail(const StoredMessage &message) const;

    const Stats &stats() const { return m_stats; }
    void resetStats() { m_stats = Stats(); }
    int cachedLayouts() const { return int(m_layouts.size()); }

private:
    struct RowHeight
    {
        quint64 revision = 0;
        int textWidth = -1;
        int height = 0;  // what the list gets (a streaming row's reserve included)
        int content = 0; // the message itself
        bool exact = false;
    };
    struct HeaderButton
    {
        Hit::Kind kind;
        QString text;
        QRect rect;
    };

    const MessageItem *itemFor(const QModelIndex &index) const;
    const MessageLayout &layoutFor(const MessageItem &item) const;
    void recordHeight(const MessageItem &item, int content, bool exact) const;
    void evict() const;
    QList<HeaderButton> headerButtons(const QModelIndex &index, const QRect &rowRect) const;
    void paintVersionSwitcher(QPainter *painter, const QModelIndex &index,
                              const VersionSwitcher &switcher, const QPalette &palette) const;
    QString boxText(const BlockLayout &block, int box) const;
    int boxOverflow(const BlockLayout &block, int box) const;
    int boxOffset(qint64 messageId, int block, int box, int overflow) const;
    QRect scrollTrack(const QRect &lastPiece) const;

    void paintBlock(QPainter *painter, const BlockLayout &block, int blockIndex, QPoint origin,
                    const QRect &visible, const QPalette &palette, qint64 messageId) const;
    void paintPart(QPainter *painter, const BlockLayout &block, const LayoutPart &part,
                   int blockIndex, QPoint origin, const QRect &visible, const QPalette &palette,
                   qint64 messageId) const;
    void paintCode(QPainter *painter, const BlockLayout &block, const LayoutPart &part,
                   int blockIndex, const QRect &r, const QRect &visible, const QPalette &palette,
                   qint64 messageId) const;
    void paintBox(QPainter *painter, const LayoutPart &part, const QRect &r,
                  const QPalette &palette, bool hovered, bool copied) const;
    void paintFooter(QPainter *painter, const MessageLayout &layout, QPoint origin,
                     const QRect &visible, const QPalette &palette) const;
    QRect boxButtonRect(const QRect &box) const;

    MessageStyle m_style;
    QString m_currentConnection;
    int m_viewportWidth = 600;
    int m_textWidth = 400;
    int m_slack = 400;
    mutable QHash<qint64, MessageLayout> m_layouts;
    mutable QHash<qint64, RowHeight> m_heights;
    mutable QHash<qint64, int> m_reserve; // streaming rows: the room reserved so far
    mutable quint64 m_clock = 0;
    mutable Stats m_stats;
    QPersistentModelIndex m_hoverIndex;
    Hit m_hover;
    qint64 m_copiedId = 0;
    int m_copiedBlock = -1;
    int m_copiedBox = -1;
    // Code boxes scrolled sideways: (message id, block << 16 | box) -> pixels.
    QHash<std::pair<qint64, int>, int> m_boxScroll;
};

} // namespace qlaude
