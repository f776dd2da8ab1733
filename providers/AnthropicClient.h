#pragma once

#include "Authorizer.h"
#include "ProviderClient.h"

namespace qlaude {

// What is Anthropic's own: the Messages API's URLs, headers and error body. The call loop,
// retries and stream assembly are the shared ProviderClient's.
class AnthropicRequestBuilder : public RequestBuilder
{
public:
    explicit AnthropicRequestBuilder(ClientConfig config) : m_config(std::move(config)) {}
    bool build(const CallSpec &spec, PreparedRequest *out, QString *error) const override;
    bool parseModelPage(const QByteArray &body, QList<ModelInfo> *models,
                        QString *nextAfterId) const override;

private:
    ClientConfig m_config;
};

class AnthropicErrorMapper : public ErrorMapper
{
public:
    ApiError fromHttp(int status, const QByteArray &body, const HeaderLookup &headers,
                      const QString &credentialSource, const QString &model) const override;
    QString requestId(const HeaderLookup &headers) const override;
    // A 401, or a 403 saying the OAuth token was revoked.
    bool credentialRejected(int status, const ApiError &error) const override;
};

// The four parts of the direct Anthropic API: its builder, a key-or-token signer over the
// authorizer (not owned; it must outlive every call that may still ask it), SSE, its errors.
std::shared_ptr<ProviderParts> makeAnthropicParts(const ClientConfig &config,
                                                  Authorizer *authorizer);

// The direct Anthropic Messages API: a ProviderClient made of the Anthropic parts.
class AnthropicClient : public ProviderClient
{
    Q_OBJECT
public:
    AnthropicClient(ClientConfig config, Authorizer *authorizer, QNetworkAccessManager *nam,
                    QObject *parent = nullptr)
        : ProviderClient(config, makeAnthropicParts(config, authorizer), nam, parent)
    {
    }
    using ProviderClient::reconfigure;
    void reconfigure(ClientConfig config, Authorizer *authorizer)
    {
        std::shared_ptr<ProviderParts> parts = makeAnthropicParts(config, authorizer);
        ProviderClient::reconfigure(std::move(config), std::move(parts));
    }
};

} // namespace qlaude
