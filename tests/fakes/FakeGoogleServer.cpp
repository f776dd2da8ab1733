#include "FakeGoogleServer.h"

#include "Jwt.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QRegularExpression>
#include <QTimer>

namespace qlaude::fakes {

namespace {

const char *const kScope = "https://www.googleapis.com/auth/cloud-platform";
const char *const kJwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const char *const kTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
const char *const kAccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
const char *const kMetadataTokenPath =
    "/computeMetadata/v1/instance/service-accounts/default/token";
const char *const kMetadataProjectPath = "/computeMetadata/v1/project/project-id";

const QRegularExpression &iamPath()
{
    static const QRegularExpression re(
        QStringLiteral("^/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken$"));
    return re;
}

QString decodeComponent(QByteArray s)
{
    s.replace('+', ' ');
    return QUrl::fromPercentEncoding(s);
}

// A form body: name -> value ('+' is a space); a name given twice keeps the first value and is
// reported in *duplicate.
QHash<QString, QString> decodeForm(const QByteArray &body, QString *duplicate)
{
    QHash<QString, QString> out;
    for (const QByteArray &part : body.split('&')) {
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        const QString name = decodeComponent(eq < 0 ? part : part.left(eq));
        if (out.contains(name)) {
            *duplicate = name;
            continue;
        }
        out.insert(name, eq < 0 ? QString() : decodeComponent(part.mid(eq + 1)));
    }
    return out;
}

bool isMetadata(FakeGoogleServer::Route route)
{
    return route == FakeGoogleServer::Route::MetadataToken ||
           route == FakeGoogleServer::Route::MetadataProject;
}

} // namespace

FakeGoogleServer::FakeGoogleServer(QObject *parent) : FakeServerBase(parent) {}

FakeGoogleServer::~FakeGoogleServer() = default;

void FakeGoogleServer::setServiceAccount(const QString &email, const QByteArray &publicKeyPem,
                                         const QString &keyId)
{
    m_email = email;
    m_publicKey = publicKeyPem;
    m_keyId = keyId;
}

void FakeGoogleServer::setAuthorizedUser(const QString &clientId, const QString &clientSecret,
                                         const QString &refreshToken)
{
    m_clientId = clientId;
    m_clientSecret = clientSecret;
    m_refreshToken = refreshToken;
}

void FakeGoogleServer::setExternalAccount(const QString &audience, const QString &subjectTokenType,
                                          const QString &subjectToken)
{
    m_audience = audience;
    m_subjectTokenType = subjectTokenType;
    m_subjectToken = subjectToken;
}

QUrl FakeGoogleServer::tokenUrl() const
{
    return QUrl(baseUrl().toString() + QStringLiteral("/token"));
}

QUrl FakeGoogleServer::stsUrl() const
{
    return QUrl(baseUrl().toString() + QStringLiteral("/v1/token"));
}

QUrl FakeGoogleServer::iamUrl(const QString &email) const
{
    return QUrl(baseUrl().toString() + QStringLiteral("/v1/projects/-/serviceAccounts/") + email +
                QStringLiteral(":generateAccessToken"));
}

QUrl FakeGoogleServer::subjectTokenUrl() const
{
    return QUrl(baseUrl().toString() + QStringLiteral("/subject-token"));
}

QString FakeGoogleServer::metadataHost() const
{
    return QStringLiteral("127.0.0.1:%1").arg(port());
}

FakeGoogleServer::Route FakeGoogleServer::routeOf(const QString &method, const QString &path)
{
    const bool post = method == QLatin1String("POST");
    const bool get = method == QLatin1String("GET");
    if (post && path == QLatin1String("/token"))
        return Route::Token;
    if (post && path == QLatin1String("/v1/token"))
        return Route::Sts;
    if (post && iamPath().match(path).hasMatch())
        return Route::Iam;
    if (get && path == QLatin1String(kMetadataTokenPath))
        return Route::MetadataToken;
    if (get && path == QLatin1String(kMetadataProjectPath))
        return Route::MetadataProject;
    if (get && path == QLatin1String("/subject-token"))
        return Route::SubjectToken;
    return Route::Unknown;
}

void FakeGoogleServer::handleRequest(FakeHttpConnection *connection, const HttpRequest &request)
{
    m_requests.append(makeRecord(connection, request));
    const Route route = routeOf(QString::fromLatin1(request.method), request.path);
    m_counts[int(route)] += 1;

    Answer a;
    Fault f = m_sticky.value(int(route), Fault::None);
    QList<Fault> &queue = m_faults[int(route)];
    if (!queue.isEmpty())
        f = queue.takeFirst();
    if (isMetadata(route) && m_silent)
        f = Fault::Hang;
    if (f != Fault::None) {
        a = fault(f, request);
    } else {
        switch (route) {
        case Route::Token:
            a = token(request);
            break;
        case Route::Sts:
            a = sts(request);
            break;
        case Route::Iam:
            a = iam(request);
            break;
        case Route::MetadataToken:
            a = metadataToken(request);
            break;
        case Route::MetadataProject:
            a = metadataProject(request);
            break;
        case Route::SubjectToken:
            a = subjectToken(request);
            break;
        case Route::Unknown:
            m_refusals.append(QStringLiteral("unknown route %1 %2")
                                  .arg(QString::fromLatin1(request.method), request.path));
            a = googleError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("Not found"));
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
        plan.body = a.body;
        plan.headers.append({QByteArrayLiteral("content-type"), a.contentType});
        plan.headers.append({QByteArrayLiteral("cache-control"), QByteArrayLiteral("no-store")});
        if (isMetadata(route) && m_flavor) {
            plan.headers.append(
                {QByteArrayLiteral("Metadata-Flavor"), QByteArrayLiteral("Google")});
            plan.headers.append(
                {QByteArrayLiteral("Server"), QByteArrayLiteral("Metadata Server for VM")});
        }
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

FakeGoogleServer::Answer FakeGoogleServer::fault(Fault f, const HttpRequest &request) const
{
    Answer a;
    switch (f) {
    case Fault::None:
        break;
    case Fault::InvalidGrant: {
        // What it was sent, echoed back: a careless server does this, and no error may show it.
        QString echo;
        QString duplicate;
        const QHash<QString, QString> form = decodeForm(request.body, &duplicate);
        for (const char *key : {"assertion", "refresh_token", "subject_token"}) {
            if (form.contains(QLatin1String(key)))
                echo = form.value(QLatin1String(key));
        }
        if (echo.isEmpty())
            echo = QString::fromLatin1(request.header("authorization"));
        a.status = 400;
        a.body =
            QJsonDocument(QJsonObject{{QStringLiteral("error"), QStringLiteral("invalid_grant")},
                                      {QStringLiteral("error_description"),
                                       QStringLiteral("Bad grant %1").arg(echo)}})
                .toJson(QJsonDocument::Compact);
        break;
    }
    case Fault::ServerError:
        a.status = 500;
        a.body =
            QJsonDocument(
                QJsonObject{{QStringLiteral("error"),
                             QJsonObject{{QStringLiteral("code"), 500},
                                         {QStringLiteral("message"),
                                          QStringLiteral("Internal error encountered.")},
                                         {QStringLiteral("status"), QStringLiteral("INTERNAL")}}}})
                .toJson(QJsonDocument::Compact);
        break;
    case Fault::Hang:
        a.hang = true;
        break;
    }
    return a;
}

FakeGoogleServer::Answer FakeGoogleServer::oauthError(int status, const QString &error,
                                                      const QString &description)
{
    m_refusals.append(error + QStringLiteral(": ") + description);
    Answer a;
    a.status = status;
    a.body = QJsonDocument(QJsonObject{{QStringLiteral("error"), error},
                                       {QStringLiteral("error_description"), description}})
                 .toJson(QJsonDocument::Compact);
    return a;
}

FakeGoogleServer::Answer FakeGoogleServer::googleError(int status, const QString &statusName,
                                                       const QString &message)
{
    m_refusals.append(statusName + QStringLiteral(": ") + message);
    Answer a;
    a.status = status;
    a.body = QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                        QJsonObject{{QStringLiteral("code"), status},
                                                    {QStringLiteral("message"), message},
                                                    {QStringLiteral("status"), statusName}}}})
                 .toJson(QJsonDocument::Compact);
    return a;
}

