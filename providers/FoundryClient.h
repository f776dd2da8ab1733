#pragma once

#include "FoundryConfig.h"
#include "ProviderClient.h"

namespace qlaude {

class AuthContext;
class Authorizer;
class AzureCredentialProvider;
struct Resolution;

// What is Microsoft Foundry's own (PROTOCOLS.md §4): the resource's /anthropic base URL
// (FoundryConfig), an x-api-key or a Microsoft Entra ID token, and Azure's error shapes. The
// request and its SSE stream are the Anthropic Messages API's.
class FoundryRequestBuilder : public RequestBuilder
{
public:
    FoundryRequestBuilder(ClientConfig config, FoundryConfig foundry);
    bool build(const CallSpec &spec, PreparedRequest *out, QString *error) const override;

private:
    ClientConfig m_config;
    FoundryConfig m_foundry;
};

// Authorization: Bearer <Entra ID token> on every attempt.
class FoundryEntraSigner : public RequestSigner
{
public:
    explicit FoundryEntraSigner(std::unique_ptr<AzureCredentialProvider> provider);
    ~FoundryEntraSigner() override;
    void sign(std::shared_ptr<PreparedRequest> request, Done done) override;
    bool invalidate() override;

private:
    std::unique_ptr<AzureCredentialProvider> m_provider;
};

class FoundryErrorMapper : public ErrorMapper
{
public:
    explicit FoundryErrorMapper(FoundryConfig foundry) : m_foundry(std::move(foundry)) {}
    ApiError fromHttp(int status, const QByteArray &body, const HeaderLookup &headers,
                      const QString &credentialSource, const QString &model) const override;
    QString requestId(const HeaderLookup &headers) const override;
    bool credentialRejected(int status, const ApiError &error) const override;

private:
    FoundryConfig m_foundry;
};

std::shared_ptr<ProviderParts> makeFoundryParts(const AuthContext &context,
                                                const Resolution &resolution,
                                                const ClientConfig &config, Authorizer *authorizer);

} // namespace qlaude
