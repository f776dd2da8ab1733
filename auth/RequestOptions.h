#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <functional>

namespace qlaude {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// Request options every provider shares, read from the effective environment (the process
// environment plus the settings `env` blocks).
struct RequestOptions
{
    // API_TIMEOUT_MS's default, the CLI's 10 minutes; also how long a helper command may run.
    static constexpr int kDefaultTimeoutMs = 600000;
    static constexpr int kDefaultStreamIdleTimeoutMs = 300000;

    HeaderList customHeaders;                   // ANTHROPIC_CUSTOM_HEADERS, minus refused names
    QByteArray anthropicVersion = "2023-06-01"; // QLAUDE_ANTHROPIC_VERSION
    // API_TIMEOUT_MS: per attempt, the longest wait for the response headers and, in a stream,
    // between two complete events (a server sending a byte at a time does not reset it).
    int timeoutMs = kDefaultTimeoutMs;
    // CLAUDE_STREAM_IDLE_TIMEOUT_MS: the longest a stream may go without a content event
    // (keep-alive pings do not count).
    int streamIdleTimeoutMs = kDefaultStreamIdleTimeoutMs;
    bool additionalProtection = false; // CLAUDE_CODE_ADDITIONAL_PROTECTION
    QStringList extraBetas; // ANTHROPIC_BETAS and custom anthropic-beta values, comma-separated
    QStringList errors;     // one sentence per rejected value; never holds a value

    // `origin` describes where a variable was set ("project settings (<path>)", "environment");
    // it goes into the error texts. Without it the errors name no file.
    using OriginFn = std::function<QString(const QString &variable)>;
    static RequestOptions fromEnvironment(const QProcessEnvironment &env,
                                          const OriginFn &origin = OriginFn());

    // Parses newline-separated "Name: Value" lines. A name that is not an RFC 9110 token or a
    // value with CR/LF is rejected, which stops header injection; so is a name that controls
    // framing or routing (Host, Content-Length, Proxy-*, ...) or anthropic-version. Errors name
    // the line, the header and `origin`, never the value.
    static HeaderList parseCustomHeaders(const QString &text, QStringList *errors,
                                         const QString &origin = QString());
    static bool isHeaderToken(const QByteArray &name);
    // A value that can go on the wire as one header line: no CR, LF, NUL or other control
    // character except TAB.
    static bool isValidHeaderValue(const QByteArray &value);
    // Host, Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade, TE, Trailer,
    // Expect and Proxy-*, compared case-insensitively.
    static bool isFramingHeader(const QByteArray &name);
    // x-api-key and Authorization: a custom one never replaces a credential of Qlaude's own.
    static bool isCredentialHeader(const QByteArray &name);

    // The custom headers a request carries. With a credential of Qlaude's own, a custom
    // x-api-key or Authorization is left out (it would replace that credential).
    HeaderList headersFor(bool ownCredential) const;
    // The custom credential headers headersFor(true) leaves out, for doctor.
    QStringList droppedCredentialHeaders() const;
};

// "1", "true", "yes", "on" (any case), as the CLI reads its boolean variables.
bool isTruthy(const QString &value);

} // namespace qlaude
