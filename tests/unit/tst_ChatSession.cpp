#include "AnthropicClient.h"
#include "ChatSession.h"
#include "ConversationStore.h"
#include "FakeAnthropicServer.h"
#include "FakeResponse.h"
#include "TestSupport.h"

#include <QNetworkAccessManager>
#include <QtTest>

using namespace qlaude;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;

class tst_ChatSession : public QObject
{
    Q_OBJECT

    FakeAnthropicServer *m_server = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
    std::unique_ptr<StaticAuthorizer> m_auth;
    std::unique_ptr<AnthropicClient> m_client;
    std::unique_ptr<ConversationStore> m_store;
    std::unique_ptr<test::TestHome> m_home;

    bool waitTurn(ChatSession &s, MessageStatus *status = nullptr, ApiError *error = nullptr)
    {
        bool done = false;
        auto c = connect(&s, &ChatSession::turnFinished, this,
                         [&](qint64, MessageStatus st, const ApiError &e) {
                             done = true;
                             if (status)
                                 *status = st;
                             if (error)
                                 *error = e;
                         });
        QSignalSpy spy(&s, &ChatSession::turnFinished); // event-driven, unlike qWaitFor
        const bool ok = done || spy.wait(10000);
        disconnect(c);
        return ok;
    }

    ChatSession::Settings settings()
    {
        ChatSession::Settings st;
        st.model = QStringLiteral("claude-sonnet-4-5");
        st.maxTokens = 1000;
        return st;
    }

private slots:
    void init()
    {
        m_home = std::make_unique<test::TestHome>(QStringLiteral("chatsession"));
        m_server = new FakeAnthropicServer(this);
        QVERIFY(m_server->listen());
        m_nam = new QNetworkAccessManager(this);
        Credential c;
        c.kind = CredentialKind::ApiKey;
        c.source = QStringLiteral("env:ANTHROPIC_API_KEY");
        c.apiKey = QStringLiteral("sk-ant-chat-key-0001");
        m_auth = std::make_unique<StaticAuthorizer>(c);
        ClientConfig cfg;
        cfg.baseUrl = m_server->baseUrl();
        cfg.options.timeoutMs = 5000;
        m_client = std::make_unique<AnthropicClient>(cfg, m_auth.get(), m_nam);
        m_client->setScheduler(
            [](qint64, std::function<void()> fire) { QTimer::singleShot(0, fire); });
        m_store = std::make_unique<ConversationStore>(m_home->path("history.sqlite"));
        QVERIFY2(m_store->open(), qPrintable(m_store->errorString()));
    }
    void cleanup()
    {
        m_client.reset();
        m_store.reset();
        delete m_nam;
        delete m_server;
    }

    void sendStreamsIntoTheStore()
    {
        ChatSession s(m_client.get(), m_store.get());
        ChatSession::Settings st = settings();
        st.systemPrompt = QStringLiteral("Be brief.");
        st.thinkingBudget = 2048;
        st.maxTokens = 4096;
        s.setSettings(st);
        m_server->enqueue(FakeResponse::message()
                              .addThinking(QStringLiteral("Let me think."), QStringLiteral("sig-1"))
                              .addText(QStringLiteral("Hello there."))
                              .setUsage(12, 7));
        QString streamed;
        connect(&s, &ChatSession::textDelta, this,
                [&](qint64, int, const QString &t) { streamed += t; });
        QVERIFY(s.send(QStringLiteral("Hi!")));
        MessageStatus status;
        QVERIFY(waitTurn(s, &status));
        QCOMPARE(status, MessageStatus::Complete);
        QCOMPARE(streamed, QStringLiteral("Hello there."));

        const QJsonObject req = m_server->lastRequest().json;
        QCOMPARE(req.value("system").toString(), QStringLiteral("Be brief."));
        QCOMPARE(req.value("max_tokens").toInt(), 4096);
        QCOMPARE(req.value("thinking").toObject().value("budget_tokens").toInt(), 2048);
        QCOMPARE(req.value("messages").toArray().size(), 1);

        const QList<StoredMessage> h = m_store->messages(s.conversationId());
        QCOMPARE(h.size(), 2);
        QCOMPARE(h.at(0).plainText(), QStringLiteral("Hi!"));
        QCOMPARE(h.at(1).status, MessageStatus::Complete);
        QCOMPARE(h.at(1).blocks.size(), 2);
        QCOMPARE(h.at(1).blocks.at(0).type, BlockType::Thinking);
        QCOMPARE(h.at(1).blocks.at(0).text, QStringLiteral("Let me think."));
        QCOMPARE(h.at(1).blocks.at(0).signature, QStringLiteral("sig-1"));
        QCOMPARE(h.at(1).blocks.at(1).text, QStringLiteral("Hello there."));
        QCOMPARE(h.at(1).usage.inputTokens, 12);
        QCOMPARE(h.at(1).usage.outputTokens, 7);
        QCOMPARE(h.at(1).stopReason, QStringLiteral("end_turn"));

        // The next turn carries the history, thinking block and signature included.
        m_server->enqueue(FakeResponse::text(QStringLiteral("Second.")));
        QVERIFY(s.send(QStringLiteral("And again?")));
        QVERIFY(waitTurn(s));
        const QJsonArray msgs = m_server->lastRequest().json.value("messages").toArray();
        QCOMPARE(msgs.size(), 3);
        const QJsonArray assistant = msgs.at(1).toObject().value("content").toArray();
        QCOMPARE(assistant.at(0).toObject().value("type").toString(), QStringLiteral("thinking"));
        QCOMPARE(assistant.at(0).toObject().value("signature").toString(), QStringLiteral("sig-1"));
    }

