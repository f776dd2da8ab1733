#include "ConversationStore.h"
#include "HistorySchema.h"

#include <QtTest>

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cstdio>
#include <tuple>

using namespace qlaude;

namespace qlaude {
// Lets QCOMPARE print both sides of a differing block.
char *toString(const StoredBlock &block)
{
    const QString text =
        QStringLiteral("StoredBlock(%1, text=\"%2\", signature=\"%3\", tool=%4/%5, json=%6, "
                       "isError=%7)")
            .arg(blockTypeName(block.type), block.text.left(80), block.signature, block.toolId,
                 block.toolName, QString::fromUtf8(block.json))
            .arg(block.isError);
    return qstrdup(text.toUtf8().constData());
}

char *toString(const StoredUsage &usage)
{
    return qstrdup(QByteArray("StoredUsage(in=" + QByteArray::number(usage.inputTokens) +
                              ", out=" + QByteArray::number(usage.outputTokens) + ", cacheRead=" +
                              QByteArray::number(usage.cacheReadInputTokens) + ", cacheCreation=" +
                              QByteArray::number(usage.cacheCreationInputTokens) + ")")
                       .constData());
}
} // namespace qlaude

namespace {

// The crash test re-runs this binary with this variable set to a database path; main() then
// becomes a writer that streams until it is killed.
const char kCrashWriterVariable[] = "QLAUDE_STORE_CRASH_WRITER_DB";

const QString kThinkingBeforeCrash = QStringLiteral("Let me think about this first.");

// The crash writer's n-th text delta: 20 characters, each with a searchable, unique word.
QString crashDelta(int n)
{
    return QStringLiteral("w%1 lorem ipsum, ").arg(n, 6, 10, QLatin1Char('0'));
}

// What the crash writer streams, up to at least `length` characters.
QString crashStreamPrefix(qsizetype length)
{
    QString text;
    for (int n = 0; text.size() < length; ++n)
        text += crashDelta(n);
    return text.left(length);
}

StoredBlock textBlock(const QString &text)
{
    StoredBlock block;
    block.type = BlockType::Text;
    block.text = text;
    return block;
}

StoredMessage textMessage(MessageRole role, const QString &text)
{
    StoredMessage message;
    message.role = role;
    message.blocks = {textBlock(text)};
    if (role == MessageRole::Assistant) {
        message.model = QStringLiteral("claude-test-1");
        message.stopReason = QStringLiteral("end_turn");
    }
    return message;
}

// The conversation the crash writer stores before it starts streaming.
QList<StoredMessage> crashEarlierMessages()
{
    StoredMessage answer = textMessage(MessageRole::Assistant, QStringLiteral("First answer."));
    StoredBlock thinking;
    thinking.type = BlockType::Thinking;
    thinking.text = QStringLiteral("Earlier reasoning.");
    thinking.signature = QStringLiteral("sig-earlier");
    answer.blocks.prepend(thinking);
    answer.usage = {12, 34, 5, 6};
    return {textMessage(MessageRole::User, QStringLiteral("First question?")), answer,
            textMessage(MessageRole::User, QStringLiteral("Second question, please stream."))};
}

void printLine(const QByteArray &line)
{
    std::fputs(line.constData(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

// Child mode of crashDuringStreamingKeepsEveryCommittedDelta: stores a conversation, then
// streams deltas every millisecond, printing "flushed <chars>" after each commit, until killed.
int runCrashWriter(int argc, char *argv[], const QString &path)
{
    QCoreApplication app(argc, argv);
    ConversationStore store(path);
    if (!store.open()) {
        std::fprintf(stderr, "%s\n", qPrintable(store.errorString()));
        return 2;
    }
    StoredConversation settings;
    settings.title = QStringLiteral("Crash test");
    const qint64 conversationId = store.createConversation(settings);
    for (const StoredMessage &message : crashEarlierMessages())
        store.addMessage(conversationId, message);
    const qint64 messageId =
        store.beginAssistantMessage(conversationId, QStringLiteral("claude-test-1"));
    StoredBlock thinking;
    thinking.type = BlockType::Thinking;
    StoredBlock text;
    if (!messageId || !store.appendBlockStart(messageId, 0, thinking) ||
        !store.appendText(messageId, 0, kThinkingBeforeCrash) ||
        !store.setSignature(messageId, 0, QStringLiteral("sig-crash")) ||
        !store.appendBlockStart(messageId, 1, text)) {
        std::fprintf(stderr, "%s\n", qPrintable(store.errorString()));
        return 3;
    }
    qint64 appended = 0;
    QObject::connect(&store, &ConversationStore::pendingWritesCommitted, &store,
                     [&appended] { printLine("flushed " + QByteArray::number(appended)); });
    int next = 0;
    QTimer pump;
    QObject::connect(&pump, &QTimer::timeout, &store, [&] {
        for (int i = 0; i < 3; ++i) {
            const QString delta = crashDelta(next++);
            store.appendText(messageId, 1, delta);
            appended += delta.size();
        }
    });
    pump.start(1);
    printLine("streaming " + QByteArray::number(messageId));
    return app.exec();
}

// A plain connection to a history file, next to (or instead of) the store's own.
class RawDatabase
{
public:
    explicit RawDatabase(const QString &path) : m_name(QStringLiteral("raw-%1").arg(++s_count))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        if (!db.open())
            qWarning("cannot open %s: %s", qPrintable(path), qPrintable(db.lastError().text()));
    }
    ~RawDatabase()
    {
        database().close();
        QSqlDatabase::removeDatabase(m_name);
    }
    Q_DISABLE_COPY(RawDatabase)

    QSqlDatabase database() const { return QSqlDatabase::database(m_name, false); }

    bool exec(const QString &sql, const QVariantList &values = {}) const
    {
        QSqlQuery query(database());
        if (!query.prepare(sql)) {
            qWarning("prepare failed: %s: %s", qPrintable(sql),
                     qPrintable(query.lastError().text()));
            return false;
        }
        for (const QVariant &value : values)
            query.addBindValue(value);
        if (!query.exec()) {
            qWarning("exec failed: %s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
            return false;
        }
        return true;
    }

    QVariant scalar(const QString &sql, const QVariantList &values = {}) const
    {
        return scalar(database(), sql, values);
    }

    static QVariant scalar(const QSqlDatabase &db, const QString &sql,
                           const QVariantList &values = {})
    {
        QSqlQuery query(db);
        query.prepare(sql);
        for (const QVariant &value : values)
            query.addBindValue(value);
        if (!query.exec() || !query.next()) {
            qWarning("scalar query failed: %s: %s", qPrintable(sql),
                     qPrintable(query.lastError().text()));
            return {};
        }
        return query.value(0);
    }

private:
    static inline int s_count = 0;
    QString m_name;
};

QByteArray fileBytes(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QStringList conversationTitles(const ConversationStore &store)
{
    QStringList titles;
    for (const StoredConversation &conversation : store.conversations())
        titles.append(conversation.title);
    return titles;
}

QList<qint64> hitConversations(const QList<SearchHit> &hits)
{
    QList<qint64> ids;
    for (const SearchHit &hit : hits)
        ids.append(hit.conversationId);
    return ids;
}

// Schema version 1 exactly as the first release created it, for the migration test.
const char *const kVersion1Schema[] = {
    R"(CREATE TABLE conversations (
        id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        model TEXT NOT NULL DEFAULT '', system_prompt TEXT NOT NULL DEFAULT '',
        max_tokens INTEGER NOT NULL DEFAULT 0, settings_json TEXT NOT NULL DEFAULT ''))",
    R"(CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        status TEXT NOT NULL
            CHECK (status IN ('complete', 'streaming', 'stopped', 'interrupted', 'error')),
        error_text TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '',
        stop_reason TEXT NOT NULL DEFAULT '', input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,
        UNIQUE (conversation_id, position)))",
    "CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming'",
    R"(CREATE TABLE content_blocks (
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        block_index INTEGER NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('text', 'thinking', 'redacted_thinking',
                                           'tool_use', 'tool_result', 'other')),
        text TEXT NOT NULL DEFAULT '', signature TEXT NOT NULL DEFAULT '',
        tool_id TEXT NOT NULL DEFAULT '', tool_name TEXT NOT NULL DEFAULT '',
        json TEXT NOT NULL DEFAULT '', is_error INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (message_id, block_index)))",
    R"(CREATE TABLE block_chunks (
        message_id INTEGER NOT NULL, block_index INTEGER NOT NULL, seq INTEGER NOT NULL,
        text TEXT NOT NULL, PRIMARY KEY (message_id, block_index, seq),
        FOREIGN KEY (message_id, block_index)
            REFERENCES content_blocks(message_id, block_index) ON DELETE CASCADE))",
};

// What version 2 and 3 added, exactly as they were, for the version 3 migration test.
const char *const kVersion2And3Schema[] = {
    "ALTER TABLE messages ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE messages ADD COLUMN cache_creation_tokens INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE conversations ADD COLUMN thinking_budget INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX conversations_by_recency ON conversations(updated_at DESC, id DESC)",
    R"(CREATE VIRTUAL TABLE message_search
        USING fts5(body, tokenize = 'unicode61 remove_diacritics 2'))",
    R"(CREATE TRIGGER message_search_forget AFTER DELETE ON messages BEGIN
        DELETE FROM message_search WHERE rowid = old.id;
    END)",
    "ALTER TABLE messages ADD COLUMN writer TEXT NOT NULL DEFAULT ''",
};

QStringList texts(const QList<StoredMessage> &messages)
{
    QStringList result;
    for (const StoredMessage &message : messages)
        result.append(message.plainText());
    return result;
}

// "version/count" of each message.
QStringList versions(const QList<StoredMessage> &messages)
{
    QStringList result;
    for (const StoredMessage &message : messages)
        result.append(QStringLiteral("%1/%2").arg(message.version).arg(message.versionCount));
    return result;
}

} // namespace

