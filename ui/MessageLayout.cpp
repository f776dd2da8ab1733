#include "MessageLayout.h"

#include "ChatWindowStyle.h"
#include "MessageModel.h"

#include "CodeHighlighter.h"

#include <QAbstractTextDocumentLayout>
#include <QFontDatabase>
#include <QFontMetricsF>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextFrame>
#include <QTextList>
#include <QTextOption>
#include <QTextTable>

#include <cmath>

namespace qlaude {

namespace {

int ceilHeight(const QTextDocument &doc)
{
    return int(std::ceil(doc.size().height()));
}

QString prettyJson(const QByteArray &json)
{
    if (json.trimmed().isEmpty())
        return QString();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        return QString::fromUtf8(json);
    return QString::fromUtf8(doc.toJson(QJsonDocument::Indented)).trimmed();
}

// The first words of a thinking block, for its collapsed title line.
QString preview(const QString &text)
{
    return text.left(240).simplified();
}

constexpr int kQuoteStep = 14; // a blockquote level: the bar and the gap after it
constexpr int kQuoteBarWidth = 3;

int listIndentStep(const QFont &font)
{
    // Room for a two-digit number and its dot before the text, with a space after it.
    const QFontMetricsF fm(font);
    return int(
        std::ceil(fm.horizontalAdvance(QStringLiteral("00.")) + 1.5 * fm.averageCharWidth()));
}

void styleTable(QTextTable *table, const QPalette &palette)
{
    QTextTableFormat f = table->format();
    f.setBorderCollapse(true);
    f.setBorder(0);
    f.setCellPadding(5);
    f.setCellSpacing(0);
    table->setFormat(f);
    const QColor hairline = chatstyle::hairline(palette);
    const QColor rule =
        chatstyle::mix(palette.color(QPalette::Base), palette.color(QPalette::Text), 0.45);
    for (int r = 0; r < table->rows(); ++r) {
        for (int c = 0; c < table->columns(); ++c) {
            const QTextTableCell cell = table->cellAt(r, c);
            if (r == 0) {
                // Qt's importer can leave an empty paragraph at the top of the first header
                // cell (after a quote or list), which doubles the header row's height.
                QTextCursor first = cell.firstCursorPosition();
                while (first.block().text().isEmpty() &&
                       first.blockNumber() < cell.lastCursorPosition().blockNumber())
                    first.deleteChar();
            }
            QTextTableCellFormat cf = cell.format().toTableCellFormat();
            cf.setLeftBorder(0);
            cf.setRightBorder(0);
            cf.setTopBorder(0);
            cf.setBottomBorderStyle(QTextFrameFormat::BorderStyle_Solid);
            cf.setBottomBorder(r == 0 ? 2 : 1);
            cf.setBottomBorderBrush(r == 0 ? rule : hairline);
            cf.setLeftPadding(c == 0 ? 2 : 10);
            cf.setRightPadding(10);
            table->cellAt(r, c).setFormat(cf);
        }
    }
}

} // namespace

QList<QRect> quoteBars(const QTextDocument &doc)
{
    // One bar per level for each run of quoted paragraphs, through the gaps between them.
    QList<QRect> bars;
    QList<QRect> open; // the bar being extended at each level
    const QAbstractTextDocumentLayout *layout = doc.documentLayout();
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next()) {
        const int level = b.blockFormat().property(QTextFormat::BlockQuoteLevel).toInt();
        const QRect r = layout->blockBoundingRect(b).toAlignedRect();
        while (open.size() > level)
            bars.append(open.takeLast());
        for (int l = 0; l < level; ++l) {
            if (l < open.size()) {
                open[l].setBottom(r.bottom());
            } else {
                open.append(QRect(l * kQuoteStep, r.top(), kQuoteBarWidth, r.height()));
            }
        }
    }
    bars += open;
    return bars;
}

