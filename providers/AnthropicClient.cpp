#include "AnthropicClient.h"

#include "AuthContext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QTimer>
#include <QUrlQuery>

namespace qlaude {

namespace {
constexpr const char *kOAuthBeta = "oauth-2025-04-20";

int defaultPort(const QUrl &url)
{
    return url.scheme() == QLatin1String("https") ? 443 : 80;
}

QString networkErrorText(QNetworkReply *reply)
{
    switch (reply->error()) {
    case QNetworkReply::ConnectionRefusedError:
        return QStringLiteral("connection refused");
    case QNetworkReply::RemoteHostClosedError:
        return QStringLiteral("the server closed the connection");
    case QNetworkReply::HostNotFoundError:
        return QStringLiteral("host not found");
    case QNetworkReply::SslHandshakeFailedError:
        return QStringLiteral("TLS handshake failed");
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyNotFoundError:
    case QNetworkReply::ProxyTimeoutError:
    case QNetworkReply::ProxyAuthenticationRequiredError:
        return QStringLiteral("proxy error: %1").arg(reply->errorString());
    default:
        return reply->errorString();
    }
}
} // namespace

ClientConfig ClientConfig::fromContext(const AuthContext &ctx)
{
    ClientConfig c;
    const QString base = ctx.env(QStringLiteral("ANTHROPIC_BASE_URL")).trimmed();
    if (!base.isEmpty())
        c.baseUrl = QUrl(base);
    c.options = ctx.requestOptions();
    c.anthropicVersion = c.options.anthropicVersion;
    c.betas = c.options.extraBetas;
    c.maxRetries = RetryPolicy::maxRetriesFrom(ctx.environment());
    c.fallbackModel = ctx.env(QStringLiteral("ANTHROPIC_FALLBACK_MODEL")).trimmed();
    return c;
}

AnthropicClient::AnthropicClient(ClientConfig config, Authorizer *authorizer,
                                 QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_authorizer(authorizer), m_nam(nam)
{
    m_scheduler = [this](qint64 ms, std::function<void()> fire) {
        QTimer::singleShot(int(ms), this, std::move(fire));
    };
    m_jitter = [] { return QRandomGenerator::global()->generateDouble(); };
    m_now = [] { return QDateTime::currentDateTimeUtc(); };
}

QNetworkRequest AnthropicClient::buildRequest(const QString &path, const Credential &cred) const
{
    QUrl url = m_config.baseUrl;
    QString basePath = url.path();
    if (basePath.endsWith(QLatin1Char('/')))
        basePath.chop(1);
    const int query = path.indexOf(QLatin1Char('?'));
    url.setPath(basePath + (query < 0 ? path : path.left(query)));
    if (query >= 0)
        url.setQuery(path.mid(query + 1));
    QNetworkRequest req(url);
    // Custom headers first, so Qlaude's own headers below always win; a custom x-api-key or
    // Authorization never replaces a credential of Qlaude's own.
    for (const auto &h : m_config.options.headersFor(cred.isValid()))
        req.setRawHeader(h.first, h.second);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    req.setRawHeader("accept", "application/json");
    req.setRawHeader("anthropic-version", m_config.anthropicVersion);
    req.setHeader(QNetworkRequest::UserAgentHeader, m_config.userAgent);
    QStringList betas = m_config.betas;
    if (cred.isOAuth() && !betas.contains(QLatin1String(kOAuthBeta)))
        betas.append(QLatin1String(kOAuthBeta));
    if (!betas.isEmpty())
        req.setRawHeader("anthropic-beta", betas.join(QLatin1Char(',')).toLatin1());
    if (!cred.apiKey.isEmpty())
        req.setRawHeader("x-api-key", cred.apiKey.toUtf8());
    if (!cred.bearerToken.isEmpty())
        req.setRawHeader("authorization", "Bearer " + cred.bearerToken.toUtf8());
    if (m_config.options.additionalProtection)
        req.setRawHeader("x-anthropic-additional-protection", "true");
    req.setTransferTimeout(m_config.options.timeoutMs);
    // Redirects are handled in ApiCall: only one to the same origin is followed.
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    return req;
}

ApiCall *AnthropicClient::call(ApiCall::Mode mode, const QByteArray &method, const QString &path,
                               const QJsonObject &body, const QString &model)
{
    auto *c = new ApiCall(this, mode, method, path, body, model);
    c->setParent(this);
    QTimer::singleShot(0, c, &ApiCall::startAttempt);
    return c;
}

ApiCall *AnthropicClient::stream(MessagesRequest request)
{
    request.stream = true;
    return call(ApiCall::Mode::Stream, "POST", QStringLiteral("/v1/messages"), request.toJson(),
                request.model);
}

void AnthropicClient::countTokens(const MessagesRequest &request,
                                  std::function<void(qint64, const ApiError &)> done)
{
    QJsonObject body = request.toJson();
    body.remove(QStringLiteral("max_tokens"));
    body.remove(QStringLiteral("stream"));
    ApiCall *c = call(ApiCall::Mode::Json, "POST", QStringLiteral("/v1/messages/count_tokens"),
                      body, request.model);
    connect(c, &ApiCall::finished, this, [c, done] {
        c->deleteLater();
        if (c->error().isError()) {
            done(0, c->error());
            return;
        }
        done(QJsonDocument::fromJson(c->jsonBody())
                 .object()
                 .value(QStringLiteral("input_tokens"))
                 .toInteger(),
             ApiError());
    });
}

void AnthropicClient::listModels(
    std::function<void(const QList<ModelInfo> &, const ApiError &)> done)
{
    listModelsPage(QString(), {}, std::move(done));
}

void AnthropicClient::listModelsPage(
    QString afterId, QList<ModelInfo> collected,
    std::function<void(const QList<ModelInfo> &, const ApiError &)> done)
{
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("limit"), QStringLiteral("100"));
    if (!afterId.isEmpty())
        q.addQueryItem(QStringLiteral("after_id"), afterId);
    ApiCall *c = call(ApiCall::Mode::Json, "GET",
                      QStringLiteral("/v1/models?") + q.toString(QUrl::FullyEncoded), QJsonObject(),
                      QString());
    connect(c, &ApiCall::finished, this, [this, c, collected, done]() mutable {
        c->deleteLater();
        if (c->error().isError()) {
            done(collected, c->error());
            return;
        }
        const QJsonObject page = QJsonDocument::fromJson(c->jsonBody()).object();
        for (const QJsonValue &v : page.value(QStringLiteral("data")).toArray()) {
            const QJsonObject o = v.toObject();
            collected.append({o.value(QStringLiteral("id")).toString(),
                              o.value(QStringLiteral("display_name")).toString(),
                              o.value(QStringLiteral("created_at")).toString(), o});
        }
        const QString last = page.value(QStringLiteral("last_id")).toString();
        if (page.value(QStringLiteral("has_more")).toBool() && !last.isEmpty())
            listModelsPage(last, collected, done);
        else
            done(collected, ApiError());
    });
}

// ---------------------------------------------------------------------------------------------

class ApiCall::Forwarder : public MessageStreamListener
{
public:
    explicit Forwarder(ApiCall *call) : m_call(call) {}
    void messageStarted(const Message &message) override { emit m_call->messageStarted(message); }
    void blockStarted(int index, const ContentBlock &block) override
    {
        emit m_call->blockStarted(index, block);
    }
    void textDelta(int index, QStringView text) override
    {
        emit m_call->textDelta(index, text.toString());
    }
    void thinkingDelta(int index, QStringView thinking) override
    {
        emit m_call->thinkingDelta(index, thinking.toString());
    }
    void blockStopped(int index, const ContentBlock &block) override
    {
        emit m_call->blockStopped(index, block);
    }
    void messageDelta(const QString &stopReason, const Usage &usage) override
    {
        emit m_call->usageUpdated(usage, stopReason);
    }

private:
    ApiCall *m_call;
};

ApiCall::~ApiCall()
{
    m_assembler.setListener(nullptr);
}

ApiCall::ApiCall(AnthropicClient *client, Mode mode, QByteArray method, QString path,
                 QJsonObject body, QString model)
    : m_client(client), m_mode(mode), m_method(std::move(method)), m_path(std::move(path)),
      m_requestBody(std::move(body)), m_model(std::move(model)),
      m_forwarder(std::make_unique<Forwarder>(this))
{
    m_assembler.setListener(m_forwarder.get());
}

void ApiCall::cancel()
{
    if (m_finished)
        return;
    m_cancelled = true;
    ++m_generation;
    if (m_reply) {
        m_reply->abort(); // onReplyFinished reports the cancel
        return;
    }
    finish(ApiError::cancelled(m_assembler.isStarted()));
}

void ApiCall::startAttempt()
{
    if (m_finished || m_cancelled || !m_client)
        return;
    m_waiting = false;
    ++m_attempts;
    m_redirectUrl = QUrl();
    m_redirects = 0;
    const int generation = m_generation;
    QPointer<ApiCall> self(this);
    m_client->m_authorizer->authorize([self, generation](const Credential &cred,
                                                         const QString &err) {
        if (!self || self->m_finished || generation != self->m_generation)
            return;
        if (!err.isEmpty()) {
            ApiError e;
            e.kind = ApiError::Kind::Auth;
            e.message = err;
            e.hint = QStringLiteral("Fix the credential source shown by qlaude --doctor, then try "
                                    "again.");
            self->finish(e);
            return;
        }
        if (!cred.isValid()) {
            ApiError e;
            e.kind = ApiError::Kind::Auth;
            e.message = QStringLiteral("No credential is available");
            e.hint = QStringLiteral("Log in, or set ANTHROPIC_API_KEY.");
            self->finish(e);
            return;
        }
        if (!RequestOptions::isValidHeaderValue(cred.apiKey.toUtf8()) ||
            !RequestOptions::isValidHeaderValue(cred.bearerToken.toUtf8())) {
            ApiError e;
            e.kind = ApiError::Kind::Auth;
            e.message = QStringLiteral("The credential from %1 contains a line break or control "
                                       "character")
                            .arg(cred.source);
            e.hint = QStringLiteral("Store the key again without extra lines, or fix the source "
                                    "shown by qlaude --doctor.");
            self->finish(e);
            return;
        }
        self->send(cred);
    });
}

void ApiCall::send(const Credential &credential)
{
    m_credential = credential;
    m_status = 0;
    m_statusChecked = false;
    m_gotBody = false;
    m_body.clear();
    m_parser.reset();
    m_assembler.reset();
    QJsonObject body = m_requestBody;
    if (!m_model.isEmpty() && m_mode == Mode::Stream)
        body.insert(QStringLiteral("model"), m_model);
    QNetworkRequest req = m_client->buildRequest(m_path, credential);
    if (m_redirectUrl.isValid())
        req.setUrl(m_redirectUrl); // a same-origin redirect of this attempt
    QNetworkReply *reply;
    if (m_method == "GET")
        reply = m_client->m_nam->get(req);
    else
        reply = m_client->m_nam->post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
    m_reply = reply;
    connect(reply, &QNetworkReply::readyRead, this, &ApiCall::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &ApiCall::onReplyFinished);
}

bool ApiCall::checkStatus(QNetworkReply *reply)
{
    if (m_statusChecked)
        return m_status >= 200 && m_status < 300;
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid())
        return false;
    m_status = status.toInt();
    m_statusChecked = true;
    return m_status >= 200 && m_status < 300;
}

