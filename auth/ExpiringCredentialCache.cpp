#include "ExpiringCredentialCache.h"

#include <memory>

namespace qlaude {

ExpiringCredentialCache::ExpiringCredentialCache(Fetch fetch, QObject *parent)
    : QObject(parent), m_fetch(std::move(fetch)),
      m_now([] { return QDateTime::currentDateTimeUtc(); })
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        complete(m_generation, ExpiringCredential(),
                 QStringLiteral("the credential refresh timed out after %1 s")
                     .arg(m_fetchTimeoutMs / 1000.0, 0, 'g', 3));
    });
}

ExpiringCredentialCache::~ExpiringCredentialCache()
{
    m_value.values.clear();
}

bool ExpiringCredentialCache::isExpired(const QDateTime &now) const
{
    if (m_value.isNull())
        return true;
    return m_value.expiresAt.isValid() && now >= m_value.expiresAt;
}

bool ExpiringCredentialCache::isFresh(const QDateTime &now) const
{
    if (m_value.isNull())
        return false;
    return !m_value.expiresAt.isValid() || now.msecsTo(m_value.expiresAt) > m_refreshAheadMs;
}

void ExpiringCredentialCache::get(QObject *context, Answer done)
{
    const QDateTime now = m_now();
    if (!m_fetching) {
        const bool backingOff = m_retryAfter.isValid() && now < m_retryAfter && !isExpired(now);
        if (isFresh(now) || backingOff) {
            done(m_value, QString());
            return;
        }
    }
    m_waiters.append({QPointer<QObject>(context), context != nullptr, std::move(done)});
    if (!m_fetching)
        startFetch();
}

void ExpiringCredentialCache::startFetch()
{
    m_fetching = true;
    ++m_fetchCount;
    const quint64 generation = ++m_generation;
    m_retryAfter = QDateTime();
    if (m_fetchTimeoutMs > 0)
        m_timeout.start(m_fetchTimeoutMs);
    // The fetch may answer more than once by mistake, or after this cache is gone.
    auto answered = std::make_shared<bool>(false);
    const QPointer<ExpiringCredentialCache> self(this);
    m_fetch([self, generation, answered](const ExpiringCredential &c, const QString &error) {
        if (*answered || !self)
            return;
        *answered = true;
        self->complete(generation, c, error);
    });
}

void ExpiringCredentialCache::complete(quint64 generation, const ExpiringCredential &credential,
                                       const QString &error)
{
    if (!m_fetching || generation != m_generation)
        return; // cancelled or timed out: a late answer is ignored
    m_fetching = false;
    m_timeout.stop();
    const QDateTime now = m_now();
    QString failure = error;
    if (failure.isEmpty() && credential.isNull())
        failure = QStringLiteral("the credential source returned no credential");
    if (failure.isEmpty() && credential.expiresAt.isValid() && now >= credential.expiresAt)
        failure = QStringLiteral("the credential source returned a credential that has "
                                 "already expired");
    // Signals first: a waiter may start the next round, or delete this.
    const QPointer<ExpiringCredentialCache> self(this);
    if (failure.isEmpty()) {
        m_value = credential;
        m_retryAfter = QDateTime();
        const ExpiringCredential fresh = m_value;
        emit refreshed();
        if (self)
            answerAll(fresh, QString());
        return;
    }
    if (!isExpired(now)) {
        m_retryAfter = now.addMSecs(m_retryDelayMs);
        const ExpiringCredential old = m_value;
        emit refreshFailed(failure);
        if (self)
            answerAll(old, QString());
        return;
    }
    m_value = ExpiringCredential();
    answerAll(ExpiringCredential(), failure);
}

void ExpiringCredentialCache::answerAll(ExpiringCredential credential, QString error)
{
    // A waiter may call get() or invalidate() again; it then joins a new round.
    const QList<Waiter> waiters = std::exchange(m_waiters, {});
    const QPointer<ExpiringCredentialCache> self(this);
    for (const Waiter &w : waiters) {
        if (!self)
            return;
        if (w.hasContext && !w.context)
            continue;
        w.done(credential, error);
    }
}

void ExpiringCredentialCache::invalidate(const QVariantMap &rejected)
{
    if (!rejected.isEmpty() && rejected != m_value.values)
        return;
    m_value = ExpiringCredential();
    m_retryAfter = QDateTime();
}

void ExpiringCredentialCache::cancel()
{
    if (!m_fetching)
        return;
    m_fetching = false;
    m_timeout.stop();
    ++m_generation;
    const QDateTime now = m_now();
    if (!isExpired(now))
        answerAll(ExpiringCredential(m_value), QString());
    else
        answerAll(ExpiringCredential(), QStringLiteral("the credential refresh was cancelled"));
}

void ExpiringCredentialCache::set(const ExpiringCredential &credential)
{
    m_value = credential;
    m_retryAfter = QDateTime();
}

} // namespace qlaude
