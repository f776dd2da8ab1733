// 1,000 turns through ChatSession, the real client and the SQLite store against the fake
// Messages API, each answered by a fault picked at random (drops, stalls, TCP resets, garbage,
// broken events, in-stream and HTTP errors) or by a good answer. Twenty lanes run at once, each
// with its own fake server, network access manager and client, so stalls overlap.
//
// Every turn must end, within the time its attempts may take (API_TIMEOUT_MS per attempt, one
// retry, plus slack for a loaded machine), with the whole answer or with an error a person can
// read (a kind, a sentence, no secret). The process must hold the same open file descriptors
// before and after (/proc/self/fd): nothing leaks a socket, a timer fd or a file.
#include "AnthropicClient.h"
#include "ChatSession.h"
#include "ConversationStore.h"
#include "FakeAnthropicServer.h"
#include "FakeResponse.h"
#include "TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QtTest>

#include <map>
#include <memory>
#include <random>

using namespace qlaude;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;

namespace {

constexpr int kLanes = 20;
constexpr int kTurnsPerLane = 50;
constexpr int kTimeoutMs = 600;     // API_TIMEOUT_MS and CLAUDE_STREAM_IDLE_TIMEOUT_MS
constexpr int kMaxRetries = 1;      // each turn makes at most two attempts
constexpr int kSlackMs = 4000;      // a loaded 2-core machine, a sanitizer build
constexpr int kAnswerWords = 40;    // the good answer: ~45 SSE events, several KB
constexpr int kCutBytesRange = 600; // cuts land well inside that answer

enum class Fault
{
    None,
    DropBeforeHead,
    StallBeforeHead,
    ResetBeforeHead,
    DropAfterBytes,
    DropAfterEvents,
    StallAfterBytes,
    StallAfterEvents,
    ResetAfterBytes,
    Garbage,
    BrokenJson,
    StreamError,
    HttpError,
    Count
};

const char *faultName(Fault f)
{
    switch (f) {
    case Fault::None:
        return "none";
    case Fault::DropBeforeHead:
        return "drop before head";
    case Fault::StallBeforeHead:
        return "stall before head";
    case Fault::ResetBeforeHead:
        return "reset before head";
    case Fault::DropAfterBytes:
        return "drop after bytes";
    case Fault::DropAfterEvents:
        return "drop after events";
    case Fault::StallAfterBytes:
        return "stall after bytes";
    case Fault::StallAfterEvents:
        return "stall after events";
    case Fault::ResetAfterBytes:
        return "reset after bytes";
    case Fault::Garbage:
        return "garbage body";
    case Fault::BrokenJson:
        return "broken JSON event";
    case Fault::StreamError:
        return "error event";
    case Fault::HttpError:
        return "HTTP error";
    case Fault::Count:
        break;
    }
    return "?";
}

QString answerText()
{
    QStringList words;
    for (int i = 0; i < kAnswerWords; ++i)
        words << QStringLiteral("word%1").arg(i);
    return words.join(QLatin1Char(' '));
}

int openFileDescriptors()
{
    return int(QDir(QStringLiteral("/proc/self/fd"))
                   .entryList(QDir::NoDotAndDotDot | QDir::AllEntries)
                   .size());
}

QString openFileDescriptorList()
{
    QStringList out;
    const QDir dir(QStringLiteral("/proc/self/fd"));
    for (const QFileInfo &fd :
         dir.entryInfoList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System))
        out << fd.fileName() + QStringLiteral(" -> ") + fd.symLinkTarget();
    return out.join(QLatin1Char('\n'));
}

struct Outcome
{
    int turns = 0;
    int errors = 0;
    std::map<int, int> kinds; // ApiError::Kind -> count
};

} // namespace

class tst_ChatSessionFaults : public QObject
{
    Q_OBJECT

