#include "ProviderCheck.h"

#include "ProviderStatus.h"

#include <QJsonArray>

namespace qlaude {

namespace {
void appendAll(QStringList &lines, const QJsonArray &array, const QString &prefix)
{
    for (const QJsonValue &v : array)
        lines << prefix + v.toString();
}
} // namespace

QStringList ProviderCheck::configurationLines(const AuthContext &ctx, Provider page,
                                              const KeychainSnapshot &keychain)
{
    if (page == Provider::Anthropic)
        return {};
    const ProviderStatus st = ProviderStatus::of(page, ctx, keychain);
    QStringList lines = st.facts;
    for (const QString &m : st.missing)
        lines << QStringLiteral("  x ") + m;
    return lines;
}

QStringList ProviderCheck::selectionLines(Provider page, Provider selected,
                                          const QString &pageTitle, const QString &selectedTitle)
{
    if (page == selected)
        return {};
    if (page == Provider::Anthropic)
        return {tr("%1 is selected, so requests do not go to the Anthropic API. Choose "
                   "Anthropic on the Provider page to use it, then test again.")
                    .arg(selectedTitle)};
    return {tr("%1 is not selected; %2 is. Choose %1 on the Provider page, then test again.")
                .arg(pageTitle, selectedTitle)};
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
