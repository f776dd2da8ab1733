#include "Connections.h"

#include "AppPaths.h"
#include "NetworkSetup.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QUrl>

namespace qlaude {

namespace {

const QString kProviders[] = {QStringLiteral("anthropic"), QStringLiteral("bedrock"),
                              QStringLiteral("vertex"), QStringLiteral("foundry")};
const char *const kUseVars[] = {nullptr, "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX",
                                "CLAUDE_CODE_USE_FOUNDRY"};

int providerIndex(const QString &provider)
{
    for (int i = 0; i < 4; ++i) {
        if (kProviders[i] == provider)
            return i;
    }
    return -1;
}

bool truthy(const QJsonValue &v)
{
    if (v.isBool())
        return v.toBool();
    if (v.isDouble())
        return v.toDouble() != 0;
    const QString s = v.toString().trimmed().toLower();
    return s == QLatin1String("1") || s == QLatin1String("true") || s == QLatin1String("yes") ||
           s == QLatin1String("on");
}

// Variables that carry a secret, and where the secret goes instead.
struct SecretVar
{
    const char *name;
    const char *instead;
};
const SecretVar kSecretVars[] = {
    {"ANTHROPIC_API_KEY",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "store the key with: qlaude --connection %1 --login=api-key")},
    {"ANTHROPIC_AUTH_TOKEN",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "store the token in the app: Settings > Connections > %1")},
    {"CLAUDE_CODE_OAUTH_TOKEN",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "sign in with: qlaude --connection %1 --login=oauth")},
    {"AWS_BEARER_TOKEN_BEDROCK",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "store the token in the app: Settings > Connections > %1")},
    {"ANTHROPIC_FOUNDRY_API_KEY",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "store the key in the app: Settings > Connections > %1")},
    {"AZURE_CLIENT_SECRET",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "store the secret in the app: Settings > Connections > %1")},
    {"AWS_SECRET_ACCESS_KEY",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "name an AWS profile (AWS_PROFILE) whose keys live in ~/.aws instead")},
    {"AWS_SESSION_TOKEN",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "name an AWS profile (AWS_PROFILE) whose keys live in ~/.aws instead")},
    {"CLAUDE_CODE_CLIENT_KEY_PASSPHRASE",
     QT_TRANSLATE_NOOP("qlaude::ConnectionStore",
                       "store it in the app: Settings > Network (the keychain)")},
};

// Any other variable whose name says it holds a secret.
bool looksSecretName(const QString &name)
{
    static const QRegularExpression re(
        QStringLiteral("(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_KEY|APIKEY|PRIVATE_KEY)$"),
        QRegularExpression::CaseInsensitiveOption);
    return re.match(name).hasMatch();
}

bool headerCarriesCredential(const QString &headers, QString *header)
{
    static const QString names[] = {
        QStringLiteral("authorization"), QStringLiteral("proxy-authorization"),
        QStringLiteral("x-api-key"), QStringLiteral("api-key"), QStringLiteral("cookie")};
    const QStringList lines = headers.split(QRegularExpression(QStringLiteral("[\r\n]+")));
    for (const QString &line : lines) {
        const QString key = line.section(QLatin1Char(':'), 0, 0).trimmed().toLower();
        for (const QString &n : names) {
            if (key == n) {
                *header = line.section(QLatin1Char(':'), 0, 0).trimmed();
                return true;
            }
        }
    }
    return false;
}

QJsonObject readJsonFile(const QString &path, bool *exists, QString *error)
{
    *exists = QFileInfo::exists(path);
    if (!*exists)
        return QJsonObject();
    QByteArray text;
    const QString why = SettingsLayers::readFile(path, &text);
    if (!why.isEmpty()) {
        *error = why;
        return QJsonObject();
    }
    QString parseError;
    const QJsonObject o = SettingsLayers::parseJson(text, path, &parseError);
    if (!parseError.isEmpty())
        *error = parseError;
    return o;
}