    struct Lane
    {
        std::unique_ptr<FakeAnthropicServer> server;
        std::unique_ptr<QNetworkAccessManager> nam;
        std::unique_ptr<AnthropicClient> client;
        std::unique_ptr<ChatSession> session;
        int turnsLeft = 0;
        Fault fault = Fault::None;
        QElapsedTimer clock;
        QString streamed;
    };

    std::unique_ptr<test::TestHome> m_home;
    std::unique_ptr<ConversationStore> m_store;
    std::unique_ptr<StaticAuthorizer> m_auth;
    QString m_key;
    std::mt19937 m_random;
    std::vector<std::unique_ptr<Lane>> m_lanes;
    std::map<Fault, Outcome> m_outcomes;
    QStringList m_failures;
    int m_running = 0;

    FakeResponse responseFor(Fault fault)
    {
        std::uniform_int_distribution<int> bytes(0, kCutBytesRange);
        std::uniform_int_distribution<int> events(0, 8);
        const FakeResponse good = FakeResponse::text(answerText());
        switch (fault) {
        case Fault::None:
        case Fault::Count:
            return good;
        case Fault::DropBeforeHead:
            return FakeResponse::dropConnection();
        case Fault::StallBeforeHead:
            return FakeResponse::stallConnection();
        case Fault::ResetBeforeHead:
            return FakeResponse::resetConnection();
        case Fault::DropAfterBytes:
            return FakeResponse(good).dropAfterBytes(bytes(m_random));
        case Fault::DropAfterEvents:
            return FakeResponse(good).dropAfterEvents(events(m_random));
        case Fault::StallAfterBytes:
            return FakeResponse(good).stallAfterBytes(bytes(m_random));
        case Fault::StallAfterEvents:
            return FakeResponse(good).stallAfterEvents(events(m_random));
        case Fault::ResetAfterBytes:
            return FakeResponse(good).resetAfterBytes(bytes(m_random));
        case Fault::Garbage: {
            std::uniform_int_distribution<int> length(1, 2000);
            std::uniform_int_distribution<int> byte(0, 255);
            QByteArray junk(length(m_random), Qt::Uninitialized);
            for (char &c : junk)
                c = char(byte(m_random));
            return FakeResponse::rawSse(junk);
        }
        case Fault::BrokenJson: {
            // Any event but the keep-alive ping (event 2), which the assembler skips unread by
            // design: a broken ping carries nothing, and the answer still arrives whole.
            int broken = events(m_random);
            if (broken == 2)
                broken = 3;
            return FakeResponse(good).withBrokenJson(broken);
        }
        case Fault::StreamError:
            return FakeResponse(good).withStreamError(events(m_random));
        case Fault::HttpError: {
            static const int statuses[] = {500, 502, 503, 529, 429, 400};
            std::uniform_int_distribution<int> pick(0, int(std::size(statuses)) - 1);
            return FakeResponse::error(statuses[pick(m_random)]).withRetryAfterMs(1);
        }
        }
        return good;
    }

    std::unique_ptr<Lane> makeLane(int turns)
    {
        auto lane = std::make_unique<Lane>();
        lane->server = std::make_unique<FakeAnthropicServer>();
        if (!lane->server->listen())
            return nullptr;
        lane->server->setExpectedApiKey(m_key.toUtf8());
        lane->nam = std::make_unique<QNetworkAccessManager>();
        ClientConfig cfg;
        cfg.baseUrl = lane->server->baseUrl();
        cfg.options.timeoutMs = kTimeoutMs;
        cfg.options.streamIdleTimeoutMs = kTimeoutMs;
        cfg.maxRetries = kMaxRetries;
        lane->client = std::make_unique<AnthropicClient>(cfg, m_auth.get(), lane->nam.get());
        lane->client->setScheduler(
            [](qint64, std::function<void()> fire) { QTimer::singleShot(0, fire); });
        lane->session = std::make_unique<ChatSession>(lane->client.get(), m_store.get());
        ChatSession::Settings st;
        st.model = QStringLiteral("claude-sonnet-4-5");
        st.maxTokens = 1000;
        lane->session->setSettings(st);
        lane->turnsLeft = turns;
        Lane *raw = lane.get();
        connect(raw->session.get(), &ChatSession::textDelta, this,
                [raw](qint64, int, const QString &t) { raw->streamed += t; });
        connect(raw->session.get(), &ChatSession::turnFinished, this,
                [this, raw](qint64, MessageStatus status, const ApiError &error) {
                    finished(raw, status, error);
                });
        return lane;
    }

