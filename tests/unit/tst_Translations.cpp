#include "TestSupport.h"
#include "Translations.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTranslator>
#include <QXmlStreamReader>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

namespace {

// One <message> of a .ts file.
struct TsMessage
{
    QString context;
    QString source;
    QString comment; // disambiguation
    QString translatorComment;
    QString type; // "unfinished", "vanished", "obsolete" or empty (finished)
    bool numerus = false;
    QStringList translations; // one, or one per numerus form
};

struct TsFile
{
    QString language;
    QList<TsMessage> messages;
    QString error;
};

TsFile readTs(const QString &path)
{
    TsFile ts;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        ts.error = QStringLiteral("cannot open ") + path;
        return ts;
    }
    QXmlStreamReader xml(&f);
    QString context;
    TsMessage message;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        const auto name = xml.name();
        if (name == QLatin1String("TS")) {
            ts.language = xml.attributes().value(QLatin1String("language")).toString();
        } else if (name == QLatin1String("name")) {
            context = xml.readElementText();
        } else if (name == QLatin1String("message")) {
            message = TsMessage();
            message.context = context;
            message.numerus =
                xml.attributes().value(QLatin1String("numerus")) == QLatin1String("yes");
        } else if (name == QLatin1String("source")) {
            message.source = xml.readElementText();
        } else if (name == QLatin1String("comment")) {
            message.comment = xml.readElementText();
        } else if (name == QLatin1String("translatorcomment")) {
            message.translatorComment = xml.readElementText();
        } else if (name == QLatin1String("translation")) {
            message.type = xml.attributes().value(QLatin1String("type")).toString();
            if (message.numerus) {
                while (xml.readNextStartElement()) {
                    if (xml.name() == QLatin1String("numerusform"))
                        message.translations << xml.readElementText();
                    else
                        xml.skipCurrentElement();
                }
            } else {
                message.translations << xml.readElementText();
            }
            ts.messages << message;
        }
    }
    if (xml.hasError())
        ts.error = path + QStringLiteral(": ") + xml.errorString();
    return ts;
}

QStringList tsFiles()
{
    const QDir dir(QStringLiteral(QLAUDE_TS_DIR));
    QStringList files;
    for (const QString &name :
         dir.entryList({QStringLiteral("qlaude_*.ts")}, QDir::Files, QDir::Name))
        files << dir.filePath(name);
    return files;
}

QString languageOf(const QString &tsPath)
{
    static const QRegularExpression re(QStringLiteral("qlaude_([a-z]+)\\.ts$"));
    return re.match(tsPath).captured(1);
}

// %1..%99, %L1, %n, %Ln: what .arg() and the numerus forms fill in.
QStringList placeholders(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("%L?([0-9]{1,2}|n)"));
    QStringList found;
    for (auto it = re.globalMatch(text); it.hasNext();)
        found << it.next().captured(0);
    found.removeDuplicates();
    found.sort();
    return found;
}

// Opening and closing HTML tags by name, in order of appearance sorted, with repeats.
QStringList htmlTags(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("<(/?[A-Za-z][A-Za-z0-9]*)[^<>]*>"));
    QStringList found;
    for (auto it = re.globalMatch(text); it.hasNext();)
        found << it.next().captured(1).toLower();
    found.sort();
    return found;
}

// The number of keyboard accelerators (&X, not &&): a menu or button text keeps its one.
int accelerators(const QString &text)
{
    int n = 0;
    for (int i = 0; i + 1 < text.size(); ++i) {
        if (text.at(i) != QLatin1Char('&'))
            continue;
        if (text.at(i + 1) == QLatin1Char('&')) {
            ++i;
            continue;
        }
        if (text.at(i + 1).isLetterOrNumber() || text.at(i + 1).unicode() > 0x7f)
            ++n;
    }
    return n;
}

bool hasLetters(const QString &text)
{
    static const QRegularExpression placeholder(QStringLiteral("%L?([0-9]{1,2}|n)"));
    QString rest = text;
    rest.remove(placeholder);
    return std::any_of(rest.begin(), rest.end(), [](QChar c) { return c.isLetter(); });
}

