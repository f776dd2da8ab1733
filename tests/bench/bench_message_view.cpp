// The message view under load (issue 4):
// 1. Layout work per delta while a 20,000-delta answer streams, with 100 and with 10,000
//    messages of history, measured over the first and the last frames of the stream. Each
//    frame folds 100 deltas in and lays the streaming message out (what the 16 ms frame timer
//    does); the repaint that follows is timed apart. Times are thread CPU time, so other
//    processes on the machine do not blur them. The layout work must not grow with the history
//    or with the message: the ratios are printed against their target (under 2).
// 2. Opening a 10,000-message conversation from SQLite in the chat window, until it has
//    painted (target: under 150 ms).
// 3. Event-loop latency, probed by a 1 ms timer, while 200 deltas/s stream: into the view with
//    10,000 messages of history, and through the whole app path (fake-anthropic in another
//    process, client, ChatSession, SQLite, view). Target: p99 under 16 ms.
// A missed target is printed ("MISSED"), never an exit failure. The exit code is 1 only when
// something could not be measured: the store or the fake API did not start, a window was not
// shown (or lacked its message view or composer), or nothing streamed through the app path.
#include "AnthropicClient.h"
#include "AppServices.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "Authorizer.h"
#include "BenchReport.h"
#include "ChatWindow.h"
#include "Composer.h"
#include "ConversationStore.h"
#include "MessageDelegate.h"
#include "MessageModel.h"
#include "MessageView.h"
#include "TestSupport.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <numeric>
#include <vector>

using namespace qlaude;

