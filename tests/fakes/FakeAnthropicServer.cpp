#include "FakeAnthropicServer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>

namespace qlaude::fakes {

namespace {

QJsonObject modelInfo(const char *id, const char *displayName, const char *createdAt)
{
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("model")},
                       {QStringLiteral("id"), QLatin1String(id)},
                       {QStringLiteral("display_name"), QLatin1String(displayName)},
                       {QStringLiteral("created_at"), QLatin1String(createdAt)}};
}

QList<QJsonObject> defaultModels()
{
    return {modelInfo("claude-opus-4-7", "Claude Opus 4.7", "2026-09-30T00:00:00Z"),
            modelInfo("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-06-17T00:00:00Z"),
            modelInfo("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"),
            modelInfo("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
            modelInfo("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-14T00:00:00Z"),
            modelInfo("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-19T00:00:00Z"),
            modelInfo("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z")};
}

FakeResponse invalid(const QString &message)
{
    return FakeResponse::error(400, QStringLiteral("invalid_request_error"), message);
}

bool isPositiveInteger(const QJsonValue &v)
{
    return v.isDouble() && v.toDouble() >= 1 && v.toDouble() == double(qint64(v.toDouble()));
}

} // namespace

FakeAnthropicServer::FakeAnthropicServer(QObject *parent)
    : FakeServerBase(parent),
      m_defaultResponse(FakeResponse::text(QStringLiteral("Hello from the fake API."))),
      m_models(defaultModels())
{
}

FakeAnthropicServer::~FakeAnthropicServer() = default;

void FakeAnthropicServer::setExpectedApiKey(const QByteArray &apiKey)
{
    m_apiKey = apiKey;
}

void FakeAnthropicServer::setExpectedBearerToken(const QByteArray &token)
{
    m_bearerToken = token;
}

void FakeAnthropicServer::setRequiredBetas(const QStringList &betas)
{
    m_requiredBetas = betas;
}

void FakeAnthropicServer::setRequiredHeader(const QByteArray &name, const QByteArray &value)
{
    m_requiredHeaders.append({name, value});
}

void FakeAnthropicServer::enqueue(const FakeResponse &response, Route route)
{
    m_queues[size_t(route)].append(response);
}

int FakeAnthropicServer::queuedResponses(Route route) const
{
    return int(m_queues[size_t(route)].size());
}

void FakeAnthropicServer::setDefaultResponse(const FakeResponse &response)
{
    m_defaultResponse = response;
}

void FakeAnthropicServer::setModels(const QList<QJsonObject> &models)
{
    m_models = models;
}

QList<QJsonObject> FakeAnthropicServer::models() const
{
    return m_models;
}

void FakeAnthropicServer::setChunkSize(int bytes)
{
    m_writeOptions.chunkSize = qMax(0, bytes);
}

void FakeAnthropicServer::setChunkDelay(int milliseconds)
{
    m_writeOptions.delayMs = qMax(0, milliseconds);
}

void FakeAnthropicServer::setLineEnding(SseLineEnding lineEnding)
{
    m_lineEnding = lineEnding;
}

ReceivedRequest FakeAnthropicServer::lastRequest() const
{
    return m_requests.isEmpty() ? ReceivedRequest() : m_requests.constLast();
}

void FakeAnthropicServer::clearRequests()
{
    m_requests.clear();
}

void FakeAnthropicServer::handleRequest(FakeHttpConnection *connection, const HttpRequest &request)
{
    const ReceivedRequest record = makeRecord(connection, request);
    const FakeResponse response = answer(record);
    send(connection, record, response);
}

void FakeAnthropicServer::handleMalformed(FakeHttpConnection *connection, int status,
                                          const QString &reason)
{
    // Not recorded: there is no request to show. It still gets an id like every response.
    const int number = nextRequestNumber();
    const QByteArray requestId = "req_fake_" + QByteArray::number(number);
    const FakeResponse::Context context{requestId, number, {}, m_lineEnding};
    HttpResponsePlan plan = FakeResponse::error(status, QStringLiteral("invalid_request_error"),
                                                QStringLiteral("malformed HTTP request: ") + reason)
                                .render(context);
    plan.headers.append({"request-id", requestId});
    connection->respond(plan, FakeHttpConnection::WriteOptions());
}

