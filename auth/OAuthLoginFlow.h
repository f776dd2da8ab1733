#pragma once

#include "OAuthProfile.h"
#include "OAuthTokens.h"
#include "PkceSession.h"

#include <QObject>
#include <QTimer>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;

namespace qlaude {

class LoopbackReceiver;
class OAuthClient;
class OAuthTokenStore;

// One OAuth login, whatever the front end: authorization code with PKCE (S256) and state.
// start() makes a fresh verifier and state, runs OIDC discovery when needed, opens the loopback
// listener and emits ready(); then the code may come from
// - the loopback listener (the system browser was sent to authorizeUrl()),
// - a redirect caught by an embedded browser, handed in with handleRedirect(),
// - a paste of "code#state" (or of the whole redirect URL) with submitPastedCode().
// The first good one wins, and the exchange uses the redirect_uri of the route that won. A wrong
// state or a malformed paste is refused (inputRejected()) and the attempt goes on.
class OAuthLoginFlow : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(OAuthLoginFlow)
public:
    enum class Route
    {
        Loopback, // the listener on 127.0.0.1
        Embedded, // handleRedirect()
        Pasted    // submitPastedCode()
    };
    Q_ENUM(Route)
    enum class Outcome
    {
        Succeeded,
        Failed,
        Cancelled,
        TimedOut
    };
    Q_ENUM(Outcome)
    enum class State
    {
        Idle,
        Preparing, // OIDC discovery
        Waiting,   // for the code
        Exchanging,
        Finished
    };

    static constexpr int kDefaultTimeoutMs = 10 * 60 * 1000;

    // The manager is not owned and must outlive the flow.
    OAuthLoginFlow(OAuthProfile profile, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~OAuthLoginFlow() override;

    // How long start() waits for a code; 0: no limit. Default kDefaultTimeoutMs.
    void setTimeout(int ms) { m_timeoutMs = ms; }
    // When set, the tokens are written there before finished(Succeeded); a failed write fails the
    // login. Not owned.
    void setTokenStore(OAuthTokenStore *store) { m_store = store; }

    // Begins a new attempt (ending any earlier one without a signal). ready() or finished(Failed)
    // follows, from the event loop.
    void start();
    // Ends the attempt: finished(Cancelled). Closing the login window means this.
    void cancel();

    State state() const { return m_state; }
    const OAuthProfile &profile() const { return m_profile; } // with discovered endpoints

    // Valid after ready().
    QUrl authorizeUrl() const;       // redirect_uri = the loopback listener
    QUrl manualAuthorizeUrl() const; // redirect_uri = the code-paste page; empty when none
    QString loopbackRedirectUri() const;
    QString manualRedirectUri() const;
    bool hasManualRedirect() const { return !m_profile.manualRedirectUri.isEmpty(); }

    // For an embedded browser's navigation filter: the URL goes to one of this attempt's redirect
    // URIs (scheme, host, port and path match). Such a navigation must not reach the network.
    bool isRedirect(const QUrl &url) const;
    // A caught redirect. Returns false (and emits inputRejected) when it is not acceptable.
    bool handleRedirect(const QUrl &url);
    // "code#state", or a whole redirect URL. Returns false (and emits inputRejected) when refused.
    bool submitPastedCode(const QString &text);

    // After finished(Succeeded).
    const OAuthTokens &tokens() const { return m_tokens; }
    Route winningRoute() const { return m_route; }
    QString errorString() const { return m_error; }

signals:
    void ready();
    void codeReceived(qlaude::OAuthLoginFlow::Route route); // the exchange begins
    void inputRejected(const QString &message);             // the attempt continues
    void finished(qlaude::OAuthLoginFlow::Outcome outcome, const QString &message);

private:
    void listen();
    void accept(const QString &code, const QString &redirectUri, Route route);
    bool acceptReturned(const QString &code, const QString &state, const QString &redirectUri,
                        Route route);
    void finish(Outcome outcome, const QString &message);
    void teardown();
    bool refuse(const QString &message);
    static bool sameEndpoint(const QUrl &a, const QUrl &b);

    OAuthProfile m_profile;
    QNetworkAccessManager *m_nam;
    OAuthTokenStore *m_store = nullptr;
    int m_timeoutMs = kDefaultTimeoutMs;
    State m_state = State::Idle;
    PkceSession m_pkce;
    QString m_loopbackRedirect;
    OAuthTokens m_tokens;
    Route m_route = Route::Loopback;
    QString m_error;
    int m_generation = 0;
    QTimer m_timer;
    std::unique_ptr<LoopbackReceiver> m_receiver;
    std::unique_ptr<OAuthClient> m_client;
};

} // namespace qlaude
