#include "NetworkAccess.h"

#include "HelperProcess.h"
#include "ProxySettings.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QHash>
#include <QNetworkReply>
#include <QPointer>
#include <QSslCertificate>
#include <QSslError>
#include <QTimer>

#include <vector>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::NetworkAccess)
};
} // namespace

namespace {

const char *const kFailureProperty = "qlaude.networkFailure";
const char *const kProxyProperty = "qlaude.proxy";
const char *const kClientCertProperty = "qlaude.clientCertificate";
const char *const kPermanentProperty = "qlaude.permanentFailure";
const char *const kEncryptedProperty = "qlaude.encrypted";
constexpr int kMaxHeaderValueBytes = 8192;

// A reply that has already failed: for a request that must not be sent.
class FailedReply : public QNetworkReply
{
public:
    FailedReply(QNetworkAccessManager::Operation op, const QNetworkRequest &request,
                const QString &text, QObject *parent)
        : QNetworkReply(parent)
    {
        setRequest(request);
        setUrl(request.url());
        setOperation(op);
        setError(QNetworkReply::SslHandshakeFailedError, text);
        setProperty(kFailureProperty, text);
        setProperty(kPermanentProperty, true);
        QNetworkReply::open(QIODevice::ReadOnly);
        QTimer::singleShot(0, this, [this] {
            setFinished(true);
            emit errorOccurred(error());
            emit finished();
        });
    }
    void abort() override {}

protected:
    qint64 readData(char *, qint64) override { return -1; }
};

// proxyAuthHelper's answers, by command, shared by every NetworkAccess in the process.
struct HelperAnswer
{
    QByteArray value;
    qint64 expiresAtMs = 0;
};
struct HelperRun
{
    QPointer<HelperProcess> process;
    std::vector<QPointer<NetworkAccess>> networks;
    std::vector<std::pair<QPointer<QObject>, std::function<void(const QString &)>>> waiters;
};
QHash<QString, HelperAnswer> &helperAnswers()
{
    static QHash<QString, HelperAnswer> answers;
    return answers;
}
QHash<QString, HelperRun> &helperRuns()
{
    static QHash<QString, HelperRun> runs;
    return runs;
}

QByteArray cachedAnswer(const QString &command)
{
    const auto it = helperAnswers().constFind(command);
    if (it == helperAnswers().constEnd())
        return QByteArray();
    if (it->expiresAtMs <= QDateTime::currentMSecsSinceEpoch()) {
        helperAnswers().remove(command);
        return QByteArray();
    }
    return it->value;
}

QString hostText(const QUrl &url)
{
    return QStringLiteral("%1:%2")
        .arg(url.host())
        .arg(url.port(url.scheme() == QLatin1String("https") ? 443 : 80));
}

QString certificateName(const QSslCertificate &c, bool issuer)
{
    QStringList parts;
    for (const QByteArray &attr : {QByteArray("CN"), QByteArray("O")}) {
        for (const QString &v : issuer ? c.issuerInfo(attr) : c.subjectInfo(attr))
            parts << QString::fromLatin1(attr) + QLatin1Char('=') + v;
    }
    return parts.isEmpty() ? Tr::tr("an unnamed authority")
                           : QLatin1Char('"') + parts.join(QStringLiteral(", ")) + QLatin1Char('"');
}

QStringList certificateNames(const QSslCertificate &c)
{
    QStringList names;
    const auto alt = c.subjectAlternativeNames();
    for (auto it = alt.constBegin(); it != alt.constEnd(); ++it) {
        if (it.key() == QSsl::DnsEntry || it.key() == QSsl::IpAddressEntry)
            names << it.value();
    }
    if (names.isEmpty())
        names = c.subjectInfo(QSslCertificate::CommonName);
    names.removeDuplicates();
    return names;
}

int errorRank(QSslError::SslError e)
{
    switch (e) {
    case QSslError::HostNameMismatch:
        return 0;
    case QSslError::UnableToGetLocalIssuerCertificate:
    case QSslError::UnableToVerifyFirstCertificate:
    case QSslError::UnableToGetIssuerCertificate:
    case QSslError::SelfSignedCertificate:
    case QSslError::SelfSignedCertificateInChain:
    case QSslError::CertificateUntrusted:
        return 1;
    case QSslError::CertificateExpired:
    case QSslError::CertificateNotYetValid:
        return 2;
    default:
        return 3;
    }
}

QString describeTlsErrors(const QList<QSslError> &errors, const QUrl &url, const QString &proxy,
                          const NetworkSetup &setup)
{
    if (errors.isEmpty())
        return QString();
    QSslError worst = errors.first();
    for (const QSslError &e : errors) {
        if (errorRank(e.error()) < errorRank(worst.error()))
            worst = e;
    }
    const QString host = url.host();
    const QSslCertificate cert = worst.certificate();
    const QString viaProxy =
        proxy.isEmpty()
            ? QString()
            : Tr::tr(" The connection goes through the proxy %1, which may be inspecting "
                     "TLS and re-signing certificates with its own CA.")
                  .arg(proxy);
    switch (worst.error()) {
    case QSslError::HostNameMismatch: {
        const QStringList names = certificateNames(cert);
        return Tr::tr("The TLS certificate presented for %1 is for %2, not for %1.%3 "
                      "Check the base URL; certificate errors are never ignored.")
            .arg(host, names.isEmpty() ? Tr::tr("no host name") : names.join(QStringLiteral(", ")),
                 viaProxy);
    }
    case QSslError::SelfSignedCertificate:
    case QSslError::SelfSignedCertificateInChain:
    case QSslError::UnableToGetLocalIssuerCertificate:
    case QSslError::UnableToVerifyFirstCertificate:
    case QSslError::UnableToGetIssuerCertificate:
    case QSslError::CertificateUntrusted: {
        const bool selfSigned = worst.error() == QSslError::SelfSignedCertificate ||
                                worst.error() == QSslError::SelfSignedCertificateInChain;
        const QString issuer = certificateName(cert, !selfSigned);
        QStringList stores;
        if (!setup.replacesSystemStore())
            stores << Tr::tr("the system store");
        for (const NetworkSetup::CaFile &f : setup.caFiles())
            stores << QStringLiteral("%1 (%2)").arg(f.variable, f.path);
        const QString trusted =
            setup.caFiles().isEmpty()
                ? Tr::tr("this computer does not trust")
                : Tr::tr("none of %1 trusts").arg(stores.join(QStringLiteral(", ")));
        return Tr::tr("The TLS certificate of %1 was issued by %2, which %3.%4 If your "
                      "company uses its own certificate authority, save its CA "
                      "certificate as a PEM file and set NODE_EXTRA_CA_CERTS to that "
                      "file.")
            .arg(host, issuer, trusted, viaProxy);
    }
    case QSslError::CertificateExpired:
        return Tr::tr("The TLS certificate of %1 expired on %2.%3")
            .arg(host, cert.expiryDate().toUTC().toString(QStringLiteral("yyyy-MM-dd")), viaProxy);
    case QSslError::CertificateNotYetValid:
        return Tr::tr("The TLS certificate of %1 is not valid before %2; check this "
                      "computer's clock.%3")
            .arg(host, cert.effectiveDate().toUTC().toString(QStringLiteral("yyyy-MM-dd")),
                 viaProxy);
    default:
        return Tr::tr("The TLS certificate of %1 was refused: %2.%3")
            .arg(host, worst.errorString(), viaProxy);
    }
}

// A server that wants a client certificate ends the handshake with an alert (TLS 1.2), or, with
// TLS 1.3, closes the new connection right after the handshake, before any answer. Decided from
// the reply, not from failureText()'s sentence, which is translated.
bool clientCertificateFailure(QNetworkReply *reply)
{
    if (!reply->property(kFailureProperty).toString().isEmpty())
        return false;
    switch (reply->error()) {
    case QNetworkReply::NoError:
    case QNetworkReply::ProxyAuthenticationRequiredError:
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyNotFoundError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyTimeoutError:
        return false;
    default:
        break;
    }
    const QString qtText = reply->errorString();
    const bool closedAfterHandshake =
        reply->error() == QNetworkReply::RemoteHostClosedError &&
        reply->property(kEncryptedProperty).toBool() &&
        !reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid();
    return closedAfterHandshake ||
           qtText.contains(QLatin1String("certificate required"), Qt::CaseInsensitive) ||
           qtText.contains(QLatin1String("alert handshake failure"), Qt::CaseInsensitive) ||
           qtText.contains(QLatin1String("alert bad certificate"), Qt::CaseInsensitive);
}

} // namespace

