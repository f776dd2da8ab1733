#pragma once

#include <memory>

#include "AwsConfig.h"
#include "SigV4Signer.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QProcessEnvironment>
#include <QStringList>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;

namespace qlaude {

class NetworkSetup;

class AuthContext;
class HelperProcess;

// The AWS credentials for SigV4, from the chain the CLI uses (CLAUDE_CODE.md §2, PROTOCOLS.md
// §2.3), in order:
//   1. awsCredentialExport (a trusted settings command printing STS-style or flat JSON);
//   2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) in the environment;
//   3. the profile in the shared files: static keys, or credential_process (JSON Version 1);
//   4. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI: ECS, EKS Pod
//      Identity), an HTTP GET with at most 3 retries of 1 s each;
//   5. the EC2 instance metadata service (IMDSv2, falling back to IMDSv1 unless that is
//      disabled), unless AWS_EC2_METADATA_DISABLED is set: 1 s per request, no retries.
// Both remote sources go straight to their host, never through a proxy.
// An SSO profile (sso_session or legacy sso_start_url, with sso_account_id and sso_role_name) is
// the shared-file step too: the token `aws sso login` cached in ~/.aws/sso/cache/ buys role
// credentials from the SSO portal (AWS_ENDPOINT_URL_SSO moves it). Within 5 minutes of expiry a
// token with a refresh token is renewed by SSO-OIDC CreateToken (AWS_ENDPOINT_URL_SSO_OIDC), at
// most once per 30 s, and written back (0600). An expired or missing token is "no credentials",
// which awsAuthRefresh may fix.
// A profile with role_arn and source_profile (resolved recursively, at most 5 deep, no loops)
// or credential_source (Environment, EcsContainer, Ec2InstanceMetadata) buys role credentials
// from STS AssumeRole, signed with the source's keys. A source profile is read like the
// profile: another role profile, static keys, web identity, credential_process or SSO (whose
// expired or missing token is "no credentials" here too, naming `aws sso login --profile`).
// A profile with role_arn and web_identity_token_file, and the AWS_WEB_IDENTITY_TOKEN_FILE +
// AWS_ROLE_ARN pair after the profile, buy them from STS AssumeRoleWithWebIdentity. STS is
// https://sts.<region>.amazonaws.com (AWS_ENDPOINT_URL_STS), through the environment's proxy.
// MFA-protected roles (mfa_serial) and login_session are not supported yet: a profile that
// needs one says so by name, and the remote sources are then not tried in its place. Results
// are cached until 5 minutes before they expire (1 h without an expiry); concurrent requests
// share one run; invalidate() after a 403. awsAuthRefresh (e.g. `aws sso login`) runs when the
// chain finds no credentials, when STS rejects the ones it found, or after the server said they
// expired, at most once per 30 s, with a 3-minute timeout; the chain is then asked once more.
// Its output is streamed live (refreshOutput), since it may show a device code.
// STS GetCallerIdentity (signed with the credentials found; same endpoint and proxy as above,
// 3 s) is asked only when awsAuthRefresh is set, once per run of the chain, and its answer is
// cached with the credentials. It is skipped for environment keys (a refresh cannot change
// them) and for credentials that expire more than 5 minutes from now (just issued). A 400/403
// with ExpiredToken, InvalidClientTokenId, SignatureDoesNotMatch or UnrecognizedClient runs
// awsAuthRefresh; any other answer or failure hands the credentials out as they are, so an
// unreachable STS never holds up Bedrock (the request itself will tell).
class AwsCredentialProvider : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(AwsCredentialProvider)
public:
    struct Config
    {
        QProcessEnvironment environment; // the effective environment
        // Proxy, CA certificates and client certificate; null: from `environment`.
        std::shared_ptr<const NetworkSetup> network;
        QString exportCommand;          // awsCredentialExport, when it applies
        QString exportWorkingDirectory; // where it runs (AuthContext::commandSite)
        QProcessEnvironment exportEnvironment;
        int commandTimeoutMs = 300000; // export and credential_process
        QString refreshCommand;        // awsAuthRefresh, when it applies
        QString refreshWorkingDirectory;
        QProcessEnvironment refreshEnvironment;
        int refreshTimeoutMs = 180000; // the CLI's 3 minutes
        // The host AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is relative to (tests use a fake).
        QUrl containerHost = QUrl(QStringLiteral("http://169.254.170.2"));
    };
    static Config configFrom(const AuthContext &context);

    using Callback = std::function<void(const AwsCredentials &credentials, const QString &error)>;

    explicit AwsCredentialProvider(Config config, QObject *parent = nullptr);
    ~AwsCredentialProvider() override;

