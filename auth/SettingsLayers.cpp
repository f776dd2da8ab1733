#include "SettingsLayers.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace qlaude {

namespace {
QString g_managedDirForTesting;

QString readFileText(const QString &path, QByteArray *out)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("%1: cannot be read (%2). Check its permissions.")
            .arg(path, f.errorString());
    *out = f.readAll();
    return QString();
}

SettingsFile loadFile(SettingsScope scope, const QString &path)
{
    SettingsFile file;
    file.scope = scope;
    file.path = path;
    if (!QFileInfo::exists(path))
        return file;
    QByteArray text;
    QString error = readFileText(path, &text);
    if (error.isEmpty())
        file.data = SettingsLayers::parseJson(text, path, &error);
    file.status = error.isEmpty() ? SettingsFile::Status::Loaded : SettingsFile::Status::Error;
    file.error = error;
    if (!error.isEmpty())
        file.data = QJsonObject();
    return file;
}

// managed-settings.json, then managed-settings.d/*.json sorted by name, merged into one layer.
SettingsFile loadManaged(const QString &dir)
{
    SettingsFile managed = loadFile(SettingsScope::Managed,
                                    QDir(dir).filePath(QStringLiteral("managed-settings.json")));
    const QDir dropIns(QDir(dir).filePath(QStringLiteral("managed-settings.d")));
    const QStringList names =
        dropIns.entryList({QStringLiteral("*.json")}, QDir::Files | QDir::Readable, QDir::Name);
    QStringList errors;
    if (managed.status == SettingsFile::Status::Error)
        errors << managed.error;
    for (const QString &name : names) {
        const SettingsFile part = loadFile(SettingsScope::Managed, dropIns.filePath(name));
        if (part.status == SettingsFile::Status::Error) {
            errors << part.error;
            continue;
        }
        SettingsLayers::mergeInto(managed.data, part.data);
        if (managed.status == SettingsFile::Status::Missing)
            managed.status = SettingsFile::Status::Loaded;
    }
    if (!names.isEmpty())
        managed.path += QStringLiteral(" + managed-settings.d/*.json");
    if (!errors.isEmpty()) {
        managed.error = errors.join(QLatin1Char('\n'));
        // The drop-ins that loaded still apply: policy is not dropped for one broken file.
        managed.status =
            managed.data.isEmpty() ? SettingsFile::Status::Error : SettingsFile::Status::Loaded;
    }
    return managed;
}
} // namespace

QString settingsScopeName(SettingsScope scope)
{
    switch (scope) {
    case SettingsScope::User:
        return QStringLiteral("user");
    case SettingsScope::Project:
        return QStringLiteral("project");
    case SettingsScope::Local:
        return QStringLiteral("local");
    case SettingsScope::Flag:
        return QStringLiteral("flag");
    case SettingsScope::Managed:
        return QStringLiteral("managed");
    }
    return QString();
}

QString settingsStatusName(SettingsFile::Status status)
{
    switch (status) {
    case SettingsFile::Status::Missing:
        return QStringLiteral("missing");
    case SettingsFile::Status::Loaded:
        return QStringLiteral("loaded");
    case SettingsFile::Status::Error:
        return QStringLiteral("error");
    }
    return QString();
}

QString settingsEnvValue(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 17);
    return QString();
}

QJsonObject SettingsLayers::parseJson(const QByteArray &text, const QString &path, QString *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &pe);
    if (pe.error != QJsonParseError::NoError) {
        // QJsonParseError gives a byte offset; people fix files by line and column.
        const int offset = qBound(0, pe.offset, int(text.size()));
        const QByteArray before = text.left(offset);
        const int line = before.count('\n') + 1;
        const int lastNl = before.lastIndexOf('\n');
        const int column = QString::fromUtf8(before.mid(lastNl + 1)).size() + 1;
        *error = QStringLiteral("%1: line %2, column %3: %4. Fix the JSON; this file is ignored "
                                "until then.")
                     .arg(path)
                     .arg(line)
                     .arg(column)
                     .arg(pe.errorString());
        return QJsonObject();
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("%1: line 1, column 1: the settings must be a JSON object "
                                "({ ... }). This file is ignored until then.")
                     .arg(path);
        return QJsonObject();
    }
    return doc.object();
}

