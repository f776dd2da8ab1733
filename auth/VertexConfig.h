#pragma once

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

namespace qlaude {

class AuthContext;

// Where a Vertex AI request goes (PROTOCOLS.md §3.1, CLAUDE_CODE.md §6): the region (per model
// family, then CLOUD_ML_REGION, then us-east5), the project, and the final URL. One place
// decides them; the client, doctor and the settings page use it.
struct VertexConfig
{
    struct Choice
    {
        QString value;
        QString source; // "CLOUD_ML_REGION (environment)", "default", ...
    };

    QString baseUrlOverride; // ANTHROPIC_VERTEX_BASE_URL: replaces {base}, version included
    Choice defaultRegion;    // CLOUD_ML_REGION, else us-east5
    QHash<QString, Choice> modelRegions; // VERTEX_REGION_CLAUDE_* that are set
    Choice project;                      // empty: the metadata server may know it
    bool projectFromMetadata = false;    // no static project, and ADC may ask the metadata server
    QString anthropicVersion = QStringLiteral("vertex-2023-10-16");

    static VertexConfig fromContext(const AuthContext &context);

    // The VERTEX_REGION_CLAUDE_* variable that sets the region of a model family ("" for a
    // model none applies to), as the CLI reads them; the README has the table.
    static QString regionVariableFor(const QString &model);
    static QList<QPair<QString, QString>> regionVariables(); // (model id prefix, variable)
    // The region a request for `model` goes to, and where it came from.
    Choice regionFor(const QString &model) const;
    // {base} for a region: global, us and eu have their own hosts.
    static QString baseFor(const QString &region);
    // The final URL of a call (project placeholder when it must come from the metadata server).
    QUrl urlFor(const QString &model, const QString &method, QString *error) const;
    // A path segment: everything but unreserved characters and '@' percent-encoded.
    static QByteArray encodeSegment(const QString &segment);
};

// The placeholder path segment that the signer replaces with the metadata server's project.
inline constexpr const char kVertexProjectPlaceholder[] = "qlaude-project-from-metadata";

} // namespace qlaude
