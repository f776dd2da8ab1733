#include "TestSupport.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace qlaude::test;

// Drives the real qlaude binary as a person or a script would.
class tst_CommandLine : public QObject
{
    Q_OBJECT

    static QJsonObject doctorJson(const TestHome &h, const QProcessEnvironment &env,
                                  const QStringList &extra = {}, int *exitCode = nullptr)
    {
        ProcessResult r =
            runQlaude(QStringList{"--doctor", "--json", "--workspace", h.workspace()} + extra, env);
        if (exitCode)
            *exitCode = r.exitCode;
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out, &pe);
        if (pe.error != QJsonParseError::NoError)
            qWarning("doctor printed no JSON: %s", r.err.constData());
        return doc.object();
    }

private slots:
    void versionAndHelp()
    {
        TestHome h(QStringLiteral("cli-version"));
        ProcessResult r = runQlaude({"--version"}, h.environment());
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), QByteArray("qlaude " QLAUDE_VERSION));
        r = runQlaude({"--help"}, h.environment());
        QCOMPARE(r.exitCode, 0);
        for (const char *opt : {"--doctor", "--json", "--login", "--logout", "--trust", "--untrust",
                                "--workspace", "--bare", "--settings", "--yes"})
            QVERIFY2(r.out.contains(opt), opt);
        r = runQlaude({"--no-such-option"}, h.environment());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("Unknown option"));
    }

    void doctorJsonCarriesEveryDocumentedKeyAndNoSecret()
    {
        TestHome h(QStringLiteral("cli-doctor"));
        const QString key = testSecret("doctor");
        QProcessEnvironment env = h.environment();
        env.insert("ANTHROPIC_API_KEY", key);
        const ProcessResult raw =
            runQlaude({"--doctor", "--json", "--workspace", h.workspace()}, env);
        QCOMPARE(raw.exitCode, 0);
        QVERIFY2(!raw.out.contains(key.toUtf8()) && !raw.out.contains("qltSECRET"),
                 "doctor printed the key");
        QVERIFY(!raw.err.contains("qltSECRET"));
        const QJsonObject r = QJsonDocument::fromJson(raw.out).object();
        QCOMPARE(r.value("provider").toString(), QStringLiteral("anthropic"));
        const QJsonObject cred = r.value("credential").toObject();
        QCOMPARE(cred.value("source").toString(), QStringLiteral("env:ANTHROPIC_API_KEY"));
        QCOMPARE(cred.value("kind").toString(), QStringLiteral("api-key"));
        QCOMPARE(cred.value("redacted").toString(), QStringLiteral("…") + key.right(4));
        const QJsonArray settings = r.value("settings").toArray();
        QCOMPARE(settings.size(), 4);
        for (const QJsonValue &s : settings) {
            QVERIFY(s.toObject().contains("path"));
            QVERIFY(s.toObject().contains("status"));
            QVERIFY(s.toObject().contains("error"));
        }
        const QJsonObject trust = r.value("trust").toObject();
        QVERIFY(trust.contains("workspace") && trust.contains("trusted"));
        QVERIFY(trust.value("pending_commands").isArray());
        QCOMPARE(r.value("keychain").toObject().value("state").toString(),
                 QStringLiteral("available"));
        QVERIFY(r.value("problems").isArray());

        const ProcessResult text = runQlaude({"--doctor", "--workspace", h.workspace()}, env);
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains("Credential: env:ANTHROPIC_API_KEY"));
        QVERIFY(!text.out.contains("qltSECRET"));
    }

    void doctorFailsWithoutCredentialAndSaysWhatToDo()
    {
        TestHome h(QStringLiteral("cli-none"));
        int code = -1;
        const QJsonObject r = doctorJson(h, h.environment(), {}, &code);
        QCOMPARE(code, 1);
        QCOMPARE(r.value("credential").toObject().value("source").toString(),
                 QStringLiteral("none"));
        QCOMPARE(r.value("credential").toObject().value("kind").toString(), QStringLiteral("none"));
        bool hint = false;
        for (const QJsonValue &p : r.value("problems").toArray())
            hint |= p.toString().contains("--login=api-key");
        QVERIFY(hint);
    }

    void doctorReportsMalformedSettingsAndPendingCommands()
    {
        TestHome h(QStringLiteral("cli-malformed"));
        h.writeFile(h.configDir() + "/settings.json", "{\n  \"model\": ,\n}");
        h.projectSettings({{"apiKeyHelper", "op read op://vault/anthropic"}});
        int code = -1;
        const QJsonObject r = doctorJson(h, h.environment(), {}, &code);
        QCOMPARE(code, 1);
        const QJsonObject user = r.value("settings").toArray().first().toObject();
        QCOMPARE(user.value("status").toString(), QStringLiteral("error"));
        QVERIFY2(user.value("error").toString().contains("settings.json: line 2, column"),
                 qPrintable(user.value("error").toString()));
        const QJsonObject trust = r.value("trust").toObject();
        QCOMPARE(trust.value("trusted").toBool(), false);
        const QJsonObject pending = trust.value("pending_commands").toArray().first().toObject();
        QCOMPARE(pending.value("key").toString(), QStringLiteral("apiKeyHelper"));
        QCOMPARE(pending.value("command").toString(),
                 QStringLiteral("op read op://vault/anthropic"));
        QVERIFY(pending.value("file").toString().endsWith("/.claude/settings.json"));
    }

    void loginStoresKeyInKeychainAndLogoutRemovesIt()
    {
        TestHome h(QStringLiteral("cli-login"));
        const QString key = testSecret("login");
        ProcessResult r = runQlaude({"--login=api-key"}, h.environment(), key.toUtf8() + "\n");
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains(QByteArray("Saved the API key (…" + key.right(4).toUtf8() + ")")));
        QVERIFY(!r.out.contains("SECRET") && !r.err.contains("SECRET"));

        QJsonObject d = doctorJson(h, h.environment());
        QCOMPARE(d.value("credential").toObject().value("source").toString(),
                 QStringLiteral("keychain:api-key"));
        QVERIFY(d.value("keychain").toObject().value("has_api_key").toBool());

        // An environment key shadows the stored one, and the report says so.
        QProcessEnvironment env = h.environment();
        env.insert("ANTHROPIC_API_KEY", testSecret("envkey"));
        d = doctorJson(h, env);
        QCOMPARE(d.value("credential").toObject().value("source").toString(),
                 QStringLiteral("env:ANTHROPIC_API_KEY"));
        QVERIFY(d.value("warnings").toArray().first().toString().contains("is ignored"));

        // --bare never reads the keychain.
        int code = -1;
        d = doctorJson(h, h.environment(), {"--bare"}, &code);
        QCOMPARE(code, 1);
        QCOMPARE(d.value("keychain").toObject().value("state").toString(),
                 QStringLiteral("not-read"));

        r = runQlaude({"--logout"}, h.environment());
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QByteArray("Removed the API key (…" + key.right(4).toUtf8() +
                                           ") from the system keychain.")),
                 r.out.constData());
        r = runQlaude({"--logout"}, h.environment());
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("Nothing to remove"));
        d = doctorJson(h, h.environment(), {}, &code);
        QCOMPARE(code, 1);
    }

    void loginRejectsEmptyInput()
    {
        TestHome h(QStringLiteral("cli-login-empty"));
        const ProcessResult r = runQlaude({"--login=api-key"}, h.environment(), "\n");
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("No API key was given"));
        const ProcessResult bad = runQlaude({"--login=magic"}, h.environment());
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.contains("--login=api-key"));
    }

    void loginWithoutKeychainFailsClearlyAndWritesNothing()
    {
        TestHome h(QStringLiteral("cli-nokeychain"));
        QProcessEnvironment env = h.environment();
        env.remove("DBUS_SESSION_BUS_ADDRESS");
        env.remove("DISPLAY");
        const QString key = testSecret("nokeychain");
        const ProcessResult r = runQlaude({"--login=api-key"}, env, key.toUtf8());
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("The API key was not saved. No keychain is available"),
                 r.err.constData());
        // The leak check at the end of the suite verifies nothing reached the disk.
    }

    void trustNeedsYesWithoutTerminalThenTrustsAndUntrusts()
    {
        TestHome h(QStringLiteral("cli-trust"));
        const QString cmd = helperCommand("print_key.sh", testSecret("trusted"));
        h.projectSettings({{"apiKeyHelper", cmd}});
        ProcessResult r = runQlaude({"--trust", "--workspace", h.workspace()}, h.environment());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.out.contains(cmd.toUtf8()));
        QVERIFY(r.err.contains("--yes"));
        QCOMPARE(doctorJson(h, h.environment()).value("trust").toObject().value("trusted").toBool(),
                 false);

        r = runQlaude({"--trust", "--yes", "--workspace", h.workspace()}, h.environment());
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("Trusted."));
        QJsonObject d = doctorJson(h, h.environment());
        QCOMPARE(d.value("trust").toObject().value("trusted").toBool(), true);
        QCOMPARE(d.value("credential").toObject().value("source").toString(),
                 QStringLiteral("apiKeyHelper"));

        r = runQlaude({"--untrust", "--workspace", h.workspace()}, h.environment());
        QCOMPARE(r.exitCode, 0);
        d = doctorJson(h, h.environment());
        QCOMPARE(d.value("trust").toObject().value("trusted").toBool(), false);
        QCOMPARE(d.value("credential").toObject().value("source").toString(),
                 QStringLiteral("none"));
    }

    // A project's command with escape sequences and a bidi override cannot redraw the terminal
    // or hide what would run: --trust and --doctor show it escaped, --json as JSON escapes.
    void commandsAndPathsAreShownEscaped()
    {
        TestHome h(QStringLiteral("cli-escaped"));
        const QString workspace = h.workspace() + QStringLiteral("/ws\x1b[8m");
        QVERIFY(QDir().mkpath(workspace));
        const QString command = QStringLiteral("\x1b[2K\x1b[1Aecho hi \u202Etxt.exe");
        h.writeJson(workspace + "/.claude/settings.json", {{"apiKeyHelper", command}});
        const QByteArray rlo = QStringLiteral("\u202E").toUtf8();
        const QByteArray shownCommand = "\\e[2K\\e[1Aecho hi \\u202etxt.exe";
        auto verifyNoRawControls = [&rlo](const ProcessResult &r) {
            for (const QByteArray &text : {r.out, r.err}) {
                QVERIFY(!text.contains('\x1b'));
                QVERIFY(!text.contains(rlo));
            }
        };

        // Without --yes and without a terminal: the commands are listed, nothing is trusted.
        ProcessResult r = runQlaude({"--trust", "--workspace", workspace}, h.environment());
        QCOMPARE(r.exitCode, 2);
        verifyNoRawControls(r);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(r.out.contains(shownCommand), r.out.constData());
        QVERIFY2(r.out.contains("/ws\\e[8m"), r.out.constData());

        r = runQlaude({"--doctor", "--workspace", workspace}, h.environment());
        verifyNoRawControls(r);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(r.out.contains("\\e[2K") && r.out.contains("\\u202e"), r.out.constData());
        QVERIFY2(r.out.contains(shownCommand), r.out.constData());

        r = runQlaude({"--doctor", "--json", "--workspace", workspace}, h.environment());
        verifyNoRawControls(r);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(r.out.contains("\\u202e"), r.out.constData());
        // The JSON still carries the command exactly.
        const QJsonObject d = QJsonDocument::fromJson(r.out).object();
        const QJsonObject pending =
            d.value("trust").toObject().value("pending_commands").toArray().first().toObject();
        QCOMPARE(pending.value("command").toString(), command);
    }

    // user:password@ in ANTHROPIC_BASE_URL: doctor shows the user and host, not the password.
    void doctorRedactsTheBaseUrlPassword()
    {
        TestHome h(QStringLiteral("cli-baseurl"));
        QProcessEnvironment env = h.environment();
        // Named, so that a failing check does not print the marker of a secret.
        const QByteArray password = "qltSECRETpw";
        env.insert("ANTHROPIC_BASE_URL",
                   QString::fromLatin1("http://u:" + password + "@127.0.0.1:9/"));
        const ProcessResult text = runQlaude({"--doctor", "--workspace", h.workspace()}, env);
        QVERIFY(!text.out.contains(password) && !text.err.contains(password));
        QVERIFY(text.out.contains("Requests: http://u:…@127.0.0.1:9/ ("));
        const ProcessResult json =
            runQlaude({"--doctor", "--json", "--workspace", h.workspace()}, env);
        QVERIFY(!json.out.contains(password) && !json.err.contains(password));
        const QJsonObject d = QJsonDocument::fromJson(json.out).object();
        QVERIFY(d.value("request").toObject().value("base_url").toString() ==
                QStringLiteral("http://u:…@127.0.0.1:9/"));
    }

    void providerFromSettingsEnvIsReported()
    {
        TestHome h(QStringLiteral("cli-provider"));
        h.userSettings({{"env", QJsonObject{{"CLAUDE_CODE_USE_BEDROCK", "1"}}}});
        int code = -1;
        const QJsonObject d = doctorJson(h, h.environment(), {}, &code);
        QCOMPARE(d.value("provider").toString(), QStringLiteral("bedrock"));
        QCOMPARE(code, 1);
    }

    void missingWorkspaceIsAUsageError()
    {
        TestHome h(QStringLiteral("cli-ws"));
        const ProcessResult r =
            runQlaude({"--doctor", "--workspace", h.root() + "/nope"}, h.environment());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("does not exist"));
    }
    // Doctor's providers section (one entry per provider) and the proxy that applies.
    void doctorReportsEveryProviderAndTheProxy()
    {
        TestHome h(QStringLiteral("cli-doctor-providers"));
        QProcessEnvironment env = h.environment();
        env.insert("CLAUDE_CODE_USE_VERTEX", "1");
        env.insert("CLOUD_ML_REGION", "europe-west1");
        env.insert("HTTPS_PROXY", "http://proxyuser:qltSECRETproxy@127.0.0.1:3128");
        const QJsonObject d = doctorJson(h, env);
        const QJsonObject providers = d.value("providers").toObject();
        QCOMPARE(providers.keys(), (QStringList{"anthropic", "bedrock", "foundry", "vertex"}));
        const QJsonObject vertex = providers.value("vertex").toObject();
        QCOMPARE(vertex.value("selected").toBool(), true);
        QCOMPARE(vertex.value("configured").toBool(), false);
        QVERIFY(vertex.value("missing").toArray().first().toString().contains(
            "ANTHROPIC_VERTEX_PROJECT_ID"));
        QCOMPARE(vertex.value("sources").toObject().value("CLOUD_ML_REGION").toString(),
                 QStringLiteral("environment"));
        QCOMPARE(providers.value("bedrock").toObject().value("selected").toBool(), false);
        // Nothing AWS is configured: instance metadata alone does not make Bedrock configured.
        QProcessEnvironment onEc2 = env;
        onEc2.remove("AWS_EC2_METADATA_DISABLED");
        const QJsonObject bedrock =
            doctorJson(h, onEc2).value("providers").toObject().value("bedrock").toObject();
        QCOMPARE(bedrock.value("configured").toBool(), false);
        QVERIFY(bedrock.value("missing").toArray().first().toString().contains(
            "only instance metadata (EC2) is left"));
        QCOMPARE(providers.value("foundry").toObject().value("configured").toBool(), false);

        const QString proxy = d.value("request").toObject().value("proxy").toString();
        QVERIFY2(proxy.contains("127.0.0.1:3128") && proxy.contains("HTTPS_PROXY"),
                 qPrintable(proxy));
        QVERIFY(!proxy.contains("qltSECRET"));

        env.insert("NO_PROXY", "api.anthropic.com");
        env.remove("CLAUDE_CODE_USE_VERTEX");
        const QString bypassed =
            doctorJson(h, env).value("request").toObject().value("proxy").toString();
        QVERIFY2(bypassed.startsWith("none (NO_PROXY matches api.anthropic.com"),
                 qPrintable(bypassed));

        env.remove("HTTPS_PROXY");
        QCOMPARE(doctorJson(h, env).value("request").toObject().value("proxy").toString(),
                 QStringLiteral("none"));

        const ProcessResult text = runQlaude({"--doctor", "--workspace", h.workspace()}, env);
        QVERIFY2(text.out.contains("Providers:\n  anthropic (selected):"), text.out.constData());
        QVERIFY(text.out.contains("  vertex: not configured"));
    }
};

QTEST_GUILESS_MAIN(tst_CommandLine)
#include "tst_CommandLine.moc"
