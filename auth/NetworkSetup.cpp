#include "NetworkSetup.h"

#include "AuthContext.h"
#include "ProxySettings.h"
#include "RequestOptions.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QMutex>
#include <QSslCertificate>
#include <QSslKey>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::NetworkSetup)
};
} // namespace

namespace {

constexpr qint64 kMaxPemBytes = 16 * 1024 * 1024;

const char *const kNetworkVariables[] = {
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "no_proxy",
    "NO_PROXY",
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "CLAUDE_CODE_CERT_STORE",
    "CLAUDE_CODE_CLIENT_CERT",
    "CLAUDE_CODE_CLIENT_KEY",
    "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE",
};

QMutex &cacheMutex()
{
    static QMutex m;
    return m;
}

QString &storedPassphrase()
{
    static QString p;
    return p;
}

// Reads a PEM file named by a variable; an error names both.
bool readPem(const QString &variable, const QString &path, QByteArray *out, QString *error)
{
    QFile f(path);
    const QFileInfo info(path);
    if (!info.exists()) {
        *error = Tr::tr("%1 names %2, which does not exist").arg(variable, path);
        return false;
    }
    if (info.size() > kMaxPemBytes) {
        *error = Tr::tr("%1 names %2, which is larger than 16 MiB and is not a PEM file")
                     .arg(variable, path);
        return false;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        *error =
            Tr::tr("%1 names %2, which could not be read: %3").arg(variable, path, f.errorString());
        return false;
    }
    *out = f.readAll();
    return true;
}

QString subjectText(const QSslCertificate &c, bool issuer)
{
    QStringList parts;
    const auto attr = [&](const QByteArray &name) {
        const QStringList values = issuer ? c.issuerInfo(name) : c.subjectInfo(name);
        for (const QString &v : values)
            parts << QString::fromLatin1(name) + QLatin1Char('=') + v;
    };
    attr("CN");
    attr("O");
    attr("OU");
    return parts.isEmpty() ? Tr::tr("(no name)") : parts.join(QStringLiteral(", "));
}

QByteArray fileStamp(const QString &path)
{
    if (path.isEmpty())
        return QByteArray();
    const QFileInfo info(path);
    return path.toUtf8() + '@' + QByteArray::number(info.lastModified().toMSecsSinceEpoch()) + '#' +
           QByteArray::number(info.size());
}

} // namespace

void NetworkSetup::setStoredClientKeyPassphrase(const QString &passphrase)
{
    QMutexLocker lock(&cacheMutex());
    storedPassphrase() = passphrase;
}

std::shared_ptr<const NetworkSetup> NetworkSetup::fromEnvironment(const QProcessEnvironment &env)
{
    return make(env, ProxyAuthHelper());
}

std::shared_ptr<const NetworkSetup> NetworkSetup::fromContext(const AuthContext &context)
{
    ProxyAuthHelper helper;
    const QString command = context.isBare() ? QString()
                                             : context.effectiveSettings()
                                                   .value(QStringLiteral("proxyAuthHelper"))
                                                   .toString()
                                                   .trimmed();
    if (!command.isEmpty()) {
        helper.source = context.settingSource(QStringLiteral("proxyAuthHelper"));
        if (!isTruthy(context.env(QStringLiteral("CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER")))) {
            helper.note = Tr::tr("set CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1 to use it");
        } else {
            helper.command = command;
            const AuthContext::CommandSite site =
                context.commandSite(QStringLiteral("proxyAuthHelper"));
            helper.workingDirectory = site.workingDirectory;
            helper.environment = site.environment;
            bool ok = false;
            const int ttl =
                context.env(QStringLiteral("CLAUDE_CODE_PROXY_AUTH_HELPER_TTL_MS")).toInt(&ok);
            if (ok && ttl >= 0)
                helper.ttlMs = ttl;
        }
    }
    return make(context.environment(), helper);
}

