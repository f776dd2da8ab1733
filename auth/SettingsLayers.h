#pragma once

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace qlaude {

// The settings files the CLI reads, in merge order (later wins).
enum class SettingsScope
{
    User,
    Project,
    Local,
    Flag,
    Managed
};

QString settingsScopeName(SettingsScope scope); // "user", "project", "local", "flag", "managed"
// Project and local files come from the workspace and need trust before they can run code.
inline bool isWorkspaceScope(SettingsScope s)
{
    return s == SettingsScope::Project || s == SettingsScope::Local;
}

struct SettingsFile
{
    enum class Status
    {
        Missing,
        Loaded,
        Error
    };
    SettingsScope scope = SettingsScope::User;
    QString path; // the file, or "--settings (inline JSON)"
    Status status = Status::Missing;
    QString error;    // names the file, line and column; empty when loaded or missing
    QJsonObject data; // empty unless loaded
};

QString settingsStatusName(SettingsFile::Status status); // "missing", "loaded", "error"

// A value of a settings `env` block as the environment sees it: strings as they are, booleans
// as "true"/"false", numbers in full precision; anything else is "".
QString settingsEnvValue(const QJsonValue &value);

// Loads and merges user, project, local, --settings and managed settings, and remembers which
// file each value came from. A malformed file is reported and skipped; the others still load.
class SettingsLayers
{
public:
    struct Options
    {
        QString workspace;     // the project directory
        QString userConfigDir; // CLAUDE_CONFIG_DIR or ~/.claude
        QString flagSettings;  // --settings: a file path or inline JSON
        // A named connection's layer (scope Flag, already checked), merged just before
        // --settings; ignored unless loaded.
        SettingsFile connectionLayer;
        QString managedDir; // empty: the platform's managed-settings directory
        bool bare = false;  // --bare: only --settings and managed settings
    };

    static SettingsLayers load(const Options &options);
    // The largest settings file Qlaude reads.
    static constexpr qint64 kMaxFileBytes = 4 * 1024 * 1024;
    // Reads one settings file: only a regular file (after following symlinks) of at most
    // kMaxFileBytes; a FIFO, device or directory is never opened. Returns an empty string and
    // fills *text, or the reason, naming the file.
    static QString readFile(const QString &path, QByteArray *text);
    // Parses one file's text; on error fills *error with "<path>: line L, column C: <reason>".
    static QJsonObject parseJson(const QByteArray &text, const QString &path, QString *error);

    // The platform's managed-settings directory (/etc/claude-code on Linux). Nothing in the
    // environment moves it; tests use setManagedDirForTesting().
    static QString platformManagedDir();
    static void setManagedDirForTesting(const QString &dir);

    const QList<SettingsFile> &files() const { return m_files; }
    // One sentence per settings file that could not be used (each names the file, line and
    // column), for a warning: "Ignored the project settings: <path>: line 3, column 5: ...".
    QStringList problems() const;
    // The file given with --settings could not be used: an error, not a warning.
    const SettingsFile *brokenFlagFile() const;

    // Merged view of all layers, or of only the layers the predicate admits.
    QJsonObject merged() const { return m_merged; }
    QJsonObject mergedWhere(bool (*admit)(SettingsScope)) const;

    // The effective value of a top-level key and the file that set it.
    QJsonValue value(const QString &key) const { return m_merged.value(key); }
    const SettingsFile *sourceOf(const QString &key) const;
    // The last layer (in merge order) whose `env` block sets the variable, or nullptr.
    const SettingsFile *envSourceOf(const QString &name) const;

    // Deep merge as the CLI does: objects merge key by key, arrays concatenate without
    // duplicates, anything else is replaced by the later layer.
    static void mergeInto(QJsonObject &target, const QJsonObject &layer);

    // The same layers with the user file's `env` block changed as SettingsWriter::updateEnv
    // would change it (variable -> new value, "" removes it), without writing anything: what
    // the settings would be after a save. Without a user layer (--bare) nothing changes.
    SettingsLayers withUserEnvChanges(const QMap<QString, QString> &changes) const;

private:
    QList<SettingsFile> m_files; // in merge order
    QJsonObject m_merged;
};

} // namespace qlaude
