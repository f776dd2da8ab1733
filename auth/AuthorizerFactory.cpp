#include "AuthorizerFactory.h"

#include "ApiKeyHelper.h"
#include "OAuthAuthorizer.h"
#include "ProxySettings.h"

namespace qlaude {

std::unique_ptr<Authorizer> makeAuthorizer(const AuthContext &ctx, const Resolution &res,
                                           QString *warning)
{
    if (!res.usable())
        return nullptr;
    if (res.credential.source == QLatin1String("apiKeyHelper")) {
        return std::make_unique<ApiKeyHelper>(ApiKeyHelper::configFrom(
            res.helperCommand, ctx.options().workspace, ctx.environment(), warning));
    }
    // A stored OAuth login refreshes itself; an OAuth token from the environment never does.
    if (res.credential.source == QLatin1String("keychain:oauth")) {
        auto oauth = std::make_unique<OAuthAuthorizer>();
        oauth->setProxyFactory(new ProxySettings(ctx.environment()));
        return oauth;
    }
    return std::make_unique<StaticAuthorizer>(res.credential);
}

} // namespace qlaude
