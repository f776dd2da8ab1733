#pragma once

#include <QObject>

class QSocketNotifier;

// SIGINT, SIGTERM and SIGHUP delivered to the event loop as a signal (a self-pipe read by a
// QSocketNotifier), so the app can stop a stream the way the Stop button does and exit with
// 128 + the signal number. A second SIGINT while the first is being handled ends the process
// at once with 130, as a second Ctrl-C does in a shell tool.
namespace qlaude {

class SignalWatcher : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(SignalWatcher)
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override; // puts the default dispositions back

    // 128 + the signal number: what a shell reports for a process the signal ended.
    static int exitCodeFor(int signalNumber) { return 128 + signalNumber; }

signals:
    void received(int signalNumber);

private:
    void onReadable();

    QSocketNotifier *m_notifier = nullptr;
};

} // namespace qlaude
