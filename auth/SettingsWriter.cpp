#include "SettingsWriter.h"

#include "SettingsLayers.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>

namespace qlaude {

bool SettingsWriter::update(const QString &path, const Edit &edit, QString *error)
{
    QJsonObject root;
    if (QFileInfo::exists(path)) {
        // Only a regular file of at most 4 MiB is read, never a FIFO or a device.
        QByteArray text;
        const QString readError = SettingsLayers::readFile(path, &text);
        if (!readError.isEmpty()) {
            *error = readError + QStringLiteral(" It was not changed.");
            return false;
        }
        if (!text.trimmed().isEmpty()) {
            QString parseError;
            root = SettingsLayers::parseJson(text, path, &parseError);
            if (!parseError.isEmpty()) {
                *error =
                    parseError + QStringLiteral(" Nothing was saved, so nothing in it is lost.");
                return false;
            }
        }
    }
    edit(root);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1 cannot be written (%2).").arg(path, out.errorString());
        return false;
    }
    out.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!out.commit()) {
        *error = QStringLiteral("%1 could not be saved (%2); the previous file is unchanged.")
                     .arg(path, out.errorString());
        return false;
    }
    return true;
}

bool SettingsWriter::updateEnv(const QString &path, const QMap<QString, QString> &changes,
                               QString *error)
{
    return update(
        path,
        [&](QJsonObject &root) {
            QJsonObject env = root.value(QStringLiteral("env")).toObject();
            for (auto it = changes.begin(); it != changes.end(); ++it) {
                if (it.value().isEmpty())
                    env.remove(it.key());
                else
                    env.insert(it.key(), it.value());
            }
            if (env.isEmpty())
                root.remove(QStringLiteral("env"));
            else
                root.insert(QStringLiteral("env"), env);
        },
        error);
}

} // namespace qlaude
