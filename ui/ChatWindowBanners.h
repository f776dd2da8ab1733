#pragma once

#include "AuthContext.h"

#include <QDeadlineTimer>
#include <QObject>
#include <QTimer>

namespace qlaude {

struct ApiError;
struct AppServices;
class ErrorBanner;

// What the chat window's banners say and offer: the trust notice (the folder's settings are not
// used until it is trusted), the account banner (no credential, a locked keychain, a provider
// without a credential chain) and the error banner (a failed turn, the "retrying in N s"
// countdown, other problems). The window carries out the actions.
//
// Each error is shown once. A failed answer carries its error in the note under it (kept in the
// history); the banner then says only what to do next, with the action. Errors that belong to
// no message (the history, settings files, a turn that could not start) are in the banner.
class ChatWindowBanners : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ChatWindowBanners)
public:
    enum class Action
    {
        None,
        LogIn,    // loginRequested
        Settings, // settingsRequested
        Reload,   // AppServices::reload, then servicesChanged
        Stop,     // stop the turn waiting for its retry
        TryAgain, // regenerate
        Doctor,   // doctorRequested
        Retry,    // stop the turn, then ask again
        Trust,    // trustRequested (File > Trust This Folder)
    };
    Q_ENUM(Action)

    ChatWindowBanners(ErrorBanner *trust, ErrorBanner *account, ErrorBanner *error,
                      QObject *parent = nullptr);

    // The folder's settings wait for trust (not asked yet, or "Don't trust"): the notice says
    // they are not used and offers to trust the folder. Hidden once trusted; a notice the
    // person closed stays closed while the settings keep waiting.
    void showTrustState(const TrustState &trust);

    // Hidden when chatting is possible; otherwise says why not and what to do.
    void showAccountState(const AppServices &services, bool canChat);
    void setAccountBusy(bool busy); // while a Retry reload runs

    // A rejected credential offers "Log In Again" for the Anthropic API, and the provider
    // settings with what to check for a cloud provider (the last showAccountState's provider).
    // onMessage: the failed answer shows the error in its note, so the banner leaves it out.
    void showTurnError(const ApiError &error, bool onMessage);
    void showProblem(const QString &text);
    // Settings files that were skipped (SettingsLayers::problems()): the first one, with the
    // doctor to see them all. Nothing when the list is empty.
    void showSettingsProblems(const QStringList &problems);
    void showRetrying(int retry, qint64 delayMs, const ApiError &reason);
    void hideRetrying();
    // An answer that has received nothing for `seconds`: Stop keeps what arrived, Retry asks
    // again. Hidden again by hideStalled() once data comes.
    void showStalled(int seconds);
    void hideStalled();
    // After a login or saved settings: an error that asked for one of them is stale. True when
    // one was shown.
    bool clearCredentialError();
    void hideError();

signals:
    void actionRequested(qlaude::ChatWindowBanners::Action action);

private:
    void updateCountdown();
    QString cloudCredentialHint() const;

    Provider m_provider = Provider::Anthropic;

    ErrorBanner *m_trust;
    bool m_trustDismissed = false;
    ErrorBanner *m_account;
    ErrorBanner *m_error;
    Action m_accountAction = Action::None;
    Action m_errorAction = Action::None;
    Action m_errorSecondAction = Action::None;
    bool m_stalledShown = false;
    QTimer m_countdown;
    QDeadlineTimer m_retryDeadline;
    QString m_retryReason;
    int m_retryAttempt = 0;
};

} // namespace qlaude