QString FakeGoogleServer::issue(Route route)
{
    ++m_counter;
    const char *kind = route == Route::Sts   ? "sts"
                       : route == Route::Iam ? "iam"
                       : isMetadata(route)   ? "gce"
                                             : "oauth";
    const QString token =
        QStringLiteral("ya29.qltSECRET-%1-%2").arg(QLatin1String(kind)).arg(m_counter);
    m_issued.append(token);
    m_issuedBy.insert(token, route);
    return token;
}

FakeGoogleServer::Answer FakeGoogleServer::issueOAuth(Route route)
{
    Answer a;
    QJsonObject o{{QStringLiteral("access_token"), issue(route)},
                  {QStringLiteral("expires_in"), m_lifetime},
                  {QStringLiteral("token_type"), QStringLiteral("Bearer")}};
    if (route == Route::Sts)
        o.insert(QStringLiteral("issued_token_type"), QLatin1String(kAccessTokenType));
    a.body = QJsonDocument(o).toJson(QJsonDocument::Compact);
    return a;
}

FakeGoogleServer::Answer FakeGoogleServer::token(const HttpRequest &request)
{
    if (!request.header("content-type").toLower().startsWith("application/x-www-form-urlencoded"))
        return oauthError(400, QStringLiteral("invalid_request"),
                          QStringLiteral("Content-Type must be "
                                         "application/x-www-form-urlencoded"));
    QString duplicate;
    const QHash<QString, QString> form = decodeForm(request.body, &duplicate);
    if (!duplicate.isEmpty())
        return oauthError(400, QStringLiteral("invalid_request"),
                          QStringLiteral("%1 appears twice").arg(duplicate));
    const QString grant = form.value(QStringLiteral("grant_type"));
    if (grant == QLatin1String(kJwtBearer))
        return jwtGrant(request, form.value(QStringLiteral("assertion")));
    if (grant == QLatin1String("refresh_token")) {
        if (m_clientId.isEmpty() || form.value(QStringLiteral("client_id")) != m_clientId ||
            form.value(QStringLiteral("client_secret")) != m_clientSecret)
            return oauthError(401, QStringLiteral("invalid_client"),
                              QStringLiteral("The OAuth client was not found."));
        if (form.value(QStringLiteral("refresh_token")) != m_refreshToken)
            return oauthError(400, QStringLiteral("invalid_grant"),
                              QStringLiteral("Token has been expired or revoked."));
        return issueOAuth(Route::Token);
    }
    return oauthError(400, QStringLiteral("unsupported_grant_type"),
                      QStringLiteral("Invalid grant_type: %1").arg(grant));
}

