#pragma once

#include "FakeServerBase.h"
#include "SigV4Signer.h"

#include <QList>
#include <QString>

namespace qlaude::fakes {

// One scripted answer of FakeBedrockServer.
struct FakeBedrockResponse
{
    enum class Kind
    {
        Text,      // a complete streamed answer of `text`
        Exception, // an exception frame, after `text` when it is not empty
        HttpError, // an HTTP error with x-amzn-ErrorType and {"message": ...}
        Drop,      // the stream of `text` is cut after its first content frame
    };
    Kind kind = Kind::Text;
    QString text = QStringLiteral("Hello from the fake Bedrock.");
    int status = 200;
    QByteArray errorType; // "ThrottlingException", "throttlingException", ...
    QByteArray message;

    static FakeBedrockResponse answer(const QString &text);
    static FakeBedrockResponse exception(const QByteArray &type, const QByteArray &message,
                                         const QString &textFirst = QString());
    static FakeBedrockResponse httpError(int status, const QByteArray &type,
                                         const QByteArray &message);
    static FakeBedrockResponse drop(const QString &text);
};

// A fake Bedrock runtime on 127.0.0.1 (PROTOCOLS.md §2): POST /model/{id}/invoke-with-response-
// stream. It recomputes the SigV4 signature of every request from the shared secret and answers
// 403 InvalidSignatureException when it differs (or 403 UnrecognizedClientException for an
// unknown key or token), checks the body rewrite, and streams real event-stream frames written
// at random byte boundaries (seeded). A Bedrock API key is checked as a Bearer token instead.
class FakeBedrockServer : public FakeServerBase
{
    Q_OBJECT
public:
    explicit FakeBedrockServer(QObject *parent = nullptr);

    void setRegion(const QString &region) { m_region = region; }
    // SigV4 with these credentials (the token is required when set).
    void setCredentials(const AwsCredentials &credentials) { m_credentials = credentials; }
    // A Bedrock API key instead of SigV4.
    void setBearerToken(const QByteArray &token) { m_bearer = token; }
    // No authentication expected (CLAUDE_CODE_SKIP_BEDROCK_AUTH behind a signing proxy).
    void setNoAuth(bool none) { m_noAuth = none; }
    // The next n valid requests get 403 ExpiredTokenException.
    void expireCredentials(int n = 1) { m_expire = n; }
    void enqueue(const FakeBedrockResponse &response) { m_queue.append(response); }
    void setSeed(quint32 seed) { m_seed = seed; }

    QList<ReceivedRequest> requests() const { return m_requests; }
    ReceivedRequest lastRequest() const { return m_requests.value(m_requests.size() - 1); }
    // Why the last request was refused ("" when it was accepted).
    QString lastRejection() const { return m_lastRejection; }
    // The model id of the last request, decoded from its one path segment.
    QString lastModelId() const { return m_lastModel; }

    // The event-stream body of a complete answer (for benchmarks and tests).
    static QByteArray encodeAnswer(const QString &text, int cutAfterContentFrames = -1);

protected:
    void handleRequest(FakeHttpConnection *connection, const HttpRequest &request) override;

private:
    QString checkAuth(const HttpRequest &request) const; // "" or the exception name + reason
    void respondError(FakeHttpConnection *connection, ReceivedRequest &record, int status,
                      const QByteArray &type, const QByteArray &message);

    QString m_region = QStringLiteral("us-east-1");
    AwsCredentials m_credentials;
    QByteArray m_bearer;
    bool m_noAuth = false;
    int m_expire = 0;
    quint32 m_seed = 1;
    QList<FakeBedrockResponse> m_queue;
    QList<ReceivedRequest> m_requests;
    QString m_lastRejection;
    QString m_lastModel;
};

} // namespace qlaude::fakes
