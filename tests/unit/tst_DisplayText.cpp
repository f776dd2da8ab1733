#include "DisplayText.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace qlaude;

// Commands, paths and URLs made safe to show on a terminal and in the dialogs.
class tst_DisplayText : public QObject
{
    Q_OBJECT

private slots:
    void escapesWhatRedrawsOrReordersText_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("shown");
        QTest::newRow("escape sequences")
            << QStringLiteral("\x1b[2K\x1b[1Aecho hi") << QStringLiteral("\\e[2K\\e[1Aecho hi");
        QTest::newRow("newline, return, tab")
            << QStringLiteral("a\nb\rc\td") << QStringLiteral("a\\nb\\rc\\td");
        QTest::newRow("other C0, NUL, DEL")
            << QString(QStringLiteral("x\x01y\x7fz")).append(QChar(0)).append(QLatin1Char('!'))
            << QStringLiteral("x\\x01y\\x7fz\\x00!");
        QTest::newRow("C1 CSI and NEL")
            << QString(QChar(0x9b)) + QStringLiteral("31m") + QChar(0x85)
            << QStringLiteral("\\x9b31m\\x85");
        QTest::newRow("bidi override")
            << QStringLiteral("echo \u202Egnp.exe") << QStringLiteral("echo \\u202egnp.exe");
        QString bidi;
        QString bidiShown;
        for (char16_t c : {0x202a, 0x202b, 0x202c, 0x202d, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e,
                           0x200f, 0x061c}) {
            bidi += QChar(c);
            bidiShown += QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
        }
        QTest::newRow("embeddings, isolates, marks") << bidi << bidiShown;
        QTest::newRow("zero-width") << QStringLiteral("a\u200Bb\u200Cc\u200Dd\u2060e\uFEFFf")
                                    << QStringLiteral("a\\u200bb\\u200cc\\u200dd\\u2060e\\ufefff");
        QTest::newRow("line and paragraph separators")
            << QStringLiteral("a\u2028b\u2029c") << QStringLiteral("a\\u2028b\\u2029c");
        QTest::newRow("tag character above U+FFFF")
            << QString::fromUcs4(U"x\U000E0041y") << QStringLiteral("x\\U000e0041y");
        QTest::newRow("lone surrogate") << QStringLiteral("a") + QChar(0xd800) + QStringLiteral("b")
                                        << QStringLiteral("a\\ud800b");
    }
    void escapesWhatRedrawsOrReordersText()
    {
        QFETCH(QString, input);
        QFETCH(QString, shown);
        QCOMPARE(displaySafe(input), shown);
    }

    void ordinaryTextAndBackslashesStayAsTheyAre()
    {
        for (const QString &s :
             {QStringLiteral("/usr/bin/op read 'op://private/Anthropic/api-key'"),
              QStringLiteral("C:\\Users\\me\\bin\\helper.exe --flag \\e"),
              QStringLiteral("Grüße 日本語 עברית \U0001F600 ~/Документы"), QString()})
            QCOMPARE(displaySafe(s), s);
    }

    void linesKeepTheirBreaksButNotTheirControls()
    {
        QCOMPARE(displaySafeLines(QStringLiteral("one\x1b[2K\ntwo\u202E\n")),
                 QStringLiteral("one\\e[2K\ntwo\\u202e\n"));
        QCOMPARE(displaySafeLines(QStringLiteral("a\nb")), QStringLiteral("a\nb"));
    }

    void jsonForTheTerminalParsesToTheSameValue()
    {
        const QString command = QStringLiteral("\x1b[2Kecho \u202E hi") + QChar(0x9b) +
                                QString::fromUcs4(U"\U000E0041");
        const QByteArray raw = QJsonDocument(QJsonObject{{"command", command}}).toJson();
        const QByteArray safe = terminalSafeJson(raw);
        QVERIFY(!safe.contains('\x1b'));
        QVERIFY(!safe.contains(QStringLiteral("\u202E").toUtf8()));
        QVERIFY(!safe.contains(QString(QChar(0x9b)).toUtf8()));
        QVERIFY(safe.contains("\\u202e"));
        QVERIFY(safe.contains("\\udb40\\udc41"));
        QJsonParseError pe;
        const QJsonDocument back = QJsonDocument::fromJson(safe, &pe);
        QCOMPARE(pe.error, QJsonParseError::NoError);
        QCOMPARE(back.object().value("command").toString(), command);
        const QByteArray plain = QJsonDocument(QJsonObject{{"a", "b"}}).toJson();
        QCOMPARE(terminalSafeJson(plain), plain);
    }

    void urlPasswordsAreRedacted_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("shown");
        QTest::newRow("user and password") << QStringLiteral("http://u:pw0rd@127.0.0.1:9/")
                                           << QStringLiteral("http://u:…@127.0.0.1:9/");
        QTest::newRow("with path, query and fragment")
            << QStringLiteral("https://me:p%40ss@gw.example:8443/v1?x=a:b@c#f")
            << QStringLiteral("https://me:…@gw.example:8443/v1?x=a:b@c#f");
        QTest::newRow("'@' and ':' inside the password")
            << QStringLiteral("http://me:a:b@c@host/") << QStringLiteral("http://me:…@host/");
        QTest::newRow("no scheme (a proxy)")
            << QStringLiteral("me:pw@proxy:3128") << QStringLiteral("me:…@proxy:3128");
        QTest::newRow("user only")
            << QStringLiteral("http://me@host/") << QStringLiteral("http://me@host/");
        QTest::newRow("empty password")
            << QStringLiteral("http://me:@host/") << QStringLiteral("http://me:@host/");
        QTest::newRow("no userinfo") << QStringLiteral("https://api.anthropic.com")
                                     << QStringLiteral("https://api.anthropic.com");
        QTest::newRow("'@' only in the path")
            << QStringLiteral("http://host:80/a:b@c") << QStringLiteral("http://host:80/a:b@c");
        QTest::newRow("empty") << QString() << QString();
    }
    void urlPasswordsAreRedacted()
    {
        QFETCH(QString, url);
        QFETCH(QString, shown);
        QCOMPARE(redactUrlPassword(url), shown);
    }
};

QTEST_GUILESS_MAIN(tst_DisplayText)
#include "tst_DisplayText.moc"
