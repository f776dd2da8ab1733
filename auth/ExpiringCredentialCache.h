#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QVariantMap>

#include <functional>

namespace qlaude {

// A short-lived credential: an access token, or a set of AWS keys, with its expiry.
struct ExpiringCredential
{
    QVariantMap values;  // e.g. {"accessToken": ...}; empty: no credential
    QDateTime expiresAt; // invalid: never expires

    bool isNull() const { return values.isEmpty(); }
};

// Caches one ExpiringCredential and refreshes it before it expires, with one fetch at a time
// however many callers ask (single flight), as the Google and Azure libraries do.
//
// get():
// - a value more than refreshAheadMs away from expiry answers at once, inside get();
// - a value within refreshAheadMs of expiry, an expired value or none starts the fetch (or
//   joins the one running) and answers every waiter, in order, when it completes;
// - if that fetch fails while the old value has not expired, the waiters get the old value,
//   refreshFailed() reports the error, and for retryDelayMs (default 5 s) get() answers with the
//   old value at once instead of fetching again;
// - if it fails and there is no unexpired value, the waiters get the error;
// - a fetch that has not answered within fetchTimeoutMs (default 120 s; 0: no limit) counts as
//   failed with a "timed out" error, and its late answer is ignored. cancel() ends the wait at
//   once the same way (the old value while it is good, else a "cancelled" error), without
//   refreshFailed().
// invalidate() drops the value (the server refused it, e.g. a 401); the next get() fetches.
// A fetch that is running keeps running and its value is used.
//
// Waiters given a context are skipped when it was destroyed; nothing is answered after the
// cache is destroyed. The fetch may answer synchronously or later, but exactly once; its later
// answers are ignored.
class ExpiringCredentialCache : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ExpiringCredentialCache)
public:
    static constexpr qint64 kDefaultRefreshAheadMs = 5 * 60 * 1000;
    static constexpr int kDefaultFetchTimeoutMs = 120 * 1000;
    static constexpr qint64 kDefaultRetryDelayMs = 5 * 1000;

    // error is empty on success.
    using Answer = std::function<void(const ExpiringCredential &credential, const QString &error)>;
    using Fetch = std::function<void(Answer done)>;

    explicit ExpiringCredentialCache(Fetch fetch, QObject *parent = nullptr);
    ~ExpiringCredentialCache() override;

    void setRefreshAheadMs(qint64 ms) { m_refreshAheadMs = ms; }
    void setFetchTimeoutMs(int ms) { m_fetchTimeoutMs = ms; }
    void setRetryDelayMs(qint64 ms) { m_retryDelayMs = ms; }
    void setClock(std::function<QDateTime()> now) { m_now = std::move(now); }

    void get(QObject *context, Answer done);
    void get(Answer done) { get(nullptr, std::move(done)); }

    // Drops the cached value. With `rejected`, only if the cached values are those (a late 401
    // for an old token must not drop a newer one).
    void invalidate(const QVariantMap &rejected = QVariantMap());
    // Stops waiting for the running fetch (its answer is ignored) and answers its waiters.
    void cancel();
    // Stores a value without fetching (e.g. one read at start-up).
    void set(const ExpiringCredential &credential);

    ExpiringCredential current() const { return m_value; }
    bool isFetching() const { return m_fetching; }
    int fetchCount() const { return m_fetchCount; }

signals:
    // A fetch failed while the old value was still good; the old value keeps serving.
    void refreshFailed(const QString &error);
    // A fetch succeeded.
    void refreshed();

private:
    struct Waiter
    {
        QPointer<QObject> context;
        bool hasContext = false;
        Answer done;
    };
    bool isExpired(const QDateTime &now) const;
    bool isFresh(const QDateTime &now) const;
    void startFetch();
    void complete(quint64 generation, const ExpiringCredential &credential, const QString &error);
    // By value: a waiter may change the cached value while the others are answered.
    void answerAll(ExpiringCredential credential, QString error);

    Fetch m_fetch;
    std::function<QDateTime()> m_now;
    qint64 m_refreshAheadMs = kDefaultRefreshAheadMs;
    int m_fetchTimeoutMs = kDefaultFetchTimeoutMs;
    qint64 m_retryDelayMs = kDefaultRetryDelayMs;
    ExpiringCredential m_value;
    QDateTime m_retryAfter; // after a failed refresh of a good value
    QList<Waiter> m_waiters;
    QTimer m_timeout;
    quint64 m_generation = 0;
    bool m_fetching = false;
    int m_fetchCount = 0;
};

} // namespace qlaude
