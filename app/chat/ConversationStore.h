#pragma once

#include "StoredTypes.h"
#include "StreamWriteBuffer.h"

#include <QObject>
#include <QSqlDatabase>
#include <QStringView>
#include <QTimer>

#include <optional>

namespace qlaude {

// The chat history: conversations, their messages and content blocks, in one SQLite file
// (WAL mode, foreign keys on, synchronous=NORMAL), with FTS5 search over message text.
//
// Streaming answers go through beginAssistantMessage() ... finishMessage(). Deltas are kept in
// memory and committed in one transaction at most every flushInterval() ms and on finish, so a
// crash loses at most the last uncommitted batch; everything committed survives, and the next
// open() marks the cut-off message interrupted with its partial text.
//
// All calls are on the thread that owns the store. Methods that return bool or an id report
// failure with false or 0 and leave a sentence in errorString().
class ConversationStore : public QObject
{
    Q_OBJECT

public:
    static constexpr int kDefaultFlushIntervalMs = 100;

    // <AppPaths::dataDir()>/history.sqlite: ~/.local/share/qlaude/history.sqlite
    static QString defaultPath();

    explicit ConversationStore(QObject *parent = nullptr); // uses defaultPath()
    explicit ConversationStore(const QString &databasePath, QObject *parent = nullptr);
    // Commits pending deltas; a message still streaming is kept as interrupted.
    ~ConversationStore() override;
    Q_DISABLE_COPY(ConversationStore)

    // Opens (creating if needed) and migrates the database. Refuses, without changing it, a
    // file that is not a Qlaude history or comes from a newer Qlaude.
    bool open();
    bool isOpen() const { return m_open; }
    QString databasePath() const { return m_path; }
    QString errorString() const { return m_error; }
    // The QSqlDatabase connection of this instance, for diagnostics and tests.
    QString connectionName() const { return m_connectionName; }

    // Conversations. create/update use every field but id and the timestamps.
    qint64 createConversation(const StoredConversation &conversation);
    bool updateConversation(const StoredConversation &conversation);
    bool renameConversation(qint64 conversationId, const QString &title);
    bool deleteConversation(qint64 conversationId);  // with its messages and blocks
    QList<StoredConversation> conversations() const; // most recently updated first
    std::optional<StoredConversation> conversation(qint64 conversationId) const;

    // The messages the conversation shows, in order, as committed: deltas still pending (see
    // flushPendingWrites()) are not included. A reader that must show everything received so
    // far mid-stream calls flushPendingWrites() first.
    //
    // Versions: the messages that follow one message are its versions (regenerated answers,
    // edited questions), each with the messages that follow it. One version of each is chosen;
    // the conversation shows the chosen version at every turn, and each message carries its
    // version number and count. The choice is stored, so every reader sees the same.
    QList<StoredMessage> messages(qint64 conversationId) const;
    // Any message, shown or not.
    std::optional<StoredMessage> message(qint64 messageId) const;
    // Appends a finished message (any status but Streaming) after the last one shown.
    qint64 addMessage(qint64 conversationId, const StoredMessage &message);
    // Edit: replaces the message's blocks (and its search text).
    bool replaceMessageBlocks(qint64 messageId, const QList<StoredBlock> &blocks);
    // Removes the messages that follow messageId (all their versions), or messageId with them.
    // When a chosen version is removed, the newest remaining one is shown.
    bool deleteMessagesAfter(qint64 messageId);
    bool deleteMessagesFrom(qint64 messageId);
    // Shows another version of the message: the one `step` places later (negative: earlier)
    // in the order they were made. Returns the id of the version now shown, or 0.
    qint64 showVersion(qint64 messageId, int step);

    // Full-text search over finished message text. Every word of userText must match (as a
    // prefix); quotes and FTS operators in it are plain text. One hit per conversation, best
    // first.
    QList<SearchHit> search(const QString &userText, int maxConversations = 50) const;

    // Streaming. `connection` is the named connection answering (empty: "From your settings").
    qint64 beginAssistantMessage(qint64 conversationId, const QString &model,
                                 const QString &connection = QString());
    // The question and the answer that will stream, appended together in one transaction: in
    // a history several processes write, a turn's two messages are always next to each other
    // (positions p and p + 1). Returns the answer's id and sets *questionId.
    qint64 beginTurn(qint64 conversationId, const StoredMessage &question, const QString &model,
                     qint64 *questionId, const QString &connection = QString());
    // Regenerate: a new answer to the user message questionId, shown as its newest version;
    // the earlier answers stay as the other versions.
    qint64 beginAnswerVersion(qint64 questionId, const QString &model,
                              const QString &connection = QString());
    // Edit-and-resend: `question` as a new version of the user message `edited`, with the
    // answer that will stream; the earlier question and what followed it stay a version.
    qint64 beginQuestionVersion(qint64 edited, const StoredMessage &question, const QString &model,
                                qint64 *questionId, const QString &connection = QString());
    // start.type and its fixed fields (tool id and name, redacted data, initial text).
    bool appendBlockStart(qint64 messageId, int blockIndex, const StoredBlock &start);
    // A text or thinking delta.
    bool appendText(qint64 messageId, int blockIndex, QStringView delta);
    bool setSignature(qint64 messageId, int blockIndex, const QString &signature);
    // The block's JSON payload: a tool_use input object, or the citations of a text block.
    bool setToolInput(qint64 messageId, int blockIndex, const QByteArray &json);
    bool setUsage(qint64 messageId, const StoredUsage &usage);
    // Commits the rest, folds the text into the blocks, indexes it for search and sets the
    // final status (not Streaming).
    bool finishMessage(qint64 messageId, MessageStatus status, const QString &stopReason = {},
                       const QString &errorText = {});
    bool isStreaming(qint64 messageId) const { return m_streams.contains(messageId); }

    // Commits pending deltas now (the flush timer does this on its own).
    bool flushPendingWrites();
    void setFlushInterval(int milliseconds);
    int flushInterval() const { return m_flushTimer.interval(); }

signals:
    // A conversation was created, renamed, updated, deleted or got a message: reorder the list.
    void conversationsChanged();
    // A batch of streamed deltas was committed to disk.
    void pendingWritesCommitted();
    // A timed flush failed; the deltas stay in memory and the next flush retries them.
    void writeFailed(const QString &message);

private:
    bool fail(const QString &message) const;
    bool requireOpen() const;
    void close();
    bool touchConversation(qint64 conversationId);
    // Inside a write transaction: inserts the message with its blocks, after the last message
    // shown, or as the newest chosen version following `parent` (0: the first message).
    qint64 insertMessage(qint64 conversationId, const StoredMessage &message,
                         std::optional<qint64> parent, QString *error);
    struct TurnStart
    {
        qint64 conversationId = 0;
        const StoredMessage *question = nullptr; // null: only an answer
        std::optional<qint64> parent;            // see insertMessage(); the question's or answer's
        QString model;
        QString connection;
    };
    qint64 beginTurn(const TurnStart &turn, qint64 *questionId);
    // Inside a transaction: the conversation and the message it follows.
    bool placeOf(qint64 messageId, qint64 *conversationId, qint64 *parentId, QString *error) const;
    bool deleteMessageTree(qint64 messageId, bool includingItself);
    void forgetStreamsOf(qint64 conversationId);
    void scheduleFlush();
    void onFlushTimer();

    QString m_path;
    QString m_connectionName;
    QSqlDatabase m_db;
    bool m_open = false;
    mutable QString m_error;
    StreamWriteBuffer m_streams;
    QTimer m_flushTimer;
};

} // namespace qlaude
