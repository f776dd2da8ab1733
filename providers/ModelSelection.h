#pragma once

#include "AuthContext.h"

#include <QString>

namespace qlaude {

// The model as the CLI chooses it (CLAUDE_CODE.md §6): --model, then ANTHROPIC_MODEL, then the
// settings key `model`, then the default. Aliases (sonnet, opus, haiku) resolve through
// ANTHROPIC_DEFAULT_*_MODEL or the built-in catalogue.
struct ModelChoice
{
    QString model;
    QString source; // "--model", "ANTHROPIC_MODEL (<where>)", "settings (<file>)", "default"
};

// A model the provider is known to serve, in that provider's id format.
struct KnownModel
{
    QString alias; // "sonnet", "opus", "haiku"
    QString id;    // "claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", ...
};

class ModelSelection
{
public:
    static constexpr const char *kDefaultModel = "claude-sonnet-4-5"; // the Anthropic API's
    // The provider's default (the Sonnet alias) and its catalogue (CLAUDE_CODE.md §6).
    static QString defaultModel(Provider provider);
    static QList<KnownModel> catalogue(Provider provider);
    // The context's provider decides the default and what an alias means.
    static ModelChoice choose(const QString &commandLineModel, const AuthContext &context);
    static QString resolveAlias(const QString &model, const QProcessEnvironment &env,
                                Provider provider = Provider::Anthropic);
};

} // namespace qlaude
