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

class AuthContext;
class ConnectionTest;
class ProviderChoicePage;
class ProviderSettingsPage;
class ConnectionsPage;
struct KeychainResult;

// Provider settings: first the Provider page, the one choice of where requests go (it opens
// there), then a page each for Anthropic, AWS Bedrock, Google Vertex AI and Microsoft Foundry,
// a Network page (proxy, CA certificates, client certificate; "Check network" shows what
// doctor says of them), and the named connections (ConnectionsPage, with buttons of its own). Save
// writes the changed non-secret values into the `env` block of the user settings file (atomically,
// keeping every other key), and the secrets into the keychain only; then it calls services.reload.
// "Test connection" runs the --doctor checks for that page's provider, plus one small real request
// when a credential exists, with what the dialog shows: its unsaved values and choice layered over
// the effective settings.
class SettingsDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY(SettingsDialog)
public:
    // The pages in the order of the list; each is one row of it and one page of the stack.
    enum class Page
    {
        Provider,
        Anthropic,
        Bedrock,
        Vertex,
        Foundry,
        Network,
        Connections
    };

    explicit SettingsDialog(AppServices &services, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    void showPage(Page page);
    Page currentPage() const;
    // A page of fields (null for the Provider page).
    ProviderSettingsPage *page(Page page) const;
    ProviderChoicePage *providerChoice() const { return m_choice; }
    ConnectionsPage *connections() const { return m_connections; }
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
    void addPage(Page page, QWidget *widget, const QString &title);
    ProviderSettingsPage *pageFor(Provider provider) const;
    // Marks invalid fields; shows the first page with one and says so. False when one is.
    bool validatePages(bool forTest);

    AppServices &m_services;
    QList<ProviderSettingsPage *> m_pages; // the pages of fields, in the list's order
    QMap<Page, QWidget *> m_pageWidgets;   // every page, as the stack holds it
    ProviderChoicePage *m_choice = nullptr;
    ConnectionsPage *m_connections = nullptr;
    QListWidget *m_list = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_banner = nullptr;
    QLabel *m_fileLabel = nullptr;
    QLabel *m_statusLabel = nullptr;
    QPushButton *m_saveButton = nullptr;
    QPushButton *m_closeButton = nullptr;
    QPointer<ConnectionTest> m_test;
    // What "Test connection" tests, taken from the screen when it was pressed: the user
    // settings' env changes and the secrets typed in (memory only, dropped after the test).
    QMap<QString, QString> m_testChanges;
    QMap<QString, QString> m_testSecrets;
    bool m_testUnsaved = false;
    bool m_busy = false;
};

} // namespace qlaude
