#include "HistorySql.h"

#include "StoredTypes.h"

#include <QCoreApplication>
#include <QMap>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::HistorySql)
};
} // namespace
namespace HistorySql {

namespace {

QString describe(const QSqlError &sqlError, const QString &sql)
{
    // The statement is ours, never user data, so it is safe to show; it tells a bug report
    // which step failed.
    QString text = sqlError.text().trimmed();
    if (text.isEmpty())
        text = Tr::tr("unknown SQLite error");
    return Tr::tr("The chat history database reported \"%1\" while running \"%2\".")
        .arg(text, sql.simplified());
}

} // namespace

bool exec(QSqlQuery &query, QString *error)
{
    if (query.exec())
        return true;
    if (error)
        *error = describe(query.lastError(), query.lastQuery());
    return false;
}

bool prepare(QSqlQuery &query, const QString &sql, QString *error)
{
    if (query.prepare(sql))
        return true;
    if (error)
        *error = describe(query.lastError(), sql);
    return false;
}

bool exec(const QSqlDatabase &db, const QString &sql, QString *error)
{
    QSqlQuery query(db);
    return prepare(query, sql, error) && exec(query, error);
}

QString text(const QString &value)
{
    return value.isNull() ? QStringLiteral("") : value;
}

QString text(const QByteArray &utf8)
{
    return utf8.isEmpty() ? QStringLiteral("") : QString::fromUtf8(utf8);
}

qint64 toStoredTime(const QDateTime &time)
{
    return time.toMSecsSinceEpoch();
}

QDateTime fromStoredTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
}

qint64 nowStoredTime()
{
    return QDateTime::currentMSecsSinceEpoch();
}

bool compactMessageText(const QSqlDatabase &db, qint64 messageId, QString *error)
{
    QSqlQuery chunks(db);
    chunks.setForwardOnly(true);
    if (!prepare(chunks,
                 QStringLiteral("SELECT block_index, text FROM block_chunks WHERE message_id = ? "
                                "ORDER BY block_index, seq"),
                 error))
        return false;
    chunks.addBindValue(messageId);
    if (!exec(chunks, error))
        return false;
    QMap<int, QString> tails;
    while (chunks.next())
        tails[chunks.value(0).toInt()].append(chunks.value(1).toString());
    chunks.finish();
    if (tails.isEmpty())
        return true;

    QSqlQuery update(db);
    if (!prepare(update,
                 QStringLiteral("UPDATE content_blocks SET text = text || ? "
                                "WHERE message_id = ? AND block_index = ?"),
                 error))
        return false;
    for (auto it = tails.cbegin(); it != tails.cend(); ++it) {
        update.addBindValue(it.value());
        update.addBindValue(messageId);
        update.addBindValue(it.key());
        if (!exec(update, error))
            return false;
    }
    QSqlQuery drop(db);
    if (!prepare(drop, QStringLiteral("DELETE FROM block_chunks WHERE message_id = ?"), error))
        return false;
    drop.addBindValue(messageId);
    return exec(drop, error);
}

bool reindexMessage(const QSqlDatabase &db, qint64 messageId, QString *error)
{
    QSqlQuery forget(db);
    if (!prepare(forget, QStringLiteral("DELETE FROM message_search WHERE rowid = ?"), error))
        return false;
    forget.addBindValue(messageId);
    if (!exec(forget, error))
        return false;

    QSqlQuery texts(db);
    texts.setForwardOnly(true);
    if (!prepare(texts,
                 QStringLiteral("SELECT text FROM content_blocks WHERE message_id = ? AND type = ? "
                                "ORDER BY block_index"),
                 error))
        return false;
    texts.addBindValue(messageId);
    texts.addBindValue(blockTypeName(BlockType::Text));
    if (!exec(texts, error))
        return false;
    QStringList parts;
    while (texts.next())
        parts.append(texts.value(0).toString());
    texts.finish();
    const QString body = parts.join(QLatin1Char('\n'));
    if (body.trimmed().isEmpty())
        return true;

    QSqlQuery insert(db);
    if (!prepare(insert, QStringLiteral("INSERT INTO message_search(rowid, body) VALUES (?, ?)"),
                 error))
        return false;
    insert.addBindValue(messageId);
    insert.addBindValue(body);
    return exec(insert, error);
}

Transaction::Transaction(const QSqlDatabase &db, Kind kind) : m_db(db), m_kind(kind) {}

Transaction::~Transaction()
{
    if (m_active)
        exec(m_db, QStringLiteral("ROLLBACK"), nullptr);
}

bool Transaction::begin(QString *error)
{
    m_active = exec(
        m_db, m_kind == Kind::Write ? QStringLiteral("BEGIN IMMEDIATE") : QStringLiteral("BEGIN"),
        error);
    return m_active;
}

bool Transaction::commit(QString *error)
{
    if (!exec(m_db, QStringLiteral("COMMIT"), error))
        return false; // still active: the destructor rolls back
    m_active = false;
    return true;
}

} // namespace HistorySql
} // namespace qlaude
