#pragma once

#include "TestSupport.h"

#include <QByteArray>
#include <QDBusMessage>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QTemporaryDir>
#include <QVariantList>

#include <memory>

namespace qlaude::test {

// A D-Bus session bus of a test's own and, on it, the real gnome-keyring Secret Service with its
// keyring in a HOME of its own: the keyring can be locked, unlocked, stopped and started without
// touching the bus other tests share. The bus has no service activation (a stopped Secret Service
// stays stopped) and goes when the test process does, even when it crashes; the keyring daemon
// follows it.
class PrivateKeyring
{
public:
    // The collection gnome-keyring creates for "--unlock" and the password it is unlocked with.
    static const QString kCollection;

    PrivateKeyring(const QString &name, const QByteArray &password);
    ~PrivateKeyring(); // stops the keyring daemon and the bus

    PrivateKeyring(const PrivateKeyring &) = delete;
    PrivateKeyring &operator=(const PrivateKeyring &) = delete;

    // Starts the bus and makes it this process's session bus (DBUS_SESSION_BUS_ADDRESS): call it
    // before anything in the process uses the session bus. False, with *error, when it cannot.
    bool startBus(QString *error);
    QString busAddress() const { return m_address; }

    // Starts gnome-keyring-daemon on the bus, with its login collection unlocked; true once it
    // owns org.freedesktop.secrets.
    bool startKeyring();
    // The Secret Service stops: its daemon is killed (SIGTERM); true once the name is free.
    bool stopKeyring();
    // The pid owning org.freedesktop.secrets on this process's session bus; 0 when none does.
    static uint keyringPid();

    // Locks the login collection (Secret Service "Lock").
    bool lock() const;
    // Unlocks it the way a person's password prompt would, without the prompt: gnome-keyring's
    // own UnlockWithMasterPassword over a plain session.
    bool unlock() const;

    // Where the keyring keeps its files and its sockets (for scans of what was written).
    QString homePath() const { return m_home->root(); }
    QString runtimePath() const { return m_runtime.path(); }

private:
    static QDBusMessage call(const QString &interface, const QString &method,
                             const QVariantList &args);

    QByteArray m_password;
    std::unique_ptr<TestHome> m_home;
    QTemporaryDir m_runtime; // short: the keyring's sockets live here
    QProcess m_bus;
    QString m_address;
    QProcessEnvironment m_env;
};

} // namespace qlaude::test
