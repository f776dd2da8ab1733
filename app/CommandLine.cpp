#include "CommandLine.h"

#include "AppIcon.h"
#include "CliCommands.h"
#include "ConnectionCommands.h"
#include "GuiApp.h"
#include "OAuthLoginCommand.h"
#include "PrintCommand.h"
#include "Translations.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QTextStream>

#include <memory>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::CommandLine)
};

// The desktop app starts only when every argument is one it understands; anything else (a
// command-line mode, a typo) runs on QCoreApplication, where the parser reports it.
bool isCommandLineMode(int argc, char *argv[])
{
    static const char *const guiFlags[] = {"--bare", "--exit-after-first-paint"};
    static const char *const guiOptionsWithValue[] = {"--workspace", "--settings", "--lang",
                                                      "--connection"};
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        bool known = false;
        for (const char *f : guiFlags)
            known = known || arg == f;
        for (const char *o : guiOptionsWithValue) {
            QByteArray withValue(o);
            withValue += '=';
            if (arg == o) {
                known = true;
                ++i; // its value
            } else if (arg.startsWith(withValue)) {
                known = true;
            }
        }
        if (!known)
            return true;
    }
    return false;
}

bool hasDisplay()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") ||
           !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
           !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}
} // namespace

int runQlaude(int argc, char *argv[])
{
    // The app's identity, set here only. None of it decides where the data lives (AppPaths
    // names its folders itself, pinned by tst_AppPaths): ~/.local/share/qlaude stays put.
    QCoreApplication::setApplicationName(QStringLiteral("qlaude"));
    QCoreApplication::setOrganizationName(QStringLiteral("Qlaude"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("qlaude.io"));
    QCoreApplication::setApplicationVersion(QStringLiteral(QLAUDE_VERSION));
    // The language first (--lang, else the system locale), for every mode and every text.
    Translations translations;
    QString languageError;
    if (!translations.load(Translations::languageArgument(argc, argv), &languageError)) {
        QTextStream(stderr) << "qlaude: " << languageError << "\n";
        return 2;
    }
    const bool gui = !isCommandLineMode(argc, argv);
    if (gui && !hasDisplay()) {
        // No application object yet: the catalogue is asked directly.
        static const char *const noDisplay = QT_TRANSLATE_NOOP(
            "qlaude::CommandLine",
            "qlaude: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset).\n"
            "Use the command line instead: qlaude --print \"question\", qlaude --doctor, or "
            "qlaude --help.\n");
        QTextStream(stderr) << translations.translate("qlaude::CommandLine", noDisplay);
        return 2;
    }
    std::unique_ptr<QCoreApplication> appHolder;
    if (gui) {
        // QtWebEngine, loaded later only for the OAuth view, needs shared GL contexts.
        QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
        appHolder = std::make_unique<QApplication>(argc, argv);
        // Matches resources/io.qlaude.Qlaude.desktop (the Wayland app id, the taskbar's icon).
        QGuiApplication::setDesktopFileName(QStringLiteral("io.qlaude.Qlaude"));
        QApplication::setWindowIcon(AppIcon::icon()); // every window and dialog
    } else {
        appHolder = std::make_unique<QCoreApplication>(argc, argv);
    }
    translations.install();

    QCommandLineParser p;
    p.setApplicationDescription(Tr::tr(
        "Qlaude: a native desktop client for Claude, with the authentication model of Claude "
        "Code."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  Tr::tr("Show this help."));
    const QCommandLineOption version({QStringLiteral("v"), QStringLiteral("version")},
                                     Tr::tr("Show the version."));
    const QCommandLineOption doctor(QStringLiteral("doctor"),
                                    Tr::tr("Report settings, trust, provider, credential "
                                           "and keychain state. Exit 0 when a usable "
                                           "credential exists."));
    const QCommandLineOption json(QStringLiteral("json"),
                                  Tr::tr("With --doctor: print the report as JSON."));
    const QCommandLineOption login(QStringLiteral("login"),
                                   Tr::tr("Log in. api-key: read a key from stdin into the "
                                          "keychain; oauth: sign in with a browser."),
                                   QStringLiteral("method"));
    const QCommandLineOption profile(QStringLiteral("profile"),
                                     Tr::tr("With --login=oauth: claudeai, console or "
                                            "oidc."),
                                     QStringLiteral("name"));
    const QCommandLineOption browser(QStringLiteral("browser"),
                                     Tr::tr("With --login=oauth: system, manual or "
                                            "embedded (default: system with a display, "
                                            "else manual)."),
                                     QStringLiteral("kind"));
    const QCommandLineOption logout(QStringLiteral("logout"),
                                    Tr::tr("Remove what Qlaude stored in the keychain."));
    const QCommandLineOption trust(QStringLiteral("trust"),
                                   Tr::tr("Trust the workspace, after showing the exact "
                                          "commands that trust allows."));
    const QCommandLineOption untrust(QStringLiteral("untrust"),
                                     Tr::tr("Withdraw the trust decision for the "
                                            "workspace."));
    const QCommandLineOption yes(QStringLiteral("yes"), Tr::tr("Confirm --trust without asking."));
    const QCommandLineOption workspace(QStringLiteral("workspace"),
                                       Tr::tr("The project folder (default: the current "
                                              "directory)."),
                                       QStringLiteral("dir"));
    const QCommandLineOption bare(QStringLiteral("bare"),
                                  Tr::tr("Hermetic mode: only ANTHROPIC_API_KEY and "
                                         "--settings; no keychain, no OAuth."));
    const QCommandLineOption settings(QStringLiteral("settings"),
                                      Tr::tr("Extra settings: a JSON file or inline JSON."),
                                      QStringLiteral("file-or-json"));
    const QCommandLineOption print({QStringLiteral("p"), QStringLiteral("print")},
                                   Tr::tr("Ask one question and print the answer as it "
                                          "streams (the prompt from the arguments or "
                                          "stdin)."));
    const QCommandLineOption model(QStringLiteral("model"),
                                   Tr::tr("The model (default: ANTHROPIC_MODEL, the "
                                          "settings' model, then %1).")
                                       .arg(QLatin1String("claude-sonnet-4-5")),
                                   QStringLiteral("model"));
    const QCommandLineOption system(QStringLiteral("system"),
                                    Tr::tr("A system prompt for --print."), QStringLiteral("text"));
    const QCommandLineOption maxTokens(QStringLiteral("max-tokens"),
                                       Tr::tr("The answer's token limit (default 8192)."),
                                       QStringLiteral("n"));
    const QCommandLineOption outputFormat(QStringLiteral("output-format"),
                                          Tr::tr("With --print: text, json or "
                                                 "stream-json."),
                                          QStringLiteral("format"), QStringLiteral("text"));
    const QCommandLineOption cont({QStringLiteral("c"), QStringLiteral("continue")},
                                  Tr::tr("With --print: add the turn to the most recent "
                                         "conversation in the history."));
    const QCommandLineOption conversation(QStringLiteral("conversation"),
                                          Tr::tr("With --print: add the turn to this "
                                                 "conversation in the history."),
                                          QStringLiteral("id"));
    const QCommandLineOption listModels(QStringLiteral("list-models"),
                                        Tr::tr("List the models the API offers."));
    const QCommandLineOption lang(QStringLiteral("lang"),
                                  Tr::tr("The language of every text: en, de or ja (default: "
                                         "the system's language)."),
                                  QStringLiteral("language"));
    const QCommandLineOption firstPaint(QStringLiteral("exit-after-first-paint"),
                                        Tr::tr("Start the desktop app, print "
                                               "first-paint-ms once the chat window has "
                                               "painted, and exit (for benchmarks)."));
    const QCommandLineOption connection(
        QStringLiteral("connection"),
        Tr::tr("Use this named connection (with --login, --logout, --print, --list-models, "
               "--doctor or the desktop app); \"\" is \"From your settings\"."),
        QStringLiteral("name"));
    const QCommandLineOption connections(QStringLiteral("connections"),
                                         Tr::tr("List the named connections (with --json: as "
                                                "JSON)."));
    const QCommandLineOption addConnection(
        QStringLiteral("add-connection"),
        Tr::tr("Create or update a named connection from --settings FILE-OR-JSON (a settings "
               "layer with an optional \"provider\"; no secrets)."),
        QStringLiteral("name"));
    const QCommandLineOption removeConnection(
        QStringLiteral("remove-connection"),
        Tr::tr("Remove a named connection and its keychain entries."), QStringLiteral("name"));
    const QCommandLineOption useConnection(
        QStringLiteral("use-connection"),
        Tr::tr("With --workspace: bind the folder to a named connection (\"\" unbinds)."),
        QStringLiteral("name"));
    p.addOptions({connection, connections, addConnection, removeConnection, useConnection});
    p.addOptions({help,         version,    doctor,     json,      login,        logout,
                  trust,        untrust,    yes,        workspace, bare,         settings,
                  print,        model,      system,     maxTokens, outputFormat, cont,
                  conversation, listModels, firstPaint, profile,   browser,      lang});
    p.addPositionalArgument(QStringLiteral("prompt"), Tr::tr("With --print: the question."),
                            QStringLiteral("[prompt]"));

    QTextStream err(stderr);
    if (!p.parse(QCoreApplication::arguments())) {
        err << p.errorText() << "\n" << Tr::tr("Run qlaude --help for the options.") << "\n";
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
        err << Tr::tr("The workspace %1 does not exist.").arg(opts.workspace) << "\n";
        return 2;
    }
    opts.bare = p.isSet(bare);
    opts.connectionGiven = p.isSet(connection);
    opts.connection = p.value(connection);
    const ConnectionCommands::Paths connectionPaths;
    if (p.isSet(connections))
        return ConnectionCommands::list(connectionPaths, p.isSet(json));
    if (p.isSet(addConnection))
        return ConnectionCommands::add(connectionPaths, p.value(addConnection), p.value(settings));
    if (p.isSet(removeConnection))
        return ConnectionCommands::remove(connectionPaths, p.value(removeConnection));
    if (p.isSet(useConnection)) {
        if (!p.isSet(workspace)) {
            err << Tr::tr("--use-connection needs --workspace DIR: the folder to bind.") << "\n";
            return 2;
        }
        return ConnectionCommands::use(connectionPaths, opts.workspace, p.value(useConnection));
    }
    opts.flagSettings = p.value(settings);
    if (gui) {
        if (!p.positionalArguments().isEmpty()) {
            err << Tr::tr("Unexpected argument \"%1\". To ask a question, use qlaude --print "
                          "\"question\".")
                       .arg(p.positionalArguments().first())
                << "\n";
            return 2;
        }
        GuiOptions guiOptions;
        guiOptions.exitAfterFirstPaint = p.isSet(firstPaint);
        return runGui(opts, guiOptions);
    }
    // The JSON report is machine-readable: its values are English too, whatever the language
    // (the text report and the Doctor dialog show the same sentences translated).
    if (p.isSet(doctor) && p.isSet(json))
        translations.uninstall();
    AuthContext ctx = AuthContext::load(opts);
    // A connection that cannot be used stops every mode but doctor, which reports it.
    if (!ctx.connectionError().isEmpty() && !p.isSet(doctor) && !p.isSet(trust) &&
        !p.isSet(untrust)) {
        err << "qlaude: " << ctx.connectionError() << "\n";
        return 2;
    }

    if (p.isSet(doctor))
        return CliCommands::doctor(ctx, p.isSet(json));
    if (p.isSet(login)) {
        if (p.value(login) == QLatin1String("api-key"))
            return CliCommands::loginApiKey(ctx);
        if (p.value(login) == QLatin1String("oauth"))
            return runOAuthLogin(ctx, p.value(profile), p.value(browser));
        err << Tr::tr("Unknown login method \"%1\". Use --login=api-key or --login=oauth.")
                   .arg(p.value(login))
            << "\n";
        return 2;
    }
    if (p.isSet(logout))
        return CliCommands::logout(ctx);
    if (p.isSet(trust))
        return CliCommands::trust(ctx, p.isSet(yes));
    if (p.isSet(untrust))
        return CliCommands::untrust(ctx);
    if (p.isSet(listModels))
        return runListModels(ctx);
    if (p.isSet(print)) {
        PrintOptions po;
        po.prompt = p.positionalArguments().join(QLatin1Char(' '));
        po.model = p.value(model);
        po.system = p.value(system);
        if (p.isSet(maxTokens)) {
            bool ok = false;
            po.maxTokens = p.value(maxTokens).toInt(&ok);
            if (!ok || po.maxTokens <= 0) {
                err << Tr::tr("--max-tokens must be a positive whole number.") << "\n";
                return 2;
            }
        }
        po.outputFormat = p.value(outputFormat);
        po.continueLast = p.isSet(cont);
        if (p.isSet(conversation)) {
            bool ok = false;
            po.conversationId = p.value(conversation).toLongLong(&ok);
            if (!ok || po.conversationId <= 0) {
                err << Tr::tr("--conversation needs a conversation id (a positive number).")
                    << "\n";
                return 2;
            }
        }
        return runPrint(ctx, po);
    }
    // Every command-line mode returned above.
    QTextStream(stdout) << p.helpText();
    return 0;
}

} // namespace qlaude
