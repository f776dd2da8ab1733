#include "FakeEntraServer.h"

#include "Jwt.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>
#include <QUrlQuery>

namespace qlaude::fakes {

namespace {

const char *const kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const char *const kAppServicePath = "/msi/token";
const char *const kImdsPath = "/metadata/identity/oauth2/token";

QString formValue(const QUrlQuery &form, const char *name)
{
    return form.queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
}

} // namespace

FakeEntraServer::FakeEntraServer(QObject *parent) : FakeServerBase(parent) {}

FakeEntraServer::~FakeEntraServer() = default;

QUrl FakeEntraServer::tokenUrl() const
{
    QUrl url = baseUrl();
    url.setPath(QLatin1Char('/') + m_tenant + QStringLiteral("/oauth2/v2.0/token"));
    return url;
}

QUrl FakeEntraServer::appServiceUrl() const
{
    QUrl url = baseUrl();
    url.setPath(QLatin1String(kAppServicePath));
    return url;
}

FakeEntraServer::Route FakeEntraServer::routeOf(const QString &path)
{
    if (path == QLatin1String(kAppServicePath))
        return Route::AppService;
    if (path == QLatin1String(kImdsPath))
        return Route::Imds;
    const QStringList parts = path.split(QLatin1Char('/'));
    if (parts.size() == 5 && parts.at(0).isEmpty() && !parts.at(1).isEmpty() &&
        parts.at(2) == QLatin1String("oauth2") && parts.at(3) == QLatin1String("v2.0") &&
        parts.at(4) == QLatin1String("token"))
        return Route::Token;
    return Route::Unknown;
}

void FakeEntraServer::handleRequest(FakeHttpConnection *connection, const HttpRequest &request)
{
    m_requests.append(makeRecord(connection, request));
    const Route route = routeOf(request.path);
    m_counts[int(route)] += 1;

    Answer a;
    Fault f = m_sticky.value(int(route), Fault::None);
    QList<Fault> &queue = m_faults[int(route)];
    if (!queue.isEmpty())
        f = queue.takeFirst();
    if (f != Fault::None) {
        a = fault(f);
    } else {
        switch (route) {
        case Route::Token:
            a = token(request);
            break;
        case Route::AppService:
            a = appService(request);
            break;
        case Route::Imds:
            a = imds(request);
            break;
        case Route::Unknown:
            m_refusals.append(QStringLiteral("unknown path %1").arg(request.path));
            a.status = 404;
            a.json = QJsonObject{{QStringLiteral("error"), QStringLiteral("not_found")}};
            break;
        }
    }
    m_requests.last().responseStatus = a.hang ? 0 : a.status;

    HttpResponsePlan plan;
    if (a.hang) {
        plan.sendHead = false;
        plan.interruption = HttpResponsePlan::Interruption::Stall;
    } else {
        plan.status = a.status;
        plan.body = QJsonDocument(a.json).toJson(QJsonDocument::Compact);
        plan.headers.append({QByteArrayLiteral("content-type"),
                             QByteArrayLiteral("application/json; charset=utf-8")});
        plan.headers.append({QByteArrayLiteral("cache-control"), QByteArrayLiteral("no-store")});
    }
    emit requestHandled(route, a.hang ? 0 : a.status);
    const QPointer<FakeHttpConnection> alive(connection);
    auto send = [alive, plan] {
        if (alive)
            alive->respond(plan, FakeHttpConnection::WriteOptions());
    };
    if (m_delayMs > 0)
        QTimer::singleShot(m_delayMs, this, send);
    else
        send();
}

FakeEntraServer::Answer FakeEntraServer::fault(Fault f) const
{
    Answer a;
    switch (f) {
    case Fault::None:
        break;
    case Fault::BadRequest:
        a.status = 400;
        a.json = {{QStringLiteral("error"), QStringLiteral("invalid_request")},
                  {QStringLiteral("error_description"),
                   QStringLiteral("AADSTS90002: Tenant not found. Check the tenant id.")}};
        break;
    case Fault::InvalidClient:
        a.status = 401;
        a.json = {{QStringLiteral("error"), QStringLiteral("invalid_client")},
                  {QStringLiteral("error_description"),
                   QStringLiteral("AADSTS7000215: Invalid client secret provided.")}};
        break;
    case Fault::ServerError:
        a.status = 500;
        a.json = {{QStringLiteral("error"), QStringLiteral("server_error")},
                  {QStringLiteral("error_description"),
                   QStringLiteral("AADSTS90033: A transient error has occurred.")}};
        break;
    case Fault::Hang:
        a.hang = true;
        break;
    case Fault::SuccessWithoutToken:
        a.json = {{QStringLiteral("token_type"), QStringLiteral("Bearer")},
                  {QStringLiteral("note"), QStringLiteral("body-qltSECRET-not-a-token")}};
        break;
    }
    return a;
}

FakeEntraServer::Answer FakeEntraServer::entraError(int status, const QString &error,
                                                    const QString &description)
{
    m_refusals.append(description);
    Answer a;
    a.status = status;
    a.json = {{QStringLiteral("error"), error},
              {QStringLiteral("error_description"), description},
              {QStringLiteral("error_codes"), QJsonArray()},
              {QStringLiteral("timestamp"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}};
    return a;
}

FakeEntraServer::Answer FakeEntraServer::issue(Route route)
{
    const QString token = QStringLiteral("entra-%1-qltSECRET-%2-%3")
                              .arg(int(route))
                              .arg(++m_counter)
                              .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
    m_issued.append(token);
    const qint64 expiresOn = QDateTime::currentSecsSinceEpoch() + m_lifetime;
    Answer a;
    if (route == Route::Token) {
        a.json = {{QStringLiteral("token_type"), QStringLiteral("Bearer")},
                  {QStringLiteral("expires_in"), m_lifetime},
                  {QStringLiteral("ext_expires_in"), m_lifetime},
                  {QStringLiteral("access_token"), token}};
    } else if (route == Route::AppService) {
        a.json = {{QStringLiteral("access_token"), token},
                  {QStringLiteral("expires_on"), QString::number(expiresOn)},
                  {QStringLiteral("resource"), m_scope},
                  {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                  {QStringLiteral("client_id"), m_managedClientId.isEmpty()
                                                    ? QStringLiteral("fake-managed-client")
                                                    : m_managedClientId}};
    } else {
        a.json = {
            {QStringLiteral("access_token"), token},
            {QStringLiteral("client_id"), m_managedClientId.isEmpty()
                                              ? QStringLiteral("fake-managed-client")
                                              : m_managedClientId},
            {QStringLiteral("expires_in"), QString::number(m_lifetime)},
            {QStringLiteral("expires_on"), QString::number(expiresOn)},
            {QStringLiteral("ext_expires_in"), QString::number(m_lifetime)},
            {QStringLiteral("not_before"), QString::number(QDateTime::currentSecsSinceEpoch())},
            {QStringLiteral("resource"), m_scope},
            {QStringLiteral("token_type"), QStringLiteral("Bearer")}};
    }
    return a;
}

FakeEntraServer::Answer FakeEntraServer::token(const HttpRequest &request)
{
    if (request.method != "POST")
        return entraError(405, QStringLiteral("invalid_request"),
                          QStringLiteral("AADSTS900561: The endpoint only accepts POST requests."));
    if (!request.header("content-type").startsWith("application/x-www-form-urlencoded"))
        return entraError(400, QStringLiteral("invalid_request"),
                          QStringLiteral("AADSTS900144: the body must be form-encoded"));
    const QString tenant = request.path.section(QLatin1Char('/'), 1, 1);
    if (tenant != m_tenant)
        return entraError(400, QStringLiteral("invalid_request"),
                          QStringLiteral("AADSTS90002: Tenant '%1' not found.").arg(tenant));
    const QUrlQuery form(QString::fromUtf8(request.body));
    if (formValue(form, "grant_type") != QLatin1String("client_credentials"))
        return entraError(400, QStringLiteral("unsupported_grant_type"),
                          QStringLiteral("AADSTS70003: grant_type must be client_credentials"));
    if (formValue(form, "client_id") != m_clientId)
        return entraError(400, QStringLiteral("unauthorized_client"),
                          QStringLiteral("AADSTS700016: Application with identifier '%1' was not "
                                         "found in the directory.")
                              .arg(formValue(form, "client_id")));
    if (formValue(form, "scope") != m_scope + QStringLiteral("/.default"))
        return entraError(400, QStringLiteral("invalid_scope"),
                          QStringLiteral("AADSTS70011: The provided value for the input parameter "
                                         "'scope' is not valid."));
    const bool hasSecret = form.hasQueryItem(QStringLiteral("client_secret"));
    const bool hasAssertion = form.hasQueryItem(QStringLiteral("client_assertion"));
    if (hasSecret == hasAssertion)
        return entraError(400, QStringLiteral("invalid_request"),
                          QStringLiteral("AADSTS900144: exactly one of client_secret and "
                                         "client_assertion is required"));
    if (hasSecret) {
        if (m_secret.isEmpty() || formValue(form, "client_secret") != m_secret)
            return entraError(401, QStringLiteral("invalid_client"),
                              QStringLiteral("AADSTS7000215: Invalid client secret provided. "
                                             "Ensure the secret being sent in the request is the "
                                             "client secret value, not the client secret ID."));
        return issue(Route::Token);
    }
    if (formValue(form, "client_assertion_type") != QLatin1String(kJwtBearer))
        return entraError(400, QStringLiteral("invalid_request"),
                          QStringLiteral("AADSTS50027: client_assertion_type must be jwt-bearer"));
    const QString assertion = formValue(form, "client_assertion");
    if (!m_federated.isEmpty() && assertion == m_federated)
        return issue(Route::Token);
    const Answer checked = checkAssertion(assertion, tenant);
    if (checked.status != 200)
        return checked;
    ++m_verifiedAssertions;
    return issue(Route::Token);
}

FakeEntraServer::Answer FakeEntraServer::checkAssertion(const QString &assertion,
                                                        const QString &tenant)
{
    const auto refuse = [this](const QString &why) {
        return entraError(401, QStringLiteral("invalid_client"),
                          QStringLiteral("AADSTS700027: Client assertion failed: %1").arg(why));
    };
    if (m_certificate.isEmpty())
        return m_federated.isEmpty()
                   ? refuse(QStringLiteral("no certificate is registered"))
                   : entraError(401, QStringLiteral("invalid_client"),
                                QStringLiteral("AADSTS70021: No matching federated identity "
                                               "record found for presented assertion."));
    QJsonObject header;
    QJsonObject claims;
    QString error;
    if (!Jwt::verifyRs256(assertion.toLatin1(), m_certificate, &header, &claims, &error))
        return refuse(error);
    QString thumbError;
    const QByteArray x5t = Jwt::base64Url(
        Jwt::certificateThumbprint(m_certificate, QCryptographicHash::Sha1, &thumbError));
    if (header.value(QLatin1String("x5t")).toString().toLatin1() != x5t)
        return refuse(QStringLiteral("x5t is not the certificate's SHA-1 thumbprint"));
    if (header.value(QLatin1String("typ")).toString() != QLatin1String("JWT"))
        return refuse(QStringLiteral("typ is not JWT"));
    QUrl aud = baseUrl();
    aud.setPath(QLatin1Char('/') + tenant + QStringLiteral("/oauth2/v2.0/token"));
    if (claims.value(QLatin1String("aud")).toString() != aud.toString())
        return refuse(QStringLiteral("aud is not the token endpoint"));
    if (claims.value(QLatin1String("iss")).toString() != m_clientId ||
        claims.value(QLatin1String("sub")).toString() != m_clientId)
        return refuse(QStringLiteral("iss and sub must be the client id"));
    if (claims.value(QLatin1String("jti")).toString().isEmpty())
        return refuse(QStringLiteral("no jti"));
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const qint64 iat = qint64(claims.value(QLatin1String("iat")).toDouble());
    const qint64 nbf = qint64(claims.value(QLatin1String("nbf")).toDouble());
    const qint64 exp = qint64(claims.value(QLatin1String("exp")).toDouble());
    if (iat <= 0 || nbf <= 0 || iat > now + 60 || nbf > now + 60)
        return refuse(QStringLiteral("iat or nbf is missing or in the future"));
    if (exp <= now || exp - iat > 600)
        return refuse(QStringLiteral("exp is in the past or more than 10 minutes after iat"));
    m_assertionHeader = header;
    m_assertionClaims = claims;
    Answer ok;
    return ok;
}

FakeEntraServer::Answer FakeEntraServer::checkManagedQuery(const HttpRequest &request,
                                                           const char *apiVersion)
{
    const auto refuse = [this](const QString &why) {
        m_refusals.append(why);
        Answer a;
        a.status = 400;
        a.json = {{QStringLiteral("error"), QStringLiteral("invalid_request")},
                  {QStringLiteral("error_description"), why}};
        return a;
    };
    if (request.method != "GET")
        return refuse(QStringLiteral("use GET"));
    const QString version =
        request.query.queryItemValue(QStringLiteral("api-version"), QUrl::FullyDecoded);
    if (version != QLatin1String(apiVersion))
        return refuse(QStringLiteral("Invalid api-version '%1'").arg(version));
    const QString resource =
        request.query.queryItemValue(QStringLiteral("resource"), QUrl::FullyDecoded);
    if (resource != m_scope)
        return refuse(QStringLiteral("Invalid resource '%1'").arg(resource));
    const QString clientId =
        request.query.queryItemValue(QStringLiteral("client_id"), QUrl::FullyDecoded);
    if (!m_managedClientId.isEmpty() && clientId != m_managedClientId)
        return refuse(QStringLiteral("Identity not found"));
    Answer ok;
    return ok;
}

FakeEntraServer::Answer FakeEntraServer::appService(const HttpRequest &request)
{
    if (m_identityHeader.isEmpty() || request.header("x-identity-header") != m_identityHeader) {
        m_refusals.append(QStringLiteral("X-IDENTITY-HEADER missing or wrong"));
        Answer a;
        a.status = 401;
        a.json = {
            {QStringLiteral("statusCode"), 401},
            {QStringLiteral("message"), QStringLiteral("Unauthorized: bad X-IDENTITY-HEADER")}};
        return a;
    }
    const Answer checked = checkManagedQuery(request, "2019-08-01");
    return checked.status != 200 ? checked : issue(Route::AppService);
}

FakeEntraServer::Answer FakeEntraServer::imds(const HttpRequest &request)
{
    if (request.header("metadata") != "true") {
        m_refusals.append(QStringLiteral("Required metadata header not specified"));
        Answer a;
        a.status = 400;
        a.json = {{QStringLiteral("error"), QStringLiteral("invalid_request")},
                  {QStringLiteral("error_description"),
                   QStringLiteral("Required metadata header not specified")}};
        return a;
    }
    const Answer checked = checkManagedQuery(request, "2018-02-01");
    return checked.status != 200 ? checked : issue(Route::Imds);
}

} // namespace qlaude::fakes