    void toolUseIsStoredWithItsInput()
    {
        ChatSession s(m_client.get(), m_store.get());
        s.setSettings(settings());
        m_server->enqueue(
            FakeResponse::message()
                .addText(QStringLiteral("Checking."))
                .addToolUse(QStringLiteral("toolu_1"), QStringLiteral("get_weather"),
                            {QString(), QStringLiteral("{\"locati"), QStringLiteral("on\": \"P"),
                             QStringLiteral("aris\"}")}));
        QVERIFY(s.send(QStringLiteral("Weather?")));
        QVERIFY(waitTurn(s));
        const StoredMessage a = m_store->messages(s.conversationId()).last();
        QCOMPARE(a.blocks.size(), 2);
        QCOMPARE(a.blocks.at(1).type, BlockType::ToolUse);
        QCOMPARE(a.blocks.at(1).toolName, QStringLiteral("get_weather"));
        QCOMPARE(QJsonDocument::fromJson(a.blocks.at(1).json).object().value("location").toString(),
                 QStringLiteral("Paris"));
        QCOMPARE(a.stopReason, QStringLiteral("tool_use"));
    }

    void stopKeepsThePartialAnswerMarkedStopped()
    {
        ChatSession s(m_client.get(), m_store.get());
        s.setSettings(settings());
        m_server->setChunkSize(6);
        m_server->setChunkDelay(15);
        m_server->enqueue(
            FakeResponse::text(QStringLiteral("one two three four five six seven eight nine ten")));
        QString streamed;
        connect(&s, &ChatSession::textDelta, this, [&](qint64, int, const QString &t) {
            streamed += t;
            if (streamed.size() > 8)
                s.stop();
        });
        QVERIFY(s.send(QStringLiteral("Count")));
        MessageStatus status;
        ApiError error;
        QVERIFY(waitTurn(s, &status, &error));
        QCOMPARE(status, MessageStatus::Stopped);
        QVERIFY(!error.isError());
        const StoredMessage a = m_store->messages(s.conversationId()).last();
        QCOMPARE(a.status, MessageStatus::Stopped);
        QCOMPARE(a.plainText(), streamed);
        QVERIFY(!streamed.isEmpty() && streamed.size() < 48);
    }

    void errorsKeepHistoryAndSayWhatToDo()
    {
        ChatSession s(m_client.get(), m_store.get());
        s.setSettings(settings());
        m_server->enqueue(FakeResponse::text(QStringLiteral("fine")));
        QVERIFY(s.send(QStringLiteral("First")));
        QVERIFY(waitTurn(s));
        m_server->enqueue(FakeResponse::error(403, QStringLiteral("permission_error"),
                                              QStringLiteral("no access to model")));
        QVERIFY(s.send(QStringLiteral("Second")));
        MessageStatus status;
        ApiError error;
        QVERIFY(waitTurn(s, &status, &error));
        QCOMPARE(status, MessageStatus::Error);
        QCOMPARE(error.httpStatus, 403);
        const QList<StoredMessage> h = m_store->messages(s.conversationId());
        QCOMPARE(h.size(), 4);
        QCOMPARE(h.at(1).plainText(), QStringLiteral("fine"));
        QVERIFY(h.at(3).errorText.contains("does not have access"));
        // The failed empty answer is not sent back to the API.
        m_server->enqueue(FakeResponse::text(QStringLiteral("ok now")));
        QVERIFY(s.regenerate());
        QVERIFY(waitTurn(s));
        const QJsonArray msgs = m_server->lastRequest().json.value("messages").toArray();
        QCOMPARE(msgs.size(), 3);
        QCOMPARE(msgs.last().toObject().value("content").toString(), QStringLiteral("Second"));
        // The failed empty answer was replaced, not kept as a version.
        const QList<StoredMessage> after = m_store->messages(s.conversationId());
        QCOMPARE(after.size(), 4);
        QCOMPARE(after.at(3).plainText(), QStringLiteral("ok now"));
        QCOMPARE(after.at(3).versionCount, 1);
    }

