#pragma once

#include <QNetworkProxyFactory>
#include <QProcessEnvironment>
#include <QStringList>
#include <QUrl>

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
    bool bypasses(const QUrl &url) const;
    QString describe() const; // for doctor: "http://proxy:3128 (HTTPS_PROXY), except: ..."

    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override;

private:
    QUrl m_proxy;
    QString m_source;
    QStringList m_noProxy;
};

} // namespace qlaude
