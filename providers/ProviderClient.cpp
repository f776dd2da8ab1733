#include "ProviderClient.h"

#include "AuthContext.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTimer>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ProviderClient)
};
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

namespace {

// A retry never starts before the server's retry-after: QTimer::singleShot picks a coarse timer
// (5 % early or late) for waits over 2 s, and even a precise one may wake a little early, so the
// deadline is checked and the rest waited out.
void firePrecisely(QObject *context, QDeadlineTimer deadline, std::function<void()> fire)
{
    const qint64 remainingNs = deadline.remainingTimeNSecs();
    const int waitMs =
        int(qMin<qint64>((qMax<qint64>(remainingNs, 0) + 999999) / 1000000, 1 << 30));
    QTimer::singleShot(waitMs, Qt::PreciseTimer, context,
                       [context, deadline, fire = std::move(fire)]() mutable {
                           if (deadline.hasExpired())
                               fire();
                           else
                               firePrecisely(context, deadline, std::move(fire));
                       });
}

} // namespace

ProviderClient::ProviderClient(ClientConfig config, std::shared_ptr<ProviderParts> parts,
                               QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_parts(std::move(parts)), m_nam(nam)
{
    m_scheduler = [this](qint64 ms, std::function<void()> fire) {
        firePrecisely(this, QDeadlineTimer(ms, Qt::PreciseTimer), std::move(fire));
    };
    m_jitter = [] { return QRandomGenerator::global()->generateDouble(); };
    m_now = [] { return QDateTime::currentDateTimeUtc(); };
    watchSigner();
}

void ProviderClient::watchSigner()
{
    if (!m_parts || !m_parts->signer)
        return;
    QPointer<ProviderClient> self(this);
    m_parts->signer->setProgress([self](const QString &line) {
        if (self)
            emit self->credentialProgress(line);
    });
}

void ProviderClient::reconfigure(ClientConfig config, std::shared_ptr<ProviderParts> parts)
{
    m_config = std::move(config);
    m_parts = std::move(parts);
    watchSigner();
}

ApiCall *ProviderClient::call(CallSpec spec)
{
    auto *c = new ApiCall(this, std::move(spec));
    c->setParent(this);
    QTimer::singleShot(0, c, &ApiCall::startAttempt);
    return c;
}

ApiCall *ProviderClient::stream(MessagesRequest request)
{
    request.stream = true;
    CallSpec spec;
    spec.kind = CallSpec::Kind::Stream;
    spec.body = request.toJson();
    spec.model = request.model;
    return call(std::move(spec));
}

ApiCall *ProviderClient::send(MessagesRequest request)
{
    request.stream = false;
    CallSpec spec;
    spec.kind = CallSpec::Kind::Send;
    spec.body = request.toJson();
    spec.body.remove(QStringLiteral("stream"));
    spec.model = request.model;
    return call(std::move(spec));
}

ApiError ProviderClient::unsupported(const QString &what, const QString &provider)
{
    ApiError e;
    e.kind = ApiError::Kind::Config;
    e.message = Tr::tr("%1 is not available with the %2 provider").arg(what, provider);
    return e;
}

void ProviderClient::countTokens(const MessagesRequest &request,
                                 std::function<void(qint64, const ApiError &)> done)
{
    if (!capabilities().countTokens) {
        done(0, unsupported(Tr::tr("Counting tokens"), providerName()));
        return;
    }
    CallSpec spec;
    spec.kind = CallSpec::Kind::CountTokens;
    spec.body = request.toJson();
    spec.body.remove(QStringLiteral("max_tokens"));
    spec.body.remove(QStringLiteral("stream"));
    spec.model = request.model;
    ApiCall *c = call(std::move(spec));
    std::shared_ptr<ProviderParts> parts = m_parts;
    connect(c, &ApiCall::finished, this, [c, done, parts] {
        c->deleteLater();
        if (c->error().isError()) {
            done(0, c->error());
            return;
        }
        done(parts->builder->parseTokenCount(c->jsonBody()), ApiError());
    });
}

void ProviderClient::listModels(
    std::function<void(const QList<ModelInfo> &, const ApiError &)> done)
{
    if (!capabilities().listModels) {
        done({}, unsupported(Tr::tr("The model list"), providerName()));
        return;
    }
    listModelsPage(QString(), {}, std::move(done));
}

void ProviderClient::listModelsPage(
    QString afterId, QList<ModelInfo> collected,
    std::function<void(const QList<ModelInfo> &, const ApiError &)> done)
{
    CallSpec spec;
    spec.kind = CallSpec::Kind::ListModels;
    spec.afterId = afterId;
    ApiCall *c = call(std::move(spec));
    std::shared_ptr<ProviderParts> parts = m_parts;
    connect(c, &ApiCall::finished, this, [this, c, collected, done, parts]() mutable {
        c->deleteLater();
        if (c->error().isError()) {
            done(collected, c->error());
            return;
        }
        QString next;
        if (!parts->builder->parseModelPage(c->jsonBody(), &collected, &next)) {
            ApiError e;
            e.kind = ApiError::Kind::Protocol;
            e.message = Tr::tr("The model list could not be read");
            done(collected, e);
            return;
        }
        if (!next.isEmpty())
            listModelsPage(next, collected, done);
        else
            done(collected, ApiError());
    });
}

} // namespace qlaude