bool writeJsonFile(const QString &path, const QJsonObject &root, QString *error)
{
    AppPaths::ensurePrivateDir(QFileInfo(path).absolutePath());
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        *error = ConnectionStore::tr("Cannot write %1 (%2).").arg(path, f.errorString());
        return false;
    }
    f.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!f.commit()) {
        *error = ConnectionStore::tr("Cannot save %1 (%2).").arg(path, f.errorString());
        return false;
    }
    AppPaths::makePrivate(path);
    return true;
}

void setError(QString *out, const QString &text)
{
    if (out)
        *out = text;
}

} // namespace

QJsonObject Connection::layer() const
{
    QJsonObject out = settings;
    QJsonObject env = out.value(QStringLiteral("env")).toObject();
    const int index = providerIndex(provider);
    for (int i = 1; i < 4; ++i)
        env.insert(QLatin1String(kUseVars[i]),
                   i == index ? QStringLiteral("1") : QStringLiteral("0"));
    // Where the requests go is the connection's own: a server other settings name is never
    // used with its credential ("" is the provider's default endpoint).
    static const char *const endpoints[4][2] = {
        {"ANTHROPIC_BASE_URL", nullptr},
        {"ANTHROPIC_BEDROCK_BASE_URL", nullptr},
        {"ANTHROPIC_VERTEX_BASE_URL", nullptr},
        {"ANTHROPIC_FOUNDRY_BASE_URL", "ANTHROPIC_FOUNDRY_RESOURCE"}};
    if (index >= 0) {
        for (const char *var : endpoints[index]) {
            if (var && !env.contains(QLatin1String(var)))
                env.insert(QLatin1String(var), QString());
        }
    }
    out.insert(QStringLiteral("env"), env);
    return out;
}

QString Connection::accountHint() const
{
    const QJsonObject env = settings.value(QStringLiteral("env")).toObject();
    const auto v = [&env](const char *name) {
        return settingsEnvValue(env.value(QLatin1String(name))).trimmed();
    };
    const auto host = [](const QString &url) {
        const QUrl u(url);
        if (u.host().isEmpty())
            return QUrl(url).toDisplayString(QUrl::RemoveUserInfo);
        return u.port() > 0 ? QStringLiteral("%1:%2").arg(u.host()).arg(u.port()) : u.host();
    };
    QStringList parts;
    switch (providerIndex(provider)) {
    case 1:
        parts << QStringLiteral("Amazon Bedrock");
        if (!v("AWS_REGION").isEmpty())
            parts << v("AWS_REGION");
        if (!v("AWS_PROFILE").isEmpty())
            parts << ConnectionStore::tr("profile %1").arg(v("AWS_PROFILE"));
        if (!v("ANTHROPIC_BEDROCK_BASE_URL").isEmpty())
            parts << host(v("ANTHROPIC_BEDROCK_BASE_URL"));
        break;
    case 2:
        parts << QStringLiteral("Google Vertex AI");
        if (!v("ANTHROPIC_VERTEX_PROJECT_ID").isEmpty())
            parts << v("ANTHROPIC_VERTEX_PROJECT_ID");
        if (!v("CLOUD_ML_REGION").isEmpty())
            parts << v("CLOUD_ML_REGION");
        if (!v("ANTHROPIC_VERTEX_BASE_URL").isEmpty())
            parts << host(v("ANTHROPIC_VERTEX_BASE_URL"));
        break;
    case 3:
        parts << QStringLiteral("Microsoft Foundry");
        if (!v("ANTHROPIC_FOUNDRY_RESOURCE").isEmpty())
            parts << v("ANTHROPIC_FOUNDRY_RESOURCE");
        else if (!v("ANTHROPIC_FOUNDRY_BASE_URL").isEmpty())
            parts << host(v("ANTHROPIC_FOUNDRY_BASE_URL"));
        break;
    default:
        parts << QStringLiteral("Anthropic");
        parts << (v("ANTHROPIC_BASE_URL").isEmpty() ? QStringLiteral("api.anthropic.com")
                                                    : host(v("ANTHROPIC_BASE_URL")));
        break;
    }
    return parts.join(QStringLiteral(" · "));
}

