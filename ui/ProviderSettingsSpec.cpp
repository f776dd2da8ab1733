#include "ProviderSettingsSpec.h"

#include "DialogSupport.h"
#include "RequestOptions.h"

#include <QCoreApplication>
#include <QUrl>
#include <QtGlobal>

#include <algorithm>
#include <climits>

namespace qlaude {

namespace {
using T = SettingsField::Type;

// The context of the page's texts: the labels below (QT_TRANSLATE_NOOP, looked up by
// settingsText()) and checkSettingsValue()'s sentences, so that lupdate files them where they
// are looked up.
struct ProviderSettingsTr
{
    Q_DECLARE_TR_FUNCTIONS(ProviderSettingsPage)
};

QList<ProviderPageSpec> buildSpecs()
{
    return {
        {Provider::Anthropic,
         QT_TRANSLATE_NOOP("ProviderSettingsPage", "Anthropic"),
         QT_TRANSLATE_NOOP("ProviderSettingsPage",
                           "Requests to the Anthropic API, or to a gateway in front of it."),
         {
             {"ANTHROPIC_BASE_URL", T::Url, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Base URL"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "Where requests go. Change it only for a gateway or proxy."),
              "https://api.anthropic.com"},
             {"ANTHROPIC_MODEL", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Model"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "The model for new chats, for example claude-sonnet-4-5, or an alias."),
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Qlaude's default model")},
             {"ANTHROPIC_CUSTOM_HEADERS", T::Headers,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Custom headers"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "One \"Name: Value\" per line, sent with every request.")},
             {"API_TIMEOUT_MS", T::PositiveInteger,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Timeout (ms)"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "How long one attempt may take, in milliseconds."),
              "600000"},
             {"ANTHROPIC_BETAS", T::List,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Beta features"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "Comma-separated anthropic-beta values to send.")},
             {"CLAUDE_CODE_ADDITIONAL_PROTECTION", T::Flag,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Additional protection"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "Sends x-anthropic-additional-protection: true with every request.")},
         }},
        {Provider::Bedrock,
         QT_TRANSLATE_NOOP("ProviderSettingsPage", "AWS Bedrock"),
         QT_TRANSLATE_NOOP("ProviderSettingsPage",
                           "Claude through Amazon Bedrock, with your AWS credentials."),
         {
             {"AWS_REGION", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Region"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "The AWS region that serves the model."),
              "us-east-1"},
             {"AWS_PROFILE", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Profile"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "A profile from ~/.aws/config and ~/.aws/credentials."),
              "default"},
             {"ANTHROPIC_BEDROCK_BASE_URL", T::Url,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Endpoint URL"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Only for a proxy or a private endpoint."),
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "the region's Bedrock endpoint")},
             {"ANTHROPIC_MODEL", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Model"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "The model for new chats: a Bedrock model or inference profile id. Shared "
                  "with the other pages' Model field."),
              "us.anthropic.claude-sonnet-4-5-20250929-v1:0"},
             {"CLAUDE_CODE_SKIP_BEDROCK_AUTH", T::Flag,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Skip AWS authentication"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "Send requests unsigned, for a proxy that signs them itself.")},
             {"AWS_BEARER_TOKEN_BEDROCK", T::Secret,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Bedrock API key"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "A Bedrock API key, used instead of AWS credentials. Kept in the "
                                "keychain."),
              nullptr, "cloud:aws-bearer-token"},
         }},
        {Provider::Vertex,
         QT_TRANSLATE_NOOP("ProviderSettingsPage", "Google Vertex AI"),
         QT_TRANSLATE_NOOP(
             "ProviderSettingsPage",
             "Claude through Google Cloud Vertex AI, with Application Default Credentials."),
         {
             {"ANTHROPIC_VERTEX_PROJECT_ID", T::Text,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Project ID"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "The Google Cloud project that has Claude enabled. When empty, "
                  "GOOGLE_CLOUD_PROJECT, the credentials file or gcloud's configuration "
                  "names it."),
              nullptr, nullptr, "my-project-123456"},
             {"CLOUD_ML_REGION", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Region"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "The Vertex AI region, or \"global\". VERTEX_REGION_CLAUDE_* variables "
                  "override it per model family."),
              "us-east5"},
             {"GOOGLE_APPLICATION_CREDENTIALS", T::Text,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Credentials file"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "A service-account key or other credentials JSON file. When empty, the "
                  "file `gcloud auth application-default login` writes is used, then the "
                  "metadata server."),
              "~/.config/gcloud/application_default_credentials.json"},
             {"ANTHROPIC_VERTEX_BASE_URL", T::Url,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Endpoint URL"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Only for a proxy or a private endpoint."),
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "the region's Vertex AI endpoint")},
             {"ANTHROPIC_MODEL", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Model"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "The model for new chats, as Vertex AI names it. Shared with the other "
                  "pages' Model field."),
              "claude-sonnet-4-5@20250929"},
             {"CLAUDE_CODE_SKIP_VERTEX_AUTH", T::Flag,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Skip Google authentication"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "Send requests without a Google token, for a proxy that adds it.")},
         }},
        {Provider::Foundry,
         QT_TRANSLATE_NOOP("ProviderSettingsPage", "Microsoft Foundry"),
         QT_TRANSLATE_NOOP(
             "ProviderSettingsPage",
             "Claude through Microsoft Foundry, with an API key or Microsoft Entra ID."),
         {
             {"ANTHROPIC_FOUNDRY_RESOURCE", T::Text,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Resource name"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "Requests go to https://<resource>.services.ai.azure.com/anthropic."),
              nullptr, nullptr, "my-resource"},
             {"ANTHROPIC_FOUNDRY_BASE_URL", T::Url,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Endpoint URL"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "Use it instead of the resource name for another endpoint; when both are "
                  "set, this one wins."),
              nullptr, nullptr, "https://my-resource.services.ai.azure.com/anthropic"},
             {"ANTHROPIC_MODEL", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Model"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "The model for new chats: your deployment's name. Shared with the other "
                  "pages' Model field."),
              "claude-sonnet-4-5"},
             {"ANTHROPIC_FOUNDRY_API_KEY", T::Secret,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "API key"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "The resource's key, sent as x-api-key instead of Microsoft Entra ID "
                  "sign-in. Kept in the keychain."),
              nullptr, "cloud:foundry-api-key"},
             {"AZURE_TENANT_ID", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Tenant ID"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "For Entra ID sign-in with an app registration (a service principal)."),
              nullptr, nullptr, "00000000-0000-0000-0000-000000000000"},
             {"AZURE_CLIENT_ID", T::Text, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Client ID"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "The app registration's application (client) ID."),
              nullptr, nullptr, "00000000-0000-0000-0000-000000000000"},
             {"AZURE_CLIENT_SECRET", T::Secret,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Client secret"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "The app registration's secret. Kept in the keychain. Without one, Qlaude "
                  "uses workload or managed identity, then `az login`."),
              nullptr, "cloud:azure-client-secret"},
             {"CLAUDE_CODE_SKIP_FOUNDRY_AUTH", T::Flag,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Skip Azure authentication"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "Send requests without Azure credentials, for a proxy that adds them.")},
         }},
        {Provider::Anthropic,
         QT_TRANSLATE_NOOP("ProviderSettingsPage", "Network"),
         QT_TRANSLATE_NOOP(
             "ProviderSettingsPage",
             "How every provider, sign-in and token request reaches the network: a proxy, "
             "your company's CA certificates and a client certificate. The same variables "
             "as the Claude Code CLI."),
         {
             {"HTTPS_PROXY", T::Url, QT_TRANSLATE_NOOP("ProviderSettingsPage", "Proxy"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "An http:// proxy for every request, with user@ when it asks for a name. "
                  "Leave the password out: it would be saved in plaintext. Use "
                  "proxyAuthHelper, or HTTPS_PROXY in the environment, instead."),
              nullptr, nullptr, "http://proxy.example.com:3128"},
             {"NO_PROXY", T::List, QT_TRANSLATE_NOOP("ProviderSettingsPage", "No proxy for"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "Hosts that go direct: example.com, .example.com (with its subdomains), "
                  "10.0.0.0/8, or * for all."),
              nullptr, nullptr, "localhost,.corp.example.com"},
             {"NODE_EXTRA_CA_CERTS", T::Text,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Extra CA certificates"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "A PEM file with your company's CA certificates, trusted in addition to "
                  "the system's. Needed behind a proxy that inspects TLS."),
              nullptr, nullptr, "/etc/ssl/corp-ca.pem"},
             {"CLAUDE_CODE_CLIENT_CERT", T::Text,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Client certificate"),
              QT_TRANSLATE_NOOP(
                  "ProviderSettingsPage",
                  "A PEM file, for a gateway that requires mutual TLS. Sent to the API and "
                  "to token servers."),
              nullptr, nullptr, "/home/me/.certs/client.pem"},
             {"CLAUDE_CODE_CLIENT_KEY", T::Text,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Client key"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "The certificate's private key, a PEM file."),
              nullptr, nullptr, "/home/me/.certs/client.key"},
             {"CLAUDE_CODE_CLIENT_KEY_PASSPHRASE", T::Secret,
              QT_TRANSLATE_NOOP("ProviderSettingsPage", "Key passphrase"),
              QT_TRANSLATE_NOOP("ProviderSettingsPage",
                                "For an encrypted key. Kept in the keychain."),
              nullptr, "network:client-key-passphrase"},
         },
         true},
    };
}

} // namespace

