// The code blocks' syntax colours: which words of a line each language's scanner colours, what a
// line leaves open for the next, which tags choose which language, and that the colours reach
// the document the message view draws.
#include "CodeHighlighter.h"
#include "MessageLayout.h"

#include <QGuiApplication>
#include <QPalette>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextLayout>
#include <QtTest>

using namespace qlaude;
using Language = CodeHighlighter::Language;
using Token = CodeHighlighter::Token;

Q_DECLARE_METATYPE(CodeHighlighter::Language)
Q_DECLARE_METATYPE(CodeHighlighter::Token)

namespace {

// The token of the span that covers `word`'s first occurrence in the line, or -1.
int tokenOf(Language language, const QString &line, const QString &word, int state = 0)
{
    const QList<CodeHighlighter::Span> spans =
        CodeHighlighter::highlightLine(language, line, &state);
    const int at = int(line.indexOf(word));
    if (at < 0)
        return -2;
    for (const CodeHighlighter::Span &s : spans) {
        if (s.start <= at && at + word.size() <= s.start + s.length)
            return int(s.token);
    }
    return -1;
}

} // namespace

class tst_CodeHighlighter : public QObject
{
    Q_OBJECT

private slots:
    void colourWordsByLanguage_data()
    {
        QTest::addColumn<QString>("tag");
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("word");
        QTest::addColumn<int>("token"); // -1: not coloured

        auto row = [](const char *name, const char *tag, const char *line, const char *word,
                      int token) {
            QTest::newRow(name) << QString::fromUtf8(tag) << QString::fromUtf8(line)
                                << QString::fromUtf8(word) << token;
        };
        const int K = int(Token::Keyword), T = int(Token::Type), S = int(Token::String),
                  C = int(Token::Comment), N = int(Token::Number), M = int(Token::Meta),
                  Y = int(Token::Key), I = int(Token::Inserted), D = int(Token::Deleted),
                  H = int(Token::Hunk), none = -1;
        row("cpp keyword", "cpp", "for (int i = 0; i < n; ++i) return;", "return", K);
        row("cpp type", "cpp", "unsigned long count = 0;", "unsigned", T);
        row("cpp class type", "c++", "QString name = other;", "QString", T);
        row("cpp string", "cpp", "auto s = \"a \\\" quoted\";", "quoted", S);
        row("cpp number", "cpp", "x = 0x1F + 3.5e-2;", "0x1F", N);
        row("cpp float", "cpp", "x = 0x1F + 3.5e-2;", "3.5e-2", N);
        row("cpp comment", "cpp", "x = 1; // the count", "the count", C);
        row("cpp include", "cpp", "#include <vector>", "#include", M);
        row("cpp include path", "cpp", "#include <vector>", "<vector>", S);
        row("cpp plain word", "cpp", "counter = total;", "counter", none);
        row("cpp word in identifier", "cpp", "format_string(x);", "format", none);
        row("c tag", "c", "static int x;", "static", K);
        row("python def", "python", "def load(path):", "def", K);
        row("python none", "py", "x = None", "None", K);
        row("python comment", "python", "x = 1  # not a 'string'", "not", C);
        row("python fstring", "python", "print(f\"{x} items\")", "items", S);
        row("python decorator", "python", "@dataclass", "@dataclass", M);
        row("python builtin", "python", "n = len(items)", "len", T);
        row("js const", "javascript", "const answer = 42;", "const", K);
        row("js number", "js", "const answer = 42;", "42", N);
        row("js template", "js", "const s = `hi ${name}`;", "hi", S);
        row("ts type", "typescript", "let n: number = 1;", "number", T);
        row("ts interface", "ts", "interface Props { id: string }", "interface", K);
        row("json key", "json", "  \"name\": \"qlaude\",", "\"name\"", Y);
        row("json value", "json", "  \"name\": \"qlaude\",", "\"qlaude\"", S);
        row("json literal", "json", "  \"ok\": true,", "true", K);
        row("json number", "json", "  \"n\": -12.5", "12.5", N);
        row("bash keyword", "bash", "if [ -f \"$file\" ]; then", "then", K);
        row("bash variable", "sh", "echo ${HOME}/bin $PATH", "${HOME}", M);
        row("bash comment", "shell", "ls -la # list", "list", C);
        row("bash hash in word", "bash", "echo a#b", "a#b", none);
        row("rust fn", "rust", "pub fn main() -> Result<(), Error> {", "fn", K);
        row("rust macro", "rs", "println!(\"{}\", x);", "println!", M);
        row("rust type", "rust", "let v: Vec<u8> = Vec::new();", "u8", T);
        row("rust lifetime", "rust", "fn f<'a>(s: &'a str) -> &'a str", "str", T);
        row("go func", "go", "func main() {", "func", K);
        row("go type", "golang", "var n int64 = 3", "int64", T);
        row("go raw string", "go", "s := `raw`", "raw", S);
        row("java class", "java", "public class Main extends Base {", "extends", K);
        row("java annotation", "java", "@Override", "@Override", M);
        row("java string type", "java", "String s = \"x\";", "String", T);
        row("sql keyword", "sql", "SELECT id FROM users WHERE name = 'x';", "WHERE", K);
        row("sql lowercase keyword", "sql", "select id from users;", "from", K);
        row("sql string", "sql", "SELECT id FROM users WHERE name = 'bob';", "bob", S);
        row("sql comment", "sql", "-- all users", "all users", C);
        row("sql type", "sql", "id INTEGER PRIMARY KEY,", "INTEGER", T);
        row("yaml key", "yaml", "  timeout: 30", "timeout", Y);
        row("yaml number", "yml", "  timeout: 30", "30", N);
        row("yaml bool", "yaml", "enabled: true # on", "true", K);
        row("yaml comment", "yaml", "enabled: true # on", "# on", C);
        row("yaml list key", "yaml", "- name: build", "name", Y);
        row("yaml quoted", "yaml", "name: \"a: b\"", "a: b", S);
        row("diff added", "diff", "+int x = 1;", "int x", I);
        row("diff removed", "diff", "-int x = 0;", "int x", D);
        row("diff hunk", "diff", "@@ -1,3 +1,4 @@", "-1,3", H);
        row("diff file", "patch", "--- a/main.cpp", "main.cpp", H);
        row("diff context", "diff", " unchanged line", "unchanged", none);
        row("unknown tag keyword", "ruby", "def greet(name) return end", "return", K);
        row("unknown tag string", "elixir", "IO.puts \"hello\"", "hello", S);
        row("unknown tag comment", "toml", "# settings", "settings", C);
        row("no tag", "", "if x then \"y\" # 3", "if", none);
        row("text tag", "text", "return \"quoted\" 42", "42", none);
    }