QString Connection::keychainPrefixFor(const QString &name)
{
    return name.isEmpty() ? QString() : QStringLiteral("connection:%1:").arg(name);
}

ConnectionStore::ConnectionStore(const QString &connectionsPath, const QString &bindingsPath)
    : m_path(connectionsPath.isEmpty() ? defaultPath() : connectionsPath),
      m_bindingsPath(bindingsPath.isEmpty() ? defaultBindingsPath() : bindingsPath)
{
}

QString ConnectionStore::defaultPath()
{
    return QDir(AppPaths::configDir()).filePath(QStringLiteral("connections.json"));
}

QString ConnectionStore::defaultBindingsPath()
{
    return QDir(AppPaths::dataDir()).filePath(QStringLiteral("connection-bindings.json"));
}

bool ConnectionStore::load()
{
    m_connections.clear();
    m_bindings.clear();
    m_error.clear();
    m_loaded = false;
    bool exists = false;
    QString error;
    // The bindings first: when the connections file is broken, a bound workspace must still
    // know it is bound (and fail) rather than quietly use another account.
    const QJsonObject bindingsRoot = readJsonFile(m_bindingsPath, &exists, &error);
    if (!error.isEmpty()) {
        m_error =
            tr("The workspace bindings cannot be used: %1. Fix or move the file aside.").arg(error);
        return false;
    }
    const QJsonObject bindings = bindingsRoot.value(QStringLiteral("workspaces")).toObject();
    for (auto it = bindings.begin(); it != bindings.end(); ++it)
        m_bindings.insert(it.key(), it.value().toString());
    const QJsonObject root = readJsonFile(m_path, &exists, &error);
    if (!error.isEmpty()) {
        m_error = tr("The connections file cannot be used: %1. Fix or move it aside; Qlaude "
                     "does not write over it.")
                      .arg(error);
        return false;
    }
    const QJsonObject list = root.value(QStringLiteral("connections")).toObject();
    for (auto it = list.begin(); it != list.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        Connection c;
        c.name = it.key();
        c.provider = o.value(QStringLiteral("provider")).toString(QStringLiteral("anthropic"));
        c.settings = o.value(QStringLiteral("settings")).toObject();
        QString why;
        if (!isValidName(c.name, &why) || !checkNoSecrets(c.name, c.settings, &why) ||
            providerIndex(c.provider) < 0) {
            if (why.isEmpty())
                why = tr("unknown provider \"%1\"").arg(c.provider.left(40));
            m_error = tr("%1: the connection \"%2\" cannot be used: %3")
                          .arg(m_path, c.name.left(64), why);
            m_connections.clear();
            return false;
        }
        m_connections << c;
    }
    for (auto it = m_bindings.begin(); it != m_bindings.end();) {
        if (find(it.value()))
            ++it;
        else
            it = m_bindings.erase(it);
    }
    m_loaded = true;
    return true;
}

bool ConnectionStore::writable(QString *error) const
{
    if (m_loaded)
        return true;
    setError(error, m_error.isEmpty() ? tr("The connections were not read yet.") : m_error);
    return false;
}

const Connection *ConnectionStore::find(const QString &name) const
{
    for (const Connection &c : m_connections) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

bool ConnectionStore::isValidName(const QString &name, QString *why)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"));
    if (re.match(name).hasMatch())
        return true;
    setError(why, tr("a connection name has 1 to 64 letters, digits, '.', '_' or '-', and "
                     "starts with a letter or digit"));
    return false;
}

