#include "PrivateKeyring.h"

#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMetaType>
#include <QDBusObjectPath>
#include <QDBusReply>
#include <QDBusVariant>
#include <QDir>
#include <QTest>

#include <csignal>

#include <sys/prctl.h>

namespace {

// The Secret Service's Secret struct (session, parameters, value, content type).
struct Secret
{
    QDBusObjectPath session;
    QByteArray parameters;
    QByteArray value;
    QString contentType;
};

QDBusArgument &operator<<(QDBusArgument &a, const Secret &s)
{
    a.beginStructure();
    a << s.session << s.parameters << s.value << s.contentType;
    a.endStructure();
    return a;
}

const QDBusArgument &operator>>(const QDBusArgument &a, Secret &s)
{
    a.beginStructure();
    a >> s.session >> s.parameters >> s.value >> s.contentType;
    a.endStructure();
    return a;
}

const QString kSecretsService = QStringLiteral("org.freedesktop.secrets");

} // namespace

Q_DECLARE_METATYPE(Secret)

namespace qlaude::test {

const QString PrivateKeyring::kCollection =
    QStringLiteral("/org/freedesktop/secrets/collection/login");

PrivateKeyring::PrivateKeyring(const QString &name, const QByteArray &password)
    : m_password(password), m_home(std::make_unique<TestHome>(name)),
      m_runtime(QDir::tempPath() + QStringLiteral("/qlt-kr-XXXXXX"))
{
    qDBusRegisterMetaType<Secret>();
}

PrivateKeyring::~PrivateKeyring()
{
    if (const uint pid = keyringPid())
        ::kill(pid_t(pid), SIGTERM);
    if (m_bus.state() != QProcess::NotRunning) {
        m_bus.terminate();
        m_bus.waitForFinished(5000);
    }
}

bool PrivateKeyring::startBus(QString *error)
{
    const QString config = m_home->path(QStringLiteral("bus.conf"));
    m_home->writeFile(config, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
                              "Configuration 1.0//EN\" "
                              "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                              "<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen>"
                              "<policy context=\"default\"><allow send_destination=\"*\" "
                              "eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/>"
                              "</policy></busconfig>\n");
    // The bus goes when the test does, even when it crashes.
    m_bus.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    m_bus.start(QStringLiteral("dbus-daemon"),
                {QStringLiteral("--config-file=") + config, QStringLiteral("--nofork"),
                 QStringLiteral("--print-address=1")});
    if (!m_bus.waitForStarted(5000)) {
        *error = QStringLiteral("dbus-daemon did not start");
        return false;
    }
    if (!m_bus.waitForReadyRead(5000)) {
        *error = QStringLiteral("dbus-daemon printed nothing");
        return false;
    }
    const QByteArray address = m_bus.readLine().trimmed();
    if (address.isEmpty()) {
        *error = QStringLiteral("dbus-daemon printed no address");
        return false;
    }
    m_address = QString::fromLatin1(address);
    qputenv("DBUS_SESSION_BUS_ADDRESS", address); // before this process uses the bus
    m_env = QProcessEnvironment::systemEnvironment();
    m_env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), m_address);
    m_env.insert(QStringLiteral("HOME"), m_home->root());
    m_env.insert(QStringLiteral("XDG_DATA_HOME"), m_home->path(QStringLiteral("share")));
    if (!m_runtime.isValid()) {
        *error = QStringLiteral("no runtime folder for the keyring");
        return false;
    }
    m_env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_runtime.path());
    return true;
}

bool PrivateKeyring::startKeyring()
{
    QProcess daemon;
    daemon.setProcessEnvironment(m_env);
    daemon.start(QStringLiteral("gnome-keyring-daemon"),
                 {QStringLiteral("--daemonize"), QStringLiteral("--unlock"),
                  QStringLiteral("--components=secrets")});
    if (!daemon.waitForStarted(5000))
        return false;
    daemon.write(m_password);
    daemon.closeWriteChannel();
    if (!daemon.waitForFinished(10000) || daemon.exitCode() != 0)
        return false;
    return QTest::qWaitFor([] { return keyringPid() > 0; }, 5000);
}

bool PrivateKeyring::stopKeyring()
{
    const uint pid = keyringPid();
    if (pid == 0 || ::kill(pid_t(pid), SIGTERM) != 0)
        return false;
    return QTest::qWaitFor([] { return keyringPid() == 0; }, 5000);
}

uint PrivateKeyring::keyringPid()
{
    const QDBusReply<uint> pid =
        QDBusConnection::sessionBus().interface()->servicePid(kSecretsService);
    return pid.isValid() ? pid.value() : 0;
}

QDBusMessage PrivateKeyring::call(const QString &interface, const QString &method,
                                  const QVariantList &args)
{
    QDBusMessage m = QDBusMessage::createMethodCall(
        kSecretsService, QStringLiteral("/org/freedesktop/secrets"), interface, method);
    m.setArguments(args);
    return QDBusConnection::sessionBus().call(m, QDBus::Block, 5000);
}

bool PrivateKeyring::lock() const
{
    const QDBusMessage r =
        call(QStringLiteral("org.freedesktop.Secret.Service"), QStringLiteral("Lock"),
             {QVariant::fromValue(QList<QDBusObjectPath>{QDBusObjectPath(kCollection)})});
    return r.type() == QDBusMessage::ReplyMessage;
}

bool PrivateKeyring::unlock() const
{
    const QDBusMessage session =
        call(QStringLiteral("org.freedesktop.Secret.Service"), QStringLiteral("OpenSession"),
             {QStringLiteral("plain"), QVariant::fromValue(QDBusVariant(QString()))});
    if (session.type() != QDBusMessage::ReplyMessage || session.arguments().size() < 2)
        return false;
    Secret secret;
    secret.session = session.arguments().at(1).value<QDBusObjectPath>();
    secret.value = m_password;
    secret.contentType = QStringLiteral("text/plain");
    const QDBusMessage r =
        call(QStringLiteral("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"),
             QStringLiteral("UnlockWithMasterPassword"),
             {QVariant::fromValue(QDBusObjectPath(kCollection)), QVariant::fromValue(secret)});
    return r.type() == QDBusMessage::ReplyMessage;
}

} // namespace qlaude::test