namespace {

QTextStream out(stdout);

StoredBlock textBlock(const QString &text)
{
    StoredBlock b;
    b.text = text;
    return b;
}

// Questions and answers of a few paragraphs, now and then code or thinking.
StoredMessage historyMessage(int i)
{
    StoredMessage m;
    m.id = i + 1;
    m.position = i;
    m.role = i % 2 == 0 ? MessageRole::User : MessageRole::Assistant;
    if (m.role == MessageRole::User) {
        m.blocks = {textBlock(
            QStringLiteral("Question %1: how would you speed up widget %2?").arg(i).arg(i % 13))};
        return m;
    }
    m.model = QStringLiteral("claude-sonnet-4-5");
    if (i % 7 == 1) {
        StoredBlock t;
        t.type = BlockType::Thinking;
        t.text = QStringLiteral("Thinking about answer %1.").arg(i);
        m.blocks.append(t);
    }
    QString text = QStringLiteral("Answer **%1**. Measure first, then cache what you can; the "
                                  "view only needs the rows on screen.\n\n")
                       .arg(i);
    if (i % 5 == 1)
        text += QStringLiteral("```cpp\nfor (int r = 0; r < rows; ++r)\n    touch(r);\n```\n\n");
    text += QStringLiteral("- one thing\n- another thing\n\nThat is all for %1.").arg(i);
    m.blocks.append(textBlock(text));
    m.usage.inputTokens = 120;
    m.usage.outputTokens = 60;
    return m;
}

QList<StoredMessage> history(int count)
{
    QList<StoredMessage> list;
    list.reserve(count);
    for (int i = 0; i < count; ++i)
        list.append(historyMessage(i));
    return list;
}

QString delta(int i)
{
    if (i % 400 == 399)
        return QStringLiteral("\n\n```python\nprint(%1)\n```\n\n").arg(i);
    if (i % 60 == 59)
        return QStringLiteral(" end.\n\n");
    return QStringLiteral(" word%1").arg(i % 97);
}

double cpuMicroseconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mean(const std::vector<double> &v)
{
    return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
    return v[i];
}

struct StreamResult
{
    double startMedianUs = 0; // layout work per delta
    double endMedianUs = 0;
    double startMeanUs = 0;
    double endMeanUs = 0;
    double paintStartMs = 0; // repaint of the viewport, per frame
    double paintEndMs = 0;
    double documentsPerFrame = 0;
    int listLayouts = 0;
    int otherRowsLaidOut = 0;
};

// 200 frames of 100 deltas: the first and last 20 frames are compared.
StreamResult streamFrames(int historyRows)
{
    constexpr int kFrames = 200;
    constexpr int kPerFrame = 100;
    constexpr int kWindow = 20;
    MessageModel model;
    MessageView view;
    view.setMessageModel(&model);
    view.resize(1000, 800);
    model.setMessages(history(historyRows));
    view.show();
    if (!QTest::qWaitForWindowExposed(&view))
        return {};
    view.settle();
    const qint64 id = historyRows + 1;
    model.beginAssistant(id, QStringLiteral("claude-sonnet-4-5"));
    model.startBlock(id, 0, textBlock(QString()));
    QCoreApplication::processEvents();
    view.settle();
    view.messageDelegate()->resetStats();
    const int layoutsBefore = view.listLayouts();

    std::vector<double> frameUs;
    std::vector<double> paintUs;
    for (int f = 0; f < kFrames; ++f) {
        const double t0 = cpuMicroseconds();
        for (int d = 0; d < kPerFrame; ++d)
            model.appendText(id, 0, delta(f * kPerFrame + d));
        model.flushPending(); // what the 16 ms frame timer does
        const double t1 = cpuMicroseconds();
        view.viewport()->repaint(); // and the paint that follows
        const double t2 = cpuMicroseconds();
        frameUs.push_back(t1 - t0);
        paintUs.push_back(t2 - t1);
        QCoreApplication::processEvents();
    }
    StreamResult r;
    const std::vector<double> first(frameUs.begin(), frameUs.begin() + kWindow);
    const std::vector<double> last(frameUs.end() - kWindow, frameUs.end());
    r.paintStartMs = median(std::vector<double>(paintUs.begin(), paintUs.begin() + kWindow)) / 1000;
    r.paintEndMs = median(std::vector<double>(paintUs.end() - kWindow, paintUs.end())) / 1000;
    r.startMedianUs = median(first) / kPerFrame;
    r.endMedianUs = median(last) / kPerFrame;
    r.startMeanUs = mean(first) / kPerFrame;
    r.endMeanUs = mean(last) / kPerFrame;
    const MessageDelegate::Stats &s = view.messageDelegate()->stats();
    r.documentsPerFrame = double(s.segments) / kFrames;
    r.listLayouts = view.listLayouts() - layoutsBefore;
    r.otherRowsLaidOut = int(s.laidOut.size()) - (s.laidOut.contains(id) ? 1 : 0);
    return r;
}

std::vector<double> probeLatency(int durationMs, const std::function<void()> &tick,
                                 int tickIntervalMs)
{
    std::vector<double> lateness;
    lateness.reserve(size_t(durationMs) + 100);
    QElapsedTimer clock;
    clock.start();
    qint64 last = -1;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(1);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        if (last >= 0)
            lateness.push_back(std::max(0.0, double(now - last) / 1e6 - 1.0));
        last = now;
    });
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    feeder.setInterval(tickIntervalMs);
    if (tick) {
        QObject::connect(&feeder, &QTimer::timeout, tick);
        feeder.start();
    }
    probe.start();
    QEventLoop loop;
    QTimer::singleShot(durationMs, &loop, &QEventLoop::quit);
    loop.exec();
    return lateness;
}

QString verdict(bool met)
{
    return met ? QStringLiteral("met") : QStringLiteral("MISSED");
}

void printLatency(const char *label, const std::vector<double> &lateness)
{
    out << QStringLiteral("%1: event-loop latency p50 %2 ms, p99 %3 ms, max %4 ms over %5 "
                          "probes (target: p99 < 16 ms, %6)\n")
               .arg(QLatin1String(label))
               .arg(percentile(lateness, 0.5), 0, 'f', 2)
               .arg(percentile(lateness, 0.99), 0, 'f', 2)
               .arg(lateness.empty() ? 0.0 : *std::max_element(lateness.begin(), lateness.end()), 0,
                    'f', 2)
               .arg(lateness.size())
               .arg(verdict(percentile(lateness, 0.99) < 16));
    out.flush();
    qlaude::bench::report(QByteArray(label) + ": event-loop latency p99",
                          percentile(lateness, 0.99), "ms", qlaude::bench::Target::below(16));
}

// The chat window's parts, found by object name as the GUI tests find them.
MessageModel *messageModelOf(const ChatWindow &window)
{
    const auto *view = window.findChild<MessageView *>(QStringLiteral("messageListView"));
    return view ? view->messageModel() : nullptr;
}

