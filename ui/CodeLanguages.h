#pragma once

#include "CodeHighlighter.h"

#include <QStringView>

#include <initializer_list>
#include <vector>

// The languages CodeHighlighter knows: their words, comment and string syntax, and the fence
// tags that name them. Internal to the highlighter.
namespace qlaude::codelang {

// A sorted word list, searched without allocating.
class WordList
{
public:
    WordList(std::initializer_list<const char16_t *> words, bool caseInsensitive = false);
    bool contains(QStringView word) const;

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

// The scanner settings of a language; nullptr for the ones with their own scanner (YAML, diff)
// and for plain text.
const Spec *specFor(CodeHighlighter::Language language);
// YAML's words for true, false and null.
const WordList &yamlKeywords();
CodeHighlighter::Language languageForTag(QStringView tag);

} // namespace qlaude::codelang
