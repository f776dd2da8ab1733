#include "MessagesTypes.h"

namespace qlaude {

namespace {

QJsonValue stringOrNull(const QString &value)
{
    return value.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(value);
}

void setKnownUsageField(Usage &usage, QStringView key, qint64 value)
{
    if (key == u"input_tokens")
        usage.inputTokens = value;
    else if (key == u"output_tokens")
        usage.outputTokens = value;
    else if (key == u"cache_creation_input_tokens")
        usage.cacheCreationInputTokens = value;
    else if (key == u"cache_read_input_tokens")
        usage.cacheReadInputTokens = value;
}

} // namespace

// ---- Usage -------------------------------------------------------------------------------

Usage Usage::fromJson(const QJsonObject &json)
{
    Usage usage;
    usage.mergeCumulative(json);
    usage.raw = json;
    return usage;
}

QJsonObject Usage::toJson() const
{
    QJsonObject json = raw;
    json.insert(QLatin1String("input_tokens"), inputTokens);
    json.insert(QLatin1String("output_tokens"), outputTokens);
    json.insert(QLatin1String("cache_creation_input_tokens"), cacheCreationInputTokens);
    json.insert(QLatin1String("cache_read_input_tokens"), cacheReadInputTokens);
    return json;
}

void Usage::mergeCumulative(const QJsonObject &update)
{
    for (auto it = update.constBegin(); it != update.constEnd(); ++it) {
        const QJsonValue value = it.value();
        if (value.isNull() || value.isUndefined())
            continue;
        raw.insert(it.key(), value);
        if (value.isDouble())
            setKnownUsageField(*this, it.key(), value.toInteger());
    }
}

// ---- ContentBlock ------------------------------------------------------------------------

QString contentBlockTypeName(ContentBlockType type)
{
    switch (type) {
    case ContentBlockType::Text:
        return QStringLiteral("text");
    case ContentBlockType::Thinking:
        return QStringLiteral("thinking");
    case ContentBlockType::RedactedThinking:
        return QStringLiteral("redacted_thinking");
    case ContentBlockType::ToolUse:
        return QStringLiteral("tool_use");
    case ContentBlockType::ToolResult:
        return QStringLiteral("tool_result");
    case ContentBlockType::Other:
        break;
    }
    return QString();
}

ContentBlockType contentBlockTypeFromName(QStringView name)
{
    if (name == u"text")
        return ContentBlockType::Text;
    if (name == u"thinking")
        return ContentBlockType::Thinking;
    if (name == u"redacted_thinking")
        return ContentBlockType::RedactedThinking;
    if (name == u"tool_use")
        return ContentBlockType::ToolUse;
    if (name == u"tool_result")
        return ContentBlockType::ToolResult;
    return ContentBlockType::Other;
}

QString ContentBlock::typeName() const
{
    if (type == ContentBlockType::Other)
        return raw.value(QLatin1String("type")).toString();
    return contentBlockTypeName(type);
}

ContentBlock ContentBlock::fromJson(const QJsonObject &json)
{
    ContentBlock block;
    block.raw = json;
    block.type = contentBlockTypeFromName(json.value(QLatin1String("type")).toString());
    switch (block.type) {
    case ContentBlockType::Text:
        block.text = json.value(QLatin1String("text")).toString();
        block.citations = json.value(QLatin1String("citations")).toArray();
        break;
    case ContentBlockType::Thinking:
        block.thinking = json.value(QLatin1String("thinking")).toString();
        block.signature = json.value(QLatin1String("signature")).toString();
        break;
    case ContentBlockType::RedactedThinking:
        block.data = json.value(QLatin1String("data")).toString();
        break;
    case ContentBlockType::ToolUse:
        block.id = json.value(QLatin1String("id")).toString();
        block.name = json.value(QLatin1String("name")).toString();
        block.input = json.value(QLatin1String("input"));
        break;
    case ContentBlockType::ToolResult:
        block.toolUseId = json.value(QLatin1String("tool_use_id")).toString();
        block.content = json.value(QLatin1String("content"));
        block.isError = json.value(QLatin1String("is_error")).toBool();
        break;
    case ContentBlockType::Other:
        break;
    }
    return block;
}

QJsonObject ContentBlock::toJson() const
{
    QJsonObject json = raw;
    if (type == ContentBlockType::Other)
        return json;
    json.insert(QLatin1String("type"), contentBlockTypeName(type));
    switch (type) {
    case ContentBlockType::Text:
        json.insert(QLatin1String("text"), text);
        // Cleared citations must not come back from raw: the API rejects citations in some
        // places (user messages), and clearing them is how a caller strips them.
        if (citations.isEmpty())
            json.remove(QLatin1String("citations"));
        else
            json.insert(QLatin1String("citations"), citations);
        break;
    case ContentBlockType::Thinking:
        json.insert(QLatin1String("thinking"), thinking);
        json.insert(QLatin1String("signature"), signature);
        break;
    case ContentBlockType::RedactedThinking:
        json.insert(QLatin1String("data"), data);
        break;
    case ContentBlockType::ToolUse:
        json.insert(QLatin1String("id"), id);
        json.insert(QLatin1String("name"), name);
        json.insert(QLatin1String("input"), input.isUndefined() ? QJsonObject() : input);
        break;
    case ContentBlockType::ToolResult:
        json.insert(QLatin1String("tool_use_id"), toolUseId);
        if (content.isUndefined())
            json.remove(QLatin1String("content"));
        else
            json.insert(QLatin1String("content"), content);
        if (isError)
            json.insert(QLatin1String("is_error"), true);
        else
            json.remove(QLatin1String("is_error"));
        break;
    case ContentBlockType::Other:
        break;
    }
    return json;
}

ContentBlock ContentBlock::makeText(const QString &text)
{
    ContentBlock block;
    block.type = ContentBlockType::Text;
    block.text = text;
    return block;
}

ContentBlock ContentBlock::makeToolUse(const QString &id, const QString &name,
                                       const QJsonObject &input)
{
    ContentBlock block;
    block.type = ContentBlockType::ToolUse;
    block.id = id;
    block.name = name;
    block.input = input;
    return block;
}

ContentBlock ContentBlock::makeToolResult(const QString &toolUseId, const QJsonValue &content,
                                          bool isError)
{
    ContentBlock block;
    block.type = ContentBlockType::ToolResult;
    block.toolUseId = toolUseId;
    block.content = content;
    block.isError = isError;
    return block;
}

// ---- MessageContent / MessageParam -------------------------------------------------------

MessageContent MessageContent::fromJson(const QJsonValue &json)
{
    MessageContent content;
    if (json.isArray()) {
        content.isString = false;
        const QJsonArray array = json.toArray();
        content.blocks.reserve(array.size());
        for (const QJsonValue &entry : array) {
            if (entry.isObject())
                content.blocks.append(ContentBlock::fromJson(entry.toObject()));
        }
    } else {
        content.text = json.toString();
    }
    return content;
}

QJsonValue MessageContent::toJson() const
{
    if (isString)
        return text;
    QJsonArray array;
    for (const ContentBlock &block : blocks)
        array.append(block.toJson());
    return array;
}

MessageParam MessageParam::fromJson(const QJsonObject &json)
{
    MessageParam param;
    param.role = json.value(QLatin1String("role")).toString();
    param.content = MessageContent::fromJson(json.value(QLatin1String("content")));
    return param;
}

QJsonObject MessageParam::toJson() const
{
    QJsonObject json;
    json.insert(QLatin1String("role"), role);
    json.insert(QLatin1String("content"), content.toJson());
    return json;
}

// ---- MessagesRequest ---------------------------------------------------------------------

MessagesRequest MessagesRequest::fromJson(const QJsonObject &json)
{
    MessagesRequest request;
    for (auto it = json.constBegin(); it != json.constEnd(); ++it) {
        const QString key = it.key();
        const QJsonValue value = it.value();
        if (key == u"model") {
            request.model = value.toString();
        } else if (key == u"max_tokens") {
            request.maxTokens = value.toInteger();
        } else if (key == u"messages") {
            const QJsonArray messages = value.toArray();
            for (const QJsonValue &message : messages)
                request.messages.append(MessageParam::fromJson(message.toObject()));
        } else if (key == u"system") {
            request.system = MessageContent::fromJson(value);
        } else if (key == u"stop_sequences") {
            for (const QJsonValue &sequence : value.toArray())
                request.stopSequences.append(sequence.toString());
        } else if (key == u"thinking") {
            request.thinking = value.toObject();
        } else if (key == u"tools") {
            request.tools = value.toArray();
        } else if (key == u"tool_choice") {
            request.toolChoice = value.toObject();
        } else if (key == u"metadata") {
            request.metadata = value.toObject();
        } else if (key == u"stream") {
            request.stream = value.toBool();
        } else {
            request.extra.insert(key, value);
        }
    }
    return request;
}

QJsonObject MessagesRequest::toJson() const
{
    QJsonObject json = extra;
    json.insert(QLatin1String("model"), model);
    json.insert(QLatin1String("max_tokens"), maxTokens);
    QJsonArray messageArray;
    for (const MessageParam &message : messages)
        messageArray.append(message.toJson());
    json.insert(QLatin1String("messages"), messageArray);
    if (!system.isEmpty())
        json.insert(QLatin1String("system"), system.toJson());
    if (!stopSequences.isEmpty())
        json.insert(QLatin1String("stop_sequences"), QJsonArray::fromStringList(stopSequences));
    if (!thinking.isEmpty())
        json.insert(QLatin1String("thinking"), thinking);
    if (!tools.isEmpty())
        json.insert(QLatin1String("tools"), tools);
    if (!toolChoice.isEmpty())
        json.insert(QLatin1String("tool_choice"), toolChoice);
    if (!metadata.isEmpty())
        json.insert(QLatin1String("metadata"), metadata);
    if (stream)
        json.insert(QLatin1String("stream"), true);
    return json;
}

// ---- Message -----------------------------------------------------------------------------

Message Message::fromJson(const QJsonObject &json)
{
    Message message;
    message.raw = json;
    message.id = json.value(QLatin1String("id")).toString();
    message.role = json.value(QLatin1String("role")).toString(QStringLiteral("assistant"));
    message.model = json.value(QLatin1String("model")).toString();
    const QJsonArray content = json.value(QLatin1String("content")).toArray();
    message.content.reserve(content.size());
    for (const QJsonValue &block : content) {
        if (block.isObject())
            message.content.append(ContentBlock::fromJson(block.toObject()));
    }
    message.stopReason = json.value(QLatin1String("stop_reason")).toString();
    message.stopSequence = json.value(QLatin1String("stop_sequence")).toString();
    message.usage = Usage::fromJson(json.value(QLatin1String("usage")).toObject());
    return message;
}

QJsonObject Message::toJson() const
{
    QJsonObject json = raw;
    json.insert(QLatin1String("id"), id);
    json.insert(QLatin1String("type"), QStringLiteral("message"));
    json.insert(QLatin1String("role"), role);
    json.insert(QLatin1String("model"), model);
    QJsonArray contentArray;
    for (const ContentBlock &block : content)
        contentArray.append(block.toJson());
    json.insert(QLatin1String("content"), contentArray);
    json.insert(QLatin1String("stop_reason"), stringOrNull(stopReason));
    json.insert(QLatin1String("stop_sequence"), stringOrNull(stopSequence));
    json.insert(QLatin1String("usage"), usage.toJson());
    return json;
}

} // namespace qlaude
