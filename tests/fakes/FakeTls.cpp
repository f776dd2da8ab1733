#include "FakeTls.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>

namespace qlaude::fakes {

namespace {
bool readFile(const QString &path, QByteArray *out, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    *out = f.readAll();
    return true;
}
} // namespace

bool serverTlsFromFiles(const QString &certFile, const QString &keyFile,
                        const QString &clientCaFile, QSslConfiguration *tls, QString *error)
{
    QByteArray certPem;
    QByteArray keyPem;
    if (!readFile(certFile, &certPem, error) || !readFile(keyFile, &keyPem, error))
        return false;
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem, QSsl::Pem);
    QSslKey key;
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Ec, QSsl::Rsa}) {
        key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (chain.isEmpty() || key.isNull()) {
        *error = QStringLiteral("%1 or %2 is not a PEM certificate and key").arg(certFile, keyFile);
        return false;
    }
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setLocalCertificateChain(chain);
    c.setPrivateKey(key);
    c.setPeerVerifyMode(QSslSocket::VerifyNone);
    if (!clientCaFile.isEmpty()) {
        QByteArray caPem;
        if (!readFile(clientCaFile, &caPem, error))
            return false;
        c.setCaCertificates(QSslCertificate::fromData(caPem, QSsl::Pem));
        c.setPeerVerifyMode(QSslSocket::VerifyPeer);
    }
    *tls = c;
    return true;
}

} // namespace qlaude::fakes
