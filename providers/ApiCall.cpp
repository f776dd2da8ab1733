#include "ApiCall.h"

#include "NetworkAccess.h"
#include "ProviderClient.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>

#include <cstring>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ApiCall)
};
} // namespace

namespace {
constexpr qsizetype kMaxErrorBody = 4 * 1024 * 1024;
// What QNetworkAccessManager may hold of a stream before we read it: with the whole socket
// drained into its buffer, memory would grow with the answer instead of staying flat.
constexpr qint64 kStreamReadBuffer = 256 * 1024;
// The start of a body kept to quote when it turns out not to be an event stream.
constexpr qsizetype kQuotedBytes = 64;

// A request body that can be read once. Qt's HTTP/1 layer silently sends a request again when
// the connection closes before the response starts, if it can rewind the body; this one cannot
// be rewound, so the only retries are the retry policy's, counted and shown.
class OneShotBody : public QIODevice
{
public:
    OneShotBody(QByteArray data, QObject *parent) : QIODevice(parent), m_data(std::move(data))
    {
        open(QIODevice::ReadOnly);
    }
    bool isSequential() const override { return true; }
    bool reset() override { return false; }
    qint64 bytesAvailable() const override
    {
        return m_data.size() - m_read + QIODevice::bytesAvailable();
    }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 n = qMin(maxSize, qint64(m_data.size()) - m_read);
        if (n <= 0)
            return m_read >= m_data.size() ? -1 : 0;
        memcpy(data, m_data.constData() + m_read, size_t(n));
        m_read += n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_data;
    qint64 m_read = 0;
};

// Printable ASCII as is, anything else as \xNN, at most kQuotedBytes bytes.
QString quoteBytes(const QByteArray &bytes)
{
    QString out;
    for (const char c : bytes.left(kQuotedBytes)) {
        const uchar u = uchar(c);
        if (u >= 0x20 && u < 0x7f && u != '\\')
            out.append(QLatin1Char(c));
        else
            out.append(QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0')));
    }
    if (bytes.size() > kQuotedBytes)
        out.append(QStringLiteral("..."));
    return out;
}

bool isMessagesEvent(const QByteArray &name)
{
    return name == "message_start" || name == "content_block_start" ||
           name == "content_block_delta" || name == "content_block_stop" ||
           name == "message_delta" || name == "message_stop" || name == "ping" || name == "error";
}

QString networkErrorText(QNetworkReply *reply)
{
    const QString detail = NetworkAccess::failureText(reply);
    if (!detail.isEmpty())
        return detail;
    switch (reply->error()) {
    case QNetworkReply::ConnectionRefusedError:
        return Tr::tr("connection refused");
    case QNetworkReply::RemoteHostClosedError:
        return Tr::tr("the server closed the connection");
    case QNetworkReply::HostNotFoundError:
        return Tr::tr("host not found");
    case QNetworkReply::SslHandshakeFailedError:
        return Tr::tr("TLS handshake failed");
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyNotFoundError:
    case QNetworkReply::ProxyTimeoutError:
    case QNetworkReply::ProxyAuthenticationRequiredError:
        return Tr::tr("proxy error: %1").arg(reply->errorString());
    default:
        return reply->errorString();
    }
}

int defaultPort(const QUrl &url)
{
    return url.scheme() == QLatin1String("https") ? 443 : 80;
}
} // namespace

// Turns assembler callbacks into this call's signals. Consecutive text (or thinking) deltas
// of one block that arrive in the same network read go out as one signal: a fast stream of
// small deltas then costs one signal per read instead of one per delta, with the same text in
// the same order. Any other event flushes the pending text first.
class ApiCall::Forwarder : public MessageStreamListener
{
public:
    explicit Forwarder(ApiCall *call) : m_call(call) {}
    void messageStarted(const Message &message) override
    {
        flush();
        emit m_call->messageStarted(message);
    }
    void blockStarted(int index, const ContentBlock &block) override
    {
        flush();
        emit m_call->blockStarted(index, block);
    }
    void textDelta(int index, QStringView text) override { add(Pending::Text, index, text); }
    void thinkingDelta(int index, QStringView thinking) override
    {
        add(Pending::Thinking, index, thinking);
    }
    void blockStopped(int index, const ContentBlock &block) override
    {
        flush();
        emit m_call->blockStopped(index, block);
    }
    void messageDelta(const QString &stopReason, const Usage &usage) override
    {
        flush();
        emit m_call->usageUpdated(usage, stopReason);
    }
    void flush()
    {
        if (m_kind == Pending::None)
            return;
        const Pending kind = m_kind;
        m_kind = Pending::None;
        if (kind == Pending::Text)
            emit m_call->textDelta(m_index, m_text);
        else
            emit m_call->thinkingDelta(m_index, m_text);
        m_text.clear();
    }

private:
    enum class Pending
    {
        None,
        Text,
        Thinking
    };
    void add(Pending kind, int index, QStringView text)
    {
        if (m_kind != kind || m_index != index)
            flush();
        m_kind = kind;
        m_index = index;
        m_text.append(text);
    }

