#pragma once

#include <QDateTime>
#include <QObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace qlaude {

class NetworkSetup;

class ExpiringCredentialCache;
struct ExpiringCredential;
struct TokenHttpResult;

// An Entra ID or managed-identity answer (access_token with expires_in and/or expires_on) as a
// credential, against `now`; false with the end of a sentence in *error (never quoting the
// answer). The provider's own parser, exposed for tests/fuzz.
bool parseEntraTokenAnswer(const TokenHttpResult &answer, const QDateTime &now,
                           ExpiringCredential *credential, QString *error);

// One Microsoft Entra ID access token, and where it came from.
struct AzureToken
{
    QString accessToken;
    QDateTime expiresAt; // UTC
    // For people: "client secret (environment)", "client secret (keychain)", "client certificate
    // /path", "workload identity", "managed identity (App Service)", "managed identity (IMDS)",
    // "Azure CLI"; never a secret.
    QString source;
    QString tenantId; // when known
    QString clientId; // when known
    bool isValid() const { return !accessToken.isEmpty(); }
};

// Microsoft Entra ID tokens for Microsoft Foundry: the useful part of @azure/identity's
// DefaultAzureCredential (PROTOCOLS.md §4.1), in its order:
//   1. environment: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (or the keychain's
//      client secret when the variable is unset): the client-credentials grant; else
//      + AZURE_CLIENT_CERTIFICATE_PATH (a PEM holding the certificate and its unencrypted key):
//      the same grant with an RS256 client assertion carrying the certificate's x5t;
//   2. workload identity: AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID: the
//      file's contents (read again on every fetch) as the client assertion;
//   3. managed identity: App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER), else the instance
//      metadata service (IMDS, 169.254.169.254; AZURE_POD_IDENTITY_AUTHORITY_HOST or
//      IMDS_ENDPOINT move it), both straight to the host, never through a proxy. Until IMDS has
//      given a token, its request is a probe: probeTimeoutMs, no retries; an IMDS that does not
//      answer, or answers with a 4xx (no identity; another cloud's metadata service), is
//      "unavailable";
//   4. the Azure CLI: `az account get-access-token --output json --resource <resource>`
//      [--tenant $AZURE_TENANT_ID], found on the environment's PATH.
// A source that is not configured (or, for IMDS, unavailable) passes to the next; a configured
// one that fails stops the chain with its error. AZURE_TOKEN_CREDENTIALS restricts the chain:
// "dev" (the Azure CLI), "prod" (1 to 3) or one credential's name (EnvironmentCredential,
// WorkloadIdentityCredential, ManagedIdentityCredential, AzureCliCredential; any case).
// Entra's token endpoint is AZURE_AUTHORITY_HOST (default https://login.microsoftonline.com),
// reached through the environment's proxy. An authority host or identity endpoint may use http://
// only on a loopback address (IMDS's 169.254.169.254 is the one exception); otherwise nothing is
// sent. No error text holds a client secret, assertion, federated token, access token or the
// body of a 2xx answer. Tokens are cached until 2 minutes before they expire; concurrent get()s
// share one fetch. Nothing blocks the event loop.
class AzureCredentialProvider : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(AzureCredentialProvider)
public:
    struct Config
    {
        // The effective environment (PATH for az, AZURE_*, IDENTITY_*, HOME).
        QProcessEnvironment environment;
        // Proxy, CA certificates and client certificate; null: from `environment`.
        std::shared_ptr<const NetworkSetup> network;
        QString scope = QStringLiteral("https://cognitiveservices.azure.com/.default");
        // The keychain's cloud:azure-client-secret, used when AZURE_CLIENT_SECRET is not set
        // (the tenant and client id still come from the environment).
        QString keychainClientSecret;
        int probeTimeoutMs = 1000;    // the first IMDS request, no retries
        int requestTimeoutMs = 30000; // token endpoints
        int azTimeoutMs = 30000;      // the az command
    };

    static QString defaultScope(); // https://cognitiveservices.azure.com/.default
    // "https://cognitiveservices.azure.com/.default" -> "https://cognitiveservices.azure.com":
    // az's --resource and the managed-identity resource.
    static QString resourceFromScope(const QString &scope);

    using Callback = std::function<void(const AzureToken &token, const QString &error)>;

    explicit AzureCredentialProvider(Config config, QObject *parent = nullptr);
    ~AzureCredentialProvider() override;

    // Cached until 2 minutes before expiry, single flight; never blocks. The callback may run
    // inside get() (a cached token) or later, from the event loop.
    void get(Callback callback);
    // The server refused the token (a 401): drops the cached token. True when fetching again may
    // bring a different token: one was cached and it came from Entra's token endpoint (client
    // secret, certificate, workload identity), which issues a new token each time. The Azure CLI
    // and managed identity hand back their own cached token until it nears expiry.
    bool invalidate();

    // Which source the chain would use, without network or commands: "client secret
    // (environment)", "client secret (keychain)", "client certificate /path", "workload
    // identity", "managed identity (App Service)", "managed identity (IMDS)" (possible when
    // nothing before applies), "Azure CLI" (when `az` is on PATH); "" with *why when none.
    static QString staticSource(const Config &config, QString *why);
    // Configuration problems found without network, as sentences for doctor: an http://
    // authority host or identity endpoint that is not loopback, AZURE_TOKEN_CREDENTIALS naming
    // an unknown credential, a certificate or federated token file that does not exist, a
    // certificate password (not supported yet), a tenant id that is not valid, a client secret or
    // certificate without the tenant and client ids.
    static QStringList configurationProblems(const Config &config);

    int fetchCount() const; // token fetches started (tests)
    void setClockForTesting(std::function<QDateTime()> now);

private:
    struct Run;
    void fetch(std::function<void(const ExpiringCredential &, const QString &)> done);
    void step(const std::shared_ptr<Run> &run);
    void requestEntra(const std::shared_ptr<Run> &run, int kind);
    void requestAppService(const std::shared_ptr<Run> &run);
    void requestImds(const std::shared_ptr<Run> &run);
    void runAzureCli(const std::shared_ptr<Run> &run);
    QNetworkAccessManager *entraNetwork();
    QNetworkAccessManager *metadataNetwork();
    QDateTime now() const;

    Config m_config;
    ExpiringCredentialCache *m_cache;
    std::function<QDateTime()> m_now;
    QNetworkAccessManager *m_entraNetwork = nullptr;    // the environment's proxy
    QNetworkAccessManager *m_metadataNetwork = nullptr; // no proxy
    bool m_imdsAnswered = false; // IMDS gave a token: later requests are not probes
};

} // namespace qlaude