class TestConversationStore : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void defaultPathIsInQlaudesDataFolder();
    void createsNewDatabaseAtCurrentVersion();
    void enablesWalForeignKeysAndNormalSync();
    void usesOwnConnectionPerInstance();
    void refusesFileThatIsNotADatabaseAndLeavesItUnchanged();
    void refusesForeignSqliteDatabaseAndLeavesItUnchanged();
    void refusesDatabaseFromNewerVersionWithoutChangingIt();
    void reportsFolderThatCannotBeCreated();
    void failsClearlyWhenNotOpen();
    void migratesVersion1DatabaseKeepingData();
    void migratesVersion3HistoryToSingleVersions();

    void createsRenamesAndUpdatesConversations();
    void listsConversationsMostRecentlyUpdatedFirst();
    void roundTripsEveryBlockType();
    void keepsMessagesInInsertionOrder();
    void rejectsMessageForMissingConversation();
    void deletingConversationCascadesToMessagesBlocksAndSearch();
    void deleteMessagesAfterTruncatesForRegenerate();
    void editAndResendReplacesBlocksAndDropsLaterMessages();
    void keepsAnswerAndQuestionVersions();
    void roundTripsTheAnsweringConnection();

    void searchRanksConversationsAndMarksMatches();
    void searchMatchesPrefixesAndIgnoresDiacritics();
    void searchTreatsQuotesAndOperatorsAsText_data();
    void searchTreatsQuotesAndOperatorsAsText();
    void searchWithoutMatchesReturnsNothing();

    void streamsEveryBlockTypeAndRoundTrips();
    void batchesDeltasIntoOneChunkRowPerFlush();
    void keepsFlushingWhileDeltasKeepComing();
    void indexesStreamedTextOnlyWhenFinished();
    void readingMidStreamShowsEverythingAppended();
    void rejectsInvalidStreamingCalls();
    void closingMidStreamKeepsPartialAnswerAsInterrupted();
    void openingRecoversMessagesLeftStreaming();
    void crashDuringStreamingKeepsEveryCommittedDelta();
    void openingLeavesALiveWritersAnswerAlone();
    void hundredKillsAtRandomPointsLoseNothing();

private:
    QString path(const QString &name = QStringLiteral("history.sqlite")) const
    {
        return m_dir->filePath(name);
    }
    // Opens the store or fails the test with its error.
    static bool openOrWarn(ConversationStore &store)
    {
        if (store.open())
            return true;
        qWarning("open failed: %s", qPrintable(store.errorString()));
        return false;
    }
    qint64 newConversation(ConversationStore &store, const QString &title)
    {
        StoredConversation conversation;
        conversation.title = title;
        return store.createConversation(conversation);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestConversationStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestConversationStore::cleanup()
{
    m_dir.reset();
}

void TestConversationStore::defaultPathIsInQlaudesDataFolder()
{
    // ~/.local/share/qlaude/history.sqlite whatever the application and organization names
    // are (AppDataLocation would follow them and lose the history).
    const QString expected = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
                             QStringLiteral("/qlaude/history.sqlite");
    QCOMPARE(ConversationStore::defaultPath(), expected);
    // main() points HOME at a temporary folder, so this never touches a real history.
    QVERIFY2(expected.startsWith(QDir::homePath()), qPrintable(expected));
    {
        ConversationStore store;
        QCOMPARE(store.databasePath(), expected);
        QVERIFY(openOrWarn(store));
        QVERIFY(QFile::exists(expected));
    }
    QVERIFY(QFile::remove(expected));
}

void TestConversationStore::createsNewDatabaseAtCurrentVersion()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    QVERIFY(store.isOpen());
    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("PRAGMA user_version")).toInt(),
             HistorySchema::kCurrentVersion);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE name IN "
                                       "('conversations', 'messages', 'content_blocks', "
                                       "'block_chunks', 'message_search')"))
                 .toInt(),
             5);
}

void TestConversationStore::enablesWalForeignKeysAndNormalSync()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const QSqlDatabase own = QSqlDatabase::database(store.connectionName(), false);
    QVERIFY(own.isOpen());
    QCOMPARE(RawDatabase::scalar(own, QStringLiteral("PRAGMA journal_mode")).toString(),
             QStringLiteral("wal"));
    QCOMPARE(RawDatabase::scalar(own, QStringLiteral("PRAGMA foreign_keys")).toInt(), 1);
    QCOMPARE(RawDatabase::scalar(own, QStringLiteral("PRAGMA synchronous")).toInt(), 1); // NORMAL
    // WAL is a property of the file: every other connection sees it too.
    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
}

void TestConversationStore::usesOwnConnectionPerInstance()
{
    ConversationStore first(path());
    ConversationStore second(path());
    QVERIFY(openOrWarn(first));
    QVERIFY(openOrWarn(second));
    QVERIFY(first.connectionName() != second.connectionName());
    const qint64 id = newConversation(first, QStringLiteral("Shared"));
    QVERIFY(id > 0);
    const std::optional<StoredConversation> seen = second.conversation(id);
    QVERIFY(seen.has_value());
    QCOMPARE(seen->title, QStringLiteral("Shared"));
}

void TestConversationStore::refusesFileThatIsNotADatabaseAndLeavesItUnchanged()
{
    const QString notes = path(QStringLiteral("notes.sqlite"));
    QByteArray content;
    for (int i = 0; i < 50; ++i)
        content += "Dear diary, today I kept my notes where the history should be.\n";
    {
        QFile file(notes);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
    }
    const QDateTime modified = QFileInfo(notes).lastModified();
    {
        ConversationStore store(notes);
        QVERIFY(!store.open());
        QVERIFY(!store.isOpen());
        QVERIFY2(store.errorString().contains(notes), qPrintable(store.errorString()));
        QVERIFY2(store.errorString().contains(QStringLiteral("not an SQLite database")),
                 qPrintable(store.errorString()));
        QVERIFY2(store.errorString().contains(QStringLiteral("Move it aside")),
                 qPrintable(store.errorString()));
    }
    QCOMPARE(fileBytes(notes), content);
    QCOMPARE(QFileInfo(notes).lastModified(), modified);
    QVERIFY(!QFile::exists(notes + QStringLiteral("-wal")));
    QVERIFY(!QFile::exists(notes + QStringLiteral("-journal")));
}

void TestConversationStore::refusesForeignSqliteDatabaseAndLeavesItUnchanged()
{
    {
        RawDatabase raw(path());
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE recipes (name TEXT)")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO recipes VALUES ('soup')")));
    }
    const QByteArray before = fileBytes(path());
    {
        ConversationStore store(path());
        QVERIFY(!store.open());
        QVERIFY2(store.errorString().contains(QStringLiteral("not a Qlaude chat history")),
                 qPrintable(store.errorString()));
    }
    QCOMPARE(fileBytes(path()), before);
}

void TestConversationStore::refusesDatabaseFromNewerVersionWithoutChangingIt()
{
    {
        RawDatabase raw(path());
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE conversations (id INTEGER PRIMARY KEY, "
                                        "hologram BLOB)")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO conversations VALUES (1, x'00ff')")));
        QVERIFY(raw.exec(QStringLiteral("PRAGMA user_version = 7")));
    }
    const QByteArray before = fileBytes(path());
    QVERIFY(!before.isEmpty());
    {
        ConversationStore store(path());
        QVERIFY(!store.open());
        const QString error = store.errorString();
        QVERIFY2(error.contains(QStringLiteral("newer version of Qlaude")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("format 7")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("Update Qlaude")), qPrintable(error));
        QVERIFY(store.conversations().isEmpty());
    }
    QCOMPARE(fileBytes(path()), before);
    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("PRAGMA user_version")).toInt(), 7);
    QCOMPARE(raw.scalar(QStringLiteral("PRAGMA journal_mode")).toString(),
             QStringLiteral("delete"));
}

void TestConversationStore::reportsFolderThatCannotBeCreated()
{
    const QString blocker = path(QStringLiteral("plain-file"));
    {
        QFile file(blocker);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("x");
    }
    ConversationStore store(blocker + QStringLiteral("/sub/history.sqlite"));
    QVERIFY(!store.open());
    QVERIFY2(store.errorString().startsWith(QStringLiteral("Cannot create the folder")),
             qPrintable(store.errorString()));
    QCOMPARE(fileBytes(blocker), QByteArray("x"));
}

void TestConversationStore::failsClearlyWhenNotOpen()
{
    ConversationStore store(path());
    QCOMPARE(newConversation(store, QStringLiteral("x")), 0);
    QCOMPARE(store.errorString(), QStringLiteral("The chat history is not open."));
    QVERIFY(!QFile::exists(path()));
}

