#include "GoogleCredentialProvider.h"

#include "AuthContext.h"
#include "AwsConfig.h"
#include "ExpiringCredentialCache.h"
#include "HelperProcess.h"
#include "JsonNumber.h"
#include "Jwt.h"
#include "NetworkAccess.h"
#include "TokenHttp.h"

#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QRegularExpression>
#include <QTimer>

#include <memory>
#include <utility>

namespace qlaude {

namespace {

const QString kScope = QStringLiteral("https://www.googleapis.com/auth/cloud-platform");
const QString kDefaultTokenUri = QStringLiteral("https://oauth2.googleapis.com/token");
const QString kDefaultStsUrl = QStringLiteral("https://sts.googleapis.com/v1/token");
const QString kMetadataTokenPath =
    QStringLiteral("/computeMetadata/v1/instance/service-accounts/default/token");
const QString kMetadataProjectPath = QStringLiteral("/computeMetadata/v1/project/project-id");

constexpr qint64 kRefreshAheadMs = 5 * 60 * 1000;
constexpr qint64 kRefreshMemoMs = 60 * 60 * 1000;
constexpr qint64 kMaxFileBytes = 1024 * 1024;
constexpr qint64 kMaxAnswerBytes = 64 * 1024;
constexpr qint64 kDefaultLifetimeSeconds = 3600;

// The values an ExpiringCredential carries for a GoogleToken.
const QString kAccessToken = QStringLiteral("accessToken");
const QString kQuotaProject = QStringLiteral("quotaProject");
const QString kProjectId = QStringLiteral("projectId");
const QString kSource = QStringLiteral("source");

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QString capitalized(QString s)
{
    if (!s.isEmpty())
        s[0] = s.at(0).toUpper();
    return s;
}

// A token goes into an HTTP header: visible ASCII only.
bool isHeaderSafe(const QString &token)
{
    for (const QChar c : token) {
        if (c.unicode() < 0x21 || c.unicode() > 0x7e)
            return false;
    }
    return true;
}

bool isLoopbackHost(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress a(host);
    return !a.isNull() && a.isLoopback();
}

bool isLinkLocalOrLoopback(const QString &host)
{
    if (isLoopbackHost(host))
        return true;
    const QHostAddress a(host);
    return !a.isNull() && a.isLinkLocal();
}

// A URL a secret (an assertion, a refresh token, a subject token, a bearer) is sent to: https,
// or plain http only to this machine.
QString secureUrlProblem(const QString &text, const QString &field, const QString &label)
{
    const QUrl url(text, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || url.host().isEmpty() ||
        (scheme != QLatin1String("https") && scheme != QLatin1String("http")))
        return QStringLiteral("%1: %2 is not a valid URL.").arg(capitalized(label), field);
    if (scheme == QLatin1String("http") && !isLoopbackHost(url.host()))
        return QStringLiteral("%1: %2 must be an https URL (plain http is allowed only to this "
                              "machine).")
            .arg(capitalized(label), field);
    return QString();
}

// RFC 3339 with any number of fractional digits ("2014-10-02T15:01:23.045123456Z"), to UTC.
QDateTime parseRfc3339(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral(
            "^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)(?:\\.(\\d+))?(Z|[+-]\\d\\d:\\d\\d)$"),
        QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = re.match(text.trimmed());
    if (!m.hasMatch())
        return QDateTime();
    const QString ms = QString(m.captured(2) + QStringLiteral("000")).left(3);
    QString zone = m.captured(3).toUpper();
    const QDateTime t =
        QDateTime::fromString(m.captured(1) + QLatin1Char('.') + ms + zone, Qt::ISODateWithMs);
    return t.isValid() ? t.toUTC() : QDateTime();
}

// TokenHttp removes whole secrets from its error texts, but it caps a server's error detail
// first: a long secret echoed back (an assertion) may survive cut short. This removes any run of
// at least 8 characters that starts a secret, wherever it appears.
QString scrub(QString text, const QStringList &secrets)
{
    for (const QString &secret : secrets) {
        if (secret.size() < 8)
            continue;
        const QString head = secret.left(8);
        qsizetype i = 0;
        while ((i = text.indexOf(head, i)) >= 0) {
            qsizetype n = 0;
            while (i + n < text.size() && n < secret.size() && text.at(i + n) == secret.at(n))
                ++n;
            text.replace(i, n, QStringLiteral("[redacted]"));
            i += 10;
        }
    }
    return text;
}

// TokenHttp::send, with every error text of the result scrubbed of the request's secrets.
void send(QNetworkAccessManager *nam, const TokenHttpRequest &request, QObject *context,
          TokenHttp::Callback done)
{
    TokenHttp::send(nam, request, context,
                    [secrets = request.redact, done = std::move(done)](const TokenHttpResult &raw) {
                        TokenHttpResult r = raw;
                        r.error = scrub(r.error, secrets);
                        r.errorCode = scrub(r.errorCode, secrets);
                        r.errorDetail = scrub(r.errorDetail, secrets);
                        done(r);
                    });
}

// --- credential files ------------------------------------------------------------------------

struct CredentialFile
{
    bool found = false;
    bool wellKnown = false;
    QString variable; // the variable that named it (empty for the well-known file)
    QString path;
    QJsonObject json;
    QString error; // unreadable or malformed; never quotes the content

