#include "MessageStreamAssembler.h"

#include "JsonScanner.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonParseError>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::MessageStreamAssembler)
};

QString shortened(QByteArrayView data)
{
    constexpr qsizetype kMaxShown = 200;
    QString text = QString::fromUtf8(data.first(qMin(data.size(), kMaxShown)));
    if (data.size() > kMaxShown)
        text += QChar(0x2026);
    return text;
}

} // namespace

// ---- MessageStreamAssembler ---------------------------------------------------------------

MessageStreamAssembler::MessageStreamAssembler(MessageStreamListener *listener)
    : m_listener(listener)
{
}

void MessageStreamAssembler::reset()
{
    m_message = Message();
    m_blocks.clear();
    m_errorType.clear();
    m_errorMessage.clear();
    m_errorRequestId.clear();
    m_fastPathEvents = 0;
    m_started = false;
    m_stopped = false;
    m_error = false;
    m_serverError = false;
}

const char *MessageStreamAssembler::eventKindName(EventKind kind)
{
    switch (kind) {
    case EventKind::Ping:
        return "ping";
    case EventKind::Error:
        return "error";
    case EventKind::MessageStart:
        return "message_start";
    case EventKind::BlockStart:
        return "content_block_start";
    case EventKind::BlockDelta:
        return "content_block_delta";
    case EventKind::BlockStop:
        return "content_block_stop";
    case EventKind::MessageDelta:
        return "message_delta";
    case EventKind::MessageStop:
        return "message_stop";
    case EventKind::Unknown:
        break;
    }
    return "an unknown event";
}

MessageStreamAssembler::EventKind MessageStreamAssembler::eventKind(QByteArrayView name)
{
    if (equals(name, "content_block_delta"))
        return EventKind::BlockDelta;
    if (equals(name, "ping"))
        return EventKind::Ping;
    if (equals(name, "error"))
        return EventKind::Error;
    if (equals(name, "message_start"))
        return EventKind::MessageStart;
    if (equals(name, "content_block_start"))
        return EventKind::BlockStart;
    if (equals(name, "content_block_stop"))
        return EventKind::BlockStop;
    if (equals(name, "message_delta"))
        return EventKind::MessageDelta;
    if (equals(name, "message_stop"))
        return EventKind::MessageStop;
    return EventKind::Unknown;
}

bool MessageStreamAssembler::feed(QByteArrayView eventName, QByteArrayView data)
{
    if (m_error)
        return false;
    const bool named = !eventName.isEmpty();
    EventKind kind = named ? eventKind(eventName) : EventKind::Unknown;
    if (kind == EventKind::Ping)
        return true;
    if (named && kind == EventKind::Unknown)
        return true; // a newer event kind; the versioning policy says to ignore it

    if ((!named || kind == EventKind::BlockDelta) && tryFastDelta(data))
        return !m_error;

    QJsonParseError parseError;
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArray::fromRawData(data.data(), data.size()), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        if (kind == EventKind::Error) {
            return failFromServer(QStringLiteral("api_error"),
                                  Tr::tr("The server reported an error in the response "
                                         "stream: %1")
                                      .arg(shortened(data)),
                                  QString());
        }
        const QString reason = parseError.error != QJsonParseError::NoError
                                   ? parseError.errorString()
                                   : Tr::tr("not an object");
        return fail(Tr::tr("The response stream contained an event that is not valid "
                           "JSON (%1 at offset %2): %3")
                        .arg(reason)
                        .arg(parseError.offset)
                        .arg(shortened(data)));
    }
    const QJsonObject event = document.object();
    const QString type = event.value(QLatin1String("type")).toString();
    // An error is never dropped, whatever the event is called.
    if (kind == EventKind::Error || type == u"error")
        return handleServerError(event);
    if (!named)
        kind = eventKind(type.toUtf8());
    return handleEvent(kind, event);
}

