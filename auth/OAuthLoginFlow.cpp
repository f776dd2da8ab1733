#include "OAuthLoginFlow.h"

#include "LoopbackReceiver.h"
#include "OAuthClient.h"
#include "OAuthTokenStore.h"

#include <QCoreApplication>
#include <QPointer>
#include <QUrlQuery>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::OAuthLoginFlow)
};
} // namespace

OAuthLoginFlow::OAuthLoginFlow(OAuthProfile profile, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_profile(std::move(profile)), m_nam(nam)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        const int seconds = m_timeoutMs / 1000;
        const QString span = seconds >= 120 ? Tr::tr("%1 minutes").arg(seconds / 60)
                                            : Tr::tr("%1 seconds").arg(qMax(seconds, 1));
        finish(Outcome::TimedOut,
               Tr::tr("The sign-in timed out after %1 without an answer from the browser. "
                      "Start it again.")
                   .arg(span));
    });
}

OAuthLoginFlow::~OAuthLoginFlow()
{
    ++m_generation;
    m_pkce.clear();
    m_tokens.wipe();
}

void OAuthLoginFlow::start()
{
    teardown();
    const int generation = ++m_generation;
    m_tokens = OAuthTokens();
    m_error.clear();
    m_loopbackRedirect.clear();
    m_pkce = PkceSession::generate(); // every attempt starts fresh
    m_state = State::Preparing;
    m_client = std::make_unique<OAuthClient>(m_nam);
    if (!m_profile.isValid()) {
        const QString error = m_profile.error;
        QTimer::singleShot(0, this, [this, generation, error] {
            if (generation == m_generation)
                finish(Outcome::Failed, error);
        });
        return;
    }
    if (m_timeoutMs > 0)
        m_timer.start(m_timeoutMs);
    if (m_profile.needsDiscovery()) {
        m_client->discover(
            m_profile.issuer, [this, generation](const OidcDiscovery &d, const OAuthError &e) {
                if (generation != m_generation)
                    return;
                if (e.isError()) {
                    finish(Outcome::Failed, e.message);
                    return;
                }
                if (!m_profile.applyDiscovery(d.authorizationEndpoint, d.tokenEndpoint,
                                              d.revocationEndpoint)) {
                    finish(Outcome::Failed, m_profile.error);
                    return;
                }
                listen();
            });
        return;
    }
    QTimer::singleShot(0, this, [this, generation] {
        if (generation == m_generation)
            listen();
    });
}

void OAuthLoginFlow::listen()
{
    m_receiver = std::make_unique<LoopbackReceiver>();
    QString error;
    if (!m_receiver->listen(&error)) {
        finish(Outcome::Failed, error);
        return;
    }
    m_receiver->setExpectedState(m_pkce.state());
    m_receiver->setSuccessUrl(m_profile.successUrl);
    const QString redirect = m_receiver->redirectUri();
    m_loopbackRedirect = redirect;
    const int generation = m_generation;
    connect(m_receiver.get(), &LoopbackReceiver::codeReceived, this,
            [this, redirect, generation](const QString &code) {
                if (generation == m_generation && m_state == State::Waiting)
                    accept(code, redirect, Route::Loopback);
            });
    connect(m_receiver.get(), &LoopbackReceiver::authorizationDenied, this,
            [this, generation](const QString &error, const QString &description) {
                if (generation != m_generation || m_state != State::Waiting)
                    return;
                finish(Outcome::Failed,
                       Tr::tr("The sign-in was refused by the server (%1%2). Start it "
                              "again.")
                           .arg(error, description.isEmpty() ? QString()
                                                             : QStringLiteral(": ") + description));
            });
    connect(m_receiver.get(), &LoopbackReceiver::requestRejected, this,
            [this](int status, const QString &reason) {
                if (status == 400 && m_state == State::Waiting)
                    emit inputRejected(reason);
            });
    m_state = State::Waiting;
    emit ready();
}

QString OAuthLoginFlow::loopbackRedirectUri() const
{
    return m_loopbackRedirect;
}

QString OAuthLoginFlow::manualRedirectUri() const
{
    return m_profile.manualRedirectUri.toString(QUrl::FullyEncoded);
}

QUrl OAuthLoginFlow::authorizeUrl() const
{
    if (m_state != State::Waiting)
        return QUrl();
    return m_profile.authorizationUrl(m_pkce, loopbackRedirectUri());
}

QUrl OAuthLoginFlow::manualAuthorizeUrl() const
{
    if (m_state != State::Waiting || !hasManualRedirect())
        return QUrl();
    return m_profile.authorizationUrl(m_pkce, manualRedirectUri());
}

bool OAuthLoginFlow::sameEndpoint(const QUrl &a, const QUrl &b)
{
    return a.isValid() && b.isValid() && a.scheme() == b.scheme() &&
           a.host().compare(b.host(), Qt::CaseInsensitive) == 0 &&
           a.port(a.scheme() == QLatin1String("https") ? 443 : 80) ==
               b.port(b.scheme() == QLatin1String("https") ? 443 : 80) &&
           a.path() == b.path();
}

bool OAuthLoginFlow::isRedirect(const QUrl &url) const
{
    if (m_state != State::Waiting)
        return false;
    return sameEndpoint(url, QUrl(loopbackRedirectUri())) ||
           (hasManualRedirect() && sameEndpoint(url, m_profile.manualRedirectUri));
}

bool OAuthLoginFlow::refuse(const QString &message)
{
    emit inputRejected(message);
    return false;
}