// Every problem of one catalogue, one line each: what a translator has to fix.
QStringList problemsOf(const TsFile &ts, const QTranslator *compiled)
{
    QStringList problems;
    if (!ts.error.isEmpty())
        return {ts.error};
    for (const TsMessage &m : ts.messages) {
        const QString where =
            m.context + QStringLiteral(" \"") + m.source.left(60) + QStringLiteral("\": ");
        if (m.type == QLatin1String("vanished") || m.type == QLatin1String("obsolete")) {
            problems << where +
                            QStringLiteral("no longer in the sources (run update_translations)");
            continue;
        }
        if (m.type == QLatin1String("unfinished")) {
            problems << where + QStringLiteral("not translated (type=\"unfinished\")");
            continue;
        }
        if (m.translations.isEmpty() ||
            std::any_of(m.translations.begin(), m.translations.end(),
                        [](const QString &t) { return t.trimmed().isEmpty(); })) {
            problems << where + QStringLiteral("empty translation");
            continue;
        }
        for (const QString &t : m.translations) {
            // Identical to the source only on purpose: a product name, a format with no words,
            // or a translator's note that says so.
            if (t == m.source && hasLetters(m.source) &&
                !m.translatorComment.contains(QLatin1String("same as source")))
                problems << where + QStringLiteral("translation identical to the source");
            if (placeholders(t) != placeholders(m.source)) {
                problems << where + QStringLiteral("placeholders ") +
                                placeholders(t).join(QLatin1Char(',')) +
                                QStringLiteral(" instead of ") +
                                placeholders(m.source).join(QLatin1Char(','));
            }
            if (htmlTags(t) != htmlTags(m.source))
                problems << where + QStringLiteral("HTML tags differ from the source's");
            if (accelerators(t) != accelerators(m.source))
                problems << where + QStringLiteral("accelerators (&) differ from the source's");
        }
        if (!compiled)
            continue;
        // The compiled catalogue the app embeds answers with the same text.
        const QByteArray context = m.context.toUtf8();
        const QByteArray source = m.source.toUtf8();
        const QByteArray comment = m.comment.toUtf8();
        const char *disambiguation = m.comment.isEmpty() ? nullptr : comment.constData();
        if (m.numerus) {
            for (int n : {1, 2, 5}) {
                const QString got =
                    compiled->translate(context.constData(), source.constData(), disambiguation, n);
                if (got.isEmpty() || !m.translations.contains(got))
                    problems << where +
                                    QStringLiteral("the .qm has no translation for n=%1").arg(n);
            }
        } else {
            const QString got =
                compiled->translate(context.constData(), source.constData(), disambiguation);
            if (got != m.translations.value(0))
                problems << where + QStringLiteral("the .qm answers \"%1\"").arg(got.left(60));
        }
    }
    return problems;
}

QString fold(const QStringList &problems)
{
    const int shown = 40;
    QString text = problems.mid(0, shown).join(QLatin1Char('\n'));
    if (problems.size() > shown)
        text += QStringLiteral("\n... and %1 more").arg(problems.size() - shown);
    return text;
}

} // namespace

class tst_Translations : public QObject
{
    Q_OBJECT

private slots:
    void everyCatalogueIsEmbedded()
    {
        const QStringList files = tsFiles();
        QVERIFY2(files.size() >= 2, "resources/translations has no qlaude_<lang>.ts");
        QStringList languages{QStringLiteral("en")};
        for (const QString &file : files) {
            languages << languageOf(file);
            QVERIFY2(QFile::exists(Translations::cataloguePath(languageOf(file))),
                     qPrintable(Translations::cataloguePath(languageOf(file))));
        }
        QCOMPARE(Translations::availableLanguages(), languages);
    }

    // Every text of every catalogue translated, placeholders, HTML tags and accelerators kept,
    // and the embedded .qm answering with the same text.
    void catalogueIsComplete_data()
    {
        QTest::addColumn<QString>("tsPath");
        for (const QString &file : tsFiles())
            QTest::newRow(qPrintable(languageOf(file))) << file;
    }
    void catalogueIsComplete()
    {
        QFETCH(QString, tsPath);
        const TsFile ts = readTs(tsPath);
        QVERIFY2(ts.error.isEmpty(), qPrintable(ts.error));
        QVERIFY(ts.messages.size() > 100);
        QCOMPARE(ts.language, languageOf(tsPath));
        QTranslator compiled;
        QVERIFY(compiled.load(Translations::cataloguePath(languageOf(tsPath))));
        const QStringList problems = problemsOf(ts, &compiled);
        QVERIFY2(problems.isEmpty(), qPrintable(fold(problems)));
    }

