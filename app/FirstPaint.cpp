// The app's start-up measurement (--exit-after-first-paint).
#include "FirstPaint.h"

#include "ChatWindow.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>

#include <cstdio>

#ifdef Q_OS_LINUX
#include <time.h>
#include <unistd.h>
#endif

namespace qlaude {

namespace {
// Where no /proc exists: as close to the start of the process as a static initializer gets.
const QElapsedTimer &processClock()
{
    static const QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock;
}
const bool processClockStarted = processClock().isValid();
} // namespace

qint64 millisecondsSinceProcessStart()
{
#ifdef Q_OS_LINUX
    // Field 22 of /proc/self/stat is the start time in clock ticks since boot; the kernel counts
    // it on the boot-time clock. The command name (field 2) may hold spaces and parentheses, so
    // the fields are counted from the last ')'.
    QFile stat(QStringLiteral("/proc/self/stat"));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');
        const QList<QByteArray> fields = line.mid(close + 2).split(' ');
        constexpr int kStartTimeField = 22 - 3; // fields[0] is field 3 (state)
        bool ok = false;
        const qulonglong ticks =
            fields.size() > kStartTimeField ? fields.at(kStartTimeField).toULongLong(&ok) : 0;
        const long hz = sysconf(_SC_CLK_TCK);
        timespec now{};
        if (ok && hz > 0 && clock_gettime(CLOCK_BOOTTIME, &now) == 0) {
            const qint64 nowMs = qint64(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
            const qint64 startMs = qint64(ticks * 1000 / qulonglong(hz));
            return qMax<qint64>(0, nowMs - startMs);
        }
    }
#endif
    Q_UNUSED(processClockStarted)
    return processClock().elapsed();
}

void exitAfterFirstPaint(ChatWindow *window)
{
    window->setLoadModelsAfterFirstPaint(false);
    QObject::connect(window, &ChatWindow::firstPainted, window, [] {
        std::printf("first-paint-ms: %lld\n",
                    static_cast<long long>(millisecondsSinceProcessStart()));
        std::fflush(stdout);
        QCoreApplication::exit(0);
    });
}

} // namespace qlaude
