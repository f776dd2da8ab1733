#include "BedrockClient.h"

#include "AuthContext.h"
#include "AuthResolver.h"
#include "AwsCredentialProvider.h"
#include "CredentialSigner.h"
#include "EventStreamDecoder.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::BedrockClient)
};

// Bedrock exception frames as Anthropic error types, so the shared assembler and error texts
// understand them (PROTOCOLS.md §2.4).
QString anthropicErrorType(const QString &exception)
{
    const QString e = exception.toLower();
    if (e.startsWith(QLatin1String("throttling")) || e.startsWith(QLatin1String("modelnotready")))
        return QStringLiteral("rate_limit_error");
    if (e.startsWith(QLatin1String("serviceunavailable")))
        return QStringLiteral("overloaded_error");
    if (e.startsWith(QLatin1String("validation")))
        return QStringLiteral("invalid_request_error");
    if (e.startsWith(QLatin1String("modeltimeout")))
        return QStringLiteral("timeout_error");
    return QStringLiteral("api_error");
}

// The AWS event stream of Bedrock: `chunk` events carry base64 Anthropic event JSON, exception
// and error frames become Anthropic `error` events.
class BedrockStreamDecoder : public StreamDecoder
{
public:
    bool feed(QByteArrayView chunk, QList<SseEvent> &out) override
    {
        m_messages.clear();
        const bool ok = m_decoder.feed(chunk, m_messages);
        for (const EventStreamMessage &m : qAsConst(m_messages))
            translate(m, out);
        if (!ok)
            m_error = m_decoder.errorString();
        return ok && m_error.isEmpty();
    }
    bool finish(QList<SseEvent> &) override
    {
        if (!m_decoder.finish() && m_error.isEmpty())
            m_error = m_decoder.errorString().isEmpty() ? Tr::tr("Truncated event message")
                                                        : m_decoder.errorString();
        return m_error.isEmpty();
    }
    bool hasError() const override { return !m_error.isEmpty(); }
    QString errorString() const override
    {
        return Tr::tr("The Bedrock event stream could not be read: %1").arg(m_error);
    }

private:
    static SseEvent errorEvent(const QString &type, const QString &message)
    {
        const QJsonObject o{
            {QStringLiteral("type"), QStringLiteral("error")},
            {QStringLiteral("error"),
             QJsonObject{{QStringLiteral("type"), type}, {QStringLiteral("message"), message}}}};
        return {QByteArrayLiteral("error"), QJsonDocument(o).toJson(QJsonDocument::Compact)};
    }

    void translate(const EventStreamMessage &m, QList<SseEvent> &out)
    {
        const QString messageType = m.stringHeader(":message-type");
        if (messageType == QLatin1String("exception")) {
            const QString exception = m.stringHeader(":exception-type");
            const QString text = QJsonDocument::fromJson(m.payload)
                                     .object()
                                     .value(QStringLiteral("message"))
                                     .toString();
            out.append(errorEvent(anthropicErrorType(exception),
                                  QStringLiteral("%1: %2").arg(exception, text)));
            return;
        }
        if (messageType == QLatin1String("error")) {
            out.append(errorEvent(QStringLiteral("api_error"),
                                  QStringLiteral("%1: %2").arg(m.stringHeader(":error-code"),
                                                               m.stringHeader(":error-message"))));
            return;
        }
        if (m.stringHeader(":event-type") != QLatin1String("chunk"))
            return; // unknown event types are skipped
        // Unnamed: the assembler reads the kind from the JSON's own "type" (a delta takes its
        // fast path, parsed once), and ignores an event without one, as the SDK drops it.
        out.append({QByteArray(), QByteArray::fromBase64(chunkBytes(m.payload))});
    }

