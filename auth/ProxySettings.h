#pragma once

#include <QNetworkProxyFactory>
#include <QProcessEnvironment>
#include <QStringList>
#include <QUrl>

#include <functional>

namespace qlaude {

// The CLI's proxy rules (CLAUDE_CODE.md §9), read from the effective environment (the settings
// `env` blocks included): https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY in that order, and
// no_proxy / NO_PROXY entries: "*", an exact host, host:port, ".suffix" (the bare host or any
// subdomain), or a CIDR range for IP addresses.
class ProxySettings : public QNetworkProxyFactory
{
public:
    explicit ProxySettings(const QProcessEnvironment &env);

    QUrl proxyUrl() const { return m_proxy; }
    QString sourceVariable() const { return m_source; } // "HTTPS_PROXY", ... or ""
    QStringList noProxyRules() const { return m_noProxy; }
    bool bypasses(const QUrl &url) const;
    // The proxy a request to `url` goes through, or an empty URL when none does.
    QUrl proxyFor(const QUrl &url) const;
    QString describe() const; // for doctor: "http://proxy:3128 (HTTPS_PROXY), except: ..."
    // The proxy URL for people: user name kept, password replaced by "***".
    static QString redacted(const QUrl &proxy);

    // A Proxy-Authorization value (from proxyAuthHelper) sent with each CONNECT, when the
    // function returns one.
    void setAuthorizationSource(std::function<QByteArray()> source)
    {
        m_authorization = std::move(source);
    }

    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override;

private:
    QUrl m_proxy;
    QString m_source;
    QStringList m_noProxy;
    std::function<QByteArray()> m_authorization;
};

} // namespace qlaude
