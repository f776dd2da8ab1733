#include "AwsCredentialProvider.h"

#include "AuthContext.h"
#include "HelperProcess.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace qlaude {

namespace {
constexpr qint64 kRefreshBeforeMs = 5 * 60 * 1000;
constexpr qint64 kNoExpiryTtlMs = 60 * 60 * 1000;

QString unsupportedFeature(const AwsProfile &p)
{
    if (!p.value("role_arn").isEmpty())
        return QStringLiteral("role_arn (STS AssumeRole)");
    if (!p.value("sso_session").isEmpty() || !p.value("sso_start_url").isEmpty())
        return QStringLiteral("AWS IAM Identity Center (SSO)");
    if (!p.value("web_identity_token_file").isEmpty())
        return QStringLiteral("web_identity_token_file");
    if (!p.value("login_session").isEmpty())
        return QStringLiteral("login_session");
    return QString();
}
} // namespace

AwsCredentials parseAwsCredentialJson(const QByteArray &json, bool requireToken, QString *error)
{
    AwsCredentials c;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json.trimmed(), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("did not return a valid value (its output is not a JSON object)");
        return c;
    }
    QJsonObject o = doc.object();
    if (o.value(QStringLiteral("Credentials")).isObject())
        o = o.value(QStringLiteral("Credentials")).toObject();
    const auto text = [&o](const char *key) { return o.value(QLatin1String(key)).toString(); };
    c.accessKeyId = text("AccessKeyId");
    c.secretAccessKey = text("SecretAccessKey");
    c.sessionToken = text("SessionToken");
    if (c.sessionToken.isEmpty())
        c.sessionToken = text("Token");
    if (c.accessKeyId.isEmpty() || c.secretAccessKey.isEmpty() ||
        (requireToken && c.sessionToken.isEmpty())) {
        *error = QStringLiteral("did not return valid AWS STS output structure (AccessKeyId, "
                                "SecretAccessKey%1 must be non-empty strings)")
                     .arg(requireToken ? QStringLiteral(" and SessionToken") : QString());
        return AwsCredentials();
    }
    const QString expiration = text("Expiration");
    if (!expiration.isEmpty()) {
        c.expiration = QDateTime::fromString(expiration, Qt::ISODateWithMs);
        if (!c.expiration.isValid())
            c.expiration = QDateTime::fromString(expiration, Qt::ISODate);
    }
    return c;
}

AwsCredentialProvider::Config AwsCredentialProvider::configFrom(const AuthContext &ctx)
{
    Config c;
    c.environment = ctx.environment();
    if (!ctx.isBare()) {
        c.exportCommand =
            ctx.effectiveSettings().value(QStringLiteral("awsCredentialExport")).toString();
        const AuthContext::CommandSite site =
            ctx.commandSite(QStringLiteral("awsCredentialExport"));
        c.exportWorkingDirectory = site.workingDirectory;
        c.exportEnvironment = site.environment;
        c.refreshCommand =
            ctx.effectiveSettings().value(QStringLiteral("awsAuthRefresh")).toString();
        const AuthContext::CommandSite refreshSite =
            ctx.commandSite(QStringLiteral("awsAuthRefresh"));
        c.refreshWorkingDirectory = refreshSite.workingDirectory;
        c.refreshEnvironment = refreshSite.environment;
    }
    return c;
}

AwsCredentialProvider::AwsCredentialProvider(Config config, QObject *parent)
    : QObject(parent), m_config(std::move(config))
{
}

AwsCredentialProvider::~AwsCredentialProvider()
{
    m_cached.secretAccessKey.fill(QLatin1Char('\0'));
    m_cached.sessionToken.fill(QLatin1Char('\0'));
}

QDateTime AwsCredentialProvider::now() const
{
    return m_now ? m_now() : QDateTime::currentDateTimeUtc();
}

