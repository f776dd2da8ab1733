#include "CommandLine.h"

#include "AppIcon.h"
#include "CliCommands.h"
#include "GuiApp.h"
#include "OAuthLoginCommand.h"
#include "PrintCommand.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QTextStream>

#include <memory>

namespace qlaude {

namespace {
// The desktop app starts only when every argument is one it understands; anything else (a
// command-line mode, a typo) runs on QCoreApplication, where the parser reports it.
bool isCommandLineMode(int argc, char *argv[])
{
    static const char *const guiFlags[] = {"--bare", "--exit-after-first-paint"};
    static const char *const guiOptionsWithValue[] = {"--workspace", "--settings"};
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
    const bool gui = !isCommandLineMode(argc, argv);
    if (gui && !hasDisplay()) {
        QTextStream(stderr) << "qlaude: no display to open the window on (DISPLAY and "
                               "WAYLAND_DISPLAY are unset).\nUse the command line instead: "
                               "qlaude --print \"question\", qlaude --doctor, or qlaude --help.\n";
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
                                   QStringLiteral("Log in. api-key: read a key from stdin into the "
                                                  "keychain; oauth: sign in with a browser."),
                                   QStringLiteral("method"));
    const QCommandLineOption profile(QStringLiteral("profile"),
                                     QStringLiteral("With --login=oauth: claudeai, console or "
                                                    "oidc."),
                                     QStringLiteral("name"));
    const QCommandLineOption browser(QStringLiteral("browser"),
                                     QStringLiteral("With --login=oauth: system, manual or "
                                                    "embedded (default: system with a display, "
                                                    "else manual)."),
                                     QStringLiteral("kind"));
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
    const QCommandLineOption print({QStringLiteral("p"), QStringLiteral("print")},
                                   QStringLiteral("Ask one question and print the answer as it "
                                                  "streams (the prompt from the arguments or "
                                                  "stdin)."));
    const QCommandLineOption model(QStringLiteral("model"),
                                   QStringLiteral("The model (default: ANTHROPIC_MODEL, the "
                                                  "settings' model, then %1).")
                                       .arg(QLatin1String("claude-sonnet-4-5")),
                                   QStringLiteral("model"));
    const QCommandLineOption system(QStringLiteral("system"),
                                    QStringLiteral("A system prompt for --print."),
                                    QStringLiteral("text"));
    const QCommandLineOption maxTokens(QStringLiteral("max-tokens"),
                                       QStringLiteral("The answer's token limit (default 8192)."),
                                       QStringLiteral("n"));
    const QCommandLineOption outputFormat(QStringLiteral("output-format"),
                                          QStringLiteral("With --print: text, json or "
                                                         "stream-json."),
                                          QStringLiteral("format"), QStringLiteral("text"));
    const QCommandLineOption cont({QStringLiteral("c"), QStringLiteral("continue")},
                                  QStringLiteral("With --print: add the turn to the most recent "
                                                 "conversation in the history."));
    const QCommandLineOption conversation(QStringLiteral("conversation"),
                                          QStringLiteral("With --print: add the turn to this "
                                                         "conversation in the history."),
                                          QStringLiteral("id"));
    const QCommandLineOption listModels(QStringLiteral("list-models"),
                                        QStringLiteral("List the models the API offers."));
    const QCommandLineOption firstPaint(QStringLiteral("exit-after-first-paint"),
                                        QStringLiteral("Start the desktop app, print "
                                                       "first-paint-ms once the chat window has "
                                                       "painted, and exit (for benchmarks)."));
    p.addOptions({help,         version,    doctor,     json,      login,        logout,
                  trust,        untrust,    yes,        workspace, bare,         settings,
                  print,        model,      system,     maxTokens, outputFormat, cont,
                  conversation, listModels, firstPaint, profile,   browser});
    p.addPositionalArgument(QStringLiteral("prompt"), QStringLiteral("With --print: the question."),
                            QStringLiteral("[prompt]"));

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
    if (gui) {
        if (!p.positionalArguments().isEmpty()) {
            err << "Unexpected argument \"" << p.positionalArguments().first()
                << "\". To ask a question, use qlaude --print \"question\".\n";
            return 2;
        }
        GuiOptions guiOptions;
        guiOptions.exitAfterFirstPaint = p.isSet(firstPaint);
        return runGui(opts, guiOptions);
    }
    AuthContext ctx = AuthContext::load(opts);

    if (p.isSet(doctor))
        return CliCommands::doctor(ctx, p.isSet(json));
    if (p.isSet(login)) {
        if (p.value(login) == QLatin1String("api-key"))
            return CliCommands::loginApiKey(ctx);
        if (p.value(login) == QLatin1String("oauth"))
            return runOAuthLogin(ctx, p.value(profile), p.value(browser));
        err << "Unknown login method \"" << p.value(login)
            << "\". Use --login=api-key or --login=oauth.\n";
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
                err << "--max-tokens must be a positive whole number.\n";
                return 2;
            }
        }
        po.outputFormat = p.value(outputFormat);
        po.continueLast = p.isSet(cont);
        if (p.isSet(conversation)) {
            bool ok = false;
            po.conversationId = p.value(conversation).toLongLong(&ok);
            if (!ok || po.conversationId <= 0) {
                err << "--conversation needs a conversation id (a positive number).\n";
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
