#pragma once

#include "FakeResponse.h"
#include "FakeServerBase.h"

#include <QJsonObject>
#include <QList>
#include <QPair>

#include <array>
#include <optional>

namespace qlaude::fakes {

// A fake Anthropic Messages API on 127.0.0.1: a real HTTP/1.1 server that checks each request
// the way the API does, records it, and answers with scripted responses and faults.
// listen(), port(), baseUrl(), errorString(), connectionsAccepted(), openConnections() and
// connectionClosed() come from FakeServerBase.
class FakeAnthropicServer : public FakeServerBase
{
    Q_OBJECT
    Q_DISABLE_COPY(FakeAnthropicServer)

public:
    enum class Route
    {
        Messages,    // POST /v1/messages
        CountTokens, // POST /v1/messages/count_tokens
        ListModels,  // GET /v1/models
        GetModel,    // GET /v1/models/{id}
    };

    explicit FakeAnthropicServer(QObject *parent = nullptr);
    ~FakeAnthropicServer() override;

    // Credentials. With neither set, any x-api-key or bearer is accepted. An API key may come
    // as x-api-key or as Authorization: Bearer (SDK 1.x); a token only as a bearer.
    void setExpectedApiKey(const QByteArray &apiKey);
    void setExpectedBearerToken(const QByteArray &token);
    // A path every route sits under, e.g. "/anthropic" for Microsoft Foundry's
    // https://<resource>.services.ai.azure.com/anthropic/v1/messages. Default: none.
    void setPathPrefix(const QString &prefix) { m_pathPrefix = prefix; }
    // Values every request's anthropic-beta list must contain.
    void setRequiredBetas(const QStringList &betas);
    // A header every request must carry; with a value, exactly that value.
    void setRequiredHeader(const QByteArray &name, const QByteArray &value = QByteArray());

    // Answers for valid requests of a route, first in first out. When the Messages queue is
    // empty the default response answers (initially "Hello from the fake API."); the other
    // routes then answer from the model list and the token count.
    void enqueue(const FakeResponse &response, Route route = Route::Messages);
    int queuedResponses(Route route = Route::Messages) const;
    void setDefaultResponse(const FakeResponse &response);
    void setModels(const QList<QJsonObject> &models); // ModelInfo objects, newest first
    QList<QJsonObject> models() const;

    // How responses are written: body bytes per write (0: one write per SSE event, the whole
    // body for JSON), the pause before each write, and the SSE line ending.
    void setChunkSize(int bytes);
    void setChunkDelay(int milliseconds);
    void setLineEnding(SseLineEnding lineEnding);

    QList<ReceivedRequest> requests() const { return m_requests; }
    ReceivedRequest lastRequest() const;
    void clearRequests();

signals:
    // Emitted for every parsed request, just before its response starts.
    void requestReceived(const qlaude::fakes::ReceivedRequest &request);

private:
    void handleRequest(FakeHttpConnection *connection, const HttpRequest &request) override;
    void handleMalformed(FakeHttpConnection *connection, int status,
                         const QString &reason) override;
    void send(FakeHttpConnection *connection, ReceivedRequest record, const FakeResponse &response);
    FakeResponse answer(const ReceivedRequest &request);
    std::optional<FakeResponse> checkHeaders(const ReceivedRequest &request) const;
    std::optional<FakeResponse> checkBody(const ReceivedRequest &request, Route route) const;
    FakeResponse listModels(const ReceivedRequest &request) const;
    FakeResponse getModel(const QString &id) const;

    QString m_pathPrefix;
    QByteArray m_apiKey;
    QByteArray m_bearerToken;
    QStringList m_requiredBetas;
    QList<QPair<QByteArray, QByteArray>> m_requiredHeaders;
    std::array<QList<FakeResponse>, 4> m_queues;
    FakeResponse m_defaultResponse;
    QList<QJsonObject> m_models;
    FakeHttpConnection::WriteOptions m_writeOptions;
    SseLineEnding m_lineEnding = SseLineEnding::Lf;
    QList<ReceivedRequest> m_requests;
};

} // namespace qlaude::fakes