    void colourWordsByLanguage()
    {
        QFETCH(QString, tag);
        QFETCH(QString, line);
        QFETCH(QString, word);
        QFETCH(int, token);
        QCOMPARE(tokenOf(CodeHighlighter::languageFor(tag), line, word), token);
    }

    void tagsChooseTheirLanguage()
    {
        QCOMPARE(CodeHighlighter::languageFor(u"C++"), Language::Cpp);
        QCOMPARE(CodeHighlighter::languageFor(u"Python"), Language::Python);
        QCOMPARE(CodeHighlighter::languageFor(u"tsx"), Language::JavaScript);
        QCOMPARE(CodeHighlighter::languageFor(u"zsh"), Language::Shell);
        QCOMPARE(CodeHighlighter::languageFor(u"yml"), Language::Yaml);
        QCOMPARE(CodeHighlighter::languageFor(u""), Language::None);
        QCOMPARE(CodeHighlighter::languageFor(u"plaintext"), Language::None);
        QCOMPARE(CodeHighlighter::languageFor(u"haskell"), Language::Generic);
    }

    void multiLineCommentsAndStringsCarryOver()
    {
        int state = 0;
        auto spans = CodeHighlighter::highlightLine(Language::Cpp, u"int x; /* starts", &state);
        QVERIFY(state != 0);
        spans = CodeHighlighter::highlightLine(Language::Cpp, u"still a comment", &state);
        QCOMPARE(spans.size(), 1);
        QCOMPARE(spans.first().token, Token::Comment);
        QCOMPARE(spans.first().length, 15);
        QCOMPARE(tokenOf(Language::Cpp, QStringLiteral("ends */ return 1;"),
                         QStringLiteral("return"), state),
                 int(Token::Keyword));
        QCOMPARE(tokenOf(Language::Cpp, QStringLiteral("ends */ return 1;"), QStringLiteral("ends"),
                         state),
                 int(Token::Comment));

        state = 0;
        CodeHighlighter::highlightLine(Language::Python, u"doc = \"\"\"Title", &state);
        QCOMPARE(tokenOf(Language::Python, QStringLiteral("def inside the docstring"),
                         QStringLiteral("def"), state),
                 int(Token::String));
        state = 0;
        CodeHighlighter::highlightLine(Language::JavaScript, u"const s = `one", &state);
        QCOMPARE(tokenOf(Language::JavaScript, QStringLiteral("two` + const"),
                         QStringLiteral("two"), state),
                 int(Token::String));
        QCOMPARE(tokenOf(Language::JavaScript, QStringLiteral("two` + const"),
                         QStringLiteral("const"), state),
                 int(Token::Keyword));
    }

