#pragma once

#include "SettingsLayers.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace qlaude {

// A named connection: what selects and reaches one account. Its provider and non-secret
// settings form a settings layer that sits where --settings sits; its secrets live in the
// keychain under "connection:<name>:<entry>" (api-key, oauth, bearer-token, cloud:...).
struct Connection
{
    QString name;
    QString provider = QStringLiteral("anthropic"); // anthropic, bedrock, vertex, foundry
    QJsonObject settings;                           // a settings layer; never a secret

    // The layer as it is merged: the settings with the provider pinned (its CLAUDE_CODE_USE_*
    // variable "1", the others "0") and the provider's endpoint variables pinned to the
    // connection's own (empty: the default), so settings outside the connection cannot send
    // its credential to another account's server.
    QJsonObject layer() const;
    // For people: "Amazon Bedrock · eu-west-1 · profile work", "Anthropic · api.example.com".
    QString accountHint() const;
    // The keychain entry prefix, "connection:<name>:".
    QString keychainPrefix() const { return keychainPrefixFor(name); }
    static QString keychainPrefixFor(const QString &name);
};

// Qlaude's own record of connections (AppPaths::configDir()/connections.json, 0600) and of
// which workspace uses which (beside the trust store: AppPaths::dataDir()/
// connection-bindings.json). Neither is ever read from a project: a workspace's files cannot
// choose a connection.
class ConnectionStore
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ConnectionStore)
public:
    // Empty paths: defaultPath() and defaultBindingsPath().
    explicit ConnectionStore(const QString &connectionsPath = QString(),
                             const QString &bindingsPath = QString());
    static QString defaultPath();
    static QString defaultBindingsPath();

    QString path() const { return m_path; }
    QString bindingsPath() const { return m_bindingsPath; }

    // Reads both files. False (and errorString()) when one exists but cannot be used; the
    // store is then empty and is never written over the broken file.
    bool load();
    QString errorString() const { return m_error; }

    const QList<Connection> &connections() const { return m_connections; }
    const Connection *find(const QString &name) const;

    // A name of 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.
    static bool isValidName(const QString &name, QString *why = nullptr);
    // Refuses a layer that holds a secret (credential variables, an Authorization or
    // x-api-key custom header, a password in a proxy URL): the reason says where it goes.
    static bool checkNoSecrets(const QString &name, const QJsonObject &settings, QString *why);
    // Builds a connection from the JSON given to --add-connection: a settings layer with an
    // optional top-level "provider" (else the layer's CLAUDE_CODE_USE_* decides, else
    // anthropic).
    static bool fromSettingsJson(const QString &name, const QJsonObject &json, Connection *out,
                                 QString *why);

    // Each writes the file at once (0600, atomically) and reports why it could not.
    bool upsert(const Connection &connection, QString *error);
    bool remove(const QString &name, QString *error); // also drops its bindings
    bool rename(const QString &from, const QString &to, QString *error);

    // Workspace bindings, by canonical folder path.
    QString boundTo(const QString &workspace) const;
    QStringList workspacesBoundTo(const QString &name) const;
    bool bind(const QString &workspace, const QString &name, QString *error); // "" unbinds

    // The keychain entries (without prefix) a connection may hold, and what each one is.
    static QList<QPair<QString, QString>> secretEntries();

private:
    bool writable(QString *error) const;
    bool saveConnections(QString *error) const;
    bool saveBindings(QString *error) const;

    QString m_path;
    QString m_bindingsPath;
    QString m_error;
    bool m_loaded = false;
    QList<Connection> m_connections;
    QMap<QString, QString> m_bindings; // canonical workspace -> connection
};

} // namespace qlaude
