#pragma once

#include "ApiError.h"
#include "RequestOptions.h"
#include "SseParser.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUrl>

#include <functional>
#include <memory>

namespace qlaude {

// One HTTP request exactly as it will be sent: the signer sees (and signs) this.
struct PreparedRequest
{
    QByteArray method = "POST";
    QUrl url;
    HeaderList headers; // in order; names compare case-insensitively
    QByteArray body;

    QByteArray header(const QByteArray &name) const;
    bool hasHeader(const QByteArray &name) const;
    // Replaces every header of that name (or appends it).
    void setHeader(const QByteArray &name, const QByteArray &value);
    void removeHeader(const QByteArray &name);
    // Drops every x-api-key and Authorization (a custom header's): the signer's credential is
    // the only one a request carries.
    void removeCredentialHeaders();
    // removeCredentialHeaders(), then "Authorization: Bearer <token>". False (and no
    // Authorization) when the token is empty or has a control character: a token endpoint is
    // hostile input and must not add header lines.
    bool setBearerCredential(const QString &token);
};

struct ModelInfo
{
    QString id;
    QString displayName;
    QString createdAt;
    QJsonObject raw;
};

// What a caller asks of a provider, before any provider's wire format.
struct CallSpec
{
    enum class Kind
    {
        Stream,      // a streamed message
        Send,        // one message, unstreamed
        CountTokens, // the input token count
        ListModels   // one page of the model list
    };
    Kind kind = Kind::Stream;
    QJsonObject body; // the Messages API body, "model" included (not for ListModels)
    QString model;
    QString afterId; // ListModels: the page after this id
};

// Which optional calls a provider has.
struct ProviderCapabilities
{
    bool listModels = false;
    bool countTokens = false;
};

// 1. Request builder: URL, path, body rewrite and the provider's headers.
class RequestBuilder
{
public:
    virtual ~RequestBuilder() = default;
    // Fills *out, or returns false with a sentence in *error (a configuration problem).
    virtual bool build(const CallSpec &spec, PreparedRequest *out, QString *error) const = 0;
    // One page of the model list: its models and the id to ask the next page after ("" when
    // it was the last). False when the body is not a model list.
    virtual bool parseModelPage(const QByteArray &body, QList<ModelInfo> *models,
                                QString *nextAfterId) const
    {
        Q_UNUSED(body)
        Q_UNUSED(models)
        Q_UNUSED(nextAfterId)
        return false;
    }
    // The answer of a CountTokens call.
    virtual qint64 parseTokenCount(const QByteArray &body) const;
};

// What a signature used, for the call: the credential's source (for error hints) and the
// secrets that every error text is scrubbed of.
struct Signature
{
    QString credentialSource;
    QList<QString> secrets;
};

// 2. Request signer: sees the finished request on every attempt (after the custom headers)
// and adds its authentication; may be asynchronous (a helper, a token refresh). It keeps no
// state of one call: the request is shared, and the answer carries what the call needs.
class RequestSigner
{
public:
    using Done = std::function<void(const ApiError &error, const Signature &signature)>;
    virtual ~RequestSigner() = default;
    virtual void sign(std::shared_ptr<PreparedRequest> request, Done done) = 0;
    // The server rejected the credential: drop caches. True when signing again may help.
    virtual bool invalidate() = 0;
    // Lines a credential helper prints while it runs (awsAuthRefresh's device code); the
    // default signer has none.
    virtual void setProgress(std::function<void(const QString &line)> progress)
    {
        Q_UNUSED(progress)
    }
};

// 3. Stream decoder: response bytes to Anthropic event JSON, as server-sent events.
class StreamDecoder
{
public:
    virtual ~StreamDecoder() = default;
    virtual bool feed(QByteArrayView chunk, QList<SseEvent> &out) = 0;
    virtual bool finish(QList<SseEvent> &out) = 0; // the body ended
    virtual bool hasError() const = 0;
    virtual QString errorString() const = 0;
};

// The text/event-stream decoder (Anthropic, Vertex, Foundry).
class SseStreamDecoder : public StreamDecoder
{
public:
    bool feed(QByteArrayView chunk, QList<SseEvent> &out) override
    {
        return m_parser.feed(chunk, out);
    }
    bool finish(QList<SseEvent> &out) override { return m_parser.finish(out); }
    bool hasError() const override { return m_parser.hasError(); }
    QString errorString() const override { return m_parser.errorString(); }

private:
    SseParser m_parser;
};

// The response headers an error mapper may read.
using HeaderLookup = std::function<QByteArray(const QByteArray &name)>;

// 4. Error mapper: the provider's HTTP errors to the shared type, with its own hints.
class ErrorMapper
{
public:
    virtual ~ErrorMapper() = default;
    virtual ApiError fromHttp(int status, const QByteArray &body, const HeaderLookup &headers,
                              const QString &credentialSource, const QString &model) const = 0;
    // The request id of an answer (for error texts), from its headers.
    virtual QString requestId(const HeaderLookup &headers) const = 0;
    // True when the answer says the credential was rejected: the call then asks the signer
    // to refresh, once.
    virtual bool credentialRejected(int status, const ApiError &error) const = 0;
    // An error event that arrives before any content (Bedrock's exception frames): the HTTP
    // status to retry it as under the shared policy, or 0 to report it as it is.
    virtual int retryStatusForStreamError(const QString &type) const
    {
        Q_UNUSED(type)
        return 0;
    }
};

// The error for a token setBearerCredential() refused (empty, or a control character).
ApiError unusableTokenError(const QString &source);

// The four parts that make a provider. Shared by the calls in flight, so replacing them
// (after a login) never pulls them from under a running attempt.
struct ProviderParts
{
    QString name; // "anthropic", "bedrock", ...
    std::unique_ptr<RequestBuilder> builder;
    std::unique_ptr<RequestSigner> signer;
    std::function<std::unique_ptr<StreamDecoder>()> makeDecoder;
    std::unique_ptr<ErrorMapper> errors;
    ProviderCapabilities capabilities;
};

} // namespace qlaude
