#include "HelperProcess.h"

#include <QDir>
#include <QPointer>
#include <QSet>

#include <signal.h>
#include <unistd.h>

namespace qlaude {

namespace {

// Another program's text: no control character reaches a terminal or a label.
void replaceControls(QString &t)
{
    for (QChar &c : t) {
        if (c.unicode() < 0x20 || (c.unicode() >= 0x7f && c.unicode() < 0xa0) ||
            c.category() == QChar::Other_Format)
            c = QLatin1Char('?');
    }
}

// One line for outputLine(): ANSI CSI sequences (colours, cursor moves) dropped, tabs made
// spaces, other control characters replaced, trailing spaces removed, cut to the limit.
QString streamLine(const QByteArray &bytes, bool cut)
{
    QByteArray b;
    b.reserve(bytes.size());
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        const char c = bytes.at(i);
        if (c == '\x1b' && i + 1 < bytes.size() && bytes.at(i + 1) == '[') {
            i += 2;
            while (i < bytes.size() && !(bytes.at(i) >= 0x40 && bytes.at(i) <= 0x7e))
                ++i;
            continue;
        }
        b += c == '\t' ? ' ' : c;
    }
    QString line = QString::fromUtf8(b);
    replaceControls(line);
    while (!line.isEmpty() && line.back().isSpace())
        line.chop(1);
    if (line.size() > HelperProcess::kMaxStreamLineChars) {
        line.truncate(HelperProcess::kMaxStreamLineChars);
        if (line.back().isHighSurrogate())
            line.chop(1);
        cut = true;
    }
    if (cut && !line.isEmpty())
        line += QStringLiteral("...");
    return line;
}

} // namespace

namespace {
// Every HelperProcess alive, for cancelAll(). Helpers live on the GUI (main) thread.
QSet<HelperProcess *> &liveHelpers()
{
    static QSet<HelperProcess *> helpers;
    return helpers;
}
} // namespace

HelperProcess::HelperProcess(const QString &name, const QString &command, QObject *parent)
    : QObject(parent), m_name(name), m_command(command)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { stop(true, false); });
    liveHelpers().insert(this);
}

void HelperProcess::cancelAll()
{
    const QSet<HelperProcess *> helpers = liveHelpers();
    for (HelperProcess *helper : helpers)
        helper->cancel();
}

HelperProcess::~HelperProcess()
{
    liveHelpers().remove(this);
    if (m_process) {
        m_process->disconnect(this);
        ::kill(-pid_t(m_process->processId()), SIGKILL);
        m_process->kill();
        m_process->waitForFinished(1000);
        delete m_process;
    }
}

void HelperProcess::start()
{
    if (m_process)
        return;
    m_timedOut = m_cancelled = m_tooMuchOutput = false;
    m_stdout.clear();
    m_stderr.clear();
    m_pending[0] = m_pending[1] = PendingLine();
    m_process = new QProcess(this);
    m_process->setProcessEnvironment(m_env);
    if (!m_workDir.isEmpty() && QDir(m_workDir).exists())
        m_process->setWorkingDirectory(m_workDir);
    // Its own process group, so a timeout or cancel also ends whatever the shell started.
    m_process->setChildProcessModifier([] { ::setpgid(0, 0); });
    connect(m_process, &QProcess::finished, this, &HelperProcess::onFinished);
    connect(m_process, &QProcess::errorOccurred, this, &HelperProcess::onError);
    connect(m_process, &QProcess::readyReadStandardOutput, this, &HelperProcess::readOutput);
    connect(m_process, &QProcess::readyReadStandardError, this, &HelperProcess::readOutput);
    m_process->start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), m_command},
                     QIODevice::ReadOnly);
    m_process->closeWriteChannel();
    m_timer.start(m_timeoutMs);
}

void HelperProcess::cancel()
{
    stop(false, true);
}

void HelperProcess::stop(bool timedOut, bool cancelled)
{
    if (!m_process)
        return;
    m_timedOut = timedOut;
    m_cancelled = cancelled;
    const qint64 pid = m_process->processId();
    if (pid > 0)
        ::kill(-pid_t(pid), SIGKILL);
    m_process->kill();
}

void HelperProcess::readOutput()
{
    if (!m_process)
        return;
    constexpr qint64 kMaxStderr = 8 * 1024;
    const QByteArray err = m_process->readAllStandardError();
    if (m_stderr.size() < kMaxStderr)
        m_stderr.append(err.left(kMaxStderr - m_stderr.size()));
    if (m_tooMuchOutput) {
        m_process->readAllStandardOutput(); // discarded while the process is being killed
        if (m_streamOutput && !err.isEmpty())
            streamLines(err, true, false);
        return;
    }
    const QByteArray out = m_process->readAllStandardOutput();
    m_stdout.append(out);
    if (m_streamOutput) {
        const QPointer<HelperProcess> self(this);
        if (!err.isEmpty())
            streamLines(err, true, false);
        if (!self || !m_process)
            return;
        if (!out.isEmpty() && m_stdout.size() <= m_maxOutput)
            streamLines(out, false, false);
        if (!self || !m_process)
            return;
    }
    if (m_stdout.size() > m_maxOutput) {
        m_stdout.fill('\0');
        m_stdout.clear();
        m_tooMuchOutput = true;
        const qint64 pid = m_process->processId();
        if (pid > 0)
            ::kill(-pid_t(pid), SIGKILL);
        m_process->kill();
    }
}

