#pragma once

#include "AppServices.h"

#include <QDialog>
#include <QList>
#include <QMap>
#include <QPointer>

class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;

namespace qlaude {

class ConnectionTest;
class ProviderSettingsPage;
struct KeychainResult;

// Provider settings: a page each for Anthropic, AWS Bedrock, Google Vertex AI and Azure
// Foundry, and a Network page (proxy, CA certificates, client certificate; "Check network"
// shows what doctor says of them). Save writes the changed non-secret values into the `env` block
// of the user settings file (atomically, keeping every other key), and the secrets into the
// keychain only; then it calls services.reload. "Test connection" reloads and runs the --doctor
// checks for that page's provider, plus one small real request for Anthropic when a credential
// exists.
class SettingsDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY(SettingsDialog)
public:
    enum class Page
    {
        Anthropic,
        Bedrock,
        Vertex,
        Foundry,
        Network
    };

    explicit SettingsDialog(AppServices &services, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    void showPage(Page page);
    ProviderSettingsPage *page(Page page) const;
    QString statusText() const;
    bool isBusy() const { return m_busy; }
    // The file Save writes: the user settings file the context read.
    QString userSettingsPath() const;

signals:
    // A save finished, successfully or not, and services were reloaded after a success.
    void saved(bool ok);

private:
    void buildUi();
    void save();
    void saveSecrets(QMap<QString, QString> secrets, QMap<QString, QString> changes,
                     QStringList failures);
    void writeFile(const QMap<QString, QString> &changes, const QStringList &failures);
    void finishSave(bool ok, const QString &message);
    void runTest(ProviderSettingsPage *page);
    void reportTest(ProviderSettingsPage *page);
    void showBanner(const QString &text);
    void showStatus(const QString &text);
    void setBusy(bool busy);
    void reloadPages();

    AppServices &m_services;
    QList<ProviderSettingsPage *> m_pages;
    QListWidget *m_list = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_banner = nullptr;
    QLabel *m_fileLabel = nullptr;
    QLabel *m_statusLabel = nullptr;
    QPushButton *m_saveButton = nullptr;
    QPushButton *m_closeButton = nullptr;
    QPointer<ConnectionTest> m_test;
    bool m_busy = false;
};

} // namespace qlaude