void ApiCall::onReadyRead()
{
    if (!m_reply || m_finished)
        return;
    const QByteArray chunk = m_reply->readAll();
    if (chunk.isEmpty())
        return;
    if (!checkStatus(m_reply) || m_mode == Mode::Json) {
        if (m_body.size() < 4 * 1024 * 1024)
            m_body.append(chunk);
        return;
    }
    m_gotBody = true;
    m_events.clear();
    const bool ok = m_parser.feed(chunk, m_events);
    for (const SseEvent &e : qAsConst(m_events)) {
        if (!m_assembler.feed(e))
            break;
    }
    if (!ok || m_assembler.hasError())
        m_reply->abort(); // onReplyFinished reports what went wrong
}

void ApiCall::onReplyFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    m_reply = nullptr;
    reply->deleteLater();
    if (m_finished)
        return;
    if (m_mode == Mode::Stream && checkStatus(reply) && !m_parser.hasError() &&
        !m_assembler.hasError()) {
        const QByteArray rest = reply->isOpen() ? reply->readAll() : QByteArray();
        m_events.clear();
        if (!rest.isEmpty())
            m_parser.feed(rest, m_events);
        if (reply->error() == QNetworkReply::NoError)
            m_parser.finish(m_events);
        for (const SseEvent &e : qAsConst(m_events)) {
            if (!m_assembler.feed(e))
                break;
        }
    } else if (m_body.size() < 4 * 1024 * 1024 && reply->isOpen()) {
        m_body.append(reply->readAll());
    }
    checkStatus(reply);
    const bool partial = m_assembler.isStarted();
    const QString requestId = QString::fromLatin1(reply->rawHeader("request-id"));

    if (m_cancelled) {
        finish(ApiError::cancelled(partial));
        return;
    }
    if (m_status >= 300 && m_status < 400 && m_status != 304) {
        followRedirect(reply, requestId);
        return;
    }
    // Errors inside a 200 stream: the server's error event, or a stream we could not decode.
    if (m_parser.hasError()) {
        ApiError e;
        e.kind = ApiError::Kind::Protocol;
        e.message = m_parser.errorString();
        e.requestId = requestId;
        e.partial = partial;
        finish(e);
        return;
    }
    if (m_assembler.hasError()) {
        ApiError e;
        if (m_assembler.errorCameFromServer()) {
            e = ApiError::fromStreamEvent(
                m_assembler.errorType(), m_assembler.errorMessage(),
                m_assembler.errorRequestId().isEmpty() ? requestId : m_assembler.errorRequestId());
        } else {
            e.kind = ApiError::Kind::Protocol;
            e.message =
                QStringLiteral("The answer could not be read: %1").arg(m_assembler.errorMessage());
            e.hint = QStringLiteral("Try again; if it keeps happening, check any proxy or gateway "
                                    "between you and the API.");
            e.requestId = requestId;
        }
        e.partial = partial;
        finish(e);
        return;
    }

    AttemptFailure f;
    f.credentialRefreshable = false;
    if (reply->error() != QNetworkReply::NoError && m_status == 0) {
        f.timedOut = reply->error() == QNetworkReply::OperationCanceledError;
        f.connectionError = !f.timedOut;
        ApiError e = f.timedOut ? ApiError::timeout(m_client->m_config.options.timeoutMs, partial)
                                : ApiError::connection(networkErrorText(reply), partial);
        failAttempt(f, e);
        return;
    }
    if (m_status >= 200 && m_status < 300) {
        if (m_mode == Mode::Json) {
            finish(ApiError());
            return;
        }
        if (m_assembler.isComplete()) {
            finish(ApiError());
            return;
        }
        // The body ended (or the connection dropped) before message_stop.
        const bool timedOut = reply->error() == QNetworkReply::OperationCanceledError;
        f.timedOut = timedOut;
        f.connectionError = !timedOut;
        f.afterFirstByte = m_gotBody;
        ApiError e = timedOut ? ApiError::timeout(m_client->m_config.options.timeoutMs, partial)
                              : ApiError::connection(reply->error() == QNetworkReply::NoError
                                                         ? QStringLiteral("the answer ended early")
                                                         : networkErrorText(reply),
                                                     partial);
        failAttempt(f, e);
        return;
    }
    f.httpStatus = m_status;
    f.shouldRetryHeader = reply->rawHeader("x-should-retry");
    f.retryAfterMsHeader = reply->rawHeader("retry-after-ms");
    f.retryAfterHeader = reply->rawHeader("retry-after");
    ApiError e = ApiError::fromHttp(m_status, m_body, requestId, m_credential.source, m_model);
    failAttempt(f, e);
}

