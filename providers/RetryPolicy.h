#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QProcessEnvironment>
#include <QString>

#include <optional>

namespace qlaude {

// What one failed attempt looked like, as far as retrying is concerned.
struct AttemptFailure
{
    int httpStatus = 0; // 0: no HTTP answer (connection error or timeout)
    bool connectionError = false;
    bool timedOut = false;
    bool afterFirstByte = false;  // the answer had started streaming: never replayed silently
    QByteArray shouldRetryHeader; // x-should-retry
    QByteArray retryAfterMsHeader;
    QByteArray retryAfterHeader;
    bool credentialRefreshable = false; // OAuth or apiKeyHelper: a 401 may be fixed by a refresh
    // The provider's error mapper says the credential was rejected (Anthropic: a 401, or a 403
    // saying the OAuth token was revoked): refresh it once.
    bool credentialRejected = false;
};

struct RetryDecision
{
    bool retry = false;
    qint64 delayMs = 0;
    bool refreshCredential = false; // invalidate the credential before retrying (401)
    bool switchToFallback = false;  // three 529s in a row and a fallback model is set
    QString giveUpReason;           // when !retry and the limit or a long wait stopped it
};

// The CLI's retry loop (CLAUDE_CODE.md §8, PROTOCOLS.md §1.6): x-should-retry first; then 408,
// 409, 429, >= 500 and connection errors; retry-after-ms / retry-after as a minimum wait, a
// wait over 60 s gives up; else 500 ms * 2^(n-1) capped at 32 s plus up to 25 % jitter.
class RetryPolicy
{
public:
    static constexpr int kDefaultMaxRetries = 10;
    static constexpr int kMaxRetriesCap = 15;
    static constexpr qint64 kMaxWaitMs = 60000;
    static constexpr qint64 kBackoffCapMs = 32000;
    static constexpr int kOverloadedBeforeFallback = 3;

    explicit RetryPolicy(int maxRetries = kDefaultMaxRetries) : m_maxRetries(maxRetries) {}
    static int maxRetriesFrom(const QProcessEnvironment &env); // CLAUDE_CODE_MAX_RETRIES

    int maxRetries() const { return m_maxRetries; }

    // Decides after a failure. retriesSoFar counts the retries already made for this request;
    // consecutive529 includes this failure; jitter01 is a random number in [0, 1).
    RetryDecision decide(const AttemptFailure &failure, int retriesSoFar, int consecutive529,
                         bool credentialRefreshedAlready, bool hasFallbackModel, double jitter01,
                         const QDateTime &now) const;

    // retry-after-ms (float ms), else retry-after (float seconds or an HTTP-date).
    static std::optional<qint64> serverDelayMs(const QByteArray &retryAfterMs,
                                               const QByteArray &retryAfter, const QDateTime &now);
    static qint64 backoffMs(int attempt, double jitter01); // attempt >= 1

private:
    int m_maxRetries;
};

} // namespace qlaude
