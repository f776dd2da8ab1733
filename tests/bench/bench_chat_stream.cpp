// Streaming a long answer through the real client, ChatSession and SQLite store, against the
// fake Messages API in this process. Reports, for a 10,000-delta and a 50,000-delta answer:
// - the time per delta while the answer streams (first delta to last delta), and apart from it
//   the end of the turn (last delta to turnFinished: the final store write);
// - for the long answer, the time per delta over its first and its last 10,000 deltas (neither
//   window holds the request before the first delta nor the end of the turn);
// - how much the resident memory grew while the answer streamed (first delta to end of turn),
//   and how much of that is beyond the answer's text itself (UTF-16, as the session holds it).
// Targets (issue 3): time per delta does not grow with the message's length (ratios under 2x);
// memory is flat (the growth beyond the text does not grow with the answer). A missed target is
// printed; the exit code is 1 only when a stream did not complete.
#include "AnthropicClient.h"
#include "BenchReport.h"
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

#include <algorithm>
#include <utility>

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
    double usPerDelta = 0;    // first delta to last delta
    double firstWindowUs = 0; // per delta, over the first `window` deltas after the first one
    double lastWindowUs = 0;  // per delta, over the last `window` deltas
    double endOfTurnMs = 0;   // last delta to turnFinished
    long rssGrowthKb = 0;     // first delta to turnFinished
    long rssAfterKb = 0;      // the whole turn, finished and stored, fake server gone
    qint64 textBytes = 0;     // the text received after the first delta, as UTF-16
    bool ok = false;
    qint64 growthBeyondTextKb() const { return rssGrowthKb - textBytes / 1024; }
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

    // Both windows span `window` deltas: from delta 1 to delta window + 1, and from delta
    // deltas - window to the last delta.
    const int window = std::min(10000, deltas - 1);
    int count = 0;
    QElapsedTimer clock;
    clock.start();
    qint64 firstStart = 0, firstEnd = 0, lastStart = 0, lastEnd = 0, finished = 0;
    long rssAtStart = 0, rssAtEnd = 0;
    qint64 textBytes = 0, textAtStart = 0;
    QObject::connect(
        &session, &ChatSession::textDelta, &session, [&](qint64, int, const QString &t) {
            // The deltas of one network read arrive as one signal: count the
            // words (one per delta) and note where each mark is crossed.
            const int before = count;
            count += int(t.split(QLatin1Char(' '), Qt::SkipEmptyParts).size());
            const auto crossed = [&](int mark) { return before < mark && count >= mark; };
            textBytes += t.size() * 2;
            const qint64 at = clock.nsecsElapsed();
            if (crossed(1)) {
                firstStart = at;
                textAtStart = textBytes;
                rssAtStart = rssKb();
            }
            if (crossed(window + 1))
                firstEnd = at;
            if (crossed(deltas - window))
                lastStart = at;
            if (crossed(deltas))
                lastEnd = at;
        });
    QEventLoop loop;
    QObject::connect(&session, &ChatSession::turnFinished, &loop,
                     [&](qint64, MessageStatus status, const ApiError &) {
                         finished = clock.nsecsElapsed();
                         rssAtEnd = rssKb();
                         run.ok = status == MessageStatus::Complete && count == deltas;
                         loop.quit();
                     });
    session.send(QStringLiteral("Count for me."));
    loop.exec();
    if (!run.ok)
        return run;
    run.usPerDelta = (lastEnd - firstStart) / 1000.0 / (deltas - 1);
    run.firstWindowUs = (firstEnd - firstStart) / 1000.0 / window;
    run.lastWindowUs = (lastEnd - lastStart) / 1000.0 / window;
    run.endOfTurnMs = (finished - lastEnd) / 1e6;
    run.rssGrowthKb = rssAtEnd - rssAtStart;
    run.textBytes = textBytes - textAtStart;
    server.reset();
    run.rssAfterKb = rssKb() - rssBefore;
    return run;
}

QString verdict(bool met)
{
    return met ? QStringLiteral("met") : QStringLiteral("MISSED");
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
    const double lengthRatio = large.usPerDelta / small.usPerDelta;
    out << QStringLiteral("chat-stream: 10000 deltas %1 us/delta; 50000 deltas %2 us/delta; "
                          "ratio %3 (target: under 2x, %4); end of turn %5 ms / %6 ms\n")
               .arg(small.usPerDelta, 0, 'f', 1)
               .arg(large.usPerDelta, 0, 'f', 1)
               .arg(lengthRatio, 0, 'f', 2)
               .arg(verdict(lengthRatio < 2))
               .arg(small.endOfTurnMs, 0, 'f', 1)
               .arg(large.endOfTurnMs, 0, 'f', 1);
    const double windowRatio = large.lastWindowUs / large.firstWindowUs;
    out << QStringLiteral("chat-stream: 50000-delta answer, first 10000 %1 us/delta, last 10000 "
                          "%2 us/delta; ratio %3 (target: under 2x, %4)\n")
               .arg(large.firstWindowUs, 0, 'f', 1)
               .arg(large.lastWindowUs, 0, 'f', 1)
               .arg(windowRatio, 0, 'f', 2)
               .arg(verdict(windowRatio < 2));
    // Flat: what the long answer adds beyond its text is no more than the short one's plus
    // 4 MB of allocator noise.
    const bool flat = large.growthBeyondTextKb() <= small.growthBeyondTextKb() + 4096;
    for (const auto &[deltas, r] : {std::pair<int, Run>{10000, small}, {50000, large}}) {
        out << QStringLiteral("chat-stream: %1 deltas: resident memory +%2 MB while streaming, "
                              "the text %3 MB, beyond the text %4 MB; +%5 MB after the turn\n")
                   .arg(deltas)
                   .arg(r.rssGrowthKb / 1024.0, 0, 'f', 2)
                   .arg(r.textBytes / 1048576.0, 0, 'f', 2)
                   .arg(r.growthBeyondTextKb() / 1024.0, 0, 'f', 2)
                   .arg(r.rssAfterKb / 1024.0, 0, 'f', 2);
    }
    out << QStringLiteral("chat-stream: memory beyond the text, 50000 vs 10000 deltas: %1 MB vs "
                          "%2 MB (target: flat, within 4 MB, %3)\n")
               .arg(large.growthBeyondTextKb() / 1024.0, 0, 'f', 2)
               .arg(small.growthBeyondTextKb() / 1024.0, 0, 'f', 2)
               .arg(verdict(flat));
    out.flush();
    namespace b = qlaude::bench;
    b::report("chat stream per delta, 10k-delta answer", small.usPerDelta, "us", b::Target::none());
    b::report("chat stream per delta, 50k / 10k answer", lengthRatio, "x", b::Target::below(2));
    b::report("chat stream per delta, last / first 10k of 50k", windowRatio, "x",
              b::Target::below(2));
    b::report("chat stream memory beyond text, 50k - 10k",
              (large.growthBeyondTextKb() - small.growthBeyondTextKb()) / 1024.0, "MB",
              b::Target::below(4));
    return 0;
}
