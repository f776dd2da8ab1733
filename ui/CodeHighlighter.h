#pragma once

#include <QList>
#include <QStringView>
#include <QTextCharFormat>

class QPalette;
class QTextDocument;

namespace qlaude {

// Syntax colours for the code blocks of answers: a small line-by-line scanner per language
// (keywords, types, strings, comments, numbers and a few language marks), chosen by the fence's
// language tag. It is not a parser: it only has to be right for code as people paste it, and
// fast enough to colour a screenful while it is laid out. A tag it does not know gets a generic
// scanner (common keywords, quoted strings, numbers, //, # and /* */ comments); no tag, or a
// plain-text tag, gets no colour at all.
class CodeHighlighter
{
public:
    enum class Language
    {
        None, // plain text: nothing is coloured
        Generic,
        Cpp,
        Python,
        JavaScript, // TypeScript too
        Json,
        Shell,
        Rust,
        Go,
        Java,
        Sql,
        Yaml,
        Diff,
    };

    enum class Token
    {
        Keyword,
        Type,
        String,
        Comment,
        Number,
        Meta,     // preprocessor lines, decorators, annotations, macros, shell variables
        Key,      // JSON and YAML keys
        Inserted, // diff
        Deleted,  // diff
        Hunk,     // diff: @@ lines and file headers
    };

    struct Span
    {
        int start = 0;
        int length = 0;
        Token token = Token::Keyword;
        friend bool operator==(const Span &a, const Span &b)
        {
            return a.start == b.start && a.length == b.length && a.token == b.token;
        }
    };

    // The language of a fence's info-string tag ("cpp", "py", "ts", "bash", ...).
    static Language languageFor(QStringView tag);

    // The coloured spans of one line. `state` carries what a line leaves open (a block comment,
    // a multi-line string) into the next one; start with 0.
    static QList<Span> highlightLine(Language language, QStringView line, int *state);

    // The character format of a token, readable on the palette's base colour (light or dark).
    static QTextCharFormat format(Token token, const QPalette &palette);

    // Colours a plain-text document of code in place, before it is laid out. A long block is
    // cut into several documents: pass the state the previous one returned.
    static int apply(QTextDocument *doc, Language language, const QPalette &palette, int state = 0);
};

} // namespace qlaude
