#include "TokenHttp.h"

#include "NetworkAccess.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::TokenHttp)
};
} // namespace

namespace {

struct Pending
{
    TokenHttpRequest request;
    TokenHttp::Callback done;
    QByteArray body;
    bool tooLarge = false;
    bool timedOut = false;
    bool finished = false;
    bool proxyChallenged = false; // proxyAuthHelper already answered a 407 for this request
};

// "host" or "host:port", which is what an error names.
QString hostText(const QUrl &url)
{
    const QString host = url.host(QUrl::FullyEncoded);
    return url.port() == -1 ? host : host + QLatin1Char(':') + QString::number(url.port());
}

QString redactAll(QString text, const QStringList &secrets)
{
    for (const QString &s : secrets) {
        if (s.size() >= 4)
            text.replace(s, QStringLiteral("[redacted]"));
    }
    return text;
}

QString sizeText(qint64 bytes)
{
    if (bytes >= 1024 && bytes % 1024 == 0)
        return Tr::tr("%1 KiB").arg(bytes / 1024);
    return Tr::tr("%1 bytes").arg(bytes);
}

// Qt's network error texts sometimes quote the URL; an error may name only its origin.
QString networkReason(QNetworkReply *reply, const QUrl &url)
{
    // The network set-up's own words first (a refused certificate, a proxy, a client
    // certificate): they name no path or query.
    const QString detail = NetworkAccess::failureText(reply);
    if (!detail.isEmpty())
        return detail;
    QString reason = reply->errorString();
    const QString origin = TokenHttp::origin(url);
    for (const QString &form :
         {url.toString(QUrl::FullyEncoded), url.toString(), url.toDisplayString()}) {
        if (!form.isEmpty())
            reason.replace(form, origin);
    }
    // A decoded path or query on its own (QUrl::FullyDecoded cannot rebuild a whole URL) is
    // removed; "/" alone is left, since it is in every other text too.
    for (const QString &part : {url.path(QUrl::FullyDecoded), url.query(QUrl::FullyDecoded)}) {
        if (part.size() > 1)
            reason.remove(part);
    }
    return reason;
}

QString jsonText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 12);
    return QString();
}

void finish(const std::shared_ptr<Pending> &p, QNetworkReply *reply)
{
    if (p->finished)
        return;
    p->finished = true;
    reply->deleteLater();
    const TokenHttpRequest &req = p->request;
    TokenHttpResult r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.headers = reply->rawHeaderPairs();
    if (!p->tooLarge && !p->timedOut && reply->isOpen()) {
        p->body += reply->readAll();
        if (p->body.size() > req.maxBytes)
            p->tooLarge = true;
    }
    const QString host = hostText(req.url);
    if (p->timedOut) {
        r.failure = TokenHttpResult::Failure::Timeout;
        r.error = Tr::tr("%1 did not answer within %2 s")
                      .arg(host)
                      .arg(req.timeoutMs / 1000.0, 0, 'g', 3);
    } else if (p->tooLarge) {
        r.failure = TokenHttpResult::Failure::TooLarge;
        r.error = Tr::tr("the answer from %1 is longer than %2 and was cut off")
                      .arg(host, sizeText(req.maxBytes));
    } else if (r.status == 0) {
        r.failure = TokenHttpResult::Failure::Network;
        r.error = Tr::tr("could not reach %1: %2").arg(host, networkReason(reply, req.url));
    } else if (r.status >= 300 && r.status < 400) {
        r.failure = TokenHttpResult::Failure::Redirect;
        const QUrl location = QUrl::fromEncoded(reply->rawHeader("location"));
        const QString target =
            location.isEmpty() ? QString() : TokenHttp::origin(req.url.resolved(location));
        r.error = Tr::tr("%1 answered with a redirect (HTTP %2%3); token requests never "
                         "follow redirects")
                      .arg(host)
                      .arg(r.status)
                      .arg(target.isEmpty() ? QString() : Tr::tr(" to %1").arg(target));
    } else if (r.status >= 200 && r.status < 300 && reply->error() != QNetworkReply::NoError) {
        r.failure = TokenHttpResult::Failure::Network;
        r.error = Tr::tr("the connection to %1 broke: %2").arg(host, networkReason(reply, req.url));
    } else {
        r.body = std::move(p->body);
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(r.body, &pe);
        r.jsonOk = pe.error == QJsonParseError::NoError && doc.isObject();
        r.json = doc.object();
        if (r.status >= 200 && r.status < 300) {
            r.failure = TokenHttpResult::Failure::None;
        } else {
            r.failure = TokenHttpResult::Failure::Http;
            // Secrets go before the detail is cut short: a cut secret would no longer match.
            QByteArray safeBody = r.body;
            for (const QString &secret : req.redact) {
                if (!secret.isEmpty())
                    safeBody.replace(secret.toUtf8(), QByteArrayLiteral("[redacted]"));
            }
            TokenHttp::describeError(safeBody, &r.errorCode, &r.errorDetail);
            r.errorCode = redactAll(r.errorCode, req.redact);
            r.errorDetail = redactAll(r.errorDetail, req.redact);
            QString what = r.errorCode;
            if (!r.errorDetail.isEmpty() && r.errorDetail != r.errorCode)
                what += (what.isEmpty() ? QString() : QStringLiteral(": ")) + r.errorDetail;
            r.error = Tr::tr("%1 answered HTTP %2%3")
                          .arg(host)
                          .arg(r.status)
                          .arg(what.isEmpty() ? QString() : QStringLiteral(": ") + what);
        }
    }
    r.error = TokenHttp::cleanText(redactAll(r.error, req.redact), 600);
    const TokenHttp::Callback done = std::move(p->done);
    done(r);
}

} // namespace