    // The catalogues hold every marked text in the sources as they are now: lupdate over app/,
    // auth/, providers/ and ui/ into a copy of each .ts adds nothing unfinished and drops nothing.
    void catalogueIsCurrent_data() { catalogueIsComplete_data(); }
    void catalogueIsCurrent()
    {
        QFETCH(QString, tsPath);
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString copy = tmp.filePath(QFileInfo(tsPath).fileName());
        QVERIFY(QFile::copy(tsPath, copy));
        QFile::setPermissions(copy, QFile::ReadOwner | QFile::WriteOwner);
        QProcess lupdate;
        lupdate.setWorkingDirectory(QStringLiteral(QLAUDE_SOURCE_DIR));
        lupdate.setProcessChannelMode(QProcess::MergedChannels);
        lupdate.start(QStringLiteral(QLAUDE_LUPDATE),
                      {"-locations", "none", "-no-obsolete", "-silent", "app", "auth", "providers",
                       "ui", "-ts", copy});
        QVERIFY(lupdate.waitForFinished(120000));
        QVERIFY2(lupdate.exitCode() == 0, lupdate.readAll().constData());
        const TsFile before = readTs(tsPath);
        const TsFile after = readTs(copy);
        QStringList problems = problemsOf(after, nullptr);
        if (after.messages.size() != before.messages.size()) {
            problems << QStringLiteral("%1 texts in the sources, %2 in %3")
                            .arg(after.messages.size())
                            .arg(before.messages.size())
                            .arg(tsPath);
        }
        if (!problems.isEmpty()) {
            problems.prepend(QStringLiteral("The catalogue is stale: build the target "
                                            "update_translations, then translate:"));
        }
        QVERIFY2(problems.isEmpty(), qPrintable(fold(problems)));
    }

    // The checks above catch what they should: a catalogue with one text left unfinished, one
    // placeholder dropped, or an HTML tag lost fails.
    void checksCatchBrokenEntries()
    {
        TsFile ts;
        TsMessage m;
        m.context = QStringLiteral("ctx");
        m.source = QStringLiteral("Open <b>%1</b> in %2");
        m.translations = {QStringLiteral("Öffne <b>%1</b> in %2")};
        ts.messages << m;
        QCOMPARE(problemsOf(ts, nullptr), QStringList());
        ts.messages[0].translations = {QStringLiteral("Öffne <b>%1</b>")};
        QCOMPARE(problemsOf(ts, nullptr).size(), 1);
        ts.messages[0].translations = {QStringLiteral("Öffne %1 in %2")};
        QCOMPARE(problemsOf(ts, nullptr).size(), 1);
        ts.messages[0].translations = {QStringLiteral("&Öffne <b>%1</b> in %2")};
        QCOMPARE(problemsOf(ts, nullptr).size(), 1);
        ts.messages[0].translations = {m.source};
        QCOMPARE(problemsOf(ts, nullptr).size(), 1);
        ts.messages[0].translatorComment = QStringLiteral("same as source");
        QCOMPARE(problemsOf(ts, nullptr), QStringList());
        ts.messages[0].type = QStringLiteral("unfinished");
        QCOMPARE(problemsOf(ts, nullptr).size(), 1);
    }

    void languageNames()
    {
        QCOMPARE(Translations::languageFor(QStringLiteral("de")), QStringLiteral("de"));
        QCOMPARE(Translations::languageFor(QStringLiteral("de_AT.UTF-8")), QStringLiteral("de"));
        QCOMPARE(Translations::languageFor(QStringLiteral("ja-JP")), QStringLiteral("ja"));
        QCOMPARE(Translations::languageFor(QStringLiteral("en_GB")), QStringLiteral("en"));
        QCOMPARE(Translations::languageFor(QStringLiteral("C")), QStringLiteral("en"));
        QCOMPARE(Translations::languageFor(QStringLiteral("C.UTF-8")), QStringLiteral("en"));
        QCOMPARE(Translations::languageFor(QStringLiteral("POSIX")), QStringLiteral("en"));
        QCOMPARE(Translations::languageFor(QStringLiteral("fr_FR")), QString());
        QCOMPARE(Translations::languageFor(QStringLiteral("klingon")), QString());
        Translations t;
        QString error;
        QVERIFY(!t.load(QStringLiteral("fr"), &error));
        QVERIFY2(error.contains(QLatin1String("en, de, ja")), qPrintable(error));
        QCOMPARE(t.language(), QStringLiteral("en"));
        QVERIFY(t.load(QStringLiteral("ja"), &error));
        QCOMPARE(t.language(), QStringLiteral("ja"));
        QVERIFY(t.translate("qlaude::CommandLine", "Show this help.") != "Show this help.");
    }

