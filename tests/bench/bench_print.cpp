// Whole-process `qlaude --print` against the fake Messages API (a separate process):
// median wall time and peak RSS. Target (issue 3): median under 100 ms, peak RSS under 40 MB.
#include "BenchReport.h"
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
    QString error;
    const RepeatedSample r =
        measureRepeatedly(QStringLiteral(QLAUDE_BIN), args, env, 21, "Paris", &error);
    fake.kill();
    fake.waitForFinished();
    if (!error.isEmpty()) {
        out << "bench_print: " << error << "\n";
        return 1;
    }
    out << r.summary(QStringLiteral("print"), QStringLiteral("100 ms, 40 MB")) << "\n";
    out.flush();
    qlaude::bench::report("print 5-word answer", r.wallMs, "ms", qlaude::bench::Target::below(100));
    qlaude::bench::report("print 5-word answer peak RSS", r.rssMb, "MB",
                          qlaude::bench::Target::below(40));
    return 0;
}