bool OAuthLoginFlow::handleRedirect(const QUrl &url)
{
    if (m_state != State::Waiting)
        return refuse(Tr::tr("No sign-in is waiting for an answer."));
    QString redirect;
    if (sameEndpoint(url, QUrl(loopbackRedirectUri())))
        redirect = loopbackRedirectUri();
    else if (hasManualRedirect() && sameEndpoint(url, m_profile.manualRedirectUri))
        redirect = manualRedirectUri();
    else
        return refuse(Tr::tr("That address is not this sign-in's redirect."));
    const QUrlQuery q(url);
    if (q.allQueryItemValues(QStringLiteral("code")).size() > 1 ||
        q.allQueryItemValues(QStringLiteral("state")).size() > 1)
        return refuse(Tr::tr("A parameter appears twice in the redirect."));
    const QString code = q.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
    const QString state = q.queryItemValue(QStringLiteral("state"), QUrl::FullyDecoded);
    const QString error = q.queryItemValue(QStringLiteral("error"), QUrl::FullyDecoded);
    if (!error.isEmpty() && m_pkce.stateMatches(state)) {
        finish(Outcome::Failed,
               Tr::tr("The sign-in was refused by the server (%1). Start it again.")
                   .arg(error.left(60)));
        return true;
    }
    if (code.isEmpty())
        return refuse(Tr::tr("Authorization code not found."));
    return acceptReturned(code, state, redirect, Route::Embedded);
}

bool OAuthLoginFlow::submitPastedCode(const QString &text)
{
    if (m_state != State::Waiting)
        return refuse(Tr::tr("No sign-in is waiting for a code."));
    const QString t = text.trimmed();
    if (t.startsWith(QLatin1String("http://")) || t.startsWith(QLatin1String("https://"))) {
        const QUrl url(t);
        if (!isRedirect(url))
            return refuse(Tr::tr("That address is not this sign-in's redirect."));
        const QUrlQuery q(url);
        const QString redirect = sameEndpoint(url, QUrl(loopbackRedirectUri()))
                                     ? loopbackRedirectUri()
                                     : manualRedirectUri();
        const QString code = q.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        if (code.isEmpty())
            return refuse(Tr::tr("Authorization code not found in that address."));
        return acceptReturned(code, q.queryItemValue(QStringLiteral("state"), QUrl::FullyDecoded),
                              redirect, Route::Pasted);
    }
    const qsizetype hash = t.indexOf(QLatin1Char('#'));
    if (hash <= 0 || hash == t.size() - 1)
        return refuse(Tr::tr("Invalid code. Please make sure the full code was copied."));
    return acceptReturned(t.left(hash), t.mid(hash + 1),
                          hasManualRedirect() ? manualRedirectUri() : loopbackRedirectUri(),
                          Route::Pasted);
}

bool OAuthLoginFlow::acceptReturned(const QString &code, const QString &state,
                                    const QString &redirectUri, Route route)
{
    if (!m_pkce.stateMatches(state))
        return refuse(Tr::tr("Invalid state: this code belongs to another sign-in "
                             "attempt. Use the code shown after this attempt's sign-in, "
                             "or start again."));
    accept(code, redirectUri, route);
    return true;
}

void OAuthLoginFlow::accept(const QString &code, const QString &redirectUri, Route route)
{
    m_state = State::Exchanging;
    m_route = route;
    m_timer.stop();
    if (m_receiver)
        m_receiver->close(); // the first answer wins
    emit codeReceived(route);
    const int generation = m_generation;
    QPointer<OAuthLoginFlow> self(this);
    m_client->exchangeCode(
        m_profile, code, redirectUri, m_pkce,
        [this, self, generation](const OAuthTokens &tokens, const OAuthError &e) {
            if (!self || generation != m_generation)
                return;
            if (e.isError()) {
                finish(Outcome::Failed,
                       e.message + QLatin1Char(' ') + Tr::tr("Start the sign-in again."));
                return;
            }
            m_tokens = tokens;
            const QString done = Tr::tr("Signed in with %1.").arg(m_profile.displayName());
            if (!m_store) {
                finish(Outcome::Succeeded, done);
                return;
            }
            m_store->write(tokens, [self, generation, done](const KeychainResult &w) {
                if (!self || generation != self->m_generation)
                    return;
                if (!w.ok())
                    self->finish(Outcome::Failed,
                                 Tr::tr("You signed in, but the login could not be "
                                        "stored: %1")
                                     .arg(w.message));
                else
                    self->finish(Outcome::Succeeded, done);
            });
        });
}

void OAuthLoginFlow::cancel()
{
    if (m_state == State::Idle || m_state == State::Finished)
        return;
    finish(Outcome::Cancelled, Tr::tr("The sign-in was cancelled."));
}

void OAuthLoginFlow::teardown()
{
    m_timer.stop();
    // Deferred: this may run inside a signal of the listener or a callback of the client.
    if (m_receiver) {
        disconnect(m_receiver.get(), nullptr, this, nullptr);
        m_receiver.release()->closeAndDeleteLater();
    }
    if (m_client)
        m_client.release()->deleteLater();
}

void OAuthLoginFlow::finish(Outcome outcome, const QString &message)
{
    if (m_state == State::Finished)
        return;
    ++m_generation; // late answers of this attempt are ignored
    m_state = State::Finished;
    m_error = outcome == Outcome::Succeeded ? QString() : message;
    teardown();
    m_pkce.clear();
    if (outcome != Outcome::Succeeded)
        m_tokens.wipe();
    emit finished(outcome, message);
}

} // namespace qlaude
