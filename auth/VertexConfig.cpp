#include "VertexConfig.h"

#include "AuthContext.h"
#include "GoogleCredentialProvider.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::VertexConfig)
};
} // namespace

namespace {
QString describeSource(const AuthContext &ctx, const QString &name)
{
    const QString where = ctx.envSource(name);
    return where.isEmpty() ? name : QStringLiteral("%1 (%2)").arg(name, where);
}
} // namespace

QList<QPair<QString, QString>> VertexConfig::regionVariables()
{
    // Longest prefix first: "claude-sonnet-4-5" before "claude-sonnet-4".
    static const QList<QPair<QString, QString>> table = {
        {QStringLiteral("claude-3-5-haiku"), QStringLiteral("VERTEX_REGION_CLAUDE_3_5_HAIKU")},
        {QStringLiteral("claude-haiku-4-5"), QStringLiteral("VERTEX_REGION_CLAUDE_HAIKU_4_5")},
        {QStringLiteral("claude-3-5-sonnet"), QStringLiteral("VERTEX_REGION_CLAUDE_3_5_SONNET")},
        {QStringLiteral("claude-3-7-sonnet"), QStringLiteral("VERTEX_REGION_CLAUDE_3_7_SONNET")},
        {QStringLiteral("claude-sonnet-4-6"), QStringLiteral("VERTEX_REGION_CLAUDE_4_6_SONNET")},
        {QStringLiteral("claude-sonnet-4-5"), QStringLiteral("VERTEX_REGION_CLAUDE_4_5_SONNET")},
        {QStringLiteral("claude-sonnet-4"), QStringLiteral("VERTEX_REGION_CLAUDE_4_0_SONNET")},
        {QStringLiteral("claude-opus-4-6"), QStringLiteral("VERTEX_REGION_CLAUDE_4_6_OPUS")},
        {QStringLiteral("claude-opus-4-5"), QStringLiteral("VERTEX_REGION_CLAUDE_4_5_OPUS")},
        {QStringLiteral("claude-opus-4-1"), QStringLiteral("VERTEX_REGION_CLAUDE_4_1_OPUS")},
        {QStringLiteral("claude-opus-4"), QStringLiteral("VERTEX_REGION_CLAUDE_4_0_OPUS")},
    };
    return table;
}

QString VertexConfig::regionVariableFor(const QString &model)
{
    const QString m = model.trimmed().toLower();
    for (const auto &row : regionVariables()) {
        if (!m.startsWith(row.first))
            continue;
        // "claude-sonnet-4" must not take "claude-sonnet-40...": the prefix ends at a
        // separator (or the id ends).
        const QChar next = m.size() > row.first.size() ? m.at(row.first.size()) : QChar();
        if (next.isNull() || next == QLatin1Char('@') || next == QLatin1Char('-'))
            return row.second;
    }
    return QString();
}

VertexConfig VertexConfig::fromContext(const AuthContext &ctx)
{
    VertexConfig c;
    c.baseUrlOverride = ctx.env(QStringLiteral("ANTHROPIC_VERTEX_BASE_URL")).trimmed();
    const QString region = ctx.env(QStringLiteral("CLOUD_ML_REGION")).trimmed();
    c.defaultRegion = region.isEmpty()
                          ? Choice{QStringLiteral("us-east5"),
                                   Tr::tr("default; set CLOUD_ML_REGION to change it")}
                          : Choice{region, describeSource(ctx, QStringLiteral("CLOUD_ML_REGION"))};
    for (const auto &row : regionVariables()) {
        const QString v = ctx.env(row.second).trimmed();
        if (!v.isEmpty())
            c.modelRegions.insert(row.second, Choice{v, describeSource(ctx, row.second)});
    }
    const GoogleCredentialProvider::Config google = GoogleCredentialProvider::configFrom(ctx);
    QString projectSource;
    const QString project = GoogleCredentialProvider::staticProject(google, &projectSource);
    if (!project.isEmpty()) {
        const QString where = ctx.envSource(projectSource);
        c.project =
            Choice{project, where.isEmpty() ? projectSource
                                            : QStringLiteral("%1 (%2)").arg(projectSource, where)};
    } else {
        QString why;
        c.projectFromMetadata = GoogleCredentialProvider::staticSource(google, &why) ==
                                QLatin1String("metadata server");
    }
    const QString version = ctx.env(QStringLiteral("QLAUDE_VERTEX_ANTHROPIC_VERSION")).trimmed();
    if (!version.isEmpty())
        c.anthropicVersion = version;
    return c;
}

VertexConfig::Choice VertexConfig::regionFor(const QString &model) const
{
    const QString variable = regionVariableFor(model);
    if (!variable.isEmpty() && modelRegions.contains(variable))
        return modelRegions.value(variable);
    return defaultRegion;
}

QString VertexConfig::baseFor(const QString &region)
{
    if (region == QLatin1String("global"))
        return QStringLiteral("https://aiplatform.googleapis.com/v1");
    if (region == QLatin1String("us") || region == QLatin1String("eu"))
        return QStringLiteral("https://aiplatform.%1.rep.googleapis.com/v1").arg(region);
    return QStringLiteral("https://%1-aiplatform.googleapis.com/v1").arg(region);
}

QByteArray VertexConfig::encodeSegment(const QString &segment)
{
    return segment.toUtf8().toPercentEncoding(QByteArrayLiteral("@"));
}

QUrl VertexConfig::urlFor(const QString &model, const QString &method, QString *error) const
{
    const QString region = regionFor(model).value;
    // A region is a host label: letters, digits and '-' only, so it cannot move the request.
    static const QRegularExpression regionShape(QStringLiteral("^[a-z0-9][a-z0-9-]{0,62}$"));
    if (!regionShape.match(region).hasMatch()) {
        *error = Tr::tr("The Vertex AI region \"%1\" (%2) is not a region name such as "
                        "us-east5 or global")
                     .arg(region.left(64), regionFor(model).source);
        return QUrl();
    }
    QString projectId = project.value;
    if (projectId.isEmpty()) {
        if (!projectFromMetadata) {
            *error = Tr::tr("No Google Cloud project is set for Vertex AI. Set "
                            "ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to "
                            "your project id");
            return QUrl();
        }
        projectId = QString::fromLatin1(kVertexProjectPlaceholder);
    }
    const QString base = baseUrlOverride.isEmpty() ? baseFor(region) : baseUrlOverride;
    const QUrl baseUrl(base, QUrl::StrictMode);
    if (!baseUrl.isValid() || baseUrl.host().isEmpty() ||
        (baseUrl.scheme() != QLatin1String("https") && baseUrl.scheme() != QLatin1String("http"))) {
        *error = Tr::tr("ANTHROPIC_VERTEX_BASE_URL is not an http(s) URL");
        return QUrl();
    }
    QByteArray path = baseUrl.path(QUrl::FullyEncoded).toUtf8();
    while (path.endsWith('/'))
        path.chop(1);
    path += "/projects/" + encodeSegment(projectId) + "/locations/" + encodeSegment(region) +
            "/publishers/anthropic/models/" + encodeSegment(model) + ':' + method.toLatin1();
    const QByteArray origin = baseUrl.toEncoded(QUrl::RemovePath | QUrl::RemoveQuery |
                                                QUrl::RemoveFragment | QUrl::StripTrailingSlash);
    return QUrl::fromEncoded(origin + path, QUrl::StrictMode);
}

} // namespace qlaude