QByteArray TokenHttpResult::header(const QByteArray &name) const
{
    QByteArray out;
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            out += (out.isEmpty() ? QByteArray() : QByteArrayLiteral(", ")) + h.second;
    }
    return out;
}

namespace TokenHttp {

QByteArray formEncode(const QList<QPair<QString, QString>> &fields)
{
    QByteArray out;
    for (const auto &f : fields) {
        if (!out.isEmpty())
            out += '&';
        out += QUrl::toPercentEncoding(f.first) + '=' + QUrl::toPercentEncoding(f.second);
    }
    return out;
}

QString origin(const QUrl &url)
{
    if (url.host().isEmpty())
        return url.scheme().isEmpty() ? Tr::tr("(no host)") : url.scheme() + QLatin1Char(':');
    QUrl o;
    o.setScheme(url.scheme());
    o.setHost(url.host());
    o.setPort(url.port());
    return o.toString(QUrl::FullyEncoded);
}

QString cleanText(const QString &text, int maxChars)
{
    QString out;
    out.reserve(qMin<qsizetype>(text.size(), qsizetype(maxChars) * 2));
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        const ushort u = c.unicode();
        if (u == 0x1b) { // an ANSI escape sequence: dropped whole
            if (i + 1 < text.size() && text.at(i + 1) == QLatin1Char('[')) {
                i += 2;
                while (i < text.size() &&
                       !(text.at(i).unicode() >= 0x40 && text.at(i).unicode() <= 0x7e))
                    ++i;
            }
            continue;
        }
        if (u == '\n' || u == '\r' || u == '\t')
            out += QLatin1Char(' ');
        else if (u < 0x20 || (u >= 0x7f && u < 0xa0) || c.category() == QChar::Other_Format)
            out += QLatin1Char('?');
        else
            out += c;
    }
    out = out.simplified();
    if (out.size() > maxChars) {
        out.truncate(maxChars);
        if (out.at(out.size() - 1).isHighSurrogate())
            out.chop(1);
        out += QChar(0x2026);
    }
    return out;
}

void describeError(const QByteArray &body, QString *code, QString *detail)
{
    QString c;
    QString d;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error == QJsonParseError::NoError && doc.isObject()) {
        const QJsonObject o = doc.object();
        const QJsonValue error = o.value(QLatin1String("error"));
        if (error.isString()) { // OAuth (RFC 6749 §5.2), Entra's token endpoint
            c = error.toString();
            d = o.value(QLatin1String("error_description")).toString();
        } else if (error.isObject()) {
            const QJsonObject e = error.toObject();
            // Azure: code is a string; Google: code is a number and status the name;
            // Anthropic: type.
            const QJsonValue code = e.value(QLatin1String("code"));
            c = code.isString() ? code.toString() : QString();
            if (c.isEmpty())
                c = e.value(QLatin1String("status")).toString();
            if (c.isEmpty())
                c = e.value(QLatin1String("type")).toString();
            if (c.isEmpty())
                c = jsonText(code);
            d = e.value(QLatin1String("message")).toString();
        } else {
            d = o.value(QLatin1String("error_description")).toString();
            if (d.isEmpty())
                d = o.value(QLatin1String("message")).toString();
        }
        if (c.isEmpty() && d.isEmpty())
            d = QString::fromUtf8(body);
    } else if (!body.trimmed().isEmpty()) {
        d = QString::fromUtf8(body.left(4096));
    }
    *code = cleanText(c, 100);
    *detail = cleanText(d, 300);
}

