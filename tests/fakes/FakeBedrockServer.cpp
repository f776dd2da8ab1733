#include "FakeBedrockServer.h"

#include "EventStreamEncoder.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

namespace qlaude::fakes {

namespace {
QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// "k=v, k=v" parts of an Authorization header after the scheme.
QMap<QByteArray, QByteArray> authParts(const QByteArray &header)
{
    QMap<QByteArray, QByteArray> parts;
    const int space = header.indexOf(' ');
    for (const QByteArray &p : header.mid(space + 1).split(',')) {
        const int eq = p.indexOf('=');
        if (eq > 0)
            parts.insert(p.left(eq).trimmed(), p.mid(eq + 1).trimmed());
    }
    return parts;
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
    if (!auth.startsWith("AWS4-HMAC-SHA256 "))
        return QStringLiteral("MissingAuthenticationTokenException:Missing Authentication Token");
    const QMap<QByteArray, QByteArray> parts = authParts(auth);
    const QList<QByteArray> scope = parts.value("Credential").split('/');
    if (scope.size() != 5 || scope.at(0) != m_credentials.accessKeyId.toUtf8())
        return QStringLiteral("UnrecognizedClientException:The security token included in the "
                              "request is invalid.");
    if (scope.at(2) != m_region.toUtf8() || scope.at(3) != "bedrock")
        return QStringLiteral("InvalidSignatureException:Credential should be scoped to a valid "
                              "region and service bedrock.");
    if (!m_credentials.sessionToken.isEmpty() &&
        request.header("x-amz-security-token") != m_credentials.sessionToken.toUtf8())
        return QStringLiteral("UnrecognizedClientException:The security token included in the "
                              "request is invalid.");
    const QByteArray bodyHash =
        QCryptographicHash::hash(request.body, QCryptographicHash::Sha256).toHex();
    if (request.header("x-amz-content-sha256") != bodyHash)
        return QStringLiteral("InvalidSignatureException:The provided x-amz-content-sha256 header "
                              "does not match what was computed.");
    // Recompute the signature over exactly the signed headers as they arrived.
    const QList<QByteArray> signedNames = parts.value("SignedHeaders").split(';');
    SigV4Request r;
    r.method = request.method;
    r.url = QUrl::fromEncoded("http://" + request.header("host") + request.target);
    for (const auto &h : request.headers) {
        if (signedNames.contains(h.first.toLower()))
            r.headers.append(h);
    }
    r.body = request.body;
    SigV4Options o;
    o.region = m_region;
    o.service = QStringLiteral("bedrock");
    o.time = QDateTime::fromString(QString::fromLatin1(request.header("x-amz-date")),
                                   QStringLiteral("yyyyMMdd'T'HHmmss'Z'"));
    o.time.setTimeSpec(Qt::UTC);
    QByteArray names;
    const QByteArray canonical = SigV4Signer::canonicalRequest(r, o, &names);
    const QByteArray expected =
        SigV4Signer::signature(SigV4Signer::stringToSign(canonical, o), m_credentials, o);
    if (names != parts.value("SignedHeaders") || expected != parts.value("Signature"))
        return QStringLiteral("InvalidSignatureException:The request signature we calculated "
                              "does not match the signature you provided.");
    return QString();
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
