#include "FakeResponse.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>

namespace qlaude::fakes {

namespace {

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// Pieces whose concatenation is text, each starting at a word: "Hi there" -> "Hi", " there".
QStringList wordPieces(const QString &text)
{
    QStringList pieces;
    QString piece;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i) == QLatin1Char(' ') && i > 0 && text.at(i - 1) != QLatin1Char(' ') &&
            !piece.isEmpty()) {
            pieces.append(piece);
            piece.clear();
        }
        piece += text.at(i);
    }
    if (!piece.isEmpty())
        pieces.append(piece);
    return pieces;
}

int wordCount(const QString &text)
{
    static const QRegularExpression space(QStringLiteral("\\s+"));
    return int(text.split(space, Qt::SkipEmptyParts).size());
}

// "string" or [{"type":"text","text":...}, ...]: all the text it holds, one block a line.
QString contentText(const QJsonValue &content)
{
    if (content.isString())
        return content.toString();
    QStringList texts;
    const QJsonArray blocks = content.toArray();
    for (const QJsonValue &block : blocks) {
        if (block.toObject().value(QLatin1String("type")).toString() == QLatin1String("text"))
            texts.append(block.toObject().value(QLatin1String("text")).toString());
    }
    return texts.join(QLatin1Char('\n'));
}

QString defaultErrorType(int status)
{
    switch (status) {
    case 401:
        return QStringLiteral("authentication_error");
    case 402:
        return QStringLiteral("billing_error");
    case 403:
        return QStringLiteral("permission_error");
    case 404:
        return QStringLiteral("not_found_error");
    case 409:
        return QStringLiteral("conflict_error");
    case 413:
        return QStringLiteral("request_too_large");
    case 429:
        return QStringLiteral("rate_limit_error");
    case 504:
        return QStringLiteral("timeout_error");
    case 529:
        return QStringLiteral("overloaded_error");
    default:
        return status >= 500 ? QStringLiteral("api_error")
                             : QStringLiteral("invalid_request_error");
    }
}

QString defaultErrorMessage(int status)
{
    switch (status) {
    case 401:
        return QStringLiteral("invalid x-api-key");
    case 402:
        return QStringLiteral("Your credit balance is too low to access the Anthropic API.");
    case 403:
        return QStringLiteral(
            "Your API key does not have permission to use the specified resource.");
    case 404:
        return QStringLiteral("The requested resource could not be found.");
    case 409:
        return QStringLiteral("Conflict");
    case 413:
        return QStringLiteral("Request exceeds the maximum allowed number of bytes.");
    case 429:
        return QStringLiteral("Number of request tokens has exceeded your per-minute rate limit");
    case 504:
        return QStringLiteral("Request timeout");
    case 529:
        return QStringLiteral("Overloaded");
    default:
        return status >= 500 ? QStringLiteral("Internal server error")
                             : QStringLiteral("Invalid request");
    }
}

QJsonObject errorObject(const QString &type, const QString &message)
{
    return QJsonObject{{QStringLiteral("type"), type}, {QStringLiteral("message"), message}};
}

} // namespace

SseEvent SseEvent::json(const QByteArray &name, const QJsonObject &data)
{
    return SseEvent{name, compact(data)};
}

FakeResponse FakeResponse::message()
{
    return FakeResponse(Kind::Message);
}

FakeResponse FakeResponse::text(const QString &text)
{
    return message().addText(text);
}

FakeResponse FakeResponse::templatedText(const QString &textTemplate)
{
    FakeResponse r = text(textTemplate);
    r.m_templated = true;
    return r;
}

FakeResponse &FakeResponse::addText(const QString &text)
{
    m_blocks.append(Block{QStringLiteral("text"), text, QString(), {}});
    return *this;
}

FakeResponse &FakeResponse::addThinking(const QString &thinking, const QString &signature)
{
    m_blocks.append(Block{QStringLiteral("thinking"), thinking, signature, {}});
    return *this;
}

FakeResponse &FakeResponse::addToolUse(const QString &id, const QString &name,
                                       const QStringList &partialJson)
{
    m_blocks.append(Block{QStringLiteral("tool_use"), name, id, partialJson});
    return *this;
}

FakeResponse &FakeResponse::setUsage(int inputTokens, int outputTokens)
{
    m_inputTokens = inputTokens;
    m_outputTokens = outputTokens;
    return *this;
}

FakeResponse &FakeResponse::setStopReason(const QString &stopReason)
{
    m_stopReason = stopReason;
    return *this;
}

FakeResponse FakeResponse::sse(const QList<SseEvent> &events)
{
    FakeResponse r(Kind::Sse);
    r.m_events = events;
    return r;
}

FakeResponse FakeResponse::rawSse(const QByteArray &body)
{
    FakeResponse r(Kind::RawSse);
    r.m_rawBody = body;
    return r;
}

