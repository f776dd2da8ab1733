// Wall time and peak RSS of `qlaude --doctor --json` with an API key in the keychain.
// Target (issue 2): median under 100 ms, peak RSS under 40 MB.
#include "BenchReport.h"
#include "ProcessMeter.h"
#include "TestSupport.h"

#include <QCoreApplication>
#include <QTextStream>

#include <algorithm>

using namespace qlaude::test;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    TestHome h(QStringLiteral("bench-doctor"));
    const QProcessEnvironment env = h.environment();
    const ProcessSample login = measureProcess(QStringLiteral(QLAUDE_BIN), {"--login=api-key"}, env,
                                               testSecret("bench").toUtf8());
    if (login.exitCode != 0) {
        out << "bench_doctor: could not store a key in the keychain (is a Secret Service "
               "running?)\n";
        return 1;
    }
    const QStringList args{"--doctor", "--json", "--workspace", h.workspace()};
    QString error;
    const RepeatedSample r =
        measureRepeatedly(QStringLiteral(QLAUDE_BIN), args, env, 21, "keychain:api-key", &error);
    measureProcess(QStringLiteral(QLAUDE_BIN), {"--logout"}, env);
    if (!error.isEmpty()) {
        out << "bench_doctor: " << error << "\n";
        return 1;
    }
    out << r.summary(QStringLiteral("doctor"), QStringLiteral("100 ms, 40 MB")) << "\n";
    out.flush();
    qlaude::bench::report("doctor", r.wallMs, "ms", qlaude::bench::Target::below(100));
    qlaude::bench::report("doctor peak RSS", r.rssMb, "MB", qlaude::bench::Target::below(40));
    return 0;
}
