#pragma once

#include "FakeResponse.h"
#include "FakeServerBase.h"

#include <QList>

namespace qlaude::fakes {

// A fake Vertex AI endpoint on 127.0.0.1 (PROTOCOLS.md §3.1): it answers
//   POST
//   /v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:streamRawPredict
//   (:rawPredict, and models/count-tokens:rawPredict)
// and checks, as Vertex does: the bearer token, the project and region in the path, the
// rewritten body ("model" gone except for counting, "stream" kept, anthropic_version set) and
// that no anthropic-version header is sent. Refusals use Google's error shape. Answers come from
// FakeResponse (SSE, as Vertex streams plain Anthropic events).
class FakeVertexServer : public FakeServerBase
{
    Q_OBJECT
    Q_DISABLE_COPY(FakeVertexServer)

public:
    explicit FakeVertexServer(QObject *parent = nullptr);
    ~FakeVertexServer() override;

    // Empty: any bearer token is accepted (but one must be sent unless setRequireAuth(false)).
    void setExpectedToken(const QByteArray &token) { m_token = token; }
    void setRequireAuth(bool require) { m_requireAuth = require; }
    void setExpectedProject(const QString &project) { m_project = project; }
    void setExpectedRegion(const QString &region) { m_region = region; }
    void setExpectedVersion(const QString &version) { m_version = version; }

    // Answers for valid requests, first in first out; then "Hello from fake Vertex AI.".
    void enqueue(const FakeResponse &response) { m_queue.append(response); }
    // Google-shaped errors for the next valid requests: {"error": {"code", "message", "status"}}.
    void enqueueGoogleError(int status, const QString &googleStatus, const QString &message);

    QList<ReceivedRequest> requests() const { return m_requests; }
    // Path parts of the last request: the project, region, model and method as decoded.
    QString lastProject() const { return m_lastProject; }
    QString lastRegion() const { return m_lastRegion; }
    QString lastModel() const { return m_lastModel; }
    QString lastMethod() const { return m_lastMethod; }
    QString lastRejection() const { return m_lastRejection; }

private:
    void handleRequest(FakeHttpConnection *connection, const HttpRequest &request) override;
    void reject(FakeHttpConnection *connection, ReceivedRequest record, int status,
                const QString &googleStatus, const QString &message);
    void answer(FakeHttpConnection *connection, ReceivedRequest record,
                const FakeResponse &response);

    QByteArray m_token;
    bool m_requireAuth = true;
    QString m_project;
    QString m_region;
    QString m_version = QStringLiteral("vertex-2023-10-16");
    QList<FakeResponse> m_queue;
    QList<ReceivedRequest> m_requests;
    QString m_lastProject, m_lastRegion, m_lastModel, m_lastMethod, m_lastRejection;
};

} // namespace qlaude::fakes