const QList<ProviderPageSpec> &providerPageSpecs()
{
    static const QList<ProviderPageSpec> specs = buildSpecs();
    return specs;
}

QString settingsText(const char *text)
{
    return text ? QCoreApplication::translate("ProviderSettingsPage", text) : QString();
}

QString checkSettingsValue(const SettingsField &field, const QString &v)
{
    auto hasSpace = [](const QString &s) {
        return std::any_of(s.begin(), s.end(), [](QChar c) { return c.isSpace(); });
    };
    if (v.isEmpty())
        return QString();
    switch (field.type) {
    case T::Url: {
        const QUrl url(v, QUrl::StrictMode);
        const bool web =
            url.scheme() == QLatin1String("https") || url.scheme() == QLatin1String("http");
        if (!url.isValid() || !web || url.host().isEmpty())
            return ProviderSettingsTr::tr("Enter a full http:// or https:// address, for example "
                                          "https://gateway.example.com.");
        // "…" stands for a password already in the file, which the page keeps but never shows.
        if (qstrcmp(field.variable, "HTTPS_PROXY") == 0 && !url.password().isEmpty() &&
            url.password() != QStringLiteral("…"))
            return ProviderSettingsTr::tr(
                "Leave the password out of the proxy address: Save would write it to the "
                "settings file in plaintext. Use proxyAuthHelper, or set HTTPS_PROXY in "
                "the environment.");
        return QString();
    }
    case T::PositiveInteger: {
        bool ok = false;
        const qlonglong n = v.toLongLong(&ok);
        if (!ok || n <= 0 || n > INT_MAX)
            return ProviderSettingsTr::tr(
                "Enter a whole number of milliseconds greater than 0, for example 600000.");
        return QString();
    }
    case T::Headers: {
        QStringList errors;
        RequestOptions::parseCustomHeaders(v, &errors);
        return errors.join(QLatin1Char('\n'));
    }
    case T::List: {
        const QStringList items = v.split(QLatin1Char(','));
        for (const QString &item : items) {
            if (item.trimmed().isEmpty() || hasSpace(item.trimmed()))
                return ProviderSettingsTr::tr(
                    "Separate the values with commas; a value cannot be empty or contain "
                    "spaces.");
        }
        return QString();
    }
    case T::Secret:
        // A passphrase may hold spaces; a key or token never does.
        if (field.keychainKey && QByteArray(field.keychainKey).startsWith("network:")) {
            if (v.contains(QLatin1Char('\n')) || v.contains(QLatin1Char('\r')))
                return ProviderSettingsTr::tr("A passphrase is one line. Type it again.");
            return QString();
        }
        if (!isPlainToken(v))
            return ProviderSettingsTr::tr(
                "This contains spaces, line breaks or other characters a key never has. "
                "Copy it again and paste it here.");
        return QString();
    case T::Text:
        if (hasSpace(v))
            return ProviderSettingsTr::tr("%1 cannot contain spaces.")
                .arg(settingsText(field.label));
        return QString();
    case T::Flag:
        break;
    }
    return QString();
}

} // namespace qlaude
