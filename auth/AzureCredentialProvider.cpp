#include "AzureCredentialProvider.h"

#include "ExpiringCredentialCache.h"
#include "HelperProcess.h"
#include "JsonNumber.h"
#include "Jwt.h"
#include "NetworkAccess.h"
#include "TokenHttp.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QUrlQuery>
#include <QUuid>

#include <utility>

namespace qlaude {

namespace {

// The steps of the chain, in order.
enum Kind
{
    EnvSecret,
    EnvCertificate,
    Workload,
    AppService,
    Imds,
    AzureCli
};

constexpr qint64 kRefreshAheadMs = 2 * 60 * 1000;
constexpr qint64 kMaxAnswerBytes = 256 * 1024;
constexpr int kAssertionLifetimeSecs = 600;

const char *const kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const char *const kDefaultAuthority = "https://login.microsoftonline.com";
const char *const kDefaultImds = "http://169.254.169.254";
const char *const kImdsHost = "169.254.169.254";
const char *const kImdsPath = "/metadata/identity/oauth2/token";
const char *const kImdsApiVersion = "2018-02-01";
const char *const kAppServiceApiVersion = "2019-08-01";

QString env(const QProcessEnvironment &e, const char *name)
{
    return e.value(QLatin1String(name)).trimmed();
}

// The credentials AZURE_TOKEN_CREDENTIALS allows.
struct Selection
{
    bool environment = true;
    bool workload = true;
    bool managed = true;
    bool cli = true;
    QString restriction; // "AZURE_TOKEN_CREDENTIALS=dev", for messages; empty when unset
    QString error;
};

Selection selection(const QProcessEnvironment &e)
{
    Selection s;
    const QString value = env(e, "AZURE_TOKEN_CREDENTIALS");
    if (value.isEmpty())
        return s;
    s.restriction =
        QStringLiteral("AZURE_TOKEN_CREDENTIALS=%1").arg(TokenHttp::cleanText(value, 60));
    const QString v = value.toLower();
    s.environment = s.workload = s.managed = s.cli = false;
    if (v == QLatin1String("dev")) {
        s.cli = true; // of the developer credentials, Qlaude has the Azure CLI
    } else if (v == QLatin1String("prod")) {
        s.environment = s.workload = s.managed = true;
    } else if (v == QLatin1String("environmentcredential")) {
        s.environment = true;
    } else if (v == QLatin1String("workloadidentitycredential")) {
        s.workload = true;
    } else if (v == QLatin1String("managedidentitycredential")) {
        s.managed = true;
    } else if (v == QLatin1String("azureclicredential")) {
        s.cli = true;
    } else {
        const QString allowed =
            QStringLiteral("dev, prod, EnvironmentCredential, WorkloadIdentityCredential, "
                           "ManagedIdentityCredential or AzureCliCredential");
        static const QStringList kOthers = {QStringLiteral("visualstudiocodecredential"),
                                            QStringLiteral("azurepowershellcredential"),
                                            QStringLiteral("azuredeveloperclicredential"),
                                            QStringLiteral("brokercredential")};
        if (kOthers.contains(v))
            s.error = QStringLiteral("AZURE_TOKEN_CREDENTIALS is \"%1\", a credential Qlaude does "
                                     "not support yet; use %2.")
                          .arg(TokenHttp::cleanText(value, 60), allowed);
        else
            s.error = QStringLiteral("AZURE_TOKEN_CREDENTIALS is \"%1\", which is not a credential "
                                     "name; use %2.")
                          .arg(TokenHttp::cleanText(value, 60), allowed);
    }
    return s;
}

bool isLoopbackHost(QString host)
{
    host = host.toLower();
    if (host.endsWith(QLatin1Char('.')))
        host.chop(1);
    if (host == QLatin1String("localhost"))
        return true;
    QHostAddress address;
    return address.setAddress(host) && address.isLoopback();
}

// Empty when `value`, the URL in `variable`, may be used: https://, or http:// on a loopback
// address (or, for IMDS, on 169.254.169.254).
QString endpointProblem(const QString &variable, const QString &value, bool imds)
{
    const QUrl url(value, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || url.host().isEmpty() ||
        (scheme != QLatin1String("https") && scheme != QLatin1String("http")))
        return QStringLiteral("%1 is not an https:// URL.").arg(variable);
    if (scheme == QLatin1String("http") && !isLoopbackHost(url.host()) &&
        !(imds && url.host() == QLatin1String(kImdsHost)))
        return QStringLiteral("%1 (%2) uses http:// on an address that is not loopback; "
                              "credentials may travel in clear text only to 127.0.0.1, ::1 or "
                              "localhost. Use https://.")
            .arg(variable, TokenHttp::origin(url));
    return QString();
}

QString authorityHost(const QProcessEnvironment &e)
{
    QString host = env(e, "AZURE_AUTHORITY_HOST");
    if (host.isEmpty())
        host = QLatin1String(kDefaultAuthority);
    while (host.endsWith(QLatin1Char('/')))
        host.chop(1);
    return host;
}

// The IMDS base URL and the variable it came from (empty for the default).
QString imdsBase(const QProcessEnvironment &e, QString *variable)
{
    QString base;
    for (const char *name : {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "IMDS_ENDPOINT"}) {
        base = env(e, name);
        if (!base.isEmpty()) {
            *variable = QLatin1String(name);
            break;
        }
    }
    if (base.isEmpty()) {
        variable->clear();
        base = QLatin1String(kDefaultImds);
    }
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    return base;
}

// What @azure/identity accepts as a tenant id: it goes into the token URL's path.
bool isValidTenant(const QString &tenant)
{
    static const QRegularExpression kTenant(QStringLiteral("^[0-9A-Za-z.-]{1,100}$"));
    return kTenant.match(tenant).hasMatch();
}

// What @azure/identity accepts as a scope or resource for the developer credentials.
bool isValidResource(const QString &resource)
{
    static const QRegularExpression kResource(QStringLiteral("^[0-9A-Za-z_.:/-]{1,500}$"));
    return kResource.match(resource).hasMatch();
}

QString findAz(const QProcessEnvironment &e)
{
    const QStringList dirs =
        e.value(QStringLiteral("PATH")).split(QLatin1Char(':'), Qt::SkipEmptyParts);
    if (dirs.isEmpty())
        return QString();
    return QStandardPaths::findExecutable(QStringLiteral("az"), dirs);
}

QString shellQuote(const QString &s)
{
    QString q = s;
    q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

// The environment credential that applies: EnvSecret, EnvCertificate, or -1.
int environmentKind(const AzureCredentialProvider::Config &c, QString *source)
{
    const QProcessEnvironment &e = c.environment;
    if (env(e, "AZURE_TENANT_ID").isEmpty() || env(e, "AZURE_CLIENT_ID").isEmpty())
        return -1;
    if (!e.value(QStringLiteral("AZURE_CLIENT_SECRET")).isEmpty()) {
        *source = QStringLiteral("client secret (environment)");
        return EnvSecret;
    }
    if (!c.keychainClientSecret.isEmpty()) {
        *source = QStringLiteral("client secret (keychain)");
        return EnvSecret;
    }
    const QString path = env(e, "AZURE_CLIENT_CERTIFICATE_PATH");
    if (!path.isEmpty()) {
        *source = QStringLiteral("client certificate %1").arg(path);
        return EnvCertificate;
    }
    return -1;
}

bool workloadConfigured(const QProcessEnvironment &e)
{
    return !env(e, "AZURE_FEDERATED_TOKEN_FILE").isEmpty() &&
           !env(e, "AZURE_CLIENT_ID").isEmpty() && !env(e, "AZURE_TENANT_ID").isEmpty();
}

bool appServiceConfigured(const QProcessEnvironment &e)
{
    return !env(e, "IDENTITY_ENDPOINT").isEmpty() &&
           !e.value(QStringLiteral("IDENTITY_HEADER")).isEmpty();
}

// A JSON number, or a string holding one (managed identity answers strings).
bool jsonSeconds(const QJsonValue &v, qint64 *out)
{
    if (v.isDouble()) {
        *out = jsonNumberToInt64(v.toDouble());
        return true;
    }
    if (v.isString()) {
        bool ok = false;
        *out = v.toString().trimmed().toLongLong(&ok);
        return ok;
    }
    return false;
}

// access_token with expires_in (seconds from now) and/or expires_on (epoch seconds).
bool parseTokenAnswer(const QJsonObject &o, const QDateTime &now, ExpiringCredential *c,
                      QString *error)
{
    const QString token = o.value(QLatin1String("access_token")).toString();
    if (token.isEmpty()) {
        *error = QStringLiteral("the answer has no access_token");
        return false;
    }
    qint64 seconds = 0;
    QDateTime expires;
    if (jsonSeconds(o.value(QLatin1String("expires_in")), &seconds) && seconds > 0)
        expires = now.addSecs(seconds);
    else if (jsonSeconds(o.value(QLatin1String("expires_on")), &seconds) && seconds > 0)
        expires = QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC);
    if (!expires.isValid()) {
        *error = QStringLiteral("the answer has no valid expires_in or expires_on");
        return false;
    }
    c->values.insert(QStringLiteral("accessToken"), token);
    c->expiresAt = expires.toUTC();
    return true;
}

// A 2xx answer of a token endpoint or identity endpoint as a credential; *error is the end of a
// sentence.
bool tokenFromAnswer(const TokenHttpResult &r, const QDateTime &now, ExpiringCredential *c,
                     QString *error)
{
    if (!r.jsonOk) {
        *error = QStringLiteral("the answer is not JSON.");
        return false;
    }
    if (!parseTokenAnswer(r.json, now, c, error)) {
        *error += QLatin1Char('.');
        return false;
    }
    return true;
}

// az's expiresOn: "2025-01-31 12:34:56.123456", local time.
QDateTime parseAzLocalTime(const QString &text)
{
    const QString t = text.trimmed();
    const qsizetype dot = t.indexOf(QLatin1Char('.'));
    QDateTime d =
        QDateTime::fromString(dot < 0 ? t : t.left(dot), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    if (!d.isValid())
        return d;
    d.setTimeSpec(Qt::LocalTime);
    if (dot >= 0) {
        const QString fraction = QString(t.mid(dot + 1) + QStringLiteral("000")).left(3);
        bool ok = false;
        const int ms = fraction.toInt(&ok);
        if (ok)
            d = d.addMSecs(ms);
    }
    return d.toUTC();
}

// `text` as the end of a sentence: one final period.
QString sentence(QString text)
{
    while (text.endsWith(QLatin1Char('.')))
        text.chop(1);
    if (text.endsWith(QChar(0x2026)))
        return text;
    return text + QLatin1Char('.');
}

// `text` as a clause inside a sentence: no final period.
QString clause(QString text)
{
    while (text.endsWith(QLatin1Char('.')))
        text.chop(1);
    return text;
}

ExpiringCredential tokenCredential(const ExpiringCredential &c, Kind kind, const QString &source,
                                   const QString &tenant, const QString &client)
{
    ExpiringCredential out = c;
    out.values.insert(QStringLiteral("kind"), int(kind));
    out.values.insert(QStringLiteral("source"), source);
    if (!tenant.isEmpty())
        out.values.insert(QStringLiteral("tenantId"), tenant);
    if (!client.isEmpty())
        out.values.insert(QStringLiteral("clientId"), client);
    return out;
}

} // namespace

bool parseEntraTokenAnswer(const TokenHttpResult &answer, const QDateTime &now,
                           ExpiringCredential *credential, QString *error)
{
    return tokenFromAnswer(answer, now, credential, error);
}

struct AzureCredentialProvider::Run
{
    QList<int> steps;
    int index = 0;
    QStringList unavailable; // why each skipped source did not apply
    QString restriction;
    std::function<void(const ExpiringCredential &, const QString &)> done;

