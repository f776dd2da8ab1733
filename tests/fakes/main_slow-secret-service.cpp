// slow-secret-service: a Secret Service (org.freedesktop.secrets) on the session bus that answers
// reads at once ("nothing is stored") and never answers a write, the way a keyring waiting for
// its password prompt keeps a writer waiting. For tests and screenshots of a slow keychain:
//   dbus-run-session -- bash -c 'slow-secret-service & sleep 0.3; qlaude'
// Commands on standard input, one a line:
//   release  gives up the name org.freedesktop.secrets (held writes stay unanswered), so a real
//            Secret Service can take it;
//   quit     exits: the bus then answers every held write with an error (NoReply).
// Without commands (standard input at its end) it serves until killed.
// Prints "ready" once it owns the name, and "held <method>" for every call it leaves unanswered.

#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusVariant>
#include <QDBusVirtualObject>
#include <QSocketNotifier>

#include <cstdio>

#include <csignal>

#include <sys/prctl.h>
#include <unistd.h>

namespace {

const QString kService = QStringLiteral("org.freedesktop.secrets");
const QString kRoot = QStringLiteral("/org/freedesktop/secrets");
const QString kCollection = QStringLiteral("/org/freedesktop/secrets/collection/login");

class SlowSecretService : public QDBusVirtualObject
{
public:
    QString introspect(const QString &) const override { return QString(); }

    bool handleMessage(const QDBusMessage &m, const QDBusConnection &bus) override
    {
        const QString member = m.member();
        const QVariantList args = m.arguments();
        const QList<QDBusObjectPath> none;
        if (m.interface() == QLatin1String("org.freedesktop.DBus.Properties")) {
            const QString property = args.value(1).toString();
            if (member == QLatin1String("Get") && property == QLatin1String("Locked"))
                return reply(bus, m, {QVariant::fromValue(QDBusVariant(false))});
            if (member == QLatin1String("Get") && property == QLatin1String("Collections"))
                return reply(bus, m,
                             {QVariant::fromValue(QDBusVariant(QVariant::fromValue(
                                 QList<QDBusObjectPath>{QDBusObjectPath(kCollection)})))});
            if (member == QLatin1String("GetAll")) {
                QVariantMap properties;
                if (m.path() == kRoot) {
                    properties.insert(
                        QStringLiteral("Collections"),
                        QVariant::fromValue(QList<QDBusObjectPath>{QDBusObjectPath(kCollection)}));
                } else {
                    properties.insert(QStringLiteral("Locked"), false);
                    properties.insert(QStringLiteral("Label"), QStringLiteral("Login"));
                    properties.insert(QStringLiteral("Items"), QVariant::fromValue(none));
                }
                return reply(bus, m, {properties});
            }
        }
        if (member == QLatin1String("OpenSession")) {
            if (args.value(0).toString() != QLatin1String("plain")) {
                bus.send(
                    m.createErrorReply(QStringLiteral("org.freedesktop.DBus.Error.NotSupported"),
                                       QStringLiteral("only plain sessions")));
                return true;
            }
            return reply(
                bus, m,
                {QVariant::fromValue(QDBusVariant(QString())),
                 QVariant::fromValue(QDBusObjectPath(kRoot + QStringLiteral("/session/1")))});
        }
        if (member == QLatin1String("ReadAlias"))
            return reply(bus, m, {QVariant::fromValue(QDBusObjectPath(kCollection))});
        if (member == QLatin1String("SearchItems")) {
            if (m.path() == kRoot) // unlocked and locked items: none
                return reply(bus, m, {QVariant::fromValue(none), QVariant::fromValue(none)});
            return reply(bus, m, {QVariant::fromValue(none)});
        }
        if (member == QLatin1String("Close"))
            return reply(bus, m, {});
        // A write (CreateItem) and anything else: no answer, as while a prompt is open.
        std::printf("held %s\n", qPrintable(member));
        std::fflush(stdout);
        m_held << m; // kept, so the caller's reply is still owed when this process exits
        return true;
    }

private:
    static bool reply(const QDBusConnection &bus, const QDBusMessage &m, const QVariantList &args)
    {
        QDBusMessage r = m.createReply();
        r.setArguments(args);
        bus.send(r);
        return true;
    }

    QList<QDBusMessage> m_held;
};

} // namespace

int main(int argc, char *argv[])
{
    // Goes with whatever started it (a test, a session script), even when that crashes.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("slow-secret-service"));
    if (app.arguments().contains(QStringLiteral("--help"))) {
        std::printf("slow-secret-service: a Secret Service that answers reads and never answers "
                    "writes.\nStandard input: \"release\" gives up the bus name, \"quit\" "
                    "exits.\n");
        return 0;
    }
    QDBusConnection bus = QDBusConnection::sessionBus();
    SlowSecretService service;
    if (!bus.isConnected() ||
        !bus.registerVirtualObject(kRoot, &service, QDBusConnection::SubPath) ||
        !bus.registerService(kService)) {
        std::fprintf(stderr, "slow-secret-service: cannot own %s on the session bus\n",
                     qPrintable(kService));
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);

    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&input, &QSocketNotifier::activated, &app, [&] {
        char line[64] = {};
        const ssize_t n = ::read(STDIN_FILENO, line, sizeof line - 1);
        const QByteArray command = QByteArray(line, n > 0 ? int(n) : 0).trimmed();
        if (n <= 0) { // no more commands (input from /dev/null): serve until killed
            input.setEnabled(false);
            return;
        }
        if (command.contains("quit")) {
            QCoreApplication::quit();
            return;
        }
        if (command.contains("release")) {
            bus.unregisterService(kService);
            std::printf("released\n");
            std::fflush(stdout);
        }
    });
    return app.exec();
}