FakeResponse FakeResponse::json(const QJsonObject &body, int status)
{
    FakeResponse r(Kind::Json);
    r.m_json = body;
    r.m_status = status;
    return r;
}

FakeResponse FakeResponse::error(int status, const QString &type, const QString &message)
{
    FakeResponse r(Kind::Error);
    r.m_status = status;
    r.m_errorType = type.isEmpty() ? defaultErrorType(status) : type;
    r.m_errorMessage = message.isEmpty() ? defaultErrorMessage(status) : message;
    return r;
}

FakeResponse FakeResponse::dropConnection()
{
    return FakeResponse(Kind::Drop);
}

FakeResponse FakeResponse::resetConnection()
{
    return FakeResponse(Kind::Reset);
}

FakeResponse FakeResponse::stallConnection()
{
    return FakeResponse(Kind::Stall);
}

FakeResponse &FakeResponse::withHeader(const QByteArray &name, const QByteArray &value)
{
    m_headers.append({name, value});
    return *this;
}

FakeResponse &FakeResponse::withRetryAfterMs(double milliseconds)
{
    return withHeader("retry-after-ms", QByteArray::number(milliseconds, 'g', 15));
}

FakeResponse &FakeResponse::withRetryAfterSeconds(int seconds)
{
    return withHeader("retry-after", QByteArray::number(seconds));
}

