// Wall time and peak RSS of `qlaude --doctor --json` with an API key in the keychain.
// Target (issue 2): median under 100 ms, peak RSS under 40 MB.
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
    measureProcess(QStringLiteral(QLAUDE_BIN), args, env); // warm the page cache
    const int runs = 21;
    std::vector<double> wall;
    long peak = 0;
    for (int i = 0; i < runs; ++i) {
        const ProcessSample s = measureProcess(QStringLiteral(QLAUDE_BIN), args, env);
        if (s.exitCode != 0 || !s.out.contains("keychain:api-key")) {
            out << "bench_doctor: doctor did not find the stored key (exit " << s.exitCode << ")\n";
            return 1;
        }
        wall.push_back(s.wallMs);
        peak = std::max(peak, s.maxRssKb);
    }
    measureProcess(QStringLiteral(QLAUDE_BIN), {"--logout"}, env);
    std::sort(wall.begin(), wall.end());
    out << QStringLiteral("doctor: median %1 ms (min %2, max %3) over %4 runs; peak RSS %5 MB "
                          "(targets: 100 ms, 40 MB)\n")
               .arg(median(wall), 0, 'f', 1)
               .arg(wall.front(), 0, 'f', 1)
               .arg(wall.back(), 0, 'f', 1)
               .arg(runs)
               .arg(peak / 1024.0, 0, 'f', 1);
    return 0;
}