    // For error texts: "/path (GOOGLE_APPLICATION_CREDENTIALS)".
    QString where() const
    {
        return wellKnown ? QStringLiteral("%1 (gcloud application default credentials)").arg(path)
                         : QStringLiteral("%1 (%2)").arg(path, variable);
    }
};

QString gcloudConfigDir(const QProcessEnvironment &env)
{
    const QString dir = env.value(QStringLiteral("CLOUDSDK_CONFIG"));
    if (!dir.isEmpty())
        return dir;
    return AwsConfig::homeDir(env) + QStringLiteral("/.config/gcloud");
}

QString wellKnownFile(const QProcessEnvironment &env)
{
    return gcloudConfigDir(env) + QStringLiteral("/application_default_credentials.json");
}

// A small regular file, or an error clause ("does not exist", "cannot be read (...)").
QString readSmallFile(const QString &path, QByteArray *out)
{
    out->clear();
    const QFileInfo info(path);
    if (!info.exists())
        return QStringLiteral("does not exist");
    if (!info.isFile()) // before open(): a FIFO would block
        return info.isDir() ? QStringLiteral("is a directory, not a file")
                            : QStringLiteral("is not a regular file");
    if (info.size() > kMaxFileBytes)
        return QStringLiteral("is larger than 1 MiB");
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot be read (%1)").arg(f.errorString());
    *out = f.read(kMaxFileBytes + 1);
    if (f.error() != QFileDevice::NoError) {
        out->clear();
        return QStringLiteral("cannot be read (%1)").arg(f.errorString());
    }
    if (out->size() > kMaxFileBytes) {
        out->clear();
        return QStringLiteral("is larger than 1 MiB");
    }
    return QString();
}

// The file ADC would use: GOOGLE_APPLICATION_CREDENTIALS, else the well-known file when it
// exists. found=false when neither applies.
CredentialFile findCredentialFile(const QProcessEnvironment &env)
{
    CredentialFile f;
    for (const char *name : {"GOOGLE_APPLICATION_CREDENTIALS", "google_application_credentials"}) {
        const QString value = env.value(QLatin1String(name));
        if (!value.isEmpty()) {
            f.found = true;
            f.variable = QLatin1String(name);
            f.path = value;
            break;
        }
    }
    if (!f.found) {
        const QString path = wellKnownFile(env);
        if (!QFileInfo::exists(path))
            return f;
        f.found = true;
        f.wellKnown = true;
        f.path = path;
    }
    const QString what =
        f.wellKnown
            ? QStringLiteral("The gcloud application default credentials file %1").arg(f.path)
            : QStringLiteral("%1 names %2, which").arg(f.variable, f.path);
    QByteArray text;
    const QString readError = readSmallFile(f.path, &text);
    if (!readError.isEmpty()) {
        f.error = QStringLiteral("%1 %2. %3")
                      .arg(what, readError,
                           f.wellKnown ? QStringLiteral("Run `gcloud auth application-default "
                                                        "login` again.")
                                       : QStringLiteral("Point %1 at a Google credentials JSON "
                                                        "file (a service-account key).")
                                             .arg(f.variable));
        return f;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &pe);
    text.fill('\0');
    if (pe.error != QJsonParseError::NoError) {
        f.error = QStringLiteral("%1 is not valid JSON (%2 at offset %3). It must be a Google "
                                 "credentials file.")
                      .arg(what, pe.errorString())
                      .arg(pe.offset);
        return f;
    }
    if (!doc.isObject()) {
        f.error = QStringLiteral("%1 is not a JSON object. It must be a Google credentials file.")
                      .arg(what);
        return f;
    }
    f.json = doc.object();
    return f;
}

QString credentialType(const QJsonObject &json)
{
    const QString type = str(json, "type");
    // google-auth-library treats a file without a type as a service-account key.
    if (type.isEmpty() && !str(json, "client_email").isEmpty() &&
        !str(json, "private_key").isEmpty())
        return QStringLiteral("service_account");
    return type;
}

QString impersonationTarget(const QString &url)
{
    static const QRegularExpression re(
        QStringLiteral("/serviceAccounts/([^/:?#]+):generateAccessToken"));
    const QRegularExpressionMatch m = re.match(url);
    return m.hasMatch()
               ? TokenHttp::cleanText(QUrl::fromPercentEncoding(m.captured(1).toUtf8()), 200)
               : QString();
}

// Everything ADC checks before a request: the type and the fields it needs. `label` names the
// file for people ("the service-account key file /x (GOOGLE_APPLICATION_CREDENTIALS)" is built
// by the caller); `nested`: source_credentials of an impersonated_service_account.
QString checkCredential(const QJsonObject &json, const QString &where, bool nested)
{
    const QString type = credentialType(json);
    const QString cleanType = TokenHttp::cleanText(type, 80);
    const auto need = [&](std::initializer_list<const char *> keys) -> QString {
        for (const char *key : keys) {
            if (str(json, key).isEmpty())
                return QStringLiteral("The Google credentials file %1 (type %2) has no \"%3\".")
                    .arg(where, cleanType, QLatin1String(key));
        }
        return QString();
    };
    if (type == QLatin1String("service_account")) {
        QString e = need({"client_email", "private_key"});
        if (e.isEmpty() && json.contains(QLatin1String("token_uri")))
            e = secureUrlProblem(str(json, "token_uri"), QStringLiteral("token_uri"),
                                 QStringLiteral("the Google credentials file ") + where);
        return e;
    }
    if (type == QLatin1String("authorized_user")) {
        QString e = need({"client_id", "client_secret", "refresh_token"});
        if (e.isEmpty() && json.contains(QLatin1String("token_uri")))
            e = secureUrlProblem(str(json, "token_uri"), QStringLiteral("token_uri"),
                                 QStringLiteral("the Google credentials file ") + where);
        return e;
    }
    if (nested)
        return QStringLiteral("The Google credentials file %1 has source_credentials of type "
                              "\"%2\", which Qlaude does not support: use authorized_user or "
                              "service_account.")
            .arg(where, cleanType);
    if (type == QLatin1String("external_account")) {
        if (QString e = need({"audience", "subject_token_type"}); !e.isEmpty())
            return e;
        const QJsonObject source = json.value(QLatin1String("credential_source")).toObject();
        const auto unsupported = [&](const QString &kind) {
            return QStringLiteral("The Google credentials file %1 is an external account with a "
                                  "%2 credential_source, which Qlaude does not support yet. "
                                  "Use a file or url credential_source, or a service-account "
                                  "key.")
                .arg(where, kind);
        };
        if (source.isEmpty())
            return QStringLiteral("The Google credentials file %1 (external_account) has no "
                                  "\"credential_source\".")
                .arg(where);
        if (!str(source, "environment_id").isEmpty())
            return unsupported(QStringLiteral("\"%1\" (AWS)")
                                   .arg(TokenHttp::cleanText(str(source, "environment_id"), 40)));
        if (source.contains(QLatin1String("executable")))
            return unsupported(QStringLiteral("executable"));
        if (source.contains(QLatin1String("certificate")))
            return unsupported(QStringLiteral("certificate"));
        if (str(source, "file").isEmpty() && str(source, "url").isEmpty())
            return QStringLiteral("The Google credentials file %1 (external_account) has a "
                                  "credential_source with neither \"file\" nor \"url\".")
                .arg(where);
        const QJsonObject format = source.value(QLatin1String("format")).toObject();
        const QString formatType = str(format, "type");
        if (!formatType.isEmpty() && formatType != QLatin1String("text") &&
            formatType != QLatin1String("json"))
            return QStringLiteral("The Google credentials file %1 has a credential_source format "
                                  "\"%2\": it must be text or json.")
                .arg(where, TokenHttp::cleanText(formatType, 40));
        if (formatType == QLatin1String("json") &&
            str(format, "subject_token_field_name").isEmpty())
            return QStringLiteral("The Google credentials file %1 has a json credential_source "
                                  "format without \"subject_token_field_name\".")
                .arg(where);
        if (!str(source, "url").isEmpty()) {
            const QUrl url(str(source, "url"), QUrl::StrictMode);
            const QString scheme = url.scheme().toLower();
            if (!url.isValid() || url.host().isEmpty() ||
                (scheme != QLatin1String("https") && scheme != QLatin1String("http")))
                return QStringLiteral("The Google credentials file %1: credential_source.url is "
                                      "not a valid URL.")
                    .arg(where);
        }
        const QString label = QStringLiteral("the Google credentials file ") + where;
        if (json.contains(QLatin1String("token_url")))
            if (QString e =
                    secureUrlProblem(str(json, "token_url"), QStringLiteral("token_url"), label);
                !e.isEmpty())
                return e;
        if (!str(json, "service_account_impersonation_url").isEmpty())
            return secureUrlProblem(str(json, "service_account_impersonation_url"),
                                    QStringLiteral("service_account_impersonation_url"), label);
        return QString();
    }
    if (type == QLatin1String("impersonated_service_account")) {
        if (QString e = need({"service_account_impersonation_url"}); !e.isEmpty())
            return e;
        if (QString e = secureUrlProblem(str(json, "service_account_impersonation_url"),
                                         QStringLiteral("service_account_impersonation_url"),
                                         QStringLiteral("the Google credentials file ") + where);
            !e.isEmpty())
            return e;
        const QJsonValue source = json.value(QLatin1String("source_credentials"));
        if (!source.isObject())
            return QStringLiteral("The Google credentials file %1 (impersonated_service_account) "
                                  "has no \"source_credentials\".")
                .arg(where);
        return checkCredential(source.toObject(), where, true);
    }
    if (type == QLatin1String("external_account_authorized_user") ||
        type == QLatin1String("gdch_service_account"))
        return QStringLiteral("The Google credentials file %1 is of type \"%2\", which Qlaude does "
                              "not support yet. Use a service-account key, or run `gcloud auth "
                              "application-default login`.")
            .arg(where, type);
    if (type.isEmpty())
        return QStringLiteral("%1 has no \"type\": it is not a Google credentials file.")
            .arg(capitalized(where));
    return QStringLiteral("The Google credentials file %1 has an unknown type \"%2\" (expected "
                          "service_account, authorized_user, external_account or "
                          "impersonated_service_account).")
        .arg(where, cleanType);
}

// What GoogleToken::source says for a token from this file.
QString fileSource(const CredentialFile &f)
{
    if (f.wellKnown)
        return QStringLiteral("gcloud application default credentials (%1)").arg(f.path);
    const QString type = credentialType(f.json);
    if (type == QLatin1String("service_account"))
        return QStringLiteral("service account file %1 (%2)")
            .arg(f.path, TokenHttp::cleanText(str(f.json, "client_email"), 200));
    if (type == QLatin1String("authorized_user"))
        return QStringLiteral("authorized user file %1").arg(f.path);
    if (type == QLatin1String("external_account"))
        return QStringLiteral("external account file %1").arg(f.path);
    const QString target = impersonationTarget(str(f.json, "service_account_impersonation_url"));
    return target.isEmpty()
               ? QStringLiteral("impersonated service account file %1").arg(f.path)
               : QStringLiteral("impersonated service account file %1 (%2)").arg(f.path, target);
}

// What an error calls the credential in `where`.
QString describeKind(const QString &type, const QString &where)
{
    if (type == QLatin1String("service_account"))
        return QStringLiteral("the service-account key file %1").arg(where);
    if (type == QLatin1String("authorized_user"))
        return QStringLiteral("the user credentials in %1").arg(where);
    if (type == QLatin1String("external_account"))
        return QStringLiteral("the external account (workload identity federation) file %1")
            .arg(where);
    return QStringLiteral("the impersonated service account file %1").arg(where);
}

// --- metadata server -------------------------------------------------------------------------

bool metadataDisabled(const QProcessEnvironment &env)
{
    return env.value(QStringLiteral("METADATA_SERVER_DETECTION")).trimmed().toLower() ==
           QLatin1String("none");
}

// http://169.254.169.254, or GCE_METADATA_IP / GCE_METADATA_HOST (host[:port]).
QUrl metadataBase(const QProcessEnvironment &env, QString *error)
{
    for (const char *name : {"GCE_METADATA_IP", "GCE_METADATA_HOST"}) {
        QString value = env.value(QLatin1String(name)).trimmed();
        if (value.isEmpty())
            continue;
        if (!value.startsWith(QLatin1String("http://"), Qt::CaseInsensitive) &&
            !value.startsWith(QLatin1String("https://"), Qt::CaseInsensitive))
            value.prepend(QStringLiteral("http://"));
        const QUrl url(value, QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty() ||
            (!url.path().isEmpty() && url.path() != QLatin1String("/")) || url.hasQuery() ||
            !url.userInfo().isEmpty()) {
            *error = QStringLiteral("%1 must be a host or host:port (it is \"%2\").")
                         .arg(QLatin1String(name), TokenHttp::cleanText(value, 100));
            return QUrl();
        }
        QUrl base = url;
        base.setPath(QString());
        return base;
    }
    return QUrl(QStringLiteral("http://169.254.169.254"));
}

QString hostText(const QUrl &url)
{
    return url.port() == -1 ? url.host()
                            : url.host() + QLatin1Char(':') + QString::number(url.port());
}

QString noCredentials(const QProcessEnvironment &env, const QString &metadataReason)
{
    return QStringLiteral("No Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a "
                          "service-account key file, or run `gcloud auth application-default "
                          "login` (it writes %1). %2")
        .arg(wellKnownFile(env), metadataReason);
}

// An answer a GoogleToken can be made of: OAuth (access_token, expires_in).
QString parseOAuthToken(const TokenHttpResult &r, const QDateTime &now, GoogleToken *token)
{
    if (!r.jsonOk)
        return QStringLiteral("the answer is not a JSON object");
    const QString access = r.json.value(QLatin1String("access_token")).toString();
    if (access.isEmpty())
        return QStringLiteral("the answer has no access_token");
    if (!isHeaderSafe(access))
        return QStringLiteral("the answer's access_token has characters a token cannot have");
    qint64 seconds = kDefaultLifetimeSeconds;
    const QJsonValue e = r.json.value(QLatin1String("expires_in"));
    if (e.isDouble()) {
        seconds = jsonNumberToInt64(e.toDouble());
    } else if (e.isString()) {
        bool ok = false;
        seconds = e.toString().trimmed().toLongLong(&ok);
        if (!ok)
            return QStringLiteral("the answer's expires_in is not a number");
    }
    if (seconds <= 0)
        return QStringLiteral("the answer's token has already expired (expires_in %1)")
            .arg(seconds);
    // Google's tokens live an hour (12 at most); an absurd expires_in (1e308 made a date
    // QDateTime cannot hold: fuzz_token_json) is taken as a day, then the token is refreshed.
    constexpr qint64 kLongestLifetimeSeconds = 24 * 3600;
    seconds = qMin(seconds, kLongestLifetimeSeconds);
    token->accessToken = access;
    token->expiresAt = now.addSecs(seconds).toUTC();
    return QString();
}

// A 4xx answer with an OAuth/Google error code: the credentials themselves were refused.
bool isRejection(const TokenHttpResult &r)
{
    return r.failure == TokenHttpResult::Failure::Http && r.status >= 400 && r.status < 500 &&
           r.status != 404 && r.status != 408 && r.status != 429 &&
           (!r.errorCode.isEmpty() || !r.errorDetail.isEmpty());
}

QString rejectionText(const TokenHttpResult &r)
{
    if (r.errorCode.isEmpty())
        return r.errorDetail;
    if (r.errorDetail.isEmpty() || r.errorDetail == r.errorCode)
        return r.errorCode;
    return r.errorCode + QStringLiteral(": ") + r.errorDetail;
}

// The CLI clears the gcpAuthRefresh memo on these (CLAUDE_CODE.md §2).
bool clearsRefreshMemo(const QString &error, bool reauth)
{
    return reauth || error.contains(QLatin1String("Could not load the default credentials")) ||
           error.contains(QLatin1String("Could not refresh access token")) ||
           error.contains(QLatin1String("invalid_grant"));
}

// The subject token in a credential_source answer or file: text, or a JSON field.
QString subjectTokenFrom(const QByteArray &data, const QJsonObject &format, QString *error)
{
    if (str(format, "type") == QLatin1String("json")) {
        const QString field = str(format, "subject_token_field_name");
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(data, &pe);
        if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
            *error = QStringLiteral("is not a JSON object (the format is json)");
            return QString();
        }
        const QString token = doc.object().value(field).toString();
        if (token.isEmpty())
            *error = QStringLiteral("has no \"%1\" field (subject_token_field_name)")
                         .arg(TokenHttp::cleanText(field, 80));
        return token;
    }
    const QString token = QString::fromUtf8(data).trimmed();
    if (token.isEmpty())
        *error = QStringLiteral("is empty");
    return token;
}

// Whether a metadata answer is from Google's metadata server.
bool hasGoogleFlavor(const TokenHttpResult &r)
{
    return r.header("metadata-flavor").trimmed() == "Google";
}

QString projectFromMetadata(const TokenHttpResult &r)
{
    const QString text = QString::fromUtf8(r.body).trimmed();
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9.:_-]{1,128}$"));
    return re.match(text).hasMatch() ? text : QString();
}

