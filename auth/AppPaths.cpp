#include "AppPaths.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

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

} // namespace qlaude::AppPaths