    static QStringList texts(const QList<StoredMessage> &messages)
    {
        QStringList result;
        for (const StoredMessage &m : messages)
            result.append(m.plainText());
        return result;
    }

    // The text of each message of the last request the fake API received.
    QStringList requestedTexts() const
    {
        QStringList result;
        const QJsonArray msgs = m_server->lastRequest().json.value("messages").toArray();
        for (const QJsonValue &m : msgs)
            result.append(m.toObject().value("content").toString());
        return result;
    }

    void regenerateKeepsTheEarlierAnswerAsAVersion()
    {
        ChatSession s(m_client.get(), m_store.get());
        s.setSettings(settings());
        m_server->enqueue(FakeResponse::text(QStringLiteral("first answer")));
        QVERIFY(s.send(QStringLiteral("Q")));
        QVERIFY(waitTurn(s));
        m_server->enqueue(FakeResponse::text(QStringLiteral("second answer")));
        QVERIFY(s.regenerate());
        QVERIFY(waitTurn(s));
        const QList<StoredMessage> h = m_store->messages(s.conversationId());
        QCOMPARE(texts(h), (QStringList{QStringLiteral("Q"), QStringLiteral("second answer")}));
        QCOMPARE(h.at(1).version, 2);
        QCOMPARE(h.at(1).versionCount, 2);
        QCOMPARE(requestedTexts(), QStringList{QStringLiteral("Q")});

        // The next turn continues from the answer shown.
        m_server->enqueue(FakeResponse::text(QStringLiteral("third answer")));
        QVERIFY(s.send(QStringLiteral("Go on")));
        QVERIFY(waitTurn(s));
        QCOMPARE(requestedTexts(),
                 (QStringList{QStringLiteral("Q"), QStringLiteral("second answer"),
                              QStringLiteral("Go on")}));

        // Showing the first answer again: the request after it carries that one instead.
        const qint64 first = s.showVersion(h.at(1).id, -1);
        QVERIFY2(first > 0, qPrintable(s.errorString()));
        QCOMPARE(texts(s.history()),
                 (QStringList{QStringLiteral("Q"), QStringLiteral("first answer")}));
        m_server->enqueue(FakeResponse::text(QStringLiteral("fourth answer")));
        QVERIFY(s.send(QStringLiteral("Tell me more")));
        QVERIFY(waitTurn(s));
        QCOMPARE(requestedTexts(), (QStringList{QStringLiteral("Q"), QStringLiteral("first answer"),
                                                QStringLiteral("Tell me more")}));
        // The other branch is still there, as it was.
        QCOMPARE(s.showVersion(first, 1), h.at(1).id);
        QCOMPARE(texts(s.history()),
                 (QStringList{QStringLiteral("Q"), QStringLiteral("second answer"),
                              QStringLiteral("Go on"), QStringLiteral("third answer")}));
        QCOMPARE(s.showVersion(h.at(1).id, 1), qint64(0)); // no third version
        QVERIFY(!s.errorString().isEmpty());
    }

    void eachAnswerRecordsItsConnection()
    {
        ChatSession s(m_client.get(), m_store.get());
        s.setSettings(settings());
        QVERIFY(s.connectionName().isEmpty()); // "From your settings"
        m_server->enqueue(FakeResponse::text(QStringLiteral("one")));
        QVERIFY(s.send(QStringLiteral("Q1")));
        QVERIFY(waitTurn(s));
        s.setConnectionName(QStringLiteral("Work gateway"));
        m_server->enqueue(FakeResponse::text(QStringLiteral("two")));
        QVERIFY(s.send(QStringLiteral("Q2")));
        QVERIFY(waitTurn(s));
        s.setConnectionName(QStringLiteral("Personal key"));
        m_server->enqueue(FakeResponse::text(QStringLiteral("two again")));
        QVERIFY(s.regenerate());
        QVERIFY(waitTurn(s));
        const QList<StoredMessage> h = m_store->messages(s.conversationId());
        QCOMPARE(h.size(), 4);
        QVERIFY(h.at(1).connection.isEmpty());
        QCOMPARE(h.at(3).connection, QStringLiteral("Personal key"));
        QVERIFY(h.at(2).connection.isEmpty()); // questions are not answered by a connection
        QCOMPARE(m_store->showVersion(h.at(3).id, -1) > 0, true);
        QCOMPARE(m_store->messages(s.conversationId()).at(3).connection,
                 QStringLiteral("Work gateway"));
    }

