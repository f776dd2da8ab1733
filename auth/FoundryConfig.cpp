#include "FoundryConfig.h"

#include "AuthContext.h"
#include "AzureCredentialProvider.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::FoundryConfig)
};
} // namespace

FoundryConfig FoundryConfig::fromContext(const AuthContext &ctx)
{
    FoundryConfig c;
    const QString base = ctx.env(QStringLiteral("ANTHROPIC_FOUNDRY_BASE_URL")).trimmed();
    c.resource = ctx.env(QStringLiteral("ANTHROPIC_FOUNDRY_RESOURCE")).trimmed();
    const QString scope = ctx.env(QStringLiteral("QLAUDE_FOUNDRY_SCOPE")).trimmed();
    c.scope = scope.isEmpty() ? AzureCredentialProvider::defaultScope() : scope;
    if (!base.isEmpty()) {
        const QUrl url(base, QUrl::StrictMode);
        c.resourceIgnored = !c.resource.isEmpty();
        const QString where = ctx.envSource(QStringLiteral("ANTHROPIC_FOUNDRY_BASE_URL"));
        c.baseUrlSource = QStringLiteral("ANTHROPIC_FOUNDRY_BASE_URL (%1)").arg(where);
        if (!url.isValid() || url.host().isEmpty() ||
            (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http")))
            c.error = Tr::tr("ANTHROPIC_FOUNDRY_BASE_URL (%1) is not an http(s) URL such "
                             "as https://my-resource.services.ai.azure.com/anthropic")
                          .arg(where);
        else
            c.baseUrl = url;
        return c;
    }
    if (c.resource.isEmpty()) {
        c.error = Tr::tr("Neither ANTHROPIC_FOUNDRY_RESOURCE nor "
                         "ANTHROPIC_FOUNDRY_BASE_URL is set: set "
                         "ANTHROPIC_FOUNDRY_RESOURCE to your Foundry resource name (the "
                         "\"my-resource\" of my-resource.services.ai.azure.com)");
        return c;
    }
    // A resource name is one DNS label: it cannot carry a path, a port or another host.
    static const QRegularExpression label(
        QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"));
    const QString where = ctx.envSource(QStringLiteral("ANTHROPIC_FOUNDRY_RESOURCE"));
    if (!label.match(c.resource).hasMatch()) {
        c.error = Tr::tr("ANTHROPIC_FOUNDRY_RESOURCE (%1) is not a resource name: use the "
                         "name alone (letters, digits and '-'), not a URL")
                      .arg(where);
        return c;
    }
    c.baseUrl = QUrl(QStringLiteral("https://%1.services.ai.azure.com/anthropic").arg(c.resource));
    c.baseUrlSource = QStringLiteral("ANTHROPIC_FOUNDRY_RESOURCE (%1)").arg(where);
    return c;
}

} // namespace qlaude
