#pragma once

#include "Connections.h"

#include <QPointer>
#include <QWidget>

#include <functional>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QFormLayout;

namespace qlaude {

struct AppServices;
class ConnectionTest;
class KeychainStore;
struct KeychainResult;

// Settings > Connections: the named connections, each a provider with its non-secret settings
// (saved to connections.json) and its secrets (saved to the keychain under
// "connection:<name>:"). Add, rename, duplicate, remove and test; "Test" tries the values on
// screen, saved or not. Nothing here blocks the UI thread: keychain jobs and the test request
// report back.
class ConnectionsPage : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY(ConnectionsPage)
public:
    explicit ConnectionsPage(AppServices &services, QWidget *parent = nullptr);
    ~ConnectionsPage() override;

    // The connection being edited, as the form shows it (unsaved values included).
    Connection editedConnection() const;
    QString currentName() const;
    QString statusText() const;
    bool isBusy() const { return m_busy; }

    // Actions (also behind the page's buttons). Add and Rename ask for the name unless given.
    void addConnection(const QString &name = QString());
    void renameConnection(const QString &newName = QString());
    void duplicateConnection();
    void removeConnection(bool confirmed = false);
    void save();
    void test();

signals:
    // Any job finished (save, rename, duplicate, remove, test), successfully or not.
    void finished(bool ok);

private:
    void buildUi();
    void reloadList(const QString &select);
    void showConnection(const QString &name);
    void providerChanged();
    void setBusy(bool busy);
    void setStatus(const QString &text, bool ok = true);
    void done(bool ok, const QString &text);
    ConnectionStore store() const;
    // The secret typed for the provider shown, and its keychain entry ("" when none typed).
    QString typedSecretEntry() const;
    QString typedSecret() const;
    // Copies (or moves) every stored secret from one connection's entries to another's.
    void copySecrets(const QString &from, const QString &to, bool move,
                     std::function<void(bool ok, const QString &error)> then);
    void afterChange(const QString &select, const QString &message);

    AppServices &m_services;
    KeychainStore *m_keychain;
    QListWidget *m_list;
    QLabel *m_emptyLabel;
    QWidget *m_editor;
    QLabel *m_nameLabel;
    QComboBox *m_provider;
    QFormLayout *m_form;
    QList<QWidget *> m_providerRows[4]; // each provider's fields, shown when it is chosen
    QLineEdit *m_model;
    QPlainTextEdit *m_headers;
    // Anthropic
    QLineEdit *m_baseUrl;
    QComboBox *m_credentialKind;
    QLineEdit *m_anthropicSecret;
    // Bedrock
    QLineEdit *m_awsRegion;
    QLineEdit *m_awsProfile;
    QLineEdit *m_bedrockUrl;
    QLineEdit *m_bedrockSecret;
    // Vertex
    QLineEdit *m_vertexProject;
    QLineEdit *m_vertexRegion;
    QLineEdit *m_vertexUrl;
    // Foundry
    QLineEdit *m_foundryResource;
    QLineEdit *m_foundryUrl;
    QLineEdit *m_foundrySecret;
    QLabel *m_stored;
    QLabel *m_status;
    QPushButton *m_addButton;
    QPushButton *m_renameButton;
    QPushButton *m_duplicateButton;
    QPushButton *m_removeButton;
    QPushButton *m_testButton;
    QPushButton *m_saveButton;
    QList<Connection> m_unsaved;  // added but not saved yet
    QJsonObject m_loadedSettings; // the shown connection's layer, to keep keys the form lacks
    QPointer<ConnectionTest> m_test;
    bool m_busy = false;
};

} // namespace qlaude
