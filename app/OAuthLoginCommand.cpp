#include "OAuthLoginCommand.h"

#include "CliCommands.h"
#include "KeychainStore.h"
#include "NetworkAccess.h"
#include "OAuthLoginFlow.h"
#include "OAuthProfile.h"
#include "OAuthTokenStore.h"
#include "SystemBrowser.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDesktopServices>
#include <QEventLoop>
#include <QGuiApplication>
#include <QNetworkAccessManager>
#include <QSocketNotifier>
#include <QTextStream>

#include <unistd.h>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::OAuthLoginCommand)
};

// One stream each for every command-line mode, so their lines keep their order.
constexpr auto out = cliOut;
constexpr auto err = cliErr;

bool hasDisplay(const QProcessEnvironment &env)
{
    return !env.value(QStringLiteral("DISPLAY")).isEmpty() ||
           !env.value(QStringLiteral("WAYLAND_DISPLAY")).isEmpty();
}

// The desktop app opens URLs through QDesktopServices; the command line has no QGuiApplication,
// so it starts $BROWSER or xdg-open itself, as QDesktopServices would.
bool openBrowser(const QUrl &url, const QProcessEnvironment &env, QString *error)
{
    if (qobject_cast<QGuiApplication *>(QCoreApplication::instance())) {
        if (QDesktopServices::openUrl(url))
            return true;
        *error = Tr::tr("The desktop could not open a browser.");
        return false;
    }
    return SystemBrowser::open(url, env, error);
}

// Reads pasted lines from stdin while the event loop runs.
class PasteReader
{
public:
    explicit PasteReader(std::function<void(const QString &)> line, std::function<void()> closed)
        : m_line(std::move(line)), m_closed(std::move(closed))
    {
    }
    void start()
    {
        m_notifier = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(),
                         [this] { readSome(); });
    }
    void stop()
    {
        if (m_notifier)
            m_notifier->setEnabled(false);
    }

private:
    void readSome()
    {
        char buffer[4096];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) {
            stop();
            if (!m_pending.trimmed().isEmpty())
                m_line(QString::fromUtf8(std::exchange(m_pending, QByteArray())));
            m_closed();
            return;
        }
        m_pending.append(buffer, n);
        qsizetype nl;
        while ((nl = m_pending.indexOf('\n')) >= 0) {
            const QByteArray line = m_pending.left(nl).trimmed();
            m_pending.remove(0, nl + 1);
            if (!line.isEmpty())
                m_line(QString::fromUtf8(line));
        }
    }

    std::function<void(const QString &)> m_line;
    std::function<void()> m_closed;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QByteArray m_pending;
};

QString lifetimeText(qint64 expiresAt)
{
    if (expiresAt <= 0)
        return QString();
    const qint64 minutes = (expiresAt - QDateTime::currentMSecsSinceEpoch() + 30000) / 60000;
    if (minutes >= 120)
        return Tr::tr("; the access token lasts %1 hours and is refreshed automatically")
            .arg((minutes + 30) / 60);
    return Tr::tr("; the access token lasts %1 minutes and is refreshed automatically")
        .arg(qMax<qint64>(minutes, 0));
}
} // namespace

