#pragma once

#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QUrl>

#include <functional>

namespace qlaude {

// The AWS shared files as AWS's tools read them (PROTOCOLS.md §2.3): ~/.aws/config with
// `[profile name]` and `[default]` sections, ~/.aws/credentials with `[name]` sections, moved by
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE; the profile is AWS_PROFILE or "default".
// Credentials-file keys override config-file keys. Read without network, only from regular
// files of at most 1 MiB.
struct AwsProfile
{
    QString name;
    QMap<QString, QString> values; // lowercased keys
    bool found = false;            // a section of that name exists in either file
    QString error;                 // a file that could not be read (never its content)

    QString value(const char *key) const { return values.value(QLatin1String(key)); }
};

struct AwsRegion
{
    QString region;
    QString source; // "AWS_REGION (environment)", "profile default (~/.aws/config)", "default"
};

namespace AwsConfig {
QString homeDir(const QProcessEnvironment &env);
QString configFile(const QProcessEnvironment &env); // AWS_CONFIG_FILE or ~/.aws/config
QString credentialsFile(
    const QProcessEnvironment &env); // AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
QString profileName(const QProcessEnvironment &env); // AWS_PROFILE or "default"

// Sections to key/value maps. `configStyle`: "[profile x]" names the profile x, and
// "[sso-session y]" is kept as "sso-session y". Comments start with # or ; at the line start
// or after whitespace; indented lines under an empty `key =` become `key.sub`.
QMap<QString, QMap<QString, QString>> parseIni(const QByteArray &text, bool configStyle);

AwsProfile profile(const QProcessEnvironment &env, const QString &name);
// The one place the Bedrock region is decided: AWS_REGION, AWS_DEFAULT_REGION, the profile's
// `region`, then us-east-1 (CLAUDE_CODE.md §6). `describeSource` names the variable's origin.
AwsRegion region(const QProcessEnvironment &env,
                 const std::function<QString(const QString &)> &describeSource = {});
// ANTHROPIC_BEDROCK_BASE_URL, else https://bedrock-runtime.<region>.amazonaws.com.
QUrl bedrockBaseUrl(const QProcessEnvironment &env, const QString &region);
} // namespace AwsConfig

} // namespace qlaude
