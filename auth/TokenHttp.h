#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QObject;

namespace qlaude {

// One request to a token endpoint (OAuth, Google, Entra, a metadata server).
struct TokenHttpRequest
{
    enum class Body
    {
        None, // no body (GET to a metadata server)
        Form, // application/x-www-form-urlencoded from `form`, in order
        Json  // application/json from `json`, compact
    };

    QUrl url;
    QByteArray method = QByteArrayLiteral("POST");
    // Extra request headers (e.g. "Metadata-Flavor: Google", "Metadata: true"). Accept defaults
    // to application/json unless given here; Content-Type follows the body kind.
    QList<QPair<QByteArray, QByteArray>> headers;
    Body body = Body::None;
    QList<QPair<QString, QString>> form;
    QJsonObject json;
    int timeoutMs = 30000;         // the whole exchange, from send() to the last byte
    qint64 maxBytes = 1024 * 1024; // a longer answer is cut off and is an error
    QStringList redact;            // secrets to remove from any error text
};

// What came back. `error` is one clause for a person, lowercase and without a final period, to
// follow "Token refresh failed: " (e.g. "could not reach host:443: Connection refused"). It is
// empty on success and never holds the body of a 2xx answer (it holds tokens), a value listed
// in `redact`, a URL's path or query, or a control character.
struct TokenHttpResult
{
    enum class Failure
    {
        None,     // a 2xx answer, read completely
        Network,  // no answer, or the connection broke
        Timeout,  // no complete answer within timeoutMs
        Redirect, // a 3xx: never followed
        TooLarge, // the answer was longer than maxBytes
        Http      // a 4xx/5xx (or other non-2xx) answer
    };

    Failure failure = Failure::Network;
    int status = 0; // 0 when no status line arrived
    QByteArray body;
    QJsonObject json;                             // the body when it is a JSON object
    bool jsonOk = false;                          // the body parsed as a JSON object
    QList<QPair<QByteArray, QByteArray>> headers; // response headers, as received
    // For Failure::Http: the server's error code ("invalid_grant", Azure's error.code, Google's
    // error.status) and its description, each cleaned and at most 300 characters.
    QString errorCode;
    QString errorDetail;
    QString error;

    bool ok() const { return failure == Failure::None; }
    // Case-insensitive; several values joined with ", ".
    QByteArray header(const QByteArray &name) const;
};

// A small HTTP client for token endpoints, shared by OAuth and the cloud credential sources.
// Redirects are never followed (a 3xx is an error naming its status and the target's origin),
// the answer is capped at maxBytes, the exchange has a deadline, cookies are neither sent nor
// stored and nothing is cached.
namespace TokenHttp {

using Callback = std::function<void(const TokenHttpResult &result)>;

// Sends the request through `nam` (not owned; it must outlive the request). `done` runs exactly
// once, from the event loop (never inside send()), unless `context` is destroyed first: then the
// request is aborted and `done` never runs. `context` must not be null.
void send(QNetworkAccessManager *nam, const TokenHttpRequest &request, QObject *context,
          Callback done);

// name=value&... with RFC 3986 percent-encoding of everything but unreserved characters
// (so '+', '&', '=' and ' ' survive every form decoder).
QByteArray formEncode(const QList<QPair<QString, QString>> &fields);

// "https://host[:port]" of a URL: what an error may name without leaking a path or query.
QString origin(const QUrl &url);

// The server's error fields of a non-2xx JSON body: OAuth {"error","error_description"},
// Azure/Google {"error":{"code"|"status","message"}}, Anthropic {"error":{"type","message"}}.
// Without JSON, the detail is the start of the body as text. Both cleaned and capped.
void describeError(const QByteArray &body, QString *code, QString *detail);

// Control characters (and ANSI escape sequences) replaced, at most maxChars characters.
QString cleanText(const QString &text, int maxChars = 300);

} // namespace TokenHttp

} // namespace qlaude
