#include "ProxySettings.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QRegularExpression>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ProxySettings)
};
} // namespace

ProxySettings::ProxySettings(const QProcessEnvironment &env)
{
    for (const char *name : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"}) {
        QString v = env.value(QLatin1String(name)).trimmed();
        if (v.isEmpty())
            continue;
        if (!v.contains(QLatin1String("://")))
            v.prepend(QLatin1String("http://"));
        m_proxy = QUrl(v);
        m_source = QLatin1String(name);
        break;
    }
    QString noProxy = env.value(QStringLiteral("no_proxy"));
    if (noProxy.isEmpty())
        noProxy = env.value(QStringLiteral("NO_PROXY"));
    for (const QString &e :
         noProxy.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts))
        m_noProxy << e.trimmed().toLower();
}

bool ProxySettings::bypasses(const QUrl &url) const
{
    const QString host = url.host().toLower();
    const int port = url.port(url.scheme() == QLatin1String("https") ? 443 : 80);
    const QHostAddress address(host);
    for (const QString &rule : m_noProxy) {
        if (rule == QLatin1String("*"))
            return true;
        if (rule.contains(QLatin1Char('/')) && !address.isNull()) {
            const auto subnet = QHostAddress::parseSubnet(rule);
            if (subnet.first.isNull())
                continue;
            if (address.isInSubnet(subnet))
                return true;
            continue;
        }
        QString ruleHost = rule;
        int rulePort = -1;
        const int colon = rule.lastIndexOf(QLatin1Char(':'));
        if (colon > 0 && !rule.contains(QLatin1String("::"))) {
            bool ok = false;
            rulePort = rule.mid(colon + 1).toInt(&ok);
            if (ok)
                ruleHost = rule.left(colon);
            else
                rulePort = -1;
        }
        if (rulePort >= 0 && rulePort != port)
            continue;
        if (ruleHost.startsWith(QLatin1Char('.'))) {
            if (host == ruleHost.mid(1) || host.endsWith(ruleHost))
                return true;
        } else if (host == ruleHost) {
            return true;
        }
    }
    return false;
}

QUrl ProxySettings::proxyFor(const QUrl &url) const
{
    if (m_proxy.isEmpty() || bypasses(url))
        return QUrl();
    return m_proxy;
}

QString ProxySettings::redacted(const QUrl &proxy)
{
    QUrl shown = proxy;
    if (!shown.password().isEmpty())
        shown.setPassword(QStringLiteral("***")); // never show a proxy password
    return shown.toString();
}

QString ProxySettings::describe() const
{
    if (m_proxy.isEmpty())
        return Tr::tr("none");
    QString s = QStringLiteral("%1 (%2)").arg(redacted(m_proxy), m_source);
    if (!m_noProxy.isEmpty())
        s += Tr::tr(", except %1").arg(m_noProxy.join(QStringLiteral(", ")));
    return s;
}

QList<QNetworkProxy> ProxySettings::queryProxy(const QNetworkProxyQuery &query)
{
    if (m_proxy.isEmpty() || bypasses(query.url()))
        return {QNetworkProxy(QNetworkProxy::NoProxy)};
    const QNetworkProxy::ProxyType type = m_proxy.scheme().startsWith(QLatin1String("socks"))
                                              ? QNetworkProxy::Socks5Proxy
                                              : QNetworkProxy::HttpProxy;
    QNetworkProxy proxy(type, m_proxy.host(),
                        quint16(m_proxy.port(type == QNetworkProxy::HttpProxy ? 8080 : 1080)),
                        m_proxy.userName(QUrl::FullyDecoded), m_proxy.password(QUrl::FullyDecoded));
    if (type == QNetworkProxy::HttpProxy && m_authorization) {
        const QByteArray value = m_authorization();
        if (!value.isEmpty())
            proxy.setRawHeader("Proxy-Authorization", value);
    }
    return {proxy};
}

} // namespace qlaude