void TestConversationStore::migratesVersion1DatabaseKeepingData()
{
    const qint64 created = 1700000000000;
    {
        RawDatabase raw(path());
        for (const char *statement : kVersion1Schema)
            QVERIFY(raw.exec(QString::fromUtf8(statement)));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO conversations VALUES (1, 'Old chat', ?, ?, "
                                        "'claude-old', 'Be brief.', 2048, '{\"temperature\":1}')"),
                         {created, created + 10}));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO conversations VALUES (2, 'Older chat', ?, ?, "
                                        "'', '', 0, '')"),
                         {created - 50, created - 5}));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO messages (id, conversation_id, position, "
                                        "role, status, created_at) VALUES "
                                        "(1, 1, 0, 'user', 'complete', ?)"),
                         {created}));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO messages VALUES (2, 1, 1, 'assistant', "
                                        "'complete', '', 'claude-old', 'end_turn', 40, 60, ?)"),
                         {created + 1}));
        // A version 1 app that crashed mid-answer.
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO messages VALUES (3, 2, 0, 'assistant', "
                                        "'streaming', '', 'claude-old', '', 0, 0, ?)"),
                         {created - 40}));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO content_blocks (message_id, block_index, "
                                        "type, text) VALUES (1, 0, 'text', 'Tell me about "
                                        "platypus eggs')")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO content_blocks (message_id, block_index, "
                                        "type, text, signature) VALUES (2, 0, 'thinking', "
                                        "'Monotremes...', 'sig-v1')")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO content_blocks (message_id, block_index, "
                                        "type, tool_id, tool_name, json) VALUES (2, 1, "
                                        "'tool_use', 'toolu_1', 'lookup', '{\"q\":\"eggs\"}')")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO content_blocks (message_id, block_index, "
                                        "type, text) VALUES (2, 2, 'text', 'Platypuses lay "
                                        "leathery eggs.')")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO content_blocks (message_id, block_index, "
                                        "type, text) VALUES (3, 0, 'text', 'Echidnas ')")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO block_chunks VALUES (3, 0, 0, 'also '), "
                                        "(3, 0, 1, 'lay eggs')")));
        QVERIFY(raw.exec(QStringLiteral("PRAGMA user_version = 1")));
    }

    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    {
        RawDatabase raw(path());
        QCOMPARE(raw.scalar(QStringLiteral("PRAGMA user_version")).toInt(),
                 HistorySchema::kCurrentVersion);
    }

    QCOMPARE(conversationTitles(store),
             (QStringList{QStringLiteral("Old chat"), QStringLiteral("Older chat")}));
    const StoredConversation old = *store.conversation(1);
    QCOMPARE(old.createdAt.toMSecsSinceEpoch(), created);
    QCOMPARE(old.updatedAt.toMSecsSinceEpoch(), created + 10);
    QCOMPARE(old.model, QStringLiteral("claude-old"));
    QCOMPARE(old.systemPrompt, QStringLiteral("Be brief."));
    QCOMPARE(old.maxTokens, 2048);
    QCOMPARE(old.settingsJson, QByteArray("{\"temperature\":1}"));
    QCOMPARE(old.thinkingBudget, 0);

    const QList<StoredMessage> messages = store.messages(1);
    QCOMPARE(messages.size(), 2);
    QCOMPARE(versions(messages), (QStringList{QStringLiteral("1/1"), QStringLiteral("1/1")}));
    QCOMPARE(messages[0].plainText(), QStringLiteral("Tell me about platypus eggs"));
    QCOMPARE(messages[0].createdAt.toMSecsSinceEpoch(), created);
    const StoredMessage &answer = messages[1];
    QCOMPARE(messageRoleName(answer.role), QStringLiteral("assistant"));
    QCOMPARE(answer.stopReason, QStringLiteral("end_turn"));
    QCOMPARE(answer.usage, (StoredUsage{40, 60, 0, 0}));
    QCOMPARE(answer.blocks.size(), 3);
    QCOMPARE(answer.blocks[0].signature, QStringLiteral("sig-v1"));
    QCOMPARE(answer.blocks[1].json, QByteArray("{\"q\":\"eggs\"}"));
    QCOMPARE(answer.blocks[2].text, QStringLiteral("Platypuses lay leathery eggs."));

    // The answer version 1 left streaming is recovered as interrupted, chunks folded in.
    const StoredMessage cutOff = store.messages(2).value(0);
    QCOMPARE(messageStatusName(cutOff.status), QStringLiteral("interrupted"));
    QCOMPARE(cutOff.plainText(), QStringLiteral("Echidnas also lay eggs"));

    // Version 2 features on version 1 data: search (back-filled), cache tokens, thinking budget.
    QCOMPARE(hitConversations(store.search(QStringLiteral("platypus"))), (QList<qint64>{1}));
    QCOMPARE(hitConversations(store.search(QStringLiteral("eggs"))).size(), 2);
    const qint64 streamed = store.beginAssistantMessage(1, QStringLiteral("claude-new"));
    QVERIFY(streamed > 0);
    QVERIFY(store.setUsage(streamed, {1, 2, 300, 400}));
    QVERIFY(store.finishMessage(streamed, MessageStatus::Complete, QStringLiteral("end_turn")));
    QCOMPARE(store.message(streamed)->usage, (StoredUsage{1, 2, 300, 400}));
    StoredConversation changed = old;
    changed.thinkingBudget = 8000;
    QVERIFY(store.updateConversation(changed));
    QCOMPARE(store.conversation(1)->thinkingBudget, 8000);
    QVERIFY(store.deleteConversation(1));
    QCOMPARE(hitConversations(store.search(QStringLiteral("platypus"))), QList<qint64>());
}

void TestConversationStore::migratesVersion3HistoryToSingleVersions()
{
    const qint64 created = 1750000000000;
    {
        RawDatabase raw(path());
        for (const char *statement : kVersion1Schema)
            QVERIFY(raw.exec(QString::fromUtf8(statement)));
        for (const char *statement : kVersion2And3Schema)
            QVERIFY(raw.exec(QString::fromUtf8(statement)));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO conversations (id, title, created_at, "
                                        "updated_at) VALUES (1, 'Birds', ?, ?), "
                                        "(2, 'Fish', ?, ?)"),
                         {created, created + 9, created, created + 5}));
        // Two conversations written turn by turn, so their ids interleave.
        const QList<std::tuple<int, int, int, QString, QString, QString>> rows = {
            {1, 1, 0, "user", "complete", "Which bird cannot fly?"},
            {2, 2, 0, "user", "complete", "Which fish climbs trees?"},
            {3, 1, 1, "assistant", "complete", "The kiwi."},
            {4, 2, 1, "assistant", "complete", "The mudskipper, nearly."},
            {5, 1, 2, "user", "complete", "Why not?"},
            {6, 1, 3, "assistant", "stopped", "Its wings are"},
        };
        for (const auto &[id, conversation, position, role, status, text] : rows) {
            QVERIFY(raw.exec(QStringLiteral("INSERT INTO messages (id, conversation_id, "
                                            "position, role, status, created_at, writer) "
                                            "VALUES (?, ?, ?, ?, ?, ?, '')"),
                             {id, conversation, position, role, status, created + id}));
            QVERIFY(raw.exec(QStringLiteral("INSERT INTO content_blocks (message_id, "
                                            "block_index, type, text) VALUES (?, 0, 'text', ?)"),
                             {id, text}));
            QVERIFY(
                raw.exec(QStringLiteral("INSERT INTO message_search(rowid, body) VALUES (?, ?)"),
                         {id, text}));
        }
        QVERIFY(raw.exec(QStringLiteral("PRAGMA user_version = 3")));
    }

    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    {
        RawDatabase raw(path());
        QCOMPARE(raw.scalar(QStringLiteral("PRAGMA user_version")).toInt(), 4);
        QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM messages WHERE connection IS "
                                           "NULL AND chosen = 1 AND shown = 1"))
                     .toInt(),
                 6);
    }
    // Every message is there, in order, as the single version of its turn.
    const QList<StoredMessage> birds = store.messages(1);
    QCOMPARE(texts(birds),
             (QStringList{QStringLiteral("Which bird cannot fly?"), QStringLiteral("The kiwi."),
                          QStringLiteral("Why not?"), QStringLiteral("Its wings are")}));
    QCOMPARE(versions(birds), QStringList(4, QStringLiteral("1/1")));
    QCOMPARE(
        (QList<qint64>{birds[0].parentId, birds[1].parentId, birds[2].parentId, birds[3].parentId}),
        (QList<qint64>{0, 1, 3, 5}));
    QCOMPARE(birds[3].status, MessageStatus::Stopped);
    QVERIFY(birds[1].connection.isNull());
    const QList<StoredMessage> fish = store.messages(2);
    QCOMPARE(texts(fish), (QStringList{QStringLiteral("Which fish climbs trees?"),
                                       QStringLiteral("The mudskipper, nearly.")}));
    QCOMPARE((QList<qint64>{fish[0].parentId, fish[1].parentId}), (QList<qint64>{0, 2}));
    QCOMPARE(hitConversations(store.search(QStringLiteral("kiwi"))), QList<qint64>{1});

    // Versions and new turns work on the migrated history.
    const qint64 again = store.beginAnswerVersion(5, QStringLiteral("claude-new"));
    QVERIFY2(again > 0, qPrintable(store.errorString()));
    QVERIFY(store.appendBlockStart(again, 0, textBlock(QStringLiteral("They are tiny."))));
    QVERIFY(store.finishMessage(again, MessageStatus::Complete, QStringLiteral("end_turn")));
    QCOMPARE(texts(store.messages(1)).constLast(), QStringLiteral("They are tiny."));
    QCOMPARE(versions(store.messages(1)).constLast(), QStringLiteral("2/2"));
    QVERIFY(store.addMessage(2, textMessage(MessageRole::User, QStringLiteral("Really?"))) > 0);
    QCOMPARE(store.messages(2).constLast().parentId, qint64(4));
    QCOMPARE(store.messages(2).constLast().position, 2);
}