bool MessageStreamAssembler::tryFastDelta(QByteArrayView data)
{
    if (!m_started || m_stopped)
        return false;
    FastDelta delta;
    if (!scanContentBlockDelta(data, delta))
        return false;
    if (delta.index >= m_blocks.size() || !m_blocks.at(delta.index).open)
        return false;
    const int index = int(delta.index);
    ContentBlock &block = m_message.content[index];
    switch (delta.kind) {
    case 0: {
        if (block.type != ContentBlockType::Text)
            return false;
        const qsizetype oldSize = block.text.size();
        if (!appendDecodedUtf16(block.text, delta.string, delta.stringEnd))
            return false;
        ++m_fastPathEvents;
        if (m_listener)
            m_listener->textDelta(index, QStringView(block.text).sliced(oldSize));
        return true;
    }
    case 1: {
        if (block.type != ContentBlockType::Thinking)
            return false;
        const qsizetype oldSize = block.thinking.size();
        if (!appendDecodedUtf16(block.thinking, delta.string, delta.stringEnd))
            return false;
        ++m_fastPathEvents;
        if (m_listener)
            m_listener->thinkingDelta(index, QStringView(block.thinking).sliced(oldSize));
        return true;
    }
    case 2: {
        BlockState &state = m_blocks[index];
        if (!state.tracksInput)
            return false;
        const qsizetype oldSize = state.partialJson.size();
        if (!appendDecodedUtf8(state.partialJson, delta.string, delta.stringEnd))
            return false;
        ++m_fastPathEvents;
        if (m_listener)
            m_listener->toolInputDelta(index, QByteArrayView(state.partialJson).sliced(oldSize));
        return true;
    }
    default:
        return false;
    }
}

bool MessageStreamAssembler::handleEvent(EventKind kind, const QJsonObject &event)
{
    if (kind == EventKind::Unknown || kind == EventKind::Ping || kind == EventKind::Error)
        return true; // newer kinds are ignored; errors were handled by feed()
    if (m_stopped)
        return true; // nothing may change a finished message
    if (kind != EventKind::MessageStart && !m_started) {
        return fail(Tr::tr("The response stream sent %1 before message_start.")
                        .arg(QLatin1String(eventKindName(kind))));
    }
    switch (kind) {
    case EventKind::MessageStart:
        return handleMessageStart(event);
    case EventKind::BlockStart:
        return handleBlockStart(event);
    case EventKind::BlockDelta:
        return handleBlockDelta(event);
    case EventKind::BlockStop:
        return handleBlockStop(event);
    case EventKind::MessageDelta:
        return handleMessageDelta(event);
    case EventKind::MessageStop:
        m_stopped = true;
        if (m_listener)
            m_listener->messageStopped(m_message);
        return true;
    case EventKind::Unknown:
    case EventKind::Ping:
    case EventKind::Error:
        break;
    }
    return true;
}

bool MessageStreamAssembler::handleMessageStart(const QJsonObject &event)
{
    if (m_started)
        return fail(Tr::tr("The response stream sent a second message_start."));
    const QJsonValue message = event.value(QLatin1String("message"));
    if (!message.isObject())
        return fail(Tr::tr("The response stream sent a message_start without a message."));
    m_message = Message::fromJson(message.toObject());
    m_blocks = QList<BlockState>(m_message.content.size());
    m_started = true;
    if (m_listener)
        m_listener->messageStarted(m_message);
    return true;
}

bool MessageStreamAssembler::handleBlockStart(const QJsonObject &event)
{
    const QJsonValue indexValue = event.value(QLatin1String("index"));
    const QJsonValue blockValue = event.value(QLatin1String("content_block"));
    if (!indexValue.isDouble() || !blockValue.isObject())
        return fail(Tr::tr("The response stream sent a malformed content_block_start."));
    const qint64 index = indexValue.toInteger(-1);
    if (index != m_message.content.size()) {
        return fail(Tr::tr("The response stream started content block %1 where block %2 "
                           "was expected.")
                        .arg(indexValue.toDouble())
                        .arg(m_message.content.size()));
    }
    ContentBlock block = ContentBlock::fromJson(blockValue.toObject());
    BlockState state;
    state.open = true;
    // server_tool_use and mcp_tool_use stream their input like tool_use does.
    state.tracksInput =
        block.type == ContentBlockType::ToolUse ||
        (block.type == ContentBlockType::Other && block.raw.contains(QLatin1String("input")));
    m_message.content.append(block);
    m_blocks.append(state);
    if (m_listener)
        m_listener->blockStarted(int(index), m_message.content.constLast());
    return true;
}

