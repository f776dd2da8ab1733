#include "FakeAnthropicServer.h"
#include "FakeBedrockServer.h"
#include "FakeResponse.h"
#include "RawRecordingServer.h"
#include "TestSupport.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;
using qlaude::fakes::RawRecordingServer;

// `qlaude --print` as a script would run it, against the fake Messages API on 127.0.0.1.
class tst_PrintCommand : public QObject
{
    Q_OBJECT

    FakeAnthropicServer *m_server = nullptr;
    std::unique_ptr<TestHome> m_home;
    QString m_key;

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = m_home->environment();
        e.insert("ANTHROPIC_BASE_URL", m_server->baseUrl().toString());
        e.insert("ANTHROPIC_API_KEY", m_key);
        e.insert("HOME", m_home->root()); // the history lands under this test's folder
        e.insert("XDG_DATA_HOME", m_home->root() + "/xdg-data");
        return e;
    }

private slots:
    void init()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("print"));
        m_server = new FakeAnthropicServer(this);
        QVERIFY(m_server->listen());
        m_key = testSecret("print");
        m_server->setExpectedApiKey(m_key.toUtf8());
    }
    void cleanup() { delete m_server; }

    void printsTheStreamedAnswer()
    {
        m_server->enqueue(FakeResponse::text(QStringLiteral("Paris is the capital of France.")));
        const ProcessResult r = runQlaudeAsync(
            {"--print", "What is the capital of France?", "--workspace", m_home->workspace()},
            env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("Paris is the capital of France.\n"));
        const auto req = m_server->lastRequest();
        QCOMPARE(req.json.value("model").toString(), QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(req.json.value("stream").toBool(), true);
        QCOMPARE(
            req.json.value("messages").toArray().first().toObject().value("content").toString(),
            QStringLiteral("What is the capital of France?"));
        QVERIFY(!r.out.contains("SECRET") && !r.err.contains("SECRET"));
        // --print keeps no history unless asked to.
        QVERIFY(!QFileInfo::exists(m_home->root() + "/xdg-data/qlaude/history.sqlite"));
    }

    void readsThePromptFromStdinAndHonoursModelSystemAndMaxTokens()
    {
        const ProcessResult r = runQlaudeAsync({"--print", "--model", "claude-opus-4-6", "--system",
                                                "Answer in French.", "--max-tokens", "77"},
                                               env(), "Bonjour?\n");
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject body = m_server->lastRequest().json;
        QCOMPARE(body.value("model").toString(), QStringLiteral("claude-opus-4-6"));
        QCOMPARE(body.value("system").toString(), QStringLiteral("Answer in French."));
        QCOMPARE(body.value("max_tokens").toInt(), 77);
        QCOMPARE(body.value("messages").toArray().first().toObject().value("content").toString(),
                 QStringLiteral("Bonjour?\n"));
    }

    void modelComesFromTheEnvironmentThenSettings()
    {
        m_home->userSettings({{"model", "opus"}});
        ProcessResult r =
            runQlaudeAsync({"--print", "hi", "--workspace", m_home->workspace()}, env());
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(m_server->lastRequest().json.value("model").toString(),
                 QStringLiteral("claude-opus-4-6"));
        QProcessEnvironment e = env();
        e.insert("ANTHROPIC_MODEL", "claude-haiku-4-5");
        r = runQlaudeAsync({"--print", "hi", "--workspace", m_home->workspace()}, e);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(m_server->lastRequest().json.value("model").toString(),
                 QStringLiteral("claude-haiku-4-5"));
    }

    void jsonOutputCarriesTheMessageAndUsage()
    {
        m_server->enqueue(FakeResponse::text(QStringLiteral("Forty-two.")).setUsage(11, 3));
        const ProcessResult r =
            runQlaudeAsync({"--print", "answer?", "--output-format", "json"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value("type").toString(), QStringLiteral("result"));
        QCOMPARE(o.value("text").toString(), QStringLiteral("Forty-two."));
        QCOMPARE(o.value("stop_reason").toString(), QStringLiteral("end_turn"));
        QCOMPARE(o.value("usage").toObject().value("input_tokens").toInt(), 11);
        QCOMPARE(o.value("usage").toObject().value("output_tokens").toInt(), 3);
    }

    void streamJsonWritesOneEventPerLine()
    {
        m_server->enqueue(FakeResponse::text(QStringLiteral("a b c")));
        const ProcessResult r =
            runQlaudeAsync({"--print", "x", "--output-format", "stream-json"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        // content_block_start, the text (deltas of one network read come as one line), usage,
        // result.
        QVERIFY(lines.size() >= 4);
        QString text;
        for (const QByteArray &line : lines) {
            QJsonParseError pe;
            const QJsonObject o = QJsonDocument::fromJson(line, &pe).object();
            QVERIFY2(pe.error == QJsonParseError::NoError, line.constData());
            if (o.value("type").toString() == "text_delta")
                text += o.value("text").toString();
        }
        QCOMPARE(text, QStringLiteral("a b c"));
        QCOMPARE(QJsonDocument::fromJson(lines.last()).object().value("type").toString(),
                 QStringLiteral("result"));
    }

    // stream-json writes its delta lines without QJsonDocument: every character JSON must escape
    // is escaped, and the line parses back to the exact text.
    void streamJsonDeltaLinesEscapeEveryCharacter()
    {
        const QString tricky = QStringLiteral("quote\" backslash\\ tab\t newline\n cr\r bell\a "
                                              "nul-free \x01\x1f del\x7f slash/ ünïcödé 日本 😀");
        m_server->enqueue(FakeResponse::sse(
            {qlaude::fakes::SseEvent::json(
                 "message_start",
                 {{"type", "message_start"},
                  {"message", QJsonObject{{"id", "msg_1"},
                                          {"type", "message"},
                                          {"role", "assistant"},
                                          {"model", "claude-sonnet-4-5"},
                                          {"content", QJsonArray()},
                                          {"usage", QJsonObject{{"input_tokens", 1},
                                                                {"output_tokens", 1}}}}}}),
             qlaude::fakes::SseEvent::json(
                 "content_block_start",
                 {{"type", "content_block_start"},
                  {"index", 0},
                  {"content_block", QJsonObject{{"type", "text"}, {"text", ""}}}}),
             qlaude::fakes::SseEvent::json(
                 "content_block_delta",
                 {{"type", "content_block_delta"},
                  {"index", 0},
                  {"delta", QJsonObject{{"type", "text_delta"}, {"text", tricky}}}}),
             qlaude::fakes::SseEvent::json("content_block_stop",
                                           {{"type", "content_block_stop"}, {"index", 0}}),
             qlaude::fakes::SseEvent::json("message_stop", {{"type", "message_stop"}})}));
        const ProcessResult r =
            runQlaudeAsync({"--print", "x", "--output-format", "stream-json"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QString text;
        for (const QByteArray &line : r.out.trimmed().split('\n')) {
            QJsonParseError pe;
            const QJsonObject o = QJsonDocument::fromJson(line, &pe).object();
            QVERIFY2(pe.error == QJsonParseError::NoError, line.constData());
            if (o.value("type").toString() == "text_delta") {
                QCOMPARE(o.value("index").toInt(), 0);
                text += o.value("text").toString();
            }
        }
        QCOMPARE(text, tricky);
    }

    void apiErrorsExit1WithAnActionableMessage()
    {
        m_server->setExpectedApiKey("some-other-key");
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, env());
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("Authentication failed (HTTP 401 authentication_error)"),
                 r.err.constData());
        QVERIFY(r.err.contains("ANTHROPIC_API_KEY was rejected"));
        QVERIFY(r.err.contains("request-id req_fake_"));
        QVERIFY(!r.err.contains(m_key.toUtf8()) && !r.err.contains("SECRET"));
        QVERIFY(r.out.isEmpty());
    }

    void retriesAreVisibleOnStderr()
    {
        m_server->enqueue(FakeResponse::error(529).withRetryAfterMs(50));
        m_server->enqueue(FakeResponse::text(QStringLiteral("recovered")));
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("recovered\n"));
        // 500 ms backoff plus up to 25 % jitter, never less than the server's 50 ms.
        QVERIFY2(QRegularExpression(
                     "qlaude: HTTP 529 overloaded_error; retrying in 0\\.[56] s \\(retry 1\\)")
                     .match(QString::fromUtf8(r.err))
                     .hasMatch(),
                 r.err.constData());
    }

    void aCutStreamExits1AndKeepsThePartialText()
    {
        m_server->enqueue(
            FakeResponse::text(QStringLiteral("one two three four five")).dropAfterEvents(5));
        const ProcessResult r = runQlaudeAsync({"--print", "count"}, env());
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.startsWith("one"));
        QVERIFY2(r.err.contains("connection to the API was lost") && r.err.contains("was kept"),
                 r.err.constData());
    }

    void usageAndConfigurationErrorsExit2()
    {
        ProcessResult r = runQlaudeAsync({"--print"}, env());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("needs a prompt"));
        r = runQlaudeAsync({"--print", "x", "--output-format", "yaml"}, env());
        QCOMPARE(r.exitCode, 2);
        QProcessEnvironment e = env();
        e.remove("ANTHROPIC_API_KEY");
        e.remove("DBUS_SESSION_BUS_ADDRESS");
        r = runQlaudeAsync({"--print", "x", "--workspace", m_home->workspace()}, e);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("No credential is available"), r.err.constData());
        e = env();
        e.insert("ANTHROPIC_BASE_URL", "ftp://example.invalid");
        r = runQlaudeAsync({"--print", "x"}, e);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("not an http(s) URL"));
        r = runQlaudeAsync({"--print", "x", "--max-tokens", "lots"}, env());
        QCOMPARE(r.exitCode, 2);
    }

    void continueAddsTheTurnToTheHistory()
    {
        m_server->enqueue(FakeResponse::text(QStringLiteral("first answer")));
        ProcessResult r = runQlaudeAsync({"--print", "first question", "--continue"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(QFileInfo::exists(m_home->root() + "/xdg-data/qlaude/history.sqlite"));
        m_server->enqueue(FakeResponse::text(QStringLiteral("second answer")));
        r = runQlaudeAsync({"--print", "second question", "--continue", "--output-format", "json"},
                           env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonArray msgs = m_server->lastRequest().json.value("messages").toArray();
        QCOMPARE(msgs.size(), 3);
        QCOMPARE(msgs.at(1).toObject().value("content").toString(), QStringLiteral("first answer"));
        const qint64 id =
            QJsonDocument::fromJson(r.out).object().value("conversation_id").toInteger();
        QVERIFY(id > 0);
        m_server->enqueue(FakeResponse::text(QStringLiteral("third")));
        r = runQlaudeAsync({"--print", "third question", "--conversation", QString::number(id)},
                           env());
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(m_server->lastRequest().json.value("messages").toArray().size(), 5);
        r = runQlaudeAsync({"--print", "x", "--conversation", "999"}, env());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("does not exist"));
    }

    void oauthTokenGoesAsBearerWithTheOAuthBeta()
    {
        QProcessEnvironment e = env();
        e.remove("ANTHROPIC_API_KEY");
        const QString token = testSecret("oauth");
        e.insert("CLAUDE_CODE_OAUTH_TOKEN", token);
        m_server->setExpectedApiKey(QByteArray());
        m_server->setExpectedBearerToken(token.toUtf8());
        const ProcessResult r =
            runQlaudeAsync({"--print", "hi", "--workspace", m_home->workspace()}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto req = m_server->lastRequest();
        QVERIFY(req.header("authorization") == "Bearer " + token.toUtf8());
        QVERIFY(!req.hasHeader("x-api-key"));
        QVERIFY(req.betas().contains("oauth-2025-04-20"));
    }

    void apiKeyHelperValueIsSentAsKeyAndBearer()
    {
        QProcessEnvironment e = env();
        e.remove("ANTHROPIC_API_KEY");
        const QString key = testSecret("helperprint");
        m_home->userSettings({{"apiKeyHelper", helperCommand("print_key.sh", key)}});
        m_server->setExpectedApiKey(key.toUtf8());
        const ProcessResult r =
            runQlaudeAsync({"--print", "hi", "--workspace", m_home->workspace()}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto req = m_server->lastRequest();
        QVERIFY(req.header("x-api-key") == key.toUtf8());
        QVERIFY(req.header("authorization") == "Bearer " + key.toUtf8());
    }

    void customHeadersAndVersionReachTheServer()
    {
        QProcessEnvironment e = env();
        e.insert("ANTHROPIC_CUSTOM_HEADERS", "X-Gateway-Team: research\nBad Header: x");
        e.insert("ANTHROPIC_BETAS", "beta-one,beta-two");
        e.insert("CLAUDE_CODE_ADDITIONAL_PROTECTION", "1");
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.err.contains("not a valid HTTP token"));
        const auto req = m_server->lastRequest();
        QCOMPARE(req.header("x-gateway-team"), QByteArray("research"));
        QCOMPARE(req.header("anthropic-beta"), QByteArray("beta-one,beta-two"));
        QCOMPARE(req.header("x-anthropic-additional-protection"), QByteArray("true"));
        QCOMPARE(req.header("anthropic-version"), QByteArray("2023-06-01"));
    }

    void listModelsPrintsIds()
    {
        const ProcessResult r = runQlaudeAsync({"--list-models"}, env());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.split('\n').size() > 2);
        QCOMPARE(m_server->lastRequest().path, QStringLiteral("/v1/models"));
    }
    // --- Security review (issue 8), with the release binary's code path and a raw server ---

    void untrustedProjectHeadersCannotTakeOverTheRequest()
    {
        RawRecordingServer raw;
        QVERIFY(raw.listen());
        m_home->projectSettings(
            QJsonObject{{"env", QJsonObject{{"ANTHROPIC_CUSTOM_HEADERS",
                                             "x-api-key: theirs-0001\nHost: other.internal\n"
                                             "Content-Length: 0\nTransfer-Encoding: chunked"}}}});
        QProcessEnvironment e = env();
        e.insert("ANTHROPIC_BASE_URL", raw.baseUrl().toString());
        const ProcessResult r =
            runQlaudeAsync({"--print", "hi", "--workspace", m_home->workspace()}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(raw.requests().size(), 1);
        const QByteArray bytes = raw.requests().first();
        QVERIFY(!bytes.contains("theirs-0001"));
        QVERIFY(!bytes.contains("other.internal"));
        QVERIFY(raw.headerValues(0, "x-api-key") == QList<QByteArray>{m_key.toUtf8()});
        QVERIFY(raw.headerValues(0, "transfer-encoding").isEmpty());
        QCOMPARE(raw.headerValues(0, "content-length").size(), 1);

        // Doctor says the folder's headers wait for trust, instead of "no trust is needed".
        const ProcessResult d =
            runQlaudeAsync({"--doctor", "--json", "--workspace", m_home->workspace()}, e);
        const QJsonObject trust = QJsonDocument::fromJson(d.out).object().value("trust").toObject();
        QCOMPARE(trust.value("trusted").toBool(), false);
        QCOMPARE(trust.value("pending_commands").toArray().first().toObject().value("key"),
                 QJsonValue("ANTHROPIC_CUSTOM_HEADERS"));
    }

    void framingHeadersAreRefusedFromEverySource()
    {
        RawRecordingServer raw;
        QVERIFY(raw.listen());
        QProcessEnvironment e = env();
        e.insert("ANTHROPIC_BASE_URL", raw.baseUrl().toString());
        e.insert("ANTHROPIC_CUSTOM_HEADERS", "Host: other.internal\nX-Team: t");
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("line 1 (Host) was refused"), r.err.constData());
        QVERIFY2(r.err.contains("(set in environment)"), r.err.constData());
        QVERIFY(!raw.requests().first().contains("other.internal"));
        QCOMPARE(raw.headerValues(0, "x-team"), QList<QByteArray>{"t"});
    }

    void streamJsonRetryLinesNeverCarryAnEchoedKey()
    {
        RawRecordingServer raw;
        QVERIFY(raw.listen());
        raw.enqueue(RawRecordingServer::jsonError(529, "overloaded_error",
                                                  "busy; your key " + m_key.toUtf8()));
        QProcessEnvironment e = env();
        e.insert("ANTHROPIC_BASE_URL", raw.baseUrl().toString());
        const ProcessResult r =
            runQlaudeAsync({"--print", "hi", "--output-format", "stream-json"}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("\"retry\""));
        QVERIFY(r.out.contains("[redacted]"));
        QVERIFY(!r.out.contains(m_key.toUtf8()) && !r.err.contains(m_key.toUtf8()));
    }

    void lineBreaksInVersionAndBetasInjectNoHeader()
    {
        RawRecordingServer raw;
        QVERIFY(raw.listen());
        QProcessEnvironment e = env();
        e.insert("ANTHROPIC_BASE_URL", raw.baseUrl().toString());
        e.insert("QLAUDE_ANTHROPIC_VERSION", "2023-06-01\r\nX-Injected-A: 1");
        e.insert("ANTHROPIC_BETAS", "beta-ok,x\r\nX-Injected-B: 1");
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QByteArray bytes = raw.requests().first();
        QVERIFY(!bytes.contains("X-Injected"));
        QCOMPARE(raw.headerValues(0, "anthropic-version"), QList<QByteArray>{"2023-06-01"});
        QCOMPARE(raw.headerValues(0, "anthropic-beta"), QList<QByteArray>{"beta-ok"});
        QVERIFY(r.err.contains("QLAUDE_ANTHROPIC_VERSION"));
    }

    // CLAUDE_CODE_USE_BEDROCK=1 with AWS keys: --print signs with SigV4 and prints the answer.
    void printsThroughBedrockWithSigV4()
    {
        qlaude::fakes::FakeBedrockServer bedrock;
        QVERIFY(bedrock.listen());
        qlaude::AwsCredentials creds;
        creds.accessKeyId = "AKIAPRINT";
        creds.secretAccessKey = m_key;
        creds.sessionToken = "tok-print";
        bedrock.setCredentials(creds);
        bedrock.enqueue(qlaude::fakes::FakeBedrockResponse::answer("Bedrock says hi."));
        QProcessEnvironment e = env();
        e.remove("ANTHROPIC_API_KEY");
        e.insert("CLAUDE_CODE_USE_BEDROCK", "1");
        e.insert("ANTHROPIC_BEDROCK_BASE_URL", bedrock.baseUrl().toString());
        e.insert("AWS_ACCESS_KEY_ID", "AKIAPRINT");
        e.insert("AWS_SECRET_ACCESS_KEY", m_key);
        e.insert("AWS_SESSION_TOKEN", "tok-print");
        e.insert("AWS_EC2_METADATA_DISABLED", "true");
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, e);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("Bedrock says hi.\n"));
        QVERIFY(bedrock.lastRejection().isEmpty());
        QCOMPARE(bedrock.lastModelId(),
                 QStringLiteral("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
        QVERIFY(!r.err.contains(m_key.toUtf8()));

        // Doctor names the region, the credential source and where requests go.
        const ProcessResult d = runQlaudeAsync({"--doctor"}, e);
        QVERIFY2(d.out.contains("Signing with AWS credentials from env (SigV4)"),
                 d.out.constData());
        const QByteArray requests = "Requests: " + bedrock.baseUrl().toString().toUtf8();
        QVERIFY(d.out.contains(requests));
        QVERIFY(!d.out.contains(m_key.toUtf8()));
    }
};

QTEST_GUILESS_MAIN(tst_PrintCommand)
#include "tst_PrintCommand.moc"