void ApiCall::followRedirect(QNetworkReply *reply, const QString &requestId)
{
    constexpr int kMaxRedirects = 5;
    const QUrl from = reply->url();
    const QUrl target = from.resolved(QUrl::fromEncoded(reply->rawHeader("location")));
    const bool sameOrigin = target.isValid() && target.scheme() == from.scheme() &&
                            target.host() == from.host() &&
                            target.port(defaultPort(target)) == from.port(defaultPort(from));
    const bool keepsMethod = m_status == 307 || m_status == 308 || m_method == "GET";
    if (sameOrigin && keepsMethod && m_redirects < kMaxRedirects) {
        ++m_redirects;
        m_redirectUrl = target;
        send(m_credential);
        return;
    }
    // The request carries a credential and the conversation: never to another origin.
    const QString shown =
        target.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment).toString();
    ApiError e;
    e.kind = ApiError::Kind::Http;
    e.httpStatus = m_status;
    e.requestId = requestId;
    if (!sameOrigin) {
        e.message = QStringLiteral("The server redirected the request (HTTP %1) to %2, another "
                                   "origin; Qlaude does not send your credential or conversation "
                                   "there")
                        .arg(m_status)
                        .arg(shown);
        e.hint = QStringLiteral("If that address is the right one, set ANTHROPIC_BASE_URL to it.");
    } else {
        e.message = m_redirects >= kMaxRedirects
                        ? QStringLiteral("The server redirected the request more than %1 times")
                              .arg(kMaxRedirects)
                        : QStringLiteral("The server redirected the request (HTTP %1) to %2 in a "
                                         "way that would drop its body")
                              .arg(m_status)
                              .arg(shown);
        e.hint = QStringLiteral("Set ANTHROPIC_BASE_URL to the final address.");
    }
    finish(e);
}