    void get(Callback callback);
    void invalidate();
    bool hasCachedCredentials() const { return m_cached.isValid(); }
    // False when the last credentials came from the environment, which asking again cannot
    // change (a command or the shared files can).
    bool lastSourceCanChange() const { return m_lastSource != QLatin1String("env"); }
    int runs() const { return m_runs; }

    // Which source the chain would use, without running anything (for the resolver and doctor):
    // "awsCredentialExport", "env", "profile <name>", "credential_process (profile <name>)",
    // "sso (profile <name>)", "role_arn <arn> (profile <name>)" (or "(profile <name>, source sso
    // profile <source>)" when its source_profile is an SSO profile), "web identity (<arn>)",
    // "container credentials", "awsAuthRefresh", "instance metadata" (IMDS is not disabled: it
    // may answer), or "" when none applies, with *why.
    static QString staticSource(const Config &config, QString *why);

    void setClockForTesting(std::function<QDateTime()> now) { m_now = std::move(now); }
    int refreshRuns() const { return m_refreshRuns; }

signals:
    // awsAuthRefresh started, printed a line, finished (error empty on success).
    void refreshStarted();
    void refreshOutput(const QString &line);
    void refreshFinished(const QString &error);

private:
    void resolve();
    void runRefresh();
    void invalidateCacheOnly();
    // The end of a run of the chain: awsAuthRefresh, the GetCallerIdentity check, or deliver().
    void finish(const AwsCredentials &credentials, const QString &error);
    bool needsCallerCheck(const AwsCredentials &credentials) const;
    void checkCallerIdentity(const AwsCredentials &credentials, const QString &error);
    // Caches valid credentials and answers everyone waiting.
    void deliver(const AwsCredentials &credentials, const QString &error);
    // Each source reports to `done`; finish() when it is empty.
    void runCommand(const QString &name, const QString &command, const QString &workDir,
                    const QProcessEnvironment &env, const QString &source, Callback done = {});
    void fetchContainer(const QUrl &url, const QByteArray &authorization, int attempt,
                        Callback done = {});
    void fetchImds(const QString &why, Callback done = {});
    Callback finisher();
    // STS (PROTOCOLS.md §2.3): a role profile, a profile used as a source, web identity.
    void assumeRole(const QString &profileName, int depth, QStringList chain, Callback done);
    void resolveSourceProfile(const QString &profileName, int depth, QStringList chain,
                              Callback done);
    void assumeRoleWithWebIdentity(const QString &roleArn, const QString &sessionNameSetting,
                                   const QString &tokenFile, const QString &label, Callback done);
    void sendSts(const QList<QPair<QString, QString>> &form, const AwsCredentials &signWith,
                 const QString &what, const QString &label, const QStringList &redact,
                 Callback done);
    QNetworkAccessManager *stsNetwork();
    // An SSO profile's role credentials: the cached token (renewed by SSO-OIDC near expiry), then
    // the portal. `asSource`: the profile is a role's source_profile, which an expired token's
    // error names with `aws sso login --profile`.
    void fetchSso(const QString &profileName, bool asSource, Callback done);
    void refreshSsoToken(const QString &profileName, bool asSource, const QString &cacheFile,
                         QJsonObject cache, const QString &fallbackToken, Callback done);
    void fetchSsoRole(const QString &profileName, bool asSource, QString accessToken,
                      Callback done);
    QNetworkAccessManager *network();
    QDateTime now() const;

    Config m_config;
    AwsCredentials m_cached;
    QDateTime m_refreshAt;
    QString m_lastSource;
    bool m_refreshDue = false;    // the server said the credentials expired
    bool m_refreshTried = false;  // this resolution already ran awsAuthRefresh
    bool m_callerChecked = false; // this run of the chain already asked GetCallerIdentity
    QDateTime m_lastRefresh;
    QDateTime m_lastSsoRefresh; // SSO-OIDC CreateToken: at most once per 30 s
    int m_refreshRuns = 0;
    QPointer<HelperProcess> m_refresh;
    QList<Callback> m_waiting;
    QPointer<HelperProcess> m_process;
    int m_runs = 0;
    std::function<QDateTime()> m_now;
    QNetworkAccessManager *m_network = nullptr;    // no proxy: metadata hosts are link-local
    QNetworkAccessManager *m_stsNetwork = nullptr; // STS: the environment's proxy
};

// Parses awsCredentialExport or credential_process output: {"Credentials": {...}} (STS) or the
// flat {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}. `requireToken`: the
// three keys must all be non-empty (awsCredentialExport). *error never quotes the output.
AwsCredentials parseAwsCredentialJson(const QByteArray &json, bool requireToken, QString *error);

} // namespace qlaude
