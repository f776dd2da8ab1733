// `qlaude --print` under the faults a user's machine produces (issue 13): many processes on one
// history, servers that trickle or only ping, signals, broken settings, retry-after, garbage,
// and connections that drop before the answer. Every case runs the real qlaude binary against
// the fake Messages API in this process.
#include "ConversationStore.h"
#include "FakeAnthropicServer.h"
#include "FakeResponse.h"
#include "ProcessGroups.h"
#include "TestSupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QtTest>

#include <csignal>
#include <memory>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;

namespace {

// The text of a request message whose content is a plain string.
QString contentText(const QJsonValue &message)
{
    return message.toObject().value(QStringLiteral("content")).toString();
}

// Events of a stream that sends nothing but pings.
QList<qlaude::fakes::SseEvent> pings(int count)
{
    QList<qlaude::fakes::SseEvent> events;
    for (int i = 0; i < count; ++i)
        events << qlaude::fakes::SseEvent::json("ping", {{"type", "ping"}});
    return events;
}

} // namespace

class tst_PrintFaults : public QObject
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
        e.insert("HOME", m_home->root());
        e.insert("XDG_DATA_HOME", m_home->root() + "/xdg-data");
        e.remove("DBUS_SESSION_BUS_ADDRESS"); // the environment key wins; no keychain round trip
        return e;
    }
    QString historyPath() const { return m_home->root() + "/xdg-data/qlaude/history.sqlite"; }

    // Starts qlaude without waiting; the caller keeps the event loop running.
    QProcess *startQlaude(const QStringList &args, const QProcessEnvironment &environment)
    {
        auto *p = new QProcess(this);
        p->setProcessEnvironment(environment);
        p->start(QStringLiteral(QLAUDE_BIN), args);
        p->closeWriteChannel();
        return p;
    }

