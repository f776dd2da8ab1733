#pragma once

#include <QString>
#include <QStringList>

namespace qlaude::test {

// Certificates for TLS tests, made with the openssl command in `dir` (created): a root CA, a
// server certificate it signs for the given names, and a client certificate it signs, with its
// key in plain and in encrypted (PKCS#8, AES-256) form. EC P-256 keys keep it fast.
class TestPki
{
public:
    // names: subjectAltName entries such as "IP:127.0.0.1", "DNS:localhost".
    TestPki(const QString &dir,
            const QStringList &serverNames = {QStringLiteral("IP:127.0.0.1"),
                                              QStringLiteral("DNS:localhost")},
            int clientDays = 365);

    bool ok() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }

    QString caCert() const { return m_dir + QStringLiteral("/ca.pem"); }
    QString serverCert() const { return m_dir + QStringLiteral("/server.pem"); }
    QString serverKey() const { return m_dir + QStringLiteral("/server.key"); }
    QString clientCert() const { return m_dir + QStringLiteral("/client.pem"); }
    QString clientKey() const { return m_dir + QStringLiteral("/client.key"); }
    QString encryptedClientKey() const { return m_dir + QStringLiteral("/client-encrypted.key"); }
    QString passphrase() const { return m_passphrase; }

    static constexpr const char *kCaName = "Qlaude Test Root CA";

private:
    bool run(const QStringList &args);

    QString m_dir;
    QString m_passphrase;
    QString m_error;
};

} // namespace qlaude::test
