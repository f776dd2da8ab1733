#include "GuiApp.h"

#include "AppPaths.h"
#include "AppServices.h"
#include "AuthorizerFactory.h"
#include "ChatWindow.h"
#include "CloudCredentialCheck.h"
#include "Connections.h"
#include "ConversationStore.h"
#include "DoctorDialog.h"
#include "DoctorReport.h"
#include "FirstPaint.h"
#include "HelperProcess.h"
#include "KeychainStore.h"
#include "LoginDialog.h"
#include "NetworkAccess.h"
#include "NoCredentialAuthorizer.h"
#include "ProviderFactory.h"
#include "SettingsDialog.h"
#include "SignalWatcher.h"
#include "SingleInstance.h"
#include "SubscriptionLogin.h"
#include "TrustDialog.h"

#include <QApplication>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QPointer>
#include <QTextStream>
#include <QTimer>

#include <memory>
#include <vector>

namespace qlaude {

namespace {

// Owns everything the windows borrow through AppServices, and rebuilds it on reload().
class GuiController : public QObject
{
public:
    GuiController(const AuthContext::Options &options, const GuiOptions &gui)
        : m_options(options), m_gui(gui)
    {
        m_context = std::make_unique<AuthContext>(AuthContext::load(m_options));
        m_keychain.setKeyPrefix(m_context->keychainPrefix());
        m_services.context = m_context.get();
        m_services.keychain = &m_keychain;
        m_services.network = &m_network;
        m_services.reload = [this](std::function<void()> done) { reload(std::move(done)); };
        m_services.switchConnection = [this](const QString &name) { switchConnection(name); };
        m_services.bindWorkspace = [this](const QString &name, QString *error) {
            return bindWorkspace(name, error);
        };
    }

    // The start: the trust prompt when the folder's settings wait for it, the keychain, then
    // the chat window, and the login dialog over it when no credential is usable. Every step
    // goes on from the event loop: no dialog opens inside a keychain callback, and none runs
    // a nested event loop before the chat window exists.
    void start()
    {
        if (!openHistory())
            return;
        const TrustState &t = m_context->trust();
        if (t.needsApproval() && !t.declined && !m_gui.exitAfterFirstPaint) {
            auto *dialog = new TrustDialog(t, nullptr);
            dialog->setAttribute(Qt::WA_DeleteOnClose);
            QObject::connect(dialog, &QDialog::finished, this, [this](int result) {
                recordTrust(result == QDialog::Accepted, nullptr);
                readKeychain();
            });
            dialog->open();
            return;
        }
        readKeychain();
    }

private:
    TrustStore trustStore() const
    {
        return TrustStore(m_options.trustStorePath.isEmpty() ? TrustStore::defaultPath()
                                                             : m_options.trustStorePath);
    }

    // Stores the answer to the trust prompt. "Don't trust" is remembered for these settings
    // (the prompt does not come back until they change), and the app goes on without them.
    void recordTrust(bool trusted, QWidget *parent)
    {
        const TrustState t = m_context->trust();
        QString error;
        TrustStore store = trustStore();
        if (trusted) {
            if (!store.trust(t, &error))
                QMessageBox::warning(
                    parent, QObject::tr("Trust not saved"),
                    QObject::tr("%1\nThe folder is trusted for this run only.").arg(error));
        } else if (!store.decline(t, &error)) {
            QMessageBox::warning(parent, QObject::tr("Decision not saved"),
                                 QObject::tr("%1\nQlaude will ask about this folder again next "
                                             "time.")
                                     .arg(error));
        }
        m_context->reloadTrust();
    }

    // Asks about the folder's settings over the chat window; true when it is trusted now.
    bool askTrust(QWidget *parent)
    {
        TrustDialog dialog(m_context->trust(), parent);
        const bool trusted = dialog.exec() == QDialog::Accepted;
        recordTrust(trusted, parent);
        return trusted;
    }

