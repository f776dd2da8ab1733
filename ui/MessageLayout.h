#pragma once

#include "MarkdownSplitter.h"
#include "StoredTypes.h"

#include <QCoreApplication>
#include <QFont>
#include <QList>
#include <QRect>
#include <QString>

#include <memory>

class QTextDocument;

namespace qlaude {

struct MessageItem;

// Fonts and spacing of the message view, derived from the widget's font.
struct MessageStyle
{
    static constexpr int kMaxContentWidth = 820; // a readable measure, centered in wide windows
    static constexpr int kSideMargin = 16;
    static constexpr int kRowGap = 6;       // above and below each message
    static constexpr int kPadding = 14;     // inside a message
    static constexpr int kHeaderGap = 6;    // between the author line and the body
    static constexpr int kBlockGap = 10;    // between content blocks and prose segments
    static constexpr int kCodePadding = 10; // inside code and tool boxes
    static constexpr int kThinkingIndent = 16;

    QFont font;
    QFont boldFont;
    QFont smallFont;
    QFont monoFont;
    int lineHeight = 16;
    int boldLineHeight = 16;
    int smallLineHeight = 14;
    int monoLineHeight = 16;
    qreal averageCharWidth = 7;
    qreal monoCharWidth = 8;
    int boxHeaderHeight = 26; // the strip with the language and the Copy button

    static MessageStyle fromFont(const QFont &base);
    // The column messages are laid out in, for a viewport of the given width.
    int contentWidth(int viewportWidth) const;
    int contentLeft(int viewportWidth) const;
    int textWidth(int viewportWidth) const { return contentWidth(viewportWidth) - 2 * kPadding; }
    // Where the body starts inside a row (below the author line).
    int bodyTop() const { return kRowGap + kPadding + boldLineHeight + kHeaderGap; }
};

// One drawn piece of a content block, positioned relative to the block's top-left corner in
// the text column.
struct LayoutPart
{
    enum class Kind
    {
        Prose,          // Markdown
        BoxPiece,       // a slice of a code or tool box (header strip on the first slice)
        ThinkingHeader, // the clickable "Thinking" line
        Note,           // a short remark in secondary text
    };
    Kind kind = Kind::Prose;
    QRect rect;
    QPoint docOffset; // where doc is drawn, relative to rect's top-left
    std::shared_ptr<QTextDocument> doc;
    QString label;      // box header text or thinking title
    QString detail;     // secondary text next to the label
    QString text;       // BoxPiece: the code of this slice, for copying
    int box = -1;       // BoxPiece: slices with the same box id form one box
    bool first = false; // BoxPiece
    bool last = false;  // BoxPiece
    bool secondary = false;
    bool copyable = false; // BoxPiece: draws a Copy button on the first slice
    // BoxPiece of a code block: lines do not wrap; the box scrolls sideways instead, by as much
    // as its widest slice needs. contentWidth is this slice's widest line.
    bool scrolls = false;
    int contentWidth = 0;
    int highlightState = 0; // what the slice's last line leaves open for the next slice
    QList<QRect> quoteBars; // Prose: the blockquote bars, relative to the document
};

// The layout of one content block. Finished segments are laid out once and kept; while a block
// streams only `open` is rebuilt.
struct BlockLayout
{
    BlockType type = BlockType::Text;
    qsizetype textLength = -1;
    bool final = false;
    bool expanded = false;
    QByteArray json;
    MarkdownSplitter splitter;
    LayoutPart header;    // thinking: the clickable title line
    int headerHeight = 0; // 0: no header
    QList<LayoutPart> closed;
    int closedHeight = 0;
    QList<LayoutPart> open;
    int height = 0;
    int ruleTop = -1; // thinking: where the vertical rule of the open body starts
};

// The layout of one message at one text width.
struct MessageLayout
{
    enum class Footer
    {
        None,
        Waiting,
        Stopped,
        Interrupted,
        Error
    };

    qint64 id = 0;
    quint64 revision = 0;
    int textWidth = -1;
    QList<BlockLayout> blocks;
    QList<int> blockTops; // relative to the body top
    Footer footer = Footer::None;
    int footerTop = 0; // relative to the body top
    std::shared_ptr<QTextDocument> footerDoc;
    int height = 0; // the whole row, gaps included
    quint64 lastUsed = 0;
    int segmentsLaidOut = 0; // documents built by the last update (for tests and benchmarks)
};

// Builds and updates message layouts, and estimates heights without laying anything out.
class MessageLayoutBuilder
{
    Q_DECLARE_TR_FUNCTIONS(MessageLayoutBuilder)
public:
    explicit MessageLayoutBuilder(const MessageStyle &style) : m_style(style) {}

    // Brings `layout` up to date with the item at this text width, reusing what did not change.
    void update(MessageLayout &layout, const MessageItem &item, int textWidth) const;
    // A height close to the real one, from character counts alone.
    int estimateHeight(const MessageItem &item, int textWidth) const;

    static QString footerText(MessageLayout::Footer footer, const QString &errorText);

private:
    struct TextStyle
    {
        int indent = 0;
        bool secondary = false;
        bool markdown = true; // false: prose is shown as typed (the user's own messages)
    };
    void updateBlock(BlockLayout &block, const StoredBlock &source, bool final, bool expanded,
                     bool markdown, int textWidth, int *segments) const;
    void updateText(BlockLayout &block, const QString &text, bool final, const TextStyle &ts,
                    int textWidth, int *segments) const;
    void appendSegment(QList<LayoutPart> &parts, int *y, const LayoutPart *previous,
                       const MarkdownSegment &segment, const TextStyle &ts, int textWidth) const;
    void appendBox(QList<LayoutPart> &parts, int *y, const QString &label, const QString &detail,
                   const QString &body, int boxId, int textWidth) const;
    int estimateText(const QString &text, int textWidth) const;

    const MessageStyle &m_style;
};

// The documents of a layout. Exposed for the delegate and tests.
std::shared_ptr<QTextDocument> makeMarkdownDocument(const QString &markdown, const QFont &font,
                                                    int width);
std::shared_ptr<QTextDocument> makePlainDocument(const QString &text, const QFont &font, int width,
                                                 qreal tabWidth = 0);
// Code that keeps its lines (no wrapping), coloured for the fence's language tag. `state` carries
// the highlighter's state from the previous slice of the same block and receives this one's.
std::shared_ptr<QTextDocument> makeCodeDocument(const QString &code, const QString &language,
                                                const QFont &font, qreal tabWidth, int *state);
// Where a Markdown document's blockquotes are, as the bars to draw at their left.
QList<QRect> quoteBars(const QTextDocument &doc);

} // namespace qlaude
