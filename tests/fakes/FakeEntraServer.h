#pragma once

#include "FakeServerBase.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace qlaude::fakes {

// Microsoft Entra ID and Azure's managed-identity endpoints on 127.0.0.1 (PROTOCOLS.md §4.1), one
// server routed by path:
// - Token: POST /{tenant}/oauth2/v2.0/token (point AZURE_AUTHORITY_HOST at baseUrl()), the
//   client-credentials grant. Checks the tenant, client_id, scope and grant_type, then either
//   client_secret, or client_assertion_type jwt-bearer with a client_assertion that is the
//   expected federated token or an RS256 JWT verified with the certificate's public key: x5t the
//   certificate's SHA-1 thumbprint (base64url), aud the token URL, iss = sub = client_id, a jti,
//   nbf/iat not in the future and exp in the future, at most 10 minutes after iat. Answers
//   {"token_type","expires_in","ext_expires_in","access_token"} with numbers.
// - AppService: GET appServiceUrl() (/msi/token; IDENTITY_ENDPOINT): X-IDENTITY-HEADER,
//   api-version=2019-08-01, resource. Answers access_token and expires_on (epoch seconds) as
//   strings, like App Service.
// - Imds: GET /metadata/identity/oauth2/token (IMDS_ENDPOINT = baseUrl()): "Metadata: true",
//   api-version=2018-02-01, resource. Answers expires_in and expires_on as strings, like IMDS.
// A managed-identity request with client_id must name the expected client when one is set.
// Refused requests get Entra / IMDS error JSON and are listed in refusals(). Every token it
// issues contains "qltSECRET" (so the leak check finds it). Every request is recorded.
class FakeEntraServer : public FakeServerBase
{
    Q_OBJECT
    Q_DISABLE_COPY(FakeEntraServer)

public:
    enum class Route
    {
        Token,
        AppService,
        Imds,
        Unknown
    };
    enum class Fault
    {
        None,
        BadRequest,    // 400 {"error":"invalid_request",...}
        InvalidClient, // 401 {"error":"invalid_client","error_description":"AADSTS7000215:..."}
        ServerError,   // 500
        Hang,          // never answers (the connection stays open)
        SuccessWithoutToken // 200 with a body that has a secret but no access_token
    };

    explicit FakeEntraServer(QObject *parent = nullptr);
    ~FakeEntraServer() override;

    // What the token endpoint expects.
    void setTenantId(const QString &tenant) { m_tenant = tenant; }
    void setClientId(const QString &clientId) { m_clientId = clientId; }
    void setScope(const QString &scope) { m_scope = scope; } // the resource: without "/.default"
    void setClientSecret(const QString &secret) { m_secret = secret; }
    void setCertificatePem(const QByteArray &pem) { m_certificate = pem; }
    void setFederatedToken(const QString &token) { m_federated = token; }
    // What the managed-identity endpoints expect.
    void setIdentityHeader(const QByteArray &header) { m_identityHeader = header; }
    void setManagedClientId(const QString &clientId) { m_managedClientId = clientId; }
    void setTokenLifetime(int seconds) { m_lifetime = seconds; }
    void setAnswerDelay(int ms) { m_delayMs = ms; } // before each answer

    QUrl tokenUrl() const;      // <base>/<tenant>/oauth2/v2.0/token
    QUrl appServiceUrl() const; // <base>/msi/token
    QUrl imdsBase() const { return baseUrl(); }

    // The next answer on `route` (after the checks are recorded) is this fault; queued in order.
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
    // The decoded header and claims of the last client assertion that passed the checks.
    QJsonObject lastAssertionHeader() const { return m_assertionHeader; }
    QJsonObject lastAssertionClaims() const { return m_assertionClaims; }
    int verifiedAssertions() const { return m_verifiedAssertions; }

    static Route routeOf(const QString &path);

signals:
    void requestHandled(qlaude::fakes::FakeEntraServer::Route route, int status);

private:
    struct Answer
    {
        int status = 200;
        QJsonObject json;
        bool hang = false;
    };

    void handleRequest(FakeHttpConnection *connection, const HttpRequest &request) override;
    Answer token(const HttpRequest &request);
    Answer appService(const HttpRequest &request);
    Answer imds(const HttpRequest &request);
    Answer checkManagedQuery(const HttpRequest &request, const char *apiVersion);
    Answer checkAssertion(const QString &assertion, const QString &tenant);
    Answer fault(Fault fault) const;
    Answer entraError(int status, const QString &error, const QString &description);
    Answer issue(Route route);

    QString m_tenant = QStringLiteral("fake-tenant");
    QString m_clientId = QStringLiteral("fake-client-id");
    QString m_scope = QStringLiteral("https://cognitiveservices.azure.com");
    QString m_secret;
    QByteArray m_certificate;
    QString m_federated;
    QByteArray m_identityHeader;
    QString m_managedClientId;
    int m_lifetime = 3599;
    int m_delayMs = 0;
    QHash<int, QList<Fault>> m_faults;
    QHash<int, Fault> m_sticky;
    QHash<int, int> m_counts;
    QList<ReceivedRequest> m_requests;
    QStringList m_refusals;
    QStringList m_issued;
    QJsonObject m_assertionHeader;
    QJsonObject m_assertionClaims;
    int m_verifiedAssertions = 0;
    int m_counter = 0;
};

} // namespace qlaude::fakes