std::shared_ptr<const NetworkSetup> NetworkSetup::make(const QProcessEnvironment &env,
                                                       ProxyAuthHelper helper)
{
    // The key covers every input: the variables, the files' times and sizes, the stored
    // passphrase (hashed) and the helper.
    QByteArray key;
    QString passphrase;
    {
        QMutexLocker lock(&cacheMutex());
        passphrase = storedPassphrase();
    }
    for (const char *name : kNetworkVariables)
        key += env.value(QLatin1String(name)).toUtf8() + '\0';
    for (const char *name : {"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "CLAUDE_CODE_CLIENT_CERT",
                             "CLAUDE_CODE_CLIENT_KEY"})
        key += fileStamp(env.value(QLatin1String(name)).trimmed()) + '\0';
    key += QCryptographicHash::hash(passphrase.toUtf8(), QCryptographicHash::Sha256) + '\0';
    key += helper.command.toUtf8() + '\0' + helper.source.toUtf8() + '\0' +
           helper.workingDirectory.toUtf8() + '\0' + QByteArray::number(helper.ttlMs) + '\0' +
           helper.note.toUtf8();
    if (!helper.command.isEmpty())
        key += '\0' + helper.environment.toStringList().join(QLatin1Char('\n')).toUtf8();

    static QHash<QByteArray, std::shared_ptr<const NetworkSetup>> cache;
    {
        QMutexLocker lock(&cacheMutex());
        const auto it = cache.constFind(key);
        if (it != cache.constEnd())
            return *it;
    }
    auto setup = std::make_shared<NetworkSetup>();
    setup->m_env = env;
    setup->m_helper = std::move(helper);
    setup->m_storedPassphrase = passphrase;
    setup->readProxy();
    QMutexLocker lock(&cacheMutex());
    if (cache.size() >= 16)
        cache.clear();
    cache.insert(key, setup);
    return setup;
}

void NetworkSetup::load() const
{
    static QMutex loading;
    QMutexLocker lock(&loading);
    if (m_loaded)
        return;
    auto *self = const_cast<NetworkSetup *>(this);
    self->m_tls = QSslConfiguration::defaultConfiguration();
    self->readCertificateAuthorities();
    self->readClientCertificate(m_storedPassphrase);
    m_loaded = true;
}

const QList<NetworkSetup::CaFile> &NetworkSetup::caFiles() const
{
    load();
    return m_caFiles;
}

bool NetworkSetup::replacesSystemStore() const
{
    load();
    return m_replacesSystemStore;
}

const NetworkSetup::ClientCertificate &NetworkSetup::clientCertificate() const
{
    load();
    return m_client;
}

const QStringList &NetworkSetup::errors() const
{
    load();
    return m_errors;
}

const QStringList &NetworkSetup::warnings() const
{
    load();
    return m_warnings;
}

const QSslConfiguration &NetworkSetup::tlsConfiguration() const
{
    load();
    static QMutex building;
    QMutexLocker lock(&building);
    if (m_customTls && !m_tlsBuilt) {
        QList<QSslCertificate> certs = m_caCertificates;
        if (m_needsSystemStore)
            certs = systemStore() + certs;
        if (!certs.isEmpty())
            m_tls.setCaCertificates(certs);
        m_tlsBuilt = true;
    }
    return m_tls;
}

bool NetworkSetup::customizesTls() const
{
    load();
    return m_customTls;
}

void NetworkSetup::readProxy()
{
    const ProxySettings proxy(m_env);
    m_proxy = proxy.proxyUrl();
    m_proxyVariable = proxy.sourceVariable();
}

QUrl NetworkSetup::proxyFor(const QUrl &target) const
{
    return ProxySettings(m_env).proxyFor(target);
}

QString NetworkSetup::bypassReason(const QUrl &target) const
{
    const ProxySettings proxy(m_env);
    if (proxy.proxyUrl().isEmpty() || !proxy.bypasses(target))
        return QString();
    const QString variable = m_env.contains(QStringLiteral("no_proxy")) &&
                                     !m_env.value(QStringLiteral("no_proxy")).isEmpty()
                                 ? QStringLiteral("no_proxy")
                                 : QStringLiteral("NO_PROXY");
    return Tr::tr("%1 (%2) excludes it").arg(variable, m_env.value(variable));
}