void TestConversationStore::createsRenamesAndUpdatesConversations()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    QSignalSpy changed(&store, &ConversationStore::conversationsChanged);
    StoredConversation settings;
    settings.title = QStringLiteral("Plans");
    settings.model = QStringLiteral("claude-test-1");
    settings.systemPrompt = QStringLiteral("You are terse.");
    settings.maxTokens = 4096;
    settings.thinkingBudget = 2048;
    settings.settingsJson = QByteArray(R"({"tools":[{"name":"lookup"}]})");
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    const qint64 id = store.createConversation(settings);
    QVERIFY(id > 0);
    QCOMPARE(changed.count(), 1);

    StoredConversation loaded = *store.conversation(id);
    QCOMPARE(loaded.id, id);
    QCOMPARE(loaded.title, settings.title);
    QCOMPARE(loaded.model, settings.model);
    QCOMPARE(loaded.systemPrompt, settings.systemPrompt);
    QCOMPARE(loaded.maxTokens, 4096);
    QCOMPARE(loaded.thinkingBudget, 2048);
    QCOMPARE(loaded.settingsJson, settings.settingsJson);
    QVERIFY(loaded.createdAt >= before);
    QCOMPARE(loaded.createdAt.timeSpec(), Qt::UTC);

    QVERIFY(store.renameConversation(id, QStringLiteral("Holiday plans")));
    QCOMPARE(store.conversation(id)->title, QStringLiteral("Holiday plans"));
    QVERIFY(store.conversation(id)->updatedAt > loaded.updatedAt);

    loaded.title = QStringLiteral("Trip");
    loaded.model = QStringLiteral("claude-test-2");
    loaded.maxTokens = 1000;
    loaded.thinkingBudget = 0;
    QVERIFY(store.updateConversation(loaded));
    const StoredConversation updated = *store.conversation(id);
    QCOMPARE(updated.title, QStringLiteral("Trip"));
    QCOMPARE(updated.model, QStringLiteral("claude-test-2"));
    QCOMPARE(updated.maxTokens, 1000);
    QCOMPARE(updated.thinkingBudget, 0);
    QCOMPARE(changed.count(), 3);

    QVERIFY(!store.renameConversation(id + 100, QStringLiteral("ghost")));
    QVERIFY2(store.errorString().contains(QStringLiteral("does not exist")),
             qPrintable(store.errorString()));
    QVERIFY(!store.conversation(id + 100).has_value());
}

void TestConversationStore::listsConversationsMostRecentlyUpdatedFirst()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 a = newConversation(store, QStringLiteral("A"));
    const qint64 b = newConversation(store, QStringLiteral("B"));
    newConversation(store, QStringLiteral("C"));
    QCOMPARE(conversationTitles(store),
             (QStringList{QStringLiteral("C"), QStringLiteral("B"), QStringLiteral("A")}));

    QVERIFY(store.addMessage(a, textMessage(MessageRole::User, QStringLiteral("hi"))) > 0);
    QCOMPARE(conversationTitles(store),
             (QStringList{QStringLiteral("A"), QStringLiteral("C"), QStringLiteral("B")}));
    QVERIFY(store.renameConversation(b, QStringLiteral("B2")));
    QCOMPARE(conversationTitles(store),
             (QStringList{QStringLiteral("B2"), QStringLiteral("A"), QStringLiteral("C")}));
    const qint64 streamed = store.beginAssistantMessage(a, QStringLiteral("m"));
    QCOMPARE(conversationTitles(store).constFirst(), QStringLiteral("A"));
    QVERIFY(store.renameConversation(b, QStringLiteral("B3")));
    QVERIFY(store.finishMessage(streamed, MessageStatus::Stopped));
    QCOMPARE(conversationTitles(store).constFirst(), QStringLiteral("A"));

    const QList<StoredConversation> list = store.conversations();
    for (qsizetype i = 1; i < list.size(); ++i)
        QVERIFY(list[i - 1].updatedAt > list[i].updatedAt);
}

void TestConversationStore::roundTripsEveryBlockType()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 conversationId = newConversation(store, QStringLiteral("Blocks"));

    StoredMessage answer;
    answer.role = MessageRole::Assistant;
    answer.status = MessageStatus::Error;
    answer.errorText = QStringLiteral("overloaded_error: try again");
    answer.model = QStringLiteral("claude-test-1");
    answer.stopReason = QStringLiteral("tool_use");
    answer.usage = {1200, 345, 1000, 150};
    answer.createdAt = QDateTime::fromMSecsSinceEpoch(1712345678901, Qt::UTC);
    StoredBlock thinking;
    thinking.type = BlockType::Thinking;
    thinking.text = QStringLiteral("Step 1: ünïcödé and emoji 🦘\nStep 2: newline");
    thinking.signature = QStringLiteral("EqQBCkYIARgCIkBsig==");
    StoredBlock redacted;
    redacted.type = BlockType::RedactedThinking;
    redacted.signature = QStringLiteral("EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw==");
    StoredBlock text = textBlock(QStringLiteral("See the source."));
    text.json = QByteArray(R"([{"type":"char_location","cited_text":"x","start_char_index":0}])");
    StoredBlock toolUse;
    toolUse.type = BlockType::ToolUse;
    toolUse.toolId = QStringLiteral("toolu_01A");
    toolUse.toolName = QStringLiteral("get_weather");
    toolUse.json = QByteArray(R"({"location":"Zürich","units":["c","f"],"days":3})");
    StoredBlock other;
    other.type = BlockType::Other;
    other.json = QByteArray(R"({"type":"server_tool_use","id":"srvtoolu_1","input":{}})");
    answer.blocks = {thinking, redacted, text, toolUse, other};

    StoredMessage result;
    result.role = MessageRole::User;
    StoredBlock toolResult;
    toolResult.type = BlockType::ToolResult;
    toolResult.toolId = QStringLiteral("toolu_01A");
    toolResult.text = QStringLiteral("Service unavailable");
    toolResult.isError = true;
    StoredBlock structuredResult;
    structuredResult.type = BlockType::ToolResult;
    structuredResult.toolId = QStringLiteral("toolu_01B");
    structuredResult.json = QByteArray(R"([{"type":"text","text":"12 °C"}])");
    result.blocks = {toolResult, structuredResult};

    const qint64 answerId = store.addMessage(conversationId, answer);
    const qint64 resultId = store.addMessage(conversationId, result);
    QVERIFY(answerId > 0);
    QVERIFY(resultId > answerId);

    const QList<StoredMessage> loaded = store.messages(conversationId);
    QCOMPARE(loaded.size(), 2);
    const StoredMessage &a = loaded[0];
    QCOMPARE(a.id, answerId);
    QCOMPARE(a.conversationId, conversationId);
    QCOMPARE(messageRoleName(a.role), QStringLiteral("assistant"));
    QCOMPARE(messageStatusName(a.status), QStringLiteral("error"));
    QCOMPARE(a.errorText, answer.errorText);
    QCOMPARE(a.model, answer.model);
    QCOMPARE(a.stopReason, answer.stopReason);
    QCOMPARE(a.usage, answer.usage);
    QCOMPARE(a.createdAt, answer.createdAt);
    QCOMPARE(a.blocks, answer.blocks);
    QCOMPARE(loaded[1].blocks, result.blocks);
    QCOMPARE(messageRoleName(loaded[1].role), QStringLiteral("user"));
    QCOMPARE(messageStatusName(loaded[1].status), QStringLiteral("complete"));
    QVERIFY(loaded[1].createdAt.isValid());

    const std::optional<StoredMessage> single = store.message(answerId);
    QVERIFY(single.has_value());
    QCOMPARE(single->blocks, answer.blocks);
    QVERIFY(!store.message(resultId + 100).has_value());
}

void TestConversationStore::keepsMessagesInInsertionOrder()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 first = newConversation(store, QStringLiteral("one"));
    const qint64 second = newConversation(store, QStringLiteral("two"));
    // Interleaved across conversations, so ids alone would not give each one's order.
    for (int i = 0; i < 12; ++i) {
        const MessageRole role = i % 2 ? MessageRole::Assistant : MessageRole::User;
        QVERIFY(store.addMessage(i % 3 ? first : second,
                                 textMessage(role, QStringLiteral("m%1").arg(i))) > 0);
    }
    QStringList order;
    int expectedPosition = 0;
    for (const StoredMessage &message : store.messages(first)) {
        order.append(message.plainText());
        QCOMPARE(message.position, expectedPosition++);
    }
    QCOMPARE(order, (QStringList{QStringLiteral("m1"), QStringLiteral("m2"), QStringLiteral("m4"),
                                 QStringLiteral("m5"), QStringLiteral("m7"), QStringLiteral("m8"),
                                 QStringLiteral("m10"), QStringLiteral("m11")}));
    QCOMPARE(store.messages(second).size(), 4);
    QCOMPARE(store.messages(second).constLast().plainText(), QStringLiteral("m9"));
}

void TestConversationStore::rejectsMessageForMissingConversation()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    QCOMPARE(store.addMessage(4242, textMessage(MessageRole::User, QStringLiteral("orphan"))), 0);
    QVERIFY2(store.errorString().contains(QStringLiteral("FOREIGN KEY"), Qt::CaseInsensitive),
             qPrintable(store.errorString()));
    QCOMPARE(store.beginAssistantMessage(4242, QStringLiteral("m")), 0);
    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM messages")).toInt(), 0);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM content_blocks")).toInt(), 0);
}

void TestConversationStore::deletingConversationCascadesToMessagesBlocksAndSearch()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 doomed = newConversation(store, QStringLiteral("doomed"));
    const qint64 kept = newConversation(store, QStringLiteral("kept"));
    QVERIFY(store.addMessage(doomed, textMessage(MessageRole::User, QStringLiteral("wombat"))));
    QVERIFY(store.addMessage(kept, textMessage(MessageRole::User, QStringLiteral("wombat too"))));
    const qint64 streaming = store.beginAssistantMessage(doomed, QStringLiteral("m"));
    QVERIFY(store.appendBlockStart(streaming, 0, textBlock({})));
    QVERIFY(store.appendText(streaming, 0, u"half an ans"));
    QVERIFY(store.flushPendingWrites());
    QVERIFY(store.appendText(streaming, 0, u"wer"));

    QVERIFY(store.deleteConversation(doomed));
    QVERIFY(!store.isStreaming(streaming));
    QVERIFY(!store.appendText(streaming, 0, u"more"));
    QVERIFY(store.flushPendingWrites());

    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM messages WHERE conversation_id = ?"),
                        {doomed})
                 .toInt(),
             0);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM content_blocks b WHERE NOT EXISTS "
                                       "(SELECT 1 FROM messages m WHERE m.id = b.message_id)"))
                 .toInt(),
             0);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM block_chunks")).toInt(), 0);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM message_search")).toInt(), 1);
    QCOMPARE(hitConversations(store.search(QStringLiteral("wombat"))), (QList<qint64>{kept}));
    QCOMPARE(conversationTitles(store), QStringList{QStringLiteral("kept")});
    QCOMPARE(store.messages(kept).size(), 1);
    QVERIFY(!store.deleteConversation(doomed));
}