QString gcloudProject(const QProcessEnvironment &env, QString *configName)
{
    const QString dir = gcloudConfigDir(env);
    QString name = env.value(QStringLiteral("CLOUDSDK_ACTIVE_CONFIG_NAME")).trimmed();
    if (name.isEmpty()) {
        QByteArray active;
        if (readSmallFile(dir + QStringLiteral("/active_config"), &active).isEmpty())
            name = QString::fromUtf8(active).trimmed();
    }
    if (name.isEmpty())
        name = QStringLiteral("default");
    static const QRegularExpression safeName(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
    if (!safeName.match(name).hasMatch() || name.startsWith(QLatin1Char('.')))
        return QString();
    QByteArray text;
    if (!readSmallFile(dir + QStringLiteral("/configurations/config_") + name, &text).isEmpty())
        return QString();
    const auto sections = AwsConfig::parseIni(text, false);
    const QString project =
        sections.value(QStringLiteral("core")).value(QStringLiteral("project")).trimmed();
    if (!project.isEmpty())
        *configName = name;
    return project;
}

} // namespace

QString parseGoogleTokenAnswer(const TokenHttpResult &answer, const QDateTime &now,
                               GoogleToken *token)
{
    return parseOAuthToken(answer, now, token);
}

// --- the provider ----------------------------------------------------------------------------

