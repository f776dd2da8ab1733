#include "ExpiringCredentialCache.h"
#include "TestSupport.h"

#include <QSignalSpy>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

// The expiring-credential cache: answers at once while fresh, one fetch for many waiters,
// refresh ahead of expiry, the old value kept through a failed refresh, fetch timeouts.
class tst_ExpiringCredentialCache : public QObject
{
    Q_OBJECT

    struct Answered
    {
        int calls = 0;
        ExpiringCredential credential;
        QString error;
    };

    QDateTime m_now;
    QList<ExpiringCredentialCache::Answer> m_pending; // fetches not answered yet
    int m_fetches = 0;

    std::unique_ptr<ExpiringCredentialCache> makeCache()
    {
        m_pending.clear();
        m_fetches = 0;
        auto cache =
            std::make_unique<ExpiringCredentialCache>([this](ExpiringCredentialCache::Answer done) {
                ++m_fetches;
                m_pending.append(std::move(done));
            });
        cache->setClock([this] { return m_now; });
        return cache;
    }
    static ExpiringCredential credential(const QString &token, const QDateTime &expiresAt)
    {
        return ExpiringCredential{{{QStringLiteral("accessToken"), token}}, expiresAt};
    }
    static QString tokenOf(const ExpiringCredential &c)
    {
        return c.values.value(QStringLiteral("accessToken")).toString();
    }
    static ExpiringCredentialCache::Answer recorder(Answered *a)
    {
        return [a](const ExpiringCredential &c, const QString &e) {
            ++a->calls;
            a->credential = c;
            a->error = e;
        };
    }

private slots:
    void init() { m_now = QDateTime(QDate(2030, 1, 1), QTime(12, 0), Qt::UTC); }

    void aBurstOfGetsFetchesOnce()
    {
        auto cache = makeCache();
        QList<Answered> answers(20);
        QList<int> order;
        for (int i = 0; i < 20; ++i) {
            cache->get([&, i](const ExpiringCredential &c, const QString &e) {
                ++answers[i].calls;
                answers[i].credential = c;
                answers[i].error = e;
                order.append(i);
            });
        }
        QCOMPARE(m_fetches, 1);
        QVERIFY(cache->isFetching());
        for (const Answered &a : answers)
            QCOMPARE(a.calls, 0);
        const QString token = testSecret("cache-burst");
        m_pending.takeFirst()(credential(token, m_now.addSecs(3600)), QString());
        QCOMPARE(m_fetches, 1);
        for (const Answered &a : answers) {
            QCOMPARE(a.calls, 1);
            QVERIFY(a.error.isEmpty());
            QVERIFY(tokenOf(a.credential) == token);
        }
        QList<int> expected;
        for (int i = 0; i < 20; ++i)
            expected << i;
        QCOMPARE(order, expected);
        // Fresh: answered inside get(), no fetch.
        Answered later;
        cache->get(recorder(&later));
        QCOMPARE(later.calls, 1);
        QVERIFY(tokenOf(later.credential) == token);
        QCOMPARE(m_fetches, 1);
    }

    void refreshesAheadOfExpiry()
    {
        auto cache = makeCache();
        const QString oldToken = testSecret("cache-old");
        const QString newToken = testSecret("cache-new");
        cache->set(credential(oldToken, m_now.addSecs(10 * 60)));
        Answered a;
        cache->get(recorder(&a)); // 10 min left: fresh
        QCOMPARE(a.calls, 1);
        QCOMPARE(m_fetches, 0);

        m_now = m_now.addSecs(5 * 60 + 1); // 4:59 left: inside the 5 min window
        Answered b;
        Answered c;
        cache->get(recorder(&b));
        cache->get(recorder(&c));
        QCOMPARE(m_fetches, 1);
        QCOMPARE(b.calls, 0); // waits for the refresh
        m_pending.takeFirst()(credential(newToken, m_now.addSecs(3600)), QString());
        QCOMPARE(b.calls, 1);
        QCOMPARE(c.calls, 1);
        QVERIFY(tokenOf(b.credential) == newToken);
        QVERIFY(tokenOf(c.credential) == newToken);
        QVERIFY(tokenOf(cache->current()) == newToken);
    }

