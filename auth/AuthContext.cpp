#include "AuthContext.h"

#include "AppPaths.h"

#include <QCoreApplication>
#include <QDir>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::AuthContext)
};
} // namespace

namespace {
QString describe(const SettingsFile *f)
{
    return Tr::tr("%1 settings (%2)").arg(settingsScopeName(f->scope), f->path);
}
} // namespace

QString providerName(Provider p)
{
    switch (p) {
    case Provider::Anthropic:
        return QStringLiteral("anthropic");
    case Provider::Bedrock:
        return QStringLiteral("bedrock");
    case Provider::Vertex:
        return QStringLiteral("vertex");
    case Provider::Foundry:
        return QStringLiteral("foundry");
    }
    return QString();
}

QString providerTitle(Provider p)
{
    switch (p) {
    case Provider::Bedrock:
        return QStringLiteral("Amazon Bedrock");
    case Provider::Vertex:
        return QStringLiteral("Google Vertex AI");
    case Provider::Foundry:
        return QStringLiteral("Microsoft Foundry");
    case Provider::Anthropic:
        break;
    }
    return Tr::tr("the Anthropic API");
}

bool AuthContext::isStrippedEnvVar(const QString &name)
{
    return name == QLatin1String("CLAUDE_CODE_REMOTE") ||
           name == QLatin1String("CLAUDE_CODE_ACCOUNT_UUID") ||
           name == QLatin1String("CLAUDE_CODE_ORGANIZATION_UUID") ||
           name == QLatin1String("CLAUDE_CODE_USER_EMAIL") ||
           name == QLatin1String("CLAUDE_CODE_CONTAINER_ID");
}

AuthContext AuthContext::load(const Options &options)
{
    AuthContext ctx;
    ctx.m_options = options;
    if (ctx.m_options.workspace.isEmpty())
        ctx.m_options.workspace = QDir::currentPath();
    ctx.m_options.workspace = AppPaths::canonicalDir(ctx.m_options.workspace);
    ctx.m_bare = options.bare ||
                 isTruthy(options.processEnvironment.value(QStringLiteral("CLAUDE_CODE_SIMPLE")));

    SettingsLayers::Options so;
    so.workspace = ctx.m_options.workspace;
    so.userConfigDir = AppPaths::userConfigDir(options.processEnvironment);
    so.flagSettings = options.flagSettings;
    ctx.chooseConnection(&so.connectionLayer);
    so.managedDir = options.managedDir;
    so.bare = ctx.m_bare;
    ctx.m_settings = SettingsLayers::load(so);
    ctx.reloadTrust();
    return ctx;
}

void AuthContext::chooseConnection(SettingsFile *layer)
{
    ConnectionStore store = connectionStore();
    const bool loaded = store.load();
    QString name;
    if (m_options.connectionGiven) {
        name = m_options.connection;
        m_connectionChosenBy = QStringLiteral("--connection");
    } else {
        name = store.boundTo(m_options.workspace);
        m_connectionChosenBy = name.isEmpty() ? QString() : QStringLiteral("workspace binding");
    }
    if (name.isEmpty()) {
        m_connectionChosenBy.clear();
        return;
    }
    if (!loaded && m_options.unsavedConnection.name != name) {
        m_connectionError = store.errorString();
        m_connection.name = name;
        return;
    }
    const Connection *c = store.find(name);
    if (!m_options.unsavedConnection.name.isEmpty() && m_options.unsavedConnection.name == name)
        c = &m_options.unsavedConnection;
    if (!c) {
        m_connectionError =
            QCoreApplication::translate("qlaude::ConnectionStore",
                                        "There is no connection named \"%1\". See qlaude "
                                        "--connections, or add it with qlaude --add-connection.")
                .arg(name.left(64));
        m_connection.name = name;
        return;
    }
    m_connection = *c;
    layer->scope = SettingsScope::Flag;
    layer->path = QStringLiteral("connection \"%1\" (%2)").arg(c->name, store.path());
    layer->status = SettingsFile::Status::Loaded;
    layer->data = c->layer();
}

ConnectionStore AuthContext::connectionStore() const
{
    return ConnectionStore(m_options.connectionsPath, m_options.bindingsPath);
}

QStringList AuthContext::connectionOverrides() const
{
    QStringList out;
    if (m_connection.name.isEmpty())
        return out;
    QList<const char *> vars;
    switch (provider()) {
    case Provider::Anthropic:
        vars = {"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"};
        break;
    case Provider::Bedrock:
        vars = {"AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID"};
        break;
    case Provider::Vertex:
        vars = {"GOOGLE_APPLICATION_CREDENTIALS"};
        break;
    case Provider::Foundry:
        vars = {"ANTHROPIC_FOUNDRY_API_KEY", "AZURE_CLIENT_SECRET"};
        break;
    }
    for (const char *v : vars) {
        const QString name = QLatin1String(v);
        if (!env(name).isEmpty())
            out << QStringLiteral("%1 (%2)").arg(name, envSource(name));
    }
    return out;
}

void AuthContext::reloadTrust()
{
    const TrustStore store(m_options.trustStorePath.isEmpty() ? TrustStore::defaultPath()
                                                              : m_options.trustStorePath);
    m_trust = store.evaluate(m_options.workspace, m_settings);
    computeEffectiveSettings();
    applyEnvironment();
}

