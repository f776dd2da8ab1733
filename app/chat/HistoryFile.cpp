#include "HistoryFile.h"

#include "AppPaths.h"
#include "HistorySchema.h"
#include "HistorySql.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::HistoryFile)
};
} // namespace
namespace HistoryFile {

namespace {

const QString kDriver = QStringLiteral("QSQLITE");

// Before SQLite sees the file: a missing file gets its folder, an existing one must start with
// the SQLite header (an empty file is a new database to SQLite).
bool checkFile(const QString &path, QString *error)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        // A folder Qlaude creates is private (0700), and so is the file: SQLite gives its -wal
        // and -shm files the main file's mode. A folder that exists is the user's choice.
        const QString folder = info.absolutePath();
        if (!QFileInfo(folder).isDir() && !AppPaths::ensurePrivateDir(folder)) {
            *error = Tr::tr("Cannot create the folder \"%1\" for the chat history. "
                            "Check that its parent folder exists and is writable.")
                         .arg(folder);
            return false;
        }
        if (AppPaths::createPrivateFile(path))
            return true;
        *error = Tr::tr("Cannot create the chat history \"%1\". Check that its folder "
                        "is writable.")
                     .arg(path);
        return false;
    }
    if (!info.isFile()) {
        *error = Tr::tr("\"%1\" is a folder or a special file, not a chat history. "
                        "Choose a file path for the history.")
                     .arg(path);
        return false;
    }
    if (info.size() == 0)
        return true;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = Tr::tr("Cannot read the chat history \"%1\" (%2). Check the file's "
                        "permissions.")
                     .arg(path, file.errorString());
        return false;
    }
    static const QByteArray sqliteMagic("SQLite format 3\0", 16);
    if (file.read(sqliteMagic.size()) == sqliteMagic)
        return true;
    *error = Tr::tr("\"%1\" is not a Qlaude chat history (it is not an SQLite "
                    "database). Move it aside or choose another file; Qlaude has not "
                    "changed it.")
                 .arg(path);
    return false;
}

// Reads only: a refused file is left exactly as it was.
bool checkVersion(const QSqlDatabase &db, const QString &path, QString *error)
{
    QString reason;
    const int version = HistorySchema::version(db, &reason);
    bool ok = version >= 0;
    bool foreign = false;
    if (ok && version == 0)
        foreign = HistorySchema::hasUnversionedTables(db, &ok, &reason);
    if (!ok) {
        *error = Tr::tr("\"%1\" cannot be read as a chat history (%2). Move the file "
                        "aside or choose another one; Qlaude has not changed it.")
                     .arg(path, reason);
        return false;
    }
    if (foreign) {
        *error = Tr::tr("\"%1\" is an SQLite database but not a Qlaude chat history. "
                        "Move it aside or choose another file; Qlaude has not changed "
                        "it.")
                     .arg(path);
        return false;
    }
    if (version > HistorySchema::kCurrentVersion) {
        *error = Tr::tr("The chat history \"%1\" was written by a newer version of "
                        "Qlaude (format %2; this version knows up to %3). Update Qlaude "
                        "to open it; the file has not been changed.")
                     .arg(path)
                     .arg(version)
                     .arg(HistorySchema::kCurrentVersion);
        return false;
    }
    return true;
}

bool configure(const QSqlDatabase &db, const QString &path, QString *error)
{
    QString reason;
    bool ok = HistorySql::exec(db, QStringLiteral("PRAGMA foreign_keys = ON"), &reason) &&
              HistorySql::exec(db, QStringLiteral("PRAGMA busy_timeout = 5000"), &reason) &&
              // Checkpoints reuse the WAL from its start; this also gives back the space a
              // large transaction (finishing a long answer) made it grow to.
              HistorySql::exec(db, QStringLiteral("PRAGMA journal_size_limit = 4194304"), &reason);
    QSqlQuery journal(db);
    ok = ok && HistorySql::prepare(journal, QStringLiteral("PRAGMA journal_mode = WAL"), &reason) &&
         HistorySql::exec(journal, &reason);
    if (ok && (!journal.next() || journal.value(0).toString().compare(QLatin1String("wal"),
                                                                      Qt::CaseInsensitive) != 0)) {
        ok = false;
        reason = Tr::tr("SQLite did not switch the file to WAL mode; a file system "
                        "without shared memory (a network share) cannot hold it.");
    }
    journal.finish();
    // In WAL mode NORMAL never corrupts the file, and a commit survives the app crashing; only
    // a power loss may take back the last commits.
    ok = ok && HistorySql::exec(db, QStringLiteral("PRAGMA synchronous = NORMAL"), &reason);
    if (!ok)
        *error = Tr::tr("Cannot prepare the chat history \"%1\": %2 Keep the history on "
                        "a local disk with free space.")
                     .arg(path, reason);
    return ok;
}

bool migrateAndRecover(const QSqlDatabase &db, const QString &path, QString *error)
{
    QString reason;
    if (!HistorySchema::migrate(db, &reason)) {
        *error = Tr::tr("Updating the chat history \"%1\" to the current format failed "
                        "and nothing was changed. Free some disk space and restart "
                        "Qlaude. Details: %2")
                     .arg(path, reason);
        return false;
    }
    if (HistorySchema::recoverInterruptedStreams(db, &reason) < 0) {
        *error = Tr::tr("Cannot recover the answers that were cut off when Qlaude last "
                        "stopped, in \"%1\". Details: %2")
                     .arg(path, reason);
        return false;
    }
    return true;
}

} // namespace

bool open(const QString &path, const QString &connectionName, QString *error)
{
    if (!QSqlDatabase::isDriverAvailable(kDriver)) {
        *error = Tr::tr("Qt's SQLite driver is missing, so the chat history cannot be "
                        "opened. Install the package libqt6sql6-sqlite.");
        return false;
    }
    if (!checkFile(path, error))
        return false;
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(kDriver, connectionName);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        if (!db.open())
            *error = Tr::tr("Cannot open the chat history \"%1\" (%2). Check that the "
                            "file and its folder are readable and writable.")
                         .arg(path, db.lastError().text());
        else
            ok = checkVersion(db, path, error) && configure(db, path, error) &&
                 migrateAndRecover(db, path, error);
        if (!ok)
            db.close();
    }
    if (!ok) {
        QSqlDatabase::removeDatabase(connectionName);
        return false;
    }
    // Files made by older versions were readable by everyone. (A refused file is not touched.)
    for (const char *suffix : {"", "-wal", "-shm"})
        AppPaths::makePrivate(path + QLatin1String(suffix));
    return true;
}

} // namespace HistoryFile
} // namespace qlaude
