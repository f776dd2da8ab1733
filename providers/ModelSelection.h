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

class ModelSelection
{
public:
    static constexpr const char *kDefaultModel = "claude-sonnet-4-5";
    static ModelChoice choose(const QString &commandLineModel, const AuthContext &context);
    static QString resolveAlias(const QString &model, const QProcessEnvironment &env);
};

} // namespace qlaude
