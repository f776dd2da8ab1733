#include "MarkdownSplitter.h"

namespace qlaude {

namespace {

int leadingSpaces(QStringView line)
{
    int n = 0;
    while (n < line.size() && line.at(n) == QLatin1Char(' '))
        ++n;
    return n;
}

// "```lang" or "~~~": up to three spaces, then three or more of the same fence character.
bool openingFence(QStringView line, QChar *fenceChar, int *fenceLength, QString *language)
{
    const int indent = leadingSpaces(line);
    if (indent > 3 || indent >= line.size())
        return false;
    const QChar c = line.at(indent);
    if (c != QLatin1Char('`') && c != QLatin1Char('~'))
        return false;
    int n = indent;
    while (n < line.size() && line.at(n) == c)
        ++n;
    if (n - indent < 3)
        return false;
    const QStringView info = line.mid(n).trimmed();
    if (c == QLatin1Char('`') && info.contains(QLatin1Char('`')))
        return false; // an inline code span, not a fence
    *fenceChar = c;
    *fenceLength = n - indent;
    const qsizetype space = info.indexOf(QLatin1Char(' '));
    *language = (space < 0 ? info : info.left(space)).toString();
    return true;
}

bool closingFence(QStringView line, QChar fenceChar, int fenceLength)
{
    const int indent = leadingSpaces(line);
    if (indent > 3)
        return false;
    int n = indent;
    while (n < line.size() && line.at(n) == fenceChar)
        ++n;
    return n - indent >= fenceLength && line.mid(n).trimmed().isEmpty();
}

// "- item", "* item", "+ item", "1. item", "2) item"
bool listItem(QStringView line)
{
    const QStringView t = line.mid(qMin(leadingSpaces(line), int(line.size())));
    if (t.size() >= 2 &&
        (t.at(0) == QLatin1Char('-') || t.at(0) == QLatin1Char('*') || t.at(0) == QLatin1Char('+')))
        return t.at(1) == QLatin1Char(' ') || t.at(1) == QLatin1Char('\t');
    int digits = 0;
    while (digits < t.size() && digits < 9 && t.at(digits).isDigit())
        ++digits;
    return digits > 0 && digits + 1 < t.size() &&
           (t.at(digits) == QLatin1Char('.') || t.at(digits) == QLatin1Char(')')) &&
           t.at(digits + 1) == QLatin1Char(' ');
}

// A partial last line that may become a fence is not shown as text while it streams.
bool maybeFenceStart(QStringView partial)
{
    const QStringView t = partial.trimmed();
    if (t.isEmpty())
        return false;
    const QChar c = t.at(0);
    if (c != QLatin1Char('`') && c != QLatin1Char('~'))
        return false;
    for (QChar ch : t) {
        if (ch != c)
            return t.size() >= 3 && t.startsWith(QString(3, c)); // "```py" as it arrives
    }
    return true;
}

} // namespace

QList<MarkdownSegment> MarkdownSplitter::feed(QStringView text)
{
    QList<MarkdownSegment> out;
    while (m_consumed < text.size()) {
        const qsizetype end = text.indexOf(QLatin1Char('\n'), m_consumed);
        if (end < 0)
            break;
        QStringView line = text.mid(m_consumed, end - m_consumed);
        if (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
        processLine(line, &out);
        m_consumed = end + 1;
    }
    return out;
}

QList<MarkdownSegment> MarkdownSplitter::pending(QStringView text) const
{
    QStringView partial = text.mid(qMin(m_consumed, text.size()));
    if (partial.endsWith(QLatin1Char('\r')))
        partial.chop(1);
    QString body = m_current;
    if (m_inFence) {
        if (!partial.isEmpty() && !closingFence(partial, m_fenceChar, 1)) {
            if (!body.isEmpty() || m_pieceLines > 0)
                body += QLatin1Char('\n');
            body += partial;
        }
        return {codePiece(body, true)};
    }
    if (!partial.isEmpty() && !maybeFenceStart(partial)) {
        if (!body.isEmpty())
            body += m_pendingBlank ? QStringLiteral("\n\n") : QStringLiteral("\n");
        body += partial;
    }
    if (body.trimmed().isEmpty())
        return {};
    MarkdownSegment s;
    s.text = body;
    return {s};
}

QList<MarkdownSegment> MarkdownSplitter::finish(QStringView text)
{
    QList<MarkdownSegment> out = feed(text);
    if (m_consumed < text.size()) {
        QStringView line = text.mid(m_consumed);
        if (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
        processLine(line, &out);
        m_consumed = text.size();
    }
    if (m_inFence) {
        closeCodePiece(true, &out); // an unterminated fence ends with the text
        m_inFence = false;
    } else {
        closeProse(&out);
    }
    return out;
}

QList<MarkdownSegment> MarkdownSplitter::split(QStringView text)
{
    MarkdownSplitter s;
    return s.finish(text);
}

void MarkdownSplitter::processLine(QStringView line, QList<MarkdownSegment> *out)
{
    if (m_inFence) {
        if (closingFence(line, m_fenceChar, m_fenceLength)) {
            closeCodePiece(true, out);
            m_inFence = false;
            return;
        }
        if (m_pieceLines > 0)
            m_current += QLatin1Char('\n');
        m_current += line;
        if (++m_pieceLines >= kMaxCodeLines)
            closeCodePiece(false, out);
        return;
    }
    QChar fenceChar;
    int fenceLength = 0;
    QString language;
    if (openingFence(line, &fenceChar, &fenceLength, &language)) {
        closeProse(out);
        m_inFence = true;
        m_fenceChar = fenceChar;
        m_fenceLength = fenceLength;
        m_language = language;
        m_pieceIndex = 0;
        m_pieceLines = 0;
        ++m_codeBlocks;
        return;
    }
    if (line.trimmed().isEmpty()) {
        if (!m_current.isEmpty())
            m_pendingBlank = true;
        return;
    }
    const bool isListItem = listItem(line);
    const bool flush = !line.at(0).isSpace();
    if (m_pendingBlank) {
        m_pendingBlank = false;
        if (flush && !(m_segmentHasList && isListItem))
            closeProse(out);
        else
            m_current += QLatin1Char('\n');
    } else if (m_current.size() > kMaxProseChars && flush && !isListItem && !m_segmentHasList &&
               !line.startsWith(QLatin1Char('|'))) {
        closeProse(out); // a very long paragraph: cut at a line end
    }
    if (!m_current.isEmpty())
        m_current += QLatin1Char('\n');
    m_current += line;
    if (isListItem)
        m_segmentHasList = true;
}

void MarkdownSplitter::closeProse(QList<MarkdownSegment> *out)
{
    if (!m_current.trimmed().isEmpty()) {
        MarkdownSegment s;
        s.text = m_current;
        out->append(s);
    }
    m_current.clear();
    m_pendingBlank = false;
    m_segmentHasList = false;
}

MarkdownSegment MarkdownSplitter::codePiece(const QString &text, bool last) const
{
    MarkdownSegment s;
    s.kind = MarkdownSegment::Kind::Code;
    s.text = text;
    s.language = m_language;
    s.codeBlock = m_codeBlocks - 1;
    s.firstPiece = m_pieceIndex == 0;
    s.lastPiece = last;
    return s;
}

void MarkdownSplitter::closeCodePiece(bool last, QList<MarkdownSegment> *out)
{
    // An empty slice is kept when it is the whole block (an empty fence still shows a box) or
    // when it closes a box whose slices went out earlier.
    if (m_pieceLines > 0 || m_pieceIndex == 0 || last)
        out->append(codePiece(m_current, last));
    ++m_pieceIndex;
    m_pieceLines = 0;
    m_current.clear();
}

} // namespace qlaude