    void startTurn(Lane *lane)
    {
        // A third of the turns get a good answer, the rest one of the faults.
        std::uniform_int_distribution<int> pick(1, int(Fault::Count) - 1);
        lane->fault = std::uniform_int_distribution<int>(0, 2)(m_random) == 0
                          ? Fault::None
                          : Fault(pick(m_random));
        lane->server->setDefaultResponse(responseFor(lane->fault));
        lane->streamed.clear();
        lane->clock.start();
        --lane->turnsLeft;
        ++m_running;
        if (!lane->session->send(QStringLiteral("Question %1").arg(lane->turnsLeft))) {
            m_failures << QStringLiteral("send() refused: %1").arg(lane->session->errorString());
            --m_running;
        }
    }

    void finished(Lane *lane, MessageStatus status, const ApiError &error)
    {
        --m_running;
        const qint64 elapsed = lane->clock.elapsed();
        const char *fault = faultName(lane->fault);
        Outcome &o = m_outcomes[lane->fault];
        ++o.turns;
        const qint64 limit = qint64(kMaxRetries + 1) * kTimeoutMs + kSlackMs;
        if (elapsed > limit)
            m_failures << QStringLiteral("%1: the turn took %2 ms (limit %3)")
                              .arg(QLatin1String(fault))
                              .arg(elapsed)
                              .arg(limit);
        if (lane->fault == Fault::None) {
            if (status != MessageStatus::Complete || error.isError() ||
                lane->streamed != answerText())
                m_failures << QStringLiteral("a good answer did not arrive whole: %1")
                                  .arg(error.userMessage());
        } else {
            // Every fault cuts the answer before its message_stop, or answers no answer at all.
            ++o.errors;
            ++o.kinds[int(error.kind)];
            const QString text = error.userMessage();
            if (status != MessageStatus::Error || !error.isError())
                m_failures << QStringLiteral("%1: the turn ended without an error")
                                  .arg(QLatin1String(fault));
            else if (text.trimmed().isEmpty() || error.shortDescription().trimmed().isEmpty())
                m_failures
                    << QStringLiteral("%1: the error says nothing").arg(QLatin1String(fault));
            if (text.contains(m_key) || error.message.contains(m_key))
                m_failures
                    << QStringLiteral("%1: the error holds the key").arg(QLatin1String(fault));
            const bool stall = lane->fault == Fault::StallBeforeHead ||
                               lane->fault == Fault::StallAfterBytes ||
                               lane->fault == Fault::StallAfterEvents;
            if (stall && error.kind != ApiError::Kind::Timeout)
                m_failures << QStringLiteral("%1: ended as %2, not as a timeout")
                                  .arg(QLatin1String(fault), error.shortDescription());
        }
        if (lane->turnsLeft > 0)
            QTimer::singleShot(0, this, [this, lane] { startTurn(lane); });
    }

