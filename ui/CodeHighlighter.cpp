#include "CodeHighlighter.h"

#include "CodeLanguages.h"

#include <QPalette>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextLayout>

#include <algorithm>

namespace qlaude {

namespace {

using Language = CodeHighlighter::Language;
using Span = CodeHighlighter::Span;
using Token = CodeHighlighter::Token;
using codelang::Spec;
using codelang::specFor;
using codelang::yamlKeywords;

// What a line leaves open for the next one.
enum OpenState
{
    Closed = 0,
    InBlockComment = 1,
    InTripleDouble = 2, // Python """
    InTripleSingle = 3, // Python '''
    InBacktick = 4,     // JavaScript template literals, Go raw strings
};

bool isIdentStart(QChar c)
{
    return c.isLetter() || c == QLatin1Char('_');
}
bool isIdent(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_');
}

void add(QList<Span> *out, qsizetype start, qsizetype end, Token token)
{
    if (end > start)
        out->append(Span{int(start), int(end - start), token});
}

// The end of a quoted string that starts at `from` (on the quote), past its closing quote, or
// the line's end when it does not close.
qsizetype stringEnd(QStringView line, qsizetype from, QChar quote, bool *closed)
{
    for (qsizetype i = from + 1; i < line.size(); ++i) {
        if (line.at(i) == QLatin1Char('\\')) {
            ++i;
            continue;
        }
        if (line.at(i) == quote) {
            *closed = true;
            return i + 1;
        }
    }
    *closed = false;
    return line.size();
}

qsizetype numberEnd(QStringView line, qsizetype i)
{
    const qsizetype n = line.size();
    const bool hex = i + 1 < n && line.at(i) == QLatin1Char('0') &&
                     (line.at(i + 1) == QLatin1Char('x') || line.at(i + 1) == QLatin1Char('X'));
    while (i < n) {
        const QChar c = line.at(i);
        if (c.isLetterOrNumber() || c == QLatin1Char('_') || c == QLatin1Char('.') ||
            c == QLatin1Char('\'')) {
            // 1'000'000 in C++; not a quote after a letter suffix
            if (c == QLatin1Char('\'') && !(i + 1 < n && line.at(i + 1).isDigit()))
                break;
            if (c == QLatin1Char('.') && !(i + 1 < n && line.at(i + 1).isDigit()))
                break;
            ++i;
        } else if (!hex && (c == QLatin1Char('+') || c == QLatin1Char('-')) &&
                   (line.at(i - 1) == QLatin1Char('e') || line.at(i - 1) == QLatin1Char('E'))) {
            ++i;
        } else {
            break;
        }
    }
    return i;
}

// A '#' starts a comment in shell-like languages only at a word's start.
bool hashStartsComment(QStringView line, qsizetype i)
{
    return i == 0 || line.at(i - 1).isSpace();
}

QList<Span> scanCode(const Spec &s, QStringView line, int *state)
{
    QList<Span> out;
    const qsizetype n = line.size();
    qsizetype i = 0;

    // What the previous line left open.
    if (*state == InBlockComment) {
        const qsizetype end = line.indexOf(u"*/");
        if (end < 0) {
            add(&out, 0, n, Token::Comment);
            return out;
        }
        add(&out, 0, end + 2, Token::Comment);
        i = end + 2;
        *state = Closed;
    } else if (*state == InTripleDouble || *state == InTripleSingle) {
        const QStringView close =
            *state == InTripleDouble ? QStringView(u"\"\"\"") : QStringView(u"'''");
        const qsizetype end = line.indexOf(close);
        if (end < 0) {
            add(&out, 0, n, Token::String);
            return out;
        }
        add(&out, 0, end + 3, Token::String);
        i = end + 3;
        *state = Closed;
    } else if (*state == InBacktick) {
        bool closed = false;
        const qsizetype end = stringEnd(line, -1, QLatin1Char('`'), &closed);
        add(&out, 0, end, Token::String);
        if (!closed)
            return out;
        i = end;
        *state = Closed;
    }

    if (s.preprocessor && i == 0) {
        qsizetype j = 0;
        while (j < n && line.at(j).isSpace())
            ++j;
        if (j < n && line.at(j) == QLatin1Char('#')) {
            qsizetype k = j + 1;
            while (k < n && line.at(k).isSpace())
                ++k;
            while (k < n && isIdent(line.at(k)))
                ++k;
            add(&out, j, k, Token::Meta);
            i = k;
            while (i < n && line.at(i).isSpace())
                ++i;
            if (i < n && line.at(i) == QLatin1Char('<')) {
                const qsizetype close = line.indexOf(QLatin1Char('>'), i);
                const qsizetype end = close < 0 ? n : close + 1;
                add(&out, i, end, Token::String);
                i = end;
            }
        }
    }

    while (i < n) {
        const QChar c = line.at(i);
        if (c == QLatin1Char(' ') || c == QLatin1Char('\t')) {
            ++i;
            continue;
        }
        if (!s.lineComment.isEmpty() && c == s.lineComment.front() &&
            line.mid(i).startsWith(s.lineComment)) {
            add(&out, i, n, Token::Comment);
            return out;
        }
        if (s.hashComment && c == QLatin1Char('#') && hashStartsComment(line, i)) {
            add(&out, i, n, Token::Comment);
            return out;
        }
        if (s.blockComment && c == QLatin1Char('/') && i + 1 < n &&
            line.at(i + 1) == QLatin1Char('*')) {
            const qsizetype end = line.indexOf(u"*/", i + 2);
            if (end < 0) {
                add(&out, i, n, Token::Comment);
                *state = InBlockComment;
                return out;
            }
            add(&out, i, end + 2, Token::Comment);
            i = end + 2;
            continue;
        }
        if (s.tripleQuotes && (c == QLatin1Char('"') || c == QLatin1Char('\'')) && i + 2 < n &&
            line.at(i + 1) == c && line.at(i + 2) == c) {
            const QStringView close = line.mid(i, 3);
            const qsizetype end = line.indexOf(close, i + 3);
            if (end < 0) {
                add(&out, i, n, Token::String);
                *state = c == QLatin1Char('"') ? InTripleDouble : InTripleSingle;
                return out;
            }
            add(&out, i, end + 3, Token::String);
            i = end + 3;
            continue;
        }
        if (s.backtick && c == QLatin1Char('`')) {
            bool closed = false;
            const qsizetype end = stringEnd(line, i, c, &closed);
            add(&out, i, end, Token::String);
            if (!closed) {
                *state = InBacktick;
                return out;
            }
            i = end;
            continue;
        }
        if ((c == QLatin1Char('"') || c == QLatin1Char('\'')) && s.quotes.contains(c)) {
            if (s.rustChars && c == QLatin1Char('\'')) {
                // 'a' and '\n' are characters; 'a alone is a lifetime.
                qsizetype end = -1;
                if (i + 2 < n && line.at(i + 1) != QLatin1Char('\\') &&
                    line.at(i + 2) == QLatin1Char('\''))
                    end = i + 3;
                else if (i + 1 < n && line.at(i + 1) == QLatin1Char('\\'))
                    end = line.indexOf(QLatin1Char('\''), i + 3) + 1;
                if (end <= 0) {
                    qsizetype k = i + 1;
                    while (k < n && isIdent(line.at(k)))
                        ++k;
                    add(&out, i, k, Token::Meta);
                    i = qMax(k, i + 1);
                    continue;
                }
                add(&out, i, end, Token::String);
                i = end;
                continue;
            }
            bool closed = false;
            const qsizetype end = stringEnd(line, i, c, &closed);
            Token token = Token::String;
            if (s.jsonKeys) {
                qsizetype k = end;
                while (k < n && line.at(k).isSpace())
                    ++k;
                if (k < n && line.at(k) == QLatin1Char(':'))
                    token = Token::Key;
            }
            add(&out, i, end, token);
            i = end;
            continue;
        }
        if ((c.isDigit() || (c == QLatin1Char('.') && i + 1 < n && line.at(i + 1).isDigit())) &&
            (i == 0 || !isIdent(line.at(i - 1)))) {
            const qsizetype end = numberEnd(line, i);
            add(&out, i, end, Token::Number);
            i = end;
            continue;
        }
        if (isIdentStart(c)) {
            qsizetype end = i + 1;
            while (end < n && isIdent(line.at(end)))
                ++end;
            const QStringView word = line.mid(i, end - i);
            if (s.stringPrefixes && end < n && word.size() <= 2 &&
                (line.at(end) == QLatin1Char('"') || line.at(end) == QLatin1Char('\''))) {
                bool prefix = true;
                for (QChar p : word)
                    prefix = prefix && QStringView(u"rbfuRBFU").contains(p);
                if (prefix) {
                    // The prefix takes the string's colour; the string itself follows.
                    add(&out, i, end, Token::String);
                    i = end;
                    continue;
                }
            }
            if (s.bangMacro && end < n && line.at(end) == QLatin1Char('!') &&
                !(end + 1 < n && line.at(end + 1) == QLatin1Char('='))) {
                add(&out, i, end + 1, Token::Meta);
                i = end + 1;
                continue;
            }
            if (s.keywords && s.keywords->contains(word))
                add(&out, i, end, Token::Keyword);
            else if (s.types && s.types->contains(word))
                add(&out, i, end, Token::Type);
            else if (s.capitalTypes && word.size() > 1 && word.at(0).isUpper() &&
                     std::any_of(word.begin() + 1, word.end(),
                                 [](QChar ch) { return ch.isLower(); }))
                add(&out, i, end, Token::Type);
            i = end;
            continue;
        }
        if (s.atMeta && c == QLatin1Char('@') && i + 1 < n && isIdentStart(line.at(i + 1))) {
            qsizetype end = i + 1;
            while (end < n && (isIdent(line.at(end)) || line.at(end) == QLatin1Char('.')))
                ++end;
            add(&out, i, end, Token::Meta);
            i = end;
            continue;
        }
        if (s.dollarVars && c == QLatin1Char('$') && i + 1 < n) {
            qsizetype end = i + 1;
            const QChar next = line.at(end);
            if (next == QLatin1Char('{')) {
                const qsizetype close = line.indexOf(QLatin1Char('}'), end);
                end = close < 0 ? n : close + 1;
            } else if (isIdentStart(next)) {
                while (end < n && isIdent(line.at(end)))
                    ++end;
            } else if (next.isDigit() || QStringView(u"?@#*$!-").contains(next)) {
                ++end;
            }
            if (end > i + 1) {
                add(&out, i, end, Token::Meta);
                i = end;
                continue;
            }
        }
        ++i;
    }
    return out;
}

// A YAML scalar after "key:" or "- ": a comment, a quoted string, an anchor, a number or a
// keyword; anything else stays plain.
void scanYamlValue(QStringView line, qsizetype i, QList<Span> *out)
{
    const qsizetype n = line.size();
    while (i < n && line.at(i).isSpace())
        ++i;
    if (i >= n)
        return;
    const QChar c = line.at(i);
    if (c == QLatin1Char('#')) {
        add(out, i, n, Token::Comment);
        return;
    }
    if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
        bool closed = false;
        const qsizetype end = stringEnd(line, i, c, &closed);
        add(out, i, end, Token::String);
        scanYamlValue(line, end, out);
        return;
    }
    if (c == QLatin1Char('&') || c == QLatin1Char('*') || c == QLatin1Char('|') ||
        c == QLatin1Char('>') || c == QLatin1Char('!')) {
        qsizetype end = i + 1;
        while (end < n && !line.at(end).isSpace())
            ++end;
        add(out, i, end, Token::Meta);
        scanYamlValue(line, end, out);
        return;
    }
    // A plain scalar runs to a " #" comment.
    qsizetype end = i;
    while (end < n && !(line.at(end) == QLatin1Char('#') && line.at(end - 1).isSpace()))
        ++end;
    qsizetype valueEnd = end;
    while (valueEnd > i && line.at(valueEnd - 1).isSpace())
        --valueEnd;
    const QStringView value = line.mid(i, valueEnd - i);
    bool number = !value.isEmpty();
    for (QChar ch : value)
        number = number && (ch.isDigit() || QStringView(u".-+_eE").contains(ch));
    if (number && (value.at(0).isDigit() || value.size() > 1))
        add(out, i, valueEnd, Token::Number);
    else if (yamlKeywords().contains(value) || value == u"~")
        add(out, i, valueEnd, Token::Keyword);
    if (end < n)
        add(out, end, n, Token::Comment);
}

QList<Span> scanYaml(QStringView line)
{
    QList<Span> out;
    const qsizetype n = line.size();
    if (line.startsWith(u"---") || line.startsWith(u"...")) {
        add(&out, 0, n, Token::Meta);
        return out;
    }
    qsizetype i = 0;
    while (i < n && line.at(i).isSpace())
        ++i;
    if (i < n && line.at(i) == QLatin1Char('#')) {
        add(&out, i, n, Token::Comment);
        return out;
    }
    while (i + 1 < n && line.at(i) == QLatin1Char('-') && line.at(i + 1).isSpace()) {
        i += 2;
        while (i < n && line.at(i).isSpace())
            ++i;
    }
    // "key:" (plain or quoted) followed by a space or the line's end.
    qsizetype keyEnd = -1;
    if (i < n && (line.at(i) == QLatin1Char('"') || line.at(i) == QLatin1Char('\''))) {
        bool closed = false;
        const qsizetype end = stringEnd(line, i, line.at(i), &closed);
        if (closed && end < n && line.at(end) == QLatin1Char(':'))
            keyEnd = end;
    } else {
        for (qsizetype k = i; k < n; ++k) {
            const QChar c = line.at(k);
            if (c == QLatin1Char('#') && k > 0 && line.at(k - 1).isSpace())
                break;
            if (c == QLatin1Char(':') && (k + 1 == n || line.at(k + 1).isSpace())) {
                keyEnd = k;
                break;
            }
        }
    }
    if (keyEnd > i) {
        add(&out, i, keyEnd, Token::Key);
        scanYamlValue(line, keyEnd + 1, &out);
    } else {
        scanYamlValue(line, i, &out);
    }
    return out;
}

QList<Span> scanDiff(QStringView line)
{
    QList<Span> out;
    const qsizetype n = line.size();
    if (line.startsWith(u"+++ ") || line.startsWith(u"--- ") || line.startsWith(u"@@") ||
        line.startsWith(u"diff ") || line.startsWith(u"index "))
        add(&out, 0, n, Token::Hunk);
    else if (line.startsWith(QLatin1Char('+')))
        add(&out, 0, n, Token::Inserted);
    else if (line.startsWith(QLatin1Char('-')))
        add(&out, 0, n, Token::Deleted);
    return out;
}

} // namespace

