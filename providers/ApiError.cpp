#include "ApiError.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ApiError)
};

QString hintFor(int status, const QString &type, const QString &message,
                const QString &credentialSource, const QString &model)
{
    const bool external = credentialSource.startsWith(QLatin1String("env:ANTHROPIC_API_KEY")) ||
                          credentialSource == QLatin1String("apiKeyHelper");
    if (status == 401) {
        if (credentialSource == QLatin1String("apiKeyHelper"))
            return Tr::tr("The key from apiKeyHelper was rejected. Fix the helper's key, "
                          "then try again.");
        if (credentialSource.startsWith(QLatin1String("env:")))
            return Tr::tr("The key in %1 was rejected (invalid or expired). Fix or unset "
                          "it, then try again.")
                .arg(credentialSource.mid(4));
        return Tr::tr("Your API key or login is invalid or has expired. Log in again.");
    }
    if (status == 403) {
        if (message.contains(QLatin1String("OAuth token has been revoked")))
            return Tr::tr("Your login was revoked. Log in again.");
        if (message.contains(QLatin1String("api key authentication is disabled"),
                             Qt::CaseInsensitive) &&
            external)
            return Tr::tr("Your organization has disabled API key authentication. Unset "
                          "%1 and log in with your Claude account instead.")
                .arg(credentialSource == QLatin1String("apiKeyHelper")
                         ? Tr::tr("the apiKeyHelper setting")
                         : QStringLiteral("ANTHROPIC_API_KEY"));
        return Tr::tr("Your account does not have access to %1 or to this feature. "
                      "Choose another model, or ask your administrator for access.")
            .arg(model.isEmpty() ? Tr::tr("this model") : model);
    }
    if (status == 404)
        return Tr::tr("The model %1 is not available here. Choose another model (--model "
                      "or the model picker), or check ANTHROPIC_BASE_URL.")
            .arg(model.isEmpty() ? Tr::tr("requested") : model);
    if (status == 413)
        return Tr::tr("The request is too large. Shorten the conversation or attachments.");
    if (status == 429)
        return Tr::tr("You hit a rate or usage limit. Wait a moment and try again, or "
                      "check your plan's limits.");
    if (status == 529 || type == QLatin1String("overloaded_error"))
        return Tr::tr("The API is at capacity. This is usually temporary; try again in a "
                      "moment.");
    if (status == 402 || message.contains(QLatin1String("credit balance is too low")))
        return Tr::tr("Your credit balance is too low. Add credits in the Console, then "
                      "try again.");
    if (status >= 500)
        return Tr::tr("This is a server-side issue, usually temporary. Try again in a "
                      "moment.");
    if (status == 400)
        return Tr::tr("The API rejected the request. Check the model, max tokens and "
                      "settings named in the message.");
    return Tr::tr("Try again; if it keeps failing, run qlaude --doctor.");
}

QString titleFor(int status, const QString &type)
{
    switch (status) {
    case 400:
        return Tr::tr("The request was invalid");
    case 401:
        return Tr::tr("Authentication failed");
    case 402:
        return Tr::tr("Payment required");
    case 403:
        return Tr::tr("Access denied");
    case 404:
        return Tr::tr("Not found");
    case 408:
        return Tr::tr("The request timed out");
    case 413:
        return Tr::tr("The request is too large");
    case 429:
        return Tr::tr("Rate limited");
    case 529:
        return Tr::tr("The API is overloaded");
    default:
        break;
    }
    if (type == QLatin1String("overloaded_error"))
        return Tr::tr("The API is overloaded");
    if (status >= 500)
        return Tr::tr("The API had an internal error");
    return Tr::tr("The API returned an error");
}
} // namespace