void TestConversationStore::deleteMessagesAfterTruncatesForRegenerate()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("regen"));
    const qint64 other = newConversation(store, QStringLiteral("other"));
    store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("question one")));
    store.addMessage(c, textMessage(MessageRole::Assistant, QStringLiteral("answer one")));
    const qint64 q2 =
        store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("question two")));
    store.addMessage(c, textMessage(MessageRole::Assistant, QStringLiteral("answer aardvark")));
    store.addMessage(other, textMessage(MessageRole::Assistant, QStringLiteral("untouched")));
    QVERIFY(q2 > 0);

    QVERIFY(store.deleteMessagesAfter(q2));
    QStringList texts;
    for (const StoredMessage &message : store.messages(c))
        texts.append(message.plainText());
    QCOMPARE(texts, (QStringList{QStringLiteral("question one"), QStringLiteral("answer one"),
                                 QStringLiteral("question two")}));
    QVERIFY(store.search(QStringLiteral("aardvark")).isEmpty());
    QCOMPARE(store.messages(other).size(), 1);

    const qint64 regenerated = store.beginAssistantMessage(c, QStringLiteral("m"));
    QVERIFY(store.appendBlockStart(regenerated, 0, textBlock({})));
    QVERIFY(store.appendText(regenerated, 0, u"a better answer"));
    QVERIFY(store.finishMessage(regenerated, MessageStatus::Complete, QStringLiteral("end_turn")));
    const QList<StoredMessage> after = store.messages(c);
    QCOMPARE(after.size(), 4);
    QCOMPARE(after.constLast().position, 3);
    QCOMPARE(after.constLast().plainText(), QStringLiteral("a better answer"));

    // Truncating after the message being streamed stops nothing; truncating it does.
    const qint64 live = store.beginAssistantMessage(c, QStringLiteral("m"));
    QVERIFY(store.deleteMessagesAfter(live));
    QVERIFY(store.isStreaming(live));
    QVERIFY(store.deleteMessagesAfter(q2));
    QVERIFY(!store.isStreaming(live));
    QCOMPARE(store.messages(c).size(), 3);
    QVERIFY(!store.deleteMessagesAfter(live));
}

void TestConversationStore::editAndResendReplacesBlocksAndDropsLaterMessages()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("edit"));
    store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("about lemurs")));
    const qint64 edited =
        store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("tell me of quokkas")));
    store.addMessage(c, textMessage(MessageRole::Assistant, QStringLiteral("quokkas smile")));

    QVERIFY(store.replaceMessageBlocks(edited, {textBlock(QStringLiteral("tell me of numbats"))}));
    QVERIFY(store.deleteMessagesAfter(edited));
    QStringList texts;
    for (const StoredMessage &message : store.messages(c))
        texts.append(message.plainText());
    QCOMPARE(texts,
             (QStringList{QStringLiteral("about lemurs"), QStringLiteral("tell me of numbats")}));
    QVERIFY(store.search(QStringLiteral("quokkas")).isEmpty());
    QCOMPARE(hitConversations(store.search(QStringLiteral("numbats"))), QList<qint64>{c});

    QVERIFY(store.deleteMessagesFrom(edited));
    QCOMPARE(store.messages(c).size(), 1);
    QVERIFY(store.search(QStringLiteral("numbats")).isEmpty());
    QVERIFY(!store.replaceMessageBlocks(edited, {}));
}

void TestConversationStore::keepsAnswerAndQuestionVersions()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("versions"));
    const qint64 q1 =
        store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("Which bird?")));
    const qint64 a1 =
        store.addMessage(c, textMessage(MessageRole::Assistant, QStringLiteral("The kiwi.")));
    const qint64 q2 = store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("Why?")));
    const qint64 a2 =
        store.addMessage(c, textMessage(MessageRole::Assistant, QStringLiteral("It is shy.")));
    QVERIFY(q1 && a1 && q2 && a2);

    // Regenerate: the new answer is shown, the earlier one stays as version 1.
    const qint64 a2b = store.beginAnswerVersion(q2, QStringLiteral("m"));
    QVERIFY2(a2b > 0, qPrintable(store.errorString()));
    QVERIFY(store.appendBlockStart(a2b, 0, textBlock({})));
    QVERIFY(store.appendText(a2b, 0, u"Its wings are tiny."));
    QCOMPARE(versions(store.messages(c)).constLast(), QStringLiteral("2/2")); // mid-stream too
    QVERIFY(store.finishMessage(a2b, MessageStatus::Complete, QStringLiteral("end_turn")));
    QCOMPARE(texts(store.messages(c)),
             (QStringList{QStringLiteral("Which bird?"), QStringLiteral("The kiwi."),
                          QStringLiteral("Why?"), QStringLiteral("Its wings are tiny.")}));
    QCOMPARE(versions(store.messages(c)),
             (QStringList{QStringLiteral("1/1"), QStringLiteral("1/1"), QStringLiteral("1/1"),
                          QStringLiteral("2/2")}));

    // Flipping back shows the first answer; there is nothing before it.
    QCOMPARE(store.showVersion(a2b, -1), a2);
    QCOMPARE(texts(store.messages(c)).constLast(), QStringLiteral("It is shy."));
    QCOMPARE(versions(store.messages(c)).constLast(), QStringLiteral("1/2"));
    QCOMPARE(store.showVersion(a2, -1), qint64(0));
    QVERIFY(!store.errorString().isEmpty());
    QCOMPARE(store.showVersion(a2, 1), a2b);
    QCOMPARE(store.showVersion(a2b, -1), a2);

    // Edit-and-resend of the first question: a new version of that turn with its own answer.
    qint64 q1b = 0;
    StoredMessage edited = textMessage(MessageRole::User, QStringLiteral("Which mammal?"));
    const qint64 a1b = store.beginQuestionVersion(q1, edited, QStringLiteral("m"), &q1b);
    QVERIFY2(a1b > 0 && q1b > 0, qPrintable(store.errorString()));
    QVERIFY(store.appendBlockStart(a1b, 0, textBlock(QStringLiteral("The platypus."))));
    QVERIFY(store.finishMessage(a1b, MessageStatus::Complete, QStringLiteral("end_turn")));
    QCOMPARE(texts(store.messages(c)),
             (QStringList{QStringLiteral("Which mammal?"), QStringLiteral("The platypus.")}));
    QCOMPARE(versions(store.messages(c)),
             (QStringList{QStringLiteral("2/2"), QStringLiteral("1/1")}));

    // Another instance on the file (another Qlaude) and a reopened store see the same choice.
    {
        ConversationStore other(path());
        QVERIFY(openOrWarn(other));
        QCOMPARE(texts(other.messages(c)), texts(store.messages(c)));
        // Flipping the first question back shows its branch as it was left: answer 1 of 2.
        QCOMPARE(other.showVersion(q1b, -1), q1);
    }
    QCOMPARE(texts(store.messages(c)),
             (QStringList{QStringLiteral("Which bird?"), QStringLiteral("The kiwi."),
                          QStringLiteral("Why?"), QStringLiteral("It is shy.")}));
    QCOMPARE(versions(store.messages(c)),
             (QStringList{QStringLiteral("1/2"), QStringLiteral("1/1"), QStringLiteral("1/1"),
                          QStringLiteral("1/2")}));
    // A version not shown knows its place too.
    const std::optional<StoredMessage> hidden = store.message(q1b);
    QVERIFY(hidden.has_value());
    QCOMPARE(QStringLiteral("%1/%2").arg(hidden->version).arg(hidden->versionCount),
             QStringLiteral("2/2"));
    QCOMPARE(store.message(a2b)->versionCount, 2);

    // A new message continues the shown branch.
    const qint64 q3 = store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("And?")));
    QCOMPARE(store.messages(c).constLast().id, q3);
    QCOMPARE(store.messages(c).constLast().parentId, a2);

    // Removing the shown version shows the newest one left, and forgets its branch.
    QVERIFY(store.deleteMessagesFrom(q1));
    QCOMPARE(texts(store.messages(c)),
             (QStringList{QStringLiteral("Which mammal?"), QStringLiteral("The platypus.")}));
    QCOMPARE(versions(store.messages(c)),
             (QStringList{QStringLiteral("1/1"), QStringLiteral("1/1")}));
    QVERIFY(store.search(QStringLiteral("kiwi")).isEmpty());
    QVERIFY(!store.message(a2b).has_value());
}