    // Runs `lanes` lanes of `turns` turns each; false when they did not all end.
    bool run(int lanes, int turns)
    {
        for (int i = 0; i < lanes; ++i) {
            auto lane = makeLane(turns);
            if (!lane)
                return false;
            m_lanes.push_back(std::move(lane));
        }
        for (const auto &lane : m_lanes)
            startTurn(lane.get());
        const bool ended = QTest::qWaitFor(
            [this] {
                if (m_running > 0)
                    return false;
                for (const auto &lane : m_lanes) {
                    if (lane->turnsLeft > 0)
                        return false;
                }
                return true;
            },
            120000);
        // Each client keeps at most the connections QNAM pools per host (6); one per turn would
        // be a leak. Aborted and refused connections close once the loop has run.
        for (const auto &lane : m_lanes) {
            FakeAnthropicServer *server = lane->server.get();
            if (!QTest::qWaitFor([server] { return server->openConnections() <= 6; }, 3000))
                m_failures << QStringLiteral("%1 connections still open after %2 turns")
                                  .arg(server->openConnections())
                                  .arg(turns);
        }
        m_lanes.clear(); // sessions, clients, managers (their connections) and servers
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QCoreApplication::processEvents();
        return ended;
    }

private slots:
    void initTestCase()
    {
        const quint32 seed = qEnvironmentVariableIsSet("QLAUDE_FAULT_SEED")
                                 ? quint32(qEnvironmentVariableIntValue("QLAUDE_FAULT_SEED"))
                                 : std::random_device()();
        qInfo("fault seed %u (QLAUDE_FAULT_SEED=%u repeats this run)", seed, seed);
        m_random.seed(seed);
        m_home = std::make_unique<test::TestHome>(QStringLiteral("chatsession-faults"));
        m_store =
            std::make_unique<ConversationStore>(m_home->path(QStringLiteral("history.sqlite")));
        QVERIFY2(m_store->open(), qPrintable(m_store->errorString()));
        m_key = test::testSecret(QStringLiteral("faults"));
        Credential c;
        c.kind = CredentialKind::ApiKey;
        c.source = QStringLiteral("env:ANTHROPIC_API_KEY");
        c.apiKey = m_key;
        m_auth = std::make_unique<StaticAuthorizer>(c);
    }

    void thousandFaultyConnections()
    {
        // A first small round opens what Qt opens once per process (the network thread's
        // pipes, the SQLite journal); the count that matters is taken after it.
        QVERIFY(run(2, 10));
        m_outcomes.clear();
        QVERIFY2(m_failures.isEmpty(), qPrintable(m_failures.join(QLatin1Char('\n'))));
        const int before = openFileDescriptors();
        const QString beforeList = openFileDescriptorList();

        QElapsedTimer total;
        total.start();
        QVERIFY2(run(kLanes, kTurnsPerLane), "not every turn ended within two minutes");
        const qint64 ms = total.elapsed();

        int turns = 0;
        for (const auto &[fault, o] : m_outcomes) {
            turns += o.turns;
            QString kinds;
            for (const auto &[kind, n] : o.kinds)
                kinds += QStringLiteral(" kind%1:%2").arg(kind).arg(n);
            qInfo("%-20s %4d turns, %4d errors%s", faultName(fault), o.turns, o.errors,
                  qPrintable(kinds));
        }
        qInfo("%d turns in %lld ms", turns, qlonglong(ms));
        QCOMPARE(turns, kLanes * kTurnsPerLane);
        // Every kind of fault came up (the draw is random, but 1,000 turns cover 12 faults).
        for (int f = 0; f < int(Fault::Count); ++f)
            QVERIFY2(m_outcomes.count(Fault(f)) == 1, faultName(Fault(f)));
        if (!m_failures.isEmpty()) {
            m_failures.removeDuplicates();
            QFAIL(qPrintable(m_failures.mid(0, 20).join(QLatin1Char('\n'))));
        }

        // Closed sockets go when the event loop has run; give it a moment.
        (void)QTest::qWaitFor([&] { return openFileDescriptors() <= before; }, 3000);
        const int after = openFileDescriptors();
        QVERIFY2(after == before, qPrintable(QStringLiteral("%1 open file descriptors before, %2 "
                                                            "after.\nBefore:\n%3\nAfter:\n%4")
                                                 .arg(before)
                                                 .arg(after)
                                                 .arg(beforeList, openFileDescriptorList())));
    }
};

QTEST_GUILESS_MAIN(tst_ChatSessionFaults)
#include "tst_ChatSessionFaults.moc"