FakeGoogleServer::Answer FakeGoogleServer::jwtGrant(const HttpRequest &request,
                                                    const QString &assertion)
{
    if (m_publicKey.isEmpty())
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("No service account is configured."));
    QJsonObject header;
    QJsonObject claims;
    QString error;
    if (!Jwt::verifyRs256(assertion.toLatin1(), m_publicKey, &header, &claims, &error))
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT Signature."));
    if (header.value(QLatin1String("alg")).toString() != QLatin1String("RS256") ||
        header.value(QLatin1String("typ")).toString() != QLatin1String("JWT"))
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT header: alg must be RS256, typ JWT."));
    if (!m_keyId.isEmpty() && header.value(QLatin1String("kid")).toString() != m_keyId)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT: kid does not name this key."));
    if (claims.value(QLatin1String("iss")).toString() != m_email)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT: iss is not the service account."));
    if (claims.value(QLatin1String("scope")).toString() != QLatin1String(kScope))
        return oauthError(400, QStringLiteral("invalid_scope"),
                          QStringLiteral("Invalid JWT: scope must be cloud-platform."));
    const QString sentTo = baseUrl().toString() + request.path;
    if (claims.value(QLatin1String("aud")).toString() != sentTo)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT: aud is not the token endpoint it was "
                                         "sent to."));
    const QJsonValue iat = claims.value(QLatin1String("iat"));
    const QJsonValue exp = claims.value(QLatin1String("exp"));
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (!iat.isDouble() || !exp.isDouble() || exp.toInteger() - iat.toInteger() != 3600 ||
        qAbs(iat.toInteger() - now) > 120)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT: Token must be a short-lived token (60 "
                                         "minutes) and in a reasonable timeframe. Check your iat "
                                         "and exp values in the JWT claim."));
    m_assertionHeader = header;
    m_assertionClaims = claims;
    ++m_verifiedAssertions;
    return issueOAuth(Route::Token);
}

FakeGoogleServer::Answer FakeGoogleServer::sts(const HttpRequest &request)
{
    QString duplicate;
    const QHash<QString, QString> form = decodeForm(request.body, &duplicate);
    const auto bad = [this](const QString &what) {
        return oauthError(400, QStringLiteral("invalid_request"), what);
    };
    if (!duplicate.isEmpty())
        return bad(QStringLiteral("%1 appears twice").arg(duplicate));
    if (form.value(QStringLiteral("grant_type")) != QLatin1String(kTokenExchange))
        return bad(QStringLiteral("grant_type must be token-exchange"));
    if (form.value(QStringLiteral("requested_token_type")) != QLatin1String(kAccessTokenType))
        return bad(QStringLiteral("requested_token_type must be access_token"));
    if (form.value(QStringLiteral("scope")) != QLatin1String(kScope))
        return oauthError(400, QStringLiteral("invalid_scope"),
                          QStringLiteral("scope must be cloud-platform"));
    if (m_audience.isEmpty() || form.value(QStringLiteral("audience")) != m_audience)
        return oauthError(400, QStringLiteral("invalid_target"),
                          QStringLiteral("The target service indicated by the \"audience\" "
                                         "parameters is invalid."));
    if (form.value(QStringLiteral("subject_token_type")) != m_subjectTokenType)
        return bad(QStringLiteral("subject_token_type is not the expected one"));
    if (form.value(QStringLiteral("subject_token")) != m_subjectToken)
        return oauthError(400, QStringLiteral("invalid_grant"),
                          QStringLiteral("The subject token is invalid."));
    return issueOAuth(Route::Sts);
}