    ApiCall *m_call;
    Pending m_kind = Pending::None;
    int m_index = 0;
    QString m_text;
};

ApiCall::~ApiCall()
{
    m_assembler.setListener(nullptr);
}

ApiCall::ApiCall(ProviderClient *client, CallSpec spec)
    : m_client(client), m_spec(std::move(spec)), m_model(m_spec.model),
      m_forwarder(std::make_unique<Forwarder>(this))
{
    m_assembler.setListener(m_forwarder.get());
    for (QTimer *timer : {&m_waitTimer, &m_idleTimer})
        timer->setSingleShot(true);
    connect(&m_waitTimer, &QTimer::timeout, this,
            [this] { timeOut(m_gotHeaders ? Timeout::EventGap : Timeout::Headers); });
    connect(&m_idleTimer, &QTimer::timeout, this, [this] { timeOut(Timeout::Idle); });
}

void ApiCall::timeOut(Timeout reason)
{
    if (!m_reply || m_finished)
        return;
    m_timeout = reason;
    m_reply->abort(); // onReplyFinished reports the timeout
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
    m_parts = m_client->m_parts;
    if (!m_parts || !m_parts->builder || !m_parts->signer || !m_parts->errors) {
        ApiError e;
        e.kind = ApiError::Kind::Config;
        e.message = Tr::tr("No provider is configured");
        finish(e);
        return;
    }
    CallSpec spec = m_spec;
    spec.model = m_model; // the fallback model after three 529s
    if (!m_model.isEmpty() && spec.kind != CallSpec::Kind::ListModels)
        spec.body.insert(QStringLiteral("model"), m_model);
    m_prepared = PreparedRequest();
    QString error;
    if (!m_parts->builder->build(spec, &m_prepared, &error)) {
        ApiError e;
        e.kind = ApiError::Kind::Config;
        e.message = error;
        e.hint = Tr::tr("Check the provider settings shown by qlaude --doctor.");
        finish(e);
        return;
    }
    signAndSend();
}

void ApiCall::signAndSend()
{
    auto request = std::make_shared<PreparedRequest>(m_prepared);
    if (m_redirectUrl.isValid())
        request->url = m_redirectUrl; // a same-origin redirect of this attempt: signed anew
    const int generation = m_generation;
    QPointer<ApiCall> self(this);
    m_parts->signer->sign(
        request, [self, generation, request](const ApiError &error, const Signature &signature) {
            if (!self || self->m_finished || generation != self->m_generation)
                return;
            self->m_signature = signature;
            if (error.isError()) {
                self->finish(error);
                return;
            }
            self->send(*request);
        });
}

void ApiCall::send(const PreparedRequest &prepared)
{
    m_status = 0;
    m_statusChecked = false;
    m_gotBody = false;
    m_gotHeaders = false;
    m_sawMessagesEvent = false;
    m_timeout = Timeout::None;
    m_firstBytes.clear();
    m_body.clear();
    m_assembler.reset();
    m_decoder = streaming() && m_parts->makeDecoder ? m_parts->makeDecoder() : nullptr;
    if (streaming() && !m_decoder)
        m_decoder = std::make_unique<SseStreamDecoder>();

    QNetworkRequest req(prepared.url);
    for (const auto &h : prepared.headers)
        req.setRawHeader(h.first, h.second);
    if (!prepared.hasHeader("user-agent"))
        req.setHeader(QNetworkRequest::UserAgentHeader, m_client->m_config.userAgent);
    // Redirects are handled here: only one to the same origin is followed.
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    QNetworkReply *reply;
    if (prepared.method == "GET") {
        reply = m_client->m_nam->get(req);
    } else {
        req.setHeader(QNetworkRequest::ContentLengthHeader, prepared.body.size());
        req.setAttribute(QNetworkRequest::DoNotBufferUploadDataAttribute, true);
        auto *body = new OneShotBody(prepared.body, nullptr);
        reply = m_client->m_nam->sendCustomRequest(req, prepared.method, body);
        body->setParent(reply);
    }
    m_reply = reply;
    if (streaming()) {
        // Before the answer can arrive: as the socket connects, or (on a kept-alive
        // connection) once the request is out.
        connect(reply, &QNetworkReply::socketStartedConnecting, this, &ApiCall::limitReadAhead);
        connect(reply, &QNetworkReply::requestSent, this, &ApiCall::limitReadAhead);
    }
    connect(reply, &QNetworkReply::metaDataChanged, this, &ApiCall::onHeaders);
    connect(reply, &QNetworkReply::readyRead, this, &ApiCall::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &ApiCall::onReplyFinished);
    // API_TIMEOUT_MS first bounds the wait for the headers (and, for a plain JSON call, the
    // whole answer).
    m_idleTimer.stop();
    m_waitTimer.start(m_client->m_config.options.timeoutMs);
}

void ApiCall::limitReadAhead()
{
    // Flow control: Qt's HTTP thread then reads ahead of us only this much, so memory stays
    // flat however long the answer. Qt hands the limit to its HTTP thread only once that thread
    // has the request, so it is set from these signals, not when the reply is created (where it
    // would be lost and the whole answer buffered as fast as the server sends it).
    if (m_reply && !m_finished)
        m_reply->setReadBufferSize(kStreamReadBuffer);
}

void ApiCall::onHeaders()
{
    if (!m_reply || m_finished || !streaming() || !checkStatus(m_reply))
        return;
    limitReadAhead();
    // A stream: from here API_TIMEOUT_MS bounds the gap until the next complete event, and the
    // idle limit the time without a content event.
    m_gotHeaders = true;
    m_waitTimer.start(m_client->m_config.options.timeoutMs);
    m_idleTimer.start(m_client->m_config.options.streamIdleTimeoutMs);
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
    if (!checkStatus(m_reply) || !streaming()) {
        if (m_body.size() < kMaxErrorBody)
            m_body.append(chunk);
        return;
    }
    noteBody(chunk);
    m_events.clear();
    const bool ok = m_decoder->feed(chunk, m_events);
    feedEvents();
    if (!ok || m_assembler.hasError())
        m_reply->abort(); // onReplyFinished reports what went wrong
}

void ApiCall::noteBody(const QByteArray &chunk)
{
    m_gotBody = true;
    if (m_firstBytes.size() <= kQuotedBytes)
        m_firstBytes.append(chunk.left(kQuotedBytes + 1 - m_firstBytes.size()));
}

void ApiCall::feedEvents()
{
    if (m_events.isEmpty())
        return;
    bool content = false;
    for (const SseEvent &e : qAsConst(m_events)) {
        if (!m_sawMessagesEvent && isMessagesEvent(e.event))
            m_sawMessagesEvent = true;
        content = content || e.event != "ping";
        if (!m_assembler.feed(e))
            break;
    }
    m_forwarder->flush();
    if (m_finished || !m_reply)
        return;
    m_waitTimer.start(m_client->m_config.options.timeoutMs);
    if (content)
        m_idleTimer.start(m_client->m_config.options.streamIdleTimeoutMs);
}

void ApiCall::onReplyFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    m_reply = nullptr;
    reply->deleteLater();
    m_waitTimer.stop();
    m_idleTimer.stop();
    if (m_finished)
        return;
    if (streaming() && checkStatus(reply) && !m_decoder->hasError() && !m_assembler.hasError()) {
        const QByteArray rest = reply->isOpen() ? reply->readAll() : QByteArray();
        m_events.clear();
        if (!rest.isEmpty()) {
            noteBody(rest);
            m_decoder->feed(rest, m_events);
        }
        if (reply->error() == QNetworkReply::NoError)
            m_decoder->finish(m_events);
        feedEvents(); // the reply is gone: no timer restarts

    } else if (m_body.size() < kMaxErrorBody && reply->isOpen()) {
        m_body.append(reply->readAll());
    }
    checkStatus(reply);
    const bool partial = m_assembler.isStarted();
    const HeaderLookup headers = [reply](const QByteArray &name) { return reply->rawHeader(name); };
    const QString requestId = m_parts->errors->requestId(headers);

