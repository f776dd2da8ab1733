#include "RequestOptions.h"

#include <QtTest>

using namespace qlaude;

class tst_RequestOptions : public QObject
{
    Q_OBJECT
private slots:
    void parsesNameValueLines()
    {
        QStringList errors;
        const HeaderList h = RequestOptions::parseCustomHeaders(
            QStringLiteral("X-Team: platform\r\nX-Trace-Id:  abc : def \n\n  X-Empty:\n"), &errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join('\n')));
        QCOMPARE(h.size(), 3);
        QCOMPARE(h.at(0).first, QByteArray("X-Team"));
        QCOMPARE(h.at(0).second, QByteArray("platform"));
        QCOMPARE(h.at(1).second, QByteArray("abc : def"));
        QCOMPARE(h.at(2).first, QByteArray("X-Empty"));
        QCOMPARE(h.at(2).second, QByteArray());
    }

    void rejectsInjectionAttempts_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expectedError");
        QTest::newRow("space in name") << "X Bad: 1"
                                       << "not a valid HTTP token";
        QTest::newRow("colon-less line") << "JustText"
                                         << "has no ':'";
        QTest::newRow("CR inside value") << QStringLiteral("X-A: 1\rInjected: yes") << "line break";
        QTest::newRow("NUL in value") << QStringLiteral("X-A: a") + QChar(0) + "b"
                                      << "control";
        QTest::newRow("non-ASCII name") << QStringLiteral("X-Ä: 1") << "not a valid HTTP token";
        QTest::newRow("empty name") << ": value"
                                    << "not a valid HTTP token";
        QTest::newRow("request smuggling")
            << QStringLiteral("X-A: 1\r\r\nGET /evil HTTP/1.1") << "has no ':'";
    }
    void rejectsInjectionAttempts()
    {
        QFETCH(QString, text);
        QFETCH(QString, expectedError);
        QStringList errors;
        const HeaderList h = RequestOptions::parseCustomHeaders(text, &errors);
        for (const auto &pair : h) {
            QVERIFY(RequestOptions::isHeaderToken(pair.first));
            QVERIFY(!pair.second.contains('\r') && !pair.second.contains('\n'));
            QVERIFY(!pair.second.contains('\0'));
        }
        QVERIFY(!errors.isEmpty());
        QVERIFY2(errors.first().contains(expectedError), qPrintable(errors.first()));
        QVERIFY(errors.first().startsWith("ANTHROPIC_CUSTOM_HEADERS line"));
    }

    void errorsNeverQuoteTheValue()
    {
        QStringList errors;
        RequestOptions::parseCustomHeaders(QStringLiteral("Authorization: Bearer topsecret\rX: y"),
                                           &errors);
        QCOMPARE(errors.size(), 1);
        QVERIFY(!errors.first().contains("topsecret"));
    }

    void readsTimeoutProtectionAndBetas()
    {
        QProcessEnvironment env;
        env.insert("API_TIMEOUT_MS", "1500");
        env.insert("CLAUDE_CODE_ADDITIONAL_PROTECTION", "true");
        env.insert("ANTHROPIC_BETAS", "a-1, b-2,,");
        const RequestOptions o = RequestOptions::fromEnvironment(env);
        QCOMPARE(o.timeoutMs, 1500);
        QVERIFY(o.additionalProtection);
        QCOMPARE(o.extraBetas, (QStringList{"a-1", "b-2"}));
        QVERIFY(o.errors.isEmpty());
    }

    void defaultsAndBadTimeout()
    {
        QCOMPARE(RequestOptions::fromEnvironment(QProcessEnvironment()).timeoutMs, 600000);
        QVERIFY(!RequestOptions::fromEnvironment(QProcessEnvironment()).additionalProtection);
        QProcessEnvironment env;
        env.insert("API_TIMEOUT_MS", "soon");
        const RequestOptions o = RequestOptions::fromEnvironment(env);
        QCOMPARE(o.timeoutMs, 600000);
        QCOMPARE(o.errors.size(), 1);
        QVERIFY(o.errors.first().contains("API_TIMEOUT_MS"));
    }

    void truthyValues()
    {
        for (const char *t : {"1", "true", "TRUE", "yes", "on", " On "})
            QVERIFY2(isTruthy(QLatin1String(t)), t);
        for (const char *f : {"", "0", "false", "no", "off", "2", "enabled"})
            QVERIFY2(!isTruthy(QLatin1String(f)), f);
    }
};

QTEST_GUILESS_MAIN(tst_RequestOptions)
#include "tst_RequestOptions.moc"
