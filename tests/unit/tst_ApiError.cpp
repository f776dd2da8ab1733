// ApiError::scrub: a server (or a proxy) may echo the credential it was sent into any part of
// its answer, and every text of the error is shown or logged, so every one is scrubbed.
#include "ApiError.h"
#include "TestSupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

class tst_ApiError : public QObject
{
    Q_OBJECT

private slots:
    void everyTextIsScrubbed()
    {
        const QString key = testSecret(QStringLiteral("api-error-key"));
        const QString token = testSecret(QStringLiteral("api-error-token"));
        ApiError e;
        e.kind = ApiError::Kind::Http;
        e.httpStatus = 401;
        e.message = QStringLiteral("invalid x-api-key ") + key;
        e.hint = QStringLiteral("The key ") + key + QStringLiteral(" was refused.");
        e.type = QStringLiteral("echo_") + token;
        e.requestId = QStringLiteral("req_") + token;
        e.scrub({key, token});
        for (const QString &text :
             {e.message, e.hint, e.type, e.requestId, e.userMessage(), e.shortDescription()}) {
            QVERIFY2(!text.contains(key) && !text.contains(token), qPrintable(text));
            QVERIFY2(!text.contains(QLatin1String("qltSECRET")), qPrintable(text));
        }
        for (const QString &text : {e.message, e.hint, e.type, e.requestId})
            QVERIFY2(text.contains(QLatin1String("[redacted]")), qPrintable(text));
    }

    // The same through the parser: an answer whose error type and message echo the key.
    void anEchoingAnswerIsScrubbed()
    {
        const QString key = testSecret(QStringLiteral("api-error-echo"));
        const QByteArray body =
            QJsonDocument(
                QJsonObject{
                    {"type", "error"},
                    {"error", QJsonObject{{"type", key},
                                          {"message", QString(QStringLiteral("bad key ") + key)}}}})
                .toJson(QJsonDocument::Compact);
        ApiError e = ApiError::fromHttp(401, body, QStringLiteral("req_") + key,
                                        QStringLiteral("env:ANTHROPIC_API_KEY"), QString());
        QVERIFY(e.isError());
        e.scrub({key});
        const QString all =
            e.message + e.hint + e.type + e.requestId + e.userMessage() + e.shortDescription();
        QVERIFY2(!all.contains(key), qPrintable(all));
    }

    // Secrets of eight characters or more are scrubbed; eight is included. (The value is a
    // placeholder of exactly that length, too short to carry the suite's secret marker.)
    void eightCharactersAreEnough()
    {
        const QString shortSecret = QStringLiteral("k8_chars");
        QCOMPARE(shortSecret.size(), 8);
        ApiError e;
        e.message = QStringLiteral("echo ") + shortSecret;
        e.scrub({shortSecret});
        QCOMPARE(e.message, QStringLiteral("echo [redacted]"));
    }
};

QTEST_GUILESS_MAIN(tst_ApiError)
#include "tst_ApiError.moc"
