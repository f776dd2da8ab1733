#include "SecretChunks.h"
#include "TestSupport.h"

#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

// The chunking that lets a large secret (an OAuth token JSON) fit Windows' Credential Manager,
// which holds at most 2,560 bytes per entry. Pure functions, so this runs on every platform;
// tst_KeychainStore takes it through a real keychain.
class tst_SecretChunks : public QObject
{
    Q_OBJECT

    static QString tokenJson(int size)
    {
        QString padding;
        while (padding.size() < size)
            padding += testSecret("chunk");
        return QStringLiteral(R"({"accessToken":"%1","refreshToken":"%2","expiresAt":1})")
            .arg(padding.left(size), testSecret("refresh"));
    }

private slots:
    void aSecretWithinTheLimitIsStoredWhole()
    {
        const QString secret = tokenJson(100);
        const SecretChunks::Split s = SecretChunks::split(secret, 2560);
        QVERIFY(s.chunks.isEmpty());
        QVERIFY(s.header == secret);
        QCOMPARE(SecretChunks::chunkCount(s.header), 0);
    }

    void aLargeTokenIsSplitUnderTheWindowsLimitAndJoinedBack()
    {
        const QString secret = tokenJson(6000);
        const SecretChunks::Split s =
            SecretChunks::split(secret, SecretChunks::kWindowsEntryLimitBytes);
        QCOMPARE(s.chunks.size(), 3);
        for (const QString &c : s.chunks)
            QVERIFY(c.toUtf8().size() <= SecretChunks::kWindowsEntryLimitBytes);
        QVERIFY(s.header.toUtf8().size() <= SecretChunks::kWindowsEntryLimitBytes);
        QVERIFY(!s.header.contains(testSecret("refresh"))); // the header holds no secret
        QCOMPARE(SecretChunks::chunkCount(s.header), 3);
        QString joined;
        QString error;
        QVERIFY2(SecretChunks::join(s.header, s.chunks, &joined, &error), qPrintable(error));
        QVERIFY(joined == secret);
    }

    void multiByteCharactersAreNeverCut()
    {
        // 2-, 3- and 4-byte characters (a surrogate pair) around every boundary.
        QString secret;
        for (int i = 0; i < 300; ++i)
            secret += QString::fromUtf8("aé€😀");
        for (int limit : {16, 17, 18, 19, 100}) {
            const SecretChunks::Split s = SecretChunks::split(secret, limit);
            QVERIFY(s.chunks.size() > 1);
            for (const QString &c : s.chunks) {
                QVERIFY(c.toUtf8().size() <= limit);
                QVERIFY(!c.back().isHighSurrogate());
                QVERIFY(!c.front().isLowSurrogate());
            }
            QString joined;
            QString error;
            QVERIFY(SecretChunks::join(s.header, s.chunks, &joined, &error));
            QVERIFY(joined == secret);
        }
    }

    void aMissingOrChangedChunkIsAnErrorNotASecret()
    {
        const SecretChunks::Split s = SecretChunks::split(tokenJson(3000), 1000);
        QString joined;
        QString error;
        QStringList missing = s.chunks;
        missing.removeLast();
        QVERIFY(!SecretChunks::join(s.header, missing, &joined, &error));
        QVERIFY2(error.contains("parts"), qPrintable(error));
        QStringList changed = s.chunks;
        changed[1].chop(1);
        QVERIFY(!SecretChunks::join(s.header, changed, &joined, &error));
        QVERIFY(joined.isEmpty());
        QVERIFY(!error.contains(testSecret("chunk")));
        QCOMPARE(SecretChunks::chunkCount("qlaude-chunks:1:x:5"), -1);
        QCOMPARE(SecretChunks::chunkCount("qlaude-chunks:1:0:5"), -1);
    }

    void chunkKeysAreDistinctPerIndex()
    {
        QCOMPARE(SecretChunks::chunkKey("oauth", 0), QStringLiteral("oauth:chunk-0"));
        QVERIFY(SecretChunks::chunkKey("oauth", 1) != SecretChunks::chunkKey("oauth", 0));
    }
};

QTEST_GUILESS_MAIN(tst_SecretChunks)
#include "tst_SecretChunks.moc"
