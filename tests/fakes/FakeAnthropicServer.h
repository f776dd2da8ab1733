#pragma once

#include "FakeHttpConnection.h"
#include "FakeResponse.h"
#include "ReceivedRequest.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPair>
#include <QUrl>

#include <array>
#include <optional>

class QTcpServer;

namespace qlaude::fakes {

// A fake Anthropic Messages API on 127.0.0.1: a real HTTP/1.1 server that checks each request
// the way the API does, records it, and answers with scripted responses and faults.
class FakeAnthropicServer : public QObject
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

    bool listen(quint16 port = 0); // 0: any free port
    quint16 port() const;
    QUrl baseUrl() const; // http://127.0.0.1:<port>
    QString errorString() const;

    // Credentials. With neither set, any x-api-key or bearer is accepted. An API key may come
    // as x-api-key or as Authorization: Bearer (SDK 1.x); a token only as a bearer.
    void setExpectedApiKey(const QByteArray &apiKey);
    void setExpectedBearerToken(const QByteArray &token);
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
    int connectionsAccepted() const { return m_connectionCount; }
    int openConnections() const { return m_openConnections; }

signals:
    // Emitted for every parsed request, just before its response starts.
    void requestReceived(const qlaude::fakes::ReceivedRequest &request);
    // The TCP connection closed, by the client or by the server.
    void connectionClosed(int connectionId);

private:
    void acceptConnections();
    void handleRequest(FakeHttpConnection *connection, const HttpRequest &request);
    void handleMalformed(FakeHttpConnection *connection, int status, const QString &reason);
    void send(FakeHttpConnection *connection, ReceivedRequest record, const FakeResponse &response);
    FakeResponse answer(const ReceivedRequest &request);
    std::optional<FakeResponse> checkHeaders(const ReceivedRequest &request) const;
    std::optional<FakeResponse> checkBody(const ReceivedRequest &request, Route route) const;
    FakeResponse listModels(const ReceivedRequest &request) const;
    FakeResponse getModel(const QString &id) const;

    QTcpServer *m_server;
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
    int m_requestCount = 0;
    int m_connectionCount = 0;
    int m_openConnections = 0;
};

} // namespace qlaude::fakes
