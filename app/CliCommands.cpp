#include "CliCommands.h"

#include "AuthResolver.h"
#include "CloudCredentialCheck.h"
#include "DisplayText.h"
#include "DoctorReport.h"
#include "KeychainStore.h"
#include "NetworkAccess.h"
#include "OAuthClient.h"
#include "OAuthTokenStore.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTextStream>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::CliCommands)
};

QTextStream &out()
{
    return cliOut();
}
QTextStream &err()
{
    return cliErr();
}
} // namespace

QTextStream &cliOut()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &cliErr()
{
    static QTextStream s(stderr);
    return s;
}

bool stdinIsTerminal()
{
    return ::isatty(STDIN_FILENO) == 1;
}

QString readSecretFromStdin(const QString &prompt)
{
    if (!stdinIsTerminal()) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return QString();
        return QString::fromUtf8(in.readAll()).trimmed();
    }
    err() << prompt << Qt::flush;
    termios old{};
    const bool haveTerm = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (haveTerm) {
        termios quiet = old;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    int c;
    while ((c = std::getchar()) != EOF && c != '\n')
        line.push_back(char(c));
    if (haveTerm)
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    err() << "\n" << Qt::flush;
    const QString secret = QString::fromStdString(line).trimmed();
    std::fill(line.begin(), line.end(), '\0');
    return secret;
}

int CliCommands::doctor(const AuthContext &ctx, bool json)
{
    KeychainSnapshot kc;
    if (!ctx.isBare()) {
        KeychainStore store;
        store.setKeyPrefix(ctx.keychainPrefix());
        kc = KeychainSnapshot::loadSync(&store);
    }
    const Resolution res = AuthResolver::resolve(ctx, kc);
    QJsonObject report = DoctorReport::build(ctx, kc, res);
    // A cloud credential is fetched once, as a request would (no awsAuthRefresh or
    // gcpAuthRefresh: doctor never starts a login), to show where it came from and when it
    // expires.
    CloudCredentialCheck check;
    {
        QEventLoop loop;
        QObject receiver;
        bool finished = false;
        checkCloudCredential(ctx, res, &receiver, 20000, [&](const CloudCredentialCheck &c) {
            check = c;
            finished = true;
            loop.quit();
        });
        if (!finished)
            loop.exec();
        if (check.ran)
            report.insert(QStringLiteral("credential_check"), check.toJson());
    }
    // Both forms are safe on a terminal: the text escapes control and bidi characters, the JSON
    // writes them as \u escapes (the parsed values are unchanged).
    if (json)
        out() << QString::fromUtf8(
            terminalSafeJson(QJsonDocument(report).toJson(QJsonDocument::Indented)));
    else
        out() << DoctorReport::toText(report);
    out() << Qt::flush;
    return res.usable() && (!check.ran || check.ok) ? 0 : 1;
}

int CliCommands::loginApiKey(const AuthContext &ctx)
{
    const QString key = readSecretFromStdin(Tr::tr("Paste your Anthropic API key: "));
    if (key.isEmpty()) {
        err() << Tr::tr("No API key was given. Paste the key when asked, or pipe it: "
                        "printf %s \"$KEY\" | qlaude --login=api-key")
              << "\n";
        return 2;
    }
    if (key.contains(QLatin1Char(' ')) || key.contains(QLatin1Char('\n')) ||
        key.contains(QLatin1Char('\t'))) {
        err() << Tr::tr("That does not look like an API key: it contains spaces or line "
                        "breaks. Copy the key alone and try again.")
              << "\n";
        return 2;
    }
    KeychainStore store;
    store.setKeyPrefix(ctx.keychainPrefix());
    const KeychainResult w = store.writeSync(QLatin1String(KeychainStore::kApiKey), key);
    if (!w.ok()) {
        err() << Tr::tr("The API key was not saved.") << " " << w.message << "\n";
        return 1;
    }
    if (ctx.connectionName().isEmpty())
        out() << Tr::tr("Saved the API key (%1) in the system keychain.").arg(redactSecret(key))
              << "\n";
    else
        out() << Tr::tr("Saved the API key (%1) for the connection \"%2\" in the system "
                        "keychain.")
                     .arg(redactSecret(key), ctx.connectionName())
              << "\n";
    // A new login replaces the previous one, so the key just stored is the one used.
    if (store.readSync(QLatin1String(KeychainStore::kOAuth)).ok() &&
        store.removeSync(QLatin1String(KeychainStore::kOAuth)).ok())
        out() << Tr::tr("Removed the previous Claude.ai login from the keychain.") << "\n";
    out() << Qt::flush;
    return 0;
}