std::shared_ptr<QTextDocument> makeMarkdownDocument(const QString &markdown, const QFont &font,
                                                    int width)
{
    auto doc = std::make_shared<QTextDocument>();
    doc->setUndoRedoEnabled(false);
    doc->setDocumentMargin(0);
    doc->setDefaultFont(font);
    doc->setMarkdown(markdown, QTextDocument::MarkdownDialectGitHub);
    // Segments are spaced by the layout; the document's own outer margins would double that.
    QTextCursor first(doc->firstBlock());
    QTextBlockFormat f = first.blockFormat();
    if (f.topMargin() != 0) {
        f.setTopMargin(0);
        first.setBlockFormat(f);
    }
    QTextCursor last(doc->lastBlock());
    QTextBlockFormat l = last.blockFormat();
    if (l.bottomMargin() != 0) {
        l.setBottomMargin(0);
        last.setBlockFormat(l);
    }
    // Lists and quotes step in by one measure at every level, so a nested list's text lines up
    // one step right of its parent's, whatever the markers (Qt's default is 40 px a level).
    const int step = listIndentStep(font);
    doc->setIndentWidth(step);
    // A list that starts right after another one (an ordered list, then a bulleted one) gets a
    // paragraph's gap, so the two do not read as one list.
    for (QTextBlock b = doc->begin(); b.isValid(); b = b.next()) {
        QTextList *list = b.textList();
        const QTextBlock previous = b.previous();
        if (list && list->format().indent() == 1 && list->item(0) == b && previous.isValid() &&
            previous.textList() && previous.textList() != list) {
            QTextBlockFormat f = b.blockFormat();
            f.setTopMargin(qMax(f.topMargin(), QFontMetricsF(font).lineSpacing() * 0.6));
            QTextCursor(b).setBlockFormat(f);
        }
    }
    const QPalette palette = QGuiApplication::palette();
    const bool quotes = markdown.contains(QLatin1Char('>'));
    for (QTextBlock b = doc->begin(); quotes && b.isValid(); b = b.next()) {
        const int level = b.blockFormat().property(QTextFormat::BlockQuoteLevel).toInt();
        if (level <= 0)
            continue;
        // Room for the bar at the left (see quoteBars()) instead of a wide plain indent.
        QTextBlockFormat q = b.blockFormat();
        q.setLeftMargin(level * kQuoteStep);
        q.setRightMargin(0);
        QTextCursor(b).setBlockFormat(q);
        // Quoted words are someone else's: a shade quieter than the answer's own text (links
        // keep their colour).
        QTextCharFormat quiet;
        quiet.setForeground(
            chatstyle::mix(palette.color(QPalette::Text), palette.color(QPalette::Base), 0.3));
        QList<QPair<int, int>> plain; // collected first: merging formats changes fragments
        for (auto it = b.begin(); !it.atEnd(); ++it) {
            const QTextFragment f = it.fragment();
            if (f.isValid() && !f.charFormat().isAnchor())
                plain.append({f.position(), f.position() + f.length()});
        }
        for (const auto &[from, to] : qAsConst(plain)) {
            QTextCursor c(doc.get());
            c.setPosition(from);
            c.setPosition(to, QTextCursor::KeepAnchor);
            c.mergeCharFormat(quiet);
        }
    }
    // Tables: a rule under the header row, hairlines between the rows, no vertical grid.
    const QList<QTextFrame *> frames = doc->rootFrame()->childFrames();
    for (QTextFrame *frame : frames) {
        if (auto *table = qobject_cast<QTextTable *>(frame))
            styleTable(table, palette);
    }
    doc->setTextWidth(width);
    return doc;
}

std::shared_ptr<QTextDocument> makeCodeDocument(const QString &code, const QString &language,
                                                const QFont &font, qreal tabWidth, int *state)
{
    auto doc = std::make_shared<QTextDocument>();
    doc->setUndoRedoEnabled(false);
    doc->setDocumentMargin(0);
    doc->setDefaultFont(font);
    QTextOption option;
    option.setWrapMode(QTextOption::NoWrap);
    option.setTabStopDistance(tabWidth);
    doc->setDefaultTextOption(option);
    doc->setPlainText(code);
    *state = CodeHighlighter::apply(doc.get(), CodeHighlighter::languageFor(language),
                                    QGuiApplication::palette(), *state);
    return doc;
}

std::shared_ptr<QTextDocument> makePlainDocument(const QString &text, const QFont &font, int width,
                                                 qreal tabWidth)
{
    auto doc = std::make_shared<QTextDocument>();
    doc->setUndoRedoEnabled(false);
    doc->setDocumentMargin(0);
    doc->setDefaultFont(font);
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    if (tabWidth > 0)
        option.setTabStopDistance(tabWidth);
    doc->setDefaultTextOption(option);
    doc->setPlainText(text);
    doc->setTextWidth(width);
    return doc;
}

