#include "CodeHighlighter.h"

#include <QPalette>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextLayout>

#include <algorithm>
#include <initializer_list>
#include <vector>

namespace qlaude {

namespace {

using Language = CodeHighlighter::Language;
using Span = CodeHighlighter::Span;
using Token = CodeHighlighter::Token;

// What a line leaves open for the next one.
enum OpenState
{
    Closed = 0,
    InBlockComment = 1,
    InTripleDouble = 2, // Python """
    InTripleSingle = 3, // Python '''
    InBacktick = 4,     // JavaScript template literals, Go raw strings
};

// A sorted word list, searched without allocating.
class WordList
{
public:
    WordList(std::initializer_list<const char16_t *> words, bool caseInsensitive = false)
        : m_cs(caseInsensitive ? Qt::CaseInsensitive : Qt::CaseSensitive)
    {
        m_words.reserve(words.size());
        for (const char16_t *w : words)
            m_words.emplace_back(w);
        std::sort(m_words.begin(), m_words.end(),
                  [this](QStringView a, QStringView b) { return a.compare(b, m_cs) < 0; });
    }
    bool contains(QStringView word) const
    {
        return std::binary_search(
            m_words.begin(), m_words.end(), word,
            [this](QStringView a, QStringView b) { return a.compare(b, m_cs) < 0; });
    }

private:
    std::vector<QStringView> m_words;
    Qt::CaseSensitivity m_cs;
};

struct Spec
{
    const WordList *keywords = nullptr;
    const WordList *types = nullptr;
    QStringView lineComment;  // "//", "--"
    bool hashComment = false; // '#' at the start or after white space
    bool blockComment = false;
    QStringView quotes;
    bool backtick = false;       // multi-line `...` strings
    bool tripleQuotes = false;   // Python
    bool preprocessor = false;   // C: a line starting with '#'
    bool atMeta = false;         // decorators, annotations
    bool bangMacro = false;      // Rust: name!
    bool dollarVars = false;     // shell: $NAME, ${...}
    bool capitalTypes = false;   // a capitalised identifier names a type
    bool rustChars = false;      // ' starts a char literal only when it closes; else a lifetime
    bool stringPrefixes = false; // Python: r"", b'', f"" ...
    bool jsonKeys = false;       // a string followed by ':' is a key
};

const WordList &cppKeywords()
{
    static const WordList w{
        u"alignas",      u"alignof",   u"and",       u"asm",          u"auto",
        u"break",        u"case",      u"catch",     u"class",        u"co_await",
        u"co_return",    u"co_yield",  u"concept",   u"const",        u"const_cast",
        u"consteval",    u"constexpr", u"constinit", u"continue",     u"decltype",
        u"default",      u"delete",    u"do",        u"dynamic_cast", u"else",
        u"enum",         u"explicit",  u"export",    u"extern",       u"false",
        u"final",        u"for",       u"friend",    u"goto",         u"if",
        u"inline",       u"mutable",   u"namespace", u"new",          u"noexcept",
        u"not",          u"nullptr",   u"operator",  u"or",           u"override",
        u"private",      u"protected", u"public",    u"register",     u"reinterpret_cast",
        u"requires",     u"return",    u"sizeof",    u"static",       u"static_assert",
        u"static_cast",  u"struct",    u"switch",    u"template",     u"this",
        u"thread_local", u"throw",     u"true",      u"try",          u"typedef",
        u"typeid",       u"typename",  u"union",     u"using",        u"virtual",
        u"volatile",     u"while",     u"NULL"};
    return w;
}
const WordList &cppTypes()
{
    static const WordList w{
        u"bool",    u"char",     u"char8_t",   u"char16_t", u"char32_t", u"double",    u"float",
        u"int",     u"long",     u"short",     u"signed",   u"unsigned", u"void",      u"wchar_t",
        u"size_t",  u"ssize_t",  u"ptrdiff_t", u"int8_t",   u"int16_t",  u"int32_t",   u"int64_t",
        u"uint8_t", u"uint16_t", u"uint32_t",  u"uint64_t", u"intptr_t", u"uintptr_t", u"std"};
    return w;
}
const WordList &pythonKeywords()
{
    static const WordList w{
        u"False",   u"None",  u"True",     u"and",      u"as",    u"assert", u"async", u"await",
        u"break",   u"class", u"continue", u"def",      u"del",   u"elif",   u"else",  u"except",
        u"finally", u"for",   u"from",     u"global",   u"if",    u"import", u"in",    u"is",
        u"lambda",  u"match", u"case",     u"nonlocal", u"not",   u"or",     u"pass",  u"raise",
        u"return",  u"try",   u"while",    u"with",     u"yield", u"self"};
    return w;
}
const WordList &pythonTypes()
{
    static const WordList w{u"bool",  u"bytes", u"dict",       u"float", u"frozenset",
                            u"int",   u"list",  u"object",     u"set",   u"str",
                            u"tuple", u"type",  u"isinstance", u"len",   u"print",
                            u"range", u"super", u"enumerate",  u"zip",   u"open"};
    return w;
}
const WordList &jsKeywords()
{
    static const WordList w{
        u"abstract",   u"as",        u"async",   u"await",       u"break",     u"case",
        u"catch",      u"class",     u"const",   u"constructor", u"continue",  u"debugger",
        u"declare",    u"default",   u"delete",  u"do",          u"else",      u"enum",
        u"export",     u"extends",   u"false",   u"finally",     u"for",       u"from",
        u"function",   u"get",       u"if",      u"implements",  u"import",    u"in",
        u"instanceof", u"interface", u"keyof",   u"let",         u"namespace", u"new",
        u"null",       u"of",        u"private", u"protected",   u"public",    u"readonly",
        u"return",     u"set",       u"static",  u"super",       u"switch",    u"this",
        u"throw",      u"true",      u"try",     u"type",        u"typeof",    u"undefined",
        u"var",        u"while",     u"with",    u"yield"};
    return w;
}
const WordList &jsTypes()
{
    static const WordList w{u"any",    u"bigint", u"boolean", u"never",   u"number",
                            u"object", u"string", u"symbol",  u"unknown", u"void"};
    return w;
}
const WordList &jsonKeywords()
{
    static const WordList w{u"false", u"null", u"true"};
    return w;
}
const WordList &shellKeywords()
{
    static const WordList w{u"alias",    u"case",  u"declare", u"do",     u"done",     u"elif",
                            u"else",     u"esac",  u"exit",    u"export", u"fi",       u"for",
                            u"function", u"if",    u"in",      u"local",  u"readonly", u"return",
                            u"select",   u"shift", u"source",  u"then",   u"time",     u"unset",
                            u"until",    u"while"};
    return w;
}
const WordList &shellBuiltins()
{
    static const WordList w{u"cd",    u"echo", u"eval", u"exec", u"printf", u"read",
                            u"set",   u"test", u"trap", u"sudo", u"cat",    u"grep",
                            u"mkdir", u"rm",   u"cp",   u"mv",   u"ls"};
    return w;
}
const WordList &rustKeywords()
{
    static const WordList w{
        u"as",   u"async",  u"await",  u"break", u"const",  u"continue", u"crate", u"dyn",
        u"else", u"enum",   u"extern", u"false", u"fn",     u"for",      u"if",    u"impl",
        u"in",   u"let",    u"loop",   u"match", u"mod",    u"move",     u"mut",   u"pub",
        u"ref",  u"return", u"self",   u"Self",  u"static", u"struct",   u"super", u"trait",
        u"true", u"type",   u"unsafe", u"use",   u"where",  u"while"};
    return w;
}
const WordList &rustTypes()
{
    static const WordList w{u"bool", u"char", u"f32", u"f64",   u"i128", u"i16",
                            u"i32",  u"i64",  u"i8",  u"isize", u"str",  u"u128",
                            u"u16",  u"u32",  u"u64", u"u8",    u"usize"};
    return w;
}
const WordList &goKeywords()
{
    static const WordList w{
        u"break",       u"case",   u"chan", u"const", u"continue", u"default", u"defer",  u"else",
        u"fallthrough", u"false",  u"for",  u"func",  u"go",       u"goto",    u"if",     u"import",
        u"interface",   u"iota",   u"map",  u"nil",   u"package",  u"range",   u"return", u"select",
        u"struct",      u"switch", u"true", u"type",  u"var"};
    return w;
}
const WordList &goTypes()
{
    static const WordList w{
        u"any",     u"bool", u"byte",   u"complex128", u"complex64", u"error", u"float32",
        u"float64", u"int",  u"int16",  u"int32",      u"int64",     u"int8",  u"rune",
        u"string",  u"uint", u"uint16", u"uint32",     u"uint64",    u"uint8", u"uintptr"};
    return w;
}
const WordList &javaKeywords()
{
    static const WordList w{
        u"abstract",  u"assert",     u"break",        u"case",       u"catch",     u"class",
        u"const",     u"continue",   u"default",      u"do",         u"else",      u"enum",
        u"extends",   u"false",      u"final",        u"finally",    u"for",       u"goto",
        u"if",        u"implements", u"import",       u"instanceof", u"interface", u"native",
        u"new",       u"null",       u"package",      u"permits",    u"private",   u"protected",
        u"public",    u"record",     u"return",       u"sealed",     u"static",    u"strictfp",
        u"super",     u"switch",     u"synchronized", u"this",       u"throw",     u"throws",
        u"transient", u"true",       u"try",          u"var",        u"volatile",  u"while",
        u"yield"};
    return w;
}
const WordList &javaTypes()
{
    static const WordList w{u"boolean", u"byte", u"char",  u"double", u"float",
                            u"int",     u"long", u"short", u"void"};
    return w;
}
const WordList &sqlKeywords()
{
    static const WordList w{
        {u"add",      u"all",        u"alter",    u"and",        u"as",        u"asc",
         u"begin",    u"between",    u"by",       u"case",       u"check",     u"column",
         u"commit",   u"constraint", u"create",   u"cross",      u"database",  u"default",
         u"delete",   u"desc",       u"distinct", u"drop",       u"else",      u"end",
         u"exists",   u"false",      u"foreign",  u"from",       u"full",      u"group",
         u"having",   u"if",         u"in",       u"index",      u"inner",     u"insert",
         u"into",     u"is",         u"join",     u"key",        u"left",      u"like",
         u"limit",    u"not",        u"null",     u"offset",     u"on",        u"or",
         u"order",    u"outer",      u"primary",  u"references", u"returning", u"right",
         u"rollback", u"select",     u"set",      u"table",      u"then",      u"transaction",
         u"true",     u"union",      u"unique",   u"update",     u"values",    u"view",
         u"when",     u"where",      u"with"},
        true};
    return w;
}
const WordList &sqlTypes()
{
    static const WordList w{
        {u"bigint", u"blob",   u"boolean",  u"char",    u"date",      u"datetime", u"decimal",
         u"double", u"float",  u"int",      u"integer", u"json",      u"jsonb",    u"numeric",
         u"real",   u"serial", u"smallint", u"text",    u"timestamp", u"uuid",     u"varchar"},
        true};
    return w;
}
const WordList &yamlKeywords()
{
    static const WordList w{u"false", u"False", u"no",   u"No",   u"null", u"Null",
                            u"off",   u"on",    u"true", u"True", u"yes",  u"Yes"};
    return w;
}
const WordList &genericKeywords()
{
    static const WordList w{
        u"break",  u"case",   u"catch",  u"class",    u"const",  u"continue", u"def",     u"do",
        u"elif",   u"else",   u"end",    u"enum",     u"false",  u"False",    u"finally", u"fn",
        u"for",    u"from",   u"func",   u"function", u"if",     u"import",   u"in",      u"let",
        u"module", u"new",    u"nil",    u"None",     u"null",   u"package",  u"private", u"public",
        u"raise",  u"return", u"static", u"struct",   u"switch", u"then",     u"throw",   u"true",
        u"True",   u"try",    u"use",    u"var",      u"while"};
    return w;
}

const Spec *specFor(Language language)
{
    static const Spec cpp = [] {
        Spec s;
        s.keywords = &cppKeywords();
        s.types = &cppTypes();
        s.lineComment = u"//";
        s.blockComment = true;
        s.quotes = u"\"'";
        s.preprocessor = true;
        s.capitalTypes = true;
        return s;
    }();
    static const Spec python = [] {
        Spec s;
        s.keywords = &pythonKeywords();
        s.types = &pythonTypes();
        s.hashComment = true;
        s.quotes = u"\"'";
        s.tripleQuotes = true;
        s.atMeta = true;
        s.capitalTypes = true;
        s.stringPrefixes = true;
        return s;
    }();
    static const Spec js = [] {
        Spec s;
        s.keywords = &jsKeywords();
        s.types = &jsTypes();
        s.lineComment = u"//";
        s.blockComment = true;
        s.quotes = u"\"'";
        s.backtick = true;
        s.atMeta = true;
        s.capitalTypes = true;
        return s;
    }();
    static const Spec json = [] {
        Spec s;
        s.keywords = &jsonKeywords();
        s.lineComment = u"//"; // JSONC
        s.blockComment = true;
        s.quotes = u"\"";
        s.jsonKeys = true;
        return s;
    }();
    static const Spec shell = [] {
        Spec s;
        s.keywords = &shellKeywords();
        s.types = &shellBuiltins();
        s.hashComment = true;
        s.quotes = u"\"'";
        s.dollarVars = true;
        return s;
    }();
    static const Spec rust = [] {
        Spec s;
        s.keywords = &rustKeywords();
        s.types = &rustTypes();
        s.lineComment = u"//";
        s.blockComment = true;
        s.quotes = u"\"'";
        s.bangMacro = true;
        s.capitalTypes = true;
        s.rustChars = true;
        s.atMeta = false;
        return s;
    }();
    static const Spec go = [] {
        Spec s;
        s.keywords = &goKeywords();
        s.types = &goTypes();
        s.lineComment = u"//";
        s.blockComment = true;
        s.quotes = u"\"'";
        s.backtick = true;
        return s;
    }();
    static const Spec java = [] {
        Spec s;
        s.keywords = &javaKeywords();
        s.types = &javaTypes();
        s.lineComment = u"//";
        s.blockComment = true;
        s.quotes = u"\"'";
        s.atMeta = true;
        s.capitalTypes = true;
        return s;
    }();
    static const Spec sql = [] {
        Spec s;
        s.keywords = &sqlKeywords();
        s.types = &sqlTypes();
        s.lineComment = u"--";
        s.blockComment = true;
        s.quotes = u"'";
        return s;
    }();
    static const Spec generic = [] {
        Spec s;
        s.keywords = &genericKeywords();
        s.lineComment = u"//";
        s.hashComment = true;
        s.blockComment = true;
        s.quotes = u"\"'";
        return s;
    }();
    switch (language) {
    case Language::Cpp:
        return &cpp;
    case Language::Python:
        return &python;
    case Language::JavaScript:
        return &js;
    case Language::Json:
        return &json;
    case Language::Shell:
        return &shell;
    case Language::Rust:
        return &rust;
    case Language::Go:
        return &go;
    case Language::Java:
        return &java;
    case Language::Sql:
        return &sql;
    case Language::Generic:
        return &generic;
    case Language::None:
    case Language::Yaml:
    case Language::Diff:
        break;
    }
    return nullptr;
}

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

struct TagEntry
{
    const char16_t *tag;
    Language language;
};

} // namespace

CodeHighlighter::Language CodeHighlighter::languageFor(QStringView tag)
{
    static const TagEntry tags[] = {
        {u"c", Language::Cpp},
        {u"cpp", Language::Cpp},
        {u"c++", Language::Cpp},
        {u"cc", Language::Cpp},
        {u"cxx", Language::Cpp},
        {u"h", Language::Cpp},
        {u"hpp", Language::Cpp},
        {u"objc", Language::Cpp},
        {u"cuda", Language::Cpp},
        {u"qml", Language::JavaScript},
        {u"python", Language::Python},
        {u"py", Language::Python},
        {u"python3", Language::Python},
        {u"py3", Language::Python},
        {u"javascript", Language::JavaScript},
        {u"js", Language::JavaScript},
        {u"jsx", Language::JavaScript},
        {u"mjs", Language::JavaScript},
        {u"cjs", Language::JavaScript},
        {u"typescript", Language::JavaScript},
        {u"ts", Language::JavaScript},
        {u"tsx", Language::JavaScript},
        {u"json", Language::Json},
        {u"jsonc", Language::Json},
        {u"json5", Language::Json},
        {u"sh", Language::Shell},
        {u"bash", Language::Shell},
        {u"shell", Language::Shell},
        {u"zsh", Language::Shell},
        {u"ksh", Language::Shell},
        {u"console", Language::Shell},
        {u"shellscript", Language::Shell},
        {u"rust", Language::Rust},
        {u"rs", Language::Rust},
        {u"go", Language::Go},
        {u"golang", Language::Go},
        {u"java", Language::Java},
        {u"kotlin", Language::Java},
        {u"sql", Language::Sql},
        {u"postgresql", Language::Sql},
        {u"mysql", Language::Sql},
        {u"sqlite", Language::Sql},
        {u"yaml", Language::Yaml},
        {u"yml", Language::Yaml},
        {u"diff", Language::Diff},
        {u"patch", Language::Diff},
        {u"text", Language::None},
        {u"txt", Language::None},
        {u"plain", Language::None},
        {u"plaintext", Language::None},
        {u"output", Language::None},
        {u"log", Language::None},
    };
    const QStringView t = tag.trimmed();
    if (t.isEmpty())
        return Language::None;
    for (const TagEntry &e : tags) {
        if (t.compare(QStringView(e.tag), Qt::CaseInsensitive) == 0)
            return e.language;
    }
    return Language::Generic;
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
