#include "VertexClient.h"

#include "AuthContext.h"
#include "AuthResolver.h"
#include "CredentialSigner.h"
#include "GoogleCredentialProvider.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::VertexClient)
};
} // namespace

bool VertexRequestBuilder::build(const CallSpec &spec, PreparedRequest *out, QString *error) const
{
    if (spec.kind == CallSpec::Kind::ListModels) {
        *error = Tr::tr("Google Vertex AI has no model list in the Messages API");
        return false;
    }
    if (spec.model.trimmed().isEmpty()) {
        *error = Tr::tr("No Vertex AI model id is set (ANTHROPIC_MODEL)");
        return false;
    }
    QJsonObject body = spec.body;
    QUrl url;
    if (spec.kind == CallSpec::Kind::CountTokens) {
        // The model stays in the body; the path names the counting endpoint.
        url = m_vertex.urlFor(QStringLiteral("count-tokens"), QStringLiteral("rawPredict"), error);
        if (url.isValid()) {
            // The region follows the model being counted, not "count-tokens".
            const VertexConfig::Choice r = m_vertex.regionFor(spec.model);
            VertexConfig v = m_vertex;
            v.defaultRegion = r;
            v.modelRegions.clear();
            url = v.urlFor(QStringLiteral("count-tokens"), QStringLiteral("rawPredict"), error);
        }
    } else {
        body.remove(QStringLiteral("model"));
        url =
            m_vertex.urlFor(spec.model,
                            spec.kind == CallSpec::Kind::Stream ? QStringLiteral("streamRawPredict")
                                                                : QStringLiteral("rawPredict"),
                            error);
    }
    if (!url.isValid())
        return false;
    if (!body.contains(QStringLiteral("anthropic_version")))
        body.insert(QStringLiteral("anthropic_version"), m_vertex.anthropicVersion);
    out->url = url;
    out->method = "POST";
    out->body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    out->headers = m_config.options.customHeaders;
    out->removeHeader("anthropic-version");
    out->setHeader("content-type", "application/json");
    out->setHeader("accept", "application/json");
    out->setHeader("user-agent", m_config.userAgent.toUtf8());
    if (!m_config.betas.isEmpty())
        out->setHeader("anthropic-beta", m_config.betas.join(QLatin1Char(',')).toLatin1());
    return true;
}

VertexTokenSigner::VertexTokenSigner(std::unique_ptr<GoogleCredentialProvider> provider)
    : m_provider(std::move(provider))
{
}

VertexTokenSigner::~VertexTokenSigner() = default;

namespace {
ApiError noGoogleToken(const QString &error)
{
    ApiError e;
    e.kind = ApiError::Kind::Auth;
    e.message = error.isEmpty() ? Tr::tr("No Google access token is available") : error;
    e.hint = Tr::tr("Check the Google credentials shown by qlaude --doctor (for example "
                    "run `gcloud auth application-default login`, or set "
                    "GOOGLE_APPLICATION_CREDENTIALS).");
    return e;
}

// The token (and its quota project) on the request, then the answer to the call.
void finishSigning(PreparedRequest *request, const GoogleToken &token,
                   const RequestSigner::Done &done)
{
    if (!request->setBearerCredential(token.accessToken)) {
        done(unusableTokenError(token.source), Signature());
        return;
    }
    if (!token.quotaProject.isEmpty() &&
        RequestOptions::isValidHeaderValue(token.quotaProject.toUtf8()))
        request->setHeader("x-goog-user-project", token.quotaProject.toUtf8());
    done(ApiError(), Signature{token.source, {token.accessToken}});
}
} // namespace

void VertexTokenSigner::sign(std::shared_ptr<PreparedRequest> request, Done done)
{
    GoogleCredentialProvider *provider = m_provider.get();
    m_provider->get([request, done, provider](const GoogleToken &token, const QString &error) {
        if (!token.isValid()) {
            done(noGoogleToken(error), Signature());
            return;
        }
        const QByteArray placeholder = QByteArray("/projects/") + kVertexProjectPlaceholder + '/';
        QByteArray url = request->url.toEncoded();
        if (!url.contains(placeholder)) {
            finishSigning(request.get(), token, done);
            return;
        }
        // No project was configured: the metadata server's (or the credential's) is used.
        provider->resolveProject([request, done, token, placeholder,
                                  url](const QString &project, const QString &,
                                       const QString &projectError) mutable {
            QString p = project.isEmpty() ? token.projectId : project;
            if (p.isEmpty()) {
                ApiError e;
                e.kind = ApiError::Kind::Config;
                e.message =
                    Tr::tr("No Google Cloud project is set for Vertex AI%1")
                        .arg(projectError.isEmpty() ? QString()
                                                    : QStringLiteral(" (%1)").arg(projectError));
                e.hint = Tr::tr("Set ANTHROPIC_VERTEX_PROJECT_ID (or "
                                "GOOGLE_CLOUD_PROJECT) to your project id.");
                done(e, Signature());
                return;
            }
            url.replace(placeholder,
                        QByteArray("/projects/" + VertexConfig::encodeSegment(p) + '/'));
            request->url = QUrl::fromEncoded(url, QUrl::StrictMode);
            finishSigning(request.get(), token, done);
        });
    });
}

bool VertexTokenSigner::invalidate()
{
    return m_provider->invalidate();
}