FakeGoogleServer::Answer FakeGoogleServer::iam(const HttpRequest &request)
{
    const QString email = iamPath().match(request.path).captured(1);
    const QByteArray auth = request.header("authorization");
    const QString bearer =
        auth.startsWith("Bearer ") ? QString::fromLatin1(auth.mid(7)).trimmed() : QString();
    const auto it = m_issuedBy.constFind(bearer);
    if (bearer.isEmpty() || it == m_issuedBy.constEnd() ||
        (*it != Route::Token && *it != Route::Sts))
        return googleError(401, QStringLiteral("UNAUTHENTICATED"),
                           QStringLiteral("Request had invalid authentication credentials."));
    if (m_target.isEmpty() || email != m_target)
        return googleError(403, QStringLiteral("PERMISSION_DENIED"),
                           QStringLiteral("Permission 'iam.serviceAccounts.getAccessToken' denied "
                                          "on resource (or it may not exist)."));
    const QJsonDocument doc = QJsonDocument::fromJson(request.body);
    const QJsonArray scope = doc.object().value(QLatin1String("scope")).toArray();
    if (!request.header("content-type").toLower().startsWith("application/json") ||
        !scope.contains(QJsonValue(QLatin1String(kScope))))
        return googleError(400, QStringLiteral("INVALID_ARGUMENT"),
                           QStringLiteral("Scope required: cloud-platform."));
    m_lastIamBearer = *it;
    Answer a;
    const QString expires = QDateTime::currentDateTimeUtc()
                                .addSecs(m_lifetime)
                                .toString(QStringLiteral("yyyy-MM-dd'T'HH:mm:ss.zzz'123Z'"));
    a.body = QJsonDocument(QJsonObject{{QStringLiteral("accessToken"), issue(Route::Iam)},
                                       {QStringLiteral("expireTime"), expires}})
                 .toJson(QJsonDocument::Compact);
    return a;
}

FakeGoogleServer::Answer FakeGoogleServer::metadataToken(const HttpRequest &request)
{
    if (request.header("metadata-flavor") != "Google") {
        m_refusals.append(QStringLiteral("metadata request without Metadata-Flavor: Google"));
        Answer a;
        a.status = 403;
        a.contentType = QByteArrayLiteral("text/html; charset=UTF-8");
        a.body = QByteArrayLiteral("Missing Metadata-Flavor:Google header.");
        return a;
    }
    const QString scopes =
        request.query.queryItemValue(QStringLiteral("scopes"), QUrl::FullyDecoded);
    if (!scopes.split(QLatin1Char(',')).contains(QLatin1String(kScope)))
        return googleError(400, QStringLiteral("INVALID_ARGUMENT"),
                           QStringLiteral("scopes must include cloud-platform"));
    return issueOAuth(Route::MetadataToken);
}

FakeGoogleServer::Answer FakeGoogleServer::metadataProject(const HttpRequest &request)
{
    Answer a;
    a.contentType = QByteArrayLiteral("application/text");
    if (request.header("metadata-flavor") != "Google") {
        m_refusals.append(QStringLiteral("metadata request without Metadata-Flavor: Google"));
        a.status = 403;
        a.body = QByteArrayLiteral("Missing Metadata-Flavor:Google header.");
        return a;
    }
    if (m_project.isEmpty()) {
        a.status = 404;
        a.body = QByteArrayLiteral("Not Found");
        return a;
    }
    a.body = m_project.toUtf8();
    return a;
}

FakeGoogleServer::Answer FakeGoogleServer::subjectToken(const HttpRequest &request)
{
    if (!m_subjectHeader.first.isEmpty() &&
        request.header(m_subjectHeader.first) != m_subjectHeader.second)
        return googleError(401, QStringLiteral("UNAUTHENTICATED"),
                           QStringLiteral("The required header is missing."));
    Answer a;
    a.contentType = m_subjectType;
    a.body = m_subjectBody;
    return a;
}

} // namespace qlaude::fakes