    void fail(const QString &error) { done(ExpiringCredential(), error); }
    void finishUnavailable()
    {
        QString text = QStringLiteral("No Microsoft Entra ID credential was found");
        if (!restriction.isEmpty())
            text += QStringLiteral(" (%1)").arg(restriction);
        text +=
            unavailable.isEmpty()
                ? QStringLiteral(".")
                : QStringLiteral(": ") + unavailable.join(QStringLiteral("; ")) + QLatin1Char('.');
        fail(text);
    }
};

QString AzureCredentialProvider::defaultScope()
{
    return QStringLiteral("https://cognitiveservices.azure.com/.default");
}

QString AzureCredentialProvider::resourceFromScope(const QString &scope)
{
    const QString suffix = QStringLiteral("/.default");
    QString s = scope.trimmed();
    if (s.endsWith(suffix))
        s.chop(suffix.size());
    return s;
}

AzureCredentialProvider::AzureCredentialProvider(Config config, QObject *parent)
    : QObject(parent), m_config(std::move(config)),
      m_now([] { return QDateTime::currentDateTimeUtc(); })
{
    m_cache = new ExpiringCredentialCache(
        [this](ExpiringCredentialCache::Answer done) { fetch(std::move(done)); }, this);
    m_cache->setRefreshAheadMs(kRefreshAheadMs);
    m_cache->setFetchTimeoutMs(2 * m_config.requestTimeoutMs + m_config.probeTimeoutMs +
                               m_config.azTimeoutMs + 5000);
    m_cache->setClock([this] { return now(); });
}

AzureCredentialProvider::~AzureCredentialProvider() = default;

QDateTime AzureCredentialProvider::now() const
{
    return m_now();
}

void AzureCredentialProvider::setClockForTesting(std::function<QDateTime()> now)
{
    m_now = std::move(now);
}

int AzureCredentialProvider::fetchCount() const
{
    return m_cache->fetchCount();
}

void AzureCredentialProvider::get(Callback callback)
{
    m_cache->get(this, [callback](const ExpiringCredential &c, const QString &error) {
        AzureToken t;
        if (!c.isNull()) {
            t.accessToken = c.values.value(QStringLiteral("accessToken")).toString();
            t.expiresAt = c.expiresAt;
            t.source = c.values.value(QStringLiteral("source")).toString();
            t.tenantId = c.values.value(QStringLiteral("tenantId")).toString();
            t.clientId = c.values.value(QStringLiteral("clientId")).toString();
        }
        QString why = error;
        if (!t.isValid() && why.isEmpty())
            why = QStringLiteral("No Microsoft Entra ID token is available.");
        callback(t, t.isValid() ? QString() : why);
    });
}

bool AzureCredentialProvider::invalidate()
{
    const ExpiringCredential current = m_cache->current();
    m_cache->invalidate();
    if (current.isNull())
        return false;
    const int kind = current.values.value(QStringLiteral("kind")).toInt();
    return kind == EnvSecret || kind == EnvCertificate || kind == Workload;
}

QNetworkAccessManager *AzureCredentialProvider::entraNetwork()
{
    if (!m_entraNetwork) {
        // Entra is an ordinary internet endpoint: the CLI's proxy rules apply.
        m_entraNetwork = new NetworkAccess(
            m_config.network ? m_config.network
                             : NetworkSetup::fromEnvironment(m_config.environment),
            this);
    }
    return m_entraNetwork;
}

QNetworkAccessManager *AzureCredentialProvider::metadataNetwork()
{
    if (!m_metadataNetwork) {
        // Identity endpoints are link-local or on this host: a proxy must never see them.
        m_metadataNetwork = new QNetworkAccessManager(this);
        m_metadataNetwork->setProxy(QNetworkProxy::NoProxy);
    }
    return m_metadataNetwork;
}

void AzureCredentialProvider::fetch(
    std::function<void(const ExpiringCredential &, const QString &)> done)
{
    auto run = std::make_shared<Run>();
    run->done = std::move(done);
    const QProcessEnvironment &e = m_config.environment;
    const Selection s = selection(e);
    if (!s.error.isEmpty()) {
        run->fail(s.error);
        return;
    }
    run->restriction = s.restriction;
    if (s.environment) {
        QString source;
        const int kind = environmentKind(m_config, &source);
        if (kind >= 0)
            run->steps.append(kind);
        else
            run->unavailable.append(
                QStringLiteral("the environment has no AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                               "AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)"));
    }
    if (s.workload) {
        if (workloadConfigured(e))
            run->steps.append(Workload);
        else if (!s.environment)
            run->unavailable.append(
                QStringLiteral("workload identity needs AZURE_FEDERATED_TOKEN_FILE, "
                               "AZURE_CLIENT_ID and AZURE_TENANT_ID"));
    }
    if (s.managed)
        run->steps.append(appServiceConfigured(e) ? AppService : Imds);
    if (s.cli)
        run->steps.append(AzureCli);
    step(run);
}

void AzureCredentialProvider::step(const std::shared_ptr<Run> &run)
{
    if (run->index >= run->steps.size()) {
        run->finishUnavailable();
        return;
    }
    const int kind = run->steps.at(run->index++);
    switch (kind) {
    case EnvSecret:
    case EnvCertificate:
    case Workload:
        requestEntra(run, kind);
        return;
    case AppService:
        requestAppService(run);
        return;
    case Imds:
        requestImds(run);
        return;
    case AzureCli:
        runAzureCli(run);
        return;
    default:
        step(run);
    }
}

// The client-credentials grant at {authority}/{tenant}/oauth2/v2.0/token, with a client secret,
// a certificate's signed assertion or a federated token.
void AzureCredentialProvider::requestEntra(const std::shared_ptr<Run> &run, int kind)
{
    const QProcessEnvironment &e = m_config.environment;
    const QString tenant = env(e, "AZURE_TENANT_ID");
    const QString clientId = env(e, "AZURE_CLIENT_ID");
    QString source = QStringLiteral("workload identity");
    if (kind != Workload)
        environmentKind(m_config, &source);
    const auto fail = [run, source](const QString &why) {
        run->fail(QStringLiteral("Getting a Microsoft Entra ID token with the %1 failed: %2")
                      .arg(source, why));
    };

    const QString authority = authorityHost(e);
    const QString problem =
        endpointProblem(QStringLiteral("AZURE_AUTHORITY_HOST"), authority, false);
    if (!problem.isEmpty()) {
        fail(problem);
        return;
    }
    if (!isValidTenant(tenant)) {
        fail(QStringLiteral("AZURE_TENANT_ID is not a valid tenant id (letters, digits, '.' "
                            "and '-' only)."));
        return;
    }
    const QString tokenUrl =
        authority + QLatin1Char('/') + tenant + QStringLiteral("/oauth2/v2.0/token");

    TokenHttpRequest request;
    request.url = QUrl(tokenUrl);
    request.body = TokenHttpRequest::Body::Form;
    request.timeoutMs = m_config.requestTimeoutMs;
    request.maxBytes = kMaxAnswerBytes;
    request.form.append({QStringLiteral("client_id"), clientId});
    request.form.append({QStringLiteral("scope"), m_config.scope});
    if (kind == EnvSecret) {
        QString secret = e.value(QStringLiteral("AZURE_CLIENT_SECRET"));
        if (secret.isEmpty())
            secret = m_config.keychainClientSecret;
        request.form.append({QStringLiteral("client_secret"), secret});
        request.redact.append(secret);
    } else if (kind == EnvCertificate) {
        const QString path = env(e, "AZURE_CLIENT_CERTIFICATE_PATH");
        if (!e.value(QStringLiteral("AZURE_CLIENT_CERTIFICATE_PASSWORD")).isEmpty()) {
            fail(QStringLiteral("AZURE_CLIENT_CERTIFICATE_PASSWORD is set, but "
                                "password-protected certificates are not supported yet. Use a "
                                "PEM file with the certificate and an unencrypted private key "
                                "(e.g. `openssl pkcs12 -in cert.pfx -nodes -out cert.pem`)."));
            return;
        }
        QFile file(path);
        if (!QFileInfo(path).isFile() || !file.open(QIODevice::ReadOnly)) {
            fail(QStringLiteral("the certificate file %1 (AZURE_CLIENT_CERTIFICATE_PATH) cannot "
                                "be read.")
                     .arg(path));
            return;
        }
        QByteArray pem = file.read(1024 * 1024);
        QString error;
        const QByteArray thumbprint =
            Jwt::certificateThumbprint(pem, QCryptographicHash::Sha1, &error);
        if (thumbprint.isEmpty()) {
            pem.fill('\0');
            fail(QStringLiteral("%1 (%2).").arg(error, path));
            return;
        }
        const qint64 t = QDateTime::currentSecsSinceEpoch();
        QJsonObject header{
            {QStringLiteral("alg"), QStringLiteral("RS256")},
            {QStringLiteral("typ"), QStringLiteral("JWT")},
            {QStringLiteral("x5t"), QString::fromLatin1(Jwt::base64Url(thumbprint))}};
        QJsonObject claims{
            {QStringLiteral("aud"), tokenUrl},
            {QStringLiteral("iss"), clientId},
            {QStringLiteral("sub"), clientId},
            {QStringLiteral("jti"), QUuid::createUuid().toString(QUuid::WithoutBraces)},
            {QStringLiteral("nbf"), t},
            {QStringLiteral("iat"), t},
            {QStringLiteral("exp"), t + kAssertionLifetimeSecs}};
        const QByteArray assertion = Jwt::signRs256(header, claims, pem, &error);
        pem.fill('\0');
        if (assertion.isEmpty()) {
            fail(QStringLiteral("%1 (%2).").arg(error, path));
            return;
        }
        request.form.append({QStringLiteral("client_assertion_type"), QLatin1String(kJwtBearer)});
        request.form.append({QStringLiteral("client_assertion"), QString::fromLatin1(assertion)});
        request.redact.append(QString::fromLatin1(assertion));
    } else {
        const QString path = env(e, "AZURE_FEDERATED_TOKEN_FILE");
        QFile file(path);
        if (!QFileInfo(path).isFile() || !file.open(QIODevice::ReadOnly)) {
            fail(QStringLiteral("the federated token file %1 (AZURE_FEDERATED_TOKEN_FILE) cannot "
                                "be read.")
                     .arg(path));
            return;
        }
        const QString token = QString::fromUtf8(file.read(1024 * 1024)).trimmed();
        if (token.isEmpty()) {
            fail(QStringLiteral("the federated token file %1 (AZURE_FEDERATED_TOKEN_FILE) is "
                                "empty.")
                     .arg(path));
            return;
        }
        request.form.append({QStringLiteral("client_assertion_type"), QLatin1String(kJwtBearer)});
        request.form.append({QStringLiteral("client_assertion"), token});
        request.redact.append(token);
    }
    request.form.append({QStringLiteral("grant_type"), QStringLiteral("client_credentials")});

    TokenHttp::send(entraNetwork(), request, this,
                    [this, run, fail, kind, source, tenant, clientId](const TokenHttpResult &r) {
                        if (!r.ok()) {
                            fail(sentence(r.error));
                            return;
                        }
                        ExpiringCredential c;
                        QString error;
                        if (!tokenFromAnswer(r, now(), &c, &error)) {
                            fail(error);
                            return;
                        }
                        run->done(tokenCredential(c, Kind(kind), source, tenant, clientId),
                                  QString());
                    });
}

void AzureCredentialProvider::requestAppService(const std::shared_ptr<Run> &run)
{
    const QProcessEnvironment &e = m_config.environment;
    const QString endpoint = env(e, "IDENTITY_ENDPOINT");
    const QString source = QStringLiteral("managed identity (App Service)");
    const auto fail = [run, source](const QString &why) {
        run->fail(QStringLiteral("Getting a Microsoft Entra ID token from %1 failed: %2")
                      .arg(source, why));
    };
    const QString problem = endpointProblem(QStringLiteral("IDENTITY_ENDPOINT"), endpoint, false);
    if (!problem.isEmpty()) {
        fail(problem);
        return;
    }
    const QString resource = resourceFromScope(m_config.scope);
    const QString clientId = env(e, "AZURE_CLIENT_ID");
    QUrl url(endpoint);
    QUrlQuery query(url);
    query.addQueryItem(QStringLiteral("api-version"), QLatin1String(kAppServiceApiVersion));
    query.addQueryItem(QStringLiteral("resource"),
                       QString::fromLatin1(QUrl::toPercentEncoding(resource)));
    if (!clientId.isEmpty())
        query.addQueryItem(QStringLiteral("client_id"),
                           QString::fromLatin1(QUrl::toPercentEncoding(clientId)));
    url.setQuery(query);

    const QByteArray secretHeader = e.value(QStringLiteral("IDENTITY_HEADER")).toUtf8();
    TokenHttpRequest request;
    request.url = url;
    request.method = QByteArrayLiteral("GET");
    request.headers.append({QByteArrayLiteral("X-IDENTITY-HEADER"), secretHeader});
    request.timeoutMs = m_config.requestTimeoutMs;
    request.maxBytes = kMaxAnswerBytes;
    request.redact.append(QString::fromUtf8(secretHeader));
    TokenHttp::send(
        metadataNetwork(), request, this,
        [this, run, fail, source, clientId](const TokenHttpResult &r) {
            if (!r.ok()) {
                fail(sentence(r.error));
                return;
            }
            ExpiringCredential c;
            QString error;
            if (!tokenFromAnswer(r, now(), &c, &error)) {
                fail(error);
                return;
            }
            const QString answeredClient = r.json.value(QLatin1String("client_id")).toString();
            run->done(tokenCredential(c, AppService, source, QString(),
                                      answeredClient.isEmpty() ? clientId : answeredClient),
                      QString());
        });
}

void AzureCredentialProvider::requestImds(const std::shared_ptr<Run> &run)
{
    const QProcessEnvironment &e = m_config.environment;
    QString variable;
    const QString base = imdsBase(e, &variable);
    const QString source = QStringLiteral("managed identity (IMDS)");
    const auto fail = [run, source](const QString &why) {
        run->fail(QStringLiteral("Getting a Microsoft Entra ID token from %1 failed: %2")
                      .arg(source, why));
    };
    if (!variable.isEmpty()) {
        const QString problem = endpointProblem(variable, base, true);
        if (!problem.isEmpty()) {
            fail(problem);
            return;
        }
    }
    const QString resource = resourceFromScope(m_config.scope);
    const QString clientId = env(e, "AZURE_CLIENT_ID");
    QUrl url(base + QLatin1String(kImdsPath));
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("api-version"), QLatin1String(kImdsApiVersion));
    query.addQueryItem(QStringLiteral("resource"),
                       QString::fromLatin1(QUrl::toPercentEncoding(resource)));
    if (!clientId.isEmpty())
        query.addQueryItem(QStringLiteral("client_id"),
                           QString::fromLatin1(QUrl::toPercentEncoding(clientId)));
    url.setQuery(query);

    TokenHttpRequest request;
    request.url = url;
    request.method = QByteArrayLiteral("GET");
    request.headers.append({QByteArrayLiteral("Metadata"), QByteArrayLiteral("true")});
    // The first request is the probe: an IMDS that is not there must not hold up the chain.
    request.timeoutMs = m_imdsAnswered ? m_config.requestTimeoutMs : m_config.probeTimeoutMs;
    request.maxBytes = kMaxAnswerBytes;
    TokenHttp::send(
        metadataNetwork(), request, this,
        [this, run, fail, source, clientId](const TokenHttpResult &r) {
            using F = TokenHttpResult::Failure;
            if (!r.ok()) {
                // Not there, or not Azure's (another cloud's metadata service answers 404), or
                // no identity assigned (400): unavailable, the next credential may apply.
                if (r.failure != F::Http || (r.status >= 400 && r.status < 500)) {
                    run->unavailable.append(QStringLiteral("%1: %2").arg(source, clause(r.error)));
                    step(run);
                    return;
                }
                fail(sentence(r.error));
                return;
            }
            ExpiringCredential c;
            QString error;
            if (!tokenFromAnswer(r, now(), &c, &error)) {
                fail(error);
                return;
            }
            m_imdsAnswered = true;
            const QString answeredClient = r.json.value(QLatin1String("client_id")).toString();
            run->done(tokenCredential(c, Imds, source, QString(),
                                      answeredClient.isEmpty() ? clientId : answeredClient),
                      QString());
        });
}

void AzureCredentialProvider::runAzureCli(const std::shared_ptr<Run> &run)
{
    const QProcessEnvironment &e = m_config.environment;
    const QString source = QStringLiteral("Azure CLI");
    const QString az = findAz(e);
    if (az.isEmpty()) {
        run->unavailable.append(QStringLiteral("Azure CLI not found on PATH"));
        step(run);
        return;
    }
    const auto fail = [run](const QString &why) {
        run->fail(QStringLiteral("Getting a Microsoft Entra ID token from the Azure CLI failed: %1")
                      .arg(why));
    };
    const QString resource = resourceFromScope(m_config.scope);
    if (!isValidResource(resource)) {
        fail(QStringLiteral("the scope is not valid for the Azure CLI (letters, digits and "
                            "\"_.:/-\" only)."));
        return;
    }
    const QString tenant = env(e, "AZURE_TENANT_ID");
    if (!tenant.isEmpty() && !isValidTenant(tenant)) {
        fail(QStringLiteral("AZURE_TENANT_ID is not a valid tenant id (letters, digits, '.' "
                            "and '-' only)."));
        return;
    }
    QStringList args = {az,
                        QStringLiteral("account"),
                        QStringLiteral("get-access-token"),
                        QStringLiteral("--output"),
                        QStringLiteral("json"),
                        QStringLiteral("--resource"),
                        resource};
    if (!tenant.isEmpty())
        args << QStringLiteral("--tenant") << tenant;
    QStringList quoted;
    for (const QString &a : std::as_const(args))
        quoted.append(shellQuote(a));

    auto *p = new HelperProcess(source, quoted.join(QLatin1Char(' ')), this);
    p->setEnvironment(e);
    // Not the current folder: nothing there may stand in for az's files.
    p->setWorkingDirectory(QDir::rootPath());
    p->setTimeoutMs(m_config.azTimeoutMs);
    p->setMaxOutputBytes(kMaxAnswerBytes);
    // Streamed only to find the "az login" line on standard error; standard output (the
    // token) is ignored here and read from the result.
    p->setStreamOutput(true);
    auto stderrLines = std::make_shared<QStringList>();
    connect(p, &HelperProcess::outputLine, this, [stderrLines](const QString &line, bool isStderr) {
        if (isStderr && stderrLines->size() < 50)
            stderrLines->append(line);
    });
    connect(p, &HelperProcess::finished, this,
            [this, p, run, fail, source, tenant, stderrLines](const HelperProcess::Result &r) {
                p->deleteLater();
                if (!r.ok) {
                    QString line;
                    if (!r.timedOut && !r.cancelled) {
                        for (const QString &l : std::as_const(*stderrLines)) {
                            if (l.contains(QLatin1String("az login"), Qt::CaseInsensitive)) {
                                line = l;
                                break;
                            }
                        }
                    }
                    fail(line.isEmpty() ? r.error : TokenHttp::cleanText(line.trimmed(), 300));
                    return;
                }
                const QJsonDocument doc = QJsonDocument::fromJson(r.output.toUtf8());
                const QJsonObject o = doc.object();
                const QString token = o.value(QLatin1String("accessToken")).toString();
                if (!doc.isObject() || token.isEmpty()) {
                    fail(QStringLiteral("`az account get-access-token` printed no accessToken."));
                    return;
                }
                qint64 seconds = 0;
                QDateTime expires;
                if (jsonSeconds(o.value(QLatin1String("expires_on")), &seconds) && seconds > 0)
                    expires = QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC);
                else
                    expires = parseAzLocalTime(o.value(QLatin1String("expiresOn")).toString());
                if (!expires.isValid()) {
                    fail(QStringLiteral("`az account get-access-token` printed no valid "
                                        "expires_on or expiresOn."));
                    return;
                }
                ExpiringCredential c;
                c.values.insert(QStringLiteral("accessToken"), token);
                c.expiresAt = expires;
                const QString answeredTenant = o.value(QLatin1String("tenant")).toString();
                run->done(tokenCredential(c, AzureCli, source,
                                          answeredTenant.isEmpty() ? tenant : answeredTenant,
                                          QString()),
                          QString());
            });
    p->start();
}

QString AzureCredentialProvider::staticSource(const Config &config, QString *why)
{
    const QProcessEnvironment &e = config.environment;
    const Selection s = selection(e);
    if (!s.error.isEmpty()) {
        *why = s.error;
        return QString();
    }
    if (s.environment) {
        QString source;
        if (environmentKind(config, &source) >= 0)
            return source;
    }
    if (s.workload && workloadConfigured(e))
        return QStringLiteral("workload identity");
    if (s.managed)
        return appServiceConfigured(e) ? QStringLiteral("managed identity (App Service)")
                                       : QStringLiteral("managed identity (IMDS)");
    if (s.cli) {
        if (!findAz(e).isEmpty())
            return QStringLiteral("Azure CLI");
        *why = s.restriction.isEmpty()
                   ? QStringLiteral("Azure CLI not found on PATH.")
                   : QStringLiteral("%1 allows only the Azure CLI, and it was not found on PATH.")
                         .arg(s.restriction);
        return QString();
    }
    if (s.environment)
        *why = QStringLiteral("%1 allows only the environment credential, but AZURE_TENANT_ID, "
                              "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or "
                              "AZURE_CLIENT_CERTIFICATE_PATH) are not all set.")
                   .arg(s.restriction);
    else
        *why = QStringLiteral("%1 allows only workload identity, but AZURE_FEDERATED_TOKEN_FILE, "
                              "AZURE_CLIENT_ID and AZURE_TENANT_ID are not all set.")
                   .arg(s.restriction);
    return QString();
}

QStringList AzureCredentialProvider::configurationProblems(const Config &config)
{
    const QProcessEnvironment &e = config.environment;
    QStringList problems;
    const Selection s = selection(e);
    if (!s.error.isEmpty())
        problems.append(s.error);
    if (!env(e, "AZURE_AUTHORITY_HOST").isEmpty()) {
        const QString p =
            endpointProblem(QStringLiteral("AZURE_AUTHORITY_HOST"), authorityHost(e), false);
        if (!p.isEmpty())
            problems.append(p);
    }
    if (appServiceConfigured(e)) {
        const QString p = endpointProblem(QStringLiteral("IDENTITY_ENDPOINT"),
                                          env(e, "IDENTITY_ENDPOINT"), false);
        if (!p.isEmpty())
            problems.append(p);
    }
    QString variable;
    const QString imds = imdsBase(e, &variable);
    if (!variable.isEmpty()) {
        const QString p = endpointProblem(variable, imds, true);
        if (!p.isEmpty())
            problems.append(p);
    }
    const QString tenant = env(e, "AZURE_TENANT_ID");
    if (!tenant.isEmpty() && !isValidTenant(tenant))
        problems.append(QStringLiteral("AZURE_TENANT_ID is not a valid tenant id (letters, "
                                       "digits, '.' and '-' only)."));
    const QString certificate = env(e, "AZURE_CLIENT_CERTIFICATE_PATH");
    if (!certificate.isEmpty() && !QFileInfo(certificate).isFile())
        problems.append(QStringLiteral("AZURE_CLIENT_CERTIFICATE_PATH names %1, which does not "
                                       "exist or is not a file.")
                            .arg(certificate));
    if (!certificate.isEmpty() &&
        !e.value(QStringLiteral("AZURE_CLIENT_CERTIFICATE_PASSWORD")).isEmpty())
        problems.append(QStringLiteral("AZURE_CLIENT_CERTIFICATE_PASSWORD is set, but "
                                       "password-protected certificates are not supported yet: "
                                       "use a PEM file with an unencrypted private key."));
    const QString federated = env(e, "AZURE_FEDERATED_TOKEN_FILE");
    if (!federated.isEmpty() && !QFileInfo(federated).isFile())
        problems.append(QStringLiteral("AZURE_FEDERATED_TOKEN_FILE names %1, which does not "
                                       "exist or is not a file.")
                            .arg(federated));
    const bool hasSecret = !e.value(QStringLiteral("AZURE_CLIENT_SECRET")).isEmpty();
    if ((hasSecret || !certificate.isEmpty()) &&
        (tenant.isEmpty() || env(e, "AZURE_CLIENT_ID").isEmpty()))
        problems.append(QStringLiteral("%1 is set, but AZURE_TENANT_ID and AZURE_CLIENT_ID are "
                                       "not both set, so it is not used.")
                            .arg(hasSecret ? QStringLiteral("AZURE_CLIENT_SECRET")
                                           : QStringLiteral("AZURE_CLIENT_CERTIFICATE_PATH")));
    return problems;
}

} // namespace qlaude