void NetworkSetup::readCertificateAuthorities()
{
    const QString store = m_env.value(QStringLiteral("CLAUDE_CODE_CERT_STORE")).trimmed();
    if (!store.isEmpty()) {
        const QStringList parts = store.toLower()
                                      .split(QLatin1Char(','), Qt::SkipEmptyParts)
                                      .replaceInStrings(QStringLiteral(" "), QString());
        if (parts.contains(QStringLiteral("system")))
            m_certStoreNote = Tr::tr("CLAUDE_CODE_CERT_STORE=%1: Qlaude has no bundled "
                                     "store and uses the system's certificates")
                                  .arg(store);
        else
            m_certStoreNote = Tr::tr("CLAUDE_CODE_CERT_STORE=%1 asks for the bundled store "
                                     "only; Qlaude has none and uses the system's "
                                     "certificates instead")
                                  .arg(store);
    }

    QList<QSslCertificate> base;
    QList<QSslCertificate> extra;
    const auto readBundle = [this](const char *variable, QList<QSslCertificate> *into) {
        const QString path = m_env.value(QLatin1String(variable)).trimmed();
        if (path.isEmpty())
            return;
        CaFile file;
        file.variable = QLatin1String(variable);
        file.path = path;
        QByteArray pem;
        if (readPem(file.variable, path, &pem, &file.error)) {
            const QList<QSslCertificate> certs = QSslCertificate::fromData(pem, QSsl::Pem);
            const int blocks = int(pem.count("-----BEGIN CERTIFICATE-----"));
            file.certificates = int(certs.size());
            if (certs.isEmpty())
                file.error =
                    Tr::tr("%1 names %2, which holds no PEM certificate").arg(file.variable, path);
            else if (certs.size() < blocks)
                file.error = Tr::tr("%1 names %2, in which %3 of %4 certificates could "
                                    "not be read")
                                 .arg(file.variable, path)
                                 .arg(blocks - certs.size())
                                 .arg(blocks);
            else
                *into += certs;
        }
        if (!file.error.isEmpty())
            m_errors << file.error;
        m_caFiles << file;
    };
    // SSL_CERT_FILE replaces the system store, as in OpenSSL; NODE_EXTRA_CA_CERTS adds to
    // whichever store is used, as in Node.
    readBundle("SSL_CERT_FILE", &base);
    m_replacesSystemStore = !m_env.value(QStringLiteral("SSL_CERT_FILE")).trimmed().isEmpty();
    // The same bundle named twice (SSL_CERT_FILE and NODE_EXTRA_CA_CERTS, as some images set
    // them) is read once.
    if (m_env.value(QStringLiteral("NODE_EXTRA_CA_CERTS")).trimmed() !=
        m_env.value(QStringLiteral("SSL_CERT_FILE")).trimmed())
        readBundle("NODE_EXTRA_CA_CERTS", &extra);
    else if (m_replacesSystemStore)
        m_caFiles << CaFile{QStringLiteral("NODE_EXTRA_CA_CERTS"), m_caFiles.last().path,
                            m_caFiles.last().certificates, m_caFiles.last().error};
    if (!m_replacesSystemStore && extra.isEmpty())
        return;
    // The system store joins the list only when a request needs it (tlsConfiguration()):
    // reading it costs far more than doctor's counting.
    m_caCertificates = base + extra;
    m_needsSystemStore = !m_replacesSystemStore;
    m_customTls = true;
}

QList<QSslCertificate> NetworkSetup::systemStore()
{
    // One bundle file is much faster to read than the hashed directory Qt would scan.
    for (const char *bundle :
         {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
          "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"}) {
        QFile f(QString::fromLatin1(bundle));
        if (f.size() > kMaxPemBytes || !f.open(QIODevice::ReadOnly))
            continue;
        const QList<QSslCertificate> certs = QSslCertificate::fromData(f.readAll(), QSsl::Pem);
        if (!certs.isEmpty())
            return certs;
    }
    return QSslConfiguration::systemCaCertificates();
}

