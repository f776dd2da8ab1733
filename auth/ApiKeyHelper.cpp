#include "ApiKeyHelper.h"

#include "RequestOptions.h"

#include <QCoreApplication>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ApiKeyHelper)
};
} // namespace

ApiKeyHelper::Config ApiKeyHelper::configFrom(const QString &command,
                                              const QString &workingDirectory,
                                              const QProcessEnvironment &env, QString *warning)
{
    Config c;
    c.command = command;
    c.workingDirectory = workingDirectory;
    c.environment = env;
    c.bearerOverride = env.value(QStringLiteral("ANTHROPIC_AUTH_TOKEN"));
    const QString ttl = env.value(QStringLiteral("CLAUDE_CODE_API_KEY_HELPER_TTL_MS")).trimmed();
    if (!ttl.isEmpty()) {
        bool ok = false;
        const qint64 v = ttl.toLongLong(&ok);
        if (ok && v >= 0)
            c.ttlMs = v;
        else if (warning)
            *warning = Tr::tr("CLAUDE_CODE_API_KEY_HELPER_TTL_MS must be a whole number of "
                              "milliseconds (0 or more); using the default of 300000.");
    }
    // Qlaude's own knob for people whose helper should fail faster than the CLI's 10 minutes.
    const QString timeout = env.value(QStringLiteral("QLAUDE_API_KEY_HELPER_TIMEOUT_MS")).trimmed();
    if (!timeout.isEmpty()) {
        bool ok = false;
        const int v = timeout.toInt(&ok);
        if (ok && v > 0)
            c.timeoutMs = v;
    }
    return c;
}

ApiKeyHelper::ApiKeyHelper(Config config, QObject *parent)
    : QObject(parent), m_config(std::move(config))
{
    m_clock.start();
}

ApiKeyHelper::~ApiKeyHelper()
{
    m_value.fill(QLatin1Char('\0'));
}

qint64 ApiKeyHelper::now() const
{
    return m_now ? m_now() : m_clock.elapsed();
}

Credential ApiKeyHelper::credential() const
{
    Credential c;
    c.kind = CredentialKind::ApiKey;
    c.source = QStringLiteral("apiKeyHelper");
    // The CLI sends the helper's value both as x-api-key and as a Bearer token (the Bearer
    // header carries ANTHROPIC_AUTH_TOKEN instead when that is set).
    c.apiKey = m_value;
    c.bearerToken = m_config.bearerOverride.isEmpty() ? m_value : m_config.bearerOverride;
    return c;
}

void ApiKeyHelper::authorize(Callback callback)
{
    if (!m_value.isEmpty()) {
        // Fresh or stale, the cached value answers at once; a stale one starts a refresh.
        if (now() - m_fetchedAt >= m_config.ttlMs && !m_process)
            startRun();
        callback(credential(), QString());
        return;
    }
    m_waiting.append(std::move(callback));
    if (!m_process)
        startRun();
}

bool ApiKeyHelper::invalidate()
{
    // A 401: the cached key is wrong; the next authorize() waits for a fresh run.
    m_value.fill(QLatin1Char('\0'));
    m_value.clear();
    m_fetchedAt = 0;
    return true;
}

void ApiKeyHelper::cancel()
{
    if (m_process)
        m_process->cancel();
}

void ApiKeyHelper::startRun()
{
    ++m_runs;
    auto *p = new HelperProcess(QStringLiteral("apiKeyHelper"), m_config.command, this);
    p->setEnvironment(m_config.environment);
    p->setWorkingDirectory(m_config.workingDirectory);
    p->setTimeoutMs(m_config.timeoutMs);
    connect(p, &HelperProcess::finished, this, &ApiKeyHelper::onFinished);
    m_process = p;
    p->start();
}

void ApiKeyHelper::onFinished(const HelperProcess::Result &result)
{
    if (m_process)
        m_process->deleteLater();
    m_process = nullptr;
    HelperProcess::Result checked = result;
    if (checked.ok) {
        // The value becomes a header: one line, no control characters. The error never
        // quotes the output, which may be a key.
        const QStringList lines = checked.output.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        int nonEmpty = 0;
        for (const QString &l : lines)
            nonEmpty += l.trimmed().isEmpty() ? 0 : 1;
        if (nonEmpty > 1) {
            checked.ok = false;
            checked.error = Tr::tr("apiKeyHelper printed %1 lines (exit code 0). It must "
                                   "print only the key, on one line.")
                                .arg(nonEmpty);
        } else if (!RequestOptions::isValidHeaderValue(checked.output.toUtf8())) {
            checked.ok = false;
            checked.error = Tr::tr("apiKeyHelper printed a control character (exit code "
                                   "0). It must print only the key, on one line.");
        }
        if (!checked.ok)
            checked.output.fill(QLatin1Char('\0'));
    }
    onResult(checked);
}

void ApiKeyHelper::onResult(const HelperProcess::Result &result)
{
    if (result.ok) {
        m_value = result.output;
        m_fetchedAt = now();
        m_lastError.clear();
    } else {
        m_lastError = result.error;
        if (!m_value.isEmpty())
            m_fetchedAt = now(); // keep the previous value; try again after another TTL
        emit refreshFailed(result.error);
    }
    const QList<Callback> waiting = std::exchange(m_waiting, {});
    for (const Callback &cb : waiting) {
        if (!m_value.isEmpty())
            cb(credential(), QString());
        else
            cb(Credential(), result.error);
    }
}

} // namespace qlaude
