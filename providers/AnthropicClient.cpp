#include "AnthropicClient.h"

#include "CredentialSigner.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::AnthropicClient)
};
} // namespace

bool AnthropicRequestBuilder::build(const CallSpec &spec, PreparedRequest *out,
                                    QString *error) const
{
    QString path;
    QString query;
    switch (spec.kind) {
    case CallSpec::Kind::Stream:
    case CallSpec::Kind::Send:
        path = QStringLiteral("/v1/messages");
        break;
    case CallSpec::Kind::CountTokens:
        path = QStringLiteral("/v1/messages/count_tokens");
        break;
    case CallSpec::Kind::ListModels: {
        path = QStringLiteral("/v1/models");
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("limit"), QStringLiteral("100"));
        if (!spec.afterId.isEmpty())
            q.addQueryItem(QStringLiteral("after_id"), spec.afterId);
        query = q.toString(QUrl::FullyEncoded);
        break;
    }
    }
    QUrl url = m_config.baseUrl;
    if (!url.isValid() ||
        (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))) {
        *error = Tr::tr("ANTHROPIC_BASE_URL is not an http(s) URL");
        return false;
    }
    QString basePath = url.path();
    if (basePath.endsWith(QLatin1Char('/')))
        basePath.chop(1);
    url.setPath(basePath + path);
    if (!query.isEmpty())
        url.setQuery(query);
    out->url = url;
    out->method = spec.kind == CallSpec::Kind::ListModels ? "GET" : "POST";
    if (out->method == "POST")
        out->body = QJsonDocument(spec.body).toJson(QJsonDocument::Compact);
    // Custom headers first, so the headers below always win; the signer then puts Qlaude's
    // own credential over any custom x-api-key or Authorization.
    out->headers = m_config.options.customHeaders;
    out->setHeader("content-type", "application/json");
    out->setHeader("accept", "application/json");
    out->setHeader("anthropic-version", m_config.anthropicVersion);
    out->setHeader("user-agent", m_config.userAgent.toUtf8());
    if (!m_config.betas.isEmpty())
        out->setHeader("anthropic-beta", m_config.betas.join(QLatin1Char(',')).toLatin1());
    else
        out->removeHeader("anthropic-beta");
    if (m_config.options.additionalProtection)
        out->setHeader("x-anthropic-additional-protection", "true");
    return true;
}

bool AnthropicRequestBuilder::parseModelPage(const QByteArray &body, QList<ModelInfo> *models,
                                             QString *nextAfterId) const
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject())
        return false;
    const QJsonObject page = doc.object();
    for (const QJsonValue &v : page.value(QStringLiteral("data")).toArray()) {
        const QJsonObject o = v.toObject();
        models->append({o.value(QStringLiteral("id")).toString(),
                        o.value(QStringLiteral("display_name")).toString(),
                        o.value(QStringLiteral("created_at")).toString(), o});
    }
    const QString last = page.value(QStringLiteral("last_id")).toString();
    *nextAfterId =
        page.value(QStringLiteral("has_more")).toBool() && !last.isEmpty() ? last : QString();
    return true;
}

ApiError AnthropicErrorMapper::fromHttp(int status, const QByteArray &body,
                                        const HeaderLookup &headers,
                                        const QString &credentialSource, const QString &model) const
{
    return ApiError::fromHttp(status, body, requestId(headers), credentialSource, model);
}

QString AnthropicErrorMapper::requestId(const HeaderLookup &headers) const
{
    return QString::fromLatin1(headers("request-id"));
}

bool AnthropicErrorMapper::credentialRejected(int status, const ApiError &error) const
{
    return status == 401 ||
           (status == 403 && error.message.contains(QLatin1String("OAuth token has been revoked")));
}

std::shared_ptr<ProviderParts> makeAnthropicParts(const ClientConfig &config,
                                                  Authorizer *authorizer)
{
    auto parts = std::make_shared<ProviderParts>();
    parts->name = QStringLiteral("anthropic");
    parts->builder = std::make_unique<AnthropicRequestBuilder>(config);
    parts->signer = std::make_unique<CredentialSigner>(authorizer);
    parts->makeDecoder = [] { return std::make_unique<SseStreamDecoder>(); };
    parts->errors = std::make_unique<AnthropicErrorMapper>();
    parts->capabilities.listModels = true;
    parts->capabilities.countTokens = true;
    return parts;
}

} // namespace qlaude
