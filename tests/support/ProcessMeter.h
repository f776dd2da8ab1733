#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <vector>

namespace qlaude::test {

// Runs a whole process and measures it the way a person experiences it: wall time from fork to
// exit, and the peak resident set size the kernel reports for the child (wait4 rusage).
struct ProcessSample
{
    double wallMs = 0;
    long maxRssKb = 0;
    int exitCode = -1;
    QByteArray out;
};

ProcessSample measureProcess(const QString &program, const QStringList &args,
                             const QProcessEnvironment &env, const QByteArray &stdinData = {});

double median(std::vector<double> values);

// Runs the process once to warm the page cache, then `runs` times. Each run's stdout must
// contain `expect`; otherwise *error says which run failed and the result is empty.
struct RepeatedSample
{
    std::vector<double> wallMs; // sorted
    std::vector<double> rssMb;  // each run's peak RSS, in run order
    long peakRssKb = 0;
    QString summary(const QString &name, const QString &targets) const; // one line for reports
};
RepeatedSample measureRepeatedly(const QString &program, const QStringList &args,
                                 const QProcessEnvironment &env, int runs, const QByteArray &expect,
                                 QString *error);

} // namespace qlaude::test