void TestConversationStore::roundTripsTheAnsweringConnection()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("connections"));
    qint64 question = 0;
    const qint64 work =
        store.beginTurn(c, textMessage(MessageRole::User, QStringLiteral("Hi")),
                        QStringLiteral("m"), &question, QStringLiteral("Work gateway"));
    QVERIFY2(work > 0, qPrintable(store.errorString()));
    QVERIFY(store.finishMessage(work, MessageStatus::Complete));
    const qint64 again =
        store.beginAnswerVersion(question, QStringLiteral("m"), QStringLiteral("Personal key"));
    QVERIFY(store.finishMessage(again, MessageStatus::Complete));
    const qint64 fromSettings = store.beginAssistantMessage(c, QStringLiteral("m"));
    QVERIFY(store.finishMessage(fromSettings, MessageStatus::Complete));
    StoredMessage added = textMessage(MessageRole::Assistant, QStringLiteral("added"));
    added.connection = QStringLiteral("Bedrock (eu)");
    const qint64 addedId = store.addMessage(c, added);

    QCOMPARE(store.message(work)->connection, QStringLiteral("Work gateway"));
    QCOMPARE(store.message(again)->connection, QStringLiteral("Personal key"));
    QVERIFY(store.message(fromSettings)->connection.isEmpty());
    QVERIFY(store.message(question)->connection.isEmpty());
    QCOMPARE(store.messages(c).constLast().connection, QStringLiteral("Bedrock (eu)"));
    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("SELECT connection FROM messages WHERE id = ?"), {addedId})
                 .toString(),
             QStringLiteral("Bedrock (eu)"));
    // "From your settings" is stored as NULL.
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM messages WHERE connection IS NULL "
                                       "AND id IN (?, ?)"),
                        {question, fromSettings})
                 .toInt(),
             2);
}

void TestConversationStore::searchRanksConversationsAndMarksMatches()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 sparse = newConversation(store, QStringLiteral("Sparse"));
    const qint64 dense = newConversation(store, QStringLiteral("Dense"));
    newConversation(store, QStringLiteral("Unrelated"));
    store.addMessage(sparse, textMessage(MessageRole::User,
                                         QStringLiteral("A long message about many things: "
                                                        "weather, trains, lunch, and once a "
                                                        "kangaroo, then more about trains and "
                                                        "the timetable of the afternoon.")));
    store.addMessage(dense, textMessage(MessageRole::User, QStringLiteral("kangaroo facts")));
    store.addMessage(dense, textMessage(MessageRole::Assistant,
                                        QStringLiteral("The kangaroo, kangaroo, kangaroo.")));

    const QList<SearchHit> hits = store.search(QStringLiteral("kangaroo"));
    QCOMPARE(hitConversations(hits), (QList<qint64>{dense, sparse})); // one hit each, best first
    QCOMPARE(hits[0].conversationTitle, QStringLiteral("Dense"));
    QVERIFY(hits[0].score > hits[1].score);
    const QString marked = QString(SearchHit::kSnippetMatchBegin) + QStringLiteral("kangaroo") +
                           QString(SearchHit::kSnippetMatchEnd);
    QVERIFY2(hits[0].snippet.contains(marked), qPrintable(hits[0].snippet));
    QVERIFY2(hits[1].snippet.contains(marked), qPrintable(hits[1].snippet));
    QCOMPARE(store.message(hits[0].messageId)->conversationId, dense);

    QCOMPARE(store.search(QStringLiteral("kangaroo"), 1).size(), 1);
    QCOMPARE(hitConversations(store.search(QStringLiteral("kangaroo timetable"))),
             QList<qint64>{sparse}); // every word must match
}

void TestConversationStore::searchMatchesPrefixesAndIgnoresDiacritics()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("cafe"));
    store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("Meet at the Café Müller")));
    QCOMPARE(hitConversations(store.search(QStringLiteral("cafe muller"))), QList<qint64>{c});
    QCOMPARE(hitConversations(store.search(QStringLiteral("CAF"))), QList<qint64>{c});
    QCOMPARE(hitConversations(store.search(QStringLiteral("müll"))), QList<qint64>{c});
}

void TestConversationStore::searchTreatsQuotesAndOperatorsAsText_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<bool>("found");
    QTest::newRow("unbalanced quote") << QStringLiteral("\"hello") << true;
    QTest::newRow("trailing quote") << QStringLiteral("hello\"") << true;
    QTest::newRow("quoted phrase") << QStringLiteral("\"said hello\"") << true;
    QTest::newRow("c++") << QStringLiteral("C++") << true;
    QTest::newRow("parenthesis") << QStringLiteral("(NEAR") << true;
    QTest::newRow("operator word") << QStringLiteral("AND") << true;
    QTest::newRow("apostrophes") << QStringLiteral("O'Brien's") << true;
    QTest::newRow("percent") << QStringLiteral("100%") << true;
    QTest::newRow("column filter syntax") << QStringLiteral("left:") << true;
    QTest::newRow("caret and plus") << QStringLiteral("^hello +devs") << true;
    QTest::newRow("NOT is a word") << QStringLiteral("NOT hello") << false;
    QTest::newRow("minus is not exclusion") << QStringLiteral("hello -world") << false;
    QTest::newRow("lone star") << QStringLiteral("*") << false;
    QTest::newRow("lone quote") << QStringLiteral("\"") << false;
    QTest::newRow("sql injection") << QStringLiteral("'; DROP TABLE messages; --") << false;
    QTest::newRow("braces") << QStringLiteral("{hello} [x]") << true;
}

void TestConversationStore::searchTreatsQuotesAndOperatorsAsText()
{
    QFETCH(QString, query);
    QFETCH(bool, found);
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("quotes"));
    store.addMessage(c, textMessage(MessageRole::User,
                                    QStringLiteral("He said \"hello\" to C++ devs (NEAR the end) "
                                                   "AND left: 100% done; O'Brien's x")));
    const QList<SearchHit> hits = store.search(query);
    QVERIFY2(!store.errorString().contains(QStringLiteral("fts5"), Qt::CaseInsensitive),
             qPrintable(store.errorString()));
    QVERIFY2(store.errorString().isEmpty(), qPrintable(store.errorString()));
    QCOMPARE(hitConversations(hits), found ? QList<qint64>{c} : QList<qint64>());
    QCOMPARE(store.messages(c).size(), 1);
}

void TestConversationStore::searchWithoutMatchesReturnsNothing()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    QVERIFY(store.search(QStringLiteral("anything")).isEmpty()); // empty history
    const qint64 c = newConversation(store, QStringLiteral("t"));
    store.addMessage(c, textMessage(MessageRole::User, QStringLiteral("alpha beta gamma")));
    QVERIFY(store.search(QStringLiteral("zebra")).isEmpty());
    QVERIFY(store.search(QStringLiteral("alpha zebra")).isEmpty());
    QVERIFY(store.search(QString()).isEmpty());
    QVERIFY(store.search(QStringLiteral("   \t ")).isEmpty());
    QVERIFY(store.search(QStringLiteral("alpha"), 0).isEmpty());
    QVERIFY2(store.errorString().isEmpty(), qPrintable(store.errorString()));
    QCOMPARE(store.search(QStringLiteral("alpha")).size(), 1);
}

void TestConversationStore::streamsEveryBlockTypeAndRoundTrips()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("stream"));
    const qint64 id = store.beginAssistantMessage(c, QStringLiteral("claude-test-1"));
    QVERIFY(id > 0);
    QVERIFY(store.isStreaming(id));
    QCOMPARE(messageStatusName(store.message(id)->status), QStringLiteral("streaming"));

    StoredBlock thinking;
    thinking.type = BlockType::Thinking;
    StoredBlock redacted;
    redacted.type = BlockType::RedactedThinking;
    redacted.signature = QStringLiteral("opaque-redacted-data");
    StoredBlock toolUse;
    toolUse.type = BlockType::ToolUse;
    toolUse.toolId = QStringLiteral("toolu_9");
    toolUse.toolName = QStringLiteral("search");
    QVERIFY(store.appendBlockStart(id, 0, thinking));
    QVERIFY(store.appendText(id, 0, u"Hmm, "));
    QVERIFY(store.flushPendingWrites()); // the block row exists before its later deltas
    QVERIFY(store.appendText(id, 0, u"let me check."));
    QVERIFY(store.setSignature(id, 0, QStringLiteral("sig-stream")));
    QVERIFY(store.appendBlockStart(id, 1, redacted));
    QVERIFY(store.appendBlockStart(id, 2, textBlock({})));
    QVERIFY(store.appendText(id, 2, u"Searching "));
    QVERIFY(store.appendText(id, 2, u"now."));
    QVERIFY(store.setToolInput(id, 2, QByteArray(R"([{"type":"web_search_result_location"}])")));
    QVERIFY(store.appendBlockStart(id, 3, toolUse));
    QVERIFY(store.setUsage(id, {10, 1, 0, 0}));
    QVERIFY(store.flushPendingWrites());
    QVERIFY(store.setToolInput(id, 3, QByteArray(R"({"query":"kiwi \"birds\""})")));
    QVERIFY(store.setUsage(id, {10, 77, 3, 4}));
    QVERIFY(store.finishMessage(id, MessageStatus::Complete, QStringLiteral("tool_use")));
    QVERIFY(!store.isStreaming(id));

    const StoredMessage message = *store.message(id);
    QCOMPARE(messageStatusName(message.status), QStringLiteral("complete"));
    QCOMPARE(message.stopReason, QStringLiteral("tool_use"));
    QCOMPARE(message.model, QStringLiteral("claude-test-1"));
    QCOMPARE(message.usage, (StoredUsage{10, 77, 3, 4}));
    thinking.text = QStringLiteral("Hmm, let me check.");
    thinking.signature = QStringLiteral("sig-stream");
    StoredBlock text = textBlock(QStringLiteral("Searching now."));
    text.json = QByteArray(R"([{"type":"web_search_result_location"}])");
    toolUse.json = QByteArray(R"({"query":"kiwi \"birds\""})");
    QCOMPARE(message.blocks, (QList<StoredBlock>{thinking, redacted, text, toolUse}));

    const qint64 failed = store.beginAssistantMessage(c, QStringLiteral("claude-test-1"));
    QVERIFY(store.appendBlockStart(failed, 0, textBlock({})));
    QVERIFY(store.appendText(failed, 0, u"Partial"));
    QVERIFY(store.finishMessage(failed, MessageStatus::Error, {},
                                QStringLiteral("The connection dropped.")));
    const StoredMessage error = *store.message(failed);
    QCOMPARE(messageStatusName(error.status), QStringLiteral("error"));
    QCOMPARE(error.errorText, QStringLiteral("The connection dropped."));
    QCOMPARE(error.plainText(), QStringLiteral("Partial"));
    QCOMPARE(error.position, 1);
}