    // The base64 of {"bytes":"..."}: found directly when the payload has no escapes (base64 has
    // none), which keeps decoding fast; anything unusual goes through the JSON parser.
    static QByteArray chunkBytes(const QByteArray &payload)
    {
        static const QByteArray key = QByteArrayLiteral("\"bytes\":\"");
        const int start = payload.indexOf(key);
        if (start >= 0 && !payload.contains('\\')) {
            const int from = start + key.size();
            const int end = payload.indexOf('"', from);
            if (end > from)
                return payload.mid(from, end - from);
        }
        return QJsonDocument::fromJson(payload)
            .object()
            .value(QStringLiteral("bytes"))
            .toString()
            .toLatin1();
    }

    EventStreamDecoder m_decoder;
    QList<EventStreamMessage> m_messages;
    QString m_error;
};

QString bodyText(const QJsonObject &o, const char *a, const char *b)
{
    const QString v = o.value(QLatin1String(a)).toString();
    return v.isEmpty() ? o.value(QLatin1String(b)).toString() : v;
}
} // namespace

BedrockConfig BedrockConfig::fromContext(const AuthContext &ctx)
{
    BedrockConfig c;
    c.region = AwsConfig::region(ctx.environment(),
                                 [&ctx](const QString &name) { return ctx.envSource(name); });
    c.baseUrl = AwsConfig::bedrockBaseUrl(ctx.environment(), c.region.region);
    const QString version = ctx.env(QStringLiteral("QLAUDE_BEDROCK_ANTHROPIC_VERSION")).trimmed();
    if (!version.isEmpty())
        c.anthropicVersion = version;
    c.serviceTier = ctx.env(QStringLiteral("ANTHROPIC_BEDROCK_SERVICE_TIER")).trimmed();
    return c;
}

QByteArray BedrockRequestBuilder::encodeModelId(const QString &model)
{
    // pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
    return model.toUtf8().toPercentEncoding(QByteArrayLiteral("!$&'()*+,;=:@"));
}

bool BedrockRequestBuilder::build(const CallSpec &spec, PreparedRequest *out, QString *error) const
{
    if (spec.kind == CallSpec::Kind::CountTokens || spec.kind == CallSpec::Kind::ListModels) {
        *error = Tr::tr("Amazon Bedrock has no %1 in the Messages API")
                     .arg(spec.kind == CallSpec::Kind::ListModels ? Tr::tr("model list")
                                                                  : Tr::tr("token count"));
        return false;
    }
    if (spec.model.trimmed().isEmpty()) {
        *error = Tr::tr("No Bedrock model id is set (ANTHROPIC_MODEL)");
        return false;
    }
    const QUrl base = m_bedrock.baseUrl;
    if (!base.isValid() ||
        (base.scheme() != QLatin1String("https") && base.scheme() != QLatin1String("http"))) {
        *error = Tr::tr("ANTHROPIC_BEDROCK_BASE_URL is not an http(s) URL");
        return false;
    }
    QByteArray path = base.path(QUrl::FullyEncoded).toUtf8();
    if (path.endsWith('/'))
        path.chop(1);
    path += "/model/" + encodeModelId(spec.model) +
            (spec.kind == CallSpec::Kind::Stream ? "/invoke-with-response-stream" : "/invoke");
    QByteArray encoded = base.toEncoded(QUrl::RemovePath | QUrl::RemoveQuery |
                                        QUrl::RemoveFragment | QUrl::StripTrailingSlash);
    out->url = QUrl::fromEncoded(encoded + path, QUrl::StrictMode);
    out->method = "POST";
    QJsonObject body = spec.body;
    body.remove(QStringLiteral("model"));
    body.remove(QStringLiteral("stream"));
    if (!body.contains(QStringLiteral("anthropic_version")))
        body.insert(QStringLiteral("anthropic_version"), m_bedrock.anthropicVersion);
    if (!m_config.betas.isEmpty())
        body.insert(QStringLiteral("anthropic_beta"), QJsonArray::fromStringList(m_config.betas));
    out->body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    out->headers = m_config.options.customHeaders;
    out->setHeader("content-type", "application/json");
    out->setHeader("accept", spec.kind == CallSpec::Kind::Stream
                                 ? QByteArrayLiteral("application/vnd.amazon.eventstream")
                                 : QByteArrayLiteral("application/json"));
    out->setHeader("user-agent", m_config.userAgent.toUtf8());
    if (!m_config.betas.isEmpty())
        out->setHeader("anthropic-beta", m_config.betas.join(QLatin1Char(',')).toLatin1());
    if (!m_bedrock.serviceTier.isEmpty()) {
        if (!RequestOptions::isValidHeaderValue(m_bedrock.serviceTier.toUtf8())) {
            *error = Tr::tr("ANTHROPIC_BEDROCK_SERVICE_TIER contains a control character");
            return false;
        }
        out->setHeader("x-amzn-bedrock-service-tier", m_bedrock.serviceTier.toUtf8());
    }
    return true;
}