QString SettingsLayers::platformManagedDir()
{
    if (!g_managedDirForTesting.isEmpty())
        return g_managedDirForTesting;
#if defined(Q_OS_MACOS)
    return QStringLiteral("/Library/Application Support/ClaudeCode");
#elif defined(Q_OS_WIN)
    return QStringLiteral("C:/Program Files/ClaudeCode");
#else
    return QStringLiteral("/etc/claude-code");
#endif
}

void SettingsLayers::setManagedDirForTesting(const QString &dir)
{
    g_managedDirForTesting = dir;
}

void SettingsLayers::mergeInto(QJsonObject &target, const QJsonObject &layer)
{
    for (auto it = layer.begin(); it != layer.end(); ++it) {
        const QJsonValue existing = target.value(it.key());
        if (existing.isObject() && it.value().isObject()) {
            QJsonObject sub = existing.toObject();
            mergeInto(sub, it.value().toObject());
            target.insert(it.key(), sub);
        } else if (existing.isArray() && it.value().isArray()) {
            QJsonArray arr = existing.toArray();
            for (const QJsonValue &v : it.value().toArray()) {
                if (!arr.contains(v))
                    arr.append(v);
            }
            target.insert(it.key(), arr);
        } else {
            target.insert(it.key(), it.value());
        }
    }
}

SettingsLayers SettingsLayers::load(const Options &options)
{
    SettingsLayers layers;
    if (!options.bare) {
        layers.m_files << loadFile(
            SettingsScope::User,
            QDir(options.userConfigDir).filePath(QStringLiteral("settings.json")));
        const QDir claudeDir(QDir(options.workspace).filePath(QStringLiteral(".claude")));
        layers.m_files << loadFile(SettingsScope::Project,
                                   claudeDir.filePath(QStringLiteral("settings.json")));
        layers.m_files << loadFile(SettingsScope::Local,
                                   claudeDir.filePath(QStringLiteral("settings.local.json")));
    }
    if (!options.flagSettings.isEmpty()) {
        const QString flag = options.flagSettings.trimmed();
        if (flag.startsWith(QLatin1Char('{'))) {
            SettingsFile f;
            f.scope = SettingsScope::Flag;
            f.path = QStringLiteral("--settings (inline JSON)");
            QString error;
            f.data = parseJson(flag.toUtf8(), f.path, &error);
            f.status = error.isEmpty() ? SettingsFile::Status::Loaded : SettingsFile::Status::Error;
            f.error = error;
            layers.m_files << f;
        } else {
            SettingsFile f = loadFile(SettingsScope::Flag, QFileInfo(flag).absoluteFilePath());
            if (f.status == SettingsFile::Status::Missing) {
                f.status = SettingsFile::Status::Error;
                f.error =
                    QStringLiteral("%1: the file given to --settings does not exist.").arg(f.path);
            }
            layers.m_files << f;
        }
    }
    layers.m_files << loadManaged(options.managedDir.isEmpty() ? platformManagedDir()
                                                               : options.managedDir);
    for (const SettingsFile &f : qAsConst(layers.m_files))
        mergeInto(layers.m_merged, f.data);
    return layers;
}

QJsonObject SettingsLayers::mergedWhere(bool (*admit)(SettingsScope)) const
{
    QJsonObject out;
    for (const SettingsFile &f : m_files) {
        if (admit(f.scope))
            mergeInto(out, f.data);
    }
    return out;
}

const SettingsFile *SettingsLayers::sourceOf(const QString &key) const
{
    for (auto it = m_files.crbegin(); it != m_files.crend(); ++it) {
        if (it->data.contains(key))
            return &*it;
    }
    return nullptr;
}

const SettingsFile *SettingsLayers::envSourceOf(const QString &name) const
{
    for (auto it = m_files.crbegin(); it != m_files.crend(); ++it) {
        if (it->data.value(QStringLiteral("env")).toObject().contains(name))
            return &*it;
    }
    return nullptr;
}

} // namespace qlaude