    void readKeychain()
    {
        // The keychain is read asynchronously: the UI thread never waits on D-Bus.
        QPointer<GuiController> self(this);
        KeychainSnapshot::load(&m_keychain, [self](const KeychainSnapshot &snapshot) {
            if (!self)
                return;
            QMetaObject::invokeMethod(
                self.data(), [self, snapshot] { self->keychainRead(snapshot); },
                Qt::QueuedConnection);
        });
    }

    void keychainRead(const KeychainSnapshot &snapshot)
    {
        resolve(snapshot);
        showChatWindow();
        // A locked keychain keeps the login the person has: the window says to unlock it and
        // offers Retry instead of asking for a new one.
        const bool locked = snapshot.read && snapshot.state == KeychainState::Locked;
        if (m_services.resolution.usable() || locked || m_gui.exitAfterFirstPaint)
            return;
        // Over the chat window once it is painted: the window manager has placed it by then,
        // so the dialog opens centred on it.
        QPointer<ChatWindow> window = m_window;
        QObject::connect(
            m_window, &ChatWindow::firstPainted, m_window,
            [this, window] {
                if (window)
                    showLogin(window);
            },
            Qt::ConnectionType(Qt::QueuedConnection | Qt::SingleShotConnection));
    }

    // File > Trust This Folder: the same prompt; trusting reloads everything the settings feed.
    void trustFromMenu(QWidget *parent)
    {
        if (!m_context->trust().needsApproval())
            return;
        if (askTrust(parent))
            reload({});
    }

    bool openHistory()
    {
        m_store = std::make_unique<ConversationStore>();
        if (m_store->open()) {
            m_services.store = m_store.get();
            return true;
        }
        QMessageBox::critical(nullptr, QObject::tr("Chat history unavailable"),
                              QObject::tr("%1\n\nQlaude did not change the file. Move it aside "
                                          "or free disk space, then start Qlaude again.")
                                  .arg(m_store->errorString()));
        QCoreApplication::exit(1);
        return false;
    }

    void resolve(const KeychainSnapshot &snapshot)
    {
        m_services.keychainSnapshot = snapshot;
        m_services.resolution = AuthResolver::resolve(*m_context, snapshot);
        std::unique_ptr<Authorizer> auth = makeAuthorizer(*m_context, m_services.resolution);
        if (!auth)
            auth = std::make_unique<NoCredentialAuthorizer>(
                QObject::tr("No credential is available. Log in (File > Log in) or set "
                            "ANTHROPIC_API_KEY."));
        Authorizer *current = auth.get();
        // Old authorizers stay alive: a call still in flight may ask one once more.
        m_authorizers.push_back(std::move(auth));
        ProviderSetup setup = makeProviderSetup(*m_context, m_services.resolution, current);
        m_network.setSetup(NetworkSetup::fromContext(*m_context));
        if (!m_client)
            m_client = std::make_unique<ProviderClient>(std::move(setup.config),
                                                        std::move(setup.parts), &m_network);
        else
            m_client->reconfigure(std::move(setup.config), std::move(setup.parts));
        m_services.client = m_client.get();
    }

    // The window's next request goes through the named connection ("" for "From your
    // settings"); a request in flight finishes with the connection it started with.
    void switchConnection(const QString &name)
    {
        m_options.connection = name;
        m_options.connectionGiven = true;
        reload({});
    }

    bool bindWorkspace(const QString &name, QString *error)
    {
        ConnectionStore store = m_context->connectionStore();
        if (!store.load()) {
            *error = store.errorString();
            return false;
        }
        if (!store.bind(m_options.workspace, name, error))
            return false;
        // The window keeps the connection it shows; a binding only says how the folder opens.
        m_options.connection = name.isEmpty() ? m_context->connectionName() : name;
        m_options.connectionGiven = true;
        reload({});
        return true;
    }

