#pragma once

#include <QLockFile>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>

namespace qlaude {

// The cross-process token-refresh lock: a QLockFile in the app's runtime directory. A lock older
// than 10 s, or held by a process that is gone, is stale and taken over. Waiting is asynchronous:
// short random sleeps on the event loop, never a blocked thread.
class RefreshLock : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(RefreshLock)
public:
    static constexpr int kStaleMs = 10000;
    static constexpr int kMaxWaitMs = 15000; // longer than kStaleMs: a dead holder is outwaited

    // path empty: defaultPath().
    explicit RefreshLock(const QString &path = QString(), QObject *parent = nullptr);
    ~RefreshLock() override;

    // <runtime dir>/oauth-refresh.lock
    static QString defaultPath();
    QString path() const { return m_path; }

    // Calls done(true) once the lock is held, or done(false, why) after maxWaitMs or on an error
    // (the caller may then go on without it). One acquire at a time.
    void acquire(std::function<void(bool locked, const QString &error)> done);
    void release();
    bool isLocked() const;
    void setMaxWait(int ms) { m_maxWaitMs = ms; }

private:
    void attempt();

    QString m_path;
    std::unique_ptr<QLockFile> m_file;
    QTimer m_retry;
    qint64 m_deadline = 0;
    int m_maxWaitMs = kMaxWaitMs;
    std::function<void(bool, const QString &)> m_done;
};

} // namespace qlaude
