#pragma once

#include <QList>
#include <QString>
#include <QStringView>

namespace qlaude {

// One independently rendered piece of a message's Markdown: a run of prose, or a slice of a
// fenced code block (long code blocks are cut into slices that are drawn as one box).
struct MarkdownSegment
{
    enum class Kind
    {
        Prose,
        Code
    };
    Kind kind = Kind::Prose;
    QString text;            // Prose: Markdown source; Code: the code itself, without the fences
    QString language;        // Code: the first word of the fence's info string
    int codeBlock = -1;      // Code: which fenced block of the text, counting from 0
    bool firstPiece = false; // Code: the slice that carries the box's header
    bool lastPiece = false;  // Code: the slice that closes the box

    friend bool operator==(const MarkdownSegment &a, const MarkdownSegment &b)
    {
        return a.kind == b.kind && a.text == b.text && a.language == b.language &&
               a.codeBlock == b.codeBlock && a.firstPiece == b.firstPiece &&
               a.lastPiece == b.lastPiece;
    }
};

// Cuts Markdown into segments as it streams in, so a growing answer never has to be parsed and
// laid out again from its start: only the open tail changes. Segments end at a blank line
// followed by a new top-level paragraph (lists stay whole), at code fences, after
// kMaxCodeLines lines of code, and at a line boundary past kMaxProseChars.
//
// Feed it the whole text each time (each text extends the previous one); it reads only what
// it has not seen. A segment, once returned by feed() or finish(), never changes.
class MarkdownSplitter
{
public:
    static constexpr int kMaxCodeLines = 40;
    static constexpr int kMaxProseChars = 3000;

    // Consumes the complete lines past consumed() and returns the segments they closed.
    QList<MarkdownSegment> feed(QStringView text);
    // The still-open segment, including the unfinished last line, as it would render now.
    QList<MarkdownSegment> pending(QStringView text) const;
    // The text is complete: consumes the rest and returns every segment still open.
    QList<MarkdownSegment> finish(QStringView text);
    qsizetype consumed() const { return m_consumed; }

    // All segments of a finished text.
    static QList<MarkdownSegment> split(QStringView text);

private:
    void processLine(QStringView line, QList<MarkdownSegment> *out);
    void closeProse(QList<MarkdownSegment> *out);
    void closeCodePiece(bool last, QList<MarkdownSegment> *out);
    MarkdownSegment codePiece(const QString &text, bool last) const;

    qsizetype m_consumed = 0;
    QString m_current;
    bool m_inFence = false;
    QChar m_fenceChar;
    int m_fenceLength = 0;
    QString m_language;
    int m_codeBlocks = 0; // fenced blocks opened so far
    int m_pieceIndex = 0; // slices of the current code block already closed
    int m_pieceLines = 0;
    bool m_pendingBlank = false;
    bool m_segmentHasList = false;
};

} // namespace qlaude
