#pragma once

#include "AwsConfig.h"
#include "ProviderClient.h"

namespace qlaude {

class AuthContext;
class Authorizer;
class AwsCredentialProvider;
struct Resolution;

// What is Amazon Bedrock's own (PROTOCOLS.md §2): its URL and body rewrite, SigV4 over the
// finished request, the AWS event stream of base64 Anthropic events, and its errors. The call
// loop, retries and stream assembly are the shared ProviderClient's.
struct BedrockConfig
{
    QUrl baseUrl; // ANTHROPIC_BEDROCK_BASE_URL, else https://bedrock-runtime.<region>.amazonaws.com
    AwsRegion region;
    QString anthropicVersion = QStringLiteral("bedrock-2023-05-31");
    QString serviceTier; // ANTHROPIC_BEDROCK_SERVICE_TIER

    static BedrockConfig fromContext(const AuthContext &context);
};

class BedrockRequestBuilder : public RequestBuilder
{
public:
    BedrockRequestBuilder(ClientConfig config, BedrockConfig bedrock)
        : m_config(std::move(config)), m_bedrock(std::move(bedrock))
    {
    }
    bool build(const CallSpec &spec, PreparedRequest *out, QString *error) const override;
    // A model id as one path segment: RFC 3986 pchar, so ':' stays and '/' becomes %2F.
    static QByteArray encodeModelId(const QString &model);

private:
    ClientConfig m_config;
    BedrockConfig m_bedrock;
};

// SigV4 (service "bedrock") with credentials from the AWS chain, on every attempt.
class BedrockSigV4Signer : public RequestSigner
{
public:
    BedrockSigV4Signer(std::unique_ptr<AwsCredentialProvider> provider, QString region);
    ~BedrockSigV4Signer() override;
    void sign(std::shared_ptr<PreparedRequest> request, Done done) override;
    bool invalidate() override;
    void setProgress(std::function<void(const QString &line)> progress) override;

private:
    std::unique_ptr<AwsCredentialProvider> m_provider;
    QString m_region;
};

class BedrockErrorMapper : public ErrorMapper
{
public:
    explicit BedrockErrorMapper(QString region) : m_region(std::move(region)) {}
    ApiError fromHttp(int status, const QByteArray &body, const HeaderLookup &headers,
                      const QString &credentialSource, const QString &model) const override;
    QString requestId(const HeaderLookup &headers) const override;
    // A 403 saying the AWS credentials expired or were not recognized: refresh once.
    bool credentialRejected(int status, const ApiError &error) const override;
    int retryStatusForStreamError(const QString &type) const override;

private:
    QString m_region;
};

// The four parts of Bedrock for the context's credential: a Bedrock API key (Bearer) or
// skipped authentication through the authorizer, else SigV4 over the AWS chain.
std::shared_ptr<ProviderParts> makeBedrockParts(const AuthContext &context,
                                                const Resolution &resolution,
                                                const ClientConfig &config, Authorizer *authorizer);

} // namespace qlaude
