#pragma once

#include <QObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTimer>

namespace qlaude {

// Runs a settings command (apiKeyHelper, awsCredentialExport, ...) through /bin/sh -c, without
// blocking: QProcess runs it, a timer bounds it, cancel() stops it. The result never carries
// the command's output in an error text: stdout may hold a secret.
class HelperProcess : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(HelperProcess)
public:
    struct Result
    {
        bool ok = false;
        QString output;    // trimmed stdout; only meaningful when ok
        int exitCode = -1; // -1 when it did not exit by itself
        bool timedOut = false;
        bool cancelled = false;
        QString error; // "<name> exited with code 1: <first stderr line>", ...
    };

    HelperProcess(const QString &name, const QString &command, QObject *parent = nullptr);
    ~HelperProcess() override;

    void setEnvironment(const QProcessEnvironment &env) { m_env = env; }
    void setWorkingDirectory(const QString &dir) { m_workDir = dir; }
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }

    void start();
    void cancel();
    bool isRunning() const { return m_process != nullptr; }

signals:
    void finished(const qlaude::HelperProcess::Result &result);

private:
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onError(QProcess::ProcessError error);
    void stop(bool timedOut, bool cancelled);
    void deliver(Result r);
    QString firstStderrLine() const;

    QString m_name;
    QString m_command;
    QProcessEnvironment m_env = QProcessEnvironment::systemEnvironment();
    QString m_workDir;
    int m_timeoutMs = 600000;
    QProcess *m_process = nullptr;
    QTimer m_timer;
    bool m_timedOut = false;
    bool m_cancelled = false;
};

} // namespace qlaude
