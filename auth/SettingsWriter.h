#pragma once

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>

namespace qlaude {

// Writes a settings file atomically (QSaveFile), changing only what the caller changes: every
// key Qlaude does not own is kept. A file that does not parse is never overwritten.
class SettingsWriter
{
public:
    using Edit = std::function<void(QJsonObject &root)>;
    static bool update(const QString &path, const Edit &edit, QString *error);

    // Sets (non-empty value) or removes (empty value) variables in the file's `env` block.
    static bool updateEnv(const QString &path, const QMap<QString, QString> &changes,
                          QString *error);
};

} // namespace qlaude
