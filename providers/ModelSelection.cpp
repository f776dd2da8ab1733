#include "ModelSelection.h"

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
