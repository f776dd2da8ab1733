#pragma once

#include "ProviderClient.h"
#include "VertexConfig.h"

namespace qlaude {

class AuthContext;
class Authorizer;
class GoogleCredentialProvider;
struct Resolution;

// What is Google Vertex AI's own (PROTOCOLS.md §3): its URL, with the project, the region and
// the model as path segments (VertexConfig); the body rewrite; a Google access token from
// Application Default Credentials; Google's error shape. The stream is plain Anthropic SSE.
class VertexRequestBuilder : public RequestBuilder
{
public:
    VertexRequestBuilder(ClientConfig config, VertexConfig vertex)
        : m_config(std::move(config)), m_vertex(std::move(vertex))
    {
    }
    bool build(const CallSpec &spec, PreparedRequest *out, QString *error) const override;

private:
    ClientConfig m_config;
    VertexConfig m_vertex;
};

// Authorization: Bearer <ADC access token> (and x-goog-user-project) on every attempt.
class VertexTokenSigner : public RequestSigner
{
public:
    explicit VertexTokenSigner(std::unique_ptr<GoogleCredentialProvider> provider);
    ~VertexTokenSigner() override;
    void sign(std::shared_ptr<PreparedRequest> request, Done done) override;
    bool invalidate() override;
    void setProgress(std::function<void(const QString &line)> progress) override;

private:
    std::unique_ptr<GoogleCredentialProvider> m_provider;
};

class VertexErrorMapper : public ErrorMapper
{
public:
    explicit VertexErrorMapper(VertexConfig vertex) : m_vertex(std::move(vertex)) {}
    ApiError fromHttp(int status, const QByteArray &body, const HeaderLookup &headers,
                      const QString &credentialSource, const QString &model) const override;
    QString requestId(const HeaderLookup &headers) const override;
    bool credentialRejected(int status, const ApiError &error) const override;

private:
    VertexConfig m_vertex;
};

std::shared_ptr<ProviderParts> makeVertexParts(const AuthContext &context,
                                               const Resolution &resolution,
                                               const ClientConfig &config, Authorizer *authorizer);

} // namespace qlaude
