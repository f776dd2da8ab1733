#include "OAuthAuthorizer.h"

#include "KeychainStore.h"
#include "NetworkAccess.h"
#include "OAuthClient.h"
#include "RefreshLock.h"

#include <QDateTime>
#include <QNetworkAccessManager>

namespace qlaude {

namespace {
const QString kLogInAgain = QStringLiteral("Log in again with qlaude --login=oauth.");
}

QString OAuthAuthorizer::signedOutMessage()
{
    return QStringLiteral("Signed out, please log in again: the sign-in server no longer accepts "
                          "this login (invalid_grant), so it was removed from the keychain. Run "
                          "qlaude --login=oauth to sign in.");
}

OAuthAuthorizer::OAuthAuthorizer(const QString &keychainService, const QString &lockPath,
                                 QObject *parent)
    : QObject(parent), m_now([] { return QDateTime::currentMSecsSinceEpoch(); }),
      m_nam(std::make_unique<NetworkAccess>()),
      m_keychain(std::make_unique<KeychainStore>(keychainService)),
      m_store(std::make_unique<OAuthTokenStore>(m_keychain.get())),
      m_client(std::make_unique<OAuthClient>(m_nam.get())),
      m_lock(std::make_unique<RefreshLock>(lockPath))
{
}

OAuthAuthorizer::~OAuthAuthorizer()
{
    m_tokens.wipe();
}

void OAuthAuthorizer::setKeychainPrefix(const QString &prefix)
{
    m_keychain->setKeyPrefix(prefix);
}

void OAuthAuthorizer::setClock(std::function<qint64()> nowMs)
{
    m_now = nowMs;
    m_client->setClock(std::move(nowMs));
}

void OAuthAuthorizer::setNetworkSetup(std::shared_ptr<const NetworkSetup> setup)
{
    m_nam->setSetup(std::move(setup));
}

Credential OAuthAuthorizer::credentialFor(const OAuthTokens &t)
{
    Credential c;
    // An organization SSO token goes to the gateway as a plain Bearer, without the oauth beta.
    c.kind = t.profile == QLatin1String("oidc") ? CredentialKind::Bearer : CredentialKind::OAuth;
    c.source = QStringLiteral("keychain:oauth");
    c.bearerToken = t.accessToken;
    return c;
}

bool OAuthAuthorizer::usable(const OAuthTokens &t) const
{
    return !t.isEmpty() && !t.needsRefresh(m_now()) && t.accessToken != m_rejected;
}

void OAuthAuthorizer::authorize(Callback callback)
{
    // While the keychain is away, each call asks it again (a quick D-Bus error), so its return
    // is noticed and a login refreshed meanwhile is stored then.
    if (!m_busy && m_loaded && usable(m_tokens) && !m_keychainDown && !m_unsaved) {
        callback(credentialFor(m_tokens), QString());
        return;
    }
    m_waiters.append(std::move(callback));
    if (!m_busy)
        start();
}

bool OAuthAuthorizer::invalidate()
{
    if (!m_loaded || m_tokens.isEmpty())
        return false;
    m_rejected = m_tokens.accessToken;
    // Another process may hold a newer token even when this one cannot refresh.
    return true;
}

void OAuthAuthorizer::start()
{
    m_busy = true;
    m_store->read([this](const OAuthTokenStore::ReadResult &r) { onRead(r, Stage::Unlocked); });
}

void OAuthAuthorizer::onRead(const OAuthTokenStore::ReadResult &result, Stage stage)
{
    OAuthTokenStore::ReadResult r = result;
    if (!r.ok() && !r.notFound() && m_loaded && !m_tokens.isEmpty()) {
        // The keychain is locked or gone, but this run holds the login: go on with it.
        noteKeychainDown(r.message);
        r.status = KeychainResult::Status::Ok;
        r.tokens = m_tokens;
    } else if (r.ok()) {
        r.tokens = keychainAnswered(r.tokens);
    }
    if (!r.ok()) {
        m_lock->release();
        m_loaded = false;
        m_tokens.wipe();
        finishError(r.notFound() ? QStringLiteral("You are not logged in: no OAuth login is "
                                                  "stored in the keychain. ") +
                                       kLogInAgain
                                 : r.message);
        return;
    }
    m_tokens = r.tokens;
    m_loaded = true;
    if (usable(m_tokens)) {
        // Fresh enough, or another process refreshed it since the API refused ours.
        m_lock->release();
        finishOk();
        return;
    }
    if (!m_tokens.canRefresh()) {
        m_lock->release();
        finishError((m_tokens.accessToken == m_rejected
                         ? QStringLiteral("The API no longer accepts the stored login, and it "
                                          "holds no refresh token. ")
                         : QStringLiteral("Your login has expired and holds no refresh token. ")) +
                    kLogInAgain);
        return;
    }
    if (stage == Stage::Unlocked) {
        m_lock->acquire([this](bool, const QString &) {
            // Without the lock (a stuck holder, a permission problem) refreshing is still better
            // than failing; either way the keychain is read again first.
            m_store->read(
                [this](const OAuthTokenStore::ReadResult &again) { onRead(again, Stage::Locked); });
        });
        return;
    }
    refresh(m_tokens);
}

void OAuthAuthorizer::refresh(const OAuthTokens &tokens)
{
    ++m_refreshes;
    m_client->refresh(tokens, [this, tokens](const OAuthTokens &fresh, const OAuthError &e) {
        if (e.kind == OAuthError::Kind::InvalidGrant) {
            onInvalidGrant(tokens, e.message);
            return;
        }
        if (e.isError()) {
            m_lock->release();
            finishError(e.message + QStringLiteral(" Try again; if it keeps failing, log in "
                                                   "again with qlaude --login=oauth."));
            return;
        }
        m_store->write(fresh, [this, fresh, tokens](const KeychainResult &w) {
            m_lock->release();
            m_tokens = fresh;
            m_rejected.clear();
            if (!w.ok()) {
                // This run keeps working with the new token, in memory only, and stores it when
                // the keychain answers again (keychainAnswered()).
                if (!m_unsaved)
                    m_unsavedFrom = tokens.refreshToken;
                m_unsaved = true;
                noteKeychainDown(w.message);
            }
            emit tokensRefreshed();
            finishOk();
        });
    });
}

void OAuthAuthorizer::onInvalidGrant(const OAuthTokens &used, const QString &serverMessage)
{
    // Before wiping: a process that refreshed without our lock may have rotated the token we sent.
    m_store->read([this, used, serverMessage](const OAuthTokenStore::ReadResult &r) {
        if (r.ok() && r.tokens.refreshToken != used.refreshToken) {
            m_tokens = r.tokens;
            m_lock->release();
            if (usable(m_tokens))
                finishOk();
            else
                finishError(serverMessage + QLatin1Char(' ') + kLogInAgain);
            return;
        }
        m_store->remove([this](const KeychainResult &) {
            m_lock->release();
            m_tokens.wipe();
            m_tokens = OAuthTokens();
            m_loaded = false;
            const QString message = signedOutMessage();
            emit signedOut(message);
            finishError(message);
        });
    });
}

void OAuthAuthorizer::noteKeychainDown(const QString &message)
{
    if (m_keychainDown)
        return;
    m_keychainDown = true;
    qWarning("qlaude: %s", qUtf8Printable(message));
    emit keychainUnavailable(message + QStringLiteral(" Qlaude goes on with the login it holds in "
                                                      "memory for this run and writes it nowhere "
                                                      "else; a refreshed login is stored once the "
                                                      "keychain answers again."));
}

OAuthTokens OAuthAuthorizer::keychainAnswered(const OAuthTokens &stored)
{
    const bool wasDown = std::exchange(m_keychainDown, false);
    if (!m_unsaved || stored.refreshToken != m_unsavedFrom) {
        // Nothing to store, or another process stored a newer login meanwhile: that one wins.
        m_unsaved = false;
        if (wasDown)
            emit keychainRecovered();
        return stored;
    }
    // The keychain still holds the login this run refreshed away from: store the new one.
    const OAuthTokens ours = m_tokens;
    m_store->write(ours, [this](const KeychainResult &w) {
        if (!w.ok()) {
            noteKeychainDown(w.message);
            return;
        }
        m_unsaved = false;
        emit keychainRecovered();
    });
    return ours;
}

void OAuthAuthorizer::finishOk()
{
    const Credential c = credentialFor(m_tokens);
    const QList<Callback> waiters = std::exchange(m_waiters, {});
    m_busy = false;
    for (const Callback &cb : waiters)
        cb(c, QString());
}

void OAuthAuthorizer::finishError(const QString &message)
{
    const QList<Callback> waiters = std::exchange(m_waiters, {});
    m_busy = false;
    for (const Callback &cb : waiters)
        cb(Credential(), message);
}

} // namespace qlaude