void AuthContext::computeEffectiveSettings()
{
    m_effective = QJsonObject();
    for (const SettingsFile &f : m_settings.files()) {
        QJsonObject data = f.data;
        if (isWorkspaceScope(f.scope) && !m_trust.trusted) {
            for (auto it = data.begin(); it != data.end();) {
                if (TrustStore::isCodeRunningKey(it.key()))
                    it = data.erase(it);
                else
                    ++it;
            }
        }
        SettingsLayers::mergeInto(m_effective, data);
    }
}

QString AuthContext::settingSource(const QString &key) const
{
    const QList<SettingsFile> &files = m_settings.files();
    for (auto it = files.crbegin(); it != files.crend(); ++it) {
        if (!it->data.contains(key))
            continue;
        if (isWorkspaceScope(it->scope) && !m_trust.trusted && TrustStore::isCodeRunningKey(key))
            continue;
        return it->path;
    }
    return QString();
}

void AuthContext::applyEnvironment()
{
    m_env = m_options.processEnvironment;
    m_trustedEnv = m_options.processEnvironment;
    m_envSources.clear();
    // Settings `env` blocks override the process environment, in merge order, so managed
    // settings win. Before trust only the safe list applies from workspace files.
    const QList<SettingsFile> &files = m_settings.files();
    for (int i = 0; i < files.size(); ++i) {
        const SettingsFile &f = files.at(i);
        const QJsonObject env = f.data.value(QStringLiteral("env")).toObject();
        for (auto it = env.begin(); it != env.end(); ++it) {
            if (isStrippedEnvVar(it.key()))
                continue;
            if (isWorkspaceScope(f.scope) && !m_trust.trusted &&
                !TrustStore::isSafeEnvVar(it.key()))
                continue;
            if (!it.value().isString() && !it.value().isBool() && !it.value().isDouble())
                continue;
            m_env.insert(it.key(), settingsEnvValue(it.value()));
            m_envSources.insert(it.key(), i);
            if (!isWorkspaceScope(f.scope) || m_trust.trusted)
                m_trustedEnv.insert(it.key(), settingsEnvValue(it.value()));
        }
    }
}

RequestOptions AuthContext::requestOptions() const
{
    return RequestOptions::fromEnvironment(m_env,
                                           [this](const QString &name) { return envSource(name); });
}

AuthContext::CommandSite AuthContext::commandSite(const QString &settingKey) const
{
    const QString source = settingSource(settingKey);
    for (const SettingsFile &f : m_settings.files()) {
        if (f.path == source && isWorkspaceScope(f.scope))
            return {m_options.workspace, m_env};
    }
    const QString home = m_options.processEnvironment.value(QStringLiteral("HOME"));
    return {home.isEmpty() ? QDir::homePath() : home, m_trustedEnv};
}

QString AuthContext::envSource(const QString &name) const
{
    const int i = m_envSources.value(name, -1);
    if (i >= 0)
        return describe(&m_settings.files().at(i));
    if (m_options.processEnvironment.contains(name))
        return QStringLiteral("environment");
    return QString();
}

bool AuthContext::envFromSettings(const QString &name, SettingsScope *scope) const
{
    const int i = m_envSources.value(name, -1);
    if (i >= 0 && scope)
        *scope = m_settings.files().at(i).scope;
    return i >= 0;
}

QList<AuthContext::EnvSetting> AuthContext::envSettings(const QString &name) const
{
    QList<EnvSetting> out;
    if (m_options.processEnvironment.contains(name)) {
        EnvSetting e;
        e.processEnvironment = true;
        e.value = m_options.processEnvironment.value(name);
        out << e;
    }
    if (isStrippedEnvVar(name))
        return out;
    // The same rules as applyEnvironment().
    for (const SettingsFile &f : m_settings.files()) {
        const QJsonValue v = f.data.value(QStringLiteral("env")).toObject().value(name);
        if (v.isUndefined())
            continue;
        if (isWorkspaceScope(f.scope) && !m_trust.trusted && !TrustStore::isSafeEnvVar(name))
            continue;
        if (!v.isString() && !v.isBool() && !v.isDouble())
            continue;
        EnvSetting e;
        e.scope = f.scope;
        e.file = f.path;
        e.value = settingsEnvValue(v);
        out << e;
    }
    return out;
}

AuthContext AuthContext::withUserEnvChanges(const QMap<QString, QString> &changes) const
{
    AuthContext ctx = *this;
    ctx.m_settings = m_settings.withUserEnvChanges(changes);
    ctx.computeEffectiveSettings();
    ctx.applyEnvironment();
    return ctx;
}

Provider AuthContext::provider() const
{
    // The CLI's order: Bedrock, Foundry, Vertex, then first party.
    if (isTruthy(env(QStringLiteral("CLAUDE_CODE_USE_BEDROCK"))))
        return Provider::Bedrock;
    if (isTruthy(env(QStringLiteral("CLAUDE_CODE_USE_FOUNDRY"))))
        return Provider::Foundry;
    if (isTruthy(env(QStringLiteral("CLAUDE_CODE_USE_VERTEX"))))
        return Provider::Vertex;
    return Provider::Anthropic;
}

QString AuthContext::apiKeyHelper() const
{
    const QJsonValue v = m_effective.value(QStringLiteral("apiKeyHelper"));
    if (m_bare) {
        // --bare honours only an apiKeyHelper passed with --settings.
        for (const SettingsFile &f : m_settings.files()) {
            if (f.scope == SettingsScope::Flag && f.data.contains(QStringLiteral("apiKeyHelper")))
                return f.data.value(QStringLiteral("apiKeyHelper")).toString().trimmed();
        }
        return QString();
    }
    return v.toString().trimmed();
}

} // namespace qlaude