GoogleCredentialProvider::Config GoogleCredentialProvider::configFrom(const AuthContext &ctx)
{
    Config c;
    c.environment = ctx.environment();
    c.network = NetworkSetup::fromContext(ctx);
    if (!ctx.isBare()) {
        c.refreshCommand =
            ctx.effectiveSettings().value(QStringLiteral("gcpAuthRefresh")).toString();
        const AuthContext::CommandSite site = ctx.commandSite(QStringLiteral("gcpAuthRefresh"));
        c.refreshWorkingDirectory = site.workingDirectory;
        c.refreshEnvironment = site.environment;
    }
    return c;
}

GoogleCredentialProvider::GoogleCredentialProvider(Config config, QObject *parent)
    : QObject(parent), m_config(std::move(config))
{
    m_cache = new ExpiringCredentialCache(
        [this](ExpiringCredentialCache::Answer answer) {
            fetch([answer](const Outcome &o) {
                if (!o.token.isValid()) {
                    answer(ExpiringCredential(), o.error);
                    return;
                }
                ExpiringCredential c;
                c.values = {{kAccessToken, o.token.accessToken},
                            {kQuotaProject, o.token.quotaProject},
                            {kProjectId, o.token.projectId},
                            {kSource, o.token.source}};
                c.expiresAt = o.token.expiresAt;
                answer(c, QString());
            });
        },
        this);
    m_cache->setRefreshAheadMs(kRefreshAheadMs);
    // Every step has its own deadline, and gcpAuthRefresh may take its 3 minutes.
    m_cache->setFetchTimeoutMs(0);
}

GoogleCredentialProvider::~GoogleCredentialProvider()
{
    // The command first: its end must not call back into a half-destroyed provider.
    if (m_refresh) {
        m_refresh->disconnect(this);
        delete m_refresh.data();
    }
}

QDateTime GoogleCredentialProvider::now() const
{
    return m_now ? m_now() : QDateTime::currentDateTimeUtc();
}

void GoogleCredentialProvider::setClockForTesting(std::function<QDateTime()> now)
{
    m_now = now;
    m_cache->setClock(now ? now : [] { return QDateTime::currentDateTimeUtc(); });
}

QNetworkAccessManager *GoogleCredentialProvider::network()
{
    if (!m_network) {
        m_network = new NetworkAccess(m_config.network
                                          ? m_config.network
                                          : NetworkSetup::fromEnvironment(m_config.environment),
                                      this);
    }
    return m_network;
}

QNetworkAccessManager *GoogleCredentialProvider::metadataNetwork()
{
    if (!m_metadataNetwork) {
        m_metadataNetwork = new QNetworkAccessManager(this);
        // The metadata server is link-local: a proxy must never see these requests.
        m_metadataNetwork->setProxy(QNetworkProxy::NoProxy);
    }
    return m_metadataNetwork;
}

void GoogleCredentialProvider::get(Callback callback)
{
    m_cache->get(
        this, [callback = std::move(callback)](const ExpiringCredential &c, const QString &error) {
            GoogleToken t;
            if (!c.isNull()) {
                t.accessToken = c.values.value(kAccessToken).toString();
                t.quotaProject = c.values.value(kQuotaProject).toString();
                t.projectId = c.values.value(kProjectId).toString();
                t.source = c.values.value(kSource).toString();
                t.expiresAt = c.expiresAt;
            }
            callback(t, t.isValid() ? QString() : error);
        });
}

bool GoogleCredentialProvider::hasCachedToken() const
{
    return !m_cache->current().isNull();
}

bool GoogleCredentialProvider::invalidate()
{
    return invalidate(QString());
}

bool GoogleCredentialProvider::invalidate(const QString &rejectedAccessToken)
{
    const ExpiringCredential current = m_cache->current();
    const bool cached = !current.isNull();
    if (!rejectedAccessToken.isEmpty() && cached &&
        current.values.value(kAccessToken).toString() != rejectedAccessToken)
        return true; // a newer token than the rejected one is cached: it may work
    m_cache->invalidate();
    m_refreshMemoUntil = QDateTime();
    return cached || m_cache->isFetching() || !m_config.refreshCommand.trimmed().isEmpty();
}

bool GoogleCredentialProvider::refreshMemoHolds() const
{
    return m_refreshMemoUntil.isValid() && now() < m_refreshMemoUntil;
}

