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
    void refusesFramingAndRoutingHeaders_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("name");
        for (const char *n :
             {"Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade",
              "TE", "Trailer", "Expect", "Proxy-Authorization", "Proxy-Connection"})
            QTest::newRow(n) << QStringLiteral("%1: x").arg(QLatin1String(n)) << QString(n);
        QTest::newRow("lower case, padded")
            << QStringLiteral("  host  : other.internal") << QStringLiteral("host");
        QTest::newRow("mixed case")
            << QStringLiteral("cOnTeNt-LeNgTh: 0") << QStringLiteral("cOnTeNt-LeNgTh");
        QTest::newRow("anthropic-version") << QStringLiteral("Anthropic-Version: 2099-01-01")
                                           << QStringLiteral("Anthropic-Version");
    }
    void refusesFramingAndRoutingHeaders()
    {
        QFETCH(QString, line);
        QFETCH(QString, name);
        QStringList errors;
        const HeaderList h = RequestOptions::parseCustomHeaders(
            QStringLiteral("X-Ok: 1\n") + line, &errors,
            QStringLiteral("project settings (/w/.claude/settings.json)"));
        QCOMPARE(h.size(), 1);
        QCOMPARE(h.first().first, QByteArray("X-Ok"));
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.first().contains(QStringLiteral("line 2 (%1) was refused").arg(name)),
                 qPrintable(errors.first()));
        QVERIFY2(errors.first().contains("project settings (/w/.claude/settings.json)"),
                 qPrintable(errors.first()));
    }

    void customBetaJoinsTheBetaList()
    {
        QProcessEnvironment env;
        env.insert("ANTHROPIC_BETAS", "a-1");
        env.insert("ANTHROPIC_CUSTOM_HEADERS", "Anthropic-Beta: b-2, a-1\nX-Other: y");
        const RequestOptions o = RequestOptions::fromEnvironment(env);
        QCOMPARE(o.extraBetas, (QStringList{"a-1", "b-2"}));
        QCOMPARE(o.customHeaders.size(), 1);
        QCOMPARE(o.customHeaders.first().first, QByteArray("X-Other"));
    }

    void credentialHeadersGiveWayToQlaudesOwn()
    {
        QProcessEnvironment env;
        env.insert("ANTHROPIC_CUSTOM_HEADERS", " X-API-KEY : k\nX-Team: t");
        const RequestOptions o = RequestOptions::fromEnvironment(env);
        QCOMPARE(o.headersFor(false).size(), 2);
        QCOMPARE(o.headersFor(true).size(), 1);
        QCOMPARE(o.headersFor(true).first().first, QByteArray("X-Team"));
        QCOMPARE(o.droppedCredentialHeaders(), QStringList{"X-API-KEY"});
    }

    void lineBreaksInVersionAndBetasNeverReachAHeader()
    {
        QProcessEnvironment env;
        env.insert("QLAUDE_ANTHROPIC_VERSION", "2023-06-01\r\nX-Injected: 1");
        env.insert("ANTHROPIC_BETAS", "good-1,bad\r\nX-Injected: 2,also bad");
        const RequestOptions o =
            RequestOptions::fromEnvironment(env, [](const QString &name) -> QString {
                return QStringLiteral("origin-of-") + name;
            });
        QCOMPARE(o.anthropicVersion, QByteArray("2023-06-01"));
        QCOMPARE(o.extraBetas, QStringList{"good-1"});
        QCOMPARE(o.errors.size(), 3);
        QVERIFY(o.errors.filter("QLAUDE_ANTHROPIC_VERSION").size() == 1);
        QVERIFY(o.errors.filter("origin-of-QLAUDE_ANTHROPIC_VERSION").size() == 1);
        QVERIFY(o.errors.filter("ANTHROPIC_BETAS").size() == 2);
        for (const QString &e : o.errors)
            QVERIFY(!e.contains("X-Injected"));
    }

    void headerValueCheck()
    {
        QVERIFY(RequestOptions::isValidHeaderValue("Bearer abc\tdef"));
        QVERIFY(!RequestOptions::isValidHeaderValue("abc\r\nX: 1"));
        QVERIFY(!RequestOptions::isValidHeaderValue("abc\ndef"));
        QVERIFY(!RequestOptions::isValidHeaderValue(QByteArray("a\0b", 3)));
        QVERIFY(!RequestOptions::isValidHeaderValue("a\x7f"));
    }

    // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
    // "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA. Every byte is checked, so a range that is off
    // by one at either end ('/', ':', '@', '[', '{', DEL) is caught.
    void headerNameIsExactlyAnRfcToken()
    {
        const QByteArray tchars = "!#$%&'*+-.^_`|~0123456789"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        for (int c = 0; c < 256; ++c) {
            const QByteArray name = "X" + QByteArray(1, char(c)) + "Y";
            QVERIFY2(RequestOptions::isHeaderToken(name) == tchars.contains(char(c)),
                     qPrintable(QStringLiteral("byte 0x%1").arg(c, 2, 16, QLatin1Char('0'))));
        }
        QVERIFY(!RequestOptions::isHeaderToken(QByteArray()));
        QStringList errors;
        QVERIFY(
            RequestOptions::parseCustomHeaders(QStringLiteral("X{Team}: a"), &errors).isEmpty());
        QCOMPARE(errors.size(), 1);
    }
};

QTEST_GUILESS_MAIN(tst_RequestOptions)
#include "tst_RequestOptions.moc"