QString HelperProcess::firstStderrLine() const
{
    const QString err = QString::fromUtf8(m_stderr);
    for (const QString &line : err.split(QLatin1Char('\n'))) {
        QString t = line.trimmed().left(300);
        replaceControls(t);
        if (!t.isEmpty())
            return t;
    }
    return QString();
}

void HelperProcess::streamLines(const QByteArray &bytes, bool isStderr, bool flush)
{
    // A line longer than this without an end is shown cut, and the rest of it is dropped.
    constexpr qsizetype kMaxPending = 4 * kMaxStreamLineChars;
    PendingLine &p = m_pending[isStderr ? 1 : 0];
    QList<QString> lines;
    for (const char c : bytes) {
        if (c == '\n' || c == '\r') {
            if (!p.skipping)
                lines.append(streamLine(p.bytes, false));
            p.bytes.clear();
            p.skipping = false;
            continue;
        }
        if (p.skipping)
            continue;
        p.bytes += c;
        if (p.bytes.size() > kMaxPending) {
            lines.append(streamLine(p.bytes, true));
            p.bytes.clear();
            p.skipping = true;
        }
    }
    if (flush && !p.bytes.isEmpty() && !p.skipping)
        lines.append(streamLine(p.bytes, false));
    if (flush)
        p = PendingLine();
    const QPointer<HelperProcess> self(this);
    for (const QString &line : lines) {
        if (line.isEmpty())
            continue;
        emit outputLine(line, isStderr);
        if (!self)
            return;
    }
}

void HelperProcess::onFinished(int exitCode, QProcess::ExitStatus status)
{
    if (!m_process)
        return;
    const QPointer<HelperProcess> self(this);
    readOutput();
    if (self && m_process && m_streamOutput) {
        // The last lines, even without a newline.
        streamLines(QByteArray(), true, true);
        if (self && m_process && !m_tooMuchOutput)
            streamLines(QByteArray(), false, true);
    }
    if (!self || !m_process)
        return;
    Result r;
    const QString stderrLine = firstStderrLine();
    const QString suffix = stderrLine.isEmpty() ? QString() : QStringLiteral(": ") + stderrLine;
    if (m_cancelled) {
        r.cancelled = true;
        r.error = QStringLiteral("%1 was cancelled.").arg(m_name);
    } else if (m_tooMuchOutput) {
        r.error = QStringLiteral("%1 printed more than %2 KiB on standard output and was stopped. "
                                 "It must print only the value.")
                      .arg(m_name)
                      .arg(m_maxOutput / 1024);
    } else if (m_timedOut) {
        r.timedOut = true;
        r.error = QStringLiteral("%1 timed out after %2 s%3. Check that the command finishes on "
                                 "its own, without asking for input.")
                      .arg(m_name)
                      .arg(m_timeoutMs / 1000.0, 0, 'g', 3)
                      .arg(suffix);
    } else if (status != QProcess::NormalExit) {
        r.error = QStringLiteral("%1 crashed%2.").arg(m_name, suffix);
    } else if (exitCode != 0) {
        r.exitCode = exitCode;
        r.error = QStringLiteral("%1 exited with code %2%3.").arg(m_name).arg(exitCode).arg(suffix);
    } else {
        r.exitCode = 0;
        r.output = QString::fromUtf8(m_stdout).trimmed();
        m_stdout.fill('\0');
        m_stdout.clear();
        if (r.output.isEmpty())
            r.error =
                QStringLiteral("%1 did not return a value (exit code 0, empty output%2). "
                               "It must print the key on standard output.")
                    .arg(m_name, stderrLine.isEmpty() ? QString()
                                                      : QStringLiteral("; stderr: ") + stderrLine);
        else
            r.ok = true;
    }
    deliver(std::move(r));
}

void HelperProcess::onError(QProcess::ProcessError error)
{
    if (error != QProcess::FailedToStart || !m_process)
        return;
    Result r;
    r.error = QStringLiteral("%1 could not be started (%2).").arg(m_name, m_process->errorString());
    deliver(std::move(r));
}

void HelperProcess::deliver(Result r)
{
    m_timer.stop();
    QProcess *p = m_process;
    m_process = nullptr;
    p->disconnect(this);
    p->deleteLater();
    emit finished(r);
}

} // namespace qlaude