BedrockSigV4Signer::BedrockSigV4Signer(std::unique_ptr<AwsCredentialProvider> provider,
                                       QString region)
    : m_provider(std::move(provider)), m_region(std::move(region))
{
}

BedrockSigV4Signer::~BedrockSigV4Signer() = default;

void BedrockSigV4Signer::sign(std::shared_ptr<PreparedRequest> request, Done done)
{
    const QString region = m_region;
    m_provider->get([request, done, region](const AwsCredentials &creds, const QString &error) {
        if (!creds.isValid()) {
            ApiError e;
            e.kind = ApiError::Kind::Auth;
            e.message = error.isEmpty() ? Tr::tr("No AWS credentials are available") : error;
            e.hint = Tr::tr("Check the AWS credentials shown by qlaude --doctor (for "
                            "example run `aws sso login`, or set AWS_PROFILE).");
            done(e, Signature());
            return;
        }
        // Qlaude's signature is the credential: no custom Authorization stays beside it.
        request->removeCredentialHeaders();
        SigV4Request r{request->method, request->url, request->headers, request->body};
        SigV4Options o;
        o.region = region;
        o.service = QStringLiteral("bedrock");
        SigV4Signer::sign(r, creds, o);
        request->headers = r.headers;
        done(ApiError(), Signature{creds.source, {creds.secretAccessKey, creds.sessionToken}});
    });
}

void BedrockSigV4Signer::setProgress(std::function<void(const QString &)> progress)
{
    QObject::disconnect(m_provider.get(), nullptr, nullptr, nullptr);
    if (!progress)
        return;
    QObject::connect(m_provider.get(), &AwsCredentialProvider::refreshStarted, m_provider.get(),
                     [progress] { progress(Tr::tr("Running awsAuthRefresh…")); });
    QObject::connect(m_provider.get(), &AwsCredentialProvider::refreshOutput, m_provider.get(),
                     [progress](const QString &line) { progress(line); });
    QObject::connect(m_provider.get(), &AwsCredentialProvider::refreshFinished, m_provider.get(),
                     [progress](const QString &error) {
                         if (!error.isEmpty())
                             progress(error);
                     });
}

bool BedrockSigV4Signer::invalidate()
{
    // Keys from the environment cannot change by asking again; a command or a file can.
    const bool refreshable = m_provider->lastSourceCanChange();
    m_provider->invalidate();
    return refreshable;
}