bool ConnectionStore::checkNoSecrets(const QString &name, const QJsonObject &settings, QString *why)
{
    const QString shownName = isValidName(name) ? name : QStringLiteral("NAME");
    const auto refuse = [why](const QString &what, const QString &instead) {
        setError(why, tr("%1 is a secret, and connection settings are a plain file. Leave it "
                         "out and %2.")
                          .arg(what, instead));
        return false;
    };
    for (const char *key : {"apiKey", "primaryApiKey", "authToken", "oauthToken"}) {
        if (settings.contains(QLatin1String(key)))
            return refuse(
                QLatin1String(key),
                tr("store the key with: qlaude --connection %1 --login=api-key").arg(shownName));
    }
    const QJsonObject env = settings.value(QStringLiteral("env")).toObject();
    for (auto it = env.begin(); it != env.end(); ++it) {
        const QString var = it.key();
        for (const SecretVar &s : kSecretVars) {
            if (var == QLatin1String(s.name))
                return refuse(var, tr(s.instead).arg(shownName));
        }
        if (looksSecretName(var))
            return refuse(var, tr("keep it in the environment or the keychain"));
        const QString value = settingsEnvValue(it.value());
        if (var == QLatin1String("ANTHROPIC_CUSTOM_HEADERS")) {
            QString header;
            if (headerCarriesCredential(value, &header))
                return refuse(tr("The custom header %1").arg(header),
                              tr("store the credential in the keychain (Settings > "
                                 "Connections > %1)")
                                  .arg(shownName));
        }
        if (var.endsWith(QLatin1String("_PROXY"), Qt::CaseInsensitive) &&
            var.compare(QLatin1String("NO_PROXY"), Qt::CaseInsensitive) != 0) {
            const QUrl url(
                value.contains(QLatin1String("://")) ? value : QStringLiteral("http://") + value);
            if (!url.password().isEmpty())
                return refuse(tr("The password in %1").arg(var),
                              tr("use proxyAuthHelper, or set the proxy in your environment"));
        }
    }
    return true;
}

bool ConnectionStore::fromSettingsJson(const QString &name, const QJsonObject &json,
                                       Connection *out, QString *why)
{
    if (!isValidName(name, why))
        return false;
    Connection c;
    c.name = name;
    c.settings = json;
    const QJsonValue provider = c.settings.take(QStringLiteral("provider"));
    if (!provider.isUndefined()) {
        c.provider = provider.toString().trimmed().toLower();
        if (providerIndex(c.provider) < 0) {
            setError(why, tr("\"provider\" must be anthropic, bedrock, vertex or foundry, not "
                             "\"%1\"")
                              .arg(provider.toString().left(40)));
            return false;
        }
    } else {
        const QJsonObject env = c.settings.value(QStringLiteral("env")).toObject();
        for (int i = 1; i < 4; ++i) {
            if (truthy(env.value(QLatin1String(kUseVars[i]))))
                c.provider = kProviders[i];
        }
    }
    // The provider is the connection's own field; its CLAUDE_CODE_USE_* variables are set from
    // it when the layer is merged, so the stored layer does not carry them.
    QJsonObject env = c.settings.value(QStringLiteral("env")).toObject();
    for (int i = 1; i < 4; ++i)
        env.remove(QLatin1String(kUseVars[i]));
    if (env.isEmpty())
        c.settings.remove(QStringLiteral("env"));
    else
        c.settings.insert(QStringLiteral("env"), env);
    if (!checkNoSecrets(name, c.settings, why))
        return false;
    *out = c;
    return true;
}

bool ConnectionStore::upsert(const Connection &connection, QString *error)
{
    if (!writable(error))
        return false;
    QString why;
    if (!isValidName(connection.name, &why) ||
        !checkNoSecrets(connection.name, connection.settings, &why)) {
        setError(error, why);
        return false;
    }
    const QList<Connection> before = m_connections;
    bool replaced = false;
    for (Connection &c : m_connections) {
        if (c.name == connection.name) {
            c = connection;
            replaced = true;
        }
    }
    if (!replaced)
        m_connections << connection;
    if (!saveConnections(error)) {
        m_connections = before;
        return false;
    }
    return true;
}