QString ApiError::userMessage() const
{
    QString what;
    switch (kind) {
    case Kind::None:
        return QString();
    case Kind::Http:
        what = titleFor(httpStatus, type) + QStringLiteral(" (HTTP %1").arg(httpStatus) +
               (type.isEmpty() ? QString() : QStringLiteral(" ") + type) + QStringLiteral(")");
        if (!message.isEmpty())
            what += QStringLiteral(": ") + message;
        break;
    case Kind::InStream:
        what = Tr::tr("The API reported an error during the answer (%1)").arg(type);
        if (!message.isEmpty())
            what += QStringLiteral(": ") + message;
        break;
    default:
        what = message;
        break;
    }
    QString text = what;
    // A sentence ends with a full stop (the ideographic one in Japanese).
    if (!text.endsWith(QLatin1Char('.')) && !text.endsWith(QChar(0x3002)))
        text += QLatin1Char('.');
    if (!hint.isEmpty())
        text += QLatin1Char(' ') + hint;
    if (partial)
        text += QLatin1Char(' ') + Tr::tr("The part of the answer that arrived was kept.");
    if (!requestId.isEmpty())
        text += QStringLiteral(" [request-id %1]").arg(requestId);
    return text;
}

QString ApiError::shortDescription() const
{
    switch (kind) {
    case Kind::Http:
        return QStringLiteral("HTTP %1%2")
            .arg(httpStatus)
            .arg(type.isEmpty() ? QString() : QLatin1Char(' ') + type);
    case Kind::InStream:
        return type;
    case Kind::Connection:
        return Tr::tr("connection lost");
    case Kind::Timeout:
        return Tr::tr("timed out");
    case Kind::Cancelled:
        return Tr::tr("stopped");
    case Kind::Protocol:
        return Tr::tr("unreadable answer");
    case Kind::Auth:
        return Tr::tr("no credential");
    case Kind::Config:
        return Tr::tr("configuration error");
    case Kind::None:
        break;
    }
    return QString();
}

ApiError ApiError::fromHttp(int status, const QByteArray &body, const QString &requestId,
                            const QString &credentialSource, const QString &model)
{
    ApiError e;
    e.kind = Kind::Http;
    e.httpStatus = status;
    e.requestId = requestId;
    const QJsonObject root = QJsonDocument::fromJson(body).object();
    const QJsonObject err = root.value(QStringLiteral("error")).toObject();
    e.type = err.value(QStringLiteral("type")).toString();
    e.message = err.value(QStringLiteral("message")).toString();
    if (e.requestId.isEmpty())
        e.requestId = root.value(QStringLiteral("request_id")).toString();
    if (e.message.isEmpty() && root.isEmpty()) {
        // Non-JSON bodies (a proxy's HTML page) are kept as text, shortened.
        e.message = QString::fromUtf8(body).simplified().left(200);
    }
    e.hint = hintFor(status, e.type, e.message, credentialSource, model);
    return e;
}

ApiError ApiError::fromStreamEvent(const QString &type, const QString &message,
                                   const QString &requestId)
{
    ApiError e;
    e.kind = Kind::InStream;
    e.type = type.isEmpty() ? QStringLiteral("api_error") : type;
    e.message = message;
    e.requestId = requestId;
    e.hint = hintFor(type == QLatin1String("overloaded_error") ? 529 : 500, type, message,
                     QString(), QString());
    return e;
}

ApiError ApiError::connection(const QString &what, bool partial)
{
    ApiError e;
    e.kind = Kind::Connection;
    e.message = Tr::tr("The connection to the API was lost (%1)").arg(what);
    e.hint = Tr::tr("Check your network or proxy, then try again.");
    e.partial = partial;
    return e;
}

ApiError ApiError::timeout(int timeoutMs, bool partial)
{
    ApiError e;
    e.kind = Kind::Timeout;
    e.message = Tr::tr("The API did not answer within %1 s").arg(timeoutMs / 1000.0);
    e.hint = Tr::tr("Try again, or raise API_TIMEOUT_MS if your network or gateway is "
                    "slow.");
    e.partial = partial;
    return e;
}

ApiError ApiError::cancelled(bool partial)
{
    ApiError e;
    e.kind = Kind::Cancelled;
    e.message = Tr::tr("Stopped");
    e.partial = partial;
    return e;
}

void ApiError::scrub(const QList<QString> &secrets)
{
    for (const QString &s : secrets) {
        if (s.size() < 8)
            continue;
        for (QString *text : {&message, &hint, &type, &requestId})
            text->replace(s, QStringLiteral("[redacted]"));
    }
}

} // namespace qlaude
