#pragma once

#include "AuthContext.h"

#include <QString>

namespace qlaude {

struct PrintOptions
{
    QString prompt;                                // empty: read stdin
    QString model;                                 // --model
    QString system;                                // --system
    int maxTokens = 0;                             // --max-tokens; 0: the default
    QString outputFormat = QStringLiteral("text"); // text | json | stream-json
    bool continueLast = false;                     // --continue
    qint64 conversationId = 0;                     // --conversation
};

// `qlaude --print`: one full turn through the resolver, the client and the assembler.
// Exit codes: 0 success, 1 API error, 2 usage or configuration error.
int runPrint(const AuthContext &context, PrintOptions options);
// `qlaude --list-models`.
int runListModels(const AuthContext &context);

} // namespace qlaude