void TestConversationStore::batchesDeltasIntoOneChunkRowPerFlush()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    QCOMPARE(store.flushInterval(), 100);
    const qint64 c = newConversation(store, QStringLiteral("batch"));
    const qint64 id = store.beginAssistantMessage(c, QStringLiteral("m"));
    QSignalSpy committed(&store, &ConversationStore::pendingWritesCommitted);
    RawDatabase raw(path());
    const QString chunkRows =
        QStringLiteral("SELECT count(*) FROM block_chunks WHERE message_id = ?");
    const QString chunkChars = QStringLiteral(
        "SELECT coalesce(sum(length(text)), 0) FROM block_chunks WHERE message_id = ?");

    QElapsedTimer clock;
    clock.start();
    QVERIFY(store.appendBlockStart(id, 0, textBlock({})));
    for (int i = 0; i < 500; ++i)
        QVERIFY(store.appendText(id, 0, u"0123456789"));
    // Nothing is written per delta: the batch waits for the timer.
    QCOMPARE(raw.scalar(chunkRows, {id}).toInt(), 0);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM content_blocks")).toInt(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 2000);
    QVERIFY2(clock.elapsed() >= 90, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(raw.scalar(chunkRows, {id}).toInt(), 1);
    QCOMPARE(raw.scalar(chunkChars, {id}).toInt(), 5000);

    for (int i = 0; i < 300; ++i)
        QVERIFY(store.appendText(id, 0, u"abcdefghij"));
    QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 2, 2000);
    // Appended as a second row; the first batch is not rewritten.
    QCOMPARE(raw.scalar(chunkRows, {id}).toInt(), 2);
    QCOMPARE(raw.scalar(chunkChars, {id}).toInt(), 8000);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT length(text) FROM content_blocks WHERE "
                                       "message_id = ?"),
                        {id})
                 .toInt(),
             0);

    QVERIFY(store.finishMessage(id, MessageStatus::Complete));
    QCOMPARE(raw.scalar(chunkRows, {id}).toInt(), 0);
    const QString text = store.message(id)->plainText();
    QCOMPARE(text.size(), 8000);
    QVERIFY(text.startsWith(QStringLiteral("0123456789")));
    QVERIFY(text.endsWith(QStringLiteral("abcdefghij")));
}

void TestConversationStore::keepsFlushingWhileDeltasKeepComing()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("steady"));
    const qint64 id = store.beginAssistantMessage(c, QStringLiteral("m"));
    QVERIFY(store.appendBlockStart(id, 0, textBlock({})));
    QSignalSpy committed(&store, &ConversationStore::pendingWritesCommitted);
    // A delta every 5 ms for 650 ms: the timer must not be pushed back by each delta.
    QTimer pump;
    int sent = 0;
    connect(&pump, &QTimer::timeout, &store, [&] {
        store.appendText(id, 0, u"tick ");
        ++sent;
    });
    QElapsedTimer clock;
    clock.start();
    pump.start(5);
    while (clock.elapsed() < 650)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 10);
    pump.stop();
    QVERIFY2(committed.count() >= 4, qPrintable(QString::number(committed.count())));
    QVERIFY2(committed.count() <= 8, qPrintable(QString::number(committed.count())));
    QVERIFY(store.finishMessage(id, MessageStatus::Complete));
    QCOMPARE(store.message(id)->plainText().size(), sent * 5);
}

void TestConversationStore::indexesStreamedTextOnlyWhenFinished()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("fts"));
    const qint64 id = store.beginAssistantMessage(c, QStringLiteral("m"));
    StoredBlock thinking;
    thinking.type = BlockType::Thinking;
    QVERIFY(store.appendBlockStart(id, 0, thinking));
    QVERIFY(store.appendText(id, 0, u"secret musings about axolotls"));
    QVERIFY(store.appendBlockStart(id, 1, textBlock({})));
    QVERIFY(store.appendText(id, 1, u"Capybaras are "));
    QVERIFY(store.flushPendingWrites());
    QVERIFY(store.appendText(id, 1, u"calm."));
    QVERIFY(store.flushPendingWrites());
    QVERIFY(store.search(QStringLiteral("capybaras")).isEmpty());
    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM message_search")).toInt(), 0);

    QVERIFY(store.finishMessage(id, MessageStatus::Stopped));
    const QList<SearchHit> hits = store.search(QStringLiteral("capybaras calm"));
    QCOMPARE(hitConversations(hits), QList<qint64>{c});
    QCOMPARE(hits[0].messageId, id);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT body FROM message_search WHERE rowid = ?"), {id})
                 .toString(),
             QStringLiteral("Capybaras are calm."));
    QVERIFY(store.search(QStringLiteral("axolotls")).isEmpty()); // thinking is not indexed
}

void TestConversationStore::readingMidStreamShowsEverythingAppended()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    store.setFlushInterval(60000);
    const qint64 c = newConversation(store, QStringLiteral("live"));
    const qint64 id = store.beginAssistantMessage(c, QStringLiteral("m"));
    QVERIFY(store.appendBlockStart(id, 0, textBlock({})));
    QVERIFY(store.appendText(id, 0, u"one "));
    QVERIFY(store.flushPendingWrites());
    QVERIFY(store.appendText(id, 0, u"two"));
    // A read shows what is committed; the reader flushes to see everything appended.
    QCOMPARE(store.messages(c).value(0).plainText(), QStringLiteral("one "));
    QCOMPARE(store.message(id)->plainText(), QStringLiteral("one "));
    QVERIFY(store.flushPendingWrites());
    const StoredMessage live = store.messages(c).value(0);
    QCOMPARE(messageStatusName(live.status), QStringLiteral("streaming"));
    QCOMPARE(live.plainText(), QStringLiteral("one two"));
    QCOMPARE(store.message(id)->plainText(), QStringLiteral("one two"));
    QVERIFY(store.isStreaming(id));
}

void TestConversationStore::rejectsInvalidStreamingCalls()
{
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const qint64 c = newConversation(store, QStringLiteral("invalid"));
    QVERIFY(!store.appendText(987, 0, u"x"));
    QVERIFY2(store.errorString().contains(QStringLiteral("not being streamed")),
             qPrintable(store.errorString()));
    const qint64 id = store.beginAssistantMessage(c, QStringLiteral("m"));
    QVERIFY(!store.appendText(id, 0, u"before start"));
    QVERIFY2(store.errorString().contains(QStringLiteral("never started")),
             qPrintable(store.errorString()));
    StoredBlock toolUse;
    toolUse.type = BlockType::ToolUse;
    QVERIFY(store.appendBlockStart(id, 0, toolUse));
    QVERIFY(!store.appendBlockStart(id, 0, textBlock({})));
    QVERIFY(!store.appendBlockStart(id, -1, textBlock({})));
    QVERIFY(!store.appendText(id, 0, u"{\"partial"));
    QVERIFY(!store.finishMessage(id, MessageStatus::Streaming));
    StoredMessage streaming = textMessage(MessageRole::Assistant, QStringLiteral("x"));
    streaming.status = MessageStatus::Streaming;
    QCOMPARE(store.addMessage(c, streaming), 0);
    QVERIFY(store.finishMessage(id, MessageStatus::Complete));
    QVERIFY(!store.finishMessage(id, MessageStatus::Complete));
    QVERIFY(!store.replaceMessageBlocks(987, {}));
}

void TestConversationStore::closingMidStreamKeepsPartialAnswerAsInterrupted()
{
    qint64 id = 0;
    qint64 c = 0;
    {
        ConversationStore store(path());
        QVERIFY(openOrWarn(store));
        store.setFlushInterval(60000);
        c = newConversation(store, QStringLiteral("quit"));
        id = store.beginAssistantMessage(c, QStringLiteral("m"));
        QVERIFY(store.appendBlockStart(id, 0, textBlock({})));
        QVERIFY(store.appendText(id, 0, u"cut short by quitting"));
    }
    ConversationStore reopened(path());
    QVERIFY(openOrWarn(reopened));
    const StoredMessage message = *reopened.message(id);
    QCOMPARE(messageStatusName(message.status), QStringLiteral("interrupted"));
    QCOMPARE(message.plainText(), QStringLiteral("cut short by quitting"));
    QCOMPARE(hitConversations(reopened.search(QStringLiteral("quitting"))), QList<qint64>{c});
}

void TestConversationStore::openingRecoversMessagesLeftStreaming()
{
    qint64 c = 0;
    {
        ConversationStore store(path());
        QVERIFY(openOrWarn(store));
        c = newConversation(store, QStringLiteral("recover"));
    }
    {
        // What a process killed mid-stream leaves: a streaming row, blocks and chunks.
        RawDatabase raw(path());
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO messages (id, conversation_id, position, "
                                        "role, status, created_at) VALUES "
                                        "(50, ?, 0, 'assistant', 'streaming', 1)"),
                         {c}));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO content_blocks (message_id, block_index, "
                                        "type, signature) VALUES (50, 0, 'thinking', 'sig')")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO content_blocks (message_id, block_index, "
                                        "type) VALUES (50, 1, 'text')")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO block_chunks VALUES (50, 0, 0, 'pondering'), "
                                        "(50, 1, 1, ' jumps'), (50, 1, 0, 'The quick fox')")));
    }
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const StoredMessage message = *store.message(50);
    QCOMPARE(messageStatusName(message.status), QStringLiteral("interrupted"));
    QCOMPARE(message.blocks.size(), 2);
    QCOMPARE(message.blocks[0].text, QStringLiteral("pondering"));
    QCOMPARE(message.blocks[0].signature, QStringLiteral("sig"));
    QCOMPARE(message.blocks[1].text, QStringLiteral("The quick fox jumps"));
    QCOMPARE(hitConversations(store.search(QStringLiteral("fox jumps"))), QList<qint64>{c});
    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM block_chunks")).toInt(), 0);
    QVERIFY(!store.isStreaming(50));
}

