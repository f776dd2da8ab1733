#pragma once

#include "AppServices.h"

#include <QWidget>

#include <memory>

class QLabel;
class QPushButton;

namespace qlaude {

class OAuthLoginFlow;
class OAuthTokenStore;

// The LoginDialog's subscription choice: "Sign in" opens the embedded browser (a plugin, so
// QtWebEngine loads only now); links offer the system browser and pasting a code. Without a
// client id it says in one sentence why the option is unavailable and which routes remain.
class SubscriptionLogin : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY(SubscriptionLogin)
public:
    explicit SubscriptionLogin(AppServices &services, QWidget *parent = nullptr);
    ~SubscriptionLogin() override;

signals:
    void signedIn(); // tokens stored and services reloaded
    // The status line changed: each step of the sign-in, or why it stopped.
    void statusChanged(const QString &text);

private:
    enum class Route
    {
        Embedded,
        System,
        Manual
    };
    void start(Route route);
    void finish(bool ok, const QString &message);
    void setStatus(const QString &text);

    AppServices &m_services;
    QLabel *m_statusLabel = nullptr;
    QPushButton *m_signInButton = nullptr;
    OAuthLoginFlow *m_flow = nullptr;
    // Where a login flow stores the tokens: lent to each flow (a child of this widget), which
    // never touches it from its destructor.
    std::unique_ptr<OAuthTokenStore> m_tokenStore;
};

} // namespace qlaude