namespace {
QString oauthLabel(const OAuthTokens &t)
{
    if (t.profile == QLatin1String("oidc"))
        return Tr::tr("the organization SSO login") +
               (t.issuer.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(t.issuer));
    QString label = t.profile == QLatin1String("console") ? Tr::tr("the Anthropic Console login")
                                                          : Tr::tr("the Claude.ai login");
    if (!t.emailAddress.isEmpty())
        label += QStringLiteral(" (%1)").arg(t.emailAddress);
    return label;
}

// Revokes the stored refresh token, as the CLI does before a logout: 5 s at most, and a failure
// only means the server-side session outlives the local logout.
void revokeBeforeLogout(const OAuthTokens &tokens, const AuthContext &ctx)
{
    if (tokens.revokeUrl.isEmpty()) {
        out() << Tr::tr("The sign-in server has no revocation endpoint; removing the local "
                        "login only.")
              << "\n";
        return;
    }
    NetworkAccess nam(NetworkSetup::fromContext(ctx));
    OAuthClient client(&nam);
    QEventLoop loop;
    OAuthError result;
    bool done = false;
    client.revoke(tokens, OAuthClient::kRevokeTimeoutMs, [&](const OAuthError &e) {
        result = e;
        done = true;
        loop.quit();
    });
    if (!done)
        loop.exec();
    if (result.isError())
        out() << Tr::tr("Could not revoke the login at the sign-in server: %1 Continuing with "
                        "the local logout.")
                     .arg(result.message)
              << "\n";
    else
        out() << Tr::tr("Revoked the refresh token at %1.").arg(QUrl(tokens.revokeUrl).host())
              << "\n";
}
} // namespace

int CliCommands::logout(const AuthContext &ctx)
{
    KeychainStore store;
    store.setKeyPrefix(ctx.keychainPrefix());
    QString message;
    const KeychainState state = store.probeSync(&message);
    if (state != KeychainState::Available) {
        err() << Tr::tr("Nothing was removed.") << " " << message << "\n";
        return 1;
    }
    QStringList removed;
    QStringList failures;
    const struct
    {
        const char *key;
        const char *label;
    } entries[] = {
        {KeychainStore::kApiKey, QT_TRANSLATE_NOOP("qlaude::CliCommands", "the API key")},
        {KeychainStore::kOAuth, QT_TRANSLATE_NOOP("qlaude::CliCommands", "the Claude.ai login")}};
    for (const auto &e : entries) {
        const KeychainResult before = store.readSync(QLatin1String(e.key));
        if (before.status == KeychainResult::Status::NotFound)
            continue;
        QString label = Tr::tr(e.label);
        if (before.ok() && QLatin1String(e.key) == QLatin1String(KeychainStore::kApiKey))
            label += QStringLiteral(" (%1)").arg(redactSecret(before.data));
        if (QLatin1String(e.key) == QLatin1String(KeychainStore::kOAuth)) {
            OAuthTokens tokens = OAuthTokenStore::parse(before).tokens;
            if (!tokens.isEmpty()) {
                label = oauthLabel(tokens);
                revokeBeforeLogout(tokens, ctx);
            }
            tokens.wipe();
        }
        const KeychainResult r = store.removeSync(QLatin1String(e.key));
        if (r.ok())
            removed << displaySafe(label);
        else
            failures << QStringLiteral("%1: %2").arg(label, r.message);
    }
    if (removed.isEmpty() && failures.isEmpty())
        out() << Tr::tr("Nothing to remove: Qlaude has no login stored in the keychain.") << "\n";
    for (const QString &r : removed)
        out() << Tr::tr("Removed %1 from the system keychain.").arg(r) << "\n";
    for (const QString &f : failures)
        err() << Tr::tr("Could not remove %1").arg(f) << "\n";
    out() << Qt::flush;
    return failures.isEmpty() ? 0 : 1;
}