void FakeAnthropicServer::send(FakeHttpConnection *connection, ReceivedRequest record,
                               const FakeResponse &response)
{
    const FakeResponse::Context context{record.requestId, record.number, record.json, m_lineEnding};
    HttpResponsePlan plan = response.render(context);
    plan.headers.append({"request-id", record.requestId});
    record.responseStatus = plan.sendHead ? plan.status : 0;
    m_requests.append(record);
    const QPointer<FakeHttpConnection> alive(connection);
    emit requestReceived(record);
    if (alive)
        alive->respond(plan, m_writeOptions);
}

FakeResponse FakeAnthropicServer::answer(const ReceivedRequest &request)
{
    Route route;
    QString modelId;
    QByteArray method;
    // Behind a prefix (Foundry's /anthropic), only paths under it exist.
    if (!m_pathPrefix.isEmpty() && !request.path.startsWith(m_pathPrefix + QLatin1Char('/')))
        return FakeResponse::error(404, QStringLiteral("not_found_error"),
                                   QStringLiteral("Not found: ") + request.path);
    const QString path = request.path.mid(m_pathPrefix.size());
    if (path == QLatin1String("/v1/messages")) {
        route = Route::Messages;
        method = "POST";
    } else if (path == QLatin1String("/v1/messages/count_tokens")) {
        route = Route::CountTokens;
        method = "POST";
    } else if (path == QLatin1String("/v1/models")) {
        route = Route::ListModels;
        method = "GET";
    } else if (path.startsWith(QLatin1String("/v1/models/")) && path.count(QLatin1Char('/')) == 3 &&
               path.size() > 11) {
        route = Route::GetModel;
        modelId = path.mid(11);
        method = "GET";
    } else {
        return FakeResponse::error(404, QStringLiteral("not_found_error"),
                                   QStringLiteral("Not found: ") + path);
    }
    if (request.method != method) {
        return FakeResponse::error(
            405, QStringLiteral("invalid_request_error"),
            QStringLiteral("Method %1 is not allowed on %2; use %3")
                .arg(QString::fromLatin1(request.method), path, QString::fromLatin1(method)));
    }
    if (auto rejection = checkHeaders(request))
        return *rejection;
    if (method == "POST") {
        if (auto rejection = checkBody(request, route))
            return *rejection;
    }
    QList<FakeResponse> &queue = m_queues[size_t(route)];
    if (!queue.isEmpty())
        return queue.takeFirst();
    switch (route) {
    case Route::Messages:
        return m_defaultResponse;
    case Route::CountTokens:
        return FakeResponse::json(
            {{QStringLiteral("input_tokens"), FakeResponse::countTokens(request.json)}});
    case Route::ListModels:
        return listModels(request);
    case Route::GetModel:
        return getModel(modelId);
    }
    return m_defaultResponse;
}