    // The real binary: the system locale picks the language, --lang overrides it, and English
    // stays the source texts.
    void binaryFollowsLocaleAndLang()
    {
        TestHome h(QStringLiteral("l10n-cli"));
        const auto helpIn = [&](const QString &lang, const QStringList &extra) {
            QProcessEnvironment env = h.environment();
            env.remove(QStringLiteral("LC_ALL"));
            env.remove(QStringLiteral("LANGUAGE"));
            env.insert(QStringLiteral("LANG"), lang);
            const ProcessResult r = runQlaude(QStringList{"--help"} + extra, env);
            return r.exitCode == 0 ? QString::fromUtf8(r.out) : QString();
        };
        const QString english = helpIn(QStringLiteral("C.UTF-8"), {});
        QVERIFY(english.contains(QLatin1String("Show this help.")));
        QVERIFY(english.contains(QLatin1String("--lang <language>")));
        const QString german = helpIn(QStringLiteral("de_DE.UTF-8"), {});
        QVERIFY2(german.contains(QLatin1String("Diese Hilfe anzeigen.")), qPrintable(german));
        const QString japanese = helpIn(QStringLiteral("C.UTF-8"), {"--lang", "ja"});
        QVERIFY2(japanese.contains(QStringLiteral("このヘルプを表示します。")),
                 qPrintable(japanese));
        QCOMPARE(helpIn(QStringLiteral("de_DE.UTF-8"), {"--lang=en"}), english);
        QCOMPARE(helpIn(QStringLiteral("fr_FR.UTF-8"), {}), english);

        QProcessEnvironment env = h.environment();
        const ProcessResult unknown = runQlaude({"--lang", "fr", "--version"}, env);
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.contains("--lang"));
        // A command-line error in German, from app/ and from Qt's own parser texts alike.
        env.insert(QStringLiteral("LANG"), QStringLiteral("de_DE.UTF-8"));
        env.remove(QStringLiteral("LC_ALL"));
        const ProcessResult bad = runQlaude({"--max-tokens", "x", "--print", "hi"}, env);
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("--max-tokens muss"), bad.err.constData());
    }

    // --doctor's text follows the language; --doctor --json is machine-readable and stays
    // English, values included.
    void doctorTextIsTranslatedAndJsonStaysEnglish()
    {
        TestHome h(QStringLiteral("l10n-doctor"));
        QProcessEnvironment env = h.environment();
        env.remove(QStringLiteral("LC_ALL"));
        env.remove(QStringLiteral("LANGUAGE"));
        env.insert(QStringLiteral("LANG"), QStringLiteral("de_DE.UTF-8"));
        const ProcessResult text = runQlaude({"--bare", "--doctor"}, env);
        const QString german = QString::fromUtf8(text.out);
        QVERIFY2(german.contains(QStringLiteral("--bare liest den Schlüsselbund nicht.")),
                 qPrintable(german));
        QVERIFY2(german.contains(QStringLiteral("Nicht bereit: keine nutzbaren Anmeldedaten.")),
                 qPrintable(german));
        const ProcessResult json = runQlaude({"--bare", "--doctor", "--json"}, env);
        const QString english = QString::fromUtf8(json.out);
        QVERIFY2(english.contains(QLatin1String("\"--bare does not read the keychain.\"")),
                 qPrintable(english));
        QVERIFY2(!english.contains(QStringLiteral("Schlüsselbund")), qPrintable(english));
        QCOMPARE(json.exitCode, text.exitCode);
    }
};

QTEST_GUILESS_MAIN(tst_Translations)
#include "tst_Translations.moc"