private slots:
    void init()
    {
        m_home = std::make_unique<TestHome>(QStringLiteral("print-faults"));
        m_server = new FakeAnthropicServer(this);
        QVERIFY(m_server->listen());
        m_key = testSecret("print-faults");
        m_server->setExpectedApiKey(m_key.toUtf8());
    }
    void cleanup()
    {
        delete m_server;
        m_server = nullptr;
    }

    // Item 1: 20 processes continue one conversation at once, twice over. None crashes, each
    // sends exactly the conversation it opened plus its own question (no other turn's text
    // glued in), and the history keeps every turn.
    void concurrentContinueSendsEachItsOwnConversation()
    {
        m_server->setDefaultResponse(FakeResponse::templatedText("Answer to {prompt}"));
        m_server->setChunkDelay(3);
        ProcessResult seed = runQlaudeAsync({"--print", "--continue", "seed question"}, env());
        QVERIFY2(seed.exitCode == 0, seed.err.constData());

        constexpr int kProcesses = 20;
        constexpr int kRounds = 2;
        for (int round = 0; round < kRounds; ++round) {
            QList<QProcess *> processes;
            for (int i = 0; i < kProcesses; ++i)
                processes << startQlaude(
                    {"--print", "--continue", QStringLiteral("question %1-%2").arg(round).arg(i)},
                    env());
            QTRY_VERIFY_WITH_TIMEOUT(
                std::all_of(processes.cbegin(), processes.cend(),
                            [](QProcess *p) { return p->state() == QProcess::NotRunning; }),
                120000);
            for (int i = 0; i < kProcesses; ++i) {
                QProcess *p = processes[i];
                QCOMPARE(p->exitStatus(), QProcess::NormalExit);
                QVERIFY2(p->exitCode() == 0, p->readAllStandardError().constData());
                QCOMPARE(p->readAllStandardOutput(),
                         QStringLiteral("Answer to question %1-%2\n").arg(round).arg(i).toUtf8());
                delete p;
            }
        }

        ConversationStore store(historyPath());
        QVERIFY2(store.open(), qPrintable(store.errorString()));
        const QList<StoredConversation> conversations = store.conversations();
        QCOMPARE(conversations.size(), 1);
        const QList<StoredMessage> stored = store.messages(conversations.first().id);
        QCOMPARE(stored.size(), 2 * (1 + kRounds * kProcesses));
        QHash<QString, int> positionOf;
        for (const StoredMessage &m : stored) {
            QCOMPARE(messageStatusName(m.status), QStringLiteral("complete"));
            QVERIFY2(!positionOf.contains(m.plainText()), qPrintable(m.plainText()));
            positionOf.insert(m.plainText(), m.position);
        }
        QVERIFY(positionOf.contains("seed question"));
        for (int round = 0; round < kRounds; ++round) {
            for (int i = 0; i < kProcesses; ++i) {
                const QString q = QStringLiteral("question %1-%2").arg(round).arg(i);
                QVERIFY(positionOf.contains(q));
                QVERIFY(positionOf.value("Answer to " + q) > positionOf.value(q));
            }
        }

        const QList<qlaude::fakes::ReceivedRequest> requests = m_server->requests();
        QCOMPARE(requests.size(), 1 + kRounds * kProcesses);
        for (const auto &request : requests) {
            const QJsonArray messages = request.json.value("messages").toArray();
            QVERIFY(!messages.isEmpty());
            QCOMPARE(contentText(messages.first()), QStringLiteral("seed question"));
            const QString own = contentText(messages.last());
            QVERIFY2(positionOf.contains(own), qPrintable(own));
            // Every earlier message is a stored message, whole, in the stored order, from
            // before this process's own question; and every earlier question comes with its
            // answer: another process's turn still streaming is not part of it.
            int previous = -1;
            for (qsizetype k = 0; k + 1 < messages.size(); ++k) {
                const QString text = contentText(messages.at(k));
                QVERIFY2(positionOf.contains(text), qPrintable(text));
                const int position = positionOf.value(text);
                QVERIFY(position > previous);
                QVERIFY(position < positionOf.value(own));
                previous = position;
                if (k % 2 == 0)
                    QCOMPARE(contentText(messages.at(k + 1)), "Answer to " + text);
            }
        }
    }

    // Item 3: a server that sends a byte at a time never completes an event; API_TIMEOUT_MS
    // bounds the gap between complete events, not between bytes.
    void tricklingServerEndsWithinApiTimeout()
    {
        m_server->setChunkSize(1);
        m_server->setChunkDelay(300);
        QProcessEnvironment e = env();
        e.insert("API_TIMEOUT_MS", "1500");
        e.insert("CLAUDE_CODE_MAX_RETRIES", "0");
        QElapsedTimer clock;
        clock.start();
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, e, {}, 60000);
        const qint64 elapsed = clock.elapsed();
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(elapsed < 6000, qPrintable(QString::number(elapsed)));
        QVERIFY2(r.err.contains("no complete event arrived for 1.5 s (API_TIMEOUT_MS=1500)"),
                 r.err.constData());
    }

    // Item 3: keep-alive pings are complete events but no content:
    // CLAUDE_STREAM_IDLE_TIMEOUT_MS ends the stream.
    void pingOnlyServerEndsWithinStreamIdleTimeout()
    {
        m_server->enqueue(FakeResponse::sse(pings(60)));
        m_server->setChunkDelay(250);
        QProcessEnvironment e = env();
        e.insert("API_TIMEOUT_MS", "1500");
        e.insert("CLAUDE_STREAM_IDLE_TIMEOUT_MS", "1200");
        e.insert("CLAUDE_CODE_MAX_RETRIES", "0");
        QElapsedTimer clock;
        clock.start();
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, e, {}, 60000);
        const qint64 elapsed = clock.elapsed();
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(elapsed < 6000, qPrintable(QString::number(elapsed)));
        QVERIFY2(r.err.contains("nothing but keep-alive pings for 1.2 s "
                                "(CLAUDE_STREAM_IDLE_TIMEOUT_MS=1200)"),
                 r.err.constData());
    }

    // Item 4: SIGINT, SIGTERM and SIGHUP stop the answer as Stop does.
    void signalsLeaveAStoppedTurnWithItsText_data()
    {
        QTest::addColumn<int>("signalNumber");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("SIGINT") << int(SIGINT) << 130;
        QTest::newRow("SIGTERM") << int(SIGTERM) << 143;
        QTest::newRow("SIGHUP") << int(SIGHUP) << 129;
    }
    void signalsLeaveAStoppedTurnWithItsText()
    {
        QFETCH(int, signalNumber);
        QFETCH(int, exitCode);
        QStringList words;
        for (int i = 0; i < 400; ++i)
            words << QStringLiteral("word%1").arg(i);
        m_server->enqueue(FakeResponse::text(words.join(' ')));
        m_server->setChunkDelay(10);
        QProcess *p = startQlaude({"--print", "--continue", "tell me a long story"}, env());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p->readAllStandardOutput()).contains("word5 "), 20000);
        QVERIFY(p->state() == QProcess::Running);
        ::kill(pid_t(p->processId()), signalNumber);
        QTRY_VERIFY_WITH_TIMEOUT(p->state() == QProcess::NotRunning, 10000);
        out += p->readAllStandardOutput();
        const QByteArray err = p->readAllStandardError();
        QCOMPARE(p->exitStatus(), QProcess::NormalExit);
        QVERIFY2(p->exitCode() == exitCode, err.constData());
        QVERIFY2(err.contains("stopped by a signal; the partial answer is saved as stopped"),
                 err.constData());
        delete p;

        ConversationStore store(historyPath());
        QVERIFY2(store.open(), qPrintable(store.errorString()));
        const QList<StoredMessage> messages = store.messages(store.conversations().first().id);
        QCOMPARE(messages.size(), 2);
        const StoredMessage &answer = messages.last();
        QCOMPARE(messageStatusName(answer.status), QStringLiteral("stopped"));
        QVERIFY(answer.plainText().startsWith("word0 word1 word2 word3 word4 word5"));
        QVERIFY(!answer.plainText().contains("word399"));
        QCOMPARE(out, answer.plainText().toUtf8() + '\n'); // what was shown is what is kept
    }

    // Issue 17 item 1: SIGTERM while an apiKeyHelper runs ends the helper and what it started.
    void sigtermEndsARunningHelperAndItsChildren()
    {
        const QString groupFile = m_home->path("helper.group");
        m_home->userSettings(
            {{"apiKeyHelper", helperCommand("sleep_in_group.sh", QString(), {groupFile})}});
        QProcessEnvironment e = env();
        e.remove("ANTHROPIC_API_KEY");
        QProcess *p = startQlaude({"--print", "hi", "--workspace", m_home->workspace()}, e);
        const GroupReaper reaper{groupFromFile(groupFile)};
        QVERIFY2(reaper.group > 1, "the helper did not report its process group");
        QVERIFY(liveProcessesInGroup(reaper.group).size() >= 3); // the helper's three processes
        ::kill(pid_t(p->processId()), SIGTERM);
        QTRY_VERIFY_WITH_TIMEOUT(p->state() == QProcess::NotRunning, 10000);
        QCOMPARE(p->exitStatus(), QProcess::NormalExit);
        QCOMPARE(p->exitCode(), 143);
        delete p;
        QTRY_COMPARE_WITH_TIMEOUT(liveProcessesInGroup(reaper.group), QList<int>(), 5000);
    }

    // Item 5: a broken settings file is named on stderr; a broken --settings file is an error.
    void brokenSettingsFilesAreReported_data()
    {
        QTest::addColumn<QString>("layer");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("user") << "user" << 0;
        QTest::newRow("project") << "project" << 0;
        QTest::newRow("local") << "local" << 0;
        QTest::newRow("--settings file") << "flag" << 2;
        QTest::newRow("--settings inline") << "inline" << 2;
    }
    void brokenSettingsFilesAreReported()
    {
        QFETCH(QString, layer);
        QFETCH(int, exitCode);
        const QByteArray broken = "{\n  \"model\": \"opus\",\n  oops\n}\n";
        QString file;
        QStringList args{"--print", "hi", "--workspace", m_home->workspace()};
        if (layer == "user")
            file = m_home->configDir() + "/settings.json";
        else if (layer == "project")
            file = m_home->workspace() + "/.claude/settings.json";
        else if (layer == "local")
            file = m_home->workspace() + "/.claude/settings.local.json";
        else if (layer == "flag")
            file = m_home->path("flag-settings.json");
        if (!file.isEmpty())
            m_home->writeFile(file, broken);
        if (layer == "flag")
            args << "--settings" << file;
        else if (layer == "inline")
            args << "--settings" << QString::fromUtf8(broken);
        const ProcessResult r = runQlaudeAsync(args, env());
        QVERIFY2(r.exitCode == exitCode, r.err.constData());
        const QString where = layer == "inline" ? QStringLiteral("--settings (inline JSON)") : file;
        QVERIFY2(r.err.contains((where + ": line 3, column").toUtf8()), r.err.constData());
        if (exitCode == 0) {
            QCOMPARE(r.err.count("warning: Ignored the "), 1);
            QVERIFY(r.err.contains(("warning: Ignored the " + layer + " settings: ").toUtf8()));
            QCOMPARE(m_server->requests().size(), 1);
        } else {
            QVERIFY(r.err.contains("Fix the file given with --settings"));
            QCOMPARE(m_server->requests().size(), 0);
        }
    }

    // Item 6: a retry never starts before the server's retry-after.
    void retryNeverStartsBeforeRetryAfter()
    {
        for (int i = 0; i < 3; ++i)
            m_server->enqueue(FakeResponse::error(429).withRetryAfterSeconds(2));
        m_server->enqueue(FakeResponse::text("Finally."));
        QElapsedTimer clock;
        clock.start();
        QList<qint64> arrivals;
        connect(m_server, &FakeAnthropicServer::requestReceived, this,
                [&] { arrivals << clock.nsecsElapsed(); });
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, env(), {}, 60000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(arrivals.size(), 4);
        for (int i = 1; i < arrivals.size(); ++i) {
            const qint64 gapNs = arrivals[i] - arrivals[i - 1];
            QVERIFY2(gapNs >= 2000LL * 1000 * 1000, qPrintable(QString::number(gapNs)));
        }
    }

    // Item 7: a 200 whose body is not an event stream says so and quotes its start, escaped.
    void garbageIsReportedAsNotAnEventStream()
    {
        QRandomGenerator random(1234);
        QByteArray garbage(64 * 1024, Qt::Uninitialized);
        for (char &c : garbage)
            c = char(random.bounded(256));
        garbage[0] = 'G';
        garbage[1] = '\x1b';
        m_server->enqueue(FakeResponse::rawSse(garbage));
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, env());
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("The server's answer was not a valid event stream (SSE); it began "
                                "with \"G\\x1b"),
                 r.err.constData());
        QVERIFY(!r.err.contains("ended early"));
        for (const char c : r.err)
            QVERIFY2(uchar(c) >= 0x20 || c == '\n', "a raw control byte reached the terminal");
        QVERIFY(r.err.size() < 1024);
        QCOMPARE(m_server->requests().size(), 1);
    }

    // Item 8: a connection dropped before the answer is retried by the retry policy only: the
    // server sees exactly the attempts qlaude reports.
    void attemptsSeenByTheServerAreTheAttemptsCounted()
    {
        for (int i = 0; i < 3; ++i)
            m_server->enqueue(FakeResponse::dropConnection());
        m_server->enqueue(FakeResponse::text("Made it."));
        QProcessEnvironment e = env();
        e.insert("CLAUDE_CODE_MAX_RETRIES", "5");
        const ProcessResult r = runQlaudeAsync({"--print", "hi"}, e, {}, 60000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("Made it.\n"));
        QCOMPARE(r.err.count("retrying in"), 3);
        QCOMPARE(m_server->requests().size(), 4);
    }
};

QTEST_GUILESS_MAIN(tst_PrintFaults)
#include "tst_PrintFaults.moc"
