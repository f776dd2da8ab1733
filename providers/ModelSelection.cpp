#include "ModelSelection.h"

#include <QRegularExpression>

namespace qlaude {

QList<KnownModel> ModelSelection::catalogue(Provider provider)
{
    switch (provider) {
    case Provider::Bedrock:
        return {{QStringLiteral("sonnet"),
                 QStringLiteral("us.anthropic.claude-sonnet-4-5-20250929-v1:0")},
                {QStringLiteral("opus"), QStringLiteral("us.anthropic.claude-opus-4-6-v1")},
                {QStringLiteral("haiku"),
                 QStringLiteral("us.anthropic.claude-haiku-4-5-20251001-v1:0")}};
    case Provider::Vertex:
        return {{QStringLiteral("sonnet"), QStringLiteral("claude-sonnet-4-5@20250929")},
                {QStringLiteral("opus"), QStringLiteral("claude-opus-4-6")},
                {QStringLiteral("haiku"), QStringLiteral("claude-haiku-4-5@20251001")}};
    case Provider::Foundry:
        return {{QStringLiteral("sonnet"), QStringLiteral("claude-sonnet-4-5")},
                {QStringLiteral("opus"), QStringLiteral("claude-opus-4-6")},
                {QStringLiteral("haiku"), QStringLiteral("claude-haiku-4-5")}};
    case Provider::Anthropic:
        break;
    }
    return {{QStringLiteral("sonnet"), QLatin1String(kDefaultModel)},
            {QStringLiteral("opus"), QStringLiteral("claude-opus-4-6")},
            {QStringLiteral("haiku"), QStringLiteral("claude-haiku-4-5-20251001")}};
}

QString ModelSelection::displayName(const QString &id)
{
    QString s = id.trimmed();
    // Bedrock's inference-profile region and vendor prefix, Vertex's @version, Bedrock's
    // -vN:M version, and a trailing release date.
    static const QRegularExpression prefix(
        QStringLiteral("^(?:(?:global|us|eu|apac|jp|au)\\.)?anthropic\\."));
    static const QRegularExpression suffixes(
        QStringLiteral("(?:@[^@]*|-v\\d+(?::\\d+)?|-\\d{8})+$"));
    s.remove(prefix);
    s.remove(suffixes);
    static const QRegularExpression current(
        QStringLiteral("^claude-(opus|sonnet|haiku|fable)-(\\d+)(?:-(\\d{1,2}))?$"));
    static const QRegularExpression older(
        QStringLiteral("^claude-(\\d+)(?:-(\\d{1,2}))?-(opus|sonnet|haiku)$"));
    QString family;
    QString version;
    if (const QRegularExpressionMatch m = current.match(s); m.hasMatch()) {
        family = m.captured(1);
        version = m.captured(3).isEmpty() ? m.captured(2) : m.captured(2) + u'.' + m.captured(3);
    } else if (const QRegularExpressionMatch o = older.match(s); o.hasMatch()) {
        family = o.captured(3);
        version = o.captured(2).isEmpty() ? o.captured(1) : o.captured(1) + u'.' + o.captured(2);
    } else {
        return id;
    }
    family[0] = family.at(0).toUpper();
    return QStringLiteral("Claude %1 %2").arg(family, version);
}

QList<ModelInfo> ModelSelection::fallbackList(Provider provider, const QString &current)
{
    QStringList ids;
    if (!current.isEmpty())
        ids << current;
    for (const KnownModel &k : catalogue(provider)) {
        if (!ids.contains(k.id))
            ids << k.id;
    }
    QList<ModelInfo> models;
    for (const QString &id : qAsConst(ids))
        models.append({id, displayName(id), QString(), QJsonObject()});
    return models;
}

QString ModelSelection::defaultModel(Provider provider)
{
    return catalogue(provider).first().id;
}

QString ModelSelection::resolveAlias(const QString &model, const QProcessEnvironment &env,
                                     Provider provider)
{
    const QString m = model.trimmed();
    for (const KnownModel &k : catalogue(provider)) {
        if (m.compare(k.alias, Qt::CaseInsensitive) != 0)
            continue;
        const QString fromEnv =
            env.value(QStringLiteral("ANTHROPIC_DEFAULT_%1_MODEL").arg(k.alias.toUpper()))
                .trimmed();
        return fromEnv.isEmpty() ? k.id : fromEnv;
    }
    return m;
}

ModelChoice ModelSelection::choose(const QString &commandLineModel, const AuthContext &ctx)
{
    ModelChoice c;
    if (!commandLineModel.trimmed().isEmpty()) {
        c.model = commandLineModel;
        c.source = QStringLiteral("--model");
    } else if (!ctx.env(QStringLiteral("ANTHROPIC_MODEL")).trimmed().isEmpty()) {
        c.model = ctx.env(QStringLiteral("ANTHROPIC_MODEL"));
        c.source = QStringLiteral("ANTHROPIC_MODEL (%1)")
                       .arg(ctx.envSource(QStringLiteral("ANTHROPIC_MODEL")));
    } else if (!ctx.effectiveSettings()
                    .value(QStringLiteral("model"))
                    .toString()
                    .trimmed()
                    .isEmpty()) {
        c.model = ctx.effectiveSettings().value(QStringLiteral("model")).toString();
        c.source = QStringLiteral("settings (%1)").arg(ctx.settingSource(QStringLiteral("model")));
    } else {
        c.model = defaultModel(ctx.provider());
        c.source = QStringLiteral("default");
    }
    c.model = resolveAlias(c.model, ctx.environment(), ctx.provider());
    return c;
}

} // namespace qlaude
