#include "ProviderStatus.h"

#include "AwsConfig.h"
#include "AwsCredentialProvider.h"
#include "AzureCredentialProvider.h"
#include "FoundryConfig.h"
#include "GoogleCredentialProvider.h"
#include "RequestOptions.h"
#include "VertexConfig.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QStandardPaths>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ProviderStatus)
};

struct Builder
{
    const AuthContext &ctx;
    const KeychainSnapshot &kc;
    ProviderStatus &st;

    // Records where a variable came from, if it is set; returns its value.
    QString var(const char *name, const QString &fallback = QString())
    {
        const QString n = QLatin1String(name);
        const QString v = ctx.env(n);
        if (!v.isEmpty())
            st.sources.insert(n, ctx.envSource(n));
        else if (!fallback.isNull())
            st.sources.insert(n, QStringLiteral("default (%1)").arg(fallback));
        return v.isEmpty() ? fallback : v;
    }
    bool flag(const char *name)
    {
        const bool on = isTruthy(ctx.env(QLatin1String(name)));
        if (on)
            st.sources.insert(QLatin1String(name), ctx.envSource(QLatin1String(name)));
        return on;
    }
    // A secret from the environment or the keychain entry the settings dialog saves.
    bool secret(const char *name, const char *entry)
    {
        const QString n = QLatin1String(name);
        if (!ctx.env(n).isEmpty()) {
            st.sources.insert(n, ctx.envSource(n));
            return true;
        }
        if (entry && kc.cloud.contains(QLatin1String(entry))) {
            st.sources.insert(n, QStringLiteral("keychain (%1)").arg(QLatin1String(entry)));
            return true;
        }
        return false;
    }
};
} // namespace

QString ProviderStatus::title(Provider p)
{
    return p == Provider::Anthropic ? QStringLiteral("Anthropic API") : providerTitle(p);
}