QString AwsCredentialProvider::staticSource(const Config &config, QString *why)
{
    const QProcessEnvironment &env = config.environment;
    if (!config.exportCommand.trimmed().isEmpty())
        return QStringLiteral("awsCredentialExport");
    const auto orRefresh = [&config](const QString &source) {
        return source.isEmpty() && !config.refreshCommand.trimmed().isEmpty()
                   ? QStringLiteral("awsAuthRefresh")
                   : source;
    };
    if (!env.value(QStringLiteral("AWS_ACCESS_KEY_ID")).isEmpty() &&
        !env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY")).isEmpty())
        return QStringLiteral("env");
    const AwsProfile p = AwsConfig::profile(env, AwsConfig::profileName(env));
    if (!p.found) {
        if (!orRefresh(QString()).isEmpty())
            return orRefresh(QString());
        if (why)
            *why = QStringLiteral("No AWS credentials: set AWS_ACCESS_KEY_ID and "
                                  "AWS_SECRET_ACCESS_KEY, AWS_BEARER_TOKEN_BEDROCK (or save a "
                                  "Bedrock API key), or a profile in %1 (profile \"%2\" was not "
                                  "found).")
                       .arg(AwsConfig::configFile(env), p.name);
        return QString();
    }
    if (!p.value("aws_access_key_id").isEmpty() && !p.value("aws_secret_access_key").isEmpty())
        return QStringLiteral("profile %1").arg(p.name);
    if (!p.value("credential_process").isEmpty())
        return QStringLiteral("credential_process (profile %1)").arg(p.name);
    if (!orRefresh(QString()).isEmpty())
        return orRefresh(QString());
    if (why) {
        const QString feature = unsupportedFeature(p);
        *why = feature.isEmpty()
                   ? QStringLiteral("Profile \"%1\" has no credentials (no keys, no "
                                    "credential_process).")
                         .arg(p.name)
                   : QStringLiteral("Profile \"%1\" uses %2, which this version of Qlaude does "
                                    "not support yet. Use `aws configure export-credentials` in "
                                    "awsCredentialExport, or access keys.")
                         .arg(p.name, feature);
    }
    return QString();
}

void AwsCredentialProvider::get(Callback callback)
{
    if (m_cached.isValid() && now() < m_refreshAt) {
        callback(m_cached, QString());
        return;
    }
    m_waiting.append(std::move(callback));
    if (m_waiting.size() == 1 && !m_process && !m_refresh) {
        m_refreshTried = false;
        if (m_refreshDue && !m_config.refreshCommand.trimmed().isEmpty())
            runRefresh();
        else
            resolve();
    }
}

void AwsCredentialProvider::invalidate()
{
    m_refreshDue = true;
    m_cached.secretAccessKey.fill(QLatin1Char('\0'));
    m_cached = AwsCredentials();
    m_refreshAt = QDateTime();
}

void AwsCredentialProvider::resolve()
{
    ++m_runs;
    m_lastSource.clear();
    const QProcessEnvironment &env = m_config.environment;
    if (!m_config.exportCommand.trimmed().isEmpty()) {
        runCommand(QStringLiteral("awsCredentialExport"), m_config.exportCommand,
                   m_config.exportWorkingDirectory, m_config.exportEnvironment,
                   QStringLiteral("awsCredentialExport"));
        return;
    }
    if (!env.value(QStringLiteral("AWS_ACCESS_KEY_ID")).isEmpty() &&
        !env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY")).isEmpty()) {
        AwsCredentials c;
        c.accessKeyId = env.value(QStringLiteral("AWS_ACCESS_KEY_ID"));
        c.secretAccessKey = env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY"));
        c.sessionToken = env.value(QStringLiteral("AWS_SESSION_TOKEN"));
        c.expiration = QDateTime::fromString(env.value(QStringLiteral("AWS_CREDENTIAL_EXPIRATION")),
                                             Qt::ISODate);
        c.source = QStringLiteral("AWS_ACCESS_KEY_ID (environment)");
        m_lastSource = QStringLiteral("env");
        finish(c, QString());
        return;
    }
    const AwsProfile p = AwsConfig::profile(env, AwsConfig::profileName(env));
    if (p.found && !p.value("aws_access_key_id").isEmpty() &&
        !p.value("aws_secret_access_key").isEmpty()) {
        AwsCredentials c;
        c.accessKeyId = p.value("aws_access_key_id");
        c.secretAccessKey = p.value("aws_secret_access_key");
        c.sessionToken = p.value("aws_session_token");
        c.source = QStringLiteral("profile %1").arg(p.name);
        finish(c, QString());
        return;
    }
    if (p.found && !p.value("credential_process").isEmpty()) {
        // The user's own file names it, like the AWS CLI: it runs from the home folder.
        runCommand(QStringLiteral("credential_process"), p.value("credential_process"),
                   AwsConfig::homeDir(env), env,
                   QStringLiteral("credential_process (profile %1)").arg(p.name));
        return;
    }
    QString why;
    staticSource(m_config, &why);
    finish(AwsCredentials(), why);
}

void AwsCredentialProvider::runCommand(const QString &name, const QString &command,
                                       const QString &workDir, const QProcessEnvironment &env,
                                       const QString &source)
{
    auto *p = new HelperProcess(name, command, this);
    p->setEnvironment(env);
    p->setWorkingDirectory(workDir);
    p->setTimeoutMs(m_config.commandTimeoutMs);
    m_process = p;
    connect(
        p, &HelperProcess::finished, this, [this, p, name, source](const HelperProcess::Result &r) {
            p->deleteLater();
            m_process = nullptr;
            if (!r.ok) {
                finish(
                    AwsCredentials(),
                    QStringLiteral("Error getting AWS credentials from %1: %2").arg(name, r.error));
                return;
            }
            QString error;
            AwsCredentials c = parseAwsCredentialJson(
                r.output.toUtf8(), name == QLatin1String("awsCredentialExport"), &error);
            if (!c.isValid()) {
                finish(AwsCredentials(), QStringLiteral("%1 %2.").arg(name, error));
                return;
            }
            c.source = source;
            finish(c, QString());
        });
    p->start();
}

void AwsCredentialProvider::runRefresh()
{
    m_refreshTried = true;
    m_refreshDue = false;
    const QDateTime t = now();
    if (m_lastRefresh.isValid() && m_lastRefresh.msecsTo(t) < 30000) {
        resolve(); // never twice within 30 s
        return;
    }
    m_lastRefresh = t;
    ++m_refreshRuns;
    auto *p = new HelperProcess(QStringLiteral("awsAuthRefresh"), m_config.refreshCommand, this);
    p->setEnvironment(m_config.refreshEnvironment);
    p->setWorkingDirectory(m_config.refreshWorkingDirectory);
    p->setTimeoutMs(m_config.refreshTimeoutMs);
    p->setStreamOutput(true);
    m_refresh = p;
    connect(p, &HelperProcess::outputLine, this,
            [this](const QString &line, bool) { emit refreshOutput(line); });
    connect(p, &HelperProcess::finished, this, [this, p](const HelperProcess::Result &r) {
        p->deleteLater();
        m_refresh = nullptr;
        QString error;
        if (r.timedOut)
            error = QStringLiteral("AWS auth refresh timed out after %1 minutes. Run your auth "
                                   "command manually in a separate terminal.")
                        .arg(m_config.refreshTimeoutMs / 60000.0, 0, 'g', 2);
        else if (r.exitCode != 0)
            error = QStringLiteral("Error running awsAuthRefresh: %1").arg(r.error);
        emit refreshFinished(error);
        // Whatever it printed, the credentials are read again from the chain.
        invalidateCacheOnly();
        resolve();
    });
    emit refreshStarted();
    p->start();
}

void AwsCredentialProvider::invalidateCacheOnly()
{
    m_cached.secretAccessKey.fill(QLatin1Char('\0'));
    m_cached = AwsCredentials();
    m_refreshAt = QDateTime();
}

void AwsCredentialProvider::finish(const AwsCredentials &credentials, const QString &error)
{
    if (!credentials.isValid() && !m_refreshTried && !m_config.refreshCommand.trimmed().isEmpty()) {
        runRefresh(); // the chain found nothing: awsAuthRefresh, then the chain once more
        return;
    }
    if (credentials.isValid()) {
        m_cached = credentials;
        const QDateTime t = now();
        // CLAUDE_CODE.md §2: until 5 minutes before a known expiry more than 6 minutes away,
        // else one hour.
        if (credentials.expiration.isValid() &&
            t.msecsTo(credentials.expiration) > kRefreshBeforeMs + 60000)
            m_refreshAt = credentials.expiration.addMSecs(-kRefreshBeforeMs);
        else
            m_refreshAt = t.addMSecs(kNoExpiryTtlMs);
    }
    const QList<Callback> waiting = std::exchange(m_waiting, {});
    for (const Callback &cb : waiting)
        cb(credentials, credentials.isValid() ? QString() : error);
}

} // namespace qlaude