    if (m_cancelled) {
        finish(ApiError::cancelled(partial));
        return;
    }
    if (m_status >= 300 && m_status < 400 && m_status != 304) {
        followRedirect(reply, requestId);
        return;
    }
    // A 200 whose body is not an event stream at all (a proxy's page, garbage): say so and
    // quote its start, rather than "the answer ended early".
    if (streaming() && m_status >= 200 && m_status < 300 && m_gotBody && !m_sawMessagesEvent &&
        !m_assembler.isStarted() && !m_decoder->hasError() && m_timeout == Timeout::None) {
        ApiError e;
        e.kind = ApiError::Kind::Protocol;
        e.message = Tr::tr("The server's answer was not a valid event stream (SSE); it "
                           "began with \"%1\"")
                        .arg(quoteBytes(m_firstBytes));
        e.hint = Tr::tr("Check that the base URL points at the API and not at a proxy "
                        "or web page, and any gateway between you and the API.");
        e.requestId = requestId;
        finish(e);
        return;
    }
    // Errors inside a 200 stream: the server's error event, or a stream we could not decode.
    if (streaming() && m_decoder->hasError()) {
        ApiError e;
        e.kind = ApiError::Kind::Protocol;
        e.message = m_decoder->errorString();
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
            // Before any content, a provider may ask to retry it like an HTTP error (Bedrock's
            // throttling and server exception frames); after content it is kept and marked.
            const int retryAs = m_parts->errors->retryStatusForStreamError(e.type);
            if (retryAs && m_assembler.message().content.isEmpty()) {
                AttemptFailure f;
                f.httpStatus = retryAs;
                failAttempt(f, e);
                return;
            }
        } else {
            e.kind = ApiError::Kind::Protocol;
            e.message = Tr::tr("The answer could not be read: %1").arg(m_assembler.errorMessage());
            e.hint = Tr::tr("Try again; if it keeps happening, check any proxy or gateway "
                            "between you and the API.");
            e.requestId = requestId;
        }
        e.partial = partial;
        finish(e);
        return;
    }

    AttemptFailure f;
    f.credentialRefreshable = false;
    if (reply->error() == QNetworkReply::ProxyAuthenticationRequiredError && !m_proxyChallenged) {
        // A 407: proxyAuthHelper answers it once per request, then the request goes again.
        auto *network = qobject_cast<NetworkAccess *>(m_client->m_nam);
        m_proxyChallenged = true;
        QPointer<ApiCall> self(this);
        const int generation = m_generation;
        if (network && network->answerProxyChallenge(this, [self, generation](const QString &e) {
                if (!self || generation != self->m_generation || self->m_finished)
                    return;
                if (e.isEmpty()) {
                    self->startAttempt();
                    return;
                }
                ApiError error;
                error.kind = ApiError::Kind::Connection;
                error.message =
                    Tr::tr("The proxy asked for credentials and proxyAuthHelper failed: %1").arg(e);
                self->finish(error);
            })) {
            m_waiting = true;
            return;
        }
    }
    if (reply->error() != QNetworkReply::NoError && NetworkAccess::isPermanentFailure(reply)) {
        // Sending it again would fail the same way: say what to change instead.
        ApiError e;
        e.kind = ApiError::Kind::Connection;
        e.message = NetworkAccess::errorText(reply);
        e.requestId = requestId;
        e.partial = partial;
        finish(e);
        return;
    }
    if (reply->error() != QNetworkReply::NoError && m_status == 0) {
        f.timedOut = m_timeout != Timeout::None;
        f.connectionError = !f.timedOut;
        ApiError e = f.timedOut ? timeoutError(partial)
                                : ApiError::connection(networkErrorText(reply), partial);
        failAttempt(f, e);
        return;
    }
    if (m_status >= 200 && m_status < 300) {
        if (!streaming() || m_assembler.isComplete()) {
            finish(ApiError());
            return;
        }
        // The body ended (or the connection dropped) before message_stop.
        const bool timedOut = m_timeout != Timeout::None;
        f.timedOut = timedOut;
        f.connectionError = !timedOut;
        f.afterFirstByte = m_gotBody;
        ApiError e = timedOut ? timeoutError(partial)
                              : ApiError::connection(reply->error() == QNetworkReply::NoError
                                                         ? Tr::tr("the answer ended early")
                                                         : networkErrorText(reply),
                                                     partial);
        failAttempt(f, e);
        return;
    }
    f.httpStatus = m_status;
    f.shouldRetryHeader = reply->rawHeader("x-should-retry");
    f.retryAfterMsHeader = reply->rawHeader("retry-after-ms");
    f.retryAfterHeader = reply->rawHeader("retry-after");
    ApiError e =
        m_parts->errors->fromHttp(m_status, m_body, headers, m_signature.credentialSource, m_model);
    if (e.requestId.isEmpty())
        e.requestId = requestId;
    failAttempt(f, e);
}

