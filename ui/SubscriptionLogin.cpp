#include "SubscriptionLogin.h"

#include "KeychainStore.h"
#include "NetworkAccess.h"
#include "OAuthBrowser.h"
#include "OAuthLoginFlow.h"
#include "OAuthProfile.h"
#include "OAuthTokenStore.h"

#include <QApplication>
#include <QClipboard>
#include <QDesktopServices>
#include <QDialog>
#include <QInputDialog>
#include <QLabel>
#include <QNetworkProxy>
#include <QPushButton>
#include <QVBoxLayout>

namespace qlaude {

namespace {
// The proxy URL as a QNetworkProxy for QtWebEngine; NoProxy for none.
QNetworkProxy proxyForBrowser(const QUrl &proxy)
{
    if (proxy.isEmpty())
        return QNetworkProxy(QNetworkProxy::NoProxy);
    const bool socks = proxy.scheme().startsWith(QLatin1String("socks"));
    return QNetworkProxy(socks ? QNetworkProxy::Socks5Proxy : QNetworkProxy::HttpProxy,
                         proxy.host(), quint16(proxy.port(socks ? 1080 : 8080)),
                         proxy.userName(QUrl::FullyDecoded), proxy.password(QUrl::FullyDecoded));
}
} // namespace

SubscriptionLogin::SubscriptionLogin(AppServices &services, QWidget *parent)
    : QWidget(parent), m_services(services),
      m_tokenStore(std::make_unique<OAuthTokenStore>(services.keychain))
{
    setObjectName(QStringLiteral("subscriptionLoginWidget"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    const OAuthProfile::Kind kind = OAuthProfile::defaultKind(*services.context);
    const QString unavailable = OAuthProfile::unavailableReason(*services.context, kind);
    m_statusLabel = new QLabel(this);
    m_statusLabel->setObjectName(QStringLiteral("subscriptionStatusLabel"));
    m_statusLabel->setWordWrap(true);
    m_statusLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (!unavailable.isEmpty()) {
        // One quiet sentence for a person at the window; the command-line details (flags,
        // variables) only on request.
        const QString sentence =
            tr("Signing in with a Claude account is not available in this build; use an API "
               "key, a gateway token or a cloud provider.");
        m_statusLabel->setText(sentence + QStringLiteral(" <a href=\"more\">") + tr("More…") +
                               QStringLiteral("</a>"));
        m_statusLabel->setTextFormat(Qt::RichText);
        m_statusLabel->setTextInteractionFlags(Qt::LinksAccessibleByMouse |
                                               Qt::LinksAccessibleByKeyboard);
        m_statusLabel->setForegroundRole(QPalette::PlaceholderText);
        auto *details = new QLabel(unavailable, this);
        details->setObjectName(QStringLiteral("subscriptionDetailsLabel"));
        details->setWordWrap(true);
        details->setTextFormat(Qt::PlainText);
        details->setTextInteractionFlags(Qt::TextSelectableByMouse);
        details->setForegroundRole(QPalette::PlaceholderText);
        details->hide();
        connect(m_statusLabel, &QLabel::linkActivated, details, [this, details, sentence] {
            details->show();
            m_statusLabel->setText(sentence);
        });
        layout->addWidget(m_statusLabel);
        layout->addWidget(details);
        return;
    }
    m_signInButton =
        new QPushButton(kind == OAuthProfile::Kind::Oidc ? tr("Sign in with your organization…")
                                                         : tr("Sign in with your Claude account…"),
                        this);
    m_signInButton->setObjectName(QStringLiteral("signInPushButton"));
    m_signInButton->setAccessibleName(tr("Sign in in an embedded browser"));
    connect(m_signInButton, &QPushButton::clicked, this, [this] { start(Route::Embedded); });
    auto *links = new QLabel(tr("Or <a href=\"system\">use your web browser</a>, or "
                                "<a href=\"manual\">paste a code</a>."),
                             this);
    links->setObjectName(QStringLiteral("otherRoutesLabel"));
    connect(links, &QLabel::linkActivated, this, [this](const QString &link) {
        start(link == QLatin1String("system") ? Route::System : Route::Manual);
    });
    layout->addWidget(m_signInButton, 0, Qt::AlignLeft);
    layout->addWidget(links);
    layout->addWidget(m_statusLabel);
}

SubscriptionLogin::~SubscriptionLogin() = default;

void SubscriptionLogin::start(Route route)
{
    if (m_flow)
        m_flow->cancel();
    const OAuthProfile profile =
        OAuthProfile::load(*m_services.context, OAuthProfile::defaultKind(*m_services.context));
    m_flow = new OAuthLoginFlow(profile, m_services.network, this);
    m_flow->setTokenStore(m_tokenStore.get());
    setStatus(tr("Preparing the sign-in…"));
    OAuthLoginFlow *flow = m_flow;
    // Past the browser: the code is being exchanged and the login stored.
    connect(flow, &OAuthLoginFlow::codeReceived, this,
            [this] { setStatus(tr("Finishing the sign-in…")); });
    // A redirect or pasted code that was not accepted: say why; the attempt goes on.
    connect(flow, &OAuthLoginFlow::inputRejected, this,
            [this](const QString &why) { setStatus(why); });
    connect(flow, &OAuthLoginFlow::finished, this,
            [this, flow](OAuthLoginFlow::Outcome outcome, const QString &message) {
                flow->deleteLater();
                if (m_flow == flow)
                    m_flow = nullptr;
                finish(outcome == OAuthLoginFlow::Outcome::Succeeded, message);
            });
    connect(flow, &OAuthLoginFlow::ready, this, [this, flow, route] {
        if (route == Route::System) {
            QDesktopServices::openUrl(flow->authorizeUrl());
            setStatus(tr("Finish signing in in your web browser; this window "
                         "continues by itself."));
            return;
        }
        if (route == Route::Manual) {
            const QUrl url = flow->manualAuthorizeUrl().isEmpty() ? flow->authorizeUrl()
                                                                  : flow->manualAuthorizeUrl();
            QApplication::clipboard()->setText(url.toString());
            bool ok = false;
            const QString code = QInputDialog::getText(
                this, tr("Paste the code"),
                tr("The sign-in address was copied to the clipboard. Open it in any browser, "
                   "sign in, and paste the code shown at the end (code#state):"),
                QLineEdit::Normal, QString(), &ok);
            if (!ok || code.trimmed().isEmpty())
                flow->cancel();
            else if (!flow->submitPastedCode(code.trimmed()))
                setStatus(tr("That code was not accepted. Copy the whole code, "
                             "including the part after #, and try again."));
            return;
        }
        setStatus(tr("Waiting for you to finish signing in…"));
        QString error;
        OAuthBrowserFactory *factory = OAuthBrowser::factory(&error);
        if (!factory) {
            flow->cancel();
            setStatus(error);
            return;
        }
        // The embedded browser goes through the same proxy as every other request (QtWebEngine
        // takes the application proxy, with its user and password, and ignores factories).
        if (auto *network = qobject_cast<NetworkAccess *>(m_services.network))
            QNetworkProxy::setApplicationProxy(
                proxyForBrowser(network->setup()->proxyFor(flow->authorizeUrl())));
        std::unique_ptr<QDialog> browser(factory->createDialog(
            flow->authorizeUrl(), QUrl(flow->loopbackRedirectUri()), 10 * 60 * 1000, this));
        if (browser->exec() == QDialog::Accepted) {
            // A refused redirect leaves its reason on the status line (inputRejected); the
            // button starts a new attempt.
            flow->handleRedirect(browser->property("redirectUrl").toUrl());
        } else {
            const QString why = browser->property("errorText").toString();
            flow->cancel();
            if (!why.isEmpty())
                setStatus(why);
        }
    });
    flow->start();
}

void SubscriptionLogin::finish(bool ok, const QString &message)
{
    if (!ok) {
        if (!message.isEmpty())
            setStatus(message);
        return;
    }
    setStatus(tr("Signed in."));
    if (m_services.reload)
        m_services.reload([this] { emit signedIn(); });
    else
        emit signedIn();
}

void SubscriptionLogin::setStatus(const QString &text)
{
    m_statusLabel->setText(text);
    emit statusChanged(text);
}

} // namespace qlaude
