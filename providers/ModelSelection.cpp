#include "ModelSelection.h"

namespace qlaude {

QString ModelSelection::resolveAlias(const QString &model, const QProcessEnvironment &env)
{
    const QString m = model.trimmed();
    struct Alias
    {
        const char *name;
        const char *envVar;
        const char *builtIn;
    };
    static const Alias aliases[] = {
        {"sonnet", "ANTHROPIC_DEFAULT_SONNET_MODEL", "claude-sonnet-4-5"},
        {"opus", "ANTHROPIC_DEFAULT_OPUS_MODEL", "claude-opus-4-6"},
        {"haiku", "ANTHROPIC_DEFAULT_HAIKU_MODEL", "claude-haiku-4-5-20251001"},
    };
    for (const Alias &a : aliases) {
        if (m.compare(QLatin1String(a.name), Qt::CaseInsensitive) != 0)
            continue;
        const QString fromEnv = env.value(QLatin1String(a.envVar)).trimmed();
        return fromEnv.isEmpty() ? QLatin1String(a.builtIn) : fromEnv;
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
        c.model = QLatin1String(kDefaultModel);
        c.source = QStringLiteral("default");
    }
    c.model = resolveAlias(c.model, ctx.environment());
    return c;
}

} // namespace qlaude
