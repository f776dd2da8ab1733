#pragma once

#include "FakeServerBase.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace qlaude::fakes {

// Google's credential endpoints on 127.0.0.1 (PROTOCOLS.md §3.3), one server routed by path:
// - Token: POST /token (a key file's token_uri), form bodies. grant_type jwt-bearer: the
//   assertion is verified with the service account's PUBLIC key (Jwt::verifyRs256); header alg
//   RS256, typ JWT, kid the expected key id when one is set; claims iss the expected
//   client_email, scope cloud-platform, aud the URL the request was sent to, exp - iat == 3600,
//   iat within 2 minutes of now. grant_type refresh_token: client_id, client_secret and
//   refresh_token must be the expected ones. Answers {"access_token","expires_in","token_type"}.
// - Sts: POST /v1/token (token_url), the token exchange: grant_type token-exchange,
//   requested_token_type access_token, the expected subject_token_type, subject_token and
//   audience, scope cloud-platform. Answers like STS.
// - Iam: POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken with
//   "Authorization: Bearer <a token this fake issued on Token or Sts>" and {"scope":[...]} with
//   cloud-platform; <email> must be the impersonation target. Answers {"accessToken",
//   "expireTime"} (RFC 3339).
// - MetadataToken: GET /computeMetadata/v1/instance/service-accounts/default/token
//   ?scopes=<cloud-platform> and MetadataProject: GET /computeMetadata/v1/project/project-id
//   (point GCE_METADATA_HOST at metadataHost()). Both need "Metadata-Flavor: Google" and answer
//   with it, unless setMetadataFlavorInAnswers(false); setMetadataSilent(true) makes them never
//   answer.
// - SubjectToken: GET /subject-token (an external account's credential_source.url): the
//   configured answer, after checking a required header when one is set.
// Refused requests get OAuth or Google error JSON and are listed in refusals(). Every token it
// issues contains "qltSECRET" (so the leak check finds it). Every request is recorded.
class FakeGoogleServer : public FakeServerBase
{
    Q_OBJECT
    Q_DISABLE_COPY(FakeGoogleServer)

public:
    enum class Route
    {
        Token,
        Sts,
        Iam,
        MetadataToken,
        MetadataProject,
        SubjectToken,
        Unknown
    };
    enum class Fault
    {
        None,
        // 400 {"error":"invalid_grant","error_description":"... <the secret it was sent>"}: the
        // description echoes the assertion, refresh token or subject token, to test redaction.
        InvalidGrant,
        ServerError, // 500 {"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}
        Hang         // never answers (the connection stays open)
    };

    explicit FakeGoogleServer(QObject *parent = nullptr);
    ~FakeGoogleServer() override;

    // Token route: the service account (its public key verifies assertions), and the
    // authorized user.
    void setServiceAccount(const QString &email, const QByteArray &publicKeyPem,
                           const QString &keyId = QString());
    void setAuthorizedUser(const QString &clientId, const QString &clientSecret,
                           const QString &refreshToken);
    // Sts route.
    void setExternalAccount(const QString &audience, const QString &subjectTokenType,
                            const QString &subjectToken);
    // Iam route.
    void setImpersonationTarget(const QString &email) { m_target = email; }
    // Metadata routes.
    void setMetadataFlavorInAnswers(bool send) { m_flavor = send; }
    void setMetadataSilent(bool silent) { m_silent = silent; }
    void setProjectId(const QString &project) { m_project = project; } // empty: 404
    // SubjectToken route.
    void setSubjectTokenAnswer(const QByteArray &contentType, const QByteArray &body)
    {
        m_subjectType = contentType;
        m_subjectBody = body;
    }
    void setRequiredSubjectHeader(const QByteArray &name, const QByteArray &value)
    {
        m_subjectHeader = {name, value};
    }
    void setTokenLifetime(int seconds) { m_lifetime = seconds; } // expires_in of every token
    void setAnswerDelay(int ms) { m_delayMs = ms; }              // before each answer

    QUrl tokenUrl() const; // <base>/token
    QUrl stsUrl() const;   // <base>/v1/token
    QUrl iamUrl(const QString &email) const;
    QUrl subjectTokenUrl() const; // <base>/subject-token
    QString metadataHost() const; // 127.0.0.1:<port>, for GCE_METADATA_HOST

    // The next answer on `route` (after the request is recorded) is this fault; queued in order.
    void failNext(Route route, Fault fault) { m_faults[int(route)].append(fault); }
    // Every answer on `route` is this fault until set back to None.
    void setFault(Route route, Fault fault) { m_sticky[int(route)] = fault; }

    int requestCount(Route route) const { return m_counts.value(int(route)); }
    int totalRequests() const { return m_requests.size(); }
    QList<ReceivedRequest> requests() const { return m_requests; }
    ReceivedRequest lastRequest() const { return m_requests.value(m_requests.size() - 1); }
    QStringList refusals() const { return m_refusals; }
    QStringList issuedTokens() const { return m_issued; }
    QString lastIssuedToken() const { return m_issued.value(m_issued.size() - 1); }
    // Which route issued the bearer of the last accepted Iam request.
    Route lastIamBearerRoute() const { return m_lastIamBearer; }
    // The decoded header and claims of the last assertion that passed the checks.
    QJsonObject lastAssertionHeader() const { return m_assertionHeader; }
    QJsonObject lastAssertionClaims() const { return m_assertionClaims; }
    int verifiedAssertions() const { return m_verifiedAssertions; }

    static Route routeOf(const QString &method, const QString &path);

signals:
    void requestHandled(qlaude::fakes::FakeGoogleServer::Route route, int status);

private:
    struct Answer
    {
        int status = 200;
        QByteArray contentType = QByteArrayLiteral("application/json; charset=utf-8");
        QByteArray body;
        bool hang = false;
    };

    void handleRequest(FakeHttpConnection *connection, const HttpRequest &request) override;
    Answer token(const HttpRequest &request);
    Answer jwtGrant(const HttpRequest &request, const QString &assertion);
    Answer sts(const HttpRequest &request);
    Answer iam(const HttpRequest &request);
    Answer metadataToken(const HttpRequest &request);
    Answer metadataProject(const HttpRequest &request);
    Answer subjectToken(const HttpRequest &request);
    Answer fault(Fault fault, const HttpRequest &request) const;
    Answer oauthError(int status, const QString &error, const QString &description);
    Answer googleError(int status, const QString &statusName, const QString &message);
    Answer issueOAuth(Route route);
    QString issue(Route route);

    QString m_email;
    QByteArray m_publicKey;
    QString m_keyId;
    QString m_clientId;
    QString m_clientSecret;
    QString m_refreshToken;
    QString m_audience;
    QString m_subjectTokenType;
    QString m_subjectToken;
    QString m_target;
    bool m_flavor = true;
    bool m_silent = false;
    QString m_project;
    QByteArray m_subjectType = QByteArrayLiteral("text/plain");
    QByteArray m_subjectBody;
    QPair<QByteArray, QByteArray> m_subjectHeader;
    int m_lifetime = 3599;
    int m_delayMs = 0;
    QHash<int, QList<Fault>> m_faults;
    QHash<int, Fault> m_sticky;
    QHash<int, int> m_counts;
    QList<ReceivedRequest> m_requests;
    QStringList m_refusals;
    QStringList m_issued;
    QHash<QString, Route> m_issuedBy;
    Route m_lastIamBearer = Route::Unknown;
    QJsonObject m_assertionHeader;
    QJsonObject m_assertionClaims;
    int m_verifiedAssertions = 0;
    int m_counter = 0;
};

} // namespace qlaude::fakes