ApiError ApiCall::timeoutError(bool partial) const
{
    const RequestOptions &o = m_client->m_config.options;
    ApiError e = ApiError::timeout(o.timeoutMs, partial);
    const auto seconds = [](int ms) { return QString::number(ms / 1000.0, 'g', 4); };
    switch (m_timeout) {
    case Timeout::EventGap:
        e.message = Tr::tr("The answer stalled: no complete event arrived for %1 s "
                           "(API_TIMEOUT_MS=%2)")
                        .arg(seconds(o.timeoutMs))
                        .arg(o.timeoutMs);
        break;
    case Timeout::Idle:
        e.message = Tr::tr("The answer stalled: nothing but keep-alive pings for %1 s "
                           "(CLAUDE_STREAM_IDLE_TIMEOUT_MS=%2)")
                        .arg(seconds(o.streamIdleTimeoutMs))
                        .arg(o.streamIdleTimeoutMs);
        e.hint = Tr::tr("Try again, or raise CLAUDE_STREAM_IDLE_TIMEOUT_MS if long "
                        "pauses are expected.");
        break;
    case Timeout::Headers:
    case Timeout::None:
        e.message = Tr::tr("The API did not answer within %1 s (API_TIMEOUT_MS=%2)")
                        .arg(seconds(o.timeoutMs))
                        .arg(o.timeoutMs);
        break;
    }
    return e;
}

