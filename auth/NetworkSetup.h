#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QProcessEnvironment>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace qlaude {

class AuthContext;

// How this run reaches the network, as the CLI sets it up (CLAUDE_CODE.md §9): the proxy
// variables and NO_PROXY, extra CA certificates (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE,
// CLAUDE_CODE_CERT_STORE), a client certificate for mTLS (CLAUDE_CODE_CLIENT_CERT, _KEY,
// _KEY_PASSPHRASE or the keychain's "network:client-key-passphrase") and proxyAuthHelper. All
// of it comes from the effective environment and settings, which an untrusted folder cannot
// change: none of these variables is on the pre-trust list, and a workspace's proxyAuthHelper
// waits for trust like every command.
//
// Files are read once, when something first asks about them (a https request, doctor); every
// problem names its variable and file. A
// set-up with errors() is not used: each https request fails with the first error instead of a
// TLS error that would not say why.
class NetworkSetup
{
public:
    struct CaFile
    {
        QString variable; // "NODE_EXTRA_CA_CERTS" or "SSL_CERT_FILE"
        QString path;
        int certificates = 0;
        QString error; // empty when the file was read
    };
    struct ClientCertificate
    {
        QString certPath;
        QString keyPath;
        QString subject; // the certificate's subject, "CN=..., O=..."
        QString issuer;
        QDateTime expires;
        QString passphraseSource; // "", "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE" or "keychain"
        bool isSet() const { return !certPath.isEmpty() || !keyPath.isEmpty(); }
    };
    struct ProxyAuthHelper
    {
        QString command; // empty when there is none (or it may not run)
        QString source;  // the settings file it came from
        QString workingDirectory;
        QProcessEnvironment environment;
        int ttlMs = kDefaultHelperTtlMs;
        QString note; // why a configured helper does not run, for doctor
    };
    static constexpr int kDefaultHelperTtlMs = 5 * 60 * 1000;
    static constexpr int kHelperTimeoutMs = 30 * 1000;
    static constexpr int kExpiryWarningDays = 30;
    // The keychain entry that holds the client key's passphrase (the settings dialog's Network
    // page saves it there).
    static constexpr const char *kPassphraseEntry = "network:client-key-passphrase";

    // The set-up for a run: the effective environment, and proxyAuthHelper from the effective
    // settings (only with CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER). Cached: the same variables,
    // files and stored passphrase give the same object.
    static std::shared_ptr<const NetworkSetup> fromContext(const AuthContext &context);
    // The same without settings (no proxyAuthHelper).
    static std::shared_ptr<const NetworkSetup> fromEnvironment(const QProcessEnvironment &env);
    // The passphrase read from the keychain, used when CLAUDE_CODE_CLIENT_KEY_PASSPHRASE is not
    // set. The keychain snapshot sets it when it reads the entry.
    static void setStoredClientKeyPassphrase(const QString &passphrase);

    const QProcessEnvironment &environment() const { return m_env; }
    // The proxy a request to `target` goes through (with its credentials), or empty.
    QUrl proxyFor(const QUrl &target) const;
    // Why `target` goes direct although a proxy is set ("NO_PROXY matches"), or "".
    QString bypassReason(const QUrl &target) const;
    QString proxyVariable() const { return m_proxyVariable; }
    QUrl proxyUrl() const { return m_proxy; }

    const QList<CaFile> &caFiles() const;
    // The system store is replaced (SSL_CERT_FILE) rather than extended.
    bool replacesSystemStore() const;
    // What CLAUDE_CODE_CERT_STORE asked for and what Qlaude does, for doctor; "" when unset.
    QString certStoreNote() const { return m_certStoreNote; }
    const ClientCertificate &clientCertificate() const;
    const ProxyAuthHelper &proxyAuthHelper() const { return m_helper; }

    // Problems that stop every https request; each names the variable and the file.
    const QStringList &errors() const;
    // Problems that do not (a client certificate that expires within 30 days).
    const QStringList &warnings() const;

    // Doctor's "network" section: the proxy (password redacted) and, for each target (a
    // provider's name and the URL its requests go to), whether the proxy applies; the CA files
    // and how many certificates each holds; the client certificate's subject and expiry;
    // proxyAuthHelper's source. Never a secret.
    struct Target
    {
        QString name;
        QUrl url;
        bool selected = false;
    };
    QJsonObject report(const QList<Target> &targets) const;

    // For https requests: the default configuration, with the CA list when one was given and
    // the client certificate and key when set.
    const QSslConfiguration &tlsConfiguration() const;
    bool customizesTls() const;

private:
    static std::shared_ptr<const NetworkSetup> make(const QProcessEnvironment &env,
                                                    ProxyAuthHelper helper);
    void readProxy();
    void load() const; // reads the files, once
    void readCertificateAuthorities();
    void readClientCertificate(const QString &storedPassphrase);

    QProcessEnvironment m_env;
    QString m_storedPassphrase;
    mutable bool m_loaded = false;
    QUrl m_proxy;
    QString m_proxyVariable;
    QList<CaFile> m_caFiles;
    bool m_replacesSystemStore = false;
    QString m_certStoreNote;
    ClientCertificate m_client;
    ProxyAuthHelper m_helper;
    QStringList m_errors;
    QStringList m_warnings;
    static QList<QSslCertificate> systemStore();

    mutable QSslConfiguration m_tls;
    mutable bool m_tlsBuilt = false;
    QList<QSslCertificate> m_caCertificates; // SSL_CERT_FILE's or none, then the extra ones
    bool m_needsSystemStore = false;
    bool m_customTls = false;
};

} // namespace qlaude
