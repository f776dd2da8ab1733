#pragma once

#include "AuthContext.h"
#include "ProviderParts.h"

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
    // A person's name for a model id of any provider ("us.anthropic.claude-sonnet-4-5-20250929-
    // v1:0", "claude-opus-4-6@20260101", "claude-3-5-haiku-20241022" -> "Claude Sonnet 4.5",
    // "Claude Opus 4.6", "Claude Haiku 3.5"); an id it does not recognise comes back as it is.
    static QString displayName(const QString &id);
    // The model picker's list when the provider gives none (no model list, or it failed): the
    // current model first, then the provider's catalogue, with display names.
    static QList<ModelInfo> fallbackList(Provider provider, const QString &current);
    static QString resolveAlias(const QString &model, const QProcessEnvironment &env,
                                Provider provider = Provider::Anthropic);
};

} // namespace qlaude