MessageStyle MessageStyle::fromFont(const QFont &base)
{
    MessageStyle s;
    s.font = base;
    s.boldFont = base;
    s.boldFont.setWeight(QFont::DemiBold);
    s.smallFont = base;
    if (base.pointSizeF() > 0)
        s.smallFont.setPointSizeF(base.pointSizeF() * 0.88);
    else
        s.smallFont.setPixelSize(qMax(9, int(base.pixelSize() * 0.88)));
    s.monoFont = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    if (base.pointSizeF() > 0)
        s.monoFont.setPointSizeF(base.pointSizeF() * 0.95);
    const QFontMetricsF fm(s.font);
    const QFontMetricsF bm(s.boldFont);
    const QFontMetricsF sm(s.smallFont);
    const QFontMetricsF mm(s.monoFont);
    s.lineHeight = int(std::ceil(fm.lineSpacing()));
    s.boldLineHeight = int(std::ceil(bm.lineSpacing()));
    s.smallLineHeight = int(std::ceil(sm.lineSpacing()));
    s.monoLineHeight = int(std::ceil(mm.lineSpacing()));
    s.averageCharWidth = qMax<qreal>(1, fm.averageCharWidth());
    s.monoCharWidth = qMax<qreal>(1, mm.horizontalAdvance(QLatin1Char('m')));
    s.boxHeaderHeight = s.smallLineHeight + 12;
    return s;
}

int MessageStyle::contentWidth(int viewportWidth) const
{
    return qMax(200, qMin(kMaxContentWidth, viewportWidth - 2 * kSideMargin));
}

int MessageStyle::contentLeft(int viewportWidth) const
{
    return qMax(0, (viewportWidth - contentWidth(viewportWidth)) / 2);
}

void MessageLayoutBuilder::update(MessageLayout &layout, const MessageItem &item,
                                  int textWidth) const
{
    const StoredMessage &m = item.message;
    if (layout.id != m.id || layout.textWidth != textWidth) {
        layout = MessageLayout();
        layout.id = m.id;
        layout.textWidth = textWidth;
    }
    layout.segmentsLaidOut = 0;
    const bool streaming = m.status == MessageStatus::Streaming;
    const bool markdown = m.role == MessageRole::Assistant;
    while (layout.blocks.size() > m.blocks.size())
        layout.blocks.removeLast();
    while (layout.blocks.size() < m.blocks.size())
        layout.blocks.append(BlockLayout());
    bool hasContent = false;
    for (int i = 0; i < m.blocks.size(); ++i) {
        const StoredBlock &b = m.blocks.at(i);
        const bool final = !(streaming && i == m.blocks.size() - 1);
        updateBlock(layout.blocks[i], b, final, item.expandedThinking.contains(i), markdown,
                    textWidth, &layout.segmentsLaidOut);
        hasContent = hasContent || !b.text.isEmpty() || b.type != BlockType::Text;
    }
    // Blocks stack with a gap; an empty text block (an answer that has not started) takes none.
    layout.blockTops.resize(layout.blocks.size());
    int y = 0;
    bool any = false;
    for (int i = 0; i < layout.blocks.size(); ++i) {
        const BlockLayout &b = layout.blocks.at(i);
        if (b.height == 0) {
            layout.blockTops[i] = y;
            continue;
        }
        if (any)
            y += MessageStyle::kBlockGap;
        layout.blockTops[i] = y;
        y += b.height;
        any = true;
    }

    MessageLayout::Footer footer = MessageLayout::Footer::None;
    if (streaming && !hasContent)
        footer = MessageLayout::Footer::Waiting;
    else if (m.status == MessageStatus::Stopped)
        footer = MessageLayout::Footer::Stopped;
    else if (m.status == MessageStatus::Interrupted)
        footer = MessageLayout::Footer::Interrupted;
    else if (m.status == MessageStatus::Error)
        footer = MessageLayout::Footer::Error;
    if (footer != layout.footer || footer == MessageLayout::Footer::Error) {
        layout.footer = footer;
        layout.footerDoc.reset();
        if (footer != MessageLayout::Footer::None) {
            const int iconSpace = m_style.lineHeight + 6;
            layout.footerDoc = makePlainDocument(footerText(footer, m.errorText), m_style.font,
                                                 textWidth - iconSpace);
        }
    }
    if (layout.footerDoc) {
        if (any)
            y += MessageStyle::kBlockGap;
        layout.footerTop = y;
        y += qMax(m_style.lineHeight, ceilHeight(*layout.footerDoc));
        any = true;
    }
    const int body = any ? y : -MessageStyle::kHeaderGap;
    layout.height = m_style.bodyTop() + body + MessageStyle::kPadding + MessageStyle::kRowGap;
    layout.revision = item.revision;
}

