#include "TestPki.h"

#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>

namespace qlaude::test {

TestPki::TestPki(const QString &dir, const QStringList &serverNames, int clientDays)
    : m_dir(dir), m_passphrase(testSecret(QStringLiteral("client-key-passphrase")))
{
    QDir().mkpath(dir);
    const QStringList ec{QStringLiteral("-newkey"), QStringLiteral("ec"),
                         QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"),
                         QStringLiteral("-nodes")};
    const QString ext = dir + QStringLiteral("/server.ext");
    {
        QFile f(ext);
        if (!f.open(QIODevice::WriteOnly)) {
            m_error = QStringLiteral("cannot write %1").arg(ext);
            return;
        }
        f.write("subjectAltName=" + serverNames.join(QLatin1Char(',')).toLatin1() + "\n");
    }
    const QString clientExt = dir + QStringLiteral("/client.ext");
    {
        QFile f(clientExt);
        if (!f.open(QIODevice::WriteOnly)) {
            m_error = QStringLiteral("cannot write %1").arg(clientExt);
            return;
        }
        f.write("extendedKeyUsage=clientAuth\n");
    }
    const QString days = QString::number(clientDays);
    // clang-format off
    const bool made =
        run(QStringList{"req", "-x509"} + ec + QStringList{"-keyout", dir + "/ca.key", "-out", caCert(),
            "-days", "30", "-subj", QStringLiteral("/CN=%1/O=Qlaude Tests").arg(QLatin1String(kCaName))}) &&
        run(QStringList{"req"} + ec + QStringList{"-keyout", serverKey(), "-out", dir + "/server.csr",
            "-subj", "/CN=qlaude-test-server"}) &&
        run({"x509", "-req", "-in", dir + "/server.csr", "-CA", caCert(), "-CAkey", dir + "/ca.key",
             "-CAcreateserial", "-out", serverCert(), "-days", "30", "-extfile", ext}) &&
        run(QStringList{"req"} + ec + QStringList{"-keyout", clientKey(), "-out", dir + "/client.csr",
            "-subj", "/CN=qlaude-test-client/O=Qlaude Tests"}) &&
        run({"x509", "-req", "-in", dir + "/client.csr", "-CA", caCert(), "-CAkey", dir + "/ca.key",
             "-CAcreateserial", "-out", clientCert(), "-days", days, "-extfile", clientExt}) &&
        run({"pkcs8", "-topk8", "-in", clientKey(), "-out", encryptedClientKey(), "-v2", "aes-256-cbc",
             "-passout", "env:QLAUDE_TEST_PKI_PASS"});
    // clang-format on
    Q_UNUSED(made);
}

bool TestPki::run(const QStringList &args)
{
    if (!m_error.isEmpty())
        return false;
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QLAUDE_TEST_PKI_PASS"), m_passphrase); // never on a command line
    p.setProcessEnvironment(env);
    p.start(QStringLiteral("openssl"), args);
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        m_error = QStringLiteral("openssl %1 failed: %2")
                      .arg(args.value(0), QString::fromLocal8Bit(p.readAllStandardError()));
        return false;
    }
    return true;
}

} // namespace qlaude::test
