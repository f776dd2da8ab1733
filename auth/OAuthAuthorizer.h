#pragma once

#include "Authorizer.h"
#include "OAuthTokenStore.h"

#include <QList>
#include <QObject>

#include <functional>
#include <memory>

namespace qlaude {

class KeychainStore;
class NetworkAccess;
class NetworkSetup;
class OAuthClient;
class RefreshLock;

// The stored OAuth login as an Authorizer. It refreshes when now + 5 min >= expiry and after the
// API rejected the token (invalidate()).
// - Single flight in the process: every authorize() that arrives while a read or refresh is under
//   way waits for that one.
// - Across processes: the refresh runs under RefreshLock, and the keychain is read again once the
//   lock is held; when another process already stored a fresh token, that one is used.
// - invalid_grant wipes the stored login and reports "signed out".
class OAuthAuthorizer : public QObject, public Authorizer
{
    Q_OBJECT
    Q_DISABLE_COPY(OAuthAuthorizer)
public:
    // keychainService: "qlaude" in the app, a private name in tests. lockPath empty:
    // RefreshLock::defaultPath().
    explicit OAuthAuthorizer(const QString &keychainService = QStringLiteral("qlaude"),
                             const QString &lockPath = QString(), QObject *parent = nullptr);
    ~OAuthAuthorizer() override;

    void authorize(Callback callback) override;
    // The API answered 401 (or 403 "OAuth token has been revoked") with the current token: the
    // next authorize() reads the keychain again and refreshes unless another process did.
    bool invalidate() override;

    void setClock(std::function<qint64()> nowMs);
    // The named connection's entries ("connection:<name>:"), before the first authorize().
    void setKeychainPrefix(const QString &prefix);
    // Proxies for the token endpoint (takes ownership), e.g. ProxySettings from the environment.
    void setNetworkSetup(std::shared_ptr<const NetworkSetup> setup);
    int refreshesStarted() const { return m_refreshes; }
    // The login in memory is newer than the keychain's copy (refreshed while it was away).
    bool holdsUnsavedLogin() const { return m_unsaved; }

    static Credential credentialFor(const OAuthTokens &tokens);
    // What the user is told after invalid_grant.
    static QString signedOutMessage();

signals:
    void tokensRefreshed();                 // this process refreshed and stored the login
    void signedOut(const QString &message); // the refresh token is dead; the login was wiped
    // The keychain is locked or gone while this run holds a login: it goes on with that login,
    // in memory only (a refreshed one too), and says so in `message`. Once per outage.
    void keychainUnavailable(const QString &message);
    // The keychain answers again; a login refreshed while it was away has been stored in it.
    void keychainRecovered();

private:
    enum class Stage
    {
        Unlocked,
        Locked
    };
    bool usable(const OAuthTokens &tokens) const;
    void start();
    void onRead(const OAuthTokenStore::ReadResult &result, Stage stage);
    void refresh(const OAuthTokens &tokens);
    void onInvalidGrant(const OAuthTokens &used, const QString &serverMessage);
    void finishOk();
    void finishError(const QString &message);
    void noteKeychainDown(const QString &message);
    OAuthTokens keychainAnswered(const OAuthTokens &stored);

    std::function<qint64()> m_now;
    OAuthTokens m_tokens;
    bool m_loaded = false;
    QString m_rejected; // an access token the API refused
    bool m_busy = false;
    int m_refreshes = 0;
    QList<Callback> m_waiters;
    bool m_keychainDown = false; // the last keychain call found it locked or gone
    bool m_unsaved = false;      // m_tokens was refreshed but could not be stored
    QString m_unsavedFrom;       // the refresh token the keychain still holds then
    // Declared last, destroyed first: nothing calls back into a half-destroyed authorizer.
    std::unique_ptr<NetworkAccess> m_nam;
    std::unique_ptr<KeychainStore> m_keychain;
    std::unique_ptr<OAuthTokenStore> m_store;
    std::unique_ptr<OAuthClient> m_client;
    std::unique_ptr<RefreshLock> m_lock;
};

} // namespace qlaude
