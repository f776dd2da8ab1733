#include "HelperProcess.h"
#include "ProcessGroups.h"
#include "TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QtTest>

#include <signal.h>
#include <unistd.h>

using namespace qlaude;
using namespace qlaude::test;

namespace {
QString shellQuoted(const QString &s)
{
    return QLatin1Char('\'') + QString(s).replace(QLatin1Char('\''), QStringLiteral("'\\''")) +
           QLatin1Char('\'');
}
} // namespace

// HelperProcess running real /bin/sh commands: live line streaming for commands that talk to the
// user (awsAuthRefresh's device code), and the capture rules streaming must not change.
class tst_HelperProcess : public QObject
{
    Q_OBJECT

    struct Line
    {
        QString text;
        bool isStderr = false;
        qint64 atMs = 0;
        bool beforeFinished = false;
    };
    struct Run
    {
        QList<Line> lines;
        HelperProcess::Result result;
        qint64 finishedAtMs = -1;
    };

    static Run run(const QString &command, bool stream,
                   qint64 maxOutput = HelperProcess::kDefaultMaxOutputBytes)
    {
        Run out;
        HelperProcess p(QStringLiteral("awsAuthRefresh"), command);
        if (stream) // otherwise the default, which is off
            p.setStreamOutput(true);
        p.setMaxOutputBytes(maxOutput);
        p.setTimeoutMs(20000);
        QElapsedTimer clock;
        bool finished = false;
        QObject::connect(&p, &HelperProcess::outputLine, [&](const QString &line, bool isStderr) {
            out.lines.append({line, isStderr, clock.elapsed(), !finished});
        });
        QObject::connect(&p, &HelperProcess::finished, [&](const HelperProcess::Result &r) {
            out.result = r;
            out.finishedAtMs = clock.elapsed();
            finished = true;
        });
        clock.start();
        p.start();
        if (!QTest::qWaitFor([&] { return finished; }, 30000))
            qWarning("the command did not finish");
        return out;
    }
    static QStringList texts(const Run &r)
    {
        QStringList out;
        for (const Line &l : r.lines)
            out << l.text;
        return out;
    }

private slots:
    void linesArriveWhileTheCommandRuns()
    {
        const Run r = run(QStringLiteral("echo 'To sign in, open https://example.com/device'; "
                                         "sleep 0.4; echo 'and enter the code ABCD-EFGH' >&2; "
                                         "sleep 0.4; echo 'waiting'; sleep 0.4; printf 'done'"),
                          true);
        QVERIFY2(r.result.ok, qPrintable(r.result.error));
        QCOMPARE(texts(r),
                 QStringList({QStringLiteral("To sign in, open https://example.com/device"),
                              QStringLiteral("and enter the code ABCD-EFGH"),
                              QStringLiteral("waiting"), QStringLiteral("done")}));
        QCOMPARE(r.lines.at(0).isStderr, false);
        QCOMPARE(r.lines.at(1).isStderr, true);
        QCOMPARE(r.lines.at(2).isStderr, false);
        QCOMPARE(r.lines.at(3).isStderr, false);
        for (const Line &l : r.lines)
            QVERIFY(l.beforeFinished);
        // Live: the first line came long before the command ended, the others in between.
        QVERIFY2(r.lines.at(0).atMs + 800 < r.finishedAtMs,
                 qPrintable(QStringLiteral("first line at %1 ms, finished at %2 ms")
                                .arg(r.lines.at(0).atMs)
                                .arg(r.finishedAtMs)));
        QVERIFY(r.lines.at(1).atMs + 400 < r.finishedAtMs);
        QVERIFY(r.lines.at(0).atMs < r.lines.at(1).atMs);
        // The captured output is unchanged by streaming.
        QCOMPARE(r.result.output, QStringLiteral("To sign in, open https://example.com/device\n"
                                                 "waiting\ndone"));
    }

    void linesAreCleanedAndCapped()
    {
        const Run r = run(QStringLiteral("printf '\\033[1;31mred\\033[0m code\\tX\\a!  \\r\\n'; "
                                         "printf 'a\\rb\\n\\n\\n'; "
                                         "printf '%0700d\\n' 0 | tr 0 y; "
                                         "printf '%05000d\\n' 0 | tr 0 z; "
                                         "echo after"),
                          true);
        QVERIFY2(r.result.ok, qPrintable(r.result.error));
        const QStringList got = texts(r);
        QCOMPARE(got.size(), 6);
        QCOMPARE(got.at(0), QStringLiteral("red code X?!"));
        QCOMPARE(got.at(1), QStringLiteral("a"));
        QCOMPARE(got.at(2), QStringLiteral("b"));
        QCOMPARE(got.at(3), QString(HelperProcess::kMaxStreamLineChars, QLatin1Char('y')) +
                                QStringLiteral("..."));
        QCOMPARE(got.at(4), QString(HelperProcess::kMaxStreamLineChars, QLatin1Char('z')) +
                                QStringLiteral("..."));
        QCOMPARE(got.at(5), QStringLiteral("after"));
    }

