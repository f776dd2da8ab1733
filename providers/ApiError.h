#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace qlaude {

// An error the user can act on: the HTTP status, the API's error.type, the request-id, and a
// sentence that says what to do next. It never holds a secret.
struct ApiError
{
    enum class Kind
    {
        None,
        Http,       // a non-2xx answer
        InStream,   // an `error` event after HTTP 200
        Connection, // refused, reset, DNS, TLS, dropped mid-stream
        Timeout,    // API_TIMEOUT_MS passed
        Cancelled,  // the user stopped it
        Protocol,   // a malformed stream
        Auth,       // no credential could be obtained (helper failed, keychain locked...)
        Config,     // a setting makes the request impossible
    };

    Kind kind = Kind::None;
    int httpStatus = 0;
    QString type;         // error.type: "rate_limit_error", "overloaded_error", ...
    QString message;      // the server's or the transport's message
    QString requestId;    // request-id header or body field
    QString hint;         // what to do next
    bool partial = false; // some of the answer had arrived; it is kept

    bool isError() const { return kind != Kind::None; }
    // One paragraph for people: "<what happened> (<status> <type>). <hint> [request-id]".
    QString userMessage() const;
    // A few words for a status line: "HTTP 529 overloaded_error", "connection lost", ...
    QString shortDescription() const;

    // Builds the error for an HTTP answer. credentialSource ("env:ANTHROPIC_API_KEY",
    // "apiKeyHelper", "keychain:oauth", ...) picks the hint, as the CLI does.
    static ApiError fromHttp(int status, const QByteArray &body, const QString &requestId,
                             const QString &credentialSource, const QString &model);
    static ApiError fromStreamEvent(const QString &type, const QString &message,
                                    const QString &requestId);
    static ApiError connection(const QString &what, bool partial);
    static ApiError timeout(int timeoutMs, bool partial);
    static ApiError cancelled(bool partial);

    // Removes every occurrence of each secret from the texts (a server may echo a key).
    void scrub(const QList<QString> &secrets);
};

} // namespace qlaude
