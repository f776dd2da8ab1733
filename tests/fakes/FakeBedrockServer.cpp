#include "FakeBedrockServer.h"

#include "EventStreamEncoder.h"
#include "SigV4Check.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

namespace qlaude::fakes {

namespace {
QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

FakeBedrockResponse FakeBedrockResponse::answer(const QString &text)
{
    FakeBedrockResponse r;
    r.text = text;
    return r;
}

FakeBedrockResponse FakeBedrockResponse::exception(const QByteArray &type,
                                                   const QByteArray &message,
                                                   const QString &textFirst)
{
    FakeBedrockResponse r;
    r.kind = Kind::Exception;
    r.errorType = type;
    r.message = message;
    r.text = textFirst;
    return r;
}

FakeBedrockResponse FakeBedrockResponse::httpError(int status, const QByteArray &type,
                                                   const QByteArray &message)
{
    FakeBedrockResponse r;
    r.kind = Kind::HttpError;
    r.status = status;
    r.errorType = type;
    r.message = message;
    return r;
}

FakeBedrockResponse FakeBedrockResponse::drop(const QString &text)
{
    FakeBedrockResponse r;
    r.kind = Kind::Drop;
    r.text = text;
    return r;
}

FakeBedrockServer::FakeBedrockServer(QObject *parent) : FakeServerBase(parent) {}

QByteArray FakeBedrockServer::encodeAnswer(const QString &text, int cutAfterContentFrames)
{
    QByteArray out;
    out += EventStreamEncoder::chunkEvent(
        json({{"type", "message_start"},
              {"message",
               QJsonObject{{"id", "msg_bdrk_fake"},
                           {"type", "message"},
                           {"role", "assistant"},
                           {"model", "claude-sonnet-4-5-20250929"},
                           {"content", QJsonArray()},
                           {"stop_reason", QJsonValue()},
                           {"usage", QJsonObject{{"input_tokens", 5}, {"output_tokens", 1}}}}}}));
    out += EventStreamEncoder::chunkEvent(
        json({{"type", "content_block_start"},
              {"index", 0},
              {"content_block", QJsonObject{{"type", "text"}, {"text", ""}}}}));
    int frames = 0;
    const QStringList words = text.split(QLatin1Char(' '));
    for (int i = 0; i < words.size(); ++i) {
        const QString piece = (i ? QStringLiteral(" ") : QString()) + words.at(i);
        out += EventStreamEncoder::chunkEvent(
            json({{"type", "content_block_delta"},
                  {"index", 0},
                  {"delta", QJsonObject{{"type", "text_delta"}, {"text", piece}}}}));
        if (++frames == cutAfterContentFrames)
            return out;
    }
    out += EventStreamEncoder::chunkEvent(json({{"type", "content_block_stop"}, {"index", 0}}));
    out += EventStreamEncoder::chunkEvent(
        json({{"type", "message_delta"},
              {"delta", QJsonObject{{"stop_reason", "end_turn"}, {"stop_sequence", QJsonValue()}}},
              {"usage", QJsonObject{{"output_tokens", int(words.size())}}}}));
    out += EventStreamEncoder::chunkEvent(json(
        {{"type", "message_stop"},
         {"amazon-bedrock-invocationMetrics", QJsonObject{{"inputTokenCount", 5},
                                                          {"outputTokenCount", int(words.size())},
                                                          {"invocationLatency", 120},
                                                          {"firstByteLatency", 40}}}}));
    return out;
}

QString FakeBedrockServer::checkAuth(const HttpRequest &request) const
{
    const QByteArray auth = request.header("authorization");
    if (m_noAuth)
        return QString();
    if (!m_bearer.isEmpty()) {
        if (auth != "Bearer " + m_bearer)
            return QStringLiteral("UnrecognizedClientException:The API key is not valid");
        return QString();
    }
    return checkSigV4(request.method, request.target, request.headers, request.body, m_credentials,
                      m_region, QStringLiteral("bedrock"));
}

void FakeBedrockServer::respondError(FakeHttpConnection *connection, ReceivedRequest &record,
                                     int status, const QByteArray &type, const QByteArray &message)
{
    HttpResponsePlan plan;
    plan.status = status;
    plan.headers = {{"content-type", "application/json"},
                    {"x-amzn-requestid", record.requestId},
                    {"x-amzn-errortype", type + ":http://internal.amazon.com/coral/com.amazon."
                                                "bedrock/"}};
    plan.body = json({{"message", QString::fromUtf8(message)}});
    record.responseStatus = status;
    m_requests.append(record);
    connection->respond(plan, FakeHttpConnection::WriteOptions());
}

void FakeBedrockServer::handleRequest(FakeHttpConnection *connection, const HttpRequest &request)
{
    ReceivedRequest record = makeRecord(connection, request);
    m_lastRejection.clear();
    // /model/{id}/invoke-with-response-stream, the id one segment of the raw target.
    const QList<QByteArray> segments = request.target.split('?').first().split('/');
    if (request.method != "POST" || segments.size() != 4 || segments.at(1) != "model" ||
        (segments.at(3) != "invoke-with-response-stream" && segments.at(3) != "invoke")) {
        m_lastRejection = QStringLiteral("unknown operation");
        respondError(connection, record, 404, "UnknownOperationException", "Unknown operation");
        return;
    }
    m_lastModel = QString::fromUtf8(QByteArray::fromPercentEncoding(segments.at(2)));
    const QString authError = checkAuth(request);
    if (!authError.isEmpty()) {
        m_lastRejection = authError;
        respondError(connection, record, 403, authError.section(':', 0, 0).toUtf8(),
                     authError.section(':', 1).toUtf8());
        return;
    }
    if (m_expire > 0) {
        --m_expire;
        m_lastRejection = QStringLiteral("ExpiredTokenException");
        respondError(connection, record, 403, "ExpiredTokenException",
                     "The security token included in the request is expired");
        return;
    }
    const QJsonObject body = record.json;
    if (!record.bodyIsJson || body.contains("model") || body.contains("stream") ||
        !body.value("anthropic_version").isString() || !body.value("messages").isArray()) {
        m_lastRejection = QStringLiteral("ValidationException");
        respondError(connection, record, 400, "ValidationException",
                     "Malformed input request: the body is not a Bedrock Anthropic request");
        return;
    }
    const FakeBedrockResponse response =
        m_queue.isEmpty() ? FakeBedrockResponse() : m_queue.takeFirst();
    if (response.kind == FakeBedrockResponse::Kind::HttpError) {
        respondError(connection, record, response.status, response.errorType, response.message);
        return;
    }
    if (segments.at(3) == "invoke") {
        // Unstreamed: the Anthropic Message JSON.
        HttpResponsePlan plan;
        plan.status = 200;
        plan.headers = {{"content-type", "application/json"},
                        {"x-amzn-requestid", record.requestId}};
        plan.body =
            json({{"id", "msg_bdrk_fake"},
                  {"type", "message"},
                  {"role", "assistant"},
                  {"model", "claude-sonnet-4-5-20250929"},
                  {"content", QJsonArray{QJsonObject{{"type", "text"}, {"text", response.text}}}},
                  {"stop_reason", "end_turn"},
                  {"usage", QJsonObject{{"input_tokens", 5}, {"output_tokens", 1}}}});
        record.responseStatus = 200;
        m_requests.append(record);
        connection->respond(plan, FakeHttpConnection::WriteOptions());
        return;
    }
    HttpResponsePlan plan;
    plan.status = 200;
    plan.headers = {{"content-type", "application/vnd.amazon.eventstream"},
                    {"x-amzn-requestid", record.requestId},
                    {"x-amzn-bedrock-content-type", "application/json"}};
    plan.chunked = true;
    if (response.kind == FakeBedrockResponse::Kind::Exception) {
        if (!response.text.isEmpty())
            plan.body = encodeAnswer(response.text, 1);
        plan.body += EventStreamEncoder::exceptionEvent(response.errorType, response.message);
    } else if (response.kind == FakeBedrockResponse::Kind::Drop) {
        plan.body = encodeAnswer(response.text, 1);
        plan.interruption = HttpResponsePlan::Interruption::Drop;
    } else {
        plan.body = encodeAnswer(response.text);
    }
    // Write boundaries at random bytes, so frames arrive split anywhere.
    QRandomGenerator random(m_seed + quint32(record.number));
    for (qint64 at = random.bounded(1, 64); at < plan.body.size(); at += random.bounded(1, 96))
        plan.eventEnds.append(at);
    record.responseStatus = 200;
    m_requests.append(record);
    connection->respond(plan, FakeHttpConnection::WriteOptions());
}

} // namespace qlaude::fakes