    void streamingIsOffByDefault()
    {
        const Run r = run(QStringLiteral("echo one; echo two >&2"), false);
        QVERIFY2(r.result.ok, qPrintable(r.result.error));
        QVERIFY(r.lines.isEmpty());
        QCOMPARE(r.result.output, QStringLiteral("one"));
    }

    void errorsStillNeverQuoteStdout()
    {
        const QString secret = testSecret("helper-stdout");
        const QString half1 = secret.left(secret.size() / 2);
        const QString half2 = secret.mid(secret.size() / 2);
        const Run r = run(QStringLiteral("printf '%s%s\\n' '%1' '%2'; echo 'it broke' >&2; exit 3")
                              .arg(half1, half2),
                          true);
        QVERIFY(!r.result.ok);
        QCOMPARE(r.result.exitCode, 3);
        // Checked before the comparison, which would print the error.
        QVERIFY(!r.result.error.contains(half1));
        QVERIFY(!r.result.error.contains(half2));
        QCOMPARE(r.result.error, QStringLiteral("awsAuthRefresh exited with code 3: it broke."));
        QCOMPARE(r.lines.size(), 2);
    }

    void theStdoutCapStillApplies()
    {
        // 300 lines of 100 bytes against a 4 KiB cap: the command is stopped, and no line past
        // the cap is streamed.
        const Run r =
            run(QStringLiteral("i=0; while [ $i -lt 300 ]; do printf '%099d\\n' $i; i=$((i+1)); "
                               "done; sleep 5"),
                true, 4096);
        QVERIFY(!r.result.ok);
        QVERIFY2(r.result.error.contains(QStringLiteral("more than 4 KiB")),
                 qPrintable(r.result.error));
        QVERIFY(r.result.output.isEmpty());
        QVERIFY(r.finishedAtMs < 4000);
        QVERIFY(r.lines.size() <= 41);
        for (const Line &l : r.lines)
            QVERIFY(!l.isStderr);
    }

    // Stopped at the cap, the command's whole process group goes, not only the shell.
    void theStdoutCapEndsTheWholeProcessGroup()
    {
        TestHome h(QStringLiteral("helper-cap-group"));
        const QString groupFile = h.root() + QStringLiteral("/group");
        HelperProcess p(QStringLiteral("apiKeyHelper"),
                        QStringLiteral("sleep 600 & sleep 600 & "
                                       "set -- $(cut -d')' -f2 /proc/$$/stat); "
                                       "echo $3 > %1; head -c 100000 /dev/zero; wait")
                            .arg(shellQuoted(groupFile)));
        p.setMaxOutputBytes(4096);
        bool finished = false;
        HelperProcess::Result result;
        connect(&p, &HelperProcess::finished, this, [&](const HelperProcess::Result &r) {
            result = r;
            finished = true;
        });
        p.start();
        QTRY_VERIFY_WITH_TIMEOUT(finished, 10000);
        QVERIFY2(result.error.contains(QStringLiteral("more than 4 KiB")),
                 qPrintable(result.error));
        const GroupReaper reaper{groupFromFile(groupFile)};
        QVERIFY2(reaper.group > 1, "the command did not report its process group");
        QVERIFY(reaper.group != int(::getpgrp()));
        QTRY_COMPARE_WITH_TIMEOUT(liveProcessesInGroup(reaper.group), QList<int>(), 3000);
    }

    // A helper still running when its owner goes (a window closed, the app quitting) does not
    // outlive it, nor do the processes it started.
    void destroyingARunningHelperEndsItsWholeProcessGroup()
    {
        TestHome h(QStringLiteral("helper-destroy-group"));
        const QString groupFile = h.root() + QStringLiteral("/group");
        GroupReaper reaper;
        {
            HelperProcess p(
                QStringLiteral("apiKeyHelper"),
                helperCommand(QStringLiteral("sleep_in_group.sh"), QString(), {groupFile}));
            p.start();
            reaper.group = groupFromFile(groupFile);
            QVERIFY2(reaper.group > 1, "the helper did not report its process group");
            QVERIFY(reaper.group != int(::getpgrp()));
            QVERIFY(liveProcessesInGroup(reaper.group).size() >= 3);
            QVERIFY(p.isRunning());
        }
        QTRY_COMPARE_WITH_TIMEOUT(liveProcessesInGroup(reaper.group), QList<int>(), 3000);
    }
};

QTEST_GUILESS_MAIN(tst_HelperProcess)
#include "tst_HelperProcess.moc"