std::optional<FakeResponse> FakeAnthropicServer::checkHeaders(const ReceivedRequest &request) const
{
    // Credentials first, as the API does: an anonymous request learns nothing else.
    const QByteArray apiKey = request.header("x-api-key");
    const QByteArray authorization = request.header("authorization");
    QByteArray bearer;
    if (authorization.size() > 7 &&
        authorization.left(7).compare("bearer ", Qt::CaseInsensitive) == 0)
        bearer = authorization.mid(7).trimmed();
    const bool checkCredentials = !m_apiKey.isEmpty() || !m_bearerToken.isEmpty();
    if (apiKey.isEmpty() && bearer.isEmpty()) {
        return FakeResponse::error(401, QStringLiteral("authentication_error"),
                                   QStringLiteral("x-api-key header is required"));
    }
    if (!apiKey.isEmpty()) {
        if (checkCredentials && (m_apiKey.isEmpty() || apiKey != m_apiKey))
            return FakeResponse::error(401, QStringLiteral("authentication_error"),
                                       QStringLiteral("invalid x-api-key"));
    } else if (checkCredentials && bearer != m_bearerToken &&
               (m_apiKey.isEmpty() || bearer != m_apiKey)) {
        // A server that knows only an API key checks a bearer as an API key (SDK 1.x sends it so).
        return FakeResponse::error(401, QStringLiteral("authentication_error"),
                                   m_bearerToken.isEmpty()
                                       ? QStringLiteral("invalid x-api-key")
                                       : QStringLiteral("invalid bearer token"));
    }

    const QByteArray version = request.header("anthropic-version");
    if (version.isEmpty())
        return invalid(QStringLiteral("anthropic-version: header is required"));
    if (version != "2023-06-01" && version != "2026-10-21" && version != "2023-01-01") {
        return invalid(QStringLiteral("anthropic-version: unknown version '%1' (known: 2023-01-01, "
                                      "2023-06-01, 2026-10-21)")
                           .arg(QString::fromLatin1(version)));
    }

    const QStringList betas = request.betas();
    for (const QString &beta : m_requiredBetas) {
        if (!betas.contains(beta))
            return invalid(QStringLiteral("anthropic-beta: %1 is required").arg(beta));
    }
    for (const auto &required : m_requiredHeaders) {
        const QString name = QString::fromLatin1(required.first);
        if (!request.hasHeader(required.first))
            return invalid(QStringLiteral("%1: header is required").arg(name));
        if (!required.second.isEmpty() && request.header(required.first) != required.second)
            return invalid(QStringLiteral("%1: header has an unexpected value").arg(name));
    }
    return std::nullopt;
}

std::optional<FakeResponse> FakeAnthropicServer::checkBody(const ReceivedRequest &request,
                                                           Route route) const
{
    if (!request.bodyIsJson) {
        if (request.body.trimmed().isEmpty())
            return invalid(QStringLiteral("request body is empty; expected a JSON object"));
        QJsonParseError error;
        QJsonDocument::fromJson(request.body, &error);
        if (error.error != QJsonParseError::NoError)
            return invalid(QStringLiteral("request body is not valid JSON: %1 at offset %2")
                               .arg(error.errorString())
                               .arg(error.offset));
        return invalid(QStringLiteral("request body must be a JSON object"));
    }
    const QJsonObject &body = request.json;
    const QString fieldRequired = QStringLiteral("%1: Field required");
    if (!body.contains(QLatin1String("model")))
        return invalid(fieldRequired.arg(QLatin1String("model")));
    if (!body.value(QLatin1String("model")).isString() ||
        body.value(QLatin1String("model")).toString().isEmpty())
        return invalid(QStringLiteral("model: Input should be a non-empty string"));
    if (route == Route::Messages) {
        if (!body.contains(QLatin1String("max_tokens")))
            return invalid(fieldRequired.arg(QLatin1String("max_tokens")));
        if (!isPositiveInteger(body.value(QLatin1String("max_tokens"))))
            return invalid(QStringLiteral("max_tokens: Input should be a positive integer"));
    }
    if (!body.contains(QLatin1String("messages")))
        return invalid(fieldRequired.arg(QLatin1String("messages")));
    if (!body.value(QLatin1String("messages")).isArray())
        return invalid(QStringLiteral("messages: Input should be a valid list"));
    const QJsonArray messages = body.value(QLatin1String("messages")).toArray();
    if (messages.isEmpty())
        return invalid(QStringLiteral("messages: at least one message is required"));
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const QJsonObject m = messages.at(i).toObject();
        const QString role = m.value(QLatin1String("role")).toString();
        if (role != QLatin1String("user") && role != QLatin1String("assistant") &&
            role != QLatin1String("system"))
            return invalid(QStringLiteral("messages.%1.role: Input should be 'user', 'assistant' "
                                          "or 'system'")
                               .arg(i));
        const QJsonValue content = m.value(QLatin1String("content"));
        if (!content.isString() && !content.isArray())
            return invalid(QStringLiteral("messages.%1.content: Input should be a string or a list "
                                          "of content blocks")
                               .arg(i));
    }
    if (body.contains(QLatin1String("stream")) && !body.value(QLatin1String("stream")).isBool())
        return invalid(QStringLiteral("stream: Input should be a valid boolean"));
    if (route == Route::Messages && request.header("anthropic-version") == "2026-10-21") {
        // Removed in API version 2026-10-21, rejected even at their default values.
        for (const char *removed : {"temperature", "top_p", "top_k"}) {
            if (body.contains(QLatin1String(removed)))
                return invalid(QStringLiteral("%1: Extra inputs are not permitted")
                                   .arg(QLatin1String(removed)));
        }
    }
    return std::nullopt;
}

