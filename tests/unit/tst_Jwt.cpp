#include "Jwt.h"
#include "TestKeys.h"

#include <QJsonObject>
#include <QTest>

using namespace qlaude;

class tst_Jwt : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        m_key = fakes::TestRsaKey::generate();
        QVERIFY(m_key.isValid());
    }

    void signedTokenVerifiesWithThePublicKeyAndTheCertificate()
    {
        QString error;
        const QJsonObject header{{"alg", "RS256"}, {"typ", "JWT"}};
        const QJsonObject claims{{"iss", "sa@example.iam.gserviceaccount.com"}, {"exp", 3600}};
        const QByteArray jwt = Jwt::signRs256(header, claims, m_key.privateKeyPem, &error);
        QVERIFY2(!jwt.isEmpty(), qPrintable(error));
        QCOMPARE(jwt.count('.'), 2);
        QJsonObject h, c;
        QVERIFY2(Jwt::verifyRs256(jwt, m_key.publicKeyPem, &h, &c, &error), qPrintable(error));
        QCOMPARE(h, header);
        QCOMPARE(c, claims);
        QVERIFY2(Jwt::verifyRs256(jwt, m_key.certificatePem, nullptr, nullptr, &error),
                 qPrintable(error));
    }

    void aChangedClaimOrAnotherKeyFailsTheCheck()
    {
        QString error;
        const QByteArray jwt = Jwt::signRs256(
            QJsonObject{{"alg", "RS256"}}, QJsonObject{{"sub", "a"}}, m_key.privateKeyPem, &error);
        QList<QByteArray> parts = jwt.split('.');
        parts[1] = Jwt::base64Url(R"({"sub":"b"})");
        QVERIFY(!Jwt::verifyRs256(parts.join('.'), m_key.publicKeyPem, nullptr, nullptr, &error));
        const fakes::TestRsaKey other = fakes::TestRsaKey::generate();
        QVERIFY(!Jwt::verifyRs256(jwt, other.publicKeyPem, nullptr, nullptr, &error));
        QVERIFY(!Jwt::verifyRs256("a.b", m_key.publicKeyPem, nullptr, nullptr, &error));
    }

    void aBadKeyIsAClearErrorThatQuotesNothing()
    {
        QString error;
        const QByteArray notAKey = "-----BEGIN PRIVATE KEY-----\nqltSECRETnotbase64\n-----END "
                                   "PRIVATE KEY-----\n";
        QVERIFY(Jwt::signRs256(QJsonObject{{"alg", "RS256"}}, QJsonObject(), notAKey, &error)
                    .isEmpty());
        QVERIFY(error.contains("private key"));
        QVERIFY(!error.contains("qltSECRET"));
    }

    void thumbprintIsTheDigestOfTheCertificateDer()
    {
        QString error;
        const QByteArray der =
            QByteArray::fromBase64(Jwt::certificateDerBase64(m_key.certificatePem));
        QVERIFY(der.size() > 300);
        QCOMPARE(Jwt::certificateThumbprint(m_key.certificatePem, QCryptographicHash::Sha1, &error),
                 QCryptographicHash::hash(der, QCryptographicHash::Sha1));
        QVERIFY(Jwt::certificateThumbprint(m_key.publicKeyPem, QCryptographicHash::Sha1, &error)
                    .isEmpty());
    }

    void base64UrlRoundTripsWithoutPadding()
    {
        const QByteArray data("\xfb\xff\x01", 3);
        QCOMPARE(Jwt::base64Url(data), QByteArray("-_8B"));
        QByteArray back;
        QVERIFY(Jwt::fromBase64Url("-_8B", &back));
        QCOMPARE(back, data);
        QVERIFY(!Jwt::fromBase64Url("a+b/", &back));
    }

private:
    fakes::TestRsaKey m_key;
};

QTEST_GUILESS_MAIN(tst_Jwt)
#include "tst_Jwt.moc"