    void editAndResendKeepsTheEarlierQuestionAsAVersion()
    {
        ChatSession s(m_client.get(), m_store.get());
        s.setSettings(settings());
        m_server->enqueue(FakeResponse::text(QStringLiteral("a1")));
        QVERIFY(s.send(QStringLiteral("q1")));
        QVERIFY(waitTurn(s));
        m_server->enqueue(FakeResponse::text(QStringLiteral("a2")));
        QVERIFY(s.send(QStringLiteral("q2")));
        QVERIFY(waitTurn(s));
        const qint64 q2 = m_store->messages(s.conversationId()).at(2).id;
        m_server->enqueue(FakeResponse::text(QStringLiteral("a2 edited")));
        QVERIFY(s.editAndResend(q2, QStringLiteral("q2 edited")));
        QVERIFY(waitTurn(s));
        const QList<StoredMessage> h = m_store->messages(s.conversationId());
        QCOMPARE(h.size(), 4);
        QCOMPARE(h.at(2).plainText(), QStringLiteral("q2 edited"));
        QCOMPARE(h.at(3).plainText(), QStringLiteral("a2 edited"));
        QCOMPARE(h.at(2).versionCount, 2);
        QCOMPARE(requestedTexts(), (QStringList{QStringLiteral("q1"), QStringLiteral("a1"),
                                                QStringLiteral("q2 edited")}));
        // The earlier question and its answer are version 1 of that turn.
        QVERIFY(s.showVersion(h.at(2).id, -1) > 0);
        QCOMPARE(texts(s.history()), (QStringList{QStringLiteral("q1"), QStringLiteral("a1"),
                                                  QStringLiteral("q2"), QStringLiteral("a2")}));
        // An empty edit is refused and changes nothing.
        QVERIFY(!s.editAndResend(q2, QStringLiteral("  ")));
        QCOMPARE(m_store->messages(s.conversationId()).at(2).versionCount, 2);
    }

    void withoutAStoreNothingIsWritten()
    {
        // Every place a history could go (HOME, the XDG folders, the working folder) points into
        // one empty folder while the session lives; afterwards it must still hold no file.
        const test::TestHome empty(QStringLiteral("chatsession-nostore"));
        const QString root = empty.path(QStringLiteral("home"));
        QVERIFY(QDir().mkpath(root));
        struct Redirect
        {
            QHash<QByteArray, QByteArray> saved;
            QString cwd = QDir::currentPath();
            explicit Redirect(const QString &home)
            {
                const QList<std::pair<const char *, QString>> vars = {
                    {"HOME", home},
                    {"XDG_DATA_HOME", home + QStringLiteral("/.local/share")},
                    {"XDG_CONFIG_HOME", home + QStringLiteral("/.config")},
                    {"XDG_CACHE_HOME", home + QStringLiteral("/.cache")},
                    {"XDG_STATE_HOME", home + QStringLiteral("/.local/state")}};
                for (const auto &[name, value] : vars) {
                    saved.insert(name, qgetenv(name));
                    qputenv(name, value.toLocal8Bit());
                }
                QDir::setCurrent(home);
            }
            ~Redirect()
            {
                for (auto it = saved.cbegin(); it != saved.cend(); ++it) {
                    if (it.value().isNull())
                        qunsetenv(it.key().constData());
                    else
                        qputenv(it.key().constData(), it.value());
                }
                QDir::setCurrent(cwd);
            }
        };
        {
            const Redirect redirect(root);
            QCOMPARE(QDir::homePath(), root);
            ChatSession s(m_client.get(), nullptr);
            s.setSettings(settings());
            m_server->enqueue(FakeResponse::text(QStringLiteral("memory only")));
            QVERIFY(s.send(QStringLiteral("Q")));
            QVERIFY(waitTurn(s));
            QCOMPARE(s.history().size(), 2);
            QCOMPARE(s.history().at(1).plainText(), QStringLiteral("memory only"));
            QTest::qWait(100); // anything deferred (a flush timer, a deleteLater) runs here
        }
        QTest::qWait(100);
        QStringList files;
        QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::System,
                        QDirIterator::Subdirectories);
        while (it.hasNext())
            files << it.next();
        QVERIFY2(files.isEmpty(), qPrintable(QStringLiteral("written without a store: ") +
                                             files.join(QLatin1Char(' '))));
        QVERIFY(m_store->conversations().isEmpty());
    }

    void busySessionRefusesAnotherSend()
    {
        ChatSession s(m_client.get(), m_store.get());
        s.setSettings(settings());
        m_server->setChunkDelay(50);
        QVERIFY(s.send(QStringLiteral("one")));
        QVERIFY(!s.send(QStringLiteral("two")));
        QVERIFY(s.errorString().contains("still arriving"));
        QVERIFY(waitTurn(s));
    }
};

QTEST_GUILESS_MAIN(tst_ChatSession)
#include "tst_ChatSession.moc"
