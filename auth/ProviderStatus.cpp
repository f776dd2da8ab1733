#include "ProviderStatus.h"

#include "AwsConfig.h"
#include "AwsCredentialProvider.h"
#include "RequestOptions.h"

#include <QJsonArray>

namespace qlaude {

namespace {
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
            st.missing << QStringLiteral("No credential: log in, set ANTHROPIC_API_KEY, or "
                                         "configure an apiKeyHelper.");
        break;
    }
    case Provider::Bedrock: {
        b.flag("CLAUDE_CODE_USE_BEDROCK");
        const AwsRegion region = AwsConfig::region(
            ctx.environment(), [&ctx](const QString &name) { return ctx.envSource(name); });
        st.sources.insert(QStringLiteral("region"), region.source);
        st.facts << QStringLiteral("Region: %1%2")
                        .arg(region.region, region.source.startsWith(QLatin1String("default"))
                                                ? QStringLiteral(" (default)")
                                                : QStringLiteral(" (%1)").arg(region.source));
        const QString profile = AwsConfig::profileName(ctx.environment());
        if (!ctx.env(QStringLiteral("AWS_PROFILE")).isEmpty())
            st.sources.insert(QStringLiteral("AWS_PROFILE"),
                              ctx.envSource(QStringLiteral("AWS_PROFILE")));
        st.facts << QStringLiteral("Profile: %1").arg(profile);
        b.var("ANTHROPIC_BEDROCK_BASE_URL");
        const bool skip = b.flag("CLAUDE_CODE_SKIP_BEDROCK_AUTH");
        const bool bearer = b.secret("AWS_BEARER_TOKEN_BEDROCK", "cloud:aws-bearer-token");
        QString why;
        const QString chain =
            AwsCredentialProvider::staticSource(AwsCredentialProvider::configFrom(ctx), &why);
        if (!chain.isEmpty())
            st.sources.insert(QStringLiteral("aws-credentials"), chain);
        if (skip)
            st.facts << QStringLiteral("Authentication: skipped (CLAUDE_CODE_SKIP_BEDROCK_AUTH)");
        else if (bearer)
            st.facts << QStringLiteral("Authentication: Bedrock API key (Bearer)");
        else if (!chain.isEmpty())
            st.facts
                << QStringLiteral("Authentication: SigV4 with AWS credentials from %1").arg(chain);
        if (!skip && !bearer && chain.isEmpty())
            st.missing << why;
        // Instance metadata exists only on EC2: when it is all that is left, say so instead of
        // calling a desktop configured.
        if (!skip && !bearer && chain.startsWith(QLatin1String("instance metadata")))
            st.missing << QStringLiteral("No AWS credentials were found in the environment, the "
                                         "AWS files or a command; only instance metadata (EC2) "
                                         "is left to try. Set AWS_PROFILE, access keys or a "
                                         "Bedrock API key, or AWS_EC2_METADATA_DISABLED=true "
                                         "off EC2.");
        break;
    }
    case Provider::Vertex: {
        b.flag("CLAUDE_CODE_USE_VERTEX");
        const QString region = b.var("CLOUD_ML_REGION", QStringLiteral("us-east5"));
        st.facts << QStringLiteral("Region: %1%2")
                        .arg(region, ctx.env(QStringLiteral("CLOUD_ML_REGION")).isEmpty()
                                         ? QStringLiteral(" (default)")
                                         : QString());
        if (b.var("ANTHROPIC_VERTEX_PROJECT_ID").isEmpty())
            st.missing << QStringLiteral("ANTHROPIC_VERTEX_PROJECT_ID is not set. Vertex AI needs "
                                         "the ID of your Google Cloud project.");
        b.var("ANTHROPIC_VERTEX_BASE_URL");
        b.var("GOOGLE_APPLICATION_CREDENTIALS");
        if (b.flag("CLAUDE_CODE_SKIP_VERTEX_AUTH"))
            st.facts << QStringLiteral("Authentication: skipped (CLAUDE_CODE_SKIP_VERTEX_AUTH)");
        break;
    }
    case Provider::Foundry: {
        b.flag("CLAUDE_CODE_USE_FOUNDRY");
        const QString resource = b.var("ANTHROPIC_FOUNDRY_RESOURCE");
        const QString base = b.var("ANTHROPIC_FOUNDRY_BASE_URL");
        if (resource.isEmpty() && base.isEmpty())
            st.missing << QStringLiteral("Neither ANTHROPIC_FOUNDRY_RESOURCE nor "
                                         "ANTHROPIC_FOUNDRY_BASE_URL is set. Set one of them.");
        b.secret("ANTHROPIC_FOUNDRY_API_KEY", "cloud:foundry-api-key");
        b.var("AZURE_TENANT_ID");
        b.var("AZURE_CLIENT_ID");
        if (b.flag("CLAUDE_CODE_SKIP_FOUNDRY_AUTH"))
            st.facts << QStringLiteral("Authentication: skipped (CLAUDE_CODE_SKIP_FOUNDRY_AUTH)");
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
