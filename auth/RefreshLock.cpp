#include "RefreshLock.h"

#include "AppPaths.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::RefreshLock)
};
} // namespace

RefreshLock::RefreshLock(const QString &path, QObject *parent)
    : QObject(parent), m_path(path.isEmpty() ? defaultPath() : path)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &RefreshLock::attempt);
}

RefreshLock::~RefreshLock()
{
    release();
}

QString RefreshLock::defaultPath()
{
    return QDir(AppPaths::runtimeDir()).filePath(QStringLiteral("oauth-refresh.lock"));
}

bool RefreshLock::isLocked() const
{
    return m_file && m_file->isLocked();
}

void RefreshLock::acquire(std::function<void(bool, const QString &)> done)
{
    if (isLocked()) {
        done(true, QString());
        return;
    }
    const QString dir = QFileInfo(m_path).absolutePath();
    if (!QDir().mkpath(dir)) {
        done(false, Tr::tr("Could not create the lock directory %1.").arg(dir));
        return;
    }
    QFile::setPermissions(dir,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    m_file = std::make_unique<QLockFile>(m_path);
    m_file->setStaleLockTime(kStaleMs);
    m_done = std::move(done);
    m_deadline = QDateTime::currentMSecsSinceEpoch() + m_maxWaitMs;
    attempt();
}

void RefreshLock::attempt()
{
    if (!m_file || !m_done)
        return;
    if (m_file->tryLock(0)) {
        auto done = std::move(m_done);
        m_done = nullptr;
        done(true, QString());
        return;
    }
    const QLockFile::LockError err = m_file->error();
    if (err != QLockFile::LockFailedError || QDateTime::currentMSecsSinceEpoch() >= m_deadline) {
        const QString why =
            err == QLockFile::PermissionError
                ? Tr::tr("No permission to create the refresh lock %1.").arg(m_path)
            : err == QLockFile::LockFailedError
                ? Tr::tr("Another Qlaude process held the refresh lock for too long.")
                : Tr::tr("The refresh lock %1 could not be taken.").arg(m_path);
        auto done = std::move(m_done);
        m_done = nullptr;
        m_file.reset();
        done(false, why);
        return;
    }
    // Small random sleeps, so waiting processes do not wake in step.
    m_retry.start(20 + int(QRandomGenerator::global()->bounded(60)));
}

void RefreshLock::release()
{
    m_retry.stop();
    m_done = nullptr;
    if (m_file && m_file->isLocked())
        m_file->unlock();
    m_file.reset();
}

} // namespace qlaude
