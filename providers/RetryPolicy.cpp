#include "RetryPolicy.h"

#include <QCoreApplication>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::RetryPolicy)
};
} // namespace

int RetryPolicy::maxRetriesFrom(const QProcessEnvironment &env)
{
    bool ok = false;
    const int v = env.value(QStringLiteral("CLAUDE_CODE_MAX_RETRIES")).trimmed().toInt(&ok);
    if (!ok || v < 0)
        return kDefaultMaxRetries;
    return std::min(v, kMaxRetriesCap);
}

std::optional<qint64> RetryPolicy::serverDelayMs(const QByteArray &retryAfterMs,
                                                 const QByteArray &retryAfter, const QDateTime &now)
{
    bool ok = false;
    if (!retryAfterMs.trimmed().isEmpty()) {
        const double ms = retryAfterMs.trimmed().toDouble(&ok);
        if (ok && ms >= 0 && std::isfinite(ms))
            return qint64(std::ceil(ms));
    }
    const QByteArray ra = retryAfter.trimmed();
    if (ra.isEmpty())
        return std::nullopt;
    const double seconds = ra.toDouble(&ok);
    if (ok && seconds >= 0 && std::isfinite(seconds))
        return qint64(std::ceil(seconds * 1000));
    // An HTTP-date (RFC 9110 IMF-fixdate), e.g. "Wed, 25 Nov 2026 10:00:00 GMT".
    QString text = QString::fromLatin1(ra);
    text.replace(QLatin1String(" GMT"), QString());
    const QDateTime when =
        QLocale::c().toDateTime(text, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss"));
    if (!when.isValid())
        return std::nullopt;
    QDateTime utc = when;
    utc.setTimeSpec(Qt::UTC);
    return std::max<qint64>(0, now.msecsTo(utc));
}

qint64 RetryPolicy::backoffMs(int attempt, double jitter01)
{
    const double base =
        std::min<double>(500.0 * std::pow(2.0, std::max(0, attempt - 1)), double(kBackoffCapMs));
    return qint64(base * (1.0 + 0.25 * std::clamp(jitter01, 0.0, 1.0)));
}

RetryDecision RetryPolicy::decide(const AttemptFailure &f, int retriesSoFar, int consecutive529,
                                  bool credentialRefreshedAlready, bool hasFallbackModel,
                                  double jitter01, const QDateTime &now) const
{
    RetryDecision d;
    if (f.afterFirstByte) {
        d.giveUpReason = Tr::tr("The answer had already started, so it is not replayed "
                                "silently.");
        return d;
    }
    // A rejected credential that can be refreshed: invalidate it and retry once, at once.
    if (f.credentialRejected && f.credentialRefreshable && !credentialRefreshedAlready) {
        d.retry = true;
        d.refreshCredential = true;
        return d;
    }
    if (f.httpStatus == 529 && consecutive529 >= kOverloadedBeforeFallback) {
        if (hasFallbackModel) {
            d.retry = true;
            d.switchToFallback = true;
            return d;
        }
        d.giveUpReason = Tr::tr("Repeated 529 Overloaded errors.");
        return d;
    }
    bool retryable;
    const QByteArray should = f.shouldRetryHeader.trimmed().toLower();
    if (should == "true")
        retryable = true;
    else if (should == "false")
        retryable = false;
    else if (f.httpStatus == 0)
        retryable = f.connectionError || f.timedOut;
    else
        retryable = f.httpStatus == 408 || f.httpStatus == 409 || f.httpStatus == 429 ||
                    f.httpStatus >= 500;
    if (!retryable)
        return d;
    if (retriesSoFar >= m_maxRetries) {
        d.giveUpReason = Tr::tr("Gave up after %1 retries.").arg(retriesSoFar);
        return d;
    }
    qint64 delay = backoffMs(retriesSoFar + 1, jitter01);
    if (const auto server = serverDelayMs(f.retryAfterMsHeader, f.retryAfterHeader, now))
        delay = std::max(delay, *server);
    if (delay > kMaxWaitMs) {
        d.giveUpReason = Tr::tr("The API asked to wait %1 s before retrying, longer "
                                "than the 60 s Qlaude waits.")
                             .arg((delay + 999) / 1000);
        return d;
    }
    d.retry = true;
    d.delayMs = delay;
    return d;
}

} // namespace qlaude
