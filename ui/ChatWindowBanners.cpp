#include "ChatWindowBanners.h"

#include "ApiError.h"
#include "AppServices.h"
#include "ErrorBanner.h"

#include <QPushButton>

namespace qlaude {

ChatWindowBanners::ChatWindowBanners(ErrorBanner *trust, ErrorBanner *account, ErrorBanner *error,
                                     QObject *parent)
    : QObject(parent), m_trust(trust), m_account(account), m_error(error)
{
    m_trust->hide();
    connect(m_trust, &ErrorBanner::actionTriggered, this,
            [this] { emit actionRequested(Action::Trust); });
    connect(m_trust, &ErrorBanner::dismissed, this, [this] { m_trustDismissed = true; });
    m_countdown.setInterval(200);
    connect(&m_countdown, &QTimer::timeout, this, &ChatWindowBanners::updateCountdown);
    connect(m_account, &ErrorBanner::actionTriggered, this,
            [this] { emit actionRequested(m_accountAction); });
    connect(m_error, &ErrorBanner::actionTriggered, this,
            [this] { emit actionRequested(m_errorAction); });
    connect(m_error, &ErrorBanner::secondActionTriggered, this,
            [this] { emit actionRequested(m_errorSecondAction); });
    connect(m_error, &ErrorBanner::dismissed, &m_countdown, &QTimer::stop);
}

QString ChatWindowBanners::cloudCredentialHint() const
{
    switch (m_provider) {
    case Provider::Bedrock:
        return tr("Check your AWS credentials (profile, access keys or Bedrock API key).");
    case Provider::Vertex:
        return tr("Check your Google Cloud credentials (gcloud auth application-default login).");
    case Provider::Foundry:
        return tr("Check your Azure credentials (the Foundry API key or your Entra ID sign-in).");
    case Provider::Anthropic:
        break;
    }
    return QString();
}

void ChatWindowBanners::showTrustState(const TrustState &trust)
{
    if (!trust.needsApproval()) {
        m_trustDismissed = false;
        m_trust->hide();
        return;
    }
    if (m_trustDismissed)
        return;
    m_trust->showMessage(ErrorBanner::Severity::Info,
                         tr("This folder is not trusted, so its settings that run commands or "
                            "change where Qlaude sends your credentials are not used."),
                         tr("Trust This Folder…"));
}

void ChatWindowBanners::showAccountState(const AppServices &services, bool canChat)
{
    const Resolution &r = services.resolution;
    m_provider = r.provider;
    const KeychainSnapshot &k = services.keychainSnapshot;
    if (canChat && k.read && k.heldInMemory &&
        r.credential.source.startsWith(QLatin1String("keychain:"))) {
        // The keychain went away (stopped or locked) after the login was read: say so, and go on.
        m_accountAction = Action::Reload;
        m_account->showMessage(ErrorBanner::Severity::Warning,
                               tr("%1 Qlaude goes on with the login it read before, held in "
                                  "memory for this session. Press Retry once the keychain is back.")
                                   .arg(k.stateMessage),
                               tr("Retry"));
        return;
    }
    if (canChat) {
        m_account->hide();
        m_accountAction = Action::None;
        return;
    }
    if (r.provider != Provider::Anthropic) {
        m_accountAction = Action::Settings;
        m_account->showMessage(ErrorBanner::Severity::Error,
                               r.problems.isEmpty() ? r.summary : r.problems.join(QLatin1Char(' ')),
                               tr("Open Provider Settings"));
    } else if (k.read && k.state == KeychainState::Locked) {
        m_accountAction = Action::Reload;
        m_account->showMessage(ErrorBanner::Severity::Warning,
                               tr("The keychain is locked, so your stored login can't be read. "
                                  "Unlock it, then press Retry. You are not logged out."),
                               tr("Retry"));
    } else if (k.read && k.state == KeychainState::Unavailable) {
        m_accountAction = Action::LogIn;
        m_account->showMessage(ErrorBanner::Severity::Warning,
                               tr("%1 Log in for this session, or set "
                                  "ANTHROPIC_API_KEY.")
                                   .arg(k.stateMessage),
                               tr("Log In"));
    } else {
        m_accountAction = Action::LogIn;
        m_account->showMessage(ErrorBanner::Severity::Info,
                               tr("You're not logged in. Log in to start chatting, or set "
                                  "ANTHROPIC_API_KEY and start Qlaude again."),
                               tr("Log In"));
    }
}

void ChatWindowBanners::setAccountBusy(bool busy)
{
    m_account->actionButton()->setEnabled(!busy);
}

void ChatWindowBanners::showProblem(const QString &text)
{
    m_stalledShown = false;
    m_errorSecondAction = Action::None;
    m_countdown.stop();
    m_errorAction = Action::None;
    m_error->showMessage(ErrorBanner::Severity::Warning, text);
}

void ChatWindowBanners::showSettingsProblems(const QStringList &problems)
{
    if (problems.isEmpty()) {
        if (m_errorAction == Action::Doctor)
            hideError(); // the files were fixed
        return;
    }
    m_countdown.stop();
    m_stalledShown = false;
    m_errorSecondAction = Action::None;
    m_errorAction = Action::Doctor;
    QString text = problems.constFirst() + QLatin1Char('.');
    if (problems.size() > 1)
        text += QLatin1Char(' ') + tr("%n more settings file(s) could not be read either.", "",
                                      int(problems.size() - 1));
    text += QLatin1Char(' ') + tr("Fix the file and restart Qlaude; until then its settings do "
                                  "not apply.");
    m_error->showMessage(ErrorBanner::Severity::Warning, text, tr("Open Doctor"));
}

void ChatWindowBanners::showTurnError(const ApiError &e, bool onMessage)
{
    m_stalledShown = false;
    m_errorSecondAction = Action::None;
    m_countdown.stop();
    // The error once: in the failed answer's note when there is one, else here.
    const QString what =
        onMessage ? tr("The answer failed; the reason is under it.") : e.userMessage();
    const auto show = [this, &what](ErrorBanner::Severity severity, Action action,
                                    const QString &nextStep, const QString &actionText) {
        m_errorAction = action;
        m_error->showMessage(
            severity, nextStep.isEmpty() ? what : what + QLatin1Char(' ') + nextStep, actionText);
    };
    switch (e.kind) {
    case ApiError::Kind::None:
    case ApiError::Kind::Cancelled:
        return;
    case ApiError::Kind::Auth:
        if (m_provider != Provider::Anthropic) {
            show(ErrorBanner::Severity::Error, Action::Settings, cloudCredentialHint(),
                 tr("Open Provider Settings"));
            return;
        }
        show(ErrorBanner::Severity::Error, Action::LogIn,
             onMessage ? tr("Log in, then ask again.") : QString(), tr("Log In"));
        return;
    case ApiError::Kind::Config:
        show(ErrorBanner::Severity::Error, Action::Settings,
             onMessage ? tr("Check the provider settings.") : QString(),
             tr("Open Provider Settings"));
        return;
    case ApiError::Kind::Http:
        if (e.httpStatus == 401 && m_provider != Provider::Anthropic) {
            // A cloud provider rejected the credential: there is no Claude login to renew.
            show(ErrorBanner::Severity::Error, Action::Settings, cloudCredentialHint(),
                 tr("Open Provider Settings"));
            return;
        }
        if (e.httpStatus == 401) {
            show(ErrorBanner::Severity::Error, Action::LogIn,
                 onMessage ? tr("Log in again, then ask again.") : QString(), tr("Log In Again"));
            return;
        }
        if (e.httpStatus == 403 || e.httpStatus == 404) {
            show(ErrorBanner::Severity::Error, Action::Settings,
                 onMessage ? tr("Check the model and your access in the provider settings.")
                           : QString(),
                 tr("Open Provider Settings"));
            return;
        }
        break;
    case ApiError::Kind::InStream:
    case ApiError::Kind::Connection:
    case ApiError::Kind::Timeout:
    case ApiError::Kind::Protocol:
        break;
    }
    // Overload, rate limits that outlasted the retries, dropped connections: ask again.
    const bool busy = e.httpStatus == 429 || e.httpStatus == 529;
    show(busy ? ErrorBanner::Severity::Warning : ErrorBanner::Severity::Error, Action::TryAgain,
         onMessage && busy ? tr("Wait a moment, then try again.") : QString(), tr("Try Again"));
}

void ChatWindowBanners::showRetrying(int retry, qint64 delayMs, const ApiError &reason)
{
    m_stalledShown = false;
    m_errorSecondAction = Action::None;
    m_retryAttempt = retry;
    m_retryDeadline.setRemainingTime(delayMs, Qt::PreciseTimer);
    if (reason.httpStatus == 429)
        m_retryReason = tr("Rate limit reached (HTTP 429).");
    else if (reason.httpStatus == 529 || reason.type == QLatin1String("overloaded_error"))
        m_retryReason = tr("The API is overloaded (HTTP 529).");
    else
        m_retryReason = tr("The request failed (%1).").arg(reason.shortDescription());
    m_errorAction = Action::Stop;
    m_error->showMessage(ErrorBanner::Severity::Warning, QString(), tr("Stop"));
    updateCountdown();
    m_countdown.start();
}

void ChatWindowBanners::showStalled(int seconds)
{
    const QString text = tr("No data from the API for %1 s. The answer may have stalled: Stop "
                            "keeps what arrived, Retry asks again.")
                             .arg(seconds);
    if (m_stalledShown && m_error->isVisible()) {
        m_error->setText(text);
        return;
    }
    m_countdown.stop();
    m_stalledShown = true;
    m_errorAction = Action::Stop;
    m_errorSecondAction = Action::Retry;
    m_error->showMessage(ErrorBanner::Severity::Warning, text, tr("Stop"), tr("Retry"));
}

void ChatWindowBanners::hideStalled()
{
    if (!m_stalledShown)
        return;
    m_stalledShown = false;
    m_errorSecondAction = Action::None;
    if (m_errorAction == Action::Stop)
        hideError();
}

void ChatWindowBanners::updateCountdown()
{
    if (m_errorAction != Action::Stop || m_error->isHidden()) {
        m_countdown.stop();
        return;
    }
    const int seconds = int((m_retryDeadline.remainingTime() + 999) / 1000);
    if (seconds > 0)
        m_error->setText(tr("%1 Retrying in %2 s (retry %3)…")
                             .arg(m_retryReason)
                             .arg(seconds)
                             .arg(m_retryAttempt));
    else
        m_error->setText(tr("%1 Retrying now (retry %2)…").arg(m_retryReason).arg(m_retryAttempt));
}

void ChatWindowBanners::hideRetrying()
{
    if (m_errorAction != Action::Stop)
        return;
    hideError();
}

bool ChatWindowBanners::clearCredentialError()
{
    if (m_errorAction != Action::LogIn && m_errorAction != Action::Settings)
        return false;
    const bool shown = !m_error->isHidden();
    hideError();
    return shown;
}

void ChatWindowBanners::hideError()
{
    m_countdown.stop();
    m_stalledShown = false;
    m_errorAction = Action::None;
    m_errorSecondAction = Action::None;
    m_error->hide();
}

} // namespace qlaude