namespace {

// Starts the crash writer on `path` and waits until it streams; returns the message id or 0.
qint64 startCrashWriter(QProcess &child, const QString &path, int commitsToWaitFor)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QString::fromLatin1(kCrashWriterVariable), path);
    child.setProcessEnvironment(environment);
    child.setProgram(QCoreApplication::applicationFilePath());
    child.start();
    if (!child.waitForStarted(10000))
        return 0;
    qint64 messageId = 0;
    int commits = 0;
    QDeadlineTimer deadline(20000);
    while ((messageId == 0 || commits < commitsToWaitFor) && !deadline.hasExpired() &&
           child.state() == QProcess::Running) {
        if (!child.canReadLine() && !child.waitForReadyRead(100))
            continue;
        while (child.canReadLine()) {
            const QByteArray line = child.readLine().trimmed();
            if (line.startsWith("streaming "))
                messageId = line.mid(10).toLongLong();
            else if (line.startsWith("flushed "))
                ++commits;
        }
    }
    return commits >= commitsToWaitFor ? messageId : 0;
}

} // namespace

void TestConversationStore::openingLeavesALiveWritersAnswerAlone()
{
    QProcess child;
    const qint64 messageId = startCrashWriter(child, path(), 3);
    QVERIFY2(messageId > 0, child.readAllStandardError().constData());

    // Another Qlaude opens the history while the writer still streams into it.
    {
        ConversationStore reader(path());
        QVERIFY(openOrWarn(reader));
        const std::optional<StoredMessage> live = reader.message(messageId);
        QVERIFY(live.has_value());
        QCOMPARE(messageStatusName(live->status), QStringLiteral("streaming"));
    }
    RawDatabase raw(path());
    QVERIFY(raw.scalar(QStringLiteral("SELECT count(*) FROM block_chunks WHERE message_id = ?"),
                       {messageId})
                .toInt() > 0); // not compacted under the writer's feet
    // The writer goes on committing after the other open.
    QTest::qWait(300);
    QCOMPARE(child.state(), QProcess::Running);

    child.kill();
    QVERIFY(child.waitForFinished(10000));
    // Its writer gone, the next open recovers the answer.
    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const StoredMessage recovered = *store.message(messageId);
    QCOMPARE(messageStatusName(recovered.status), QStringLiteral("interrupted"));
    QCOMPARE(recovered.blocks[1].text, crashStreamPrefix(recovered.blocks[1].text.size()));
    QVERIFY(recovered.blocks[1].text.size() > 0);
}

void TestConversationStore::hundredKillsAtRandomPointsLoseNothing()
{
    constexpr int kKills = 100;
    QList<qint64> killedMessages;
    for (int kill = 0; kill < kKills; ++kill) {
        QProcess child;
        const int commits = 1 + QRandomGenerator::global()->bounded(3);
        const qint64 messageId = startCrashWriter(child, path(), commits);
        QVERIFY2(messageId > 0, child.readAllStandardError().constData());
        QTest::qWait(QRandomGenerator::global()->bounded(60)); // anywhere between two commits
        child.kill();
        QVERIFY(child.waitForFinished(10000));
        killedMessages.append(messageId);

        ConversationStore store(path());
        QVERIFY(openOrWarn(store));
        RawDatabase raw(path());
        QCOMPARE(raw.scalar(QStringLiteral("PRAGMA integrity_check")).toString(),
                 QStringLiteral("ok"));
        const QList<StoredConversation> conversations = store.conversations();
        QCOMPARE(conversations.size(), kill + 1);
        // Every kill so far: its earlier turns intact, its answer interrupted with a prefix of
        // what was streamed, nothing left streaming.
        for (const StoredConversation &conversation : conversations) {
            const QList<StoredMessage> messages = store.messages(conversation.id);
            const QList<StoredMessage> earlier = crashEarlierMessages();
            QCOMPARE(messages.size(), earlier.size() + 1);
            for (qsizetype i = 0; i < earlier.size(); ++i)
                QCOMPARE(messages[i].blocks, earlier[i].blocks);
            const StoredMessage &cut = messages.constLast();
            QVERIFY(killedMessages.contains(cut.id));
            QCOMPARE(messageStatusName(cut.status), QStringLiteral("interrupted"));
            QCOMPARE(cut.blocks[0].text, kThinkingBeforeCrash);
            QCOMPARE(cut.blocks[1].text, crashStreamPrefix(cut.blocks[1].text.size()));
        }
        QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM block_chunks")).toInt(), 0);
    }
}

void TestConversationStore::crashDuringStreamingKeepsEveryCommittedDelta()
{
    QProcess child;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QString::fromLatin1(kCrashWriterVariable), path());
    child.setProcessEnvironment(environment);
    child.setProgram(QCoreApplication::applicationFilePath());
    child.setProcessChannelMode(QProcess::SeparateChannels);

    struct Commit
    {
        qint64 at;
        qint64 chars;
    };
    QList<Commit> commits;
    qint64 messageId = 0;
    QElapsedTimer clock;
    auto readLines = [&](qint64 at) {
        while (child.canReadLine()) {
            const QByteArray line = child.readLine().trimmed();
            if (line.startsWith("flushed "))
                commits.append({at, line.mid(8).toLongLong()});
            else if (line.startsWith("streaming "))
                messageId = line.mid(10).toLongLong();
        }
    };
    connect(&child, &QProcess::readyReadStandardOutput, this, [&] { readLines(clock.elapsed()); });
    clock.start();
    child.start();
    QVERIFY2(child.waitForStarted(10000), qPrintable(child.errorString()));
    // Let it commit for a while so the kill lands in the middle of a long answer.
    QTRY_VERIFY2_WITH_TIMEOUT(commits.size() >= 8 || child.state() != QProcess::Running,
                              child.readAllStandardError().constData(), 20000);
    QCOMPARE(child.state(), QProcess::Running);
    child.kill(); // SIGKILL: no destructor, no finish, no last flush
    const qint64 killedAt = clock.elapsed();
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    readLines(killedAt); // printed before the kill, read after it
    QVERIFY(messageId > 0);

    qint64 committedBeforeKill = 0;  // everything the child reported as committed
    qint64 committed250msBefore = 0; // what was committed 250 ms before the kill
    qint64 longestGap = 0;
    for (qsizetype i = 0; i < commits.size(); ++i) {
        committedBeforeKill = qMax(committedBeforeKill, commits[i].chars);
        if (commits[i].at <= killedAt - 250)
            committed250msBefore = qMax(committed250msBefore, commits[i].chars);
        if (i > 0)
            longestGap = qMax(longestGap, commits[i].at - commits[i - 1].at);
    }
    QVERIFY(committedBeforeKill > 0);
    // The unflushed tail is bounded: commits arrive every ~100 ms while deltas keep coming.
    QVERIFY2(longestGap < 250, qPrintable(QString::number(longestGap)));

    ConversationStore store(path());
    QVERIFY(openOrWarn(store));
    const QList<StoredConversation> conversations = store.conversations();
    QCOMPARE(conversations.size(), 1);
    const QList<StoredMessage> messages = store.messages(conversations[0].id);
    const QList<StoredMessage> earlier = crashEarlierMessages();
    QCOMPARE(messages.size(), earlier.size() + 1);
    for (qsizetype i = 0; i < earlier.size(); ++i) {
        QCOMPARE(messages[i].blocks, earlier[i].blocks);
        QCOMPARE(messages[i].role, earlier[i].role);
        QCOMPARE(messageStatusName(messages[i].status), QStringLiteral("complete"));
        QCOMPARE(messages[i].usage, earlier[i].usage);
    }

    const StoredMessage &partial = messages.constLast();
    QCOMPARE(partial.id, messageId);
    QCOMPARE(messageStatusName(partial.status), QStringLiteral("interrupted"));
    QCOMPARE(partial.blocks.size(), 2);
    QCOMPARE(partial.blocks[0].text, kThinkingBeforeCrash);
    QCOMPARE(partial.blocks[0].signature, QStringLiteral("sig-crash"));
    const QString text = partial.blocks[1].text;
    QCOMPARE(text, crashStreamPrefix(text.size()));
    QVERIFY2(text.size() >= committedBeforeKill,
             qPrintable(QStringLiteral("kept %1 chars, child had committed %2")
                            .arg(text.size())
                            .arg(committedBeforeKill)));
    QVERIFY(text.size() >= committed250msBefore);
    qInfo("crash test: %d commits, %lld chars committed, %lld kept, longest gap %lld ms",
          int(commits.size()), committedBeforeKill, qint64(text.size()), longestGap);

    QCOMPARE(hitConversations(store.search(QStringLiteral("w000000"))),
             QList<qint64>{conversations[0].id});
    RawDatabase raw(path());
    QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM block_chunks")).toInt(), 0);
}

int main(int argc, char *argv[])
{
    const QByteArray writerDatabase = qgetenv(kCrashWriterVariable);
    if (!writerDatabase.isEmpty())
        return runCrashWriter(argc, argv, QString::fromLocal8Bit(writerDatabase));

    // Before the first QStandardPaths call: the default history path must be a throwaway one.
    QTemporaryDir home;
    if (!home.isValid())
        return 1;
    qputenv("HOME", QFile::encodeName(home.path()));
    qunsetenv("XDG_DATA_HOME");
    QCoreApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    TestConversationStore test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_ConversationStore.moc"
