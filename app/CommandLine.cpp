#include "CommandLine.h"

#include "CliCommands.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QTextStream>

namespace qlaude {

int runQlaude(int argc, char *argv[])
{
    QCoreApplication::setApplicationName(QStringLiteral("qlaude"));
    QCoreApplication::setApplicationVersion(QStringLiteral(QLAUDE_VERSION));
    QCoreApplication app(argc, argv);

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Qlaude: a native desktop client for Claude, with the authentication model of Claude "
        "Code."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    const QCommandLineOption version({QStringLiteral("v"), QStringLiteral("version")},
                                     QStringLiteral("Show the version."));
    const QCommandLineOption doctor(QStringLiteral("doctor"),
                                    QStringLiteral("Report settings, trust, provider, credential "
                                                   "and keychain state. Exit 0 when a usable "
                                                   "credential exists."));
    const QCommandLineOption json(QStringLiteral("json"),
                                  QStringLiteral("With --doctor: print the report as JSON."));
    const QCommandLineOption login(QStringLiteral("login"),
                                   QStringLiteral("Log in. api-key: read a key from stdin and "
                                                  "store it in the keychain."),
                                   QStringLiteral("method"));
    const QCommandLineOption logout(QStringLiteral("logout"),
                                    QStringLiteral("Remove what Qlaude stored in the keychain."));
    const QCommandLineOption trust(QStringLiteral("trust"),
                                   QStringLiteral("Trust the workspace, after showing the exact "
                                                  "commands that trust allows."));
    const QCommandLineOption untrust(QStringLiteral("untrust"),
                                     QStringLiteral("Withdraw the trust decision for the "
                                                    "workspace."));
    const QCommandLineOption yes(QStringLiteral("yes"),
                                 QStringLiteral("Confirm --trust without asking."));
    const QCommandLineOption workspace(QStringLiteral("workspace"),
                                       QStringLiteral("The project folder (default: the current "
                                                      "directory)."),
                                       QStringLiteral("dir"));
    const QCommandLineOption bare(QStringLiteral("bare"),
                                  QStringLiteral("Hermetic mode: only ANTHROPIC_API_KEY and "
                                                 "--settings; no keychain, no OAuth."));
    const QCommandLineOption settings(QStringLiteral("settings"),
                                      QStringLiteral("Extra settings: a JSON file or inline JSON."),
                                      QStringLiteral("file-or-json"));
    p.addOptions({help, version, doctor, json, login, logout, trust, untrust, yes, workspace, bare,
                  settings});

    QTextStream err(stderr);
    if (!p.parse(QCoreApplication::arguments())) {
        err << p.errorText() << "\nRun qlaude --help for the options.\n";
        return 2;
    }
    if (p.isSet(help)) {
        QTextStream(stdout) << p.helpText();
        return 0;
    }
    if (p.isSet(version)) {
        QTextStream(stdout) << "qlaude " << QLAUDE_VERSION << "\n";
        return 0;
    }

    AuthContext::Options opts;
    opts.workspace = p.isSet(workspace) ? p.value(workspace) : QDir::currentPath();
    if (!QDir(opts.workspace).exists()) {
        err << "The workspace " << opts.workspace << " does not exist.\n";
        return 2;
    }
    opts.flagSettings = p.value(settings);
    opts.bare = p.isSet(bare);
    AuthContext ctx = AuthContext::load(opts);

    if (p.isSet(doctor))
        return CliCommands::doctor(ctx, p.isSet(json));
    if (p.isSet(login)) {
        if (p.value(login) == QLatin1String("api-key"))
            return CliCommands::loginApiKey(ctx);
        err << "Unknown login method \"" << p.value(login) << "\". Use --login=api-key.\n";
        return 2;
    }
    if (p.isSet(logout))
        return CliCommands::logout(ctx);
    if (p.isSet(trust))
        return CliCommands::trust(ctx, p.isSet(yes));
    if (p.isSet(untrust))
        return CliCommands::untrust(ctx);

    // The desktop window is not part of this build yet: show what the command line can do.
    QTextStream(stdout) << p.helpText();
    return 0;
}

} // namespace qlaude