// One fetch for the cache: ADC, and gcpAuthRefresh when ADC gives no token in time.
void GoogleCredentialProvider::fetch(OutcomeCallback done)
{
    if (m_config.refreshCommand.trimmed().isEmpty()) {
        attempt(0, std::move(done));
        return;
    }
    if (m_refresh) { // a run is under way: wait for it, then ADC once more
        m_afterRefresh.append(std::move(done));
        return;
    }
    const bool memo = refreshMemoHolds();
    const QPointer<GoogleCredentialProvider> self(this);
    attempt(memo ? 0 : m_config.probeTimeoutMs, [self, memo, done](const Outcome &o) {
        if (!self)
            return;
        if (o.token.isValid() || (memo && !clearsRefreshMemo(o.error, o.reauth))) {
            done(o);
            return;
        }
        self->m_refreshMemoUntil = QDateTime();
        // A run that failed is not repeated within 30 s: every message would start it again.
        if (self->m_lastFailedRefresh.isValid() &&
            self->now() < self->m_lastFailedRefresh.addSecs(kFailedRefreshPauseS)) {
            Outcome held = o;
            held.error = QStringLiteral("%1 (gcpAuthRefresh failed %2 s ago and is not run again "
                                        "for %3 s.)")
                             .arg(o.error)
                             .arg(self->m_lastFailedRefresh.secsTo(self->now()))
                             .arg(kFailedRefreshPauseS);
            done(held);
            return;
        }
        self->runRefresh(o.error, done);
    });
}

// One ADC run, answered from the event loop. With probeMs > 0, no token within probeMs is a
// failure (and what is still running is aborted).
void GoogleCredentialProvider::attempt(int probeMs, OutcomeCallback done)
{
    ++m_fetchCount;
    auto *ctx = new QObject(this); // its requests end with it
    auto answered = std::make_shared<bool>(false);
    auto finish = [ctx, answered, done = std::move(done)](const Outcome &o) {
        if (*answered)
            return;
        *answered = true;
        ctx->deleteLater();
        done(o);
    };
    if (probeMs > 0) {
        QTimer::singleShot(probeMs, ctx, [finish, probeMs] {
            Outcome o;
            o.error = QStringLiteral("Google Application Default Credentials gave no token within "
                                     "%1 s.")
                          .arg(probeMs / 1000.0, 0, 'g', 3);
            o.reauth = true;
            finish(o);
        });
    }
    QTimer::singleShot(0, ctx, [this, ctx, finish] { runAdc(ctx, finish); });
}

void GoogleCredentialProvider::runAdc(QObject *ctx, OutcomeCallback done)
{
    const QProcessEnvironment &env = m_config.environment;
    const CredentialFile f = findCredentialFile(env);
    if (!f.found) {
        metadataToken(ctx, std::move(done));
        return;
    }
    if (!f.error.isEmpty()) {
        Outcome o;
        o.error = f.error;
        done(o);
        return;
    }
    const QString quota = env.value(QStringLiteral("GOOGLE_CLOUD_QUOTA_PROJECT")).trimmed();
    fromJson(ctx, f.json, f.where(), false, [f, quota, done](Outcome o) {
        if (o.token.isValid()) {
            o.token.quotaProject = quota.isEmpty() ? str(f.json, "quota_project_id") : quota;
            o.token.projectId = str(f.json, "project_id");
            o.token.source = fileSource(f);
        }
        done(o);
    });
}

void GoogleCredentialProvider::fromJson(QObject *ctx, const QJsonObject &json, const QString &where,
                                        bool nested, OutcomeCallback done)
{
    const QString problem = checkCredential(json, where, nested);
    if (!problem.isEmpty()) {
        Outcome o;
        o.error = problem;
        done(o);
        return;
    }
    const QString type = credentialType(json);
    const QString label = describeKind(type, where);
    if (type == QLatin1String("service_account")) {
        serviceAccount(ctx, json, label, std::move(done));
    } else if (type == QLatin1String("authorized_user")) {
        authorizedUser(ctx, json, label, std::move(done));
    } else if (type == QLatin1String("external_account")) {
        externalAccount(ctx, json, label, std::move(done));
    } else { // impersonated_service_account (checkCredential allows nothing else)
        const QJsonObject source = json.value(QLatin1String("source_credentials")).toObject();
        const QPointer<GoogleCredentialProvider> self(this);
        fromJson(ctx, source, where + QStringLiteral(" source_credentials"), true,
                 [self, ctx, json, label, done](const Outcome &o) {
                     if (!self || !o.token.isValid()) {
                         done(o);
                         return;
                     }
                     self->impersonate(ctx, json, label, o.token.accessToken, done);
                 });
    }
}

void GoogleCredentialProvider::serviceAccount(QObject *ctx, const QJsonObject &json,
                                              const QString &label, OutcomeCallback done)
{
    const QString tokenUri =
        str(json, "token_uri").isEmpty() ? kDefaultTokenUri : str(json, "token_uri");
    QJsonObject header{{QStringLiteral("alg"), QStringLiteral("RS256")},
                       {QStringLiteral("typ"), QStringLiteral("JWT")}};
    if (!str(json, "private_key_id").isEmpty())
        header.insert(QStringLiteral("kid"), str(json, "private_key_id"));
    const qint64 iat = now().toSecsSinceEpoch();
    const QJsonObject claims{{QStringLiteral("iss"), str(json, "client_email")},
                             {QStringLiteral("scope"), kScope},
                             {QStringLiteral("aud"), tokenUri},
                             {QStringLiteral("iat"), iat},
                             {QStringLiteral("exp"), iat + 3600}};
    QByteArray key = str(json, "private_key").toUtf8();
    QString signError;
    const QByteArray jwt = Jwt::signRs256(header, claims, key, &signError);
    key.fill('\0');
    if (jwt.isEmpty()) {
        Outcome o;
        o.error = QStringLiteral("%1 has a private_key that cannot be used (%2). Create a new key "
                                 "for the service account.")
                      .arg(capitalized(label), signError);
        o.reauth = true;
        done(o);
        return;
    }
    TokenHttpRequest req;
    req.url = QUrl(tokenUri);
    req.body = TokenHttpRequest::Body::Form;
    req.form = {{QStringLiteral("grant_type"),
                 QStringLiteral("urn:ietf:params:oauth:grant-type:jwt-bearer")},
                {QStringLiteral("assertion"), QString::fromLatin1(jwt)}};
    req.timeoutMs = m_config.tokenTimeoutMs;
    req.maxBytes = kMaxAnswerBytes;
    req.redact = {QString::fromLatin1(jwt)};
    const QDateTime sentAt = now();
    send(network(), req, ctx, [label, sentAt, done](const TokenHttpResult &r) {
        Outcome o;
        if (isRejection(r)) {
            o.error = QStringLiteral("%1 was rejected by the token endpoint (%2). Create a new key "
                                     "or check the system clock.")
                          .arg(capitalized(label), rejectionText(r));
            o.reauth = true;
        } else if (!r.ok()) {
            o.error = QStringLiteral("Could not get a Google access token for %1: %2.")
                          .arg(label, r.error);
        } else if (const QString e = parseOAuthToken(r, sentAt, &o.token); !e.isEmpty()) {
            o.error = QStringLiteral("The token endpoint's answer for %1 cannot be used: %2.")
                          .arg(label, e);
        }
        done(o);
    });
}

