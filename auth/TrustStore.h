#pragma once

#include "SettingsLayers.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace qlaude {

// One thing a workspace's settings would do once trusted: run a command, or set an
// environment variable that is not on the CLI's pre-trust safe list.
struct TrustItem
{
    enum class Kind
    {
        Command,
        Environment
    };
    Kind kind = Kind::Command;
    QString key;           // "apiKeyHelper", or the variable name
    QString file;          // the settings file it comes from
    QString value;         // the exact command line, or the variable's value
    QString previousValue; // the command approved before, when it has changed since

    // For a command: the files inside the workspace its command line names (./key.sh,
    // tools/key.py), with their SHA-256, so a changed script asks again like a changed command.
    struct FileHash
    {
        QString path; // canonical
        QString sha256;
    };
    QList<FileHash> files;
    QStringList changedFiles; // files that changed since the approval (when pending)

    // A secret-looking variable shows only its last characters; commands show in full.
    QString displayValue() const;
    QString digest() const; // sha256 over kind, key, value and the files' hashes
};

struct TrustState
{
    QString workspace;          // canonical path
    bool trusted = false;       // the workspace's commands and environment may apply
    bool folderTrusted = false; // the folder or a parent was trusted (before digests)
    bool homeDirectory = false; // trust here lasts for this run only
    QString decisionPath;       // the folder whose stored decision applies, if any
    QList<TrustItem> items;     // everything the workspace would run or set
    QList<TrustItem> pending;   // items not covered by an approval
    QString explanation;        // one or two sentences for doctor and the dialog
    // "Don't trust" was chosen for this folder with exactly these pending items: the app does
    // not ask again until they change (or qlaude --trust / --untrust).
    bool declined = false;

    bool needsApproval() const { return !pending.isEmpty(); }
    bool commandChanged() const; // a command's text or one of its files changed
};

// Decisions per canonical workspace path, stored under Qlaude's data directory (never inside a
// project). Trusting a folder trusts the folders below it; each decision also records a digest
// of every command and variable approved, and a changed command asks again.
class TrustStore
{
public:
    explicit TrustStore(const QString &filePath = defaultPath());
    static QString defaultPath();

    TrustState evaluate(const QString &workspace, const SettingsLayers &settings) const;
    // Approves the workspace with exactly the items in state. In the home directory the
    // approval lasts for this run only and is not written.
    bool trust(const TrustState &state, QString *error);
    // Withdraws the stored decision for this exact folder (and this run's home trust).
    bool untrust(const QString &workspace, QString *error);
    // Remembers "Don't trust" for this exact folder and its pending items, in the same store
    // (for this run only in the home directory). Trusting or --untrust replaces it.
    bool decline(const TrustState &state, QString *error);

    static QList<TrustItem> itemsFor(const SettingsLayers &settings);
    // The regular files inside `workspace` that a command line names, hashed. Reads at most
    // 16 files of at most 16 MiB each; never opens a FIFO or device.
    static QList<TrustItem::FileHash> filesNamedBy(const QString &command,
                                                   const QString &workspace);
    static bool isCodeRunningKey(const QString &key);
    static bool isSafeEnvVar(const QString &name);
    static void clearSessionTrust();

private:
    QString m_path;
};

} // namespace qlaude
