#pragma once

#include "RequestOptions.h"

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
    // Standard output beyond this ends the command with an error (default 64 KiB), so a
    // runaway command cannot fill memory. Standard error keeps only its first 8 KiB.
    void setMaxOutputBytes(qint64 bytes) { m_maxOutput = bytes; }
    static constexpr qint64 kDefaultMaxOutputBytes = 64 * 1024;
    // Emits outputLine() for each line as the command prints it, for commands that talk to the
    // user (awsAuthRefresh, gcpAuthRefresh: a device code, a URL). Off by default, and never for
    // a command whose output is a secret (apiKeyHelper, awsCredentialExport). Lines end at
    // "\n" or "\r"; ANSI escape sequences are removed, other control characters become '?',
    // trailing spaces go, empty lines are skipped, and each line is cut to kMaxStreamLineChars
    // (a longer one ends with "..."). A last line without a newline comes before finished().
    // Output is captured, capped and checked exactly as without streaming. A slot must not
    // delete this object (use deleteLater()).
    void setStreamOutput(bool stream) { m_streamOutput = stream; }
    static constexpr int kMaxStreamLineChars = 500;

    void start();
    void cancel();
    bool isRunning() const { return m_process != nullptr; }
    // Cancels every command still running in this process, with whatever it started (its
    // process group): for an app that is about to exit on SIGINT or SIGTERM.
    static void cancelAll();

signals:
    void finished(const qlaude::HelperProcess::Result &result);
    // One line of output while the command runs (setStreamOutput(true) only).
    void outputLine(const QString &line, bool isStderr);

private:
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onError(QProcess::ProcessError error);
    void readOutput();
    void stop(bool timedOut, bool cancelled);
    void deliver(Result r);
    QString firstStderrLine() const;
    void streamLines(const QByteArray &bytes, bool isStderr, bool flush);

    QString m_name;
    QString m_command;
    QProcessEnvironment m_env = QProcessEnvironment::systemEnvironment();
    QString m_workDir;
    int m_timeoutMs = RequestOptions::kDefaultTimeoutMs; // the CLI's 10 minutes
    QProcess *m_process = nullptr;
    QTimer m_timer;
    qint64 m_maxOutput = kDefaultMaxOutputBytes;
    QByteArray m_stdout;
    QByteArray m_stderr;
    bool m_timedOut = false;
    bool m_cancelled = false;
    bool m_tooMuchOutput = false;
    bool m_streamOutput = false;
    struct PendingLine
    {
        QByteArray bytes;      // a line not yet ended
        bool skipping = false; // a line too long: the rest of it is dropped
    };
    PendingLine m_pending[2]; // stdout, stderr
};

} // namespace qlaude
