#include "FakeVertexServer.h"

#include <QJsonDocument>
#include <QPointer>

namespace qlaude::fakes {

FakeVertexServer::FakeVertexServer(QObject *parent) : FakeServerBase(parent) {}

FakeVertexServer::~FakeVertexServer() = default;

void FakeVertexServer::enqueueGoogleError(int status, const QString &googleStatus,
                                          const QString &message)
{
    const QJsonObject body{
        {"error", QJsonObject{{"code", status}, {"message", message}, {"status", googleStatus}}}};
    m_queue.append(FakeResponse::json(body, status));
}

void FakeVertexServer::reject(FakeHttpConnection *connection, ReceivedRequest record, int status,
                              const QString &googleStatus, const QString &message)
{
    m_lastRejection = googleStatus + QStringLiteral(": ") + message;
    const QJsonObject body{
        {"error", QJsonObject{{"code", status}, {"message", message}, {"status", googleStatus}}}};
    answer(connection, std::move(record), FakeResponse::json(body, status));
}

void FakeVertexServer::answer(FakeHttpConnection *connection, ReceivedRequest record,
                              const FakeResponse &response)
{
    const FakeResponse::Context context{record.requestId, record.number, record.json,
                                        SseLineEnding::Lf};
    HttpResponsePlan plan = response.render(context);
    record.responseStatus = plan.sendHead ? plan.status : 0;
    m_requests.append(record);
    const QPointer<FakeHttpConnection> alive(connection);
    if (alive)
        alive->respond(plan, FakeHttpConnection::WriteOptions());
}

void FakeVertexServer::handleRequest(FakeHttpConnection *connection, const HttpRequest &request)
{
    ReceivedRequest record = makeRecord(connection, request);
    m_lastRejection.clear();
    // /v1/projects/{p}/locations/{r}/publishers/anthropic/models/{m}:{method}, each segment of
    // the raw target percent-decoded on its own.
    const QList<QByteArray> s = request.target.split('?').first().split('/');
    if (request.method != "POST" || s.size() != 10 || s.at(1) != "v1" || s.at(2) != "projects" ||
        s.at(4) != "locations" || s.at(6) != "publishers" || s.at(7) != "anthropic" ||
        s.at(8) != "models" || !s.at(9).contains(':')) {
        reject(connection, record, 404, QStringLiteral("NOT_FOUND"),
               QStringLiteral("The requested URL was not found on this server."));
        return;
    }
    m_lastProject = QString::fromUtf8(QByteArray::fromPercentEncoding(s.at(3)));
    m_lastRegion = QString::fromUtf8(QByteArray::fromPercentEncoding(s.at(5)));
    const int colon = s.at(9).lastIndexOf(':');
    m_lastModel = QString::fromUtf8(QByteArray::fromPercentEncoding(s.at(9).left(colon)));
    m_lastMethod = QString::fromLatin1(s.at(9).mid(colon + 1));
    const QByteArray auth = request.header("authorization");
    if (m_requireAuth &&
        (!auth.startsWith("Bearer ") || (!m_token.isEmpty() && auth.mid(7) != m_token))) {
        reject(connection, record, 401, QStringLiteral("UNAUTHENTICATED"),
               QStringLiteral("Request had invalid authentication credentials. Expected OAuth 2 "
                              "access token, login cookie or other valid authentication "
                              "credential."));
        return;
    }
    if (!m_project.isEmpty() && m_lastProject != m_project) {
        reject(connection, record, 403, QStringLiteral("PERMISSION_DENIED"),
               QStringLiteral("Permission denied on resource project %1.").arg(m_lastProject));
        return;
    }
    if (!m_region.isEmpty() && m_lastRegion != m_region) {
        reject(connection, record, 404, QStringLiteral("NOT_FOUND"),
               QStringLiteral("Publisher Model was not found in %1.").arg(m_lastRegion));
        return;
    }
    const bool counting = m_lastModel == QLatin1String("count-tokens");
    const bool streaming = m_lastMethod == QLatin1String("streamRawPredict");
    if ((m_lastMethod != QLatin1String("rawPredict") && !streaming) || (counting && streaming)) {
        reject(connection, record, 400, QStringLiteral("INVALID_ARGUMENT"),
               QStringLiteral("Unknown method %1.").arg(m_lastMethod));
        return;
    }
    const QJsonObject body = record.json;
    QString problem;
    if (!record.bodyIsJson)
        problem = QStringLiteral("the body is not JSON");
    else if (!counting && body.contains(QStringLiteral("model")))
        problem = QStringLiteral("model: Extra inputs are not permitted");
    else if (counting && !body.value(QStringLiteral("model")).isString())
        problem = QStringLiteral("model: Field required");
    else if (body.value(QStringLiteral("anthropic_version")).toString() != m_version)
        problem = QStringLiteral("anthropic_version: must be %1").arg(m_version);
    else if (streaming && !body.value(QStringLiteral("stream")).toBool())
        problem = QStringLiteral("stream: must be true for streamRawPredict");
    else if (!request.header("anthropic-version").isEmpty())
        problem = QStringLiteral("the anthropic-version header is not accepted by Vertex AI");
    if (!problem.isEmpty()) {
        m_lastRejection = problem;
        answer(connection, record,
               FakeResponse::error(400, QStringLiteral("invalid_request_error"), problem));
        return;
    }
    if (counting) {
        answer(connection, record,
               FakeResponse::json(QJsonObject{{"input_tokens", FakeResponse::countTokens(body)}}));
        return;
    }
    answer(connection, record,
           m_queue.isEmpty() ? FakeResponse::text(QStringLiteral("Hello from fake Vertex AI."))
                             : m_queue.takeFirst());
}

} // namespace qlaude::fakes