ProviderStatus ProviderStatus::of(Provider p, const AuthContext &ctx, const KeychainSnapshot &kc)
{
    ProviderStatus st;
    st.provider = p;
    st.selected = ctx.provider() == p;
    Builder b{ctx, kc, st};
    switch (p) {
    case Provider::Anthropic: {
        b.var("ANTHROPIC_BASE_URL", QStringLiteral("https://api.anthropic.com"));
        const bool env = b.secret("ANTHROPIC_API_KEY", nullptr) |
                         b.secret("ANTHROPIC_AUTH_TOKEN", nullptr) |
                         b.secret("CLAUDE_CODE_OAUTH_TOKEN", nullptr);
        const QString helper = ctx.apiKeyHelper();
        if (!helper.isEmpty())
            st.sources.insert(QStringLiteral("apiKeyHelper"), ctx.apiKeyHelperSource());
        if (!kc.apiKey.isEmpty())
            st.sources.insert(QStringLiteral("keychain:api-key"), QStringLiteral("keychain"));
        if (!kc.oauthJson.isEmpty())
            st.sources.insert(QStringLiteral("keychain:oauth"), QStringLiteral("keychain"));
        if (!env && helper.isEmpty() && kc.apiKey.isEmpty() && kc.oauthJson.isEmpty())
            st.missing << Tr::tr("No credential: log in, set ANTHROPIC_API_KEY, or "
                                 "configure an apiKeyHelper.");
        break;
    }
    case Provider::Bedrock: {
        b.flag("CLAUDE_CODE_USE_BEDROCK");
        const AwsRegion region = AwsConfig::region(
            ctx.environment(), [&ctx](const QString &name) { return ctx.envSource(name); });
        st.sources.insert(QStringLiteral("region"), region.source);
        st.facts << Tr::tr("Region: %1%2")
                        .arg(region.region, region.source.startsWith(QLatin1String("default"))
                                                ? Tr::tr(" (default)")
                                                : QStringLiteral(" (%1)").arg(region.source));
        const QString profile = AwsConfig::profileName(ctx.environment());
        if (!ctx.env(QStringLiteral("AWS_PROFILE")).isEmpty())
            st.sources.insert(QStringLiteral("AWS_PROFILE"),
                              ctx.envSource(QStringLiteral("AWS_PROFILE")));
        st.facts << Tr::tr("Profile: %1").arg(profile);
        b.var("ANTHROPIC_BEDROCK_BASE_URL");
        const bool skip = b.flag("CLAUDE_CODE_SKIP_BEDROCK_AUTH");
        const bool bearer = b.secret("AWS_BEARER_TOKEN_BEDROCK", "cloud:aws-bearer-token");
        QString why;
        const QString chain =
            AwsCredentialProvider::staticSource(AwsCredentialProvider::configFrom(ctx), &why);
        if (!chain.isEmpty())
            st.sources.insert(QStringLiteral("aws-credentials"), chain);
        if (skip)
            st.facts << Tr::tr("Authentication: skipped (CLAUDE_CODE_SKIP_BEDROCK_AUTH)");
        else if (bearer)
            st.facts << Tr::tr("Authentication: Bedrock API key (Bearer)");
        else if (!chain.isEmpty())
            st.facts << Tr::tr("Authentication: SigV4 with AWS credentials from %1").arg(chain);
        if (!skip && !bearer && chain.isEmpty())
            st.missing << why;
        // Instance metadata exists only on EC2: when it is all that is left, say so instead of
        // calling a desktop configured.
        if (!skip && !bearer && chain.startsWith(QLatin1String("instance metadata")))
            st.missing << Tr::tr("No AWS credentials were found in the environment, the "
                                 "AWS files or a command; only instance metadata (EC2) "
                                 "is left to try. Set AWS_PROFILE, access keys or a "
                                 "Bedrock API key, or AWS_EC2_METADATA_DISABLED=true "
                                 "off EC2.");
        break;
    }
    case Provider::Vertex: {
        b.flag("CLAUDE_CODE_USE_VERTEX");
        VertexConfig vertex = VertexConfig::fromContext(ctx);
        // Without authentication there is no metadata server to ask for the project.
        if (isTruthy(ctx.env(QStringLiteral("CLAUDE_CODE_SKIP_VERTEX_AUTH"))))
            vertex.projectFromMetadata = false;
        b.var("CLOUD_ML_REGION");
        st.sources.insert(QStringLiteral("region"), vertex.defaultRegion.source);
        st.facts << Tr::tr("Region: %1 (%2)")
                        .arg(vertex.defaultRegion.value, vertex.defaultRegion.source);
        for (auto it = vertex.modelRegions.begin(); it != vertex.modelRegions.end(); ++it) {
            st.sources.insert(it.key(), it.value().source);
            st.facts << Tr::tr("Region for %1: %2").arg(it.key(), it.value().value);
        }
        if (!vertex.project.value.isEmpty()) {
            st.sources.insert(QStringLiteral("project"), vertex.project.source);
            st.facts << Tr::tr("Project: %1 (%2)").arg(vertex.project.value, vertex.project.source);
        } else {
            st.missing << (vertex.projectFromMetadata
                               ? Tr::tr("No Google Cloud project is set: set "
                                        "ANTHROPIC_VERTEX_PROJECT_ID (or "
                                        "GOOGLE_CLOUD_PROJECT) to your project id. Only "
                                        "the metadata server (on Google Cloud) could "
                                        "name one.")
                               : Tr::tr("No Google Cloud project is set: set "
                                        "ANTHROPIC_VERTEX_PROJECT_ID (or "
                                        "GOOGLE_CLOUD_PROJECT) to your project id."));
        }
        b.var("ANTHROPIC_VERTEX_BASE_URL");
        QString urlError;
        // The URL of the chat model: ANTHROPIC_MODEL when it is an id, else the Vertex default.
        QString model = ctx.env(QStringLiteral("ANTHROPIC_MODEL")).trimmed();
        if (!model.contains(QLatin1Char('-')))
            model = QStringLiteral("claude-sonnet-4-5@20250929");
        const QUrl url = vertex.urlFor(model, QStringLiteral("streamRawPredict"), &urlError);
        if (url.isValid() && !vertex.project.value.isEmpty())
            st.facts << Tr::tr("URL: %1").arg(url.toDisplayString());
        else if (!url.isValid() && !vertex.project.value.isEmpty())
            st.missing << urlError + QLatin1Char('.'); // a region that is not a region name
        const bool skip = b.flag("CLAUDE_CODE_SKIP_VERTEX_AUTH");
        b.var("GOOGLE_APPLICATION_CREDENTIALS");
        b.var("GOOGLE_CLOUD_QUOTA_PROJECT");
        QString why;
        const QString source =
            GoogleCredentialProvider::staticSource(GoogleCredentialProvider::configFrom(ctx), &why);
        if (!source.isEmpty())
            st.sources.insert(QStringLiteral("google-credentials"), source);
        if (skip)
            st.facts << Tr::tr("Authentication: skipped (CLAUDE_CODE_SKIP_VERTEX_AUTH)");
        else if (source.isEmpty())
            st.missing << why;
        else
            st.facts << Tr::tr("Authentication: Google access token from %1").arg(source);
        if (!skip && source == QLatin1String("metadata server"))
            st.missing << Tr::tr("No Google credentials were found in "
                                 "GOOGLE_APPLICATION_CREDENTIALS or gcloud's files; only "
                                 "the metadata server (on Google Cloud) is left to try. "
                                 "Run `gcloud auth application-default login`, or set "
                                 "GOOGLE_APPLICATION_CREDENTIALS.");
        break;
    }
    case Provider::Foundry: {
        b.flag("CLAUDE_CODE_USE_FOUNDRY");
        b.var("ANTHROPIC_FOUNDRY_RESOURCE");
        b.var("ANTHROPIC_FOUNDRY_BASE_URL");
        const FoundryConfig foundry = FoundryConfig::fromContext(ctx);
        if (!foundry.error.isEmpty())
            st.missing << foundry.error + QLatin1Char('.');
        else
            st.facts << Tr::tr("Endpoint: %1 (from %2)")
                            .arg(foundry.baseUrl.toDisplayString(), foundry.baseUrlSource);
        if (foundry.resourceIgnored)
            st.facts << Tr::tr("Warning: ANTHROPIC_FOUNDRY_RESOURCE is ignored because "
                               "ANTHROPIC_FOUNDRY_BASE_URL is set.");
        const bool skip = b.flag("CLAUDE_CODE_SKIP_FOUNDRY_AUTH");
        const bool key = b.secret("ANTHROPIC_FOUNDRY_API_KEY", "cloud:foundry-api-key");
        const QString tenant = b.var("AZURE_TENANT_ID");
        const QString client = b.var("AZURE_CLIENT_ID");
        if (!key && !skip && (!tenant.isEmpty() || !client.isEmpty()))
            st.facts << Tr::tr("Tenant: %1; client id: %2")
                            .arg(tenant.isEmpty() ? Tr::tr("not set") : tenant,
                                 client.isEmpty() ? Tr::tr("not set") : client);
        b.secret("AZURE_CLIENT_SECRET", "cloud:azure-client-secret");
        b.var("AZURE_TOKEN_CREDENTIALS");
        AzureCredentialProvider::Config azure;
        azure.environment = ctx.environment();
        azure.scope = foundry.scope;
        if (kc.read)
            azure.keychainClientSecret =
                kc.cloud.value(QStringLiteral("cloud:azure-client-secret"));
        QString why;
        const QString source = AzureCredentialProvider::staticSource(azure, &why);
        if (skip) {
            st.facts << Tr::tr("Authentication: skipped (CLAUDE_CODE_SKIP_FOUNDRY_AUTH)");
        } else if (key) {
            st.facts << Tr::tr("Authentication: Foundry API key (x-api-key)");
        } else {
            // Off Azure, IMDS is only what is left to try: then the Azure CLI (if installed)
            // is what will answer.
            const bool imdsOnly = source.startsWith(QLatin1String("managed identity (IMDS)"));
            const bool haveAz =
                !QStandardPaths::findExecutable(
                     QStringLiteral("az"),
                     ctx.env(QStringLiteral("PATH")).split(QLatin1Char(':'), Qt::SkipEmptyParts))
                     .isEmpty();
            if (source.isEmpty())
                st.missing << why;
            else if (imdsOnly && haveAz)
                st.facts << Tr::tr("Authentication: Microsoft Entra ID token from "
                                   "managed identity (IMDS, on Azure only), else the "
                                   "Azure CLI (az login); scope %1")
                                .arg(foundry.scope);
            else
                st.facts << Tr::tr("Authentication: Microsoft Entra ID token from %1, "
                                   "scope %2")
                                .arg(source, foundry.scope);
            if (imdsOnly && !haveAz)
                st.missing << Tr::tr("No Azure credentials were found; only managed "
                                     "identity (on an Azure machine) is left to try. Set "
                                     "ANTHROPIC_FOUNDRY_API_KEY, or AZURE_TENANT_ID, "
                                     "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or install "
                                     "the Azure CLI and run `az login`.");
            st.missing << AzureCredentialProvider::configurationProblems(azure);
        }
        if (!ctx.env(QStringLiteral("QLAUDE_FOUNDRY_SCOPE")).isEmpty())
            st.sources.insert(QStringLiteral("QLAUDE_FOUNDRY_SCOPE"),
                              ctx.envSource(QStringLiteral("QLAUDE_FOUNDRY_SCOPE")));
        break;
    }
    }
    return st;
}

QList<ProviderStatus> ProviderStatus::all(const AuthContext &ctx, const KeychainSnapshot &kc)
{
    return {of(Provider::Anthropic, ctx, kc), of(Provider::Bedrock, ctx, kc),
            of(Provider::Vertex, ctx, kc), of(Provider::Foundry, ctx, kc)};
}

QJsonObject ProviderStatus::toJson() const
{
    QJsonObject sourcesJson;
    for (auto it = sources.begin(); it != sources.end(); ++it)
        sourcesJson.insert(it.key(), it.value());
    return QJsonObject{{QStringLiteral("title"), title(provider)},
                       {QStringLiteral("selected"), selected},
                       {QStringLiteral("configured"), configured()},
                       {QStringLiteral("missing"), QJsonArray::fromStringList(missing)},
                       {QStringLiteral("sources"), sourcesJson},
                       {QStringLiteral("facts"), QJsonArray::fromStringList(facts)}};
}

} // namespace qlaude
