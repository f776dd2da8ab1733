#include "ProviderFactory.h"

#include "AnthropicClient.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "BedrockClient.h"

namespace qlaude {

namespace {
// A provider this build cannot reach: every call fails with the sentence that says so.
class UnavailableBuilder : public RequestBuilder
{
public:
    explicit UnavailableBuilder(QString error) : m_error(std::move(error)) {}
    bool build(const CallSpec &, PreparedRequest *, QString *error) const override
    {
        *error = m_error;
        return false;
    }

private:
    QString m_error;
};
} // namespace

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
    if (p == Provider::Bedrock) {
        s.parts = makeBedrockParts(context, resolution, s.config, authorizer);
        return s;
    }
    s.error = QStringLiteral("%1 is selected, but this version of Qlaude cannot send requests "
                             "to it yet. Unset CLAUDE_CODE_USE_%2 to use the Anthropic API.")
                  .arg(providerTitle(p), providerName(p).toUpper());
    s.parts = makeAnthropicParts(s.config, authorizer);
    s.parts->name = providerName(p);
    s.parts->builder = std::make_unique<UnavailableBuilder>(s.error);
    s.parts->capabilities = ProviderCapabilities();
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