int MessageStreamAssembler::openBlockIndex(const QJsonObject &event, const char *eventName)
{
    const QJsonValue indexValue = event.value(QLatin1String("index"));
    const qint64 index = indexValue.isDouble() ? indexValue.toInteger(-1) : -1;
    if (index < 0 || index >= m_blocks.size()) {
        fail(Tr::tr("The response stream sent %1 for content block %2, which was never "
                    "started.")
                 .arg(QLatin1String(eventName), indexValue.toVariant().toString()));
        return -1;
    }
    if (!m_blocks.at(index).open) {
        fail(Tr::tr("The response stream sent %1 for content block %2 after it ended.")
                 .arg(QLatin1String(eventName))
                 .arg(index));
        return -1;
    }
    return int(index);
}

bool MessageStreamAssembler::handleBlockDelta(const QJsonObject &event)
{
    const int index = openBlockIndex(event, "content_block_delta");
    if (index < 0)
        return false;
    const QJsonObject delta = event.value(QLatin1String("delta")).toObject();
    const QString deltaType = delta.value(QLatin1String("type")).toString();
    ContentBlock &block = m_message.content[index];

    const auto requireString = [&](QLatin1String field, bool blockMatches, QString &value) -> bool {
        const QJsonValue fieldValue = delta.value(field);
        if (!blockMatches || !fieldValue.isString()) {
            return fail(Tr::tr("The response stream sent a %1 that does not fit content "
                               "block %2 (a %3 block).")
                            .arg(deltaType)
                            .arg(index)
                            .arg(block.typeName()));
        }
        value = fieldValue.toString();
        return true;
    };

    QString value;
    if (deltaType == u"text_delta") {
        if (!requireString(QLatin1String("text"), block.type == ContentBlockType::Text, value))
            return false;
        appendText(index, value);
    } else if (deltaType == u"thinking_delta") {
        if (!requireString(QLatin1String("thinking"), block.type == ContentBlockType::Thinking,
                           value))
            return false;
        appendThinking(index, value);
    } else if (deltaType == u"signature_delta") {
        if (!requireString(QLatin1String("signature"), block.type == ContentBlockType::Thinking,
                           value))
            return false;
        block.signature = value; // replaces: the signature is sent whole
        if (m_listener)
            m_listener->signatureSet(index, block.signature);
    } else if (deltaType == u"input_json_delta") {
        if (!requireString(QLatin1String("partial_json"), m_blocks.at(index).tracksInput, value))
            return false;
        appendInputJson(index, value.toUtf8());
    } else if (deltaType == u"citations_delta") {
        const QJsonValue citation = delta.value(QLatin1String("citation"));
        if (block.type != ContentBlockType::Text || !citation.isObject()) {
            return fail(Tr::tr("The response stream sent a citations_delta that does not "
                               "fit content block %1 (a %2 block).")
                            .arg(index)
                            .arg(block.typeName()));
        }
        block.citations.append(citation);
        if (m_listener)
            m_listener->citationAdded(index, citation.toObject());
    }
    // Other delta types are newer than this client: ignored.
    return true;
}

void MessageStreamAssembler::appendText(int index, QStringView text)
{
    QString &target = m_message.content[index].text;
    const qsizetype oldSize = target.size();
    reserveForAppend(target, text.size());
    target.append(text);
    if (m_listener)
        m_listener->textDelta(index, QStringView(target).sliced(oldSize));
}

