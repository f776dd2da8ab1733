// Whole-process `qlaude --print` against the fake Messages API (a separate process):
// median wall time and peak RSS. Target (issue 3): median under 100 ms, peak RSS under 40 MB.
#include "ProcessMeter.h"
#include "TestSupport.h"

#include <QCoreApplication>
#include <QProcess>
#include <QRegularExpression>
#include <QTextStream>

#include <algorithm>

using namespace qlaude::test;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    QProcess fake;
    fake.start(QStringLiteral(QLAUDE_FAKE_ANTHROPIC),
               {"--port", "0", "--reply", "The capital of France is Paris."});
    if (!fake.waitForReadyRead(10000)) {
        out << "bench_print: the fake server did not start\n";
        return 1;
    }
    const QString line = QString::fromUtf8(fake.readLine());
    const QString url =
        QRegularExpression(QStringLiteral("http://127\\.0\\.0\\.1:\\d+")).match(line).captured(0);
    TestHome h(QStringLiteral("bench-print"));
    QProcessEnvironment env = h.environment();
    env.insert("ANTHROPIC_BASE_URL", url);
    env.insert("ANTHROPIC_API_KEY", testSecret("bench"));
    env.remove("DBUS_SESSION_BUS_ADDRESS"); // the environment key wins; no keychain round trip
    const QStringList args{"--print", "What is the capital of France?", "--workspace",
                           h.workspace()};
    measureProcess(QStringLiteral(QLAUDE_BIN), args, env); // warm the page cache
    const int runs = 21;
    std::vector<double> wall;
    long peak = 0;
    for (int i = 0; i < runs; ++i) {
        const ProcessSample s = measureProcess(QStringLiteral(QLAUDE_BIN), args, env);
        if (s.exitCode != 0 || !s.out.contains("Paris")) {
            out << "bench_print: qlaude --print failed (exit " << s.exitCode << ")\n";
            return 1;
        }
        wall.push_back(s.wallMs);
        peak = std::max(peak, s.maxRssKb);
    }
    fake.kill();
    fake.waitForFinished();
    std::sort(wall.begin(), wall.end());
    out << QStringLiteral("print: median %1 ms (min %2, max %3) over %4 runs; peak RSS %5 MB "
                          "(targets: 100 ms, 40 MB)\n")
               .arg(median(wall), 0, 'f', 1)
               .arg(wall.front(), 0, 'f', 1)
               .arg(wall.back(), 0, 'f', 1)
               .arg(runs)
               .arg(peak / 1024.0, 0, 'f', 1);
    return 0;
}