    void coloursAreReadableOnLightAndDarkBases()
    {
        QPalette light;
        light.setColor(QPalette::Base, Qt::white);
        QPalette dark;
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
        auto luminance = [](const QColor &c) {
            auto ch = [](qreal v) {
                return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
            };
            return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF());
        };
        auto contrast = [&](const QColor &a, const QColor &b) {
            const qreal la = luminance(a), lb = luminance(b);
            return (qMax(la, lb) + 0.05) / (qMin(la, lb) + 0.05);
        };
        for (int t = 0; t <= int(Token::Hunk); ++t) {
            for (const QPalette &p : {light, dark}) {
                const QColor fg = CodeHighlighter::format(Token(t), p).foreground().color();
                // The code box's background is the base with a few percent of the text colour.
                const qreal c = contrast(fg, p.color(QPalette::Base));
                QVERIFY2(c >= 4.0, qPrintable(QStringLiteral("token %1 on %2: %3:1")
                                                  .arg(t)
                                                  .arg(p.color(QPalette::Base).name())
                                                  .arg(c)));
            }
        }
    }

    void theDocumentOfACodeSliceCarriesTheColours()
    {
        int state = 0;
        const auto doc =
            makeCodeDocument(QStringLiteral("/* open\nstill */ return 0;"), QStringLiteral("cpp"),
                             QGuiApplication::font(), 32, &state);
        QCOMPARE(state, 0);
        const QTextBlock second = doc->firstBlock().next();
        const QList<QTextLayout::FormatRange> formats = second.layout()->formats();
        const QColor keyword = CodeHighlighter::format(Token::Keyword, QGuiApplication::palette())
                                   .foreground()
                                   .color();
        bool found = false;
        for (const QTextLayout::FormatRange &r : formats) {
            if (second.text().mid(r.start, r.length) == QLatin1String("return"))
                found = r.format.foreground().color() == keyword;
        }
        QVERIFY(found);
        // Lines keep their length: the document does not wrap.
        QCOMPARE(doc->defaultTextOption().wrapMode(), QTextOption::NoWrap);
        // A slice that ends inside a comment hands that on to the next slice.
        state = 0;
        makeCodeDocument(QStringLiteral("x = 1\n/* still open"), QStringLiteral("c"),
                         QGuiApplication::font(), 32, &state);
        QVERIFY(state != 0);
    }
};

QTEST_MAIN(tst_CodeHighlighter)
#include "tst_CodeHighlighter.moc"
