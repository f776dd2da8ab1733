// --exit-after-first-paint, in process: the app (app/FirstPaint) prints "first-paint-ms: N" once
// the chat window's message view has painted, N counted from the start of this process, and quits
// the event loop with 0.
// A binary of its own, because QCoreApplication::exit() ends every event loop that follows.
#include "AppServices.h"
#include "ChatWindow.h"
#include "FirstPaint.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryFile>
#include <QtTest>

#include <cstdio>
#include <unistd.h>

using namespace qlaude;

namespace {
// Started while static objects are built, a few milliseconds after the process started.
const QElapsedTimer &sinceStaticInit()
{
    static const QElapsedTimer timer = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return timer;
}
const bool started = sinceStaticInit().isValid();
} // namespace

class tst_ChatWindowFirstPaint : public QObject
{
    Q_OBJECT

private slots:
    void countsFromTheStartOfTheProcess()
    {
        QVERIFY(started);
        const qint64 sinceStart = millisecondsSinceProcessStart();
        const qint64 sinceInit = sinceStaticInit().elapsed();
        // The process started before static initialization, and not long before it; the
        // kernel's start time has a resolution of one clock tick (10 ms).
        QVERIFY2(sinceStart >= sinceInit - 20,
                 qPrintable(QStringLiteral("%1 ms since start, %2 since static init")
                                .arg(sinceStart)
                                .arg(sinceInit)));
        QVERIFY2(sinceStart <= sinceInit + 2000,
                 qPrintable(QStringLiteral("%1 ms since start, %2 since static init")
                                .arg(sinceStart)
                                .arg(sinceInit)));
    }

    void printsFirstPaintAndExits()
    {
        AppServices services; // no credential, no history: the window still opens
        ChatWindow window(services);
        exitAfterFirstPaint(&window);
        // The app ends at the first paint: the window leaves the model list alone (without a
        // credential it would say "Log in to see the available models").
        auto *models = window.findChild<QComboBox *>(QStringLiteral("modelComboBox"));
        QVERIFY(models);
        const int modelItems = models->count();
        const QString modelTip = models->toolTip();

        // Capture stdout, where the line goes.
        QTemporaryFile capture;
        QVERIFY(capture.open());
        std::fflush(stdout);
        const int saved = dup(STDOUT_FILENO);
        QVERIFY(dup2(capture.handle(), STDOUT_FILENO) >= 0);

        const qint64 before = millisecondsSinceProcessStart();
        QEventLoop loop;
        QTimer::singleShot(20000, &loop, [&loop] { loop.exit(2); });
        window.show();
        const int code = loop.exec();
        const qint64 after = millisecondsSinceProcessStart();

        std::fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        QCOMPARE(code, 0); // QCoreApplication::exit(0), not the timeout
        capture.seek(0);
        const QString printed = QString::fromUtf8(capture.readAll());
        // Qt Test writes its own warnings to stdout too: find the line among them, once.
        const QRegularExpression re(QStringLiteral("^first-paint-ms: (\\d+)$"),
                                    QRegularExpression::MultilineOption);
        const QRegularExpressionMatch m = re.match(printed);
        QVERIFY2(m.hasMatch(), qPrintable(printed));
        QCOMPARE(printed.count(QStringLiteral("first-paint-ms:")), 1);
        const qint64 ms = m.captured(1).toLongLong();
        QVERIFY2(ms >= before && ms <= after,
                 qPrintable(QStringLiteral("%1 not in [%2, %3]").arg(ms).arg(before).arg(after)));

        QCOMPARE(models->count(), modelItems);
        QCOMPARE(models->toolTip(), modelTip);

        // Opening the chat window never loads QtWebEngine.
        QFile maps(QStringLiteral("/proc/self/maps"));
        QVERIFY(maps.open(QIODevice::ReadOnly));
        QVERIFY(!maps.readAll().contains("WebEngine"));
    }
};

QTEST_MAIN(tst_ChatWindowFirstPaint)
#include "tst_ChatWindowFirstPaint.moc"