CodeHighlighter::Language CodeHighlighter::languageFor(QStringView tag)
{
    return codelang::languageForTag(tag);
}

QList<CodeHighlighter::Span> CodeHighlighter::highlightLine(Language language, QStringView line,
                                                            int *state)
{
    switch (language) {
    case Language::None:
        return {};
    case Language::Yaml:
        return scanYaml(line);
    case Language::Diff:
        return scanDiff(line);
    default:
        break;
    }
    const Spec *spec = specFor(language);
    return spec ? scanCode(*spec, line, state) : QList<Span>();
}

QTextCharFormat CodeHighlighter::format(Token token, const QPalette &palette)
{
    // Colours after GitHub's light and dark code themes: each has at least 4.5:1 contrast on
    // its background, so small monospace text stays readable.
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    QColor color;
    switch (token) {
    case Token::Keyword:
        color = dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xcf, 0x22, 0x2e);
        break;
    case Token::Type:
        color = dark ? QColor(0xff, 0xa6, 0x57) : QColor(0x95, 0x38, 0x00);
        break;
    case Token::String:
        color = dark ? QColor(0xa5, 0xd6, 0xff) : QColor(0x0a, 0x30, 0x69);
        break;
    case Token::Comment:
        color = dark ? QColor(0x8b, 0x94, 0x9e) : QColor(0x6e, 0x77, 0x81);
        break;
    case Token::Number:
    case Token::Key:
        color = dark ? QColor(0x79, 0xc0, 0xff) : QColor(0x05, 0x50, 0xae);
        break;
    case Token::Meta:
    case Token::Hunk:
        color = dark ? QColor(0xd2, 0xa8, 0xff) : QColor(0x82, 0x50, 0xdf);
        break;
    case Token::Inserted:
        color = dark ? QColor(0x7e, 0xe7, 0x87) : QColor(0x11, 0x63, 0x29);
        break;
    case Token::Deleted:
        color = dark ? QColor(0xff, 0xa1, 0x98) : QColor(0x82, 0x07, 0x1e);
        break;
    }
    QTextCharFormat f;
    f.setForeground(color);
    return f;
}

int CodeHighlighter::apply(QTextDocument *doc, Language language, const QPalette &palette,
                           int state)
{
    if (language == Language::None)
        return state;
    QTextCharFormat formats[int(Token::Hunk) + 1];
    for (int t = 0; t <= int(Token::Hunk); ++t)
        formats[t] = format(Token(t), palette);
    QList<QTextLayout::FormatRange> ranges;
    // One change for the whole document, not a relayout per line.
    QTextCursor edit(doc);
    edit.beginEditBlock();
    for (QTextBlock block = doc->firstBlock(); block.isValid(); block = block.next()) {
        const QString text = block.text();
        const QList<Span> spans = highlightLine(language, text, &state);
        if (spans.isEmpty())
            continue;
        ranges.clear();
        ranges.reserve(spans.size());
        for (const Span &s : spans)
            ranges.append(QTextLayout::FormatRange{s.start, s.length, formats[int(s.token)]});
        block.layout()->setFormats(ranges);
    }
    edit.endEditBlock();
    return state;
}

} // namespace qlaude
