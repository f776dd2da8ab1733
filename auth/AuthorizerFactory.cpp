#include "AuthorizerFactory.h"

#include "ApiKeyHelper.h"

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
    return std::make_unique<StaticAuthorizer>(res.credential);
}

} // namespace qlaude
