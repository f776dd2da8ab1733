#include "ProviderCheck.h"

#include "RequestOptions.h"

#include <QJsonArray>

namespace qlaude {

namespace {
void appendAll(QStringList &lines, const QJsonArray &array, const QString &prefix)
{
    for (const QJsonValue &v : array)
        lines << prefix + v.toString();
}
} // namespace

QStringList ProviderCheck::configurationLines(const AuthContext &ctx, Provider page)
{
    auto valueOr = [&ctx](const char *name, const QString &fallback) {
        const QString v = ctx.env(QLatin1String(name));
        return v.isEmpty() ? fallback : v;
    };
    auto skipped = [&ctx](const char *name) { return isTruthy(ctx.env(QLatin1String(name))); };
    QStringList lines;
    switch (page) {
    case Provider::Anthropic:
        break;
    case Provider::Bedrock:
        lines << tr("Region: %1").arg(valueOr("AWS_REGION", tr("us-east-1 (default)")));
        if (skipped("CLAUDE_CODE_SKIP_BEDROCK_AUTH"))
            lines << tr("Authentication: skipped (CLAUDE_CODE_SKIP_BEDROCK_AUTH)");
        break;
    case Provider::Vertex:
        lines << tr("Region: %1").arg(valueOr("CLOUD_ML_REGION", tr("us-east5 (default)")));
        if (ctx.env(QStringLiteral("ANTHROPIC_VERTEX_PROJECT_ID")).isEmpty())
            lines << tr("  x ANTHROPIC_VERTEX_PROJECT_ID is not set. Vertex AI needs the ID of "
                        "your Google Cloud project.");
        if (skipped("CLAUDE_CODE_SKIP_VERTEX_AUTH"))
            lines << tr("Authentication: skipped (CLAUDE_CODE_SKIP_VERTEX_AUTH)");
        break;
    case Provider::Foundry:
        if (ctx.env(QStringLiteral("ANTHROPIC_FOUNDRY_RESOURCE")).isEmpty() &&
            ctx.env(QStringLiteral("ANTHROPIC_FOUNDRY_BASE_URL")).isEmpty())
            lines << tr("  x Neither ANTHROPIC_FOUNDRY_RESOURCE nor ANTHROPIC_FOUNDRY_BASE_URL is "
                        "set. Set one of them.");
        if (skipped("CLAUDE_CODE_SKIP_FOUNDRY_AUTH"))
            lines << tr("Authentication: skipped (CLAUDE_CODE_SKIP_FOUNDRY_AUTH)");
        break;
    }
    return lines;
}

QStringList ProviderCheck::selectionLines(Provider page, Provider selected,
                                          const QString &pageTitle, const QString &selectedTitle)
{
    if (page == selected)
        return {};
    if (page == Provider::Anthropic)
        return {tr("%1 is selected, so requests do not go to the Anthropic API. Turn it off on "
                   "its page to use the Anthropic API.")
                    .arg(selectedTitle)};
    return {tr("%1 is not selected; %2 is. Turn on \"Use %1\" and save to select it.")
                .arg(pageTitle, selectedTitle),
            tr("Requests through %1 are not available in this version of Qlaude yet; these "
               "settings are saved for when they are.")
                .arg(pageTitle)};
}

QStringList ProviderCheck::doctorLines(const QJsonObject &report, Provider selected)
{
    QStringList lines;
    const QJsonObject cred = report.value(QStringLiteral("credential")).toObject();
    QString credential = tr("Credential: %1 (%2")
                             .arg(cred.value(QStringLiteral("source")).toString(),
                                  cred.value(QStringLiteral("kind")).toString());
    if (cred.contains(QStringLiteral("redacted")))
        credential += QStringLiteral(", ") + cred.value(QStringLiteral("redacted")).toString();
    lines << credential + QLatin1Char(')')
          << QStringLiteral("  ") + cred.value(QStringLiteral("summary")).toString();
    if (selected == Provider::Anthropic) {
        const QJsonObject q = report.value(QStringLiteral("request")).toObject();
        lines << tr("Requests: %1 (%2), timeout %3 ms")
                     .arg(q.value(QStringLiteral("base_url")).toString(),
                          q.value(QStringLiteral("base_url_source")).toString())
                     .arg(q.value(QStringLiteral("timeout_ms")).toInt());
    }
    appendAll(lines, report.value(QStringLiteral("warnings")).toArray(), QStringLiteral("  ! "));
    appendAll(lines, report.value(QStringLiteral("problems")).toArray(), QStringLiteral("  x "));
    return lines;
}

} // namespace qlaude