void GoogleCredentialProvider::authorizedUser(QObject *ctx, const QJsonObject &json,
                                              const QString &label, OutcomeCallback done)
{
    TokenHttpRequest req;
    req.url = QUrl(str(json, "token_uri").isEmpty() ? kDefaultTokenUri : str(json, "token_uri"));
    req.body = TokenHttpRequest::Body::Form;
    req.form = {{QStringLiteral("refresh_token"), str(json, "refresh_token")},
                {QStringLiteral("client_id"), str(json, "client_id")},
                {QStringLiteral("client_secret"), str(json, "client_secret")},
                {QStringLiteral("grant_type"), QStringLiteral("refresh_token")}};
    req.timeoutMs = m_config.tokenTimeoutMs;
    req.maxBytes = kMaxAnswerBytes;
    req.redact = {str(json, "refresh_token"), str(json, "client_secret")};
    const QDateTime sentAt = now();
    send(network(), req, ctx, [label, sentAt, done](const TokenHttpResult &r) {
        Outcome o;
        if (isRejection(r)) {
            o.error =
                QStringLiteral("%1 were rejected by the token endpoint (%2). Run `gcloud auth "
                               "application-default login` again.")
                    .arg(capitalized(label), rejectionText(r));
            o.reauth = true;
        } else if (!r.ok()) {
            o.error = QStringLiteral("Could not refresh the Google access token for %1: %2.")
                          .arg(label, r.error);
        } else if (const QString e = parseOAuthToken(r, sentAt, &o.token); !e.isEmpty()) {
            o.error = QStringLiteral("The token endpoint's answer for %1 cannot be used: %2.")
                          .arg(label, e);
        }
        done(o);
    });
}

void GoogleCredentialProvider::externalAccount(QObject *ctx, const QJsonObject &json,
                                               const QString &label, OutcomeCallback done)
{
    const QJsonObject source = json.value(QLatin1String("credential_source")).toObject();
    const QJsonObject format = source.value(QLatin1String("format")).toObject();
    const QString file = str(source, "file");
    if (!file.isEmpty()) {
        QByteArray data;
        QString error = readSmallFile(file, &data);
        QString token;
        if (error.isEmpty())
            token = subjectTokenFrom(data, format, &error);
        data.fill('\0');
        if (!error.isEmpty()) {
            Outcome o;
            o.error = QStringLiteral("%1: the subject token file %2 (credential_source.file) %3.")
                          .arg(capitalized(label), file, error);
            done(o);
            return;
        }
        stsExchange(ctx, json, label, token, std::move(done));
        return;
    }
    // credential_source.url: a GET with its headers, often a local metadata endpoint.
    TokenHttpRequest req;
    req.url = QUrl(str(source, "url"));
    req.method = QByteArrayLiteral("GET");
    const QJsonObject headers = source.value(QLatin1String("headers")).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        if (it.value().isString())
            req.headers.append({it.key().toUtf8(), it.value().toString().toUtf8()});
        req.redact.append(it.value().toString()); // a header may hold a secret
    }
    req.timeoutMs = m_config.tokenTimeoutMs;
    req.maxBytes = kMaxAnswerBytes;
    QNetworkAccessManager *nam =
        isLinkLocalOrLoopback(req.url.host()) ? metadataNetwork() : network();
    const QString origin = TokenHttp::origin(req.url);
    const QPointer<GoogleCredentialProvider> self(this);
    send(nam, req, ctx, [self, ctx, json, label, format, origin, done](const TokenHttpResult &r) {
        if (!self)
            return;
        Outcome o;
        if (!r.ok()) {
            o.error = QStringLiteral("%1: the subject token URL "
                                     "(credential_source.url, %2) failed: %3.")
                          .arg(capitalized(label), origin, r.error);
            done(o);
            return;
        }
        QString error;
        const QString token = subjectTokenFrom(r.body, format, &error);
        if (!error.isEmpty()) {
            o.error = QStringLiteral("%1: the answer of the subject token URL "
                                     "(credential_source.url, %2) %3.")
                          .arg(capitalized(label), origin, error);
            done(o);
            return;
        }
        self->stsExchange(ctx, json, label, token, done);
    });
}

void GoogleCredentialProvider::stsExchange(QObject *ctx, const QJsonObject &json,
                                           const QString &label, const QString &subjectToken,
                                           OutcomeCallback done)
{
    TokenHttpRequest req;
    req.url = QUrl(str(json, "token_url").isEmpty() ? kDefaultStsUrl : str(json, "token_url"));
    req.body = TokenHttpRequest::Body::Form;
    req.form = {{QStringLiteral("grant_type"),
                 QStringLiteral("urn:ietf:params:oauth:grant-type:token-exchange")},
                {QStringLiteral("audience"), str(json, "audience")},
                {QStringLiteral("scope"), kScope},
                {QStringLiteral("requested_token_type"),
                 QStringLiteral("urn:ietf:params:oauth:token-type:access_token")},
                {QStringLiteral("subject_token"), subjectToken},
                {QStringLiteral("subject_token_type"), str(json, "subject_token_type")}};
    req.redact = {subjectToken};
    // A client_id with a client_secret authenticates the exchange (HTTP Basic).
    if (!str(json, "client_id").isEmpty() && !str(json, "client_secret").isEmpty()) {
        const QByteArray pair = QUrl::toPercentEncoding(str(json, "client_id")) + ':' +
                                QUrl::toPercentEncoding(str(json, "client_secret"));
        const QByteArray basic = pair.toBase64();
        req.headers.append({QByteArrayLiteral("authorization"), "Basic " + basic});
        req.redact.append(str(json, "client_secret"));
        req.redact.append(QString::fromLatin1(basic));
    }
    req.timeoutMs = m_config.tokenTimeoutMs;
    req.maxBytes = kMaxAnswerBytes;
    const QDateTime sentAt = now();
    const QPointer<GoogleCredentialProvider> self(this);
    send(network(), req, ctx, [self, ctx, json, label, sentAt, done](const TokenHttpResult &r) {
        if (!self)
            return;
        Outcome o;
        if (isRejection(r)) {
            o.error = QStringLiteral("%1 was rejected by the Security Token Service (%2). "
                                     "Check the audience and the workload identity provider, "
                                     "and that the subject token is current.")
                          .arg(capitalized(label), rejectionText(r));
            o.reauth = true;
        } else if (!r.ok()) {
            o.error = QStringLiteral("Could not exchange the subject token of %1 at the "
                                     "Security Token Service: %2.")
                          .arg(label, r.error);
        } else if (const QString e = parseOAuthToken(r, sentAt, &o.token); !e.isEmpty()) {
            o.error = QStringLiteral("The Security Token Service's answer for %1 cannot be "
                                     "used: %2.")
                          .arg(label, e);
        }
        if (!o.token.isValid() || str(json, "service_account_impersonation_url").isEmpty()) {
            done(o);
            return;
        }
        self->impersonate(ctx, json, label, o.token.accessToken, done);
    });
}