NetworkAccess::NetworkAccess(QObject *parent)
    : NetworkAccess(NetworkSetup::fromEnvironment(QProcessEnvironment::systemEnvironment()), parent)
{
}

NetworkAccess::NetworkAccess(std::shared_ptr<const NetworkSetup> setup, QObject *parent)
    : QNetworkAccessManager(parent)
{
    setSetup(std::move(setup));
    connect(this, &QNetworkAccessManager::sslErrors, this,
            [this](QNetworkReply *reply, const QList<QSslError> &errors) {
                reply->setProperty(kPermanentProperty, true);
                reply->setProperty(kFailureProperty,
                                   describeTlsErrors(errors, reply->url(),
                                                     reply->property(kProxyProperty).toString(),
                                                     *m_setup));
            });
}

void NetworkAccess::setSetup(std::shared_ptr<const NetworkSetup> setup)
{
    if (!setup)
        setup = NetworkSetup::fromEnvironment(QProcessEnvironment::systemEnvironment());
    m_setup = std::move(setup);
    auto *proxy = new ProxySettings(m_setup->environment());
    const QString command = m_setup->proxyAuthHelper().command;
    if (!command.isEmpty())
        proxy->setAuthorizationSource([command] { return cachedAnswer(command); });
    setProxyFactory(proxy); // takes ownership, deletes the previous one
}