QString MessageLayoutBuilder::footerText(MessageLayout::Footer footer, const QString &errorText)
{
    switch (footer) {
    case MessageLayout::Footer::Waiting:
        return tr("Waiting for the answer…");
    case MessageLayout::Footer::Stopped:
        return tr("Stopped. You ended this answer early; the text above is partial.");
    case MessageLayout::Footer::Interrupted:
        return tr("Interrupted. Qlaude closed before this answer finished; the text above is "
                  "partial.");
    case MessageLayout::Footer::Error:
        return errorText.isEmpty() ? tr("This answer failed.")
                                   : tr("This answer failed: %1").arg(errorText);
    case MessageLayout::Footer::None:
        break;
    }
    return QString();
}

void MessageLayoutBuilder::updateBlock(BlockLayout &block, const StoredBlock &b, bool final,
                                       bool expanded, bool markdown, int textWidth,
                                       int *segments) const
{
    if (block.type != b.type) {
        block = BlockLayout();
        block.type = b.type;
    }
    switch (b.type) {
    case BlockType::Text:
        updateText(block, b.text, final, TextStyle{0, false, markdown}, textWidth, segments);
        return;
    case BlockType::Thinking: {
        if (block.expanded != expanded) {
            block = BlockLayout();
            block.type = b.type;
            block.expanded = expanded;
        }
        block.headerHeight = m_style.lineHeight + 10;
        block.header.kind = LayoutPart::Kind::ThinkingHeader;
        block.header.rect = QRect(0, 0, textWidth, m_style.lineHeight + 6);
        block.header.label = final ? tr("Thought process") : tr("Thinking…");
        block.header.detail = expanded ? QString() : preview(b.text);
        block.header.secondary = true;
        if (!expanded) {
            block.closed.clear();
            block.open.clear();
            block.closedHeight = block.headerHeight;
            block.height = block.header.rect.height();
            block.textLength = b.text.size();
            block.final = final;
            return;
        }
        block.ruleTop = block.headerHeight - 4;
        updateText(block, b.text, final, TextStyle{MessageStyle::kThinkingIndent, true, true},
                   textWidth, segments);
        return;
    }
    case BlockType::ToolUse:
    case BlockType::ToolResult: {
        if (block.final == final && block.json == b.json && block.textLength == b.text.size() &&
            block.height > 0)
            return;
        block.closed.clear();
        block.open.clear();
        block.json = b.json;
        block.textLength = b.text.size();
        block.final = final;
        int y = 0;
        if (b.type == BlockType::ToolUse) {
            QString body = prettyJson(b.json);
            if (body.isEmpty())
                body = final ? QStringLiteral("{}") : tr("Preparing the input…");
            appendBox(block.closed, &y, tr("Tool use"), b.toolName, body, 0, textWidth);
        } else {
            const QString body = b.text.isEmpty() ? prettyJson(b.json) : b.text;
            appendBox(block.closed, &y, tr("Tool result"),
                      b.isError ? tr("reported an error") : QString(), body, 0, textWidth);
        }
        ++*segments;
        block.closedHeight = y;
        block.height = y;
        return;
    }
    case BlockType::RedactedThinking:
    case BlockType::Other: {
        if (block.height > 0)
            return;
        const QString note =
            b.type == BlockType::RedactedThinking
                ? tr("Part of Claude's reasoning was encrypted by the provider and is not shown. "
                     "It is kept and sent back unchanged.")
                : tr("This answer contains a kind of content Qlaude cannot show yet.");
        LayoutPart p;
        p.kind = LayoutPart::Kind::Note;
        p.secondary = true;
        QFont italic = m_style.smallFont;
        italic.setItalic(true);
        p.doc = makePlainDocument(note, italic, textWidth);
        p.rect = QRect(0, 0, textWidth, ceilHeight(*p.doc));
        block.closed = {p};
        block.closedHeight = block.height = p.rect.height();
        block.final = true;
        ++*segments;
        return;
    }
    }
}