bool ConnectionStore::remove(const QString &name, QString *error)
{
    if (!writable(error))
        return false;
    const QList<Connection> before = m_connections;
    const QMap<QString, QString> bindingsBefore = m_bindings;
    m_connections.erase(std::remove_if(m_connections.begin(), m_connections.end(),
                                       [&name](const Connection &c) { return c.name == name; }),
                        m_connections.end());
    for (auto it = m_bindings.begin(); it != m_bindings.end();) {
        if (it.value() == name)
            it = m_bindings.erase(it);
        else
            ++it;
    }
    if (!saveConnections(error) ||
        (bindingsBefore.size() != m_bindings.size() && !saveBindings(error))) {
        m_connections = before;
        m_bindings = bindingsBefore;
        return false;
    }
    return true;
}

bool ConnectionStore::rename(const QString &from, const QString &to, QString *error)
{
    if (!writable(error))
        return false;
    QString why;
    if (!isValidName(to, &why)) {
        setError(error, why);
        return false;
    }
    if (find(to)) {
        setError(error, tr("A connection named \"%1\" exists already.").arg(to));
        return false;
    }
    const QList<Connection> before = m_connections;
    const QMap<QString, QString> bindingsBefore = m_bindings;
    for (Connection &c : m_connections) {
        if (c.name == from)
            c.name = to;
    }
    for (auto it = m_bindings.begin(); it != m_bindings.end(); ++it) {
        if (it.value() == from)
            it.value() = to;
    }
    if (!saveConnections(error) || !saveBindings(error)) {
        m_connections = before;
        m_bindings = bindingsBefore;
        return false;
    }
    return true;
}

QString ConnectionStore::boundTo(const QString &workspace) const
{
    return m_bindings.value(AppPaths::canonicalDir(workspace));
}

QStringList ConnectionStore::workspacesBoundTo(const QString &name) const
{
    QStringList out;
    for (auto it = m_bindings.cbegin(); it != m_bindings.cend(); ++it) {
        if (it.value() == name)
            out << it.key();
    }
    return out;
}

bool ConnectionStore::bind(const QString &workspace, const QString &name, QString *error)
{
    if (!writable(error))
        return false;
    const QString dir = AppPaths::canonicalDir(workspace);
    if (!name.isEmpty() && !find(name)) {
        setError(error, tr("There is no connection named \"%1\". See qlaude --connections.")
                            .arg(name.left(64)));
        return false;
    }
    const QMap<QString, QString> before = m_bindings;
    if (name.isEmpty())
        m_bindings.remove(dir);
    else
        m_bindings.insert(dir, name);
    if (!saveBindings(error)) {
        m_bindings = before;
        return false;
    }
    return true;
}

QList<QPair<QString, QString>> ConnectionStore::secretEntries()
{
    return {
        {QStringLiteral("api-key"), tr("the API key")},
        {QStringLiteral("oauth"), tr("the OAuth login")},
        {QStringLiteral("bearer-token"), tr("the gateway token")},
        {QStringLiteral("cloud:aws-bearer-token"), tr("the Bedrock API key")},
        {QStringLiteral("cloud:foundry-api-key"), tr("the Foundry API key")},
        {QStringLiteral("cloud:azure-client-secret"), tr("the Azure client secret")},
        {QLatin1String(NetworkSetup::kPassphraseEntry), tr("the client key passphrase")},
    };
}

bool ConnectionStore::saveConnections(QString *error) const
{
    QJsonObject list;
    for (const Connection &c : m_connections) {
        QJsonObject o;
        o.insert(QStringLiteral("provider"), c.provider);
        o.insert(QStringLiteral("settings"), c.settings);
        list.insert(c.name, o);
    }
    QJsonObject root;
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("connections"), list);
    QString why;
    if (!writeJsonFile(m_path, root, &why)) {
        setError(error, why);
        return false;
    }
    return true;
}

bool ConnectionStore::saveBindings(QString *error) const
{
    QJsonObject workspaces;
    for (auto it = m_bindings.cbegin(); it != m_bindings.cend(); ++it)
        workspaces.insert(it.key(), it.value());
    QJsonObject root;
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("workspaces"), workspaces);
    QString why;
    if (!writeJsonFile(m_bindingsPath, root, &why)) {
        setError(error, why);
        return false;
    }
    return true;
}

} // namespace qlaude
