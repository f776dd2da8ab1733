#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

// Value types for the Anthropic Messages API (PROTOCOLS.md section 1.3 and 1.4). Every fromJson
// tolerates unknown fields and keeps them in `raw`, so a block or message read from the API
// can be sent back unchanged (thinking and redacted_thinking blocks must be).

namespace qlaude {

// Token counts. The API reports cumulative totals: message_delta usage replaces the fields it
// carries, it is never added (see mergeCumulative).
struct Usage
{
    qint64 inputTokens = 0;
    qint64 outputTokens = 0;
    qint64 cacheCreationInputTokens = 0;
    qint64 cacheReadInputTokens = 0;
    QJsonObject raw; // every field as received, including ones not modelled above

    static Usage fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    // Overwrites the fields that `update` carries with a non-null value; the others stay.
    void mergeCumulative(const QJsonObject &update);
};

enum class ContentBlockType
{
    Text,
    Thinking,
    RedactedThinking,
    ToolUse,
    ToolResult,
    Other, // any other type ("image", "server_tool_use", ...): kept verbatim in `raw`
};

// "text", "thinking", ...; for Other the type is read from raw["type"].
QString contentBlockTypeName(ContentBlockType type);
ContentBlockType contentBlockTypeFromName(QStringView name);

struct ContentBlock
{
    ContentBlockType type = ContentBlockType::Text;
    QString text;         // text
    QString thinking;     // thinking
    QString signature;    // thinking
    QString data;         // redacted_thinking
    QString id;           // tool_use
    QString name;         // tool_use
    QJsonValue input;     // tool_use (an object once complete)
    QString toolUseId;    // tool_result
    QJsonValue content;   // tool_result: a string or an array of blocks; undefined = omitted
    bool isError = false; // tool_result
    QJsonArray citations; // text
    // The block as received. toJson() starts from it and overwrites the modelled fields, so
    // fields we do not model (cache_control, ...) survive a round trip. For Other it is the
    // whole block.
    QJsonObject raw;

    QString typeName() const;

    static ContentBlock fromJson(const QJsonObject &json);
    QJsonObject toJson() const;

    static ContentBlock makeText(const QString &text);
    static ContentBlock makeToolUse(const QString &id, const QString &name,
                                    const QJsonObject &input);
    static ContentBlock makeToolResult(const QString &toolUseId, const QJsonValue &content,
                                       bool isError = false);
};

// A message's `content` or the request's `system`: either a plain string or a list of blocks.
struct MessageContent
{
    bool isString = true;
    QString text;               // when isString
    QList<ContentBlock> blocks; // when !isString

    MessageContent() = default;
    // Implicit on purpose: `request.system = QStringLiteral("...")` reads naturally.
    MessageContent(const QString &plainText) : text(plainText) {}
    MessageContent(const QList<ContentBlock> &contentBlocks)
        : isString(false), blocks(contentBlocks)
    {
    }

    bool isEmpty() const { return isString ? text.isEmpty() : blocks.isEmpty(); }
    static MessageContent fromJson(const QJsonValue &json);
    QJsonValue toJson() const; // a string or an array
};

// One entry of the request's `messages`: role "user", "assistant" or "system".
struct MessageParam
{
    QString role;
    MessageContent content;

    static MessageParam fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
};

// The body of POST /v1/messages. toJson() emits only what was set; in particular it never
// emits temperature, top_p or top_k (API version 2026-10-21 rejects them with a 400) unless
// the caller put them into `extra` on purpose for an older API version.
struct MessagesRequest
{
    QString model;
    qint64 maxTokens = 0;
    QList<MessageParam> messages;
    MessageContent system; // omitted when empty
    QStringList stopSequences;
    QJsonObject thinking;   // {"type":"enabled","budget_tokens":N}, {"type":"adaptive"}, ...
    QJsonArray tools;       // tool definitions, as the API spells them
    QJsonObject toolChoice; // {"type":"auto"}, {"type":"tool","name":...}, ...
    QJsonObject metadata;   // {"user_id": ...}
    bool stream = false;
    // Fields we do not model (output_config, service_tier, ...), copied into the body as they
    // are. A modelled field that is set wins over the same key here.
    QJsonObject extra;

    // Unknown fields of `json` land in `extra`.
    static MessagesRequest fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
};

// A response message (non-streaming body, or the result of MessageStreamAssembler).
struct Message
{
    QString id;
    QString role = QStringLiteral("assistant");
    QString model;
    QList<ContentBlock> content;
    QString stopReason;   // empty while unknown (JSON null)
    QString stopSequence; // empty when null
    Usage usage;
    QJsonObject raw; // the message as received, unknown fields included

    static Message fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
};

} // namespace qlaude