void NetworkSetup::readClientCertificate(const QString &stored)
{
    const QString certPath = m_env.value(QStringLiteral("CLAUDE_CODE_CLIENT_CERT")).trimmed();
    QString keyPath = m_env.value(QStringLiteral("CLAUDE_CODE_CLIENT_KEY")).trimmed();
    if (certPath.isEmpty() && keyPath.isEmpty())
        return;
    m_client.certPath = certPath;
    m_client.keyPath = keyPath;
    if (certPath.isEmpty()) {
        m_errors << Tr::tr("CLAUDE_CODE_CLIENT_KEY is set but CLAUDE_CODE_CLIENT_CERT is "
                           "not: set both to present a client certificate");
        return;
    }
    QByteArray certPem;
    QString error;
    if (!readPem(QStringLiteral("CLAUDE_CODE_CLIENT_CERT"), certPath, &certPem, &error)) {
        m_errors << error;
        return;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem, QSsl::Pem);
    if (chain.isEmpty()) {
        m_errors << Tr::tr("CLAUDE_CODE_CLIENT_CERT names %1, which holds no PEM "
                           "certificate")
                        .arg(certPath);
        return;
    }
    const QSslCertificate &leaf = chain.first();
    m_client.subject = subjectText(leaf, false);
    m_client.issuer = subjectText(leaf, true);
    m_client.expires = leaf.expiryDate().toUTC();

    QByteArray keyPem;
    if (keyPath.isEmpty()) {
        if (!certPem.contains("PRIVATE KEY-----")) {
            m_errors << Tr::tr("CLAUDE_CODE_CLIENT_CERT is set but CLAUDE_CODE_CLIENT_KEY "
                               "is not, and %1 holds no private key: set "
                               "CLAUDE_CODE_CLIENT_KEY to the key's PEM file")
                            .arg(certPath);
            return;
        }
        keyPath = certPath;
        m_client.keyPath = certPath;
        keyPem = certPem;
    } else if (!readPem(QStringLiteral("CLAUDE_CODE_CLIENT_KEY"), keyPath, &keyPem, &error)) {
        m_errors << error;
        return;
    }
    QString passphrase = m_env.value(QStringLiteral("CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"));
    if (!passphrase.isEmpty())
        m_client.passphraseSource = QStringLiteral("CLAUDE_CODE_CLIENT_KEY_PASSPHRASE");
    else if (!stored.isEmpty()) {
        passphrase = stored;
        m_client.passphraseSource = QStringLiteral("keychain");
    }
    const bool encrypted = keyPem.contains("ENCRYPTED");
    QSslKey key;
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey, passphrase.toUtf8());
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        if (encrypted && passphrase.isEmpty())
            m_errors << Tr::tr("CLAUDE_CODE_CLIENT_KEY names %1, which is encrypted: set "
                               "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE, or save the passphrase "
                               "in Settings > Network")
                            .arg(keyPath);
        else if (encrypted)
            m_errors << Tr::tr("CLAUDE_CODE_CLIENT_KEY names %1, which could not be "
                               "decrypted with the passphrase from %2: check it")
                            .arg(keyPath, m_client.passphraseSource == QLatin1String("keychain")
                                              ? Tr::tr("the keychain (Settings > Network)")
                                              : m_client.passphraseSource);
        else
            m_errors << Tr::tr("CLAUDE_CODE_CLIENT_KEY names %1, which holds no PEM "
                               "private key Qlaude can read (RSA, EC or DSA)")
                            .arg(keyPath);
        return;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (m_client.expires.isValid() && m_client.expires < now) {
        m_errors << Tr::tr("The client certificate in %1 (%2) expired on %3: renew it")
                        .arg(certPath, m_client.subject,
                             m_client.expires.toString(QStringLiteral("yyyy-MM-dd")));
        return;
    }
    if (m_client.expires.isValid() && now.daysTo(m_client.expires) < kExpiryWarningDays)
        m_warnings << Tr::tr("The client certificate in %1 (%2) expires on %3, in %4 "
                             "days: renew it soon")
                          .arg(certPath, m_client.subject,
                               m_client.expires.toString(QStringLiteral("yyyy-MM-dd")))
                          .arg(now.daysTo(m_client.expires));
    m_tls.setLocalCertificateChain(chain);
    m_tls.setPrivateKey(key);
    m_customTls = true;
}

