#include "AwsCredentialProvider.h"

#include "AuthContext.h"
#include "HelperProcess.h"
#include "NetworkAccess.h"
#include "SettingsLayers.h"
#include "TokenHttp.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QRegularExpression>
#include <QSaveFile>
#include <QXmlStreamReader>

#include <memory>
#include <utility>

namespace qlaude {

namespace {
// A profile's static keys (aws_access_key_id, aws_secret_access_key, aws_session_token);
// invalid when it has none.
AwsCredentials profileKeys(const AwsProfile &p)
{
    AwsCredentials c;
    if (!p.found || p.value("aws_access_key_id").isEmpty() ||
        p.value("aws_secret_access_key").isEmpty())
        return c;
    c.accessKeyId = p.value("aws_access_key_id");
    c.secretAccessKey = p.value("aws_secret_access_key");
    c.sessionToken = p.value("aws_session_token");
    c.source = QStringLiteral("profile %1").arg(p.name);
    return c;
}

constexpr qint64 kRefreshBeforeMs = 5 * 60 * 1000;
constexpr qint64 kNoExpiryTtlMs = 60 * 60 * 1000;

// role_arn with source_profile or credential_source: STS AssumeRole.
bool isRoleProfile(const AwsProfile &p)
{
    return p.found && !p.value("role_arn").isEmpty() &&
           (!p.value("source_profile").isEmpty() || !p.value("credential_source").isEmpty());
}

// role_arn with web_identity_token_file: STS AssumeRoleWithWebIdentity.
bool isWebIdentityProfile(const AwsProfile &p)
{
    return p.found && !p.value("role_arn").isEmpty() &&
           !p.value("web_identity_token_file").isEmpty();
}

QString unsupportedFeature(const AwsProfile &p)
{
    if (isRoleProfile(p) || isWebIdentityProfile(p))
        return QString(); // supported: see assumeRole()
    if (!p.value("role_arn").isEmpty())
        return QStringLiteral("role_arn without source_profile, credential_source or "
                              "web_identity_token_file");
    if (!p.value("web_identity_token_file").isEmpty())
        return QStringLiteral("web_identity_token_file without role_arn");
    if (!p.value("sso_session").isEmpty() || !p.value("sso_start_url").isEmpty())
        return QString(); // supported: see ssoSettings()
    if (!p.value("login_session").isEmpty())
        return QStringLiteral("login_session");
    return QString();
}

// A profile that uses AWS IAM Identity Center (SSO), in the chain position of the profile:
// after static keys and credential_process, and only when nothing unsupported comes first.
bool usesSso(const AwsProfile &p)
{
    return p.found && unsupportedFeature(p).isEmpty() &&
           (!p.value("sso_session").isEmpty() || !p.value("sso_start_url").isEmpty());
}

// PROTOCOLS.md §2.3, "SSO token flow".
constexpr int kSsoTimeoutMs = 5000;
constexpr qint64 kSsoMaxBytes = 64 * 1024;
constexpr qint64 kSsoRefreshIntervalMs = 30000;

struct SsoSettings
{
    QString profile;
    QString session; // the sso_session name; empty for a legacy profile
    QString startUrl;
    QString region;
    QString accountId;
    QString roleName;
    QString error; // a missing key, naming it and the file