void ApiCall::failAttempt(AttemptFailure f, ApiError error)
{
    // A server may echo the key in its error text: scrub before anything (the retry event,
    // a banner, the history) sees it.
    error.scrub({m_credential.apiKey, m_credential.bearerToken});
    f.tokenRevoked = f.httpStatus == 403 &&
                     error.message.contains(QLatin1String("OAuth token has been revoked"));
    if ((f.httpStatus == 401 || f.tokenRevoked) && !m_refreshed)
        f.credentialRefreshable = m_client->m_authorizer->invalidate();
    m_consecutive529 = f.httpStatus == 529 ? m_consecutive529 + 1 : 0;
    const RetryPolicy policy(m_client->m_config.maxRetries);
    const RetryDecision d = policy.decide(f, m_retries, m_consecutive529, m_refreshed,
                                          !m_client->m_config.fallbackModel.isEmpty() &&
                                              m_client->m_config.fallbackModel != m_model,
                                          m_client->m_jitter(), m_client->m_now());
    if (!d.retry) {
        if (f.httpStatus == 529 && m_consecutive529 >= RetryPolicy::kOverloadedBeforeFallback) {
            error.message = QStringLiteral("Repeated 529 Overloaded errors");
            error.hint = QStringLiteral("The API is at capacity; this is usually temporary. Try "
                                        "again in a moment, or set a fallback model.");
        } else if (!d.giveUpReason.isEmpty() && !f.afterFirstByte) {
            error.hint = d.giveUpReason + QLatin1Char(' ') + error.hint;
        }
        finish(error);
        return;
    }
    if (d.refreshCredential)
        m_refreshed = true;
    else
        ++m_retries;
    if (d.switchToFallback) {
        m_model = m_client->m_config.fallbackModel;
        m_consecutive529 = 0;
        emit fallbackModelUsed(m_model);
    }
    m_waiting = true;
    emit retrying(m_retries, d.delayMs, error);
    const int generation = m_generation;
    QPointer<ApiCall> self(this);
    m_client->m_scheduler(d.delayMs, [self, generation] {
        if (self && generation == self->m_generation)
            self->startAttempt();
    });
}

void ApiCall::finish(ApiError error)
{
    if (m_finished)
        return;
    m_finished = true;
    QList<QString> secrets{m_credential.apiKey, m_credential.bearerToken};
    error.scrub(secrets);
    m_error = error;
    m_credential = Credential();
    emit finished();
}

} // namespace qlaude
