#pragma once

#include <memory>

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QProcessEnvironment>
#include <QString>

#include <functional>

class QNetworkAccessManager;

namespace qlaude {

class NetworkSetup;

class AuthContext;
class ExpiringCredentialCache;
class HelperProcess;
struct TokenHttpResult;

// An OAuth 2.0 access token for Google Cloud (scope cloud-platform), for Vertex AI's
// "Authorization: Bearer" and "x-goog-user-project" headers.
struct GoogleToken
{
    QString accessToken;
    QDateTime expiresAt; // UTC
    // The credential's quota_project_id, or GOOGLE_CLOUD_QUOTA_PROJECT (the variable wins).
    QString quotaProject;
    // The project the credential names (a key file's project_id, the metadata server's
    // project-id); may be empty.
    QString projectId;
    // For people, never a secret: "service account file /path (sa@x.iam.gserviceaccount.com)",
    // "authorized user file /path", "external account file /path", "impersonated service account
    // file /path (target@x.iam.gserviceaccount.com)", "gcloud application default credentials
    // (/path)", "metadata server".
    QString source;

    bool isValid() const { return !accessToken.isEmpty(); }
};

// A token endpoint's answer (access_token, expires_in) as a token, against `now`: an empty
// string, or why it cannot be used (never quoting the answer). The provider's own parser,
// exposed for tests/fuzz.
QString parseGoogleTokenAnswer(const TokenHttpResult &answer, const QDateTime &now,
                               GoogleToken *token);

// Google Application Default Credentials (PROTOCOLS.md §3.3), as google-auth-library finds them:
//   1. GOOGLE_APPLICATION_CREDENTIALS (or google_application_credentials): a JSON file, which
//      must be readable;
//   2. the gcloud well-known file: $CLOUDSDK_CONFIG/application_default_credentials.json, else
//      $HOME/.config/gcloud/application_default_credentials.json (when it exists);
//   3. the GCE/GKE/Cloud Run metadata server: http://169.254.169.254, moved by GCE_METADATA_IP or
//      GCE_METADATA_HOST (host[:port]); METADATA_SERVER_DETECTION=none skips it. Each request has
//      metadataTimeoutMs, goes straight to the host (never through a proxy) and its answer must
//      carry "Metadata-Flavor: Google".
// File types: service_account (an RS256 JWT-bearer assertion to token_uri, else
// https://oauth2.googleapis.com/token), authorized_user (a refresh-token grant),
// external_account (a subject token from credential_source file or url, the STS token exchange,
// then service_account_impersonation_url when set) and impersonated_service_account
// (source_credentials, authorized_user or service_account, then the impersonation call). Token
// endpoints, STS and IAM go through the environment's proxy (ProxySettings), must be https (or
// http to a loopback address) and never follow redirects.
//
// Tokens are cached until 5 minutes before they expire (ExpiringCredentialCache); concurrent
// get()s share one fetch. gcpAuthRefresh (CLAUDE_CODE.md §2) runs only when ADC gives no token
// within probeTimeoutMs: then the command (sh -c, refreshTimeoutMs, output streamed live) and
// ADC once more. After a successful run it is not run again for an hour, unless invalidate()
// (a Vertex 401) cleared that memo, or ADC failed with credentials missing or rejected ("Could
// not load the default credentials", "Could not refresh access token", "invalid_grant", or this
// class's own "No Google credentials found" / "rejected by"); a failed run is not repeated
// within 30 s. Nothing blocks: every step is
// asynchronous and has its own deadline. No error text holds a token, a private key, a refresh
// token, a client secret, a subject token or the body of a 2xx answer.
class GoogleCredentialProvider : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(GoogleCredentialProvider)
public:
    struct Config
    {
        QProcessEnvironment environment; // the effective environment
        // Proxy, CA certificates and client certificate; null: from `environment`.
        std::shared_ptr<const NetworkSetup> network;
        QString refreshCommand; // gcpAuthRefresh, when it applies (empty: none)
        QString refreshWorkingDirectory;
        QProcessEnvironment refreshEnvironment;
        int refreshTimeoutMs = 180000; // the CLI's 3 minutes
        int probeTimeoutMs = 5000;     // ADC must yield a token within this or gcpAuthRefresh runs
        int metadataTimeoutMs = 1000;  // each metadata-server request
        int tokenTimeoutMs = 30000;    // each token endpoint, STS, IAM or subject-token request
    };
    // The effective environment; gcpAuthRefresh from the effective settings, run where
    // AuthContext::commandSite says. Under --bare nothing runs.
    static Config configFrom(const AuthContext &context);

    // error is empty on success.
    using Callback = std::function<void(const GoogleToken &token, const QString &error)>;
    using ProjectCallback =
        std::function<void(const QString &project, const QString &source, const QString &error)>;

    explicit GoogleCredentialProvider(Config config, QObject *parent = nullptr);
    ~GoogleCredentialProvider() override;

    // A token: inside get() when a cached one is more than 5 minutes from expiry, else from the
    // event loop once the (single, shared) fetch ends. Never blocks.
    void get(Callback callback);
    // After a Vertex 401: drops the cached token and the 1 h gcpAuthRefresh memo. True when
    // fetching again may help (a token was cached or is being fetched, or gcpAuthRefresh is set).
    bool invalidate();
    // The same, but only when `rejectedAccessToken` is the cached token (a late 401 for an old
    // token keeps a newer one); an empty string means any.
    bool invalidate(const QString &rejectedAccessToken);
    bool hasCachedToken() const;

