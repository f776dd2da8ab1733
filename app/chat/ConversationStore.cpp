#include "ConversationStore.h"

#include "AppPaths.h"

#include "HistoryFile.h"
#include "HistoryRows.h"
#include "HistorySchema.h"
#include "HistorySql.h"
#include "ProcessIdentity.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QSet>
#include <QSignalBlocker>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QVariant>

#include <algorithm>
#include <utility>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ConversationStore)
};
} // namespace

using HistorySql::exec;
using HistorySql::prepare;
using HistorySql::toStoredTime;

namespace {

QString nextConnectionName()
{
    static QAtomicInteger<quint64> counter;
    return QStringLiteral("qlaude-history-%1").arg(counter.fetchAndAddRelaxed(1));
}

// Every word becomes a quoted FTS5 prefix phrase ("word"*), so quotes, parentheses, '*', ':',
// '-', AND/OR/NOT/NEAR in user input are searched as text and can never be a syntax error.
QString matchExpression(const QString &userText)
{
    QStringList phrases;
    const QStringList words = userText.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (QString word : words) {
        // A word of only punctuation has no token for the index to match.
        if (std::none_of(word.cbegin(), word.cend(), [](QChar c) { return c.isLetterOrNumber(); }))
            continue;
        word.replace(QLatin1Char('"'), QLatin1String("\"\""));
        phrases.append(QLatin1Char('"') + word + QLatin1String("\"*"));
    }
    return phrases.join(QLatin1Char(' '));
}

} // namespace

QString ConversationStore::defaultPath()
{
    // Qlaude's data folder (~/.local/share/qlaude), which does not depend on the organization
    // name the way AppDataLocation does.
    return AppPaths::dataDir() + QLatin1String("/history.sqlite");
}

ConversationStore::ConversationStore(QObject *parent) : ConversationStore(defaultPath(), parent) {}

ConversationStore::ConversationStore(const QString &databasePath, QObject *parent)
    : QObject(parent), m_path(databasePath), m_connectionName(nextConnectionName())
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(kDefaultFlushIntervalMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &ConversationStore::onFlushTimer);
}

ConversationStore::~ConversationStore()
{
    const QSignalBlocker blocker(this);
    if (m_open) {
        const QList<qint64> streaming = m_streams.streamIds();
        for (qint64 messageId : streaming)
            finishMessage(messageId, MessageStatus::Interrupted);
        flushPendingWrites();
    }
    close();
}

bool ConversationStore::fail(const QString &message) const
{
    m_error = message;
    return false;
}

bool ConversationStore::requireOpen() const
{
    return m_open || fail(Tr::tr("The chat history is not open."));
}

