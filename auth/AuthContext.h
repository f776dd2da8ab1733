#pragma once

#include "RequestOptions.h"
#include "SettingsLayers.h"
#include "WorkspaceTrust.h"

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
    };

    static AuthContext load(const Options &options);

    const Options &options() const { return m_options; }
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

    Provider provider() const;
    RequestOptions requestOptions() const { return RequestOptions::fromEnvironment(m_env); }

    // apiKeyHelper as it applies now, and the file it came from.
    QString apiKeyHelper() const;
    QString apiKeyHelperSource() const { return settingSource(QStringLiteral("apiKeyHelper")); }

    // Variables a settings `env` block may never set (CLAUDE_CODE.md §3).
    static bool isStrippedEnvVar(const QString &name);

    // Re-evaluates trust after the user decided (the TrustDialog, --trust).
    void reloadTrust();

private:
    void applyEnvironment();
    void computeEffectiveSettings();

    Options m_options;
    bool m_bare = false;
    SettingsLayers m_settings;
    TrustState m_trust;
    QJsonObject m_effective;
    QProcessEnvironment m_env;
    QHash<QString, int> m_envSources; // variable -> index into m_settings.files()
};

} // namespace qlaude
