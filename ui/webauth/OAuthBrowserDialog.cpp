#include "OAuthBrowserDialog.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QShortcut>
#include <QVBoxLayout>
#include <QWebEngineCertificateError>
#include <QWebEnginePage>
#include <QWebEngineProfile>
#include <QWebEngineView>

namespace qlaude {

// Sees every navigation first: server redirects, links, form posts and script navigations.
class InterceptingPage : public QWebEnginePage
{
public:
    InterceptingPage(QWebEngineProfile *profile, OAuthBrowserDialog *dialog)
        : QWebEnginePage(profile, dialog), m_dialog(dialog)
    {
    }

protected:
    bool acceptNavigationRequest(const QUrl &url, NavigationType, bool) override
    {
        if (m_dialog->matchesRedirect(url)) {
            m_dialog->caught(url);
            return false; // the redirect never reaches the network
        }
        return true;
    }

private:
    OAuthBrowserDialog *m_dialog;
};

OAuthBrowserDialog::OAuthBrowserDialog(const QUrl &authorizeUrl, const QUrl &redirectPrefix,
                                       int timeoutMs, QWidget *parent)
    : QDialog(parent), m_redirectPrefix(redirectPrefix)
{
    setWindowTitle(tr("Sign in"));
    setObjectName(QStringLiteral("oauthBrowserDialog"));
    resize(820, 720);

    m_hostLabel = new QLabel(this);
    m_hostLabel->setObjectName(QStringLiteral("hostLabel"));
    m_hostLabel->setAccessibleName(tr("Page address"));
    m_hostLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_hostLabel->font();
    bold.setBold(true);
    m_hostLabel->setFont(bold);
    m_securityLabel = new QLabel(this);
    m_securityLabel->setObjectName(QStringLiteral("securityLabel"));
    m_securityLabel->setAccessibleName(tr("Connection security"));
    auto *top = new QHBoxLayout;
    top->addWidget(m_hostLabel, 1);
    top->addWidget(m_securityLabel);

    m_errorLabel = new QLabel(this);
    m_errorLabel->setObjectName(QStringLiteral("errorLabel"));
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setVisible(false);

    // No storage name: an off-the-record profile that keeps cookies and cache in memory only.
    m_profile = new QWebEngineProfile(this);
    m_view = new QWebEngineView(this);
    m_view->setObjectName(QStringLiteral("loginWebEngineView"));
    auto *page = new InterceptingPage(m_profile, this);
    m_view->setPage(page);
    connect(page, &QWebEnginePage::urlChanged, this, &OAuthBrowserDialog::updateLocation);
    // Keyboard focus goes into the page, as in any browser: its autofocus field (the user name,
    // say) takes the typing, instead of the dialog's Cancel button.
    connect(page, &QWebEnginePage::loadFinished, this, [this](bool ok) {
        if (ok)
            m_view->setFocus(Qt::OtherFocusReason);
    });
    connect(page, &QWebEnginePage::certificateError, this,
            [this](const QWebEngineCertificateError &error) {
                QWebEngineCertificateError e = error;
                e.rejectCertificate();
                fail(tr("The sign-in page's certificate is not valid (%1), so the login was "
                        "stopped. Check the date and time of your computer and any proxy that "
                        "inspects TLS, then try again.")
                         .arg(e.description()));
            });

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Cancel)->setObjectName(QStringLiteral("cancelPushButton"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // Escape cancels even while the page has the focus (the page would take the key itself).
    auto *escape = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    escape->setContext(Qt::WindowShortcut);
    connect(escape, &QShortcut::activated, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_errorLabel);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);

    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this, timeoutMs] {
        fail(tr("The sign-in did not finish within %1 minutes. Start the login again.")
                 .arg(qMax(1, timeoutMs / 60000)));
    });
    if (timeoutMs > 0)
        m_timeout.start(timeoutMs);
    updateLocation(authorizeUrl);
    m_view->setFocus(Qt::OtherFocusReason);
    m_view->load(authorizeUrl);
}

OAuthBrowserDialog::~OAuthBrowserDialog()
{
    // The page must go before its profile.
    delete m_view;
}

bool OAuthBrowserDialog::matchesRedirect(const QUrl &url) const
{
    auto host = [](const QUrl &u) {
        const QString h = u.host().toLower();
        return h == QLatin1String("localhost") ? QStringLiteral("127.0.0.1") : h;
    };
    return url.scheme() == m_redirectPrefix.scheme() && host(url) == host(m_redirectPrefix) &&
           url.port(-1) == m_redirectPrefix.port(-1) && url.path() == m_redirectPrefix.path();
}

void OAuthBrowserDialog::caught(const QUrl &url)
{
    if (!m_redirectUrl.isEmpty() || !m_errorText.isEmpty())
        return;
    m_redirectUrl = url;
    m_timeout.stop();
    // Leave acceptNavigationRequest before closing the dialog.
    QMetaObject::invokeMethod(this, &QDialog::accept, Qt::QueuedConnection);
}

void OAuthBrowserDialog::fail(const QString &message)
{
    if (!m_redirectUrl.isEmpty() || !m_errorText.isEmpty())
        return;
    m_errorText = message;
    m_timeout.stop();
    m_errorLabel->setText(message);
    m_errorLabel->setVisible(true);
    QMetaObject::invokeMethod(this, &QDialog::reject, Qt::QueuedConnection);
}

void OAuthBrowserDialog::updateLocation(const QUrl &url)
{
    m_hostLabel->setText(url.host().isEmpty() ? url.toDisplayString() : url.host());
    const bool secure = url.scheme() == QLatin1String("https");
    const bool loopback =
        url.host() == QLatin1String("127.0.0.1") || url.host() == QLatin1String("localhost");
    m_securityLabel->setText(secure     ? tr("🔒 Secure connection")
                             : loopback ? tr("Local connection (this computer)")
                                        : tr("⚠ Not secure (no HTTPS)"));
}

} // namespace qlaude
