#pragma once

#include "OAuthBrowser.h"

#include <QDialog>
#include <QObject>
#include <QTimer>
#include <QUrl>

class QLabel;
class QWebEngineProfile;
class QWebEngineView;

namespace qlaude {

// The sign-in page in an off-the-record QWebEngineView (nothing on disk). It shows the page's
// host and whether the connection is secure, refuses certificate errors, and catches the
// redirect to the registered redirect URI before it reaches the network.
class OAuthBrowserDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY(OAuthBrowserDialog)
    Q_PROPERTY(QUrl redirectUrl READ redirectUrl)
    Q_PROPERTY(QString errorText READ errorText)
public:
    OAuthBrowserDialog(const QUrl &authorizeUrl, const QUrl &redirectPrefix, int timeoutMs,
                       QWidget *parent = nullptr);
    ~OAuthBrowserDialog() override;

    QUrl redirectUrl() const { return m_redirectUrl; }
    QString errorText() const { return m_errorText; }
    bool matchesRedirect(const QUrl &url) const;

private:
    friend class InterceptingPage;
    void caught(const QUrl &url);
    void fail(const QString &message);
    void updateLocation(const QUrl &url);

    QUrl m_redirectPrefix;
    QUrl m_redirectUrl;
    QString m_errorText;
    QWebEngineProfile *m_profile = nullptr;
    QWebEngineView *m_view = nullptr;
    QLabel *m_hostLabel = nullptr;
    QLabel *m_securityLabel = nullptr;
    QLabel *m_errorLabel = nullptr;
    QTimer m_timeout;
};

class OAuthBrowserPlugin : public QObject, public OAuthBrowserFactory
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID QlaudeOAuthBrowserFactory_iid)
    Q_INTERFACES(qlaude::OAuthBrowserFactory)
public:
    QDialog *createDialog(const QUrl &authorizeUrl, const QUrl &redirectPrefix, int timeoutMs,
                          QWidget *parent) override
    {
        return new OAuthBrowserDialog(authorizeUrl, redirectPrefix, timeoutMs, parent);
    }
};

} // namespace qlaude