namespace {

void sendAttempt(QNetworkAccessManager *nam, const TokenHttpRequest &request, QObject *context,
                 Callback done, bool proxyChallenged);

// A 407 from the proxy: proxyAuthHelper answers it once, then the request goes again. False
// when no helper may run (the 407 is then the answer).
bool answerProxyChallenge(const std::shared_ptr<Pending> &p, QNetworkReply *reply,
                          QNetworkAccessManager *nam, QObject *context)
{
    auto *network = qobject_cast<NetworkAccess *>(nam);
    if (!network || p->proxyChallenged || p->timedOut || p->finished ||
        reply->error() != QNetworkReply::ProxyAuthenticationRequiredError)
        return false;
    QPointer<QNetworkAccessManager> guardNam(nam);
    QPointer<QObject> guardContext(context);
    const TokenHttpRequest request = p->request;
    const Callback done = p->done;
    if (!network->answerProxyChallenge(
            context, [guardNam, guardContext, request, done](const QString &error) {
                if (!guardNam || !guardContext)
                    return;
                if (error.isEmpty()) {
                    sendAttempt(guardNam, request, guardContext, done, true);
                    return;
                }
                TokenHttpResult r;
                r.failure = TokenHttpResult::Failure::Network;
                r.error = TokenHttp::cleanText(
                    Tr::tr("the proxy asked for credentials and proxyAuthHelper failed: %1")
                        .arg(error));
                done(r);
            }))
        return false;
    p->finished = true;
    reply->deleteLater();
    return true;
}

} // namespace

void send(QNetworkAccessManager *nam, const TokenHttpRequest &request, QObject *context,
          Callback done)
{
    sendAttempt(nam, request, context, std::move(done), false);
}

namespace {

void sendAttempt(QNetworkAccessManager *nam, const TokenHttpRequest &request, QObject *context,
                 Callback done, bool proxyChallenged)
{
    Q_ASSERT(nam && context);
    auto p = std::make_shared<Pending>();
    p->request = request;
    p->done = std::move(done);
    p->proxyChallenged = proxyChallenged;

    const QString scheme = request.url.scheme().toLower();
    if (!request.url.isValid() || request.url.host().isEmpty() ||
        (scheme != QLatin1String("https") && scheme != QLatin1String("http"))) {
        // Only http(s): QNetworkAccessManager would also read file:, data: and qrc: URLs.
        QTimer::singleShot(0, context, [p] {
            TokenHttpResult r;
            r.failure = TokenHttpResult::Failure::Network;
            r.error = TokenHttp::cleanText(
                Tr::tr("could not reach %1: only http and https URLs are allowed")
                    .arg(TokenHttp::origin(p->request.url)));
            const Callback cb = std::move(p->done);
            cb(r);
        });
        return;
    }

    QNetworkRequest req(request.url);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    req.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    req.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    req.setAttribute(QNetworkRequest::AuthenticationReuseAttribute, QNetworkRequest::Manual);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    req.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    req.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("qlaude/" QLAUDE_VERSION));
    req.setRawHeader("accept", "application/json");
    // No compression: the size cap then counts what the server sent.
    req.setRawHeader("accept-encoding", "identity");
    for (const auto &h : request.headers)
        req.setRawHeader(h.first, h.second);

    QByteArray body;
    switch (request.body) {
    case TokenHttpRequest::Body::None:
        break;
    case TokenHttpRequest::Body::Form:
        body = formEncode(request.form);
        req.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
        break;
    case TokenHttpRequest::Body::Json:
        body = QJsonDocument(request.json).toJson(QJsonDocument::Compact);
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        break;
    }

    QNetworkReply *reply;
    const QByteArray method = request.method.toUpper();
    if (method == "GET" && request.body == TokenHttpRequest::Body::None)
        reply = nam->get(req);
    else if (method == "POST")
        reply = nam->post(req, body);
    else
        reply = nam->sendCustomRequest(req, method, body);

    // The context goes first: the request is dropped without a word.
    QObject::connect(context, &QObject::destroyed, reply, [reply] {
        reply->disconnect();
        reply->abort();
        reply->deleteLater();
    });
    auto *timer = new QTimer(reply);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, reply, [p, reply] {
        p->timedOut = true;
        reply->abort();
    });
    timer->start(qMax(1, request.timeoutMs));
    QObject::connect(reply, &QNetworkReply::readyRead, context, [p, reply] {
        if (p->tooLarge || p->timedOut || p->finished)
            return;
        p->body += reply->read(p->request.maxBytes + 1 - p->body.size());
        if (p->body.size() > p->request.maxBytes) {
            p->tooLarge = true;
            p->body.fill('\0');
            p->body.clear();
            reply->abort(); // finished() follows
        }
    });
    QObject::connect(reply, &QNetworkReply::finished, context, [p, reply, nam, context] {
        if (!answerProxyChallenge(p, reply, nam, context))
            finish(p, reply);
    });
}

} // namespace

} // namespace TokenHttp

} // namespace qlaude