ApiError BedrockErrorMapper::fromHttp(int status, const QByteArray &body,
                                      const HeaderLookup &headers, const QString &credentialSource,
                                      const QString &model) const
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    QString name = QString::fromLatin1(headers("x-amzn-errortype"));
    if (name.isEmpty())
        name = bodyText(o, "__type", "code");
    name = name.section(QLatin1Char(':'), 0, 0).section(QLatin1Char('#'), -1);
    QString message = bodyText(o, "message", "Message");
    if (message.isEmpty())
        message = QString::fromUtf8(body.left(300)).trimmed();
    ApiError e;
    e.kind = ApiError::Kind::Http;
    e.httpStatus = status;
    e.type = name;
    e.requestId = requestId(headers);
    e.message = message.isEmpty() ? Tr::tr("Amazon Bedrock answered HTTP %1").arg(status)
                                  : QStringLiteral("Amazon Bedrock: %1").arg(message);
    if (credentialRejected(status, e)) {
        e.hint = Tr::tr("The AWS credentials from %1 were rejected or have expired. "
                        "Refresh them (for example `aws sso login`, or awsAuthRefresh "
                        "in settings) and try again.")
                     .arg(credentialSource.isEmpty() ? Tr::tr("your AWS setup") : credentialSource);
    } else if (name == QLatin1String("AccessDeniedException") || status == 403) {
        e.hint = Tr::tr("Your AWS identity may not invoke %1 in %2: enable access to the "
                        "model in the Bedrock console and allow "
                        "bedrock:InvokeModelWithResponseStream.")
                     .arg(model, m_region);
    } else if (name == QLatin1String("ResourceNotFoundException") || status == 404) {
        e.hint = Tr::tr("Model %1 is not available in %2. Use an inference profile id "
                        "such as us.anthropic.claude-sonnet-4-5-20250929-v1:0, or set "
                        "AWS_REGION.")
                     .arg(model, m_region);
    } else if (name == QLatin1String("ValidationException") || status == 400) {
        e.hint = Tr::tr("Bedrock rejected the request: check the model id (%1) and the "
                        "region (%2).")
                     .arg(model, m_region);
    } else if (status == 429) {
        e.hint = Tr::tr("Bedrock is throttling this account. Wait a moment, or ask AWS "
                        "for a higher quota.");
    } else if (status >= 500) {
        e.hint = Tr::tr("Bedrock had a server problem; try again.");
    }
    return e;
}

QString BedrockErrorMapper::requestId(const HeaderLookup &headers) const
{
    return QString::fromLatin1(headers("x-amzn-requestid"));
}

bool BedrockErrorMapper::credentialRejected(int status, const ApiError &error) const
{
    if (status != 403)
        return false;
    const QString t = error.type;
    return t == QLatin1String("ExpiredTokenException") ||
           t == QLatin1String("UnrecognizedClientException") ||
           t == QLatin1String("InvalidSignatureException") ||
           error.message.contains(QLatin1String("security token"), Qt::CaseInsensitive) ||
           error.message.contains(QLatin1String("expired"), Qt::CaseInsensitive);
}

int BedrockErrorMapper::retryStatusForStreamError(const QString &type) const
{
    if (type == QLatin1String("rate_limit_error"))
        return 429;
    if (type == QLatin1String("overloaded_error"))
        return 503;
    if (type == QLatin1String("api_error"))
        return 500;
    if (type == QLatin1String("timeout_error"))
        return 408;
    return 0;
}

std::shared_ptr<ProviderParts> makeBedrockParts(const AuthContext &ctx, const Resolution &res,
                                                const ClientConfig &config, Authorizer *authorizer)
{
    const BedrockConfig bedrock = BedrockConfig::fromContext(ctx);
    auto parts = std::make_shared<ProviderParts>();
    parts->name = QStringLiteral("bedrock");
    parts->builder = std::make_unique<BedrockRequestBuilder>(config, bedrock);
    if (res.credential.kind == CredentialKind::AwsSigV4)
        parts->signer = std::make_unique<BedrockSigV4Signer>(
            std::make_unique<AwsCredentialProvider>(AwsCredentialProvider::configFrom(ctx)),
            bedrock.region.region);
    else
        parts->signer = std::make_unique<CredentialSigner>(authorizer); // API key or skipped
    parts->makeDecoder = [] { return std::make_unique<BedrockStreamDecoder>(); };
    parts->errors = std::make_unique<BedrockErrorMapper>(bedrock.region.region);
    return parts;
}

} // namespace qlaude