// IAM Credentials generateAccessToken with the source token as the bearer.
void GoogleCredentialProvider::impersonate(QObject *ctx, const QJsonObject &json,
                                           const QString &label, const QString &sourceToken,
                                           OutcomeCallback done)
{
    const QString url = str(json, "service_account_impersonation_url");
    QString target = impersonationTarget(url);
    if (target.isEmpty())
        target = QStringLiteral("the service account");
    TokenHttpRequest req;
    req.url = QUrl(url);
    req.body = TokenHttpRequest::Body::Json;
    req.json = {{QStringLiteral("scope"), QJsonArray{kScope}}};
    const QJsonValue delegates = json.value(QLatin1String("delegates"));
    if (delegates.isArray() && !delegates.toArray().isEmpty())
        req.json.insert(QStringLiteral("delegates"), delegates);
    const QJsonValue lifetime = json.value(QLatin1String("service_account_impersonation"))
                                    .toObject()
                                    .value(QLatin1String("token_lifetime_seconds"));
    if (lifetime.isDouble() && lifetime.toDouble() > 0)
        req.json.insert(QStringLiteral("lifetime"),
                        QStringLiteral("%1s").arg(jsonNumberToInt64(lifetime.toDouble())));
    req.headers.append({QByteArrayLiteral("authorization"), "Bearer " + sourceToken.toUtf8()});
    req.redact = {sourceToken};
    req.timeoutMs = m_config.tokenTimeoutMs;
    req.maxBytes = kMaxAnswerBytes;
    send(network(), req, ctx, [label, target, done](const TokenHttpResult &r) {
        Outcome o;
        if (r.failure == TokenHttpResult::Failure::Http && r.status >= 400 && r.status < 500 &&
            r.status != 404 && r.status != 429) {
            o.error = QStringLiteral("Impersonating %1 for %2 was refused (%3). The source "
                                     "identity needs the Service Account Token Creator role "
                                     "(roles/iam.serviceAccountTokenCreator) on it.")
                          .arg(target, label, r.error);
        } else if (!r.ok()) {
            o.error =
                QStringLiteral("Could not impersonate %1 for %2: %3.").arg(target, label, r.error);
        } else {
            const QString token = r.json.value(QLatin1String("accessToken")).toString();
            const QDateTime expires =
                parseRfc3339(r.json.value(QLatin1String("expireTime")).toString());
            if (!r.jsonOk || token.isEmpty() || !isHeaderSafe(token) || !expires.isValid())
                o.error = QStringLiteral("The IAM answer for impersonating %1 (%2) has no usable "
                                         "accessToken and expireTime.")
                              .arg(target, label);
            else {
                o.token.accessToken = token;
                o.token.expiresAt = expires;
            }
        }
        done(o);
    });
}

void GoogleCredentialProvider::metadataToken(QObject *ctx, OutcomeCallback done)
{
    const QProcessEnvironment &env = m_config.environment;
    Outcome fail;
    fail.reauth = true;
    if (metadataDisabled(env)) {
        fail.error = noCredentials(env, QStringLiteral("The metadata server was not tried: "
                                                       "METADATA_SERVER_DETECTION is none."));
        done(fail);
        return;
    }
    QString error;
    const QUrl base = metadataBase(env, &error);
    if (!base.isValid()) {
        fail.error = error;
        fail.reauth = false;
        done(fail);
        return;
    }
    const QString host = hostText(base);
    TokenHttpRequest req;
    req.url = base;
    req.url.setPath(kMetadataTokenPath);
    req.url.setQuery(QStringLiteral("scopes=") + kScope);
    req.method = QByteArrayLiteral("GET");
    req.headers = {{QByteArrayLiteral("Metadata-Flavor"), QByteArrayLiteral("Google")}};
    req.timeoutMs = m_config.metadataTimeoutMs;
    req.maxBytes = kMaxAnswerBytes;
    const QDateTime sentAt = now();
    const QPointer<GoogleCredentialProvider> self(this);
    send(metadataNetwork(), req, ctx,
         [self, ctx, base, host, sentAt, done](const TokenHttpResult &r) {
             if (!self)
                 return;
             const QProcessEnvironment &env = self->m_config.environment;
             Outcome o;
             if (r.failure == TokenHttpResult::Failure::Network ||
                 r.failure == TokenHttpResult::Failure::Timeout) {
                 o.error = noCredentials(
                     env,
                     QStringLiteral("No metadata server answered at %1 (%2).").arg(host, r.error));
                 o.reauth = true;
                 done(o);
                 return;
             }
             if (!hasGoogleFlavor(r)) {
                 o.error =
                     noCredentials(env, QStringLiteral("The server at %1 is not a Google metadata "
                                                       "server (its answer has no "
                                                       "\"Metadata-Flavor: Google\").")
                                            .arg(host));
                 o.reauth = true;
                 done(o);
                 return;
             }
             if (!r.ok()) {
                 o.error = QStringLiteral("The Google metadata server at %1 gave no "
                                          "token: %2. Check that the instance has a "
                                          "service account with the cloud-platform "
                                          "scope.")
                               .arg(host, r.error);
                 done(o);
                 return;
             }
             if (const QString e = parseOAuthToken(r, sentAt, &o.token); !e.isEmpty()) {
                 o.error = QStringLiteral("The Google metadata server's token answer cannot "
                                          "be used: %1.")
                               .arg(e);
                 done(o);
                 return;
             }
             const QString quota =
                 env.value(QStringLiteral("GOOGLE_CLOUD_QUOTA_PROJECT")).trimmed();
             o.token.quotaProject = quota;
             o.token.source = QStringLiteral("metadata server");
             // The project it names, best effort: the token stands without it.
             TokenHttpRequest p;
             p.url = base;
             p.url.setPath(kMetadataProjectPath);
             p.method = QByteArrayLiteral("GET");
             p.headers = {{QByteArrayLiteral("Metadata-Flavor"), QByteArrayLiteral("Google")},
                          {QByteArrayLiteral("accept"), QByteArrayLiteral("*/*")}};
             p.timeoutMs = self->m_config.metadataTimeoutMs;
             p.maxBytes = 1024;
             send(self->metadataNetwork(), p, ctx,
                  [self, o, done](const TokenHttpResult &pr) mutable {
                      if (pr.ok() && hasGoogleFlavor(pr)) {
                          o.token.projectId = projectFromMetadata(pr);
                          if (self && !o.token.projectId.isEmpty())
                              self->m_metadataProject = o.token.projectId;
                      }
                      done(o);
                  });
         });
}

void GoogleCredentialProvider::runRefresh(const QString &adcError, OutcomeCallback done)
{
    m_afterRefresh.append(std::move(done));
    if (m_refresh)
        return; // never two at once
    ++m_refreshRuns;
    auto *p = new HelperProcess(QStringLiteral("gcpAuthRefresh"), m_config.refreshCommand, this);
    p->setEnvironment(m_config.refreshEnvironment);
    p->setWorkingDirectory(m_config.refreshWorkingDirectory);
    p->setTimeoutMs(m_config.refreshTimeoutMs);
    p->setMaxOutputBytes(1024 * 1024); // it talks to the user; its output is not a value
    p->setStreamOutput(true);
    m_refresh = p;
    connect(p, &HelperProcess::outputLine, this,
            [this](const QString &line, bool) { emit refreshOutput(line); });
    connect(p, &HelperProcess::finished, this, [this, p, adcError](const HelperProcess::Result &r) {
        p->deleteLater();
        m_refresh = nullptr;
        QString error;
        if (r.timedOut) {
            const int ms = m_config.refreshTimeoutMs;
            const QString span = ms % 60000 == 0
                                     ? QStringLiteral("%1 minute%2")
                                           .arg(ms / 60000)
                                           .arg(ms == 60000 ? QString() : QStringLiteral("s"))
                                     : QStringLiteral("%1 s").arg(ms / 1000.0, 0, 'g', 3);
            error = QStringLiteral("gcpAuthRefresh timed out after %1. Run your auth "
                                   "command (e.g. `gcloud auth application-default "
                                   "login`) manually in a separate terminal.")
                        .arg(span);
        } else if (r.exitCode != 0) {
            error = QStringLiteral("Error running gcpAuthRefresh (in settings or "
                                   "~/.claude.json): %1")
                        .arg(r.error);
        }
        const QPointer<GoogleCredentialProvider> self(this);
        emit refreshFinished(error);
        if (!self)
            return;
        const QList<OutcomeCallback> waiting = std::exchange(m_afterRefresh, {});
        m_lastFailedRefresh = error.isEmpty() ? QDateTime() : now();
        if (!error.isEmpty()) {
            Outcome o;
            o.error = error + QStringLiteral(" Before it ran: ") + adcError;
            for (const OutcomeCallback &w : waiting)
                w(o);
            return;
        }
        m_refreshMemoUntil = now().addMSecs(kRefreshMemoMs);
        attempt(0, [waiting](const Outcome &o) {
            for (const OutcomeCallback &w : waiting)
                w(o);
        });
    });
    emit refreshStarted();
    p->start();
}

