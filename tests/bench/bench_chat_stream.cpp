// Streaming a long answer through the real client, ChatSession and SQLite store, against the
// fake Messages API in this process. Reports the time per delta for a 10,000-delta and a
// 50,000-delta answer, the first and last 10,000 deltas of the long one, and how much the
// resident memory grows beyond the text itself. Target (issue 3): time per delta does not grow
// with the message's length; memory is flat.
#include "AnthropicClient.h"
#include "ChatSession.h"
#include "ConversationStore.h"
#include "FakeAnthropicServer.h"
#include "FakeResponse.h"
#include "TestSupport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>

#include <QTextStream>

using namespace qlaude;

namespace {
long rssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLong();
    }
    return 0;
}

struct Run
{
    double usPerDelta = 0;
    double firstWindowUs = 0;
    double lastWindowUs = 0;
    long rssGrowthKb = 0;
    long rssAfterKb = 0; // the whole turn, finished and stored, fake server gone
    qint64 textBytes = 0;
    bool ok = false;
};

Run streamAnswer(int deltas, const test::TestHome &home)
{
    Run run;
    // The fake lives in this thread and writes one event per event-loop turn, so the client
    // reads the stream as it would arrive from the API, not as one bulk buffer.
    const long rssBefore = rssKb();
    auto server = std::make_unique<fakes::FakeAnthropicServer>();
    server->listen();
    QString answer;
    answer.reserve(deltas * 8);
    for (int i = 0; i < deltas; ++i)
        answer += QStringLiteral("w%1 ").arg(i % 100000, 5, 10, QLatin1Char('0'));
    server->enqueue(fakes::FakeResponse::text(answer.trimmed()));
    answer.clear();
    answer.squeeze();

    QNetworkAccessManager nam;
    Credential c;
    c.kind = CredentialKind::ApiKey;
    c.source = QStringLiteral("env:ANTHROPIC_API_KEY");
    c.apiKey = QStringLiteral("sk-ant-bench-key-0001");
    StaticAuthorizer auth(c);
    ClientConfig cfg;
    cfg.baseUrl = server->baseUrl();
    AnthropicClient client(cfg, &auth, &nam);
    ConversationStore store(home.path(QStringLiteral("bench-%1.sqlite").arg(deltas)));
    store.open();
    ChatSession session(&client, &store);
    ChatSession::Settings st;
    st.model = QStringLiteral("claude-sonnet-4-5");
    session.setSettings(st);

    const int window = std::min(10000, deltas);
    int count = 0;
    QElapsedTimer clock;
    qint64 firstStart = 0, firstEnd = 0, lastStart = 0, total = 0;
    long rssAtStart = 0, rssAtEnd = 0;
    qint64 textAtStart = 0;
    QObject::connect(&session, &ChatSession::textDelta, &session,
                     [&](qint64, int, const QString &t) {
                         ++count;
                         run.textBytes += t.size() * 2;
                         if (count == 1) {
                             clock.start();
                             rssAtStart = rssKb();
                         }
                         if (count == window)
                             firstEnd = clock.nsecsElapsed();
                         if (count == deltas - window)
                             lastStart = clock.nsecsElapsed();
                     });
    QEventLoop loop;
    QObject::connect(&session, &ChatSession::turnFinished, &loop,
                     [&](qint64, MessageStatus status, const ApiError &) {
                         total = clock.nsecsElapsed();
                         run.ok = status == MessageStatus::Complete && count == deltas;
                         loop.quit();
                     });
    session.send(QStringLiteral("Count for me."));
    loop.exec();
    run.usPerDelta = total / 1000.0 / deltas;
    run.firstWindowUs = (firstEnd - firstStart) / 1000.0 / window;
    run.lastWindowUs = (total - lastStart) / 1000.0 / window;
    run.rssGrowthKb = rssAtEnd - rssAtStart;
    run.textBytes -= textAtStart;
    server.reset();
    run.rssAfterKb = rssKb() - rssBefore;
    return run;
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    test::TestHome home(QStringLiteral("bench-chat-stream"));
    streamAnswer(2000, home); // warm up
    const Run small = streamAnswer(10000, home);
    const Run large = streamAnswer(50000, home);
    if (!small.ok || !large.ok) {
        out << "chat-stream: a stream did not complete\n";
        return 1;
    }
    out << QStringLiteral("chat-stream: 10000 deltas %1 us/delta; 50000 deltas %2 us/delta; "
                          "ratio %3\n")
               .arg(small.usPerDelta, 0, 'f', 1)
               .arg(large.usPerDelta, 0, 'f', 1)
               .arg(large.usPerDelta / small.usPerDelta, 0, 'f', 2);
    out << QStringLiteral("chat-stream: 50000-delta answer, first 10000 %1 us/delta, last 10000 "
                          "%2 us/delta; ratio %3\n")
               .arg(large.firstWindowUs, 0, 'f', 1)
               .arg(large.lastWindowUs, 0, 'f', 1)
               .arg(large.lastWindowUs / large.firstWindowUs, 0, 'f', 2);
    out << QStringLiteral("chat-stream: resident memory after the whole turn: +%1 MB for 10000 "
                          "deltas, +%2 MB for 50000 deltas (the answer's text is %3 MB larger)\n")
               .arg(small.rssAfterKb / 1024.0, 0, 'f', 2)
               .arg(large.rssAfterKb / 1024.0, 0, 'f', 2)
               .arg((large.textBytes + 10000 * 14 - small.textBytes) / 1048576.0, 0, 'f', 2);
    return 0;
}
