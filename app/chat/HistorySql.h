#pragma once

#include <QDateTime>
#include <QSqlDatabase>
#include <QString>

class QSqlQuery;

// Small SQL helpers shared by ConversationStore, HistorySchema and StreamWriteBuffer. Every
// function that can fail takes `QString *error` and fills it with a sentence naming what failed.

namespace qlaude {
namespace HistorySql {

// Runs a prepared (and bound) query.
bool exec(QSqlQuery &query, QString *error);
// Prepares and runs one statement without parameters.
bool exec(const QSqlDatabase &db, const QString &sql, QString *error);
bool prepare(QSqlQuery &query, const QString &sql, QString *error);

// Bind values for the NOT NULL text columns. QSQLITE binds a null QString as SQL NULL, so an
// unset field would otherwise break the constraint; JSON is stored as UTF-8 text.
QString text(const QString &value);
QString text(const QByteArray &utf8);

// Milliseconds since the epoch, UTC: how the history stores time.
qint64 toStoredTime(const QDateTime &time);
QDateTime fromStoredTime(qint64 ms);
qint64 nowStoredTime();

// Folds the append-only text chunks of a message into its block rows and deletes the chunks.
// Runs once per message (at finish or crash recovery), so its O(text) cost is paid once.
bool compactMessageText(const QSqlDatabase &db, qint64 messageId, QString *error);

// Replaces the message's full-text search row with the text of its text blocks.
bool reindexMessage(const QSqlDatabase &db, qint64 messageId, QString *error);

// A transaction. A write transaction is taken with BEGIN IMMEDIATE, so it waits (busy_timeout)
// for another writer up front instead of failing when a read would have to be upgraded. A read
// transaction (BEGIN) makes several SELECTs one snapshot: in WAL mode another process's commit
// in between is not seen. Rolls back on destruction unless committed.
class Transaction
{
public:
    enum class Kind
    {
        Read,
        Write
    };
    Transaction(const QSqlDatabase &db, Kind kind);
    ~Transaction();
    Q_DISABLE_COPY(Transaction)

    bool begin(QString *error);
    bool commit(QString *error);

private:
    QSqlDatabase m_db;
    Kind m_kind;
    bool m_active = false;
};

class WriteTransaction : public Transaction
{
public:
    explicit WriteTransaction(const QSqlDatabase &db) : Transaction(db, Kind::Write) {}
};

class ReadTransaction : public Transaction
{
public:
    explicit ReadTransaction(const QSqlDatabase &db) : Transaction(db, Kind::Read) {}
};

} // namespace HistorySql
} // namespace qlaude