    void reload(std::function<void()> done)
    {
        const QString prefixBefore = m_keychain.keyPrefix();
        *m_context = AuthContext::load(m_options);
        m_keychain.setKeyPrefix(m_context->keychainPrefix());
        const bool sameConnection = prefixBefore == m_keychain.keyPrefix();
        KeychainSnapshot::load(
            &m_keychain, [this, done, sameConnection](const KeychainSnapshot &snapshot) {
                // A keychain that went away (stopped, locked) does not log the running app out;
                // another connection's entries are never carried over to this one.
                resolve(sameConnection
                            ? KeychainSnapshot::carryOver(m_services.keychainSnapshot, snapshot)
                            : snapshot);
                if (m_window)
                    m_window->servicesChanged();
                if (done)
                    done();
            });
    }

    void showLogin(QWidget *parent)
    {
        LoginDialog dialog(m_services, parent);
        auto *subscription = new SubscriptionLogin(m_services);
        QObject::connect(subscription, &SubscriptionLogin::signedIn, &dialog, &QDialog::accept);
        dialog.addSubscriptionOption(subscription);
        bool wantsSettings = false;
        QObject::connect(&dialog, &LoginDialog::providerSettingsRequested, &dialog,
                         [&wantsSettings] { wantsSettings = true; });
        const bool loggedIn = dialog.exec() == QDialog::Accepted;
        if (loggedIn && m_window)
            m_window->credentialRenewed();
        if (wantsSettings)
            showSettings(parent);
    }

    void showSettings(QWidget *parent, SettingsDialog::Page page = SettingsDialog::Page::Provider)
    {
        SettingsDialog dialog(m_services, parent);
        dialog.showPage(page);
        dialog.exec();
    }

    void showDoctor(QWidget *parent)
    {
        const QJsonObject report =
            DoctorReport::build(*m_context, m_services.keychainSnapshot, m_services.resolution);
        DoctorDialog dialog(report, parent);
        // A cloud credential is fetched once, without blocking the dialog (no awsAuthRefresh or
        // gcpAuthRefresh), and its source and expiry are added when it answers.
        checkCloudCredential(*m_context, m_services.resolution, &dialog, 20000,
                             [&dialog](const CloudCredentialCheck &check) {
                                 if (!check.ran)
                                     return;
                                 QJsonObject r = dialog.report();
                                 r.insert(QStringLiteral("credential_check"), check.toJson());
                                 dialog.setReport(r);
                             });
        dialog.exec();
    }

    void showChatWindow()
    {
        m_window = new ChatWindow(m_services);
        m_windowShown = true;
        m_window->setAttribute(Qt::WA_DeleteOnClose);
        if (m_gui.exitAfterFirstPaint)
            exitAfterFirstPaint(m_window);
        QObject::connect(m_window, &ChatWindow::loginRequested, m_window,
                         [this] { showLogin(m_window); });
        QObject::connect(m_window, &ChatWindow::settingsRequested, m_window,
                         [this] { showSettings(m_window); });
        QObject::connect(m_window, &ChatWindow::connectionsRequested, m_window,
                         [this] { showSettings(m_window, SettingsDialog::Page::Connections); });
        QObject::connect(m_window, &ChatWindow::doctorRequested, m_window,
                         [this] { showDoctor(m_window); });
        QObject::connect(m_window, &ChatWindow::trustRequested, m_window,
                         [this] { trustFromMenu(m_window); });
        m_window->show();
        // From now on, closing the chat window quits. Before it exists, a closed trust or
        // login dialog is the last window while the keychain is still being read, and must not
        // end the app.
        QApplication::setQuitOnLastWindowClosed(true);
    }

public:
    void stopStreaming()
    {
        if (m_window && m_window->session())
            m_window->session()->stop();
    }

    // Whether this controller shows (or is about to show: trust prompt, keychain) the workspace
    // and settings a later launch asked for. A window the user closed no longer counts.
    bool shows(const SingleInstance::Request &r) const
    {
        return (m_window || !m_windowShown) &&
               AppPaths::canonicalDir(m_options.workspace) == r.workspace &&
               m_options.flagSettings == r.flagSettings && m_options.bare == r.bare &&
               (!r.connectionGiven || r.connection == m_context->connectionName());
    }