void MessageLayoutBuilder::updateText(BlockLayout &block, const QString &text, bool final,
                                      const TextStyle &ts, int textWidth, int *segments) const
{
    if (block.final && block.textLength == text.size())
        return; // finished and laid out at this width: nothing can have changed
    if (block.textLength < 0 || text.size() < block.textLength || block.final) {
        block.splitter = MarkdownSplitter();
        block.closed.clear();
        block.closedHeight = block.headerHeight;
    }
    QList<MarkdownSegment> done = block.splitter.feed(text);
    if (final)
        done += block.splitter.finish(text);
    for (const MarkdownSegment &s : qAsConst(done)) {
        const LayoutPart *previous = block.closed.isEmpty() ? nullptr : &block.closed.last();
        appendSegment(block.closed, &block.closedHeight, previous, s, ts, textWidth);
        ++*segments;
    }
    block.open.clear();
    int y = block.closedHeight;
    if (!final) {
        const QList<MarkdownSegment> open = block.splitter.pending(text);
        for (const MarkdownSegment &s : open) {
            const LayoutPart *previous = !block.open.isEmpty()     ? &block.open.last()
                                         : !block.closed.isEmpty() ? &block.closed.last()
                                                                   : nullptr;
            appendSegment(block.open, &y, previous, s, ts, textWidth);
            ++*segments;
        }
    }
    block.height =
        y == block.headerHeight && block.headerHeight > 0 ? block.header.rect.height() : y;
    block.textLength = text.size();
    block.final = final;
}

void MessageLayoutBuilder::appendSegment(QList<LayoutPart> &parts, int *y,
                                         const LayoutPart *previous, const MarkdownSegment &seg,
                                         const TextStyle &ts, int textWidth) const
{
    const int width = qMax(40, textWidth - ts.indent);
    LayoutPart p;
    p.secondary = ts.secondary;
    if (seg.kind == MarkdownSegment::Kind::Prose) {
        const int gap = previous ? MessageStyle::kBlockGap : 0;
        p.kind = LayoutPart::Kind::Prose;
        p.doc = ts.markdown ? makeMarkdownDocument(seg.text, m_style.font, width)
                            : makePlainDocument(seg.text, m_style.font, width);
        p.rect = QRect(ts.indent, *y + gap, width, ceilHeight(*p.doc));
        if (ts.markdown && seg.text.contains(QLatin1Char('>')))
            p.quoteBars = quoteBars(*p.doc);
        *y += gap + p.rect.height();
        parts.append(p);
        return;
    }
    const bool continues = !seg.firstPiece && previous &&
                           previous->kind == LayoutPart::Kind::BoxPiece &&
                           previous->box == seg.codeBlock && !previous->last;
    const int gap = continues || !previous ? 0 : MessageStyle::kBlockGap;
    const int top = seg.firstPiece ? m_style.boxHeaderHeight + MessageStyle::kCodePadding / 2 : 0;
    const int bottom = seg.lastPiece ? MessageStyle::kCodePadding : 0;
    const int inner = qMax(20, width - 2 * MessageStyle::kCodePadding);
    int docHeight = 0;
    int state = continues ? previous->highlightState : 0;
    if (!seg.text.isEmpty()) {
        // Lines keep their length: a wide box scrolls sideways (the delegate draws its bar).
        p.doc = makeCodeDocument(seg.text, seg.language, m_style.monoFont,
                                 4 * m_style.monoCharWidth, &state);
        p.doc->setTextWidth(inner);
        docHeight = ceilHeight(*p.doc);
        p.contentWidth = int(std::ceil(p.doc->idealWidth()));
    }
    p.highlightState = state;
    p.scrolls = true;
    p.kind = LayoutPart::Kind::BoxPiece;
    p.rect = QRect(ts.indent, *y + gap, width, top + docHeight + bottom);
    p.docOffset = QPoint(MessageStyle::kCodePadding, top);
    p.label = seg.language;
    p.text = seg.text;
    p.box = seg.codeBlock;
    p.first = seg.firstPiece;
    p.last = seg.lastPiece;
    p.copyable = true;
    *y += gap + p.rect.height();
    parts.append(p);
}