bool NetworkAccess::answerProxyChallenge(QObject *context,
                                         std::function<void(const QString &error)> done)
{
    const NetworkSetup::ProxyAuthHelper helper = m_setup->proxyAuthHelper();
    if (helper.command.isEmpty())
        return false;
    helperAnswers().remove(helper.command);
    HelperRun &run = helperRuns()[helper.command];
    run.waiters.emplace_back(QPointer<QObject>(context), std::move(done));
    run.networks.emplace_back(this);
    if (run.process)
        return true;
    auto *process = new HelperProcess(QStringLiteral("proxyAuthHelper"), helper.command);
    process->setEnvironment(helper.environment);
    process->setWorkingDirectory(helper.workingDirectory);
    process->setTimeoutMs(NetworkSetup::kHelperTimeoutMs);
    process->setMaxOutputBytes(kMaxHeaderValueBytes);
    run.process = process;
    const QString command = helper.command;
    const int ttlMs = helper.ttlMs;
    connect(process, &HelperProcess::finished, process,
            [process, command, ttlMs](const HelperProcess::Result &r) {
                process->deleteLater();
                QString error;
                if (!r.ok) {
                    error = r.error;
                } else {
                    const QByteArray value = r.output.toUtf8();
                    bool clean = !value.isEmpty();
                    for (const char c : value)
                        clean = clean && uchar(c) >= 0x20 && uchar(c) != 0x7f;
                    if (!clean)
                        error = Tr::tr("proxyAuthHelper printed no usable "
                                       "Proxy-Authorization value: it must print one line, "
                                       "such as \"Basic dXNlcjpwYXNz\".");
                    else
                        helperAnswers().insert(
                            command, {value, QDateTime::currentMSecsSinceEpoch() + ttlMs});
                }
                const HelperRun finished = helperRuns().take(command);
                // Qt keeps proxy connections by host, port and user, not by header: without
                // this, the next request would reuse the set-up that got the 407.
                for (const QPointer<NetworkAccess> &network : finished.networks) {
                    if (network)
                        network->clearConnectionCache();
                }
                for (const auto &w : finished.waiters) {
                    if (w.first)
                        w.second(error);
                }
            });
    process->start();
    return true;
}

void NetworkAccess::clearProxyAuthorizationCache()
{
    helperAnswers().clear();
}

