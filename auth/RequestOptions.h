#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace qlaude {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// Request options every provider shares, read from the effective environment (the process
// environment plus the settings `env` blocks).
struct RequestOptions
{
    static constexpr int kDefaultTimeoutMs = 600000;

    HeaderList customHeaders;          // ANTHROPIC_CUSTOM_HEADERS
    int timeoutMs = kDefaultTimeoutMs; // API_TIMEOUT_MS, per attempt
    bool additionalProtection = false; // CLAUDE_CODE_ADDITIONAL_PROTECTION
    QStringList extraBetas;            // ANTHROPIC_BETAS, comma-separated
    QStringList errors;                // one sentence per rejected value; never holds a value

    static RequestOptions fromEnvironment(const QProcessEnvironment &env);

    // Parses newline-separated "Name: Value" lines. A name that is not an RFC 9110 token or a
    // value with CR/LF is rejected, which stops header injection; errors name the line only.
    static HeaderList parseCustomHeaders(const QString &text, QStringList *errors);
    static bool isHeaderToken(const QByteArray &name);
};

// "1", "true", "yes", "on" (any case), as the CLI reads its boolean variables.
bool isTruthy(const QString &value);

} // namespace qlaude