    void raiseWindow()
    {
        if (!m_window)
            return; // still starting: its window comes up in front
        m_window->show();
        m_window->setWindowState((m_window->windowState() & ~Qt::WindowMinimized) |
                                 Qt::WindowActive);
        m_window->raise();
        m_window->activateWindow();
    }

private:
    AuthContext::Options m_options;
    GuiOptions m_gui;
    std::unique_ptr<AuthContext> m_context;
    KeychainStore m_keychain;
    NetworkAccess m_network;
    std::unique_ptr<ConversationStore> m_store;
    std::vector<std::unique_ptr<Authorizer>> m_authorizers;
    std::unique_ptr<ProviderClient> m_client;
    AppServices m_services;
    QPointer<ChatWindow> m_window;
    bool m_windowShown = false; // once shown, a null m_window means the user closed it
};

} // namespace

int runGui(const AuthContext::Options &contextOptions, const GuiOptions &options)
{
    // The window state's QSettings file goes here: private from its first write on.
    AppPaths::ensurePrivateDir(AppPaths::configDir());

    // One window per workspace, all in one process: a later `qlaude` hands its workspace over
    // and exits; this process raises the window on that workspace, or opens a new window for
    // it, as an editor opens a second folder.
    std::vector<std::unique_ptr<GuiController>> controllers;
    const auto openWorkspace = [&controllers, &contextOptions,
                                &options](const SingleInstance::Request &r) -> QString {
        for (const auto &c : controllers) {
            if (c->shows(r)) {
                c->raiseWindow();
                return QObject::tr("Qlaude is already showing %1: its window was raised.")
                    .arg(r.workspace);
            }
        }
        AuthContext::Options o = contextOptions;
        o.workspace = r.workspace;
        o.flagSettings = r.flagSettings;
        o.bare = r.bare;
        o.connection = r.connection;
        o.connectionGiven = r.connectionGiven;
        controllers.push_back(std::make_unique<GuiController>(o, options));
        GuiController *c = controllers.back().get();
        QMetaObject::invokeMethod(
            c, [c] { c->start(); }, Qt::QueuedConnection);
        return QObject::tr("Qlaude is already running: it opens %1 in a new window.")
            .arg(r.workspace);
    };
    SingleInstance instance(openWorkspace);
    // --exit-after-first-paint measures one start of its own and never takes part.
    if (!options.exitAfterFirstPaint) {
        SingleInstance::Request request;
        request.workspace = AppPaths::canonicalDir(contextOptions.workspace);
        request.flagSettings = contextOptions.flagSettings;
        request.bare = contextOptions.bare;
        request.connection = contextOptions.connection;
        request.connectionGiven = contextOptions.connectionGiven;
        QString message;
        switch (instance.start(request, &message)) {
        case SingleInstance::Role::Forwarded:
            QTextStream(stdout) << message << '\n';
            return 0;
        case SingleInstance::Role::Standalone:
            QTextStream(stderr) << "qlaude: " << message << '\n';
            break;
        case SingleInstance::Role::Primary:
            break;
        }
    }
    controllers.push_back(std::make_unique<GuiController>(contextOptions, options));
    GuiController &controller = *controllers.front();
    // SIGINT, SIGTERM, SIGHUP (a logout, `kill`, Ctrl-C in the terminal that started it): stop
    // a streaming answer as the Stop button does, end helper commands, and quit normally so the
    // history is closed cleanly.
    SignalWatcher signalWatcher;
    int signalExit = 0;
    QObject::connect(&signalWatcher, &SignalWatcher::received, &controller,
                     [&controllers, &signalExit](int signalNumber) {
                         if (signalExit)
                             return;
                         signalExit = SignalWatcher::exitCodeFor(signalNumber);
                         HelperProcess::cancelAll();
                         for (const auto &c : controllers)
                             c->stopStreaming();
                         const int code = signalExit;
                         QTimer::singleShot(0, qApp, [code] { QCoreApplication::exit(code); });
                     });
    QApplication::setQuitOnLastWindowClosed(false); // until the chat window is shown
    QMetaObject::invokeMethod(
        &controller, [&controller] { controller.start(); }, Qt::QueuedConnection);
    return QApplication::exec();
}

} // namespace qlaude
