#include "ProcessMeter.h"

#include <QString>

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace qlaude::test {

ProcessSample measureProcess(const QString &program, const QStringList &args,
                             const QProcessEnvironment &env, const QByteArray &stdinData)
{
    ProcessSample s;
    std::vector<QByteArray> argStore{program.toLocal8Bit()};
    for (const QString &a : args)
        argStore.push_back(a.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &a : argStore)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<QByteArray> envStore;
    for (const QString &k : env.keys())
        envStore.push_back((k + QLatin1Char('=') + env.value(k)).toLocal8Bit());
    std::vector<char *> envp;
    for (QByteArray &e : envStore)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    int inPipe[2];
    int outPipe[2];
    if (::pipe(inPipe) != 0 || ::pipe(outPipe) != 0)
        return s;
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(inPipe[0], 0);
        ::dup2(outPipe[1], 1);
        ::close(inPipe[1]);
        ::close(outPipe[0]);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(inPipe[0]);
    ::close(outPipe[1]);
    if (!stdinData.isEmpty())
        (void)::write(inPipe[1], stdinData.constData(), size_t(stdinData.size()));
    ::close(inPipe[1]);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(outPipe[0], buf, sizeof buf)) > 0)
        s.out.append(buf, n);
    ::close(outPipe[0]);
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    const auto end = std::chrono::steady_clock::now();
    s.wallMs = std::chrono::duration<double, std::milli>(end - start).count();
    s.maxRssKb = usage.ru_maxrss;
    s.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return s;
}

double median(std::vector<double> values)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

RepeatedSample measureRepeatedly(const QString &program, const QStringList &args,
                                 const QProcessEnvironment &env, int runs, const QByteArray &expect,
                                 QString *error)
{
    RepeatedSample r;
    measureProcess(program, args, env); // warm the page cache
    for (int i = 0; i < runs; ++i) {
        const ProcessSample s = measureProcess(program, args, env);
        if (s.exitCode != 0 || !s.out.contains(expect)) {
            *error = QStringLiteral("run %1 exited %2 without \"%3\" in its output")
                         .arg(i + 1)
                         .arg(s.exitCode)
                         .arg(QString::fromUtf8(expect));
            return RepeatedSample();
        }
        r.wallMs.push_back(s.wallMs);
        r.rssMb.push_back(s.maxRssKb / 1024.0);
        r.peakRssKb = std::max(r.peakRssKb, s.maxRssKb);
    }
    std::sort(r.wallMs.begin(), r.wallMs.end());
    return r;
}

QString RepeatedSample::summary(const QString &name, const QString &targets) const
{
    return QStringLiteral("%1: median %2 ms (min %3, max %4) over %5 runs; peak RSS %6 MB "
                          "(targets: %7)")
        .arg(name)
        .arg(median(wallMs), 0, 'f', 1)
        .arg(wallMs.front(), 0, 'f', 1)
        .arg(wallMs.back(), 0, 'f', 1)
        .arg(wallMs.size())
        .arg(peakRssKb / 1024.0, 0, 'f', 1)
        .arg(targets);
}

} // namespace qlaude::test
