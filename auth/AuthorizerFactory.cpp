#include "AuthorizerFactory.h"

#include "ApiKeyHelper.h"
#include "NetworkSetup.h"
#include "OAuthAuthorizer.h"

namespace qlaude {

std::unique_ptr<Authorizer> makeAuthorizer(const AuthContext &ctx, const Resolution &res,
                                           QString *warning)
{
    if (!res.usable())
        return nullptr;
    if (res.credential.source == QLatin1String("apiKeyHelper")) {
        // A user, --settings or managed helper runs from the home folder with the trusted
        // layers' environment; a project helper (trusted by now) runs in the workspace.
        const AuthContext::CommandSite site = ctx.commandSite(QStringLiteral("apiKeyHelper"));
        ApiKeyHelper::Config config = ApiKeyHelper::configFrom(
            res.helperCommand, site.workingDirectory, ctx.environment(), warning);
        config.environment = site.environment;
        return std::make_unique<ApiKeyHelper>(std::move(config));
    }
    // A stored OAuth login refreshes itself; an OAuth token from the environment never does.
    if (res.credential.source == QLatin1String("keychain:oauth")) {
        auto oauth = std::make_unique<OAuthAuthorizer>();
        oauth->setKeychainPrefix(ctx.keychainPrefix());
        oauth->setNetworkSetup(NetworkSetup::fromContext(ctx));
        return oauth;
    }
    return std::make_unique<StaticAuthorizer>(res.credential);
}

} // namespace qlaude