Composer *composerOf(const ChatWindow &window)
{
    return window.findChild<Composer *>(QStringLiteral("composerPlainTextEdit"));
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);

    // 1. Layout work per delta.
    const StreamResult small = streamFrames(100);
    const StreamResult large = streamFrames(10000);
    for (const auto &[rows, r] : {std::pair<int, StreamResult>{100, small}, {10000, large}}) {
        out << QStringLiteral("stream, %1 history rows: layout %2 us/delta at the start, %3 at "
                              "the end (median of 20 frames of 100 deltas; mean %4 / %5); "
                              "repaint %6 / %7 ms per frame; %8 documents laid out per frame; "
                              "%9 list re-layouts in 200 frames; other rows laid out: %10\n")
                   .arg(rows)
                   .arg(r.startMedianUs, 0, 'f', 2)
                   .arg(r.endMedianUs, 0, 'f', 2)
                   .arg(r.startMeanUs, 0, 'f', 2)
                   .arg(r.endMeanUs, 0, 'f', 2)
                   .arg(r.paintStartMs, 0, 'f', 2)
                   .arg(r.paintEndMs, 0, 'f', 2)
                   .arg(r.documentsPerFrame, 0, 'f', 2)
                   .arg(r.listLayouts)
                   .arg(r.otherRowsLaidOut);
    }
    const double lengthRatio = large.endMedianUs / large.startMedianUs;
    const double historyRatio = large.endMedianUs / small.endMedianUs;
    out << QStringLiteral("ratios: end/start of a 20,000-delta answer %1x; 10,000/100 history "
                          "rows %2x; other rows laid out %3 (target: both under 2x, no other "
                          "row, %4)\n")
               .arg(lengthRatio, 0, 'f', 2)
               .arg(historyRatio, 0, 'f', 2)
               .arg(large.otherRowsLaidOut)
               .arg(verdict(lengthRatio < 2 && historyRatio < 2 && large.otherRowsLaidOut == 0));
    out.flush();
    namespace b = qlaude::bench;
    b::report("rendering per delta (layout CPU), 10k history", large.endMedianUs, "us",
              b::Target::none());
    b::report("rendering per delta, end / start of answer", lengthRatio, "x", b::Target::below(2));
    b::report("rendering per delta, 10k / 100 history rows", historyRatio, "x",
              b::Target::below(2));
    b::report("rendering, other rows laid out per frame", double(large.otherRowsLaidOut), "rows",
              b::Target::below(1));

    // 2. Opening a 10,000-message conversation.
    test::TestHome home(QStringLiteral("bench-message-view"));
    ConversationStore store(home.path(QStringLiteral("history.sqlite")));
    if (!store.open()) {
        out << "bench_message_view: " << store.errorString() << "\n";
        return 1;
    }
    QElapsedTimer fill;
    fill.start();
    StoredConversation big;
    big.title = QStringLiteral("Ten thousand messages");
    big.model = QStringLiteral("claude-sonnet-4-5");
    const qint64 bigId = store.createConversation(big);
    for (int i = 0; i < 10000; ++i)
        store.addMessage(bigId, historyMessage(i));
    StoredConversation other;
    other.title = QStringLiteral("Small");
    const qint64 smallId = store.createConversation(other);
    store.addMessage(smallId, historyMessage(0));
    out << QStringLiteral("(stored 10,000 messages in %1 s)\n")
               .arg(fill.elapsed() / 1000.0, 0, 'f', 1);

    AppServices services;
    services.store = &store;
    {
        ChatWindow window(services);
        window.resize(1200, 800);
        window.show();
        if (!QTest::qWaitForWindowExposed(&window))
            return 1;
        std::vector<double> opens;
        for (int i = 0; i < 7; ++i) {
            window.openConversation(smallId);
            window.repaint();
            QCoreApplication::processEvents();
            QElapsedTimer t;
            t.start();
            window.openConversation(bigId);
            window.repaint(); // until it has painted
            opens.push_back(double(t.nsecsElapsed()) / 1e6);
            QCoreApplication::processEvents();
        }
        std::sort(opens.begin(), opens.end());
        const double m = median(opens);
        out << QStringLiteral("open a 10,000-message conversation: median %1 ms (min %2, max "
                              "%3) over %4 opens (target: 150 ms, %5)\n")
                   .arg(m, 0, 'f', 1)
                   .arg(opens.front(), 0, 'f', 1)
                   .arg(opens.back(), 0, 'f', 1)
                   .arg(opens.size())
                   .arg(verdict(m < 150));
        out.flush();
        qlaude::bench::report("open a 10k-message conversation", opens, "ms",
                              qlaude::bench::Target::below(150));

        // 3a. Latency while 200 deltas/s stream into the view, 10,000 messages above.
        MessageModel *model = messageModelOf(window);
        if (!model) {
            out << "bench_message_view: the chat window has no message view\n";
            return 1;
        }
        const qint64 id = 1000000;
        model->beginAssistant(id, QStringLiteral("claude-sonnet-4-5"));
        model->startBlock(id, 0, textBlock(QString()));
        int n = 0;
        const std::vector<double> lateness = probeLatency(
            5000, [&] { model->appendText(id, 0, delta(n++)); }, 5);
        model->finish(id, MessageStatus::Complete, QString());
        printLatency("200 deltas/s into the view (10,000 history rows)", lateness);
    }

    // 3b. The whole app path: a separate fake-anthropic process writes one word every 5 ms.
    QProcess fake;
    fake.setProgram(QStringLiteral(QLAUDE_FAKE_ANTHROPIC));
    fake.setArguments({QStringLiteral("--reply-words"), QStringLiteral("1200"),
                       QStringLiteral("--delay-ms"), QStringLiteral("5")});
    fake.start();
    QUrl base;
    if (fake.waitForStarted(5000)) {
        for (int i = 0; i < 50 && base.isEmpty(); ++i) {
            fake.waitForReadyRead(100);
            const QByteArray line = fake.readLine().trimmed();
            if (line.startsWith("listening on "))
                base = QUrl(QString::fromUtf8(line.mid(13)));
        }
    }
    if (base.isEmpty()) {
        out << "bench_message_view: fake-anthropic did not start\n";
        return 1;
    }
    QProcessEnvironment env = home.environment();
    env.insert(QStringLiteral("ANTHROPIC_BASE_URL"), base.toString());
    env.insert(QStringLiteral("ANTHROPIC_API_KEY"), test::testSecret(QStringLiteral("bench")));
    AuthContext::Options options;
    options.workspace = home.workspace();
    options.processEnvironment = env;
    options.managedDir = home.managedDir();
    options.trustStorePath = home.trustStore();
    AuthContext context = AuthContext::load(options);
    services.context = &context;
    services.resolution = AuthResolver::resolve(context, KeychainSnapshot());
    StaticAuthorizer authorizer(services.resolution.credential);
    QNetworkAccessManager nam;
    AnthropicClient client(ClientConfig::fromContext(context), &authorizer, &nam);
    services.client = &client;
    services.network = &nam;
    {
        ChatWindow window(services);
        window.resize(1200, 800);
        window.show();
        if (!QTest::qWaitForWindowExposed(&window))
            return 1;
        MessageModel *model = messageModelOf(window);
        Composer *composer = composerOf(window);
        if (!model || !composer) {
            out << "bench_message_view: the chat window has no message view or composer\n";
            fake.kill();
            fake.waitForFinished(2000);
            return 1;
        }
        QSignalSpy flushed(model, &MessageModel::streamFlushed);
        QTest::keyClicks(composer, QStringLiteral("Stream please"));
        QTest::keyClick(composer, Qt::Key_Return);
        // Without a stream the probe would measure an idle event loop: that is no result.
        if (flushed.isEmpty() && !flushed.wait(5000)) {
            out << "bench_message_view: nothing streamed through the app within 5 s\n";
            fake.kill();
            fake.waitForFinished(2000);
            return 1;
        }
        const qsizetype flushesBefore = flushed.size();
        // About 6 s of words at 200/s: probe for 5 s of it.
        const std::vector<double> lateness = probeLatency(5000, {}, 0);
        const qsizetype flushesDuring = flushed.size() - flushesBefore;
        // At 200 words/s and a frame every 16 ms, 5 s of streaming flushes about 300 times.
        if (flushesDuring < 100) {
            out << QStringLiteral("bench_message_view: the stream through the app stopped: %1 "
                                  "flushes while probing for 5 s\n")
                       .arg(flushesDuring);
            fake.kill();
            fake.waitForFinished(2000);
            return 1;
        }
        printLatency("200 deltas/s through the app (fake API in another process)", lateness);
        out << QStringLiteral("(%1 stream flushes while probing)\n").arg(flushesDuring);
        window.stop();
    }
    fake.kill();
    fake.waitForFinished(2000);
    return 0;
}
