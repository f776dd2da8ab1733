#include "AppPaths.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace qlaude::AppPaths {

QString dataDir()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation))
        .filePath(QStringLiteral("qlaude"));
}

QString runtimeDir()
{
    QString base = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    if (base.isEmpty())
        base = QDir::tempPath();
    return QDir(base).filePath(QStringLiteral("qlaude"));
}

QString userConfigDir(const QProcessEnvironment &env)
{
    const QString dir = env.value(QStringLiteral("CLAUDE_CONFIG_DIR"));
    if (!dir.isEmpty())
        return QDir::cleanPath(dir);
    return QDir(QDir::homePath()).filePath(QStringLiteral(".claude"));
}

QString canonicalDir(const QString &dir)
{
    const QFileInfo fi(dir);
    const QString canonical = fi.canonicalFilePath();
    return canonical.isEmpty() ? QDir::cleanPath(fi.absoluteFilePath()) : canonical;
}

QString configDir()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
        .filePath(QStringLiteral("Qlaude"));
}

#ifdef Q_OS_UNIX
namespace {
constexpr mode_t kGroupOther = S_IRWXG | S_IRWXO;

// Makes the folder `dir` (symlinks followed) 0700 and everything directly in it private: files
// 0600 (or less), folders 0700. Symlinks and other users' files are left alone.
void secureDir(const QString &dir)
{
    const QByteArray native = QFile::encodeName(dir);
    const int fd = ::open(native.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return; // missing: nothing to fix
    struct stat st = {};
    if (::fstat(fd, &st) != 0 || st.st_uid != ::geteuid()) {
        ::close(fd);
        return;
    }
    if (st.st_mode & kGroupOther)
        ::fchmod(fd, st.st_mode & S_IRWXU);
    DIR *d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return;
    }
    while (const dirent *e = ::readdir(d)) {
        if (qstrcmp(e->d_name, ".") == 0 || qstrcmp(e->d_name, "..") == 0)
            continue;
        struct stat entry = {};
        if (::fstatat(fd, e->d_name, &entry, AT_SYMLINK_NOFOLLOW) != 0 ||
            entry.st_uid != ::geteuid() || !(entry.st_mode & kGroupOther))
            continue;
        if (S_ISREG(entry.st_mode) || S_ISDIR(entry.st_mode))
            ::fchmodat(fd, e->d_name, entry.st_mode & S_IRWXU, 0);
    }
    ::closedir(d); // closes fd
}
} // namespace

bool ensurePrivateDir(const QString &dir)
{
    const QByteArray native = QFile::encodeName(dir);
    struct stat st = {};
    if (::stat(native.constData(), &st) != 0) {
        const QString parent = QFileInfo(dir).absolutePath();
        if (!QDir().mkpath(parent))
            return false;
        // Created private: there is no moment in which it is readable by others.
        if (::mkdir(native.constData(), S_IRWXU) != 0 && errno != EEXIST)
            return false;
        if (::stat(native.constData(), &st) != 0)
            return false;
    }
    if (!S_ISDIR(st.st_mode))
        return false;
    if ((st.st_mode & kGroupOther) && st.st_uid == ::geteuid())
        ::chmod(native.constData(), st.st_mode & S_IRWXU);
    return true;
}

void makePrivate(const QString &file)
{
    const QByteArray native = QFile::encodeName(file);
    struct stat st = {};
    if (::lstat(native.constData(), &st) != 0 || !S_ISREG(st.st_mode) ||
        !(st.st_mode & kGroupOther) || st.st_uid != ::geteuid())
        return;
    ::chmod(native.constData(), st.st_mode & S_IRWXU);
}

bool createPrivateFile(const QString &file)
{
    const QByteArray native = QFile::encodeName(file);
    const int fd =
        ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd >= 0) {
        ::close(fd);
        return true;
    }
    return errno == EEXIST;
}

void secureOwnFiles()
{
    secureDir(dataDir());
    secureDir(configDir());
}
#else
bool ensurePrivateDir(const QString &dir)
{
    return QDir().mkpath(dir);
}

void makePrivate(const QString &) {}

bool createPrivateFile(const QString &file)
{
    QFile f(file);
    return f.exists() || f.open(QIODevice::WriteOnly | QIODevice::NewOnly);
}

void secureOwnFiles() {}
#endif

} // namespace qlaude::AppPaths