QNetworkReply *NetworkAccess::createRequest(Operation op, const QNetworkRequest &request,
                                            QIODevice *outgoingData)
{
    const QUrl url = request.url();
    const bool https = url.scheme() == QLatin1String("https");
    if (https && !m_setup->errors().isEmpty())
        return new FailedReply(op, request, m_setup->errors().first(), this);
    QNetworkRequest r(request);
    if (https && m_setup->customizesTls())
        r.setSslConfiguration(m_setup->tlsConfiguration());
    QNetworkReply *reply = QNetworkAccessManager::createRequest(op, r, outgoingData);
    // Most set-ups have no proxy: skip parsing the proxy rules again for every request.
    const QUrl proxy = m_setup->proxyUrl().isEmpty() ? QUrl() : m_setup->proxyFor(url);
    if (!proxy.isEmpty())
        reply->setProperty(
            kProxyProperty,
            Tr::tr("%1 (from %2)").arg(ProxySettings::redacted(proxy), m_setup->proxyVariable()));
    reply->setProperty(kClientCertProperty, m_setup->clientCertificate().isSet());
    if (https)
        connect(reply, &QNetworkReply::encrypted, reply,
                [reply] { reply->setProperty(kEncryptedProperty, true); });
    return reply;
}

QString NetworkAccess::failureText(QNetworkReply *reply)
{
    if (!reply)
        return QString();
    const QString recorded = reply->property(kFailureProperty).toString();
    if (!recorded.isEmpty())
        return recorded;
    const QString proxy = reply->property(kProxyProperty).toString();
    const QString qtText = reply->errorString();
    switch (reply->error()) {
    case QNetworkReply::ProxyAuthenticationRequiredError:
        if (proxy.contains(QLatin1String(":***@")))
            return Tr::tr("The proxy %1 refused the user name and password in its URL "
                          "(HTTP 407 Proxy Authentication Required). Check them.")
                .arg(proxy);
        return Tr::tr("The proxy %1 asks for credentials (HTTP 407 Proxy Authentication "
                      "Required). Put them in the proxy URL "
                      "(http://user:password@host:port), or set proxyAuthHelper with "
                      "CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1.")
            .arg(proxy.isEmpty() ? Tr::tr("in the way") : proxy);
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyNotFoundError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyTimeoutError:
        return Tr::tr("The proxy %1 could not be used: %2. Check the proxy variables, or "
                      "exclude the host with NO_PROXY.")
            .arg(proxy.isEmpty() ? Tr::tr("(unknown)") : proxy, qtText);
    default:
        break;
    }
    if (clientCertificateFailure(reply)) {
        if (!reply->property(kClientCertProperty).toBool())
            return Tr::tr("%1 ended the connection during the TLS handshake, as a server "
                          "that requires a client certificate does: set "
                          "CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY to its PEM "
                          "files.")
                .arg(hostText(reply->url()));
        return Tr::tr("%1 refused the client certificate (CLAUDE_CODE_CLIENT_CERT): check "
                      "that it is the one the server expects and has not been revoked.")
            .arg(hostText(reply->url()));
    }
    // Closed before any answer, on a connection that may have been reused: only a hint.
    if (reply->error() == QNetworkReply::RemoteHostClosedError &&
        reply->url().scheme() == QLatin1String("https") &&
        !reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid() &&
        !reply->property(kClientCertProperty).toBool())
        return Tr::tr("%1 closed the connection before answering; if it requires a client "
                      "certificate (mTLS), set CLAUDE_CODE_CLIENT_CERT and "
                      "CLAUDE_CODE_CLIENT_KEY")
            .arg(hostText(reply->url()));
    return QString();
}

bool NetworkAccess::isPermanentFailure(QNetworkReply *reply)
{
    if (!reply || reply->error() == QNetworkReply::NoError)
        return false;
    if (reply->property(kPermanentProperty).toBool() ||
        reply->error() == QNetworkReply::ProxyAuthenticationRequiredError)
        return true;
    // The client-certificate alerts, or a new connection closed right after its handshake.
    return clientCertificateFailure(reply);
}

QString NetworkAccess::errorText(QNetworkReply *reply)
{
    const QString text = failureText(reply);
    return text.isEmpty() ? reply->errorString() : text;
}

} // namespace qlaude