FakeResponse FakeAnthropicServer::listModels(const ReceivedRequest &request) const
{
    const QUrlQuery &query = request.query;
    qsizetype limit = 20;
    if (query.hasQueryItem(QStringLiteral("limit"))) {
        bool ok = false;
        limit = query.queryItemValue(QStringLiteral("limit")).toInt(&ok);
        if (!ok || limit < 1 || limit > 1000)
            return invalid(QStringLiteral("limit: Input should be an integer from 1 to 1000"));
    }
    const QString afterId = query.queryItemValue(QStringLiteral("after_id"), QUrl::FullyDecoded);
    const QString beforeId = query.queryItemValue(QStringLiteral("before_id"), QUrl::FullyDecoded);
    if (!afterId.isEmpty() && !beforeId.isEmpty())
        return invalid(QStringLiteral("after_id and before_id cannot be used together"));
    auto indexOf = [this](const QString &id) {
        for (qsizetype i = 0; i < m_models.size(); ++i) {
            if (m_models.at(i).value(QLatin1String("id")).toString() == id)
                return i;
        }
        return qsizetype(-1);
    };
    qsizetype begin = 0;
    qsizetype end = qMin(limit, m_models.size());
    bool hasMore = end < m_models.size();
    if (!afterId.isEmpty() || !beforeId.isEmpty()) {
        const QString &id = afterId.isEmpty() ? beforeId : afterId;
        const qsizetype at = indexOf(id);
        if (at < 0)
            return invalid(
                QStringLiteral("%1: unknown model id '%2'")
                    .arg(afterId.isEmpty() ? QLatin1String("before_id") : QLatin1String("after_id"),
                         id));
        if (!afterId.isEmpty()) {
            begin = at + 1;
            end = qMin(begin + limit, m_models.size());
            hasMore = end < m_models.size();
        } else {
            end = at;
            begin = qMax<qsizetype>(0, end - limit);
            hasMore = begin > 0;
        }
    }
    QJsonArray data;
    for (qsizetype i = begin; i < end; ++i)
        data.append(m_models.at(i));
    const auto idAt = [&data](qsizetype i) {
        return data.isEmpty() ? QJsonValue(QJsonValue::Null)
                              : data.at(i).toObject().value(QLatin1String("id"));
    };
    return FakeResponse::json({{QStringLiteral("data"), data},
                               {QStringLiteral("has_more"), hasMore},
                               {QStringLiteral("first_id"), idAt(0)},
                               {QStringLiteral("last_id"), idAt(data.size() - 1)}});
}

FakeResponse FakeAnthropicServer::getModel(const QString &id) const
{
    for (const QJsonObject &model : m_models) {
        if (model.value(QLatin1String("id")).toString() == id)
            return FakeResponse::json(model);
    }
    return FakeResponse::error(404, QStringLiteral("not_found_error"),
                               QStringLiteral("model: %1").arg(id));
}

} // namespace qlaude::fakes
