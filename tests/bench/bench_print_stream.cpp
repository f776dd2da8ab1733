// A very long answer through the whole `qlaude --print` process (issue 13): 200,000 text deltas
// (about 24 MB of SSE) served at once by the fake Messages API (a separate process, from a
// recorded stream, so the server costs nothing), in each output format. Reports the median,
// min and max wall time and peak RSS over 9 runs, and the peak RSS of a 5-word answer.
// Targets: text and json under 80 ms, stream-json under 250 ms; peak RSS under 40 MB and within
// 10 % of the 5-word answer's. A missed target is printed; the exit code is 1 only when a run
// failed.
#include "BenchReport.h"
#include "ProcessMeter.h"
#include "TestSupport.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>
#include <vector>

using namespace qlaude::test;

namespace {

constexpr int kDeltas = 200000;
constexpr int kRuns = 9;

QByteArray recordedStream()
{
    QByteArray body;
    body.reserve(25 * 1024 * 1024);
    body +=
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_bench\","
        "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":"
        "[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,"
        "\"output_tokens\":1}}}\n\n";
    body += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
            "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    body += "event: ping\ndata: {\"type\": \"ping\"}\n\n";
    for (int i = 0; i < kDeltas; ++i) {
        body += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                "\"delta\":{\"type\":\"text_delta\",\"text\":\"w";
        body += QByteArray::number(i % 100000).rightJustified(5, '0');
        body += " \"}}\n\n";
    }
    body += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
    body += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
            "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":200000}}\n\n";
    body += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    return body;
}

struct Fake
{
    QProcess process;
    QString url;
    bool start(const QStringList &args)
    {
        process.start(QStringLiteral(QLAUDE_FAKE_ANTHROPIC), QStringList{"--port", "0"} + args);
        if (!process.waitForReadyRead(10000))
            return false;
        url = QRegularExpression(QStringLiteral("http://127\\.0\\.0\\.1:\\d+"))
                  .match(QString::fromUtf8(process.readLine()))
                  .captured(0);
        return !url.isEmpty();
    }
    ~Fake()
    {
        process.kill();
        process.waitForFinished();
    }
};

struct Figures
{
    std::vector<double> wallMs;
    std::vector<double> rssMb;
};

QString line(const QString &name, std::vector<double> v, const QString &unit, double target,
             bool *met)
{
    std::sort(v.begin(), v.end());
    const double med = median(v);
    *met = med < target;
    return QStringLiteral("%1: median %2 %3 (min %4, max %5); target under %6 %3: %7")
        .arg(name.leftJustified(34))
        .arg(med, 0, 'f', 1)
        .arg(unit)
        .arg(v.front(), 0, 'f', 1)
        .arg(v.back(), 0, 'f', 1)
        .arg(target, 0, 'f', 0)
        .arg(*met ? QStringLiteral("met") : QStringLiteral("MISSED"));
}

bool run(const QStringList &args, const QProcessEnvironment &env, qsizetype minOutput,
         Figures *figures, QString *error)
{
    measureProcess(QStringLiteral(QLAUDE_BIN), args, env); // warm the page cache
    for (int i = 0; i < kRuns; ++i) {
        const ProcessSample s = measureProcess(QStringLiteral(QLAUDE_BIN), args, env);
        if (s.exitCode != 0 || s.out.size() < minOutput) {
            *error = QStringLiteral("run %1 of %2 failed (exit %3, %4 bytes out)")
                         .arg(i + 1)
                         .arg(args.join(' '))
                         .arg(s.exitCode)
                         .arg(s.out.size());
            return false;
        }
        figures->wallMs.push_back(s.wallMs);
        figures->rssMb.push_back(s.maxRssKb / 1024.0);
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("answer.sse")));
    if (!dir.isValid() || !file.open(QIODevice::WriteOnly) || file.write(recordedStream()) < 0) {
        out << "bench_print_stream: cannot write the recorded stream\n";
        return 1;
    }
    file.close();
    Fake big;
    Fake small;
    if (!big.start({"--sse-file", file.fileName()}) ||
        !small.start({"--reply", "One two three four five."})) {
        out << "bench_print_stream: the fake server did not start\n";
        return 1;
    }
    TestHome h(QStringLiteral("bench-print-stream"));
    QProcessEnvironment env = h.environment();
    env.insert("ANTHROPIC_API_KEY", testSecret("bench"));
    env.remove("DBUS_SESSION_BUS_ADDRESS"); // the environment key wins; no keychain round trip
    const QStringList base{"--print", "Tell me everything.", "--workspace", h.workspace()};

    QString error;
    Figures smallFigures;
    env.insert("ANTHROPIC_BASE_URL", small.url);
    if (!run(base, env, 10, &smallFigures, &error)) {
        out << "bench_print_stream: " << error << "\n";
        return 1;
    }
    std::vector<double> smallRss = smallFigures.rssMb;
    std::sort(smallRss.begin(), smallRss.end());
    const double smallPeak = median(smallRss);
    bool met = false;
    out << line(QStringLiteral("print 5-word answer"), smallFigures.wallMs, QStringLiteral("ms"),
                100, &met)
        << "\n";
    out << line(QStringLiteral("print 5-word answer RSS"), smallFigures.rssMb, QStringLiteral("MB"),
                40, &met)
        << "\n";

    env.insert("ANTHROPIC_BASE_URL", big.url);
    const struct
    {
        const char *format;
        double targetMs;
    } formats[] = {{"text", 80}, {"json", 80}, {"stream-json", 250}};
    for (const auto &f : formats) {
        Figures figures;
        if (!run(base + QStringList{"--output-format", QString::fromLatin1(f.format)}, env, 1400000,
                 &figures, &error)) {
            out << "bench_print_stream: " << error << "\n";
            return 1;
        }
        const QString name = QStringLiteral("print 200k deltas %1").arg(QLatin1String(f.format));
        out << line(name, figures.wallMs, QStringLiteral("ms"), f.targetMs, &met) << "\n";
        out << line(name + QStringLiteral(" RSS"), figures.rssMb, QStringLiteral("MB"), 40, &met)
            << "\n";
        std::vector<double> rss = figures.rssMb;
        std::sort(rss.begin(), rss.end());
        const double ratio = median(rss) / smallPeak;
        out << QStringLiteral("%1: %2x the 5-word answer's peak RSS; target under 1.10x: %3")
                   .arg(QString(name + QStringLiteral(" RSS ratio")).leftJustified(34))
                   .arg(ratio, 0, 'f', 2)
                   .arg(ratio < 1.10 ? QStringLiteral("met") : QStringLiteral("MISSED"))
            << "\n";
        out.flush();
        namespace b = qlaude::bench;
        const QByteArray figure =
            QStringLiteral("print 200k-delta stream, %1").arg(QLatin1String(f.format)).toUtf8();
        b::report(figure, figures.wallMs, "ms", b::Target::below(f.targetMs));
        b::report(figure + " peak RSS", figures.rssMb, "MB", b::Target::below(40));
        b::report(figure + " RSS / 5-word answer's", ratio, "x", b::Target::below(1.10));
    }
    return 0;
}
