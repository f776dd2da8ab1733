#include "ProviderFactory.h"

#include "AnthropicClient.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "BedrockClient.h"
#include "FoundryClient.h"
#include "VertexClient.h"

namespace qlaude {

ProviderSetup makeProviderSetup(const AuthContext &context, Authorizer *authorizer)
{
    return makeProviderSetup(context, AuthResolver::resolve(context, KeychainSnapshot()),
                             authorizer);
}

ProviderSetup makeProviderSetup(const AuthContext &context, const Resolution &resolution,
                                Authorizer *authorizer)
{
    ProviderSetup s;
    s.config = ClientConfig::fromContext(context);
    const Provider p = context.provider();
    if (p == Provider::Anthropic) {
        s.parts = makeAnthropicParts(s.config, authorizer);
        return s;
    }
    if (p == Provider::Bedrock)
        s.parts = makeBedrockParts(context, resolution, s.config, authorizer);
    else if (p == Provider::Vertex)
        s.parts = makeVertexParts(context, resolution, s.config, authorizer);
    else
        s.parts = makeFoundryParts(context, resolution, s.config, authorizer);
    return s;
}

std::unique_ptr<ProviderClient>
makeProviderClient(const AuthContext &context, const Resolution &resolution, Authorizer *authorizer,
                   QNetworkAccessManager *nam, QString *error, QObject *parent)
{
    ProviderSetup s = makeProviderSetup(context, resolution, authorizer);
    if (!s.error.isEmpty()) {
        if (error)
            *error = s.error;
        return nullptr;
    }
    return std::make_unique<ProviderClient>(std::move(s.config), std::move(s.parts), nam, parent);
}

} // namespace qlaude
