#pragma once

#include "AppServices.h"
#include "Credential.h"
#include "KeychainStore.h"

#include <QDialog>
#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QVBoxLayout;

namespace qlaude {

class ConnectionTest;
struct ApiError;
struct KeychainResult;

// Logs in with an API key or a gateway's bearer token. "Test and save" first makes one tiny
// real request (GET /v1/models against the effective ANTHROPIC_BASE_URL) with the typed
// secret, asynchronously, and only when it succeeds writes the secret to the keychain
// ("api-key" or "bearer-token") and calls services.reload; then the dialog accepts. It also
// says when the environment or an apiKeyHelper already provides a credential, and offers the
// cloud providers' settings instead.
class LoginDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY(LoginDialog)
public:
    // The keychain entry for a gateway's bearer token (sent as Authorization: Bearer).
    static constexpr const char *kBearerTokenKey = KeychainStore::kBearerToken;

    explicit LoginDialog(AppServices &services, QWidget *parent = nullptr);
    ~LoginDialog() override;

    // The seam for the Claude.ai subscription login: the widget (for example a button that
    // opens the browser login) is shown as the first choice. The dialog takes ownership.
    void addSubscriptionOption(QWidget *widget);

    bool isBusy() const;
    QString statusText() const;

    // A keychain save that has not answered after this long is explained (a locked keyring
    // waiting for its password, say), and Cancel stops waiting for it.
    static constexpr int kKeychainSlowMs = 3000;

signals:
    // "Use a cloud provider" was chosen; the dialog has closed (rejected).
    void providerSettingsRequested();
    // A tested secret was written to the keychain under this key (before the reload).
    void credentialSaved(const QString &keychainKey);
    // The secret worked but no keychain can store it. Emitted only when connected, so the app
    // can keep it in memory for this run; otherwise the dialog says that nothing was saved.
    void sessionCredentialProvided(const qlaude::Credential &credential);

public slots:
    // Escape and Cancel stop a running test first; a second press closes.
    void reject() override;

private:
    enum class Choice
    {
        ApiKey,
        BearerToken
    };

    void buildUi();
    Choice choice() const;
    QLineEdit *currentLineEdit() const;
    QString keychainKey() const;
    void updateChoice();
    void refreshExistingCredential();
    QString existingCredentialText() const;

    void testAndSave();
    void onTestFinished(int modelCount, const ApiError &error);
    void onSaved(const KeychainResult &result);
    void updateKeychainWait();
    void stopWaitingForKeychain();
    void finishAfterReload();
    void clearPending();

    enum class Tone
    {
        Info,
        Error,
        Success
    };
    void setBusy(bool busy);
    void showStatus(Tone tone, const QString &text);
    void fitHeight();

    AppServices &m_services;
    QRadioButton *m_apiKeyRadio = nullptr;
    QRadioButton *m_bearerRadio = nullptr;
    QLineEdit *m_apiKeyEdit = nullptr;
    QLineEdit *m_bearerEdit = nullptr;
    QLabel *m_existingLabel = nullptr;
    QLabel *m_targetLabel = nullptr;
    QWidget *m_subscriptionBox = nullptr;
    QVBoxLayout *m_subscriptionLayout = nullptr;
    QLabel *m_statusIcon = nullptr;
    QLabel *m_statusLabel = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_testAndSaveButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QPushButton *m_cloudButton = nullptr;

    QPointer<ConnectionTest> m_test;
    Credential m_pending; // the secret under test or being saved; cleared right after
    bool m_saving = false;
    // The save being waited for: an answer for an earlier one (abandoned with Cancel) is ignored.
    quint64 m_saveId = 0;
    bool m_keychainSlow = false; // the save has taken longer than kKeychainSlowMs
    QTimer m_keychainTimer;      // while saving: looks at how long it has taken
    QElapsedTimer m_keychainClock;
};

} // namespace qlaude