FakeResponse &FakeResponse::withRetryAfterDate(const QDateTime &at)
{
    const QString date =
        QLocale::c().toString(at.toUTC(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"));
    return withHeader("retry-after", date.toLatin1());
}

FakeResponse &FakeResponse::withShouldRetry(bool retry)
{
    return withHeader("x-should-retry", retry ? "true" : "false");
}

FakeResponse &FakeResponse::withStreamError(int afterEvents, const QString &type,
                                            const QString &message)
{
    m_streamErrorAfter = afterEvents;
    m_streamErrorType = type;
    m_streamErrorMessage = message;
    return *this;
}

FakeResponse &FakeResponse::withBrokenJson(int eventIndex)
{
    m_brokenEvent = eventIndex;
    return *this;
}

FakeResponse &FakeResponse::cut(CutUnit unit, qint64 at,
                                HttpResponsePlan::Interruption interruption)
{
    m_cutUnit = unit;
    m_cutAt = qMax<qint64>(0, at);
    m_interruption = interruption;
    return *this;
}

FakeResponse &FakeResponse::dropAfterBytes(qint64 bytes)
{
    return cut(CutUnit::Bytes, bytes, HttpResponsePlan::Interruption::Drop);
}

FakeResponse &FakeResponse::dropAfterEvents(int events)
{
    return cut(CutUnit::Events, events, HttpResponsePlan::Interruption::Drop);
}

FakeResponse &FakeResponse::stallAfterBytes(qint64 bytes)
{
    return cut(CutUnit::Bytes, bytes, HttpResponsePlan::Interruption::Stall);
}

FakeResponse &FakeResponse::stallAfterEvents(int events)
{
    return cut(CutUnit::Events, events, HttpResponsePlan::Interruption::Stall);
}

FakeResponse &FakeResponse::resetAfterBytes(qint64 bytes)
{
    return cut(CutUnit::Bytes, bytes, HttpResponsePlan::Interruption::Reset);
}

int FakeResponse::countTokens(const QJsonObject &request)
{
    int words = wordCount(contentText(request.value(QLatin1String("system"))));
    const QJsonArray messages = request.value(QLatin1String("messages")).toArray();
    for (const QJsonValue &m : messages)
        words += wordCount(contentText(m.toObject().value(QLatin1String("content"))));
    return qMax(1, words);
}

QString FakeResponse::blockText(const Block &block, const Context &context) const
{
    if (!m_templated)
        return block.text;
    QString prompt;
    const QJsonArray messages = context.request.value(QLatin1String("messages")).toArray();
    for (const QJsonValue &m : messages) {
        if (m.toObject().value(QLatin1String("role")).toString() == QLatin1String("user"))
            prompt = contentText(m.toObject().value(QLatin1String("content")));
    }
    QString text = block.text;
    text.replace(QLatin1String("{model}"),
                 context.request.value(QLatin1String("model")).toString());
    text.replace(QLatin1String("{prompt}"), prompt);
    return text;
}

QList<SseEvent> FakeResponse::messageEvents(const Context &context) const
{
    const QJsonObject full = messageJson(context);
    QJsonObject start = full;
    start[QStringLiteral("content")] = QJsonArray();
    start[QStringLiteral("stop_reason")] = QJsonValue::Null;
    QJsonObject startUsage = full.value(QLatin1String("usage")).toObject();
    startUsage[QStringLiteral("output_tokens")] = 1;
    start[QStringLiteral("usage")] = startUsage;

    QList<SseEvent> events;
    events.append(
        SseEvent::json("message_start", {{QStringLiteral("type"), QStringLiteral("message_start")},
                                         {QStringLiteral("message"), start}}));
    auto delta = [&events](int index, const QJsonObject &d) {
        events.append(SseEvent::json(
            "content_block_delta", {{QStringLiteral("type"), QStringLiteral("content_block_delta")},
                                    {QStringLiteral("index"), index},
                                    {QStringLiteral("delta"), d}}));
    };
    for (int i = 0; i < m_blocks.size(); ++i) {
        const Block &b = m_blocks.at(i);
        QJsonObject startBlock{{QStringLiteral("type"), b.type}};
        if (b.type == QLatin1String("text")) {
            startBlock[QStringLiteral("text")] = QString();
        } else if (b.type == QLatin1String("thinking")) {
            startBlock[QStringLiteral("thinking")] = QString();
            startBlock[QStringLiteral("signature")] = QString();
        } else {
            startBlock[QStringLiteral("id")] = b.extra;
            startBlock[QStringLiteral("name")] = b.text;
            startBlock[QStringLiteral("input")] = QJsonObject();
        }
        events.append(SseEvent::json(
            "content_block_start", {{QStringLiteral("type"), QStringLiteral("content_block_start")},
                                    {QStringLiteral("index"), i},
                                    {QStringLiteral("content_block"), startBlock}}));
        if (i == 0) // the API sends a ping early in every stream
            events.append(
                SseEvent::json("ping", {{QStringLiteral("type"), QStringLiteral("ping")}}));
        if (b.type == QLatin1String("text")) {
            for (const QString &piece : wordPieces(blockText(b, context)))
                delta(i, {{QStringLiteral("type"), QStringLiteral("text_delta")},
                          {QStringLiteral("text"), piece}});
        } else if (b.type == QLatin1String("thinking")) {
            for (const QString &piece : wordPieces(b.text))
                delta(i, {{QStringLiteral("type"), QStringLiteral("thinking_delta")},
                          {QStringLiteral("thinking"), piece}});
            delta(i, {{QStringLiteral("type"), QStringLiteral("signature_delta")},
                      {QStringLiteral("signature"), b.extra}});
        } else {
            for (const QString &piece : b.partialJson)
                delta(i, {{QStringLiteral("type"), QStringLiteral("input_json_delta")},
                          {QStringLiteral("partial_json"), piece}});
        }
        events.append(SseEvent::json(
            "content_block_stop", {{QStringLiteral("type"), QStringLiteral("content_block_stop")},
                                   {QStringLiteral("index"), i}}));
    }
    const QJsonObject usage = full.value(QLatin1String("usage")).toObject();
    events.append(SseEvent::json(
        "message_delta",
        {{QStringLiteral("type"), QStringLiteral("message_delta")},
         {QStringLiteral("delta"),
          QJsonObject{{QStringLiteral("stop_reason"), full.value(QLatin1String("stop_reason"))},
                      {QStringLiteral("stop_sequence"), QJsonValue::Null}}},
         {QStringLiteral("usage"), QJsonObject{{QStringLiteral("output_tokens"),
                                                usage.value(QLatin1String("output_tokens"))}}}}));
    events.append(
        SseEvent::json("message_stop", {{QStringLiteral("type"), QStringLiteral("message_stop")}}));
    return events;
}

QJsonObject FakeResponse::messageJson(const Context &context) const
{
    QJsonArray content;
    int outputWords = 0;
    bool usesTool = false;
    for (const Block &b : m_blocks) {
        if (b.type == QLatin1String("text")) {
            const QString text = blockText(b, context);
            outputWords += wordCount(text);
            content.append(
                QJsonObject{{QStringLiteral("type"), b.type}, {QStringLiteral("text"), text}});
        } else if (b.type == QLatin1String("thinking")) {
            outputWords += wordCount(b.text);
            content.append(QJsonObject{{QStringLiteral("type"), b.type},
                                       {QStringLiteral("thinking"), b.text},
                                       {QStringLiteral("signature"), b.extra}});
        } else {
            usesTool = true;
            const QByteArray input = b.partialJson.join(QString()).toUtf8();
            const QJsonDocument doc = QJsonDocument::fromJson(input.isEmpty() ? "{}" : input);
            if (!doc.isObject())
                qWarning("FakeResponse: the tool_use input pieces do not form a JSON object");
            content.append(QJsonObject{{QStringLiteral("type"), b.type},
                                       {QStringLiteral("id"), b.extra},
                                       {QStringLiteral("name"), b.text},
                                       {QStringLiteral("input"), doc.object()}});
        }
    }
    const QString model = context.request.value(QLatin1String("model")).toString();
    const QString stopReason = !m_stopReason.isEmpty() ? m_stopReason
                               : usesTool              ? QStringLiteral("tool_use")
                                                       : QStringLiteral("end_turn");
    const QJsonObject usage{{QStringLiteral("input_tokens"),
                             m_inputTokens >= 0 ? m_inputTokens : countTokens(context.request)},
                            {QStringLiteral("output_tokens"),
                             m_outputTokens >= 0 ? m_outputTokens : qMax(1, outputWords)},
                            {QStringLiteral("cache_creation_input_tokens"), 0},
                            {QStringLiteral("cache_read_input_tokens"), 0}};
    return QJsonObject{
        {QStringLiteral("id"), QStringLiteral("msg_fake_%1").arg(context.sequence)},
        {QStringLiteral("type"), QStringLiteral("message")},
        {QStringLiteral("role"), QStringLiteral("assistant")},
        {QStringLiteral("model"), model.isEmpty() ? QStringLiteral("claude-fake") : model},
        {QStringLiteral("content"), content},
        {QStringLiteral("stop_reason"), stopReason},
        {QStringLiteral("stop_sequence"), QJsonValue::Null},
        {QStringLiteral("usage"), usage}};
}

HttpResponsePlan FakeResponse::render(const Context &context) const
{
    HttpResponsePlan plan;
    QList<SseEvent> events;
    bool isSse = false;
    switch (m_kind) {
    case Kind::Drop:
    case Kind::Stall:
    case Kind::Reset:
        plan.sendHead = false;
        plan.interruption = m_kind == Kind::Drop    ? HttpResponsePlan::Interruption::Drop
                            : m_kind == Kind::Stall ? HttpResponsePlan::Interruption::Stall
                                                    : HttpResponsePlan::Interruption::Reset;
        return plan;
    case Kind::Json:
        plan.status = m_status;
        plan.body = compact(m_json);
        break;
    case Kind::Error:
        plan.status = m_status;
        plan.body =
            compact({{QStringLiteral("type"), QStringLiteral("error")},
                     {QStringLiteral("error"), errorObject(m_errorType, m_errorMessage)},
                     {QStringLiteral("request_id"), QString::fromLatin1(context.requestId)}});
        break;
    case Kind::Message:
        if (context.request.value(QLatin1String("stream")).toBool()) {
            events = messageEvents(context);
            isSse = true;
        } else {
            plan.body = compact(messageJson(context));
        }
        break;
    case Kind::Sse:
        events = m_events;
        isSse = true;
        break;
    case Kind::RawSse:
        plan.body = m_rawBody;
        isSse = true;
        break;
    }

    if (isSse) {
        if (m_streamErrorAfter >= 0) {
            events = events.mid(0, m_streamErrorAfter);
            events.append(SseEvent::json(
                "error",
                {{QStringLiteral("type"), QStringLiteral("error")},
                 {QStringLiteral("error"), errorObject(m_streamErrorType, m_streamErrorMessage)}}));
        }
        if (m_brokenEvent >= events.size())
            qWarning("FakeResponse: withBrokenJson(%d) names an event past the end of the stream",
                     m_brokenEvent);
        else if (m_brokenEvent >= 0)
            events[m_brokenEvent].data.truncate(events[m_brokenEvent].data.size() / 2);
        const QByteArray eol = context.lineEnding == SseLineEnding::CrLf ? "\r\n"
                               : context.lineEnding == SseLineEnding::Cr ? "\r"
                                                                         : "\n";
        for (const SseEvent &e : std::as_const(events)) {
            if (!e.name.isEmpty())
                plan.body += "event: " + e.name + eol;
            for (const QByteArray &line : e.data.split('\n'))
                plan.body += "data: " + line + eol;
            plan.body += eol;
            plan.eventEnds.append(plan.body.size());
        }
        plan.chunked = true;
        plan.headers.append(
            qMakePair(QByteArray("content-type"), QByteArray("text/event-stream; charset=utf-8")));
        plan.headers.append(qMakePair(QByteArray("cache-control"), QByteArray("no-cache")));
    } else {
        plan.headers.append(qMakePair(QByteArray("content-type"), QByteArray("application/json")));
    }
    plan.headers += m_headers;

    if (m_cutUnit == CutUnit::Bytes) {
        plan.stopAt = qMin<qint64>(m_cutAt, plan.body.size());
    } else if (m_cutUnit == CutUnit::Events) {
        plan.stopAt = m_cutAt >= plan.eventEnds.size() ? plan.body.size()
                      : m_cutAt == 0                   ? 0
                                                       : plan.eventEnds.at(m_cutAt - 1);
    }
    plan.interruption = m_interruption;
    return plan;
}

} // namespace qlaude::fakes
