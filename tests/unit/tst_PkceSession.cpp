#include "PkceSession.h"

#include <QRegularExpression>
#include <QtTest>

using namespace qlaude;

// PKCE (RFC 7636, S256) and the state parameter.
class tst_PkceSession : public QObject
{
    Q_OBJECT

private slots:
    void matchesRfc7636AppendixB()
    {
        // RFC 7636 Appendix B: the 32 octets, their base64url form, and its S256 challenge.
        const unsigned char octets[32] = {116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
                                          125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
                                          191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
        const QString verifier =
            PkceSession::base64Url(QByteArray(reinterpret_cast<const char *>(octets), 32));
        QCOMPARE(verifier, QStringLiteral("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        QCOMPARE(PkceSession::challengeFor(verifier),
                 QStringLiteral("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        const PkceSession s = PkceSession::fromValues(verifier, QStringLiteral("xyz"));
        QCOMPARE(s.challenge(), QStringLiteral("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }

    void verifierAndStateAre32RandomBytesInBase64UrlWithoutPadding()
    {
        static const QRegularExpression b64url(QStringLiteral("^[A-Za-z0-9_-]{43}$"));
        const PkceSession s = PkceSession::generate();
        QVERIFY2(b64url.match(s.verifier()).hasMatch(), qPrintable(s.verifier()));
        QVERIFY2(b64url.match(s.state()).hasMatch(), qPrintable(s.state()));
        QCOMPARE(
            QByteArray::fromBase64(s.verifier().toLatin1(), QByteArray::Base64UrlEncoding).size(),
            32);
        QCOMPARE(QByteArray::fromBase64(s.state().toLatin1(), QByteArray::Base64UrlEncoding).size(),
                 32);
        QCOMPARE(s.challenge(), PkceSession::challengeFor(s.verifier()));
        QVERIFY(b64url.match(s.challenge()).hasMatch());
    }

    void everyAttemptStartsFresh()
    {
        QSet<QString> seen;
        for (int i = 0; i < 50; ++i) {
            const PkceSession s = PkceSession::generate();
            QVERIFY(!seen.contains(s.verifier()));
            QVERIFY(!seen.contains(s.state()));
            QVERIFY(s.verifier() != s.state());
            seen << s.verifier() << s.state();
        }
    }

    void stateComparisonRefusesAnyDifference()
    {
        const PkceSession s = PkceSession::generate();
        QVERIFY(s.stateMatches(s.state()));
        QString flipped = s.state();
        flipped[42] = flipped.at(42) == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
        QVERIFY(!s.stateMatches(flipped));
        QVERIFY(!s.stateMatches(s.state().left(42)));
        QVERIFY(!s.stateMatches(QString(s.state() + QLatin1Char('A'))));
        QVERIFY(!s.stateMatches(QString()));
        QVERIFY(!s.stateMatches(s.verifier()));
        // With no state of our own, nothing matches, not even an empty answer.
        const PkceSession empty;
        QVERIFY(!empty.stateMatches(QString()));
    }

    void constantTimeEqualsComparesContentAndLength()
    {
        QVERIFY(PkceSession::constantTimeEquals("abc", "abc"));
        QVERIFY(PkceSession::constantTimeEquals(QByteArray(), QByteArray()));
        QVERIFY(!PkceSession::constantTimeEquals("abc", "abd"));
        QVERIFY(!PkceSession::constantTimeEquals("abc", "ab"));
        QVERIFY(!PkceSession::constantTimeEquals("ab", "abc"));
        QVERIFY(!PkceSession::constantTimeEquals("abc", QByteArray()));
        // A longer input whose extra byte happens to be the complement must not pass.
        QByteArray a("a");
        QByteArray b("a");
        b.append(char(~'a'));
        QVERIFY(!PkceSession::constantTimeEquals(a, b));
    }

    void clearWipesTheSession()
    {
        PkceSession s = PkceSession::generate();
        const QString state = s.state();
        s.clear();
        QVERIFY(!s.isValid());
        QVERIFY(s.verifier().isEmpty() && s.state().isEmpty() && s.challenge().isEmpty());
        QVERIFY(!s.stateMatches(state));
    }
};

QTEST_GUILESS_MAIN(tst_PkceSession)
#include "tst_PkceSession.moc"
