#include "FoundryClient.h"

#include "AnthropicClient.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "AzureCredentialProvider.h"
#include "CredentialSigner.h"
#include "NetworkSetup.h"

#include <QJsonDocument>

namespace qlaude {

FoundryRequestBuilder::FoundryRequestBuilder(ClientConfig config, FoundryConfig foundry)
    : m_config(std::move(config)), m_foundry(std::move(foundry))
{
    m_config.baseUrl = m_foundry.baseUrl;
}

bool FoundryRequestBuilder::build(const CallSpec &spec, PreparedRequest *out, QString *error) const
{
    if (!m_foundry.error.isEmpty()) {
        *error = m_foundry.error;
        return false;
    }
    if (spec.kind == CallSpec::Kind::ListModels) {
        *error = QStringLiteral("Microsoft Foundry has no model list in the Messages API: the "
                                "model is your deployment's name");
        return false;
    }
    return AnthropicRequestBuilder(m_config).build(spec, out, error);
}

FoundryEntraSigner::FoundryEntraSigner(std::unique_ptr<AzureCredentialProvider> provider)
    : m_provider(std::move(provider))
{
}

FoundryEntraSigner::~FoundryEntraSigner() = default;

void FoundryEntraSigner::sign(std::shared_ptr<PreparedRequest> request, Done done)
{
    m_provider->get([request, done](const AzureToken &token, const QString &error) {
        if (!token.isValid()) {
            ApiError e;
            e.kind = ApiError::Kind::Auth;
            e.message = error.isEmpty() ? QStringLiteral("No Microsoft Entra ID token is available")
                                        : error;
            e.hint = QStringLiteral("Set ANTHROPIC_FOUNDRY_API_KEY, or sign in to Azure (`az "
                                    "login`, or AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                                    "AZURE_CLIENT_SECRET); qlaude --doctor shows what it found.");
            done(e, Signature());
            return;
        }
        if (!request->setBearerCredential(token.accessToken)) {
            done(unusableTokenError(token.source), Signature());
            return;
        }
        done(ApiError(), Signature{token.source, {token.accessToken}});
    });
}

bool FoundryEntraSigner::invalidate()
{
    // A 401 asks once more with a fresh fetch, whatever the source: the Azure CLI or a managed
    // identity may hand back a newer token too (the call loop retries at most once).
    m_provider->invalidate();
    return true;
}

ApiError FoundryErrorMapper::fromHttp(int status, const QByteArray &body,
                                      const HeaderLookup &headers, const QString &credentialSource,
                                      const QString &model) const
{
    ApiError e = ApiError::fromHttp(status, body, requestId(headers), credentialSource, model);
    const QJsonObject err =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("error")).toObject();
    // Azure's shape: {"error": {"code": "DeploymentNotFound", "message": ...}}.
    const QString code = err.value(QStringLiteral("code")).toVariant().toString();
    if (e.type.isEmpty() && !code.isEmpty())
        e.type = code;
    if (!e.message.isEmpty())
        e.message = QStringLiteral("Microsoft Foundry: %1").arg(e.message.left(400));
    const QString where = m_foundry.resource.isEmpty() || m_foundry.resourceIgnored
                              ? m_foundry.baseUrl.host()
                              : QStringLiteral("resource %1").arg(m_foundry.resource);
    if (credentialRejected(status, e)) {
        const bool key = credentialSource.contains(QLatin1String("api-key"), Qt::CaseInsensitive) ||
                         credentialSource.contains(QLatin1String("API_KEY"));
        e.hint =
            key ? QStringLiteral("The Foundry API key from %1 was rejected: copy the key of "
                                 "%2 from the Azure portal (Keys and Endpoint).")
                      .arg(credentialSource, where)
                : QStringLiteral("The Microsoft Entra ID token from %1 was rejected: check "
                                 "the tenant, and that the token's audience matches "
                                 "QLAUDE_FOUNDRY_SCOPE (%2).")
                      .arg(credentialSource.isEmpty() ? QStringLiteral("Azure") : credentialSource,
                           m_foundry.scope);
    } else if (code == QLatin1String("DeploymentNotFound") ||
               (status == 404 &&
                e.message.contains(QLatin1String("deployment"), Qt::CaseInsensitive))) {
        e.hint = QStringLiteral("No deployment named %1 exists in %2: deploy the model in the "
                                "Foundry portal, or set ANTHROPIC_MODEL to your deployment's "
                                "name.")
                     .arg(model, where);
    } else if (status == 404) {
        e.hint = QStringLiteral("%1 did not recognise the request: check the resource name "
                                "(ANTHROPIC_FOUNDRY_RESOURCE) or ANTHROPIC_FOUNDRY_BASE_URL, "
                                "which ends in /anthropic.")
                     .arg(where);
    } else if (status == 403 || code == QLatin1String("PermissionDenied")) {
        e.hint = QStringLiteral("Your Azure identity may not call %1: assign it the \"Cognitive "
                                "Services User\" role on the resource.")
                     .arg(where);
    } else if (status == 429) {
        e.hint = QStringLiteral("Foundry is limiting the rate for %1: wait a moment, or raise "
                                "the deployment's quota.")
                     .arg(model);
    }
    return e;
}

QString FoundryErrorMapper::requestId(const HeaderLookup &headers) const
{
    for (const char *name : {"request-id", "apim-request-id", "x-ms-request-id"}) {
        const QByteArray id = headers(name);
        if (!id.isEmpty())
            return QString::fromLatin1(id);
    }
    return QString();
}

bool FoundryErrorMapper::credentialRejected(int status, const ApiError &) const
{
    return status == 401;
}

std::shared_ptr<ProviderParts> makeFoundryParts(const AuthContext &ctx, const Resolution &res,
                                                const ClientConfig &config, Authorizer *authorizer)
{
    const FoundryConfig foundry = FoundryConfig::fromContext(ctx);
    auto parts = std::make_shared<ProviderParts>();
    parts->name = QStringLiteral("foundry");
    parts->builder = std::make_unique<FoundryRequestBuilder>(config, foundry);
    if (res.credential.kind == CredentialKind::EntraId) {
        AzureCredentialProvider::Config azure;
        azure.environment = ctx.environment();
        azure.network = NetworkSetup::fromContext(ctx);
        azure.scope = foundry.scope;
        azure.keychainClientSecret = res.credential.clientSecret;
        parts->signer = std::make_unique<FoundryEntraSigner>(
            std::make_unique<AzureCredentialProvider>(std::move(azure)));
    } else {
        parts->signer = std::make_unique<CredentialSigner>(authorizer); // API key or skipped
    }
    parts->makeDecoder = [] { return std::make_unique<SseStreamDecoder>(); };
    parts->errors = std::make_unique<FoundryErrorMapper>(foundry);
    parts->capabilities.countTokens = true;
    return parts;
}

} // namespace qlaude