void ApiCall::followRedirect(QNetworkReply *reply, const QString &requestId)
{
    constexpr int kMaxRedirects = 5;
    const QUrl from = reply->url();
    const QUrl target = from.resolved(QUrl::fromEncoded(reply->rawHeader("location")));
    const bool sameOrigin = target.isValid() && target.scheme() == from.scheme() &&
                            target.host() == from.host() &&
                            target.port(defaultPort(target)) == from.port(defaultPort(from));
    const bool keepsMethod = m_status == 307 || m_status == 308 || m_prepared.method == "GET";
    if (sameOrigin && keepsMethod && m_redirects < kMaxRedirects) {
        ++m_redirects;
        m_redirectUrl = target;
        signAndSend();
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
        e.message = Tr::tr("The server redirected the request (HTTP %1) to %2, another "
                           "origin; Qlaude does not send your credential or conversation "
                           "there")
                        .arg(m_status)
                        .arg(shown);
        e.hint = Tr::tr("If that address is the right one, set the provider's base URL "
                        "to it.");
    } else {
        e.message =
            m_redirects >= kMaxRedirects
                ? Tr::tr("The server redirected the request more than %1 times").arg(kMaxRedirects)
                : Tr::tr("The server redirected the request (HTTP %1) to %2 in a "
                         "way that would drop its body")
                      .arg(m_status)
                      .arg(shown);
        e.hint = Tr::tr("Set the provider's base URL to the final address.");
    }
    finish(e);
}

void ApiCall::failAttempt(AttemptFailure f, ApiError error)
{
    // A server may echo the key in its error text: scrub before anything (the retry event,
    // a banner, the history) sees it.
    error.scrub(m_signature.secrets);
    f.credentialRejected =
        f.httpStatus != 0 && m_parts->errors->credentialRejected(f.httpStatus, error);
    if (f.credentialRejected && !m_refreshed)
        f.credentialRefreshable = m_parts->signer->invalidate();
    m_consecutive529 = f.httpStatus == 529 ? m_consecutive529 + 1 : 0;
    const RetryPolicy policy(m_client->m_config.maxRetries);
    const RetryDecision d = policy.decide(f, m_retries, m_consecutive529, m_refreshed,
                                          !m_client->m_config.fallbackModel.isEmpty() &&
                                              m_client->m_config.fallbackModel != m_model,
                                          m_client->m_jitter(), m_client->m_now());
    if (!d.retry) {
        if (f.httpStatus == 529 && m_consecutive529 >= RetryPolicy::kOverloadedBeforeFallback) {
            error.message = Tr::tr("Repeated 529 Overloaded errors");
            error.hint = Tr::tr("The API is at capacity; this is usually temporary. Try "
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
    m_waitTimer.stop();
    m_idleTimer.stop();
    error.scrub(m_signature.secrets);
    m_error = error;
    for (QString &s : m_signature.secrets)
        s.fill(QLatin1Char('\0'));
    m_signature = Signature();
    emit finished();
}

} // namespace qlaude
