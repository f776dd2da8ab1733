#pragma once

#include <QString>
#include <QUrl>
#include <QtPlugin>

class QDialog;
class QWidget;

namespace qlaude {

// The embedded-browser login lives in a plugin (ui/webauth, library qlaude_webauth) so that
// QtWebEngine is loaded and initialised only when the login view actually opens; the app and
// every other window start without it.
//
// The dialog shows authorizeUrl and stops at the first navigation to redirectPrefix (scheme,
// host, port and path), which never reaches the network. After exec():
//   Accepted: property("redirectUrl") holds the URL the browser was sent to (code and state);
//   Rejected: property("errorText") says why (empty when the user cancelled or closed it).
class OAuthBrowserFactory
{
public:
    virtual ~OAuthBrowserFactory() = default;
    virtual QDialog *createDialog(const QUrl &authorizeUrl, const QUrl &redirectPrefix,
                                  int timeoutMs, QWidget *parent) = 0;
};

namespace OAuthBrowser {
// Loads the plugin on first use; null with *error set when it cannot be loaded.
OAuthBrowserFactory *factory(QString *error);
bool isLoaded(); // for tests: whether QtWebEngine has been loaded into this process
} // namespace OAuthBrowser

} // namespace qlaude

#define QlaudeOAuthBrowserFactory_iid "io.qlaude.OAuthBrowserFactory/1.0"
Q_DECLARE_INTERFACE(qlaude::OAuthBrowserFactory, QlaudeOAuthBrowserFactory_iid)