void VertexTokenSigner::setProgress(std::function<void(const QString &)> progress)
{
    QObject::disconnect(m_provider.get(), nullptr, nullptr, nullptr);
    if (!progress)
        return;
    QObject::connect(m_provider.get(), &GoogleCredentialProvider::refreshStarted, m_provider.get(),
                     [progress] { progress(Tr::tr("Running gcpAuthRefresh…")); });
    QObject::connect(m_provider.get(), &GoogleCredentialProvider::refreshOutput, m_provider.get(),
                     [progress](const QString &line) { progress(line); });
    QObject::connect(m_provider.get(), &GoogleCredentialProvider::refreshFinished, m_provider.get(),
                     [progress](const QString &error) {
                         if (!error.isEmpty())
                             progress(error);
                     });
}

ApiError VertexErrorMapper::fromHttp(int status, const QByteArray &body,
                                     const HeaderLookup &headers, const QString &credentialSource,
                                     const QString &model) const
{
    ApiError e = ApiError::fromHttp(status, body, requestId(headers), credentialSource, model);
    const QJsonObject err =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("error")).toObject();
    const QString googleStatus = err.value(QStringLiteral("status")).toString();
    const QString region = m_vertex.regionFor(model).value;
    const QString project = m_vertex.project.value.isEmpty()
                                ? Tr::tr("your project")
                                : Tr::tr("project %1").arg(m_vertex.project.value);
    if (!googleStatus.isEmpty()) {
        // Google's shape: {"error": {"code": 429, "message": ..., "status": "RESOURCE_EXHAUSTED"}}
        e.type = googleStatus;
        e.message = QStringLiteral("Google Vertex AI: %1")
                        .arg(err.value(QStringLiteral("message")).toString().left(400));
    } else if (!e.message.isEmpty()) {
        e.message = QStringLiteral("Google Vertex AI: %1").arg(e.message);
    }
    const QString text = e.message;
    if (credentialRejected(status, e)) {
        e.hint = Tr::tr("The Google credentials from %1 were rejected or have expired. "
                        "Run `gcloud auth application-default login` (or your "
                        "gcpAuthRefresh), then try again.")
                     .arg(credentialSource.isEmpty() ? Tr::tr("Application Default "
                                                              "Credentials")
                                                     : credentialSource);
    } else if (googleStatus == QLatin1String("RESOURCE_EXHAUSTED") || status == 429) {
        e.hint = Tr::tr("The Vertex AI quota for %1 in %2 is used up. Wait a moment, or "
                        "request a higher quota in the Google Cloud console.")
                     .arg(model, region);
    } else if (text.contains(QLatin1String("aiplatform.googleapis.com")) &&
               (text.contains(QLatin1String("disabled")) ||
                text.contains(QLatin1String("has not been used")))) {
        e.hint = Tr::tr("The Vertex AI API is not enabled in %1. Enable "
                        "aiplatform.googleapis.com in the Google Cloud console.")
                     .arg(project);
    } else if (status == 404 || googleStatus == QLatin1String("NOT_FOUND")) {
        e.hint = Tr::tr("Model %1 is not available in %2 for %3. Enable it in Model "
                        "Garden, or choose another region with CLOUD_ML_REGION or %4.")
                     .arg(model, region, project,
                          VertexConfig::regionVariableFor(model).isEmpty()
                              ? Tr::tr("a VERTEX_REGION_CLAUDE_* variable")
                              : VertexConfig::regionVariableFor(model));
    } else if (status == 403 || googleStatus == QLatin1String("PERMISSION_DENIED")) {
        e.hint = Tr::tr("Your Google identity may not call Vertex AI in %1: it needs "
                        "the Vertex AI User role (aiplatform.endpoints.predict).")
                     .arg(project);
    }
    return e;
}

QString VertexErrorMapper::requestId(const HeaderLookup &headers) const
{
    const QByteArray id = headers("request-id");
    return QString::fromLatin1(id.isEmpty() ? headers("x-request-id") : id);
}

bool VertexErrorMapper::credentialRejected(int status, const ApiError &error) const
{
    return status == 401 || error.type == QLatin1String("UNAUTHENTICATED");
}

std::shared_ptr<ProviderParts> makeVertexParts(const AuthContext &ctx, const Resolution &res,
                                               const ClientConfig &config, Authorizer *authorizer)
{
    VertexConfig vertex = VertexConfig::fromContext(ctx);
    // Only the ADC signer can ask the metadata server for the project.
    if (res.credential.kind != CredentialKind::GoogleAdc)
        vertex.projectFromMetadata = false;
    auto parts = std::make_shared<ProviderParts>();
    parts->name = QStringLiteral("vertex");
    parts->builder = std::make_unique<VertexRequestBuilder>(config, vertex);
    if (res.credential.kind == CredentialKind::GoogleAdc)
        parts->signer = std::make_unique<VertexTokenSigner>(
            std::make_unique<GoogleCredentialProvider>(GoogleCredentialProvider::configFrom(ctx)));
    else
        parts->signer = std::make_unique<CredentialSigner>(authorizer); // skipped
    parts->makeDecoder = [] { return std::make_unique<SseStreamDecoder>(); };
    parts->errors = std::make_unique<VertexErrorMapper>(vertex);
    parts->capabilities.countTokens = true;
    return parts;
}

} // namespace qlaude
