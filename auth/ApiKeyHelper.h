#pragma once

#include "Authorizer.h"
#include "HelperProcess.h"
#include "RequestOptions.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

namespace qlaude {

// apiKeyHelper as the CLI runs it: through the shell, cached for
// CLAUDE_CODE_API_KEY_HELPER_TTL_MS (default 5 min), stale-while-revalidate after that, and a
// failed refresh keeps the previous value. Concurrent requests share one run.
class ApiKeyHelper : public QObject, public Authorizer
{
    Q_OBJECT
    Q_DISABLE_COPY(ApiKeyHelper)
public:
    static constexpr qint64 kDefaultTtlMs = 300000;

    struct Config
    {
        QString command;
        QString workingDirectory;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        qint64 ttlMs = kDefaultTtlMs;
        int timeoutMs = RequestOptions::kDefaultTimeoutMs; // the CLI's 10 minutes
        QString bearerOverride; // ANTHROPIC_AUTH_TOKEN: the CLI sends it as Bearer instead
    };
    // Reads the TTL and timeout from the effective environment; *warning explains a bad value.
    static Config configFrom(const QString &command, const QString &workingDirectory,
                             const QProcessEnvironment &env, QString *warning = nullptr);

    explicit ApiKeyHelper(Config config, QObject *parent = nullptr);
    ~ApiKeyHelper() override;

    void authorize(Callback callback) override;
    bool invalidate() override;
    void cancel();

    int runCount() const { return m_runs; }
    bool hasCachedValue() const { return !m_value.isEmpty(); }
    QString lastError() const { return m_lastError; }

    // For tests: a clock in milliseconds, instead of the monotonic one.
    void setClockForTesting(std::function<qint64()> now) { m_now = std::move(now); }

signals:
    void refreshFailed(const QString &error);

private:
    void startRun();
    void onFinished(const HelperProcess::Result &result);
    void onResult(const HelperProcess::Result &result);
    Credential credential() const;
    qint64 now() const;

    Config m_config;
    QString m_value;
    qint64 m_fetchedAt = 0;
    QPointer<HelperProcess> m_process;
    QList<Callback> m_waiting;
    int m_runs = 0;
    QString m_lastError;
    QElapsedTimer m_clock;
    std::function<qint64()> m_now;
};

} // namespace qlaude