int CliCommands::trust(AuthContext &ctx, bool assumeYes)
{
    const TrustState &t = ctx.trust();
    // Commands and paths come from the project's files: shown with their control, bidi and
    // zero-width characters escaped, so an escape sequence cannot hide what would run.
    out() << Tr::tr("Workspace: %1").arg(displaySafe(t.workspace)) << "\n";
    if (t.trusted && !t.items.isEmpty()) {
        out() << Tr::tr("This folder is already trusted with its current settings.") << "\n"
              << Qt::flush;
        return 0;
    }
    if (t.items.isEmpty()) {
        out() << Tr::tr("Its settings run no commands and change no credential settings.") << "\n";
    } else {
        out() << Tr::tr("Trusting it lets its settings do the following:") << "\n";
        for (const TrustItem &i : t.items) {
            out() << "  " << displaySafe(i.key) << "  "
                  << Tr::tr("(from %1)").arg(displaySafe(i.file)) << "\n    "
                  << displaySafe(i.displayValue()) << "\n";
            for (const TrustItem &p : t.pending) {
                if (p.key == i.key && !p.previousValue.isNull())
                    out()
                        << "    "
                        << Tr::tr("changed; approved before: %1").arg(displaySafe(p.previousValue))
                        << "\n";
                for (const QString &f : p.key == i.key ? p.changedFiles : QStringList())
                    out() << "    " << Tr::tr("changed since approved: %1").arg(displaySafe(f))
                          << "\n";
            }
        }
        out() << Tr::tr("Never trust a folder from a source you do not trust: these commands "
                        "could send your API keys elsewhere or run anything on your behalf.")
              << "\n";
    }
    if (t.homeDirectory)
        out() << Tr::tr("This is your home directory: trust lasts for this run only.") << "\n";
    out() << Qt::flush;
    if (!assumeYes) {
        if (!stdinIsTerminal()) {
            err() << Tr::tr("Not a terminal: pass --yes to confirm (qlaude --trust --yes).")
                  << "\n";
            return 2;
        }
        //: The answer is read as y or Y whatever the language: keep [y/N].
        err() << Tr::tr("Trust this folder? [y/N] ") << Qt::flush;
        char buf[16] = {};
        if (!std::fgets(buf, sizeof buf, stdin) || (buf[0] != 'y' && buf[0] != 'Y')) {
            out() << Tr::tr("Not trusted. Nothing was changed.") << "\n";
            return 1;
        }
    }
    TrustStore store(ctx.options().trustStorePath.isEmpty() ? TrustStore::defaultPath()
                                                            : ctx.options().trustStorePath);
    QString error;
    if (!store.trust(t, &error)) {
        err() << displaySafeLines(error) << "\n";
        return 1;
    }
    out() << (t.homeDirectory ? Tr::tr("Trusted for this run.") : Tr::tr("Trusted.")) << "\n"
          << Qt::flush;
    ctx.reloadTrust();
    return 0;
}

int CliCommands::untrust(const AuthContext &ctx)
{
    TrustStore store(ctx.options().trustStorePath.isEmpty() ? TrustStore::defaultPath()
                                                            : ctx.options().trustStorePath);
    QString error;
    if (!store.untrust(ctx.options().workspace, &error)) {
        err() << displaySafeLines(error) << "\n";
        return 1;
    }
    out() << Tr::tr("Withdrew trust for %1.").arg(displaySafe(ctx.options().workspace)) << "\n";
    const TrustState after = store.evaluate(ctx.options().workspace, ctx.settings());
    if (after.folderTrusted)
        out() << Tr::tr("It is still trusted through %1; run qlaude --untrust --workspace %1 to "
                        "change that.")
                     .arg(displaySafe(after.decisionPath))
              << "\n";
    out() << Qt::flush;
    return 0;
}

} // namespace qlaude