    // Which ADC source applies, without network or commands: "GOOGLE_APPLICATION_CREDENTIALS
    // (<type>, <path>)" (the lowercase variable is named as such), "gcloud application default
    // credentials (<path>)", "metadata server", or "gcpAuthRefresh" when the file step is broken
    // or metadata is off but the command may fix it. "" when nothing can apply: the file is
    // unreadable, malformed, of an unknown or unsupported type, or lacks a field it needs, or no
    // file exists and METADATA_SERVER_DETECTION=none; *why says which and what to do (it is also
    // set, when a problem exists, with the "gcpAuthRefresh" answer).
    static QString staticSource(const Config &config, QString *why);

    // The Vertex project without network, in the CLI's order: ANTHROPIC_VERTEX_PROJECT_ID when
    // none of GCLOUD_PROJECT, GOOGLE_CLOUD_PROJECT, GOOGLE_APPLICATION_CREDENTIALS is set; else
    // GCLOUD_PROJECT, GOOGLE_CLOUD_PROJECT, the credential file's project_id (the
    // GOOGLE_APPLICATION_CREDENTIALS file, else the well-known file; quota_project_id is not a
    // project), the gcloud configuration (CLOUDSDK_CORE_PROJECT, else [core] project in
    // <config dir>/configurations/config_<name>, the name from CLOUDSDK_ACTIVE_CONFIG_NAME, else
    // the active_config file, else "default"; the config dir is $CLOUDSDK_CONFIG or
    // ~/.config/gcloud), then ANTHROPIC_VERTEX_PROJECT_ID. *source: "ANTHROPIC_VERTEX_PROJECT_ID",
    // "GCLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT", "credentials file", "CLOUDSDK_CORE_PROJECT",
    // "gcloud configuration <name>". Empty when none: the metadata server may still know it.
    static QString staticProject(const Config &config, QString *source);

    // staticProject(), else the metadata server's project/project-id (source "metadata
    // server"). Inside the call when the project is known without network, else from the event
    // loop. error is empty on success.
    void resolveProject(ProjectCallback done);

    int fetchCount() const { return m_fetchCount; }   // ADC token fetches started (tests)
    int refreshRuns() const { return m_refreshRuns; } // gcpAuthRefresh runs (tests)
    void setClockForTesting(std::function<QDateTime()> now);

signals:
    // gcpAuthRefresh started, printed a line (stdout or stderr), finished (error empty on
    // success).
    void refreshStarted();
    void refreshOutput(const QString &line);
    void refreshFinished(const QString &error);

private:
    // What one ADC attempt gave. `reauth`: the credentials are missing or were rejected, which
    // is what gcpAuthRefresh may fix even within its hour.
    struct Outcome
    {
        GoogleToken token;
        QString error;
        bool reauth = false;
    };
    using OutcomeCallback = std::function<void(const Outcome &outcome)>;

    void fetch(OutcomeCallback done);
    void attempt(int probeMs, OutcomeCallback done);
    void runAdc(QObject *ctx, OutcomeCallback done);
    void fromJson(QObject *ctx, const QJsonObject &json, const QString &label, bool nested,
                  OutcomeCallback done);
    void serviceAccount(QObject *ctx, const QJsonObject &json, const QString &label,
                        OutcomeCallback done);
    void authorizedUser(QObject *ctx, const QJsonObject &json, const QString &label,
                        OutcomeCallback done);
    void externalAccount(QObject *ctx, const QJsonObject &json, const QString &label,
                         OutcomeCallback done);
    void stsExchange(QObject *ctx, const QJsonObject &json, const QString &label,
                     const QString &subjectToken, OutcomeCallback done);
    void impersonate(QObject *ctx, const QJsonObject &json, const QString &label,
                     const QString &sourceToken, OutcomeCallback done);
    void metadataToken(QObject *ctx, OutcomeCallback done);
    void runRefresh(const QString &adcError, OutcomeCallback done);
    bool refreshMemoHolds() const;
    QNetworkAccessManager *network();         // token endpoints, STS, IAM: the env's proxy
    QNetworkAccessManager *metadataNetwork(); // metadata and link-local hosts: no proxy
    QDateTime now() const;

    Config m_config;
    ExpiringCredentialCache *m_cache = nullptr;
    std::function<QDateTime()> m_now;
    QNetworkAccessManager *m_network = nullptr;
    QNetworkAccessManager *m_metadataNetwork = nullptr;
    QPointer<HelperProcess> m_refresh;
    QList<OutcomeCallback> m_afterRefresh; // waiting for the running gcpAuthRefresh
    QDateTime m_refreshMemoUntil;          // a successful run holds for an hour
    QDateTime m_lastFailedRefresh;         // a failed run is not repeated for 30 s
    static constexpr int kFailedRefreshPauseS = 30;
    QString m_metadataProject;
    int m_fetchCount = 0;
    int m_refreshRuns = 0;
};

} // namespace qlaude
