#pragma once

#include "ProviderClient.h"
#include "StoredTypes.h"

#include <QObject>
#include <QPointer>
#include <QSet>

namespace qlaude {

class ConversationStore;

// One conversation's turn-taking: builds the request from the conversation (system prompt,
// model, max_tokens, thinking), streams the answer into the store as it arrives, and supports
// stop, regenerate and edit-and-resend. Without a store it keeps the turns in memory only.
class ChatSession : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ChatSession)
public:
    struct Settings
    {
        QString model;
        QString systemPrompt;
        int maxTokens = 8192;
        int thinkingBudget = 0; // 0: no extended thinking
    };

    ChatSession(ProviderClient *client, ConversationStore *store, QObject *parent = nullptr);

    // An existing conversation (its stored settings apply), or 0 to start a new one on the next
    // send(); with a store the new conversation is created then.
    bool openConversation(qint64 conversationId);
    qint64 conversationId() const { return m_conversationId; }
    Settings settings() const { return m_settings; }
    void setSettings(const Settings &settings);
    // The named connection that answers the next turns, recorded with each answer (issue 19);
    // empty (the default): "From your settings".
    void setConnectionName(const QString &name) { m_connectionName = name; }
    QString connectionName() const { return m_connectionName; }

    // Every message shown so far (the chosen version of each turn; the next request continues
    // from it); with a store, a streaming answer's pending deltas are committed first, so it
    // holds everything appended.
    QList<StoredMessage> history() const;
    bool isBusy() const { return m_call != nullptr; }
    QString errorString() const { return m_errorString; }

    bool send(const QString &userText);
    void stop();
    // Asks the last question again. With a store the earlier answer stays as another version
    // (unless it holds nothing, like an answer that failed before its first word); without
    // one it is dropped.
    bool regenerate();
    // Asks a user message again with new text. With a store this is a new version of that
    // turn, and the earlier question with everything after it stays reachable; without one
    // everything from that message on is dropped.
    bool editAndResend(qint64 userMessageId, const QString &newText);
    // Shows another version of a message (see ConversationStore::showVersion()); the next
    // request continues from it. Returns the id now shown, or 0 (errorString() says why).
    qint64 showVersion(qint64 messageId, int step);

    // The request the next turn would send (for tests and count_tokens).
    MessagesRequest buildRequest() const;

signals:
    void userMessageAdded(const qlaude::StoredMessage &message);
    void assistantStarted(qint64 messageId);
    void blockStarted(qint64 messageId, int index, const qlaude::ContentBlock &block);
    void textDelta(qint64 messageId, int index, const QString &text);
    void thinkingDelta(qint64 messageId, int index, const QString &text);
    void usageUpdated(qint64 messageId, const qlaude::Usage &usage);
    void retrying(int retry, qint64 delayMs, const qlaude::ApiError &reason);
    // error.isError() false on success; status is Complete, Stopped or Error.
    void turnFinished(qint64 messageId, qlaude::MessageStatus status,
                      const qlaude::ApiError &error);

private:
    // Builds the request and streams the answer into begunAnswer (a row beginTurn made), or
    // into a new answer row when it is 0.
    bool startTurn(qint64 begunAnswer = 0);
    // send() and editAndResend(): a new question at the end, or as a version of `edited`.
    bool ask(const QString &userText, qint64 edited);
    void onFinished();
    qint64 addMemoryMessage(StoredMessage message);
    StoredMessage *memoryMessage(qint64 id);
    static StoredBlock toStored(const ContentBlock &block);
    static QList<ContentBlock> toApiBlocks(const StoredMessage &message);

    ProviderClient *m_client;
    QPointer<ConversationStore> m_store;
    qint64 m_conversationId = 0;
    Settings m_settings;
    QString m_connectionName;
    QPointer<ApiCall> m_call;
    qint64 m_streamingId = 0;
    bool m_stopRequested = false;
    QString m_errorString;
    // The messages this session added. Another process's turn still streaming (a second
    // `--print --continue` on the same history) is left out of the requests made here.
    QSet<qint64> m_ownIds;
    QList<StoredMessage> m_memory; // without a store
    qint64 m_nextMemoryId = 1;
};

} // namespace qlaude
