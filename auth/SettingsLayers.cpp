#include "SettingsLayers.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::SettingsLayers)
};
} // namespace

namespace {
QString g_managedDirForTesting;

QString cannotRead(const QString &path, const QString &reason)
{
    return Tr::tr("%1: cannot be read (%2). Check its permissions.").arg(path, reason);
}

QString notRegular(const QString &path, const QString &kind)
{
    return Tr::tr("%1: is not a regular file (it is %2). Qlaude reads settings only from "
                  "regular files; this one is ignored.")
        .arg(path, kind);
}

QString tooLarge(const QString &path, qint64 size)
{
    return Tr::tr("%1: is larger than 4 MiB (%2 bytes). Qlaude does not read settings "
                  "files that large; this one is ignored.")
        .arg(path)
        .arg(size);
}

#ifdef Q_OS_UNIX
QString kindOf(mode_t mode)
{
    if (S_ISFIFO(mode))
        return Tr::tr("a FIFO");
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return Tr::tr("a device");
    if (S_ISDIR(mode))
        return Tr::tr("a directory");
    if (S_ISSOCK(mode))
        return Tr::tr("a socket");
    return Tr::tr("a special file");
}
#endif

SettingsFile loadFile(SettingsScope scope, const QString &path)
{
    SettingsFile file;
    file.scope = scope;
    file.path = path;
    if (!QFileInfo::exists(path))
        return file;
    QByteArray text;
    QString error = SettingsLayers::readFile(path, &text);
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

QString SettingsLayers::readFile(const QString &path, QByteArray *text)
{
    text->clear();
#ifdef Q_OS_UNIX
    // The type is checked before open(): opening a FIFO waits for a writer, and reading a
    // device such as /dev/zero never ends.
    const QByteArray native = QFile::encodeName(path);
    struct stat st = {};
    if (::stat(native.constData(), &st) != 0)
        return cannotRead(path, QString::fromLocal8Bit(std::strerror(errno)));
    if (!S_ISREG(st.st_mode))
        return notRegular(path, kindOf(st.st_mode));
    if (st.st_size > kMaxFileBytes)
        return tooLarge(path, st.st_size);
    // O_NONBLOCK: should the file be replaced by a FIFO after stat(), open() still returns at
    // once, and fstat() below refuses it.
    const int fd = ::open(native.constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return cannotRead(path, QString::fromLocal8Bit(std::strerror(errno)));
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return notRegular(path, kindOf(st.st_mode));
    }
    QFile f;
    if (!f.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return cannotRead(path, f.errorString());
    }
#else
    const QFileInfo info(path);
    if (!info.isFile())
        return notRegular(path, info.isDir() ? Tr::tr("a directory") : Tr::tr("a special file"));
    if (info.size() > kMaxFileBytes)
        return tooLarge(path, info.size());
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return cannotRead(path, f.errorString());
#endif
    // At most one byte more than allowed: a file that grew since it was checked is refused too.
    *text = f.read(kMaxFileBytes + 1);
    if (f.error() != QFileDevice::NoError) {
        text->clear();
        return cannotRead(path, f.errorString());
    }
    if (text->size() > kMaxFileBytes) {
        text->clear();
        return tooLarge(path, f.size());
    }
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
        *error = Tr::tr("%1: line %2, column %3: %4. Fix the JSON; this file is ignored "
                        "until then.")
                     .arg(path)
                     .arg(line)
                     .arg(column)
                     .arg(pe.errorString());
        return QJsonObject();
    }
    if (!doc.isObject()) {
        *error = Tr::tr("%1: line 1, column 1: the settings must be a JSON object "
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
    if (options.connectionLayer.status == SettingsFile::Status::Loaded)
        layers.m_files << options.connectionLayer;
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
                f.error = Tr::tr("%1: the file given to --settings does not exist.").arg(f.path);
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

SettingsLayers SettingsLayers::withUserEnvChanges(const QMap<QString, QString> &changes) const
{
    SettingsLayers out = *this;
    for (SettingsFile &f : out.m_files) {
        if (f.scope != SettingsScope::User)
            continue;
        QJsonObject env = f.data.value(QStringLiteral("env")).toObject();
        for (auto it = changes.begin(); it != changes.end(); ++it) {
            if (it.value().isEmpty())
                env.remove(it.key());
            else
                env.insert(it.key(), it.value());
        }
        f.data.insert(QStringLiteral("env"), env);
        break;
    }
    out.m_merged = QJsonObject();
    for (const SettingsFile &f : qAsConst(out.m_files))
        mergeInto(out.m_merged, f.data);
    return out;
}

QStringList SettingsLayers::problems() const
{
    QStringList out;
    for (const SettingsFile &f : m_files) {
        if (f.error.isEmpty())
            continue;
        // A managed folder reports each broken drop-in on a line of its own.
        for (const QString &line : f.error.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
            out << Tr::tr("Ignored the %1 settings: %2")
                       .arg(f.scope == SettingsScope::Flag ? QStringLiteral("--settings")
                                                           : settingsScopeName(f.scope),
                            line);
    }
    return out;
}

const SettingsFile *SettingsLayers::brokenFlagFile() const
{
    for (const SettingsFile &f : m_files) {
        if (f.scope == SettingsScope::Flag && f.status == SettingsFile::Status::Error)
            return &f;
    }
    return nullptr;
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