    void aShorterRefreshAheadWaitsLonger()
    {
        auto cache = makeCache();
        cache->setRefreshAheadMs(60 * 1000);
        cache->set(credential(testSecret("cache-short"), m_now.addSecs(4 * 60)));
        Answered a;
        cache->get(recorder(&a));
        QCOMPARE(a.calls, 1);
        QCOMPARE(m_fetches, 0);
        m_now = m_now.addSecs(3 * 60 + 30);
        cache->get(recorder(&a));
        QCOMPARE(m_fetches, 1);
    }

    void aFailedRefreshKeepsServingTheOldValue()
    {
        auto cache = makeCache();
        QSignalSpy failed(cache.get(), &ExpiringCredentialCache::refreshFailed);
        const QString oldToken = testSecret("cache-keep");
        cache->set(credential(oldToken, m_now.addSecs(60)));
        Answered a;
        cache->get(recorder(&a));
        QCOMPARE(m_fetches, 1);
        m_pending.takeFirst()(ExpiringCredential(), QStringLiteral("token endpoint said no"));
        QCOMPARE(a.calls, 1);
        QVERIFY(a.error.isEmpty());
        QVERIFY(tokenOf(a.credential) == oldToken);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("token endpoint said no"));

        // Within the retry delay the old value answers at once, without a fetch.
        m_now = m_now.addSecs(2);
        Answered b;
        cache->get(recorder(&b));
        QCOMPARE(b.calls, 1);
        QVERIFY(tokenOf(b.credential) == oldToken);
        QCOMPARE(m_fetches, 1);
        // After it, the next get tries again.
        m_now = m_now.addSecs(4);
        Answered c;
        cache->get(recorder(&c));
        QCOMPARE(m_fetches, 2);
        QCOMPARE(c.calls, 0);
    }

    void anExpiredValueWithAFailedRefreshFails()
    {
        auto cache = makeCache();
        cache->set(credential(testSecret("cache-expired"), m_now.addSecs(60)));
        m_now = m_now.addSecs(61);
        QSignalSpy failed(cache.get(), &ExpiringCredentialCache::refreshFailed);
        Answered a;
        Answered b;
        cache->get(recorder(&a));
        cache->get(recorder(&b));
        QCOMPARE(m_fetches, 1);
        m_pending.takeFirst()(ExpiringCredential(), QStringLiteral("could not reach sts"));
        for (const Answered *x : {&a, &b}) {
            QCOMPARE(x->calls, 1);
            QVERIFY(x->credential.isNull());
            QCOMPARE(x->error, QStringLiteral("could not reach sts"));
        }
        QCOMPARE(failed.size(), 0);
        QVERIFY(cache->current().isNull());
        // The next get fetches again, without waiting for a retry delay.
        cache->get(recorder(&a));
        QCOMPARE(m_fetches, 2);
    }

    void anAlreadyExpiredAnswerIsAnError()
    {
        auto cache = makeCache();
        Answered a;
        cache->get(recorder(&a));
        m_pending.takeFirst()(credential(testSecret("cache-stale"), m_now.addSecs(-1)), QString());
        QCOMPARE(a.calls, 1);
        QVERIFY(a.credential.isNull());
        QVERIFY2(a.error.contains(QStringLiteral("already expired")), qPrintable(a.error));
    }

    void invalidateDropsTheValue()
    {
        auto cache = makeCache();
        const QString first = testSecret("cache-first");
        const QString second = testSecret("cache-second");
        cache->set(credential(first, m_now.addSecs(3600)));
        // A late rejection of some other value leaves the cached one alone.
        cache->invalidate({{QStringLiteral("accessToken"), second}});
        Answered a;
        cache->get(recorder(&a));
        QCOMPARE(a.calls, 1);
        QCOMPARE(m_fetches, 0);
        // The server refused it (401): the next get fetches.
        cache->invalidate({{QStringLiteral("accessToken"), first}});
        QVERIFY(cache->current().isNull());
        Answered b;
        cache->get(recorder(&b));
        QCOMPARE(m_fetches, 1);
        QCOMPARE(b.calls, 0);
        m_pending.takeFirst()(credential(second, m_now.addSecs(3600)), QString());
        QVERIFY(tokenOf(b.credential) == second);
        cache->invalidate();
        cache->get(recorder(&b));
        QCOMPARE(m_fetches, 2);
    }

    void aFetchThatNeverAnswersTimesOut()
    {
        auto cache = makeCache();
        cache->setFetchTimeoutMs(150);
        Answered a;
        cache->get(recorder(&a));
        QCOMPARE(m_fetches, 1);
        QTRY_COMPARE_WITH_TIMEOUT(a.calls, 1, 5000);
        QVERIFY(a.credential.isNull());
        QVERIFY2(a.error.contains(QStringLiteral("timed out")), qPrintable(a.error));
        QVERIFY(!cache->isFetching());
        // Its late answer is ignored, and no waiter hears twice.
        m_pending.takeFirst()(credential(testSecret("cache-late"), m_now.addSecs(3600)), QString());
        QVERIFY(cache->current().isNull());
        QCOMPARE(a.calls, 1);
    }

    void aTimedOutRefreshKeepsAGoodValue()
    {
        auto cache = makeCache();
        cache->setFetchTimeoutMs(100);
        QSignalSpy failed(cache.get(), &ExpiringCredentialCache::refreshFailed);
        const QString token = testSecret("cache-good");
        cache->set(credential(token, m_now.addSecs(120)));
        Answered a;
        cache->get(recorder(&a));
        QTRY_COMPARE_WITH_TIMEOUT(a.calls, 1, 5000);
        QVERIFY(a.error.isEmpty());
        QVERIFY(tokenOf(a.credential) == token);
        QCOMPARE(failed.size(), 1);
    }

    void cancelEndsTheWait()
    {
        auto cache = makeCache();
        Answered a;
        cache->get(recorder(&a));
        cache->cancel();
        QCOMPARE(a.calls, 1);
        QVERIFY(a.credential.isNull());
        QVERIFY2(a.error.contains(QStringLiteral("cancelled")), qPrintable(a.error));
        m_pending.takeFirst()(credential(testSecret("cache-cancelled"), m_now.addSecs(3600)),
                              QString());
        QVERIFY(cache->current().isNull());
        QCOMPARE(a.calls, 1);
        // A new get starts a new fetch, whose answer counts.
        Answered b;
        cache->get(recorder(&b));
        QCOMPARE(m_fetches, 2);
        const QString token = testSecret("cache-after-cancel");
        m_pending.takeFirst()(credential(token, m_now.addSecs(3600)), QString());
        QVERIFY(tokenOf(b.credential) == token);
    }

    void aSynchronousFetchAndDeadContexts()
    {
        const QString token = testSecret("cache-sync");
        int fetches = 0;
        ExpiringCredentialCache cache([&](ExpiringCredentialCache::Answer done) {
            ++fetches;
            done(credential(token, QDateTime()), QString());             // never expires
            done(ExpiringCredential(), QStringLiteral("second answer")); // ignored
        });
        Answered a;
        cache.get(recorder(&a));
        QCOMPARE(a.calls, 1);
        QVERIFY(tokenOf(a.credential) == token);
        QVERIFY(a.error.isEmpty());
        QCOMPARE(fetches, 1);

        // A waiter whose context died is skipped.
        ExpiringCredentialCache slow(
            [this](ExpiringCredentialCache::Answer done) { m_pending.append(std::move(done)); });
        m_pending.clear();
        Answered dead;
        Answered alive;
        auto *context = new QObject;
        slow.get(context, recorder(&dead));
        slow.get(this, recorder(&alive));
        delete context;
        m_pending.takeFirst()(credential(token, QDateTime()), QString());
        QCOMPARE(dead.calls, 0);
        QCOMPARE(alive.calls, 1);
    }
};

QTEST_GUILESS_MAIN(tst_ExpiringCredentialCache)
#include "tst_ExpiringCredentialCache.moc"