void MessageStreamAssembler::appendThinking(int index, QStringView thinking)
{
    QString &target = m_message.content[index].thinking;
    const qsizetype oldSize = target.size();
    reserveForAppend(target, thinking.size());
    target.append(thinking);
    if (m_listener)
        m_listener->thinkingDelta(index, QStringView(target).sliced(oldSize));
}

void MessageStreamAssembler::appendInputJson(int index, QByteArrayView partialJson)
{
    QByteArray &target = m_blocks[index].partialJson;
    const qsizetype oldSize = target.size();
    reserveForAppend(target, partialJson.size());
    target.append(partialJson);
    if (m_listener)
        m_listener->toolInputDelta(index, QByteArrayView(target).sliced(oldSize));
}

bool MessageStreamAssembler::handleBlockStop(const QJsonObject &event)
{
    const int index = openBlockIndex(event, "content_block_stop");
    if (index < 0)
        return false;
    BlockState &state = m_blocks[index];
    ContentBlock &block = m_message.content[index];
    if (state.tracksInput) {
        QJsonValue input = QJsonObject();
        if (!state.partialJson.isEmpty()) {
            QJsonParseError parseError;
            const QJsonDocument document = QJsonDocument::fromJson(state.partialJson, &parseError);
            if (parseError.error != QJsonParseError::NoError) {
                return fail(Tr::tr("The input of tool call %1 (content block %2) is not "
                                   "valid JSON: %3 at offset %4.")
                                .arg(block.name.isEmpty() ? block.typeName() : block.name)
                                .arg(index)
                                .arg(parseError.errorString())
                                .arg(parseError.offset));
            }
            input =
                document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array());
        }
        block.input = input;
        if (block.type == ContentBlockType::Other)
            block.raw.insert(QLatin1String("input"), input);
        state.partialJson = QByteArray();
    }
    state.open = false;
    if (m_listener)
        m_listener->blockStopped(index, block);
    return true;
}

bool MessageStreamAssembler::handleMessageDelta(const QJsonObject &event)
{
    const QJsonObject delta = event.value(QLatin1String("delta")).toObject();
    for (auto it = delta.constBegin(); it != delta.constEnd(); ++it) {
        if (it.key() == u"stop_reason")
            m_message.stopReason = it.value().toString();
        else if (it.key() == u"stop_sequence")
            m_message.stopSequence = it.value().toString();
        m_message.raw.insert(it.key(), it.value()); // stop_details, container, ...
    }
    const QJsonValue usage = event.value(QLatin1String("usage"));
    if (usage.isObject())
        m_message.usage.mergeCumulative(usage.toObject());
    if (m_listener)
        m_listener->messageDelta(m_message.stopReason, m_message.usage);
    return true;
}

bool MessageStreamAssembler::handleServerError(const QJsonObject &event)
{
    const QJsonObject error = event.value(QLatin1String("error")).toObject();
    QString type = error.value(QLatin1String("type")).toString();
    if (type.isEmpty())
        type = QStringLiteral("api_error");
    QString message = error.value(QLatin1String("message")).toString();
    if (message.isEmpty())
        message = Tr::tr("The server reported an error (%1) in the response stream.").arg(type);
    QString requestId = event.value(QLatin1String("request_id")).toString();
    if (requestId.isEmpty())
        requestId = error.value(QLatin1String("request_id")).toString();
    return failFromServer(type, message, requestId);
}

bool MessageStreamAssembler::fail(const QString &message)
{
    m_error = true;
    m_serverError = false;
    m_errorType = decodeErrorType();
    m_errorMessage = message;
    m_errorRequestId.clear();
    if (m_listener)
        m_listener->errorOccurred(m_errorType, m_errorMessage, m_errorRequestId);
    return false;
}

bool MessageStreamAssembler::failFromServer(const QString &type, const QString &message,
                                            const QString &requestId)
{
    m_error = true;
    m_serverError = true;
    m_errorType = type;
    m_errorMessage = message;
    m_errorRequestId = requestId;
    if (m_listener)
        m_listener->errorOccurred(m_errorType, m_errorMessage, m_errorRequestId);
    return false;
}

} // namespace qlaude