void MessageLayoutBuilder::appendBox(QList<LayoutPart> &parts, int *y, const QString &label,
                                     const QString &detail, const QString &body, int boxId,
                                     int textWidth) const
{
    const int inner = qMax(20, textWidth - 2 * MessageStyle::kCodePadding);
    LayoutPart p;
    p.kind = LayoutPart::Kind::BoxPiece;
    p.doc = makePlainDocument(body, m_style.monoFont, inner, 4 * m_style.monoCharWidth);
    const int top = m_style.boxHeaderHeight + MessageStyle::kCodePadding / 2;
    p.rect = QRect(0, *y, textWidth, top + ceilHeight(*p.doc) + MessageStyle::kCodePadding);
    p.docOffset = QPoint(MessageStyle::kCodePadding, top);
    p.label = label;
    p.detail = detail;
    p.text = body;
    p.box = boxId;
    p.first = p.last = true;
    p.copyable = true;
    *y += p.rect.height();
    parts.append(p);
}

int MessageLayoutBuilder::estimateText(const QString &text, int textWidth) const
{
    const int perLine = qMax(8, int(textWidth / m_style.averageCharWidth));
    int lines = 0;
    int gaps = 0;
    bool fence = false;
    qsizetype start = 0;
    const qsizetype n = text.size();
    while (start <= n) {
        qsizetype end = text.indexOf(QLatin1Char('\n'), start);
        if (end < 0)
            end = n;
        const qsizetype len = end - start;
        if (len >= 3 &&
            (text.at(start) == QLatin1Char('`') || text.at(start) == QLatin1Char('~')) &&
            text.at(start + 1) == text.at(start) && text.at(start + 2) == text.at(start)) {
            fence = !fence;
            lines += 1; // the box's header and padding
        } else if (len == 0) {
            ++gaps;
        } else {
            lines += fence ? 1 : int((len + perLine - 1) / perLine);
        }
        start = end + 1;
    }
    return lines * m_style.lineHeight + gaps * MessageStyle::kBlockGap;
}

int MessageLayoutBuilder::estimateHeight(const MessageItem &item, int textWidth) const
{
    const StoredMessage &m = item.message;
    int body = 0;
    int blocks = 0;
    for (int i = 0; i < m.blocks.size(); ++i) {
        const StoredBlock &b = m.blocks.at(i);
        int h = 0;
        switch (b.type) {
        case BlockType::Text:
            h = b.text.isEmpty() ? 0 : estimateText(b.text, textWidth);
            break;
        case BlockType::Thinking:
            h = m_style.lineHeight + 6;
            if (item.expandedThinking.contains(i))
                h += 4 + estimateText(b.text, textWidth - MessageStyle::kThinkingIndent);
            break;
        case BlockType::ToolUse:
        case BlockType::ToolResult: {
            const int lines = int(b.json.count(',') + b.json.count('{') + b.text.count('\n')) + 2;
            h = m_style.boxHeaderHeight + 3 * MessageStyle::kCodePadding / 2 +
                lines * m_style.monoLineHeight;
            break;
        }
        case BlockType::RedactedThinking:
        case BlockType::Other:
            h = 2 * m_style.smallLineHeight;
            break;
        }
        if (h > 0) {
            body += (blocks > 0 ? MessageStyle::kBlockGap : 0) + h;
            ++blocks;
        }
    }
    if (m.status != MessageStatus::Complete) {
        body += (blocks > 0 ? MessageStyle::kBlockGap : 0) +
                (m.status == MessageStatus::Error ? 2 : 1) * m_style.lineHeight;
        ++blocks;
    }
    if (blocks == 0)
        body = -MessageStyle::kHeaderGap;
    return m_style.bodyTop() + body + MessageStyle::kPadding + MessageStyle::kRowGap;
}

} // namespace qlaude