    // The name the token cache file is keyed by, and the one errors show.
    QString cacheKey() const { return session.isEmpty() ? startUrl : session; }
};

SsoSettings ssoSettings(const QProcessEnvironment &env, const AwsProfile &p)
{
    SsoSettings s;
    s.profile = p.name;
    s.session = p.value("sso_session");
    const QString configFile = AwsConfig::configFile(env);
    const auto missing = [&](const QString &key, const QString &where) {
        return QStringLiteral("%1 (AWS SSO) has no %2 in %3.").arg(where, key, configFile);
    };
    const QString inProfile = QStringLiteral("Profile \"%1\"").arg(p.name);
    if (!s.session.isEmpty()) {
        QByteArray text;
        const QString readError = SettingsLayers::readFile(configFile, &text);
        if (!readError.isEmpty()) {
            s.error = QStringLiteral("Profile \"%1\" uses the AWS SSO session \"%2\", but %3")
                          .arg(p.name, s.session, readError);
            return s;
        }
        const auto sections = AwsConfig::parseIni(text, true);
        const QString sectionName = QStringLiteral("sso-session ") + s.session;
        if (!sections.contains(sectionName)) {
            s.error =
                QStringLiteral("Profile \"%1\" uses the AWS SSO session \"%2\", but %3 has no "
                               "[sso-session %2] section.")
                    .arg(p.name, s.session, configFile);
            return s;
        }
        const QMap<QString, QString> section = sections.value(sectionName);
        s.startUrl = section.value(QStringLiteral("sso_start_url"));
        s.region = section.value(QStringLiteral("sso_region"));
        const QString where = QStringLiteral("[sso-session %1]").arg(s.session);
        if (s.startUrl.isEmpty())
            s.error = missing(QStringLiteral("sso_start_url"), where);
        else if (s.region.isEmpty())
            s.error = missing(QStringLiteral("sso_region"), where);
    } else {
        s.startUrl = p.value("sso_start_url");
        s.region = p.value("sso_region");
        if (s.region.isEmpty())
            s.error = missing(QStringLiteral("sso_region"), inProfile);
    }
    s.accountId = p.value("sso_account_id");
    s.roleName = p.value("sso_role_name");
    if (s.error.isEmpty() && s.accountId.isEmpty())
        s.error = missing(QStringLiteral("sso_account_id"), inProfile);
    if (s.error.isEmpty() && s.roleName.isEmpty())
        s.error = missing(QStringLiteral("sso_role_name"), inProfile);
    static const QRegularExpression kRegion(QStringLiteral("^[a-z0-9-]{1,64}$"));
    if (s.error.isEmpty() && !kRegion.match(s.region).hasMatch())
        s.error = QStringLiteral("The sso_region of AWS SSO profile \"%1\" (in %2) is not "
                                 "a valid AWS region.")
                      .arg(p.name, configFile);
    return s;
}

// What `aws sso login` fixes, so awsAuthRefresh set to it fixes it too. `asSource`: the profile
// is a role's source_profile, named with the command that logs it in.
QString ssoExpired(const SsoSettings &s, bool asSource)
{
    if (asSource)
        return QStringLiteral("The AWS SSO session %1 of source_profile \"%2\" has expired or has "
                              "no cached token. Run `aws sso login --profile %2` (or set "
                              "awsAuthRefresh to it).")
            .arg(TokenHttp::cleanText(s.cacheKey(), 200), s.profile);
    const QString login = s.session.isEmpty()
                              ? QStringLiteral("aws sso login --profile %1").arg(s.profile)
                              : QStringLiteral("aws sso login --sso-session %1").arg(s.session);
    return QStringLiteral("The AWS SSO session %1 has expired or has no cached token. Run `%2` "
                          "(or set awsAuthRefresh to it).")
        .arg(TokenHttp::cleanText(s.cacheKey(), 200), login);
}

QString ssoCacheFile(const QProcessEnvironment &env, const SsoSettings &s)
{
    const QByteArray hash =
        QCryptographicHash::hash(s.cacheKey().toUtf8(), QCryptographicHash::Sha1).toHex();
    return AwsConfig::homeDir(env) + QStringLiteral("/.aws/sso/cache/") +
           QString::fromLatin1(hash) + QStringLiteral(".json");
}

// The base URL of an AWS endpoint: its AWS_ENDPOINT_URL_<service> override, else the default.
QString ssoEndpoint(const QProcessEnvironment &env, const char *variable, const QString &fallback)
{
    QString endpoint = env.value(QLatin1String(variable)).trimmed();
    if (endpoint.isEmpty())
        endpoint = fallback;
    while (endpoint.endsWith(QLatin1Char('/')))
        endpoint.chop(1);
    return endpoint;
}

QDateTime parseIsoTime(QString text)
{
    text = text.trimmed();
    if (text.endsWith(QLatin1String("UTC"))) // older AWS CLI versions wrote "...UTC"
        text = text.left(text.size() - 3) + QLatin1Char('Z');
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(text, Qt::ISODate);
    return t;
}

// PROTOCOLS.md §2.3, "remote".
constexpr int kRemoteTimeoutMs = 1000;
constexpr int kContainerRetries = 3;
constexpr qint64 kRemoteMaxBytes = 64 * 1024;
constexpr qint64 kTokenFileMaxBytes = 16 * 1024;

const QString kRelativeUri = QStringLiteral("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
const QString kFullUri = QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI");

bool hasContainerVariable(const QProcessEnvironment &env)
{
    return !env.value(kRelativeUri).isEmpty() || !env.value(kFullUri).isEmpty();
}

// Set, and not "false".
bool imdsDisabled(const QProcessEnvironment &env)
{
    const QString v = env.value(QStringLiteral("AWS_EC2_METADATA_DISABLED")).trimmed();
    return !v.isEmpty() && v.compare(QLatin1String("false"), Qt::CaseInsensitive) != 0;
}

bool truthy(const QString &value)
{
    const QString v = value.trimmed();
    return v.compare(QLatin1String("true"), Qt::CaseInsensitive) == 0 || v == QLatin1String("1");
}

bool hasControlCharacter(const QString &text)
{
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return true;
    }
    return false;
}

// The hosts a plain-http AWS_CONTAINER_CREDENTIALS_FULL_URI may name: loopback, and the ECS and
// EKS Pod Identity agents.
bool allowedHttpContainerHost(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    QHostAddress a;
    if (!a.setAddress(host))
        return false;
    if (a.protocol() == QAbstractSocket::IPv4Protocol)
        return (a.toIPv4Address() >> 24) == 127 ||
               a == QHostAddress(QStringLiteral("169.254.170.2")) ||
               a == QHostAddress(QStringLiteral("169.254.170.23"));
    if (a.protocol() == QAbstractSocket::IPv6Protocol)
        return a == QHostAddress(QHostAddress::LocalHostIPv6) ||
               a == QHostAddress(QStringLiteral("fd00:ec2::23"));
    return false;
}

// Where container credentials come from, or an invalid URL and *error naming the rule. The
// relative URI wins over the full one, as in the AWS SDKs.
QUrl containerUrl(const AwsCredentialProvider::Config &config, QString *error)
{
    const QProcessEnvironment &env = config.environment;
    QString relative = env.value(kRelativeUri);
    if (!relative.isEmpty()) {
        QString base = config.containerHost.toString(QUrl::FullyEncoded);
        while (base.endsWith(QLatin1Char('/')))
            base.chop(1);
        if (!relative.startsWith(QLatin1Char('/'))) // never "host@other": always a path
            relative.prepend(QLatin1Char('/'));
        const QUrl url(base + relative, QUrl::StrictMode);
        if (!url.isValid() || url.host() != config.containerHost.host()) {
            *error = QStringLiteral("%1 is not a valid URL path.").arg(kRelativeUri);
            return QUrl();
        }
        return url;
    }
    const QUrl url(env.value(kFullUri), QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()) {
        *error = QStringLiteral("%1 is not a valid URL.").arg(kFullUri);
        return QUrl();
    }
    const QString scheme = url.scheme().toLower();
    if (scheme == QLatin1String("https") ||
        (scheme == QLatin1String("http") && allowedHttpContainerHost(url.host())))
        return url;
    *error = QStringLiteral("%1 (%2) is not allowed: it must use https, or http to a loopback "
                            "host (127.0.0.0/8, [::1], localhost) or to 169.254.170.2, "
                            "169.254.170.23 or [fd00:ec2::23].")
                 .arg(kFullUri, TokenHttp::origin(url));
    return QUrl();
}

// A token file, as the agents that rotate it write it: a regular file (or a symlink to one) of
// at most 16 KiB, trimmed, not empty. `name` is how errors call it. Never quotes the content.
QString readTokenFile(const QString &file, const QString &name, QString *token)
{
    const QFileInfo info(file);
    if (!info.exists())
        return QStringLiteral("%1 does not exist.").arg(name);
    if (!info.isFile()) // a symlink to a regular file is fine (Kubernetes projects those)
        return QStringLiteral("%1 is not a regular file.").arg(name);
    const QString tooLarge =
        QStringLiteral("%1 is larger than %2 KiB.").arg(name).arg(kTokenFileMaxBytes / 1024);
    if (info.size() > kTokenFileMaxBytes)
        return tooLarge;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("%1 cannot be read: %2.").arg(name, f.errorString());
    QByteArray data = f.read(kTokenFileMaxBytes + 1);
    if (data.size() > kTokenFileMaxBytes) {
        data.fill('\0');
        return tooLarge;
    }
    *token = QString::fromUtf8(data).trimmed();
    data.fill('\0');
    if (token->isEmpty())
        return QStringLiteral("%1 is empty.").arg(name);
    return QString();
}

// The Authorization header for container credentials: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
// (read each time: the agent rotates it) wins over AWS_CONTAINER_AUTHORIZATION_TOKEN.
QByteArray containerAuthorization(const QProcessEnvironment &env, QString *error)
{
    const QString file = env.value(QStringLiteral("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
    QString token;
    if (!file.isEmpty()) {
        *error = readTokenFile(
            file, QStringLiteral("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (%1)").arg(file), &token);
        if (!error->isEmpty())
            return QByteArray();
    } else {
        token = env.value(QStringLiteral("AWS_CONTAINER_AUTHORIZATION_TOKEN")).trimmed();
    }
    if (hasControlCharacter(token)) {
        *error = QStringLiteral("The container authorization token contains a control character.");
        return QByteArray();
    }
    return token.toUtf8();
}

QString imdsEndpoint(const QProcessEnvironment &env)
{
    QString endpoint = env.value(QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT")).trimmed();
    if (endpoint.isEmpty())
        endpoint = env.value(QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"))
                               .trimmed()
                               .compare(QLatin1String("IPv6"), Qt::CaseInsensitive) == 0
                       ? QStringLiteral("http://[fd00:ec2::254]")
                       : QStringLiteral("http://169.254.169.254");
    while (endpoint.endsWith(QLatin1Char('/')))
        endpoint.chop(1);
    return endpoint;
}

// The parsed credential answer of a metadata endpoint (container or IMDS), or *error.
AwsCredentials parseRemoteCredentials(const TokenHttpResult &result, QString *error)
{
    if (!result.jsonOk) {
        *error = QStringLiteral("the answer is not a JSON object");
        return AwsCredentials();
    }
    const QString code = result.json.value(QLatin1String("Code")).toString();
    if (!code.isEmpty() && code != QLatin1String("Success")) {
        *error = QStringLiteral("the answer's Code is %1").arg(TokenHttp::cleanText(code, 100));
        return AwsCredentials();
    }
    QString parseError;
    AwsCredentials c = parseAwsCredentialJson(result.body, false, &parseError);
    if (!c.isValid()) {
        *error = QStringLiteral("the answer has no AccessKeyId and SecretAccessKey");
        return AwsCredentials();
    }
    return c;
}

// Why the local part of the chain found nothing (the profile was found without an unsupported
// feature, or not found).
QString noLocalCredentials(const QProcessEnvironment &env, const AwsProfile &p)
{
    if (!p.found)
        return QStringLiteral("No AWS credentials: set AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY, AWS_BEARER_TOKEN_BEDROCK (or save a "
                              "Bedrock API key), or a profile in %1 (profile \"%2\" was not "
                              "found).")
            .arg(AwsConfig::configFile(env), p.name);
    return QStringLiteral("Profile \"%1\" has no credentials (no keys, no credential_process).")
        .arg(p.name);
}

// PROTOCOLS.md §2.3, STS.
constexpr int kStsTimeoutMs = 5000;
// GetCallerIdentity before awsAuthRefresh: short, since a failure only means "use them as is".
constexpr int kCallerCheckTimeoutMs = 3000;
constexpr qint64 kStsMaxBytes = 64 * 1024;
constexpr int kMaxRoleDepth = 5;

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: the chain step after credential_process.
bool hasEnvWebIdentity(const QProcessEnvironment &env)
{
    return !env.value(QStringLiteral("AWS_WEB_IDENTITY_TOKEN_FILE")).isEmpty() &&
           !env.value(QStringLiteral("AWS_ROLE_ARN")).isEmpty();
}

// The profile a role profile's source_profile names when resolveSourceProfile will use it as an
// SSO profile (nothing it checks first applies); not found otherwise.
AwsProfile ssoSourceProfile(const QProcessEnvironment &env, const AwsProfile &role)
{
    const QString name = role.value("source_profile");
    if (name.isEmpty() || name == role.name) // itself: its own keys, or a loop
        return AwsProfile();
    const AwsProfile s = AwsConfig::profile(env, name);
    if (!s.found || isRoleProfile(s) || profileKeys(s).isValid() || isWebIdentityProfile(s) ||
        !s.value("credential_process").isEmpty() ||
        (s.value("sso_session").isEmpty() && s.value("sso_start_url").isEmpty()))
        return AwsProfile();
    return s;
}

QString roleLabel(const QProcessEnvironment &env, const AwsProfile &p)
{
    const QString arn = TokenHttp::cleanText(p.value("role_arn"), 200);
    if (const AwsProfile sso = ssoSourceProfile(env, p); sso.found)
        return QStringLiteral("role_arn %1 (profile %2, source sso profile %3)")
            .arg(arn, p.name, sso.name);
    return QStringLiteral("role_arn %1 (profile %2)").arg(arn, p.name);
}

QString noSourceCredentials(const QString &roleLabel, const QString &error)
{
    return QStringLiteral("No source credentials for %1: %2").arg(roleLabel, error);
}

QString webIdentityLabel(const QString &roleArn)
{
    return QStringLiteral("web identity (%1)").arg(TokenHttp::cleanText(roleArn, 200));
}

QString mfaUnsupported(const AwsProfile &p)
{
    return QStringLiteral("Profile \"%1\" uses mfa_serial: MFA-protected roles are not supported "
                          "yet; use awsCredentialExport (e.g. `aws configure "
                          "export-credentials --profile %1`).")
        .arg(p.name);
}

QString sessionName(const QString &configured, const QDateTime &now)
{
    return configured.isEmpty() ? QStringLiteral("qlaude-%1").arg(now.toMSecsSinceEpoch())
                                : configured;
}

// The fields of an STS answer: <...Result><Credentials> on success, <ErrorResponse><Error> on
// failure.
struct StsAnswer
{
    AwsCredentials credentials;
    QString code;
    QString message;
};

StsAnswer parseStsXml(const QByteArray &body)
{
    StsAnswer a;
    QXmlStreamReader xml(body);
    QStringList path;
    while (!xml.atEnd()) {
        const QXmlStreamReader::TokenType t = xml.readNext();
        if (t == QXmlStreamReader::EndElement) {
            if (!path.isEmpty())
                path.removeLast();
            continue;
        }
        if (t != QXmlStreamReader::StartElement)
            continue;
        const QString name = xml.name().toString();
        const QString parent = path.isEmpty() ? QString() : path.last();
        if (parent == QLatin1String("Credentials") || parent == QLatin1String("Error")) {
            const QString text = xml.readElementText(QXmlStreamReader::SkipChildElements).trimmed();
            if (parent == QLatin1String("Credentials")) {
                if (name == QLatin1String("AccessKeyId"))
                    a.credentials.accessKeyId = text;
                else if (name == QLatin1String("SecretAccessKey"))
                    a.credentials.secretAccessKey = text;
                else if (name == QLatin1String("SessionToken"))
                    a.credentials.sessionToken = text;
                else if (name == QLatin1String("Expiration"))
                    a.credentials.expiration = parseIsoTime(text);
            } else if (name == QLatin1String("Code")) {
                a.code = text;
            } else if (name == QLatin1String("Message")) {
                a.message = text;
            }
            continue; // readElementText consumed the end element
        }
        path.append(name);
    }
    return a;
}

// One STS Query API request: a form POST to https://sts.<region>.amazonaws.com/ (or
// AWS_ENDPOINT_URL_STS), SigV4-signed (service sts) when `signWith` is valid. Its url is
// invalid when the endpoint cannot be used.
TokenHttpRequest stsRequest(const QProcessEnvironment &env,
                            const QList<QPair<QString, QString>> &form,
                            const AwsCredentials &signWith, const QStringList &redact)
{
    TokenHttpRequest request;
    const QString region = AwsConfig::region(env).region;
    const QUrl url(ssoEndpoint(env, "AWS_ENDPOINT_URL_STS",
                               QStringLiteral("https://sts.%1.amazonaws.com").arg(region)) +
                       QLatin1Char('/'),
                   QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http")))
        return request;
    request.url = url;
    request.method = QByteArrayLiteral("POST");
    request.body = TokenHttpRequest::Body::Form;
    request.form = form;
    request.timeoutMs = kStsTimeoutMs;
    request.maxBytes = kStsMaxBytes;
    request.redact = redact;
    request.redact.removeAll(QString());
    request.headers.append({QByteArrayLiteral("accept"), QByteArrayLiteral("text/xml")});
    if (signWith.isValid()) {
        SigV4Request signing;
        signing.method = request.method;
        signing.url = url;
        signing.body = TokenHttp::formEncode(form);
        SigV4Options options;
        options.region = region;
        options.service = QStringLiteral("sts");
        SigV4Signer::sign(signing, signWith, options);
        signing.body.fill('\0');
        for (const auto &h : std::as_const(signing.headers)) {
            if (h.first.toLower() != "host") // QNetworkAccessManager sends the same Host
                request.headers.append(h);
        }
    }
    return request;
}

// STS says the credentials that signed the request are expired or unknown: what awsAuthRefresh
// can fix. Anything else (throttling, a 5xx, no answer, a proxy's page) says nothing about them.
bool stsRejectsCredentials(const TokenHttpResult &r)
{
    if (r.failure != TokenHttpResult::Failure::Http || (r.status != 400 && r.status != 403))
        return false;
    QString code = parseStsXml(r.body).code;
    if (code.endsWith(QLatin1String("Exception"))) // the JSON protocols' spelling
        code.chop(9);
    return code == QLatin1String("ExpiredToken") || code == QLatin1String("InvalidClientTokenId") ||
           code == QLatin1String("SignatureDoesNotMatch") ||
           code == QLatin1String("UnrecognizedClient");
}
} // namespace

AwsCredentials parseAwsCredentialJson(const QByteArray &json, bool requireToken, QString *error)
{
    AwsCredentials c;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json.trimmed(), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("did not return a valid value (its output is not a JSON object)");
        return c;
    }
    QJsonObject o = doc.object();
    if (o.value(QStringLiteral("Credentials")).isObject())
        o = o.value(QStringLiteral("Credentials")).toObject();
    const auto text = [&o](const char *key) { return o.value(QLatin1String(key)).toString(); };
    c.accessKeyId = text("AccessKeyId");
    c.secretAccessKey = text("SecretAccessKey");
    c.sessionToken = text("SessionToken");
    if (c.sessionToken.isEmpty())
        c.sessionToken = text("Token");
    if (c.accessKeyId.isEmpty() || c.secretAccessKey.isEmpty() ||
        (requireToken && c.sessionToken.isEmpty())) {
        *error = QStringLiteral("did not return valid AWS STS output structure (AccessKeyId, "
                                "SecretAccessKey%1 must be non-empty strings)")
                     .arg(requireToken ? QStringLiteral(" and SessionToken") : QString());
        return AwsCredentials();
    }
    const QString expiration = text("Expiration");
    if (!expiration.isEmpty()) {
        c.expiration = QDateTime::fromString(expiration, Qt::ISODateWithMs);
        if (!c.expiration.isValid())
            c.expiration = QDateTime::fromString(expiration, Qt::ISODate);
    }
    return c;
}

AwsCredentialProvider::Config AwsCredentialProvider::configFrom(const AuthContext &ctx)
{
    Config c;
    c.environment = ctx.environment();
    c.network = NetworkSetup::fromContext(ctx);
    if (!ctx.isBare()) {
        c.exportCommand =
            ctx.effectiveSettings().value(QStringLiteral("awsCredentialExport")).toString();
        const AuthContext::CommandSite site =
            ctx.commandSite(QStringLiteral("awsCredentialExport"));
        c.exportWorkingDirectory = site.workingDirectory;
        c.exportEnvironment = site.environment;
        c.refreshCommand =
            ctx.effectiveSettings().value(QStringLiteral("awsAuthRefresh")).toString();
        const AuthContext::CommandSite refreshSite =
            ctx.commandSite(QStringLiteral("awsAuthRefresh"));
        c.refreshWorkingDirectory = refreshSite.workingDirectory;
        c.refreshEnvironment = refreshSite.environment;
    }
    return c;
}

AwsCredentialProvider::AwsCredentialProvider(Config config, QObject *parent)
    : QObject(parent), m_config(std::move(config))
{
}

AwsCredentialProvider::~AwsCredentialProvider()
{
    m_cached.secretAccessKey.fill(QLatin1Char('\0'));
    m_cached.sessionToken.fill(QLatin1Char('\0'));
}

QDateTime AwsCredentialProvider::now() const
{
    return m_now ? m_now() : QDateTime::currentDateTimeUtc();
}

QString AwsCredentialProvider::staticSource(const Config &config, QString *why)
{
    const QProcessEnvironment &env = config.environment;
    if (!config.exportCommand.trimmed().isEmpty())
        return QStringLiteral("awsCredentialExport");
    if (!env.value(QStringLiteral("AWS_ACCESS_KEY_ID")).isEmpty() &&
        !env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY")).isEmpty())
        return QStringLiteral("env");
    const AwsProfile p = AwsConfig::profile(env, AwsConfig::profileName(env));
    if (isRoleProfile(p)) {
        if (!p.value("mfa_serial").isEmpty()) {
            if (why)
                *why = mfaUnsupported(p);
            return QString();
        }
        // An SSO source profile without a key it needs is named now, as an SSO profile is.
        const QString label = roleLabel(env, p);
        if (const AwsProfile source = ssoSourceProfile(env, p); source.found) {
            const SsoSettings sso = ssoSettings(env, source);
            if (!sso.error.isEmpty()) {
                if (why)
                    *why = noSourceCredentials(label, sso.error);
                return QString();
            }
        }
        return label;
    }
    if (profileKeys(p).isValid())
        return QStringLiteral("profile %1").arg(p.name);
    if (isWebIdentityProfile(p))
        return webIdentityLabel(p.value("role_arn"));
    if (p.found && !p.value("credential_process").isEmpty())
        return QStringLiteral("credential_process (profile %1)").arg(p.name);
    // A profile that needs an unsupported feature, or SSO without a key it needs, is what the
    // user asked for: the remote sources do not stand in for it.
    QString ssoError;
    if (usesSso(p)) {
        const SsoSettings sso = ssoSettings(env, p);
        if (sso.error.isEmpty())
            return QStringLiteral("sso (profile %1)").arg(p.name);
        ssoError = sso.error;
    }
    const QString feature = p.found ? unsupportedFeature(p) : QString();
    if (feature.isEmpty() && ssoError.isEmpty() && hasEnvWebIdentity(env))
        return webIdentityLabel(env.value(QStringLiteral("AWS_ROLE_ARN")));
    if (feature.isEmpty() && ssoError.isEmpty() && hasContainerVariable(env)) {
        QString error;
        if (containerUrl(config, &error).isValid())
            return QStringLiteral("container credentials");
        if (why)
            *why = error;
        return QString();
    }
    // Before IMDS: a configured refresh is what the user meant; IMDS only may answer.
    if (!config.refreshCommand.trimmed().isEmpty())
        return QStringLiteral("awsAuthRefresh");
    if (feature.isEmpty() && ssoError.isEmpty() && !imdsDisabled(env))
        return QStringLiteral("instance metadata");
    if (why && !ssoError.isEmpty()) {
        *why = ssoError;
    } else if (why) {
        *why = feature.isEmpty()
                   ? noLocalCredentials(env, p) +
                         QStringLiteral(" Instance metadata (IMDS) was not tried: "
                                        "AWS_EC2_METADATA_DISABLED is set.")
                   : QStringLiteral("Profile \"%1\" uses %2, which this version of Qlaude does "
                                    "not support yet. Use `aws configure export-credentials` in "
                                    "awsCredentialExport, or access keys.")
                         .arg(p.name, feature);
    }
    return QString();
}

void AwsCredentialProvider::get(Callback callback)
{
    if (m_cached.isValid() && now() < m_refreshAt) {
        callback(m_cached, QString());
        return;
    }
    m_waiting.append(std::move(callback));
    if (m_waiting.size() == 1 && !m_process && !m_refresh) {
        m_refreshTried = false;
        if (m_refreshDue && !m_config.refreshCommand.trimmed().isEmpty())
            runRefresh();
        else
            resolve();
    }
}

void AwsCredentialProvider::invalidate()
{
    m_refreshDue = true;
    m_cached.secretAccessKey.fill(QLatin1Char('\0'));
    m_cached = AwsCredentials();
    m_refreshAt = QDateTime();
}

void AwsCredentialProvider::resolve()
{
    ++m_runs;
    m_lastSource.clear();
    m_callerChecked = false;
    const QProcessEnvironment &env = m_config.environment;
    if (!m_config.exportCommand.trimmed().isEmpty()) {
        runCommand(QStringLiteral("awsCredentialExport"), m_config.exportCommand,
                   m_config.exportWorkingDirectory, m_config.exportEnvironment,
                   QStringLiteral("awsCredentialExport"));
        return;
    }
    if (!env.value(QStringLiteral("AWS_ACCESS_KEY_ID")).isEmpty() &&
        !env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY")).isEmpty()) {
        AwsCredentials c;
        c.accessKeyId = env.value(QStringLiteral("AWS_ACCESS_KEY_ID"));
        c.secretAccessKey = env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY"));
        c.sessionToken = env.value(QStringLiteral("AWS_SESSION_TOKEN"));
        c.expiration = QDateTime::fromString(env.value(QStringLiteral("AWS_CREDENTIAL_EXPIRATION")),
                                             Qt::ISODate);
        c.source = QStringLiteral("AWS_ACCESS_KEY_ID (environment)");
        m_lastSource = QStringLiteral("env");
        finish(c, QString());
        return;
    }
    const AwsProfile p = AwsConfig::profile(env, AwsConfig::profileName(env));
    if (isRoleProfile(p)) {
        m_lastSource = QStringLiteral("sts");
        assumeRole(p.name, 0, QStringList(), finisher());
        return;
    }
    if (const AwsCredentials keys = profileKeys(p); keys.isValid()) {
        finish(keys, QString());
        return;
    }
    if (isWebIdentityProfile(p)) {
        m_lastSource = QStringLiteral("sts");
        assumeRoleWithWebIdentity(p.value("role_arn"), p.value("role_session_name"),
                                  p.value("web_identity_token_file"),
                                  webIdentityLabel(p.value("role_arn")), finisher());
        return;
    }
    if (p.found && !p.value("credential_process").isEmpty()) {
        // The user's own file names it, like the AWS CLI: it runs from the home folder.
        runCommand(QStringLiteral("credential_process"), p.value("credential_process"),
                   AwsConfig::homeDir(env), env,
                   QStringLiteral("credential_process (profile %1)").arg(p.name));
        return;
    }
    if (usesSso(p)) {
        const SsoSettings sso = ssoSettings(env, p);
        if (!sso.error.isEmpty()) {
            finish(AwsCredentials(), sso.error);
            return;
        }
        m_lastSource = QStringLiteral("sso");
        fetchSso(p.name, false, finisher());
        return;
    }
    const QString feature = p.found ? unsupportedFeature(p) : QString();
    if (feature.isEmpty() && hasEnvWebIdentity(env)) {
        m_lastSource = QStringLiteral("sts");
        const QString arn = env.value(QStringLiteral("AWS_ROLE_ARN"));
        assumeRoleWithWebIdentity(arn, env.value(QStringLiteral("AWS_ROLE_SESSION_NAME")),
                                  env.value(QStringLiteral("AWS_WEB_IDENTITY_TOKEN_FILE")),
                                  webIdentityLabel(arn), finisher());
        return;
    }
    if (feature.isEmpty() && hasContainerVariable(env)) {
        m_lastSource = QStringLiteral("container");
        QString error;
        const QUrl url = containerUrl(m_config, &error);
        const QByteArray authorization =
            url.isValid() ? containerAuthorization(env, &error) : QByteArray();
        if (!error.isEmpty()) {
            finish(AwsCredentials(), error);
            return;
        }
        fetchContainer(url, authorization, 0);
        return;
    }
    if (feature.isEmpty() && !imdsDisabled(env)) {
        m_lastSource = QStringLiteral("imds");
        fetchImds(noLocalCredentials(env, p));
        return;
    }
    Config withoutRefresh = m_config; // the reason, even when awsAuthRefresh comes next
    withoutRefresh.refreshCommand.clear();
    QString why;
    staticSource(withoutRefresh, &why);
    finish(AwsCredentials(), why);
}

QNetworkAccessManager *AwsCredentialProvider::network()
{
    if (!m_network) {
        m_network = new QNetworkAccessManager(this);
        // Metadata hosts are link-local or loopback: a proxy must never see these requests.
        m_network->setProxy(QNetworkProxy::NoProxy);
    }
    return m_network;
}

void AwsCredentialProvider::fetchContainer(const QUrl &url, const QByteArray &authorization,
                                           int attempt, Callback done)
{
    if (!done)
        done = finisher();
    TokenHttpRequest request;
    request.url = url;
    request.method = QByteArrayLiteral("GET");
    request.timeoutMs = kRemoteTimeoutMs;
    request.maxBytes = kRemoteMaxBytes;
    if (!authorization.isEmpty()) {
        request.headers.append({QByteArrayLiteral("Authorization"), authorization});
        request.redact.append(QString::fromUtf8(authorization));
    }
    TokenHttp::send(
        network(), request, this,
        [this, url, authorization, attempt, done](const TokenHttpResult &r) {
            const bool retryable = r.failure == TokenHttpResult::Failure::Network ||
                                   r.failure == TokenHttpResult::Failure::Timeout ||
                                   (r.failure == TokenHttpResult::Failure::Http && r.status >= 500);
            if (!r.ok() && retryable && attempt < kContainerRetries) {
                fetchContainer(url, authorization, attempt + 1, done);
                return;
            }
            const QString prefix = QStringLiteral("Error getting AWS container credentials from %1")
                                       .arg(TokenHttp::origin(url));
            if (!r.ok()) {
                done(AwsCredentials(),
                     QStringLiteral("%1: %2%3.")
                         .arg(prefix, r.error,
                              attempt > 0 ? QStringLiteral(" (after %1 retries)").arg(attempt)
                                          : QString()));
                return;
            }
            QString error;
            AwsCredentials c = parseRemoteCredentials(r, &error);
            if (!c.isValid()) {
                done(AwsCredentials(), QStringLiteral("%1: %2.").arg(prefix, error));
                return;
            }
            c.source = QStringLiteral("container credentials");
            done(c, QString());
        });
}

void AwsCredentialProvider::fetchSso(const QString &profileName, bool asSource, Callback done)
{
    const QProcessEnvironment &env = m_config.environment;
    const SsoSettings sso = ssoSettings(env, AwsConfig::profile(env, profileName));
    const QString cacheFile = ssoCacheFile(env, sso);
    if (!QFileInfo::exists(cacheFile) && !QFileInfo(cacheFile).isSymLink()) {
        done(AwsCredentials(), ssoExpired(sso, asSource));
        return;
    }
    QByteArray text;
    const QString readError = SettingsLayers::readFile(cacheFile, &text);
    if (!readError.isEmpty()) {
        done(AwsCredentials(),
             QStringLiteral("The AWS SSO token cache cannot be used: %1").arg(readError));
        return;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(text);
    text.fill('\0');
    const QJsonObject cache = doc.object();
    QString accessToken = cache.value(QLatin1String("accessToken")).toString();
    const QDateTime expiresAt = parseIsoTime(cache.value(QLatin1String("expiresAt")).toString());
    const QDateTime t = now();
    const bool usable = !accessToken.isEmpty() && !hasControlCharacter(accessToken) &&
                        expiresAt.isValid() && expiresAt > t;
    if (!usable) {
        accessToken.fill(QLatin1Char('\0'));
        accessToken.clear();
    }

    // Within 5 minutes of expiry (or past it), with what SSO-OIDC CreateToken needs, and not
    // tried in the last 30 s: refresh first.
    const auto field = [&cache](const char *key) {
        return cache.value(QLatin1String(key)).toString();
    };
    const QDateTime registrationExpiresAt = parseIsoTime(field("registrationExpiresAt"));
    const bool canRefresh =
        !field("refreshToken").isEmpty() && !field("clientId").isEmpty() &&
        !field("clientSecret").isEmpty() &&
        (!registrationExpiresAt.isValid() || registrationExpiresAt > t) &&
        (!m_lastSsoRefresh.isValid() || m_lastSsoRefresh.msecsTo(t) >= kSsoRefreshIntervalMs);
    if (canRefresh && (!expiresAt.isValid() || t.msecsTo(expiresAt) < kRefreshBeforeMs)) {
        m_lastSsoRefresh = t;
        refreshSsoToken(profileName, asSource, cacheFile, cache, accessToken, done);
        return;
    }
    if (!usable) {
        done(AwsCredentials(), ssoExpired(sso, asSource));
        return;
    }
    fetchSsoRole(profileName, asSource, accessToken, done);
}

void AwsCredentialProvider::refreshSsoToken(const QString &profileName, bool asSource,
                                            const QString &cacheFile, QJsonObject cache,
                                            const QString &fallbackToken, Callback done)
{
    const QProcessEnvironment &env = m_config.environment;
    const SsoSettings sso = ssoSettings(env, AwsConfig::profile(env, profileName));
    const auto field = [&cache](const char *key) {
        return cache.value(QLatin1String(key)).toString();
    };
    TokenHttpRequest request;
    request.url =
        QUrl(ssoEndpoint(env, "AWS_ENDPOINT_URL_SSO_OIDC",
                         QStringLiteral("https://oidc.%1.amazonaws.com").arg(sso.region)) +
                 QStringLiteral("/token"),
             QUrl::StrictMode);
    request.method = QByteArrayLiteral("POST");
    request.body = TokenHttpRequest::Body::Json;
    request.json = QJsonObject{{QStringLiteral("grantType"), QStringLiteral("refresh_token")},
                               {QStringLiteral("clientId"), field("clientId")},
                               {QStringLiteral("clientSecret"), field("clientSecret")},
                               {QStringLiteral("refreshToken"), field("refreshToken")}};
    request.timeoutMs = kSsoTimeoutMs;
    request.maxBytes = kSsoMaxBytes;
    request.redact = {field("clientSecret"), field("refreshToken")};
    if (!fallbackToken.isEmpty())
        request.redact.append(fallbackToken);
    if (!request.url.isValid() || request.url.host().isEmpty()) {
        done(AwsCredentials(),
             QStringLiteral("AWS_ENDPOINT_URL_SSO_OIDC is not a valid URL (profile \"%1\").")
                 .arg(sso.profile));
        return;
    }
    TokenHttp::send(
        network(), request, this,
        [this, profileName, asSource, cacheFile, cache, fallbackToken, sso,
         done](const TokenHttpResult &r) mutable {
            const QString accessToken = r.json.value(QLatin1String("accessToken")).toString();
            const double expiresIn = r.json.value(QLatin1String("expiresIn")).toDouble();
            if (!r.ok() || accessToken.isEmpty() || hasControlCharacter(accessToken) ||
                expiresIn <= 0) {
                // The refresh failed: the old token still serves while it is valid.
                if (fallbackToken.isEmpty())
                    done(AwsCredentials(), ssoExpired(sso, asSource));
                else
                    fetchSsoRole(profileName, asSource, fallbackToken, done);
                return;
            }
            cache.insert(QStringLiteral("accessToken"), accessToken);
            cache.insert(
                QStringLiteral("expiresAt"),
                now().toUTC().addSecs(static_cast<qint64>(expiresIn)).toString(Qt::ISODate));
            const QString refreshToken = r.json.value(QLatin1String("refreshToken")).toString();
            if (!refreshToken.isEmpty())
                cache.insert(QStringLiteral("refreshToken"), refreshToken);
            // Written back as `aws sso login` would, readable by the user only. A failure to
            // write only costs another refresh later.
            QSaveFile f(cacheFile);
            if (f.open(QIODevice::WriteOnly)) {
                f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
                QByteArray json = QJsonDocument(cache).toJson(QJsonDocument::Compact);
                f.write(json);
                json.fill('\0');
                if (f.commit())
                    QFile::setPermissions(cacheFile,
                                          QFileDevice::ReadOwner | QFileDevice::WriteOwner);
            }
            fetchSsoRole(profileName, asSource, accessToken, done);
        });
}

void AwsCredentialProvider::fetchSsoRole(const QString &profileName, bool asSource,
                                         QString accessToken, Callback done)
{
    const QProcessEnvironment &env = m_config.environment;
    const SsoSettings sso = ssoSettings(env, AwsConfig::profile(env, profileName));
    const QString base =
        ssoEndpoint(env, "AWS_ENDPOINT_URL_SSO",
                    QStringLiteral("https://portal.sso.%1.amazonaws.com").arg(sso.region));
    TokenHttpRequest request;
    request.url = QUrl(base + QStringLiteral("/federation/credentials?account_id=") +
                           QString::fromLatin1(QUrl::toPercentEncoding(sso.accountId)) +
                           QStringLiteral("&role_name=") +
                           QString::fromLatin1(QUrl::toPercentEncoding(sso.roleName)),
                       QUrl::StrictMode);
    if (!request.url.isValid() || request.url.host().isEmpty()) {
        accessToken.fill(QLatin1Char('\0'));
        done(AwsCredentials(),
             QStringLiteral("AWS_ENDPOINT_URL_SSO is not a valid URL (profile \"%1\").")
                 .arg(sso.profile));
        return;
    }
    request.method = QByteArrayLiteral("GET");
    request.timeoutMs = kSsoTimeoutMs;
    request.maxBytes = kSsoMaxBytes;
    request.headers.append({QByteArrayLiteral("x-amz-sso_bearer_token"), accessToken.toUtf8()});
    request.redact.append(accessToken);
    accessToken.fill(QLatin1Char('\0'));
    TokenHttp::send(network(), request, this, [sso, asSource, done](const TokenHttpResult &r) {
        if (r.failure == TokenHttpResult::Failure::Http && (r.status == 401 || r.status == 403)) {
            done(AwsCredentials(), ssoExpired(sso, asSource));
            return;
        }
        const QString where =
            QStringLiteral("Error getting AWS SSO credentials for profile %1").arg(sso.profile);
        if (!r.ok()) {
            done(AwsCredentials(), QStringLiteral("%1: %2.").arg(where, r.error));
            return;
        }
        const QJsonObject role = r.json.value(QLatin1String("roleCredentials")).toObject();
        AwsCredentials c;
        c.accessKeyId = role.value(QLatin1String("accessKeyId")).toString();
        c.secretAccessKey = role.value(QLatin1String("secretAccessKey")).toString();
        c.sessionToken = role.value(QLatin1String("sessionToken")).toString();
        const QJsonValue expiration = role.value(QLatin1String("expiration"));
        if (expiration.isDouble() && expiration.toDouble() > 0)
            c.expiration =
                QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(expiration.toDouble()), Qt::UTC);
        if (!c.isValid()) {
            done(AwsCredentials(),
                 QStringLiteral("%1: the answer has no roleCredentials with accessKeyId and "
                                "secretAccessKey.")
                     .arg(where));
            return;
        }
        c.source = QStringLiteral("AWS SSO (profile %1)").arg(sso.profile);
        done(c, QString());
    });
}

namespace {
struct ImdsRun
{
    QString endpoint;
    QByteArray token; // empty: IMDSv1
    QString why;      // what the local chain lacked
};

TokenHttpRequest imdsRequest(const ImdsRun &run, const QByteArray &method, const QString &path)
{
    TokenHttpRequest request;
    request.url = QUrl(run.endpoint + path);
    request.method = method;
    request.timeoutMs = kRemoteTimeoutMs;
    request.maxBytes = kRemoteMaxBytes;
    if (!run.token.isEmpty()) {
        request.headers.append({QByteArrayLiteral("x-aws-ec2-metadata-token"), run.token});
        request.redact.append(QString::fromLatin1(run.token));
    }
    return request;
}
} // namespace

void AwsCredentialProvider::fetchImds(const QString &why, Callback done)
{
    if (!done)
        done = finisher();
    const QProcessEnvironment &env = m_config.environment;
    auto run = std::make_shared<ImdsRun>();
    run->endpoint = imdsEndpoint(env);
    run->why = why;
    const AwsProfile profile = AwsConfig::profile(env, AwsConfig::profileName(env));
    const bool v1Disabled = truthy(env.value(QStringLiteral("AWS_EC2_METADATA_V1_DISABLED"))) ||
                            (profile.found && truthy(profile.value("ec2_metadata_v1_disabled")));

    const auto fail = [run, done](const QString &clause) {
        run->token.fill('\0');
        done(AwsCredentials(),
             QStringLiteral("%1 Instance metadata (IMDS) at %2 gave none either: %3.")
                 .arg(run->why, TokenHttp::origin(QUrl(run->endpoint)), clause));
    };
    // The role's credentials, then done.
    const auto fetchCredentials = [this, run, fail, done](const QString &role) {
        TokenHttp::send(
            network(),
            imdsRequest(*run, "GET",
                        QStringLiteral("/latest/meta-data/iam/security-credentials/") +
                            QString::fromLatin1(QUrl::toPercentEncoding(role))),
            this, [run, fail, role, done](const TokenHttpResult &r) {
                if (!r.ok()) {
                    fail(r.error);
                    return;
                }
                QString error;
                AwsCredentials c = parseRemoteCredentials(r, &error);
                if (!c.isValid()) {
                    fail(QStringLiteral("the credentials of role %1: %2").arg(role, error));
                    return;
                }
                run->token.fill('\0');
                c.source = QStringLiteral("instance metadata (role %1)").arg(role);
                done(c, QString());
            });
    };
    // The instance's role name: the first line of the listing.
    const auto fetchRole = [this, run, fail, fetchCredentials] {
        TokenHttp::send(
            network(),
            imdsRequest(*run, "GET", QStringLiteral("/latest/meta-data/iam/security-credentials/")),
            this, [fail, fetchCredentials](const TokenHttpResult &r) {
                if (!r.ok()) {
                    fail(r.error);
                    return;
                }
                const QString role =
                    QString::fromUtf8(r.body).section(QLatin1Char('\n'), 0, 0).trimmed();
                static const QRegularExpression kRoleName(QStringLiteral("^[\\w+=,.@-]{1,128}$"));
                if (role.isEmpty()) {
                    fail(QStringLiteral("no IAM role is attached to this instance"));
                    return;
                }
                if (!kRoleName.match(role).hasMatch()) {
                    fail(QStringLiteral("the role name it returned is not valid"));
                    return;
                }
                fetchCredentials(role);
            });
    };

    TokenHttpRequest tokenRequest = imdsRequest(*run, "PUT", QStringLiteral("/latest/api/token"));
    tokenRequest.headers.append(
        {QByteArrayLiteral("x-aws-ec2-metadata-token-ttl-seconds"), QByteArrayLiteral("21600")});
    TokenHttp::send(
        network(), tokenRequest, this,
        [run, fail, fetchRole, v1Disabled](const TokenHttpResult &r) {
            if (r.ok()) {
                const QByteArray token = r.body.trimmed();
                if (token.isEmpty() || hasControlCharacter(QString::fromLatin1(token))) {
                    fail(QStringLiteral("its session token is empty or not valid"));
                    return;
                }
                run->token = token;
                fetchRole();
                return;
            }
            const bool fallback = r.failure == TokenHttpResult::Failure::Timeout ||
                                  (r.failure == TokenHttpResult::Failure::Http &&
                                   (r.status == 403 || r.status == 404 || r.status == 405));
            if (!fallback) {
                fail(r.error);
                return;
            }
            if (v1Disabled) {
                fail(QStringLiteral("the IMDSv2 session token request failed (%1) "
                                    "and IMDSv1 is disabled "
                                    "(AWS_EC2_METADATA_V1_DISABLED or "
                                    "ec2_metadata_v1_disabled)")
                         .arg(r.error));
                return;
            }
            fetchRole(); // IMDSv1: no token
        });
}

void AwsCredentialProvider::runCommand(const QString &name, const QString &command,
                                       const QString &workDir, const QProcessEnvironment &env,
                                       const QString &source, Callback done)
{
    if (!done)
        done = finisher();
    auto *p = new HelperProcess(name, command, this);
    p->setEnvironment(env);
    p->setWorkingDirectory(workDir);
    p->setTimeoutMs(m_config.commandTimeoutMs);
    m_process = p;
    connect(
        p, &HelperProcess::finished, this,
        [this, p, name, source, done](const HelperProcess::Result &r) {
            p->deleteLater();
            m_process = nullptr;
            if (!r.ok) {
                done(
                    AwsCredentials(),
                    QStringLiteral("Error getting AWS credentials from %1: %2").arg(name, r.error));
                return;
            }
            QString error;
            AwsCredentials c = parseAwsCredentialJson(
                r.output.toUtf8(), name == QLatin1String("awsCredentialExport"), &error);
            if (!c.isValid()) {
                done(AwsCredentials(), QStringLiteral("%1 %2.").arg(name, error));
                return;
            }
            c.source = source;
            done(c, QString());
        });
    p->start();
}

void AwsCredentialProvider::runRefresh()
{
    m_refreshTried = true;
    m_refreshDue = false;
    const QDateTime t = now();
    if (m_lastRefresh.isValid() && m_lastRefresh.msecsTo(t) < 30000) {
        resolve(); // never twice within 30 s
        return;
    }
    m_lastRefresh = t;
    ++m_refreshRuns;
    auto *p = new HelperProcess(QStringLiteral("awsAuthRefresh"), m_config.refreshCommand, this);
    p->setEnvironment(m_config.refreshEnvironment);
    p->setWorkingDirectory(m_config.refreshWorkingDirectory);
    p->setTimeoutMs(m_config.refreshTimeoutMs);
    p->setStreamOutput(true);
    m_refresh = p;
    connect(p, &HelperProcess::outputLine, this,
            [this](const QString &line, bool) { emit refreshOutput(line); });
    connect(p, &HelperProcess::finished, this, [this, p](const HelperProcess::Result &r) {
        p->deleteLater();
        m_refresh = nullptr;
        QString error;
        if (r.timedOut)
            error = QStringLiteral("AWS auth refresh timed out after %1 minutes. Run your auth "
                                   "command manually in a separate terminal.")
                        .arg(m_config.refreshTimeoutMs / 60000.0, 0, 'g', 2);
        else if (r.exitCode != 0)
            error = QStringLiteral("Error running awsAuthRefresh: %1").arg(r.error);
        emit refreshFinished(error);
        // Whatever it printed, the credentials are read again from the chain.
        invalidateCacheOnly();
        resolve();
    });
    emit refreshStarted();
    p->start();
}

void AwsCredentialProvider::invalidateCacheOnly()
{
    m_cached.secretAccessKey.fill(QLatin1Char('\0'));
    m_cached = AwsCredentials();
    m_refreshAt = QDateTime();
}

void AwsCredentialProvider::finish(const AwsCredentials &credentials, const QString &error)
{
    if (!credentials.isValid() && !m_refreshTried && !m_config.refreshCommand.trimmed().isEmpty()) {
        runRefresh(); // the chain found nothing: awsAuthRefresh, then the chain once more
        return;
    }
    if (credentials.isValid() && needsCallerCheck(credentials)) {
        checkCallerIdentity(credentials, error);
        return;
    }
    deliver(credentials, error);
}

// CLAUDE_CODE.md §2: the CLI runs awsAuthRefresh when STS GetCallerIdentity fails. Only
// credentials a refresh can replace are asked about, and not those STS has just issued.
bool AwsCredentialProvider::needsCallerCheck(const AwsCredentials &credentials) const
{
    if (m_callerChecked || m_config.refreshCommand.trimmed().isEmpty() || !lastSourceCanChange())
        return false;
    return !credentials.expiration.isValid() ||
           now().msecsTo(credentials.expiration) <= kRefreshBeforeMs;
}

void AwsCredentialProvider::checkCallerIdentity(const AwsCredentials &credentials,
                                                const QString &error)
{
    m_callerChecked = true;
    TokenHttpRequest request =
        stsRequest(m_config.environment,
                   {{QStringLiteral("Action"), QStringLiteral("GetCallerIdentity")},
                    {QStringLiteral("Version"), QStringLiteral("2011-06-15")}},
                   credentials, {credentials.secretAccessKey, credentials.sessionToken});
    if (!request.url.isValid()) { // a broken AWS_ENDPOINT_URL_STS: the request will tell
        deliver(credentials, error);
        return;
    }
    request.timeoutMs = kCallerCheckTimeoutMs;
    TokenHttp::send(stsNetwork(), request, this,
                    [this, credentials, error](const TokenHttpResult &r) {
                        if (!m_refreshTried && stsRejectsCredentials(r)) {
                            // Stale keys in a file or from a command: awsAuthRefresh, then
                            // the chain once more (and this check with what it finds).
                            runRefresh();
                            return;
                        }
                        deliver(credentials, error);
                    });
}

void AwsCredentialProvider::deliver(const AwsCredentials &credentials, const QString &error)
{
    if (credentials.isValid()) {
        m_cached = credentials;
        const QDateTime t = now();
        // CLAUDE_CODE.md §2: until 5 minutes before a known expiry more than 6 minutes away,
        // else one hour.
        if (credentials.expiration.isValid() &&
            t.msecsTo(credentials.expiration) > kRefreshBeforeMs + 60000)
            m_refreshAt = credentials.expiration.addMSecs(-kRefreshBeforeMs);
        else
            m_refreshAt = t.addMSecs(kNoExpiryTtlMs);
    }
    const QList<Callback> waiting = std::exchange(m_waiting, {});
    for (const Callback &cb : waiting)
        cb(credentials, credentials.isValid() ? QString() : error);
}

AwsCredentialProvider::Callback AwsCredentialProvider::finisher()
{
    return [this](const AwsCredentials &c, const QString &error) { finish(c, error); };
}

QNetworkAccessManager *AwsCredentialProvider::stsNetwork()
{
    if (!m_stsNetwork) {
        // STS is an ordinary internet endpoint: the CLI's proxy rules apply.
        m_stsNetwork = new NetworkAccess(m_config.network
                                             ? m_config.network
                                             : NetworkSetup::fromEnvironment(m_config.environment),
                                         this);
    }
    return m_stsNetwork;
}

// A role profile: the source credentials first (source_profile, recursively, or
// credential_source), then AssumeRole signed with them. Every check that can fail without a
// request (MFA, loops, depth) runs on the way down, before anything is sent.
void AwsCredentialProvider::assumeRole(const QString &profileName, int depth, QStringList chain,
                                       Callback done)
{
    const QProcessEnvironment &env = m_config.environment;
    const AwsProfile p = AwsConfig::profile(env, profileName);
    if (!p.value("mfa_serial").isEmpty()) {
        done(AwsCredentials(), mfaUnsupported(p));
        return;
    }
    if (depth >= kMaxRoleDepth) {
        done(AwsCredentials(),
             QStringLiteral("Profile \"%1\": the chain of role profiles (%2) is longer than %3.")
                 .arg(p.name, chain.join(QLatin1String(" -> ")))
                 .arg(kMaxRoleDepth));
        return;
    }
    chain.append(p.name);
    const QString label = roleLabel(env, p);
    const auto withSource = [this, p, label, done](const AwsCredentials &source,
                                                   const QString &error) {
        if (!source.isValid()) {
            done(AwsCredentials(), noSourceCredentials(label, error));
            return;
        }
        bool durationOk = true;
        const QString durationText = p.value("duration_seconds").trimmed();
        const int duration = durationText.isEmpty() ? 3600 : durationText.toInt(&durationOk);
        if (!durationOk || duration < 900 || duration > 43200) {
            done(AwsCredentials(),
                 QStringLiteral("Profile \"%1\": duration_seconds must be a number of seconds "
                                "from 900 to 43200.")
                     .arg(p.name));
            return;
        }
        QList<QPair<QString, QString>> form{
            {QStringLiteral("Action"), QStringLiteral("AssumeRole")},
            {QStringLiteral("Version"), QStringLiteral("2011-06-15")},
            {QStringLiteral("RoleArn"), p.value("role_arn")},
            {QStringLiteral("RoleSessionName"), sessionName(p.value("role_session_name"), now())},
            {QStringLiteral("DurationSeconds"), QString::number(duration)}};
        if (!p.value("external_id").isEmpty())
            form.append({QStringLiteral("ExternalId"), p.value("external_id")});
        sendSts(form, source, QStringLiteral("STS AssumeRole for %1").arg(label), label,
                {source.secretAccessKey, source.sessionToken}, done);
    };

    const QString sourceProfile = p.value("source_profile");
    if (!sourceProfile.isEmpty()) {
        // A profile naming itself means its own static keys (as the AWS SDKs read it).
        if (const AwsCredentials own = profileKeys(p); sourceProfile == p.name && own.isValid()) {
            withSource(own, QString());
            return;
        }
        if (chain.contains(sourceProfile)) {
            done(AwsCredentials(),
                 QStringLiteral("Profile \"%1\": source_profile makes a loop (%2 -> %3).")
                     .arg(p.name, chain.join(QLatin1String(" -> ")), sourceProfile));
            return;
        }
        resolveSourceProfile(sourceProfile, depth + 1, chain, withSource);
        return;
    }
    const QString credentialSource = p.value("credential_source").trimmed();
    if (credentialSource == QLatin1String("Environment")) {
        AwsCredentials c;
        c.accessKeyId = env.value(QStringLiteral("AWS_ACCESS_KEY_ID"));
        c.secretAccessKey = env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY"));
        c.sessionToken = env.value(QStringLiteral("AWS_SESSION_TOKEN"));
        withSource(c, QStringLiteral("credential_source Environment needs AWS_ACCESS_KEY_ID and "
                                     "AWS_SECRET_ACCESS_KEY."));
        return;
    }
    if (credentialSource == QLatin1String("EcsContainer")) {
        QString error;
        const QUrl url = hasContainerVariable(env) ? containerUrl(m_config, &error) : QUrl();
        if (!hasContainerVariable(env))
            error = QStringLiteral("credential_source EcsContainer needs %1 or %2.")
                        .arg(kRelativeUri, kFullUri);
        const QByteArray authorization =
            url.isValid() ? containerAuthorization(env, &error) : QByteArray();
        if (!error.isEmpty()) {
            withSource(AwsCredentials(), error);
            return;
        }
        fetchContainer(url, authorization, 0, withSource);
        return;
    }
    if (credentialSource == QLatin1String("Ec2InstanceMetadata")) {
        if (imdsDisabled(env)) {
            withSource(AwsCredentials(), QStringLiteral("credential_source Ec2InstanceMetadata, "
                                                        "but AWS_EC2_METADATA_DISABLED is set."));
            return;
        }
        fetchImds(QStringLiteral("credential_source Ec2InstanceMetadata."), withSource);
        return;
    }
    done(AwsCredentials(),
         QStringLiteral("Profile \"%1\": credential_source must be Environment, EcsContainer or "
                        "Ec2InstanceMetadata.")
             .arg(p.name));
}

// A profile named by source_profile, with the profile rules, for a role's source credentials.
void AwsCredentialProvider::resolveSourceProfile(const QString &profileName, int depth,
                                                 QStringList chain, Callback done)
{
    const QProcessEnvironment &env = m_config.environment;
    const AwsProfile p = AwsConfig::profile(env, profileName);
    if (!p.found) {
        done(AwsCredentials(),
             QStringLiteral("source_profile \"%1\" is not in %2 or %3.")
                 .arg(profileName, AwsConfig::configFile(env), AwsConfig::credentialsFile(env)));
        return;
    }
    if (isRoleProfile(p)) {
        assumeRole(p.name, depth, chain, done);
        return;
    }
    if (const AwsCredentials keys = profileKeys(p); keys.isValid()) {
        done(keys, QString());
        return;
    }
    if (isWebIdentityProfile(p)) {
        assumeRoleWithWebIdentity(p.value("role_arn"), p.value("role_session_name"),
                                  p.value("web_identity_token_file"),
                                  webIdentityLabel(p.value("role_arn")), done);
        return;
    }
    if (!p.value("credential_process").isEmpty()) {
        runCommand(QStringLiteral("credential_process"), p.value("credential_process"),
                   AwsConfig::homeDir(env), env,
                   QStringLiteral("credential_process (profile %1)").arg(p.name), done);
        return;
    }
    if (!p.value("sso_session").isEmpty() || !p.value("sso_start_url").isEmpty()) {
        // The SSO profile's role credentials, as for an SSO profile of its own (ssoSourceProfile
        // names this case).
        const SsoSettings sso = ssoSettings(env, p);
        if (!sso.error.isEmpty()) {
            done(AwsCredentials(), sso.error);
            return;
        }
        fetchSso(p.name, true, done);
        return;
    }
    done(AwsCredentials(), noLocalCredentials(env, p));
}

void AwsCredentialProvider::assumeRoleWithWebIdentity(const QString &roleArn,
                                                      const QString &sessionNameSetting,
                                                      const QString &tokenFile,
                                                      const QString &label, Callback done)
{
    QString token;
    const QString error = readTokenFile(
        tokenFile, QStringLiteral("The web identity token file %1").arg(tokenFile), &token);
    if (!error.isEmpty()) {
        done(AwsCredentials(), QStringLiteral("%1: %2").arg(label, error));
        return;
    }
    const QList<QPair<QString, QString>> form{
        {QStringLiteral("Action"), QStringLiteral("AssumeRoleWithWebIdentity")},
        {QStringLiteral("Version"), QStringLiteral("2011-06-15")},
        {QStringLiteral("RoleArn"), roleArn},
        {QStringLiteral("RoleSessionName"), sessionName(sessionNameSetting, now())},
        {QStringLiteral("WebIdentityToken"), token}};
    sendSts(form, AwsCredentials(),
            QStringLiteral("STS AssumeRoleWithWebIdentity for %1").arg(label), label, {token},
            done);
    token.fill(QLatin1Char('\0'));
}

// One STS Query API call (stsRequest), answered in XML with Credentials.
void AwsCredentialProvider::sendSts(const QList<QPair<QString, QString>> &form,
                                    const AwsCredentials &signWith, const QString &what,
                                    const QString &label, const QStringList &redact, Callback done)
{
    const TokenHttpRequest request = stsRequest(m_config.environment, form, signWith, redact);
    if (!request.url.isValid()) {
        done(AwsCredentials(),
             QStringLiteral("AWS_ENDPOINT_URL_STS is not a valid URL (%1).").arg(label));
        return;
    }
    TokenHttp::send(
        stsNetwork(), request, this, [what, label, redact, done](const TokenHttpResult &r) {
            const auto clean = [&redact](QString text) {
                for (const QString &secret : redact) {
                    if (!secret.isEmpty())
                        text.replace(secret, QStringLiteral("***"));
                }
                return TokenHttp::cleanText(text, 300);
            };
            StsAnswer answer = parseStsXml(r.body);
            if (!r.ok()) {
                if (!answer.code.isEmpty())
                    done(AwsCredentials(),
                         QStringLiteral("%1 failed: %2: %3")
                             .arg(what, clean(answer.code), clean(answer.message)));
                else
                    done(AwsCredentials(), QStringLiteral("%1 failed: %2.").arg(what, r.error));
                return;
            }
            AwsCredentials c = answer.credentials;
            if (!c.isValid() || c.sessionToken.isEmpty()) {
                done(AwsCredentials(),
                     QStringLiteral("%1: the answer has no Credentials with AccessKeyId, "
                                    "SecretAccessKey and SessionToken.")
                         .arg(what));
                return;
            }
            c.source = label;
            done(c, QString());
        });
}

} // namespace qlaude
