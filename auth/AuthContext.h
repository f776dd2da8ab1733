#pragma once

#include "Connections.h"
#include "RequestOptions.h"
#include "SettingsLayers.h"
#include "TrustStore.h"

#include <QHash>
#include <QJsonObject>
#include <QProcessEnvironment>

namespace qlaude {

enum class Provider
{
    Anthropic,
    Bedrock,
    Vertex,
    Foundry
};
QString providerName(Provider p); // "anthropic", "bedrock", "vertex", "foundry"
// For people: "the Anthropic API", "Amazon Bedrock", "Google Vertex AI", "Microsoft Foundry".
QString providerTitle(Provider p);

// Everything the credential resolver needs to know about this run, loaded without network:
// the settings layers, the workspace's trust, and the effective environment (the process
// environment with the settings `env` blocks applied as the CLI applies them).
class AuthContext
{
public:
    struct Options
    {
        QString workspace;    // default: the current directory
        QString flagSettings; // --settings
        bool bare = false;    // --bare (or CLAUDE_CODE_SIMPLE=1 in the environment)
        QProcessEnvironment processEnvironment = QProcessEnvironment::systemEnvironment();
        QString managedDir;     // empty: the platform directory
        QString trustStorePath; // empty: TrustStore::defaultPath()
        // The named connection: `connection` when connectionGiven (--connection, the app's
        // switcher; "" is the built-in "From your settings"), else the workspace's binding.
        QString connection;
        bool connectionGiven = false;
        // A connection as it is being edited (the settings dialog's test): used as it is when
        // its name is the connection asked for, instead of the saved one.
        Connection unsavedConnection;
        QString connectionsPath; // empty: ConnectionStore::defaultPath()
        QString bindingsPath;    // empty: ConnectionStore::defaultBindingsPath()
    };

    static AuthContext load(const Options &options);

    const Options &options() const { return m_options; }

    // The named connection in use ("" for "From your settings"), how it was chosen
    // ("--connection", "workspace binding", or "" for the built-in), and why it cannot be used
    // (an unknown name, a broken connections file): a request must then fail, not fall back.
    QString connectionName() const { return m_connection.name; }
    const Connection &connection() const { return m_connection; }
    QString connectionChosenBy() const { return m_connectionChosenBy; }
    QString connectionError() const { return m_connectionError; }
    // Where keychain reads and writes go: "connection:<name>:" for a named connection.
    QString keychainPrefix() const { return m_connection.keychainPrefix(); }
    // Credential variables set in the environment (the process's, or a settings `env` block)
    // that win over the chosen connection's keychain entries, e.g. "ANTHROPIC_API_KEY
    // (environment)". Empty without a named connection.
    QStringList connectionOverrides() const;
    // Qlaude's record of connections and bindings this context reads (not loaded yet).
    ConnectionStore connectionStore() const;
    bool isBare() const { return m_bare; }
    const SettingsLayers &settings() const { return m_settings; }
    const TrustState &trust() const { return m_trust; }

    // Settings that apply now: a workspace's code-running keys are left out until trusted.
    const QJsonObject &effectiveSettings() const { return m_effective; }
    // Which file an effective top-level setting came from ("" when from none).
    QString settingSource(const QString &key) const;

    const QProcessEnvironment &environment() const { return m_env; }
    QString env(const QString &name) const { return m_env.value(name); }
    // "environment", "user settings (<path>)", ..., or "" when unset.
    QString envSource(const QString &name) const;
    // The settings scope that set a variable, if one did (for the settings dialog's locks).
    bool envFromSettings(const QString &name, SettingsScope *scope) const;

    // Every layer that sets a variable and applies now, lowest precedence first: the process
    // environment, then the settings files' `env` blocks in merge order (so managed settings
    // win, as applyEnvironment() does it). The last one is the value in use; the others are
    // ignored.
    struct EnvSetting
    {
        bool processEnvironment = false; // else: the settings file `file`
        SettingsScope scope = SettingsScope::User;
        QString file;
        QString value;
    };
    QList<EnvSetting> envSettings(const QString &name) const;

    // This context as it would be after the user settings' `env` block got `changes`
    // (variable -> value, "" removes it): what the settings dialog shows but has not saved.
    AuthContext withUserEnvChanges(const QMap<QString, QString> &changes) const;

    Provider provider() const;
    // The shared request options; their errors name the file each variable came from.
    RequestOptions requestOptions() const;

    // The environment built from trusted layers only: the process environment plus the `env`
    // blocks of user, --settings and managed files, and of the workspace's files only once it
    // is trusted. Commands from user, --settings or managed settings run with this.
    const QProcessEnvironment &trustedEnvironment() const { return m_trustedEnv; }

    // apiKeyHelper as it applies now, and the file it came from.
    QString apiKeyHelper() const;
    QString apiKeyHelperSource() const { return settingSource(QStringLiteral("apiKeyHelper")); }

    // Where a command from settings runs, and with which environment: a command from a
    // workspace file (which runs only after trust) runs in the workspace with the effective
    // environment; one from user, --settings or managed settings runs in the home folder with
    // trustedEnvironment(), so an untrusted folder can neither shadow its files nor set its
    // variables.
    struct CommandSite
    {
        QString workingDirectory;
        QProcessEnvironment environment;
    };
    CommandSite commandSite(const QString &settingKey) const;

    // Variables a settings `env` block may never set (CLAUDE_CODE.md §3).
    static bool isStrippedEnvVar(const QString &name);

    // Re-evaluates trust after the user decided (the TrustDialog, --trust).
    void reloadTrust();

private:
    void applyEnvironment();
    void computeEffectiveSettings();

    void chooseConnection(SettingsFile *layer);

    Options m_options;
    Connection m_connection;
    QString m_connectionChosenBy;
    QString m_connectionError;
    bool m_bare = false;
    SettingsLayers m_settings;
    TrustState m_trust;
    QJsonObject m_effective;
    QProcessEnvironment m_env;
    QProcessEnvironment m_trustedEnv;
    QHash<QString, int> m_envSources; // variable -> index into m_settings.files()
};

} // namespace qlaude