// --- without network -------------------------------------------------------------------------

QString GoogleCredentialProvider::staticSource(const Config &config, QString *why)
{
    const QProcessEnvironment &env = config.environment;
    const bool canRefresh = !config.refreshCommand.trimmed().isEmpty();
    const CredentialFile f = findCredentialFile(env);
    if (f.found) {
        QString problem = f.error;
        if (problem.isEmpty())
            problem = checkCredential(f.json, f.where(), false);
        if (problem.isEmpty()) {
            if (f.wellKnown)
                return QStringLiteral("gcloud application default credentials (%1)").arg(f.path);
            return QStringLiteral("%1 (%2, %3)")
                .arg(f.variable, TokenHttp::cleanText(credentialType(f.json), 80), f.path);
        }
        if (why)
            *why = problem;
        return canRefresh ? QStringLiteral("gcpAuthRefresh") : QString();
    }
    if (!metadataDisabled(env)) {
        QString error;
        if (metadataBase(env, &error).isValid())
            return QStringLiteral("metadata server");
        if (why)
            *why = error;
        return canRefresh ? QStringLiteral("gcpAuthRefresh") : QString();
    }
    if (why)
        *why = noCredentials(env, QStringLiteral("The metadata server is not tried: "
                                                 "METADATA_SERVER_DETECTION is none."));
    return canRefresh ? QStringLiteral("gcpAuthRefresh") : QString();
}

QString GoogleCredentialProvider::staticProject(const Config &config, QString *source)
{
    const QProcessEnvironment &env = config.environment;
    const auto answer = [source](const QString &project, const QString &from) {
        if (source)
            *source = from;
        return project;
    };
    const auto value = [&env](const char *name) {
        return env.value(QLatin1String(name)).trimmed();
    };
    const QString vertex = value("ANTHROPIC_VERTEX_PROJECT_ID");
    if (!vertex.isEmpty() && value("GCLOUD_PROJECT").isEmpty() &&
        value("GOOGLE_CLOUD_PROJECT").isEmpty() &&
        env.value(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS")).isEmpty())
        return answer(vertex, QStringLiteral("ANTHROPIC_VERTEX_PROJECT_ID"));
    for (const char *name : {"GCLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT"}) {
        if (!value(name).isEmpty())
            return answer(value(name), QLatin1String(name));
    }
    const CredentialFile f = findCredentialFile(env);
    if (f.found && f.error.isEmpty()) {
        const QString project = str(f.json, "project_id").trimmed();
        if (!project.isEmpty())
            return answer(project, QStringLiteral("credentials file"));
    }
    if (!value("CLOUDSDK_CORE_PROJECT").isEmpty())
        return answer(value("CLOUDSDK_CORE_PROJECT"), QStringLiteral("CLOUDSDK_CORE_PROJECT"));
    QString configName;
    const QString gcloud = gcloudProject(env, &configName);
    if (!gcloud.isEmpty())
        return answer(gcloud, QStringLiteral("gcloud configuration ") + configName);
    if (!vertex.isEmpty())
        return answer(vertex, QStringLiteral("ANTHROPIC_VERTEX_PROJECT_ID"));
    return answer(QString(), QString());
}

void GoogleCredentialProvider::resolveProject(ProjectCallback done)
{
    QString source;
    const QString project = staticProject(m_config, &source);
    if (!project.isEmpty()) {
        done(project, source, QString());
        return;
    }
    if (!m_metadataProject.isEmpty()) {
        done(m_metadataProject, QStringLiteral("metadata server"), QString());
        return;
    }
    const QProcessEnvironment &env = m_config.environment;
    const QString hint = QStringLiteral("No Google Cloud project: set ANTHROPIC_VERTEX_PROJECT_ID "
                                        "(or GOOGLE_CLOUD_PROJECT), or run `gcloud config set "
                                        "project <id>`.");
    QString error;
    const QUrl base = metadataDisabled(env) ? QUrl() : metadataBase(env, &error);
    if (!base.isValid()) {
        const QString why = error.isEmpty() ? QStringLiteral("The metadata server was not asked: "
                                                             "METADATA_SERVER_DETECTION is none.")
                                            : error;
        QTimer::singleShot(0, this, [done, hint, why] {
            done(QString(), QString(), hint + QLatin1Char(' ') + why);
        });
        return;
    }
    const QString host = hostText(base);
    TokenHttpRequest req;
    req.url = base;
    req.url.setPath(kMetadataProjectPath);
    req.method = QByteArrayLiteral("GET");
    req.headers = {{QByteArrayLiteral("Metadata-Flavor"), QByteArrayLiteral("Google")},
                   {QByteArrayLiteral("accept"), QByteArrayLiteral("*/*")}};
    req.timeoutMs = m_config.metadataTimeoutMs;
    req.maxBytes = 1024;
    const QPointer<GoogleCredentialProvider> self(this);
    send(metadataNetwork(), req, this, [self, host, hint, done](const TokenHttpResult &r) {
        QString why;
        QString project;
        if (r.failure == TokenHttpResult::Failure::Network ||
            r.failure == TokenHttpResult::Failure::Timeout)
            why = QStringLiteral("No metadata server answered at %1 (%2).").arg(host, r.error);
        else if (!hasGoogleFlavor(r))
            why = QStringLiteral("The server at %1 is not a Google metadata "
                                 "server (its answer has no "
                                 "\"Metadata-Flavor: Google\").")
                      .arg(host);
        else if (!r.ok())
            why = QStringLiteral("The metadata server at %1 did not name a "
                                 "project: %2.")
                      .arg(host, r.error);
        else if ((project = projectFromMetadata(r)).isEmpty())
            why = QStringLiteral("The metadata server at %1 answered with no "
                                 "usable project ID.")
                      .arg(host);
        if (!project.isEmpty()) {
            if (self)
                self->m_metadataProject = project;
            done(project, QStringLiteral("metadata server"), QString());
            return;
        }
        done(QString(), QString(), hint + QLatin1Char(' ') + why);
    });
}

} // namespace qlaude