int runOAuthLogin(const AuthContext &ctx, const QString &profileName, const QString &browserName)
{
    if (ctx.isBare()) {
        err() << Tr::tr("--bare never uses OAuth. Run qlaude --login=oauth without --bare.")
              << "\n";
        return 2;
    }
    std::optional<OAuthProfile::Kind> kind = profileName.isEmpty()
                                                 ? OAuthProfile::defaultKind(ctx)
                                                 : OAuthProfile::kindFromName(profileName);
    if (!kind) {
        err() << Tr::tr("Unknown login profile \"%1\". Use --profile=claudeai, --profile=console "
                        "or --profile=oidc.")
                     .arg(profileName)
              << "\n";
        return 2;
    }
    const QProcessEnvironment &penv = ctx.options().processEnvironment;
    QString browser = browserName;
    if (browser.isEmpty())
        browser = hasDisplay(penv) ? QStringLiteral("system") : QStringLiteral("manual");
    if (browser != QLatin1String("system") && browser != QLatin1String("manual") &&
        browser != QLatin1String("embedded")) {
        err() << Tr::tr("Unknown browser \"%1\". Use --browser=system, --browser=manual or "
                        "--browser=embedded.")
                     .arg(browser)
              << "\n";
        return 2;
    }
    if (browser == QLatin1String("embedded")) {
        err() << Tr::tr("The embedded browser needs the desktop app: start qlaude without "
                        "arguments and log in from its login dialog, or use --browser=system or "
                        "--browser=manual here.")
              << "\n";
        return 2;
    }
    const bool manual = browser == QLatin1String("manual");
    const OAuthProfile profile = OAuthProfile::load(ctx, *kind);
    if (!profile.isValid()) {
        err() << profile.error << "\n";
        return 2;
    }

    KeychainStore keychain;
    keychain.setKeyPrefix(ctx.keychainPrefix());
    QString keychainMessage;
    if (keychain.probeSync(&keychainMessage) != KeychainState::Available) {
        err() << Tr::tr("The sign-in was not started: the login could not be stored.") << " "
              << keychainMessage << "\n";
        return 1;
    }
    OAuthTokenStore store(&keychain);
    NetworkAccess nam(NetworkSetup::fromContext(ctx));
    OAuthLoginFlow flow(profile, &nam);
    flow.setTokenStore(&store);

    const bool terminal = stdinIsTerminal();
    bool stdinClosed = false;
    PasteReader reader([&flow](const QString &line) { flow.submitPastedCode(line); },
                       [&] {
                           stdinClosed = true;
                           // Manual login has nowhere else to get the code from.
                           if (manual && flow.state() == OAuthLoginFlow::State::Waiting)
                               flow.cancel();
                       });
    auto prompt = [terminal] {
        if (terminal)
            out() << Tr::tr("Paste code here if prompted > ") << Qt::flush;
    };

    QObject::connect(&flow, &OAuthLoginFlow::ready, &flow, [&] {
        const QString name = flow.profile().displayName();
        if (!manual) {
            out() << Tr::tr("Opening your browser to sign in with %1…").arg(name) << "\n"
                  << Qt::flush;
            QString openError;
            if (!openBrowser(flow.authorizeUrl(), penv, &openError))
                err() << openError << " " << Tr::tr("Open the address below yourself.") << "\n"
                      << Qt::flush;
            if (flow.hasManualRedirect())
                out() << Tr::tr("If the browser didn't open, visit this address and paste the "
                                "code shown at the end here:")
                      << "\n"
                      << flow.manualAuthorizeUrl().toString(QUrl::FullyEncoded) << "\n";
            else
                out() << Tr::tr("If the browser didn't open, visit:") << "\n"
                      << flow.authorizeUrl().toString(QUrl::FullyEncoded) << "\n";
        } else if (flow.hasManualRedirect()) {
            out() << Tr::tr("Visit this address to sign in with %1, then paste the code shown at "
                            "the end here:")
                         .arg(name)
                  << "\n"
                  << flow.manualAuthorizeUrl().toString(QUrl::FullyEncoded) << "\n";
        } else {
            out() << Tr::tr("Visit this address to sign in with %1. If the last page does not "
                            "load, copy its whole address from the address bar and paste it here:")
                         .arg(name)
                  << "\n"
                  << flow.authorizeUrl().toString(QUrl::FullyEncoded) << "\n";
        }
        out() << Qt::flush;
        prompt();
        reader.start();
    });
    QObject::connect(&flow, &OAuthLoginFlow::inputRejected, &flow, [&](const QString &message) {
        err() << message << "\n" << Qt::flush;
        prompt();
    });
    QObject::connect(&flow, &OAuthLoginFlow::codeReceived, &flow, [&] { reader.stop(); });

    QEventLoop loop;
    OAuthLoginFlow::Outcome outcome = OAuthLoginFlow::Outcome::Failed;
    QString message;
    QObject::connect(&flow, &OAuthLoginFlow::finished, &loop,
                     [&](OAuthLoginFlow::Outcome o, const QString &m) {
                         outcome = o;
                         message = m;
                         loop.quit();
                     });
    flow.start();
    loop.exec();
    reader.stop();

    if (outcome == OAuthLoginFlow::Outcome::Succeeded) {
        const OAuthTokens &t = flow.tokens();
        out() << message;
        if (!t.emailAddress.isEmpty())
            out() << " " << Tr::tr("Account: %1.").arg(t.emailAddress);
        out() << " "
              << Tr::tr("The login is stored in the system keychain%1.")
                     .arg(lifetimeText(t.expiresAt))
              << "\n";
        if (!t.scopes.isEmpty())
            out() << Tr::tr("Scopes: %1").arg(t.scopes.join(QLatin1Char(' '))) << "\n";
        out() << Qt::flush;
        return 0;
    }
    if (outcome == OAuthLoginFlow::Outcome::Cancelled && stdinClosed)
        message = Tr::tr("No code was pasted before stdin closed; the sign-in was cancelled. Run "
                         "the login again and paste the code shown after signing in.");
    err() << (terminal ? "\n" : "") << message << "\n" << Qt::flush;
    return 1;
}

} // namespace qlaude