QJsonObject NetworkSetup::report(const QList<Target> &targets) const
{
    QJsonObject out;
    const ProxySettings proxy(m_env);
    if (!m_proxy.isEmpty()) {
        QJsonArray rules;
        for (const QString &r : proxy.noProxyRules())
            rules.append(r);
        out.insert(QStringLiteral("proxy"),
                   QJsonObject{{QStringLiteral("url"), ProxySettings::redacted(m_proxy)},
                               {QStringLiteral("variable"), m_proxyVariable},
                               {QStringLiteral("no_proxy"), rules}});
    }
    QJsonArray hosts;
    for (const Target &t : targets) {
        QJsonObject h{{QStringLiteral("provider"), t.name},
                      {QStringLiteral("selected"), t.selected},
                      {QStringLiteral("host"),
                       QStringLiteral("%1:%2")
                           .arg(t.url.host())
                           .arg(t.url.port(t.url.scheme() == QLatin1String("http") ? 80 : 443))}};
        const QUrl via = proxy.proxyFor(t.url);
        h.insert(QStringLiteral("via"),
                 via.isEmpty() ? QStringLiteral("direct") : ProxySettings::redacted(via));
        const QString bypass = bypassReason(t.url);
        if (!bypass.isEmpty())
            h.insert(QStringLiteral("bypass"), bypass);
        hosts.append(h);
    }
    out.insert(QStringLiteral("hosts"), hosts);
    QJsonArray cas;
    for (const CaFile &f : caFiles()) {
        QJsonObject o{{QStringLiteral("variable"), f.variable},
                      {QStringLiteral("path"), f.path},
                      {QStringLiteral("certificates"), f.certificates}};
        if (!f.error.isEmpty())
            o.insert(QStringLiteral("error"), f.error);
        cas.append(o);
    }
    out.insert(QStringLiteral("ca_files"), cas);
    out.insert(QStringLiteral("system_store"), replacesSystemStore()
                                                   ? QStringLiteral("replaced by SSL_CERT_FILE")
                                                   : QStringLiteral("used"));
    if (!m_certStoreNote.isEmpty())
        out.insert(QStringLiteral("cert_store"), m_certStoreNote);
    const ClientCertificate &c = clientCertificate();
    if (c.isSet()) {
        QJsonObject o{{QStringLiteral("cert"), c.certPath}, {QStringLiteral("key"), c.keyPath}};
        if (!c.subject.isEmpty()) {
            o.insert(QStringLiteral("subject"), c.subject);
            o.insert(QStringLiteral("issuer"), c.issuer);
            o.insert(QStringLiteral("expires"), c.expires.toString(Qt::ISODate));
            o.insert(QStringLiteral("expires_in_days"),
                     QDateTime::currentDateTimeUtc().daysTo(c.expires));
        }
        if (!c.passphraseSource.isEmpty())
            o.insert(QStringLiteral("passphrase_from"), c.passphraseSource);
        out.insert(QStringLiteral("client_certificate"), o);
    }
    if (!m_helper.command.isEmpty() || !m_helper.note.isEmpty()) {
        QJsonObject o{{QStringLiteral("source"), m_helper.source},
                      {QStringLiteral("runs"), !m_helper.command.isEmpty()}};
        if (!m_helper.command.isEmpty())
            o.insert(QStringLiteral("ttl_ms"), m_helper.ttlMs);
        else
            o.insert(QStringLiteral("note"), m_helper.note);
        out.insert(QStringLiteral("proxy_auth_helper"), o);
    }
    QJsonArray errors;
    for (const QString &e : this->errors())
        errors.append(e);
    out.insert(QStringLiteral("errors"), errors);
    return out;
}

} // namespace qlaude
