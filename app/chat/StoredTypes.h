#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

// Plain value types of the chat history as ConversationStore reads and writes it. They mirror
// the Messages API closely enough that a request can be rebuilt from them, thinking signatures
// and tool payloads included.

namespace qlaude {

enum class MessageRole
{
    User,
    Assistant,
};

enum class MessageStatus
{
    Complete,    // finished normally, or added whole
    Streaming,   // still being received by this process
    Stopped,     // the user pressed Stop
    Interrupted, // the app quit or crashed mid-stream; the partial text is kept
    Error,       // the API or the network failed; see errorText
};

enum class BlockType
{
    Text,
    Thinking,
    RedactedThinking,
    ToolUse,
    ToolResult,
    Other, // a block type this version does not know; json keeps the raw block
};

// Stable names, as stored in the database and used by the API ("tool_use", "interrupted", ...).
QString messageRoleName(MessageRole role);
std::optional<MessageRole> messageRoleFromName(const QString &name);
QString messageStatusName(MessageStatus status);
std::optional<MessageStatus> messageStatusFromName(const QString &name);
QString blockTypeName(BlockType type);
std::optional<BlockType> blockTypeFromName(const QString &name);

struct StoredUsage
{
    qint64 inputTokens = 0;
    qint64 outputTokens = 0;
    qint64 cacheReadInputTokens = 0;
    qint64 cacheCreationInputTokens = 0;

    friend bool operator==(const StoredUsage &a, const StoredUsage &b)
    {
        return a.inputTokens == b.inputTokens && a.outputTokens == b.outputTokens &&
               a.cacheReadInputTokens == b.cacheReadInputTokens &&
               a.cacheCreationInputTokens == b.cacheCreationInputTokens;
    }
    friend bool operator!=(const StoredUsage &a, const StoredUsage &b) { return !(a == b); }
};

// One content block. Which fields matter depends on the type:
// - Text: text; json holds the citations array when there is one.
// - Thinking: text, signature.
// - RedactedThinking: signature holds the opaque `data`, which must be sent back verbatim.
// - ToolUse: toolId, toolName, json = the input object.
// - ToolResult: toolId = tool_use_id, text for plain string content or json for block content,
//   isError.
// - Other: json = the raw block as received.
struct StoredBlock
{
    BlockType type = BlockType::Text;
    QString text;
    QString signature;
    QString toolId;
    QString toolName;
    QByteArray json;
    bool isError = false;

    friend bool operator==(const StoredBlock &a, const StoredBlock &b)
    {
        return a.type == b.type && a.text == b.text && a.signature == b.signature &&
               a.toolId == b.toolId && a.toolName == b.toolName && a.json == b.json &&
               a.isError == b.isError;
    }
    friend bool operator!=(const StoredBlock &a, const StoredBlock &b) { return !(a == b); }
};

struct StoredMessage
{
    qint64 id = 0;             // assigned by the store
    qint64 conversationId = 0; // assigned by the store
    int position = 0;          // 0-based order within the conversation, assigned by the store
    MessageRole role = MessageRole::User;
    MessageStatus status = MessageStatus::Complete;
    QString errorText;
    QString model;
    QString stopReason; // "end_turn", "max_tokens", "tool_use", ...
    StoredUsage usage;
    QDateTime createdAt; // UTC; the store fills in "now" when invalid
    QList<StoredBlock> blocks;
    // The named connection that answered (issue 19); empty: "From your settings".
    QString connection;

    // Versions (read by the store, never written from here). A message's versions are the
    // messages that follow the same one: the answers to one question (regenerate) or the
    // questions asked at one point (edit-and-resend), each with the messages that follow it.
    qint64 parentId = 0;  // the message this one follows; 0 for the first of a conversation
    int version = 1;      // 1-based, in the order the versions were made
    int versionCount = 1; // 1: the message has no other version

    // The text blocks joined by newlines: what search indexes and a preview shows.
    QString plainText() const;
};

struct StoredConversation
{
    qint64 id = 0;
    QString title;
    QDateTime createdAt; // UTC
    QDateTime updatedAt; // UTC; the list is ordered by it, newest first
    QString model;
    QString systemPrompt;
    int maxTokens = 0;
    int thinkingBudget = 0;  // budget_tokens; 0 = extended thinking off
    QByteArray settingsJson; // any further request settings, as a JSON object (or empty)
};

// One conversation that matches a search, with its best-ranked message.
struct SearchHit
{
    qint64 conversationId = 0;
    qint64 messageId = 0;
    QString conversationTitle;
    // A short excerpt of the message; each match sits between kSnippetMatchBegin and
    // kSnippetMatchEnd, so a view can escape the text first and then highlight.
    QString snippet;
    double score = 0; // higher is better

    static constexpr QChar kSnippetMatchBegin = QChar(0x2);
    static constexpr QChar kSnippetMatchEnd = QChar(0x3);
};

} // namespace qlaude