void ConversationStore::close()
{
    m_open = false;
    m_flushTimer.stop();
    if (!m_db.isValid())
        return;
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

bool ConversationStore::open()
{
    if (m_open)
        return true;
    m_error.clear();
    QString error;
    if (!HistoryFile::open(m_path, m_connectionName, &error))
        return fail(error);
    m_db = QSqlDatabase::database(m_connectionName, false);
    m_open = true;
    return true;
}

bool ConversationStore::touchConversation(qint64 conversationId)
{
    // One past the newest stamp when the clock has not moved on, so "most recently updated
    // first" is a strict order even for changes within the same millisecond.
    QSqlQuery query(m_db);
    QString error;
    const qint64 stamp = HistorySql::nowStoredTime();
    if (!prepare(query,
                 QStringLiteral("UPDATE conversations SET updated_at = max(?, (SELECT "
                                "coalesce(max(updated_at), 0) + 1 FROM conversations)) "
                                "WHERE id = ?"),
                 &error))
        return fail(error);
    query.addBindValue(stamp);
    query.addBindValue(conversationId);
    if (!exec(query, &error))
        return fail(error);
    if (query.numRowsAffected() != 1)
        return fail(Tr::tr("Conversation %1 does not exist.").arg(conversationId));
    return true;
}

qint64 ConversationStore::createConversation(const StoredConversation &conversation)
{
    if (!requireOpen())
        return 0;
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    QSqlQuery insert(m_db);
    const qint64 now = HistorySql::nowStoredTime();
    if (!transaction.begin(&error) ||
        !prepare(insert,
                 QStringLiteral("INSERT INTO conversations (title, created_at, updated_at, model, "
                                "system_prompt, max_tokens, thinking_budget, settings_json) "
                                "VALUES (?, ?, max(?, (SELECT coalesce(max(updated_at), 0) + 1 "
                                "FROM conversations)), ?, ?, ?, ?, ?)"),
                 &error))
        return fail(error);
    insert.addBindValue(HistorySql::text(conversation.title));
    insert.addBindValue(now);
    insert.addBindValue(now);
    insert.addBindValue(HistorySql::text(conversation.model));
    insert.addBindValue(HistorySql::text(conversation.systemPrompt));
    insert.addBindValue(conversation.maxTokens);
    insert.addBindValue(conversation.thinkingBudget);
    insert.addBindValue(HistorySql::text(conversation.settingsJson));
    if (!exec(insert, &error))
        return fail(error);
    const qint64 id = insert.lastInsertId().toLongLong();
    if (!transaction.commit(&error))
        return fail(error);
    emit conversationsChanged();
    return id;
}

bool ConversationStore::updateConversation(const StoredConversation &conversation)
{
    if (!requireOpen())
        return false;
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    QSqlQuery update(m_db);
    if (!transaction.begin(&error) ||
        !prepare(update,
                 QStringLiteral("UPDATE conversations SET title = ?, model = ?, system_prompt = ?, "
                                "max_tokens = ?, thinking_budget = ?, settings_json = ? "
                                "WHERE id = ?"),
                 &error))
        return fail(error);
    update.addBindValue(HistorySql::text(conversation.title));
    update.addBindValue(HistorySql::text(conversation.model));
    update.addBindValue(HistorySql::text(conversation.systemPrompt));
    update.addBindValue(conversation.maxTokens);
    update.addBindValue(conversation.thinkingBudget);
    update.addBindValue(HistorySql::text(conversation.settingsJson));
    update.addBindValue(conversation.id);
    if (!exec(update, &error))
        return fail(error);
    if (!touchConversation(conversation.id))
        return false;
    if (!transaction.commit(&error))
        return fail(error);
    emit conversationsChanged();
    return true;
}

bool ConversationStore::renameConversation(qint64 conversationId, const QString &title)
{
    if (!requireOpen())
        return false;
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    QSqlQuery update(m_db);
    if (!transaction.begin(&error) ||
        !prepare(update, QStringLiteral("UPDATE conversations SET title = ? WHERE id = ?"), &error))
        return fail(error);
    update.addBindValue(HistorySql::text(title));
    update.addBindValue(conversationId);
    if (!exec(update, &error))
        return fail(error);
    if (!touchConversation(conversationId))
        return false;
    if (!transaction.commit(&error))
        return fail(error);
    emit conversationsChanged();
    return true;
}

bool ConversationStore::deleteConversation(qint64 conversationId)
{
    if (!requireOpen())
        return false;
    QString error;
    QSqlQuery remove(m_db);
    if (!prepare(remove, QStringLiteral("DELETE FROM conversations WHERE id = ?"), &error))
        return fail(error);
    remove.addBindValue(conversationId);
    if (!exec(remove, &error))
        return fail(error);
    if (remove.numRowsAffected() != 1)
        return fail(Tr::tr("Conversation %1 does not exist.").arg(conversationId));
    forgetStreamsOf(conversationId);
    emit conversationsChanged();
    return true;
}

void ConversationStore::forgetStreamsOf(qint64 conversationId)
{
    const QList<qint64> ids = m_streams.streamsOfConversation(conversationId);
    for (qint64 id : ids)
        m_streams.removeStream(id);
}

QList<StoredConversation> ConversationStore::conversations() const
{
    QList<StoredConversation> result;
    if (!requireOpen())
        return result;
    QSqlQuery query(m_db);
    query.setForwardOnly(true);
    QString error;
    if (!prepare(query,
                 QString::fromLatin1(HistoryRows::kConversationColumns) +
                     QLatin1String("ORDER BY updated_at DESC, id DESC"),
                 &error) ||
        !exec(query, &error)) {
        fail(error);
        return result;
    }
    while (query.next())
        result.append(HistoryRows::readConversation(query));
    return result;
}

std::optional<StoredConversation> ConversationStore::conversation(qint64 conversationId) const
{
    if (!requireOpen())
        return std::nullopt;
    QSqlQuery query(m_db);
    QString error;
    if (!prepare(query,
                 QString::fromLatin1(HistoryRows::kConversationColumns) +
                     QLatin1String("WHERE id = ?"),
                 &error)) {
        fail(error);
        return std::nullopt;
    }
    query.addBindValue(conversationId);
    if (!exec(query, &error)) {
        fail(error);
        return std::nullopt;
    }
    if (!query.next()) {
        fail(Tr::tr("Conversation %1 does not exist.").arg(conversationId));
        return std::nullopt;
    }
    return HistoryRows::readConversation(query);
}

QList<StoredMessage> ConversationStore::messages(qint64 conversationId) const
{
    QList<StoredMessage> result;
    if (!requireOpen())
        return result;
    QString error;
    if (!HistoryRows::loadMessages(m_db,
                                   QStringLiteral("WHERE m.conversation_id = ? AND m.shown = 1"),
                                   conversationId, &result, &error)) {
        fail(error);
        result.clear();
    }
    return result;
}

std::optional<StoredMessage> ConversationStore::message(qint64 messageId) const
{
    QList<StoredMessage> result;
    if (!requireOpen())
        return std::nullopt;
    QString error;
    if (!HistoryRows::loadMessages(m_db, QStringLiteral("WHERE m.id = ?"), messageId, &result,
                                   &error)) {
        fail(error);
        return std::nullopt;
    }
    if (result.isEmpty()) {
        fail(Tr::tr("Message %1 does not exist.").arg(messageId));
        return std::nullopt;
    }
    return result.constFirst();
}

qint64 ConversationStore::insertMessage(qint64 conversationId, const StoredMessage &message,
                                        std::optional<qint64> parent, QString *error)
{
    if (parent) {
        // A new version: the earlier ones stay, no longer chosen.
        QSqlQuery unchoose(m_db);
        if (!prepare(unchoose,
                     QStringLiteral("UPDATE messages SET chosen = 0 WHERE conversation_id = ? "
                                    "AND parent_id = ? AND chosen = 1"),
                     error))
            return 0;
        unchoose.addBindValue(conversationId);
        unchoose.addBindValue(*parent);
        if (!exec(unchoose, error))
            return 0;
    }
    // Positions keep the order messages were added in, across versions; within one path they
    // still increase, so the shown path reads in position order.
    QSqlQuery insert(m_db);
    if (!prepare(insert,
                 QStringLiteral("INSERT INTO messages (conversation_id, position, role, status, "
                                "error_text, model, stop_reason, input_tokens, output_tokens, "
                                "cache_read_tokens, cache_creation_tokens, created_at, writer, "
                                "connection, parent_id) "
                                "VALUES (?, (SELECT coalesce(max(position), -1) + 1 FROM "
                                "messages WHERE conversation_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                "?, ?, ?, ") +
                     (parent ? QStringLiteral("?)")
                             : QStringLiteral("coalesce((SELECT id FROM messages WHERE "
                                              "conversation_id = ? AND shown = 1 ORDER BY "
                                              "position DESC LIMIT 1), 0))")),
                 error))
        return 0;
    const QDateTime created =
        message.createdAt.isValid() ? message.createdAt : QDateTime::currentDateTimeUtc();
    const bool streaming = message.status == MessageStatus::Streaming;
    insert.addBindValue(conversationId);
    insert.addBindValue(conversationId);
    insert.addBindValue(messageRoleName(message.role));
    insert.addBindValue(messageStatusName(message.status));
    insert.addBindValue(HistorySql::text(message.errorText));
    insert.addBindValue(HistorySql::text(message.model));
    insert.addBindValue(HistorySql::text(message.stopReason));
    insert.addBindValue(message.usage.inputTokens);
    insert.addBindValue(message.usage.outputTokens);
    insert.addBindValue(message.usage.cacheReadInputTokens);
    insert.addBindValue(message.usage.cacheCreationInputTokens);
    insert.addBindValue(toStoredTime(created));
    // The process streaming it, so another Qlaude opening the history leaves it alone.
    insert.addBindValue(streaming ? ProcessIdentity::current() : QStringLiteral(""));
    insert.addBindValue(message.connection.isEmpty() ? QVariant() : QVariant(message.connection));
    insert.addBindValue(parent ? *parent : conversationId);
    if (!exec(insert, error))
        return 0;
    const qint64 id = insert.lastInsertId().toLongLong();
    if (!HistoryRows::insertBlocks(m_db, id, message.blocks, error))
        return 0;
    return id;
}

qint64 ConversationStore::addMessage(qint64 conversationId, const StoredMessage &message)
{
    if (!requireOpen())
        return 0;
    if (message.status == MessageStatus::Streaming)
        return fail(QStringLiteral("A streaming message is added with beginAssistantMessage()."));
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    qint64 id = 0;
    if (!transaction.begin(&error) ||
        !(id = insertMessage(conversationId, message, std::nullopt, &error)))
        return fail(error);
    if (!touchConversation(conversationId))
        return 0;
    if (!transaction.commit(&error))
        return fail(error);
    emit conversationsChanged();
    return id;
}

bool ConversationStore::replaceMessageBlocks(qint64 messageId, const QList<StoredBlock> &blocks)
{
    if (!requireOpen())
        return false;
    if (isStreaming(messageId))
        return fail(
            Tr::tr("Message %1 is still streaming; finish it before editing it.").arg(messageId));
    const std::optional<StoredMessage> existing = message(messageId);
    if (!existing)
        return false;
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    QSqlQuery remove(m_db);
    if (!transaction.begin(&error) ||
        !prepare(remove, QStringLiteral("DELETE FROM content_blocks WHERE message_id = ?"), &error))
        return fail(error);
    remove.addBindValue(messageId);
    if (!exec(remove, &error))
        return fail(error);
    if (!HistoryRows::insertBlocks(m_db, messageId, blocks, &error))
        return fail(error);
    if (!touchConversation(existing->conversationId))
        return false;
    if (!transaction.commit(&error))
        return fail(error);
    emit conversationsChanged();
    return true;
}

bool ConversationStore::deleteMessagesAfter(qint64 messageId)
{
    return deleteMessageTree(messageId, false);
}

bool ConversationStore::deleteMessagesFrom(qint64 messageId)
{
    return deleteMessageTree(messageId, true);
}

bool ConversationStore::placeOf(qint64 messageId, qint64 *conversationId, qint64 *parentId,
                                QString *error) const
{
    QSqlQuery query(m_db);
    query.setForwardOnly(true);
    if (!prepare(query,
                 QStringLiteral("SELECT conversation_id, parent_id FROM messages WHERE id = ?"),
                 error))
        return false;
    query.addBindValue(messageId);
    if (!exec(query, error))
        return false;
    if (!query.next()) {
        *error = Tr::tr("Message %1 does not exist.").arg(messageId);
        return false;
    }
    *conversationId = query.value(0).toLongLong();
    *parentId = query.value(1).toLongLong();
    return true;
}

bool ConversationStore::deleteMessageTree(qint64 messageId, bool includingItself)
{
    if (!requireOpen())
        return false;
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    qint64 conversationId = 0;
    qint64 parentId = 0;
    if (!transaction.begin(&error) || !placeOf(messageId, &conversationId, &parentId, &error))
        return fail(error);

    // The message and every message following it, in any version.
    QSqlQuery doomed(m_db);
    doomed.setForwardOnly(true);
    if (!prepare(doomed,
                 QStringLiteral("WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT m.id "
                                "FROM messages m JOIN tree ON m.conversation_id = ? "
                                "AND m.parent_id = tree.id) SELECT id FROM tree"),
                 &error))
        return fail(error);
    doomed.addBindValue(messageId);
    doomed.addBindValue(conversationId);
    if (!exec(doomed, &error))
        return fail(error);
    QList<qint64> removedIds;
    while (doomed.next()) {
        const qint64 id = doomed.value(0).toLongLong();
        if (includingItself || id != messageId)
            removedIds.append(id);
    }
    doomed.finish();

    QSqlQuery remove(m_db);
    if (!prepare(remove, QStringLiteral("DELETE FROM messages WHERE id = ?"), &error))
        return fail(error);
    for (qint64 id : std::as_const(removedIds)) {
        remove.addBindValue(id);
        if (!exec(remove, &error))
            return fail(error);
    }
    if (includingItself) {
        // The chosen version went: the newest one left is shown (if it was another, no change).
        QSqlQuery choose(m_db);
        if (!prepare(choose,
                     QStringLiteral("UPDATE messages SET chosen = 1 WHERE id = (SELECT max(id) "
                                    "FROM messages WHERE conversation_id = ? AND parent_id = ?) "
                                    "AND NOT EXISTS (SELECT 1 FROM messages WHERE "
                                    "conversation_id = ? AND parent_id = ? AND chosen = 1)"),
                     &error))
            return fail(error);
        choose.addBindValue(conversationId);
        choose.addBindValue(parentId);
        choose.addBindValue(conversationId);
        choose.addBindValue(parentId);
        if (!exec(choose, &error) || !HistorySchema::updateShownPath(m_db, conversationId, &error))
            return fail(error);
    }
    if (!touchConversation(conversationId))
        return false;
    if (!transaction.commit(&error))
        return fail(error);
    for (qint64 id : std::as_const(removedIds))
        m_streams.removeStream(id);
    emit conversationsChanged();
    return true;
}

qint64 ConversationStore::showVersion(qint64 messageId, int step)
{
    if (!requireOpen())
        return 0;
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    qint64 conversationId = 0;
    qint64 parentId = 0;
    if (!transaction.begin(&error) || !placeOf(messageId, &conversationId, &parentId, &error))
        return fail(error);
    QSqlQuery versions(m_db);
    versions.setForwardOnly(true);
    if (!prepare(versions,
                 QStringLiteral("SELECT id FROM messages WHERE conversation_id = ? AND "
                                "parent_id = ? ORDER BY id"),
                 &error))
        return fail(error);
    versions.addBindValue(conversationId);
    versions.addBindValue(parentId);
    if (!exec(versions, &error))
        return fail(error);
    QList<qint64> ids;
    while (versions.next())
        ids.append(versions.value(0).toLongLong());
    versions.finish();
    const qsizetype target = ids.indexOf(messageId) + step;
    if (target < 0 || target >= ids.size())
        return fail(Tr::tr("This message has no version %1; it has %2.")
                        .arg(ids.indexOf(messageId) + step + 1)
                        .arg(ids.size()));
    QSqlQuery choose(m_db);
    if (!prepare(choose,
                 QStringLiteral("UPDATE messages SET chosen = (id = ?) WHERE conversation_id = ? "
                                "AND parent_id = ?"),
                 &error))
        return fail(error);
    choose.addBindValue(ids.at(target));
    choose.addBindValue(conversationId);
    choose.addBindValue(parentId);
    if (!exec(choose, &error) || !HistorySchema::updateShownPath(m_db, conversationId, &error) ||
        !transaction.commit(&error))
        return fail(error);
    return ids.at(target);
}

QList<SearchHit> ConversationStore::search(const QString &userText, int maxConversations) const
{
    QList<SearchHit> hits;
    if (!requireOpen())
        return hits;
    const QString match = matchExpression(userText);
    if (match.isEmpty() || maxConversations <= 0)
        return hits;
    QSqlQuery query(m_db);
    query.setForwardOnly(true);
    QString error;
    if (!prepare(query,
                 QStringLiteral("SELECT m.conversation_id, m.id, c.title, "
                                "snippet(message_search, 0, ?, ?, ?, 16), rank "
                                "FROM message_search "
                                "JOIN messages m ON m.id = message_search.rowid "
                                "JOIN conversations c ON c.id = m.conversation_id "
                                "WHERE message_search MATCH ? ORDER BY rank, m.id DESC"),
                 &error)) {
        fail(error);
        return hits;
    }
    query.addBindValue(QString(SearchHit::kSnippetMatchBegin));
    query.addBindValue(QString(SearchHit::kSnippetMatchEnd));
    query.addBindValue(QStringLiteral("…"));
    query.addBindValue(match);
    if (!exec(query, &error)) {
        fail(error);
        return hits;
    }
    QSet<qint64> seen;
    while (hits.size() < maxConversations && query.next()) {
        const qint64 conversationId = query.value(0).toLongLong();
        if (seen.contains(conversationId))
            continue; // rows come best first, so the first one per conversation is its best
        seen.insert(conversationId);
        SearchHit hit;
        hit.conversationId = conversationId;
        hit.messageId = query.value(1).toLongLong();
        hit.conversationTitle = query.value(2).toString();
        hit.snippet = query.value(3).toString();
        hit.score = -query.value(4).toDouble(); // bm25: lower is better
        hits.append(hit);
    }
    return hits;
}

qint64 ConversationStore::beginAssistantMessage(qint64 conversationId, const QString &model,
                                                const QString &connection)
{
    return beginTurn({conversationId, nullptr, std::nullopt, model, connection}, nullptr);
}

qint64 ConversationStore::beginTurn(qint64 conversationId, const StoredMessage &question,
                                    const QString &model, qint64 *questionId,
                                    const QString &connection)
{
    if (question.role != MessageRole::User || question.status == MessageStatus::Streaming)
        return fail(QStringLiteral("A turn begins with a finished user message."));
    return beginTurn({conversationId, &question, std::nullopt, model, connection}, questionId);
}

qint64 ConversationStore::beginAnswerVersion(qint64 questionId, const QString &model,
                                             const QString &connection)
{
    // Only the answer's place is needed; beginTurn reads it again under its write lock.
    return beginTurn({0, nullptr, questionId, model, connection}, nullptr);
}

qint64 ConversationStore::beginQuestionVersion(qint64 edited, const StoredMessage &question,
                                               const QString &model, qint64 *questionId,
                                               const QString &connection)
{
    if (question.role != MessageRole::User || question.status == MessageStatus::Streaming)
        return fail(QStringLiteral("A turn begins with a finished user message."));
    return beginTurn({0, &question, edited, model, connection}, questionId);
}

qint64 ConversationStore::beginTurn(const TurnStart &turn, qint64 *questionId)
{
    if (!requireOpen())
        return 0;
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    if (!transaction.begin(&error))
        return fail(error);
    qint64 conversationId = turn.conversationId;
    std::optional<qint64> parent;
    if (turn.parent) {
        // A version: of the answers to *turn.parent, or of the question *turn.parent.
        qint64 parentOfEdited = 0;
        if (!placeOf(*turn.parent, &conversationId, &parentOfEdited, &error))
            return fail(error);
        parent = turn.question ? parentOfEdited : *turn.parent;
    }
    qint64 asked = 0;
    if (turn.question && !(asked = insertMessage(conversationId, *turn.question, parent, &error)))
        return fail(error);
    StoredMessage answer;
    answer.role = MessageRole::Assistant;
    answer.status = MessageStatus::Streaming;
    answer.model = turn.model;
    answer.connection = turn.connection;
    const std::optional<qint64> answerParent =
        asked && parent ? std::optional<qint64>(asked) : parent;
    const qint64 id = insertMessage(conversationId, answer, answerParent, &error);
    if (!id)
        return fail(error);
    if (parent && !HistorySchema::updateShownPath(m_db, conversationId, &error))
        return fail(error);
    if (!touchConversation(conversationId))
        return 0;
    if (!transaction.commit(&error))
        return fail(error);
    m_streams.addStream(id, conversationId);
    if (questionId)
        *questionId = asked;
    emit conversationsChanged();
    return id;
}

bool ConversationStore::appendBlockStart(qint64 messageId, int blockIndex, const StoredBlock &start)
{
    QString error;
    if (!m_streams.startBlock(messageId, blockIndex, start, &error))
        return fail(error);
    scheduleFlush();
    return true;
}

bool ConversationStore::appendText(qint64 messageId, int blockIndex, QStringView delta)
{
    QString error;
    if (!m_streams.appendText(messageId, blockIndex, delta, &error))
        return fail(error);
    scheduleFlush();
    return true;
}

bool ConversationStore::setSignature(qint64 messageId, int blockIndex, const QString &signature)
{
    QString error;
    if (!m_streams.setSignature(messageId, blockIndex, signature, &error))
        return fail(error);
    scheduleFlush();
    return true;
}

bool ConversationStore::setToolInput(qint64 messageId, int blockIndex, const QByteArray &json)
{
    QString error;
    if (!m_streams.setJson(messageId, blockIndex, json, &error))
        return fail(error);
    scheduleFlush();
    return true;
}

bool ConversationStore::setUsage(qint64 messageId, const StoredUsage &usage)
{
    QString error;
    if (!m_streams.setUsage(messageId, usage, &error))
        return fail(error);
    scheduleFlush();
    return true;
}

bool ConversationStore::finishMessage(qint64 messageId, MessageStatus status,
                                      const QString &stopReason, const QString &errorText)
{
    if (!requireOpen())
        return false;
    if (!isStreaming(messageId))
        return fail(QStringLiteral("Message %1 is not being streamed.").arg(messageId));
    if (status == MessageStatus::Streaming)
        return fail(QStringLiteral("A message cannot finish with the status streaming."));
    if (!flushPendingWrites())
        return false;
    QString error;
    HistorySql::WriteTransaction transaction(m_db);
    QSqlQuery update(m_db);
    if (!transaction.begin(&error) || !HistorySql::compactMessageText(m_db, messageId, &error) ||
        !prepare(update,
                 QStringLiteral("UPDATE messages SET status = ?, stop_reason = ?, error_text = ? "
                                "WHERE id = ?"),
                 &error))
        return fail(error);
    update.addBindValue(messageStatusName(status));
    update.addBindValue(HistorySql::text(stopReason));
    update.addBindValue(HistorySql::text(errorText));
    update.addBindValue(messageId);
    if (!exec(update, &error))
        return fail(error);
    if (update.numRowsAffected() != 1)
        return fail(Tr::tr("Message %1 does not exist.").arg(messageId));
    const qint64 conversationId = m_streams.conversationOf(messageId);
    if (!HistorySql::reindexMessage(m_db, messageId, &error))
        return fail(error);
    if (!touchConversation(conversationId))
        return false;
    if (!transaction.commit(&error))
        return fail(error);
    m_streams.removeStream(messageId);
    emit conversationsChanged();
    return true;
}

bool ConversationStore::flushPendingWrites()
{
    if (!m_streams.hasPendingWrites())
        return true;
    if (!requireOpen())
        return false;
    QString error;
    if (!m_streams.flush(m_db, &error))
        return fail(Tr::tr("Saving the answer being received failed; it is kept in memory "
                           "and saved again shortly. %1")
                        .arg(error));
    m_flushTimer.stop();
    emit pendingWritesCommitted();
    return true;
}

void ConversationStore::setFlushInterval(int milliseconds)
{
    m_flushTimer.setInterval(qMax(0, milliseconds));
}

void ConversationStore::scheduleFlush()
{
    // Not restarted by later deltas: a steady stream still commits every interval.
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void ConversationStore::onFlushTimer()
{
    if (flushPendingWrites())
        return;
    emit writeFailed(m_error);
    m_flushTimer.start();
}

} // namespace qlaude
