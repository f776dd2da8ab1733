#include "CodeLanguages.h"

#include <algorithm>

namespace qlaude::codelang {

using Language = CodeHighlighter::Language;

WordList::WordList(std::initializer_list<const char16_t *> words, bool caseInsensitive)
    : m_cs(caseInsensitive ? Qt::CaseInsensitive : Qt::CaseSensitive)
{
    m_words.reserve(words.size());
    for (const char16_t *w : words)
        m_words.emplace_back(w);
    std::sort(m_words.begin(), m_words.end(),
              [this](QStringView a, QStringView b) { return a.compare(b, m_cs) < 0; });
}

bool WordList::contains(QStringView word) const
{
    return std::binary_search(
        m_words.begin(), m_words.end(), word,
        [this](QStringView a, QStringView b) { return a.compare(b, m_cs) < 0; });
}

namespace {

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

struct TagEntry
{
    const char16_t *tag;
    Language language;
};

} // namespace

const WordList &yamlKeywords()
{
    static const WordList w{u"false", u"False", u"no",   u"No",   u"null", u"Null",
                            u"off",   u"on",    u"true", u"True", u"yes",  u"Yes"};
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

CodeHighlighter::Language languageForTag(QStringView tag)
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

} // namespace qlaude::codelang
