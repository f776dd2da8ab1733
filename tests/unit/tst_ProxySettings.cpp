#include "ProxySettings.h"

#include <QtTest>

using namespace qlaude;

class tst_ProxySettings : public QObject
{
    Q_OBJECT
    static QProcessEnvironment
    env(std::initializer_list<std::pair<const char *, const char *>> vars)
    {
        QProcessEnvironment e;
        for (const auto &v : vars)
            e.insert(QLatin1String(v.first), QLatin1String(v.second));
        return e;
    }

private slots:
    void picksTheFirstVariableInTheCliOrder()
    {
        ProxySettings p(env({{"HTTP_PROXY", "http://h:1"}, {"https_proxy", "proxy.corp:3128"}}));
        QCOMPARE(p.proxyUrl(), QUrl("http://proxy.corp:3128"));
        QVERIFY(p.describe().contains("https_proxy"));
        ProxySettings none(QProcessEnvironment{});
        QCOMPARE(none.describe(), QStringLiteral("none"));
        QCOMPARE(
            none.queryProxy(QNetworkProxyQuery(QUrl("https://api.anthropic.com"))).first().type(),
            QNetworkProxy::NoProxy);
    }

    void noProxyRules_data()
    {
        QTest::addColumn<QString>("rules");
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("bypass");
        QTest::newRow("star") << "*"
                              << "https://api.anthropic.com" << true;
        QTest::newRow("exact") << "api.anthropic.com"
                               << "https://api.anthropic.com/v1" << true;
        QTest::newRow("exact other") << "anthropic.com"
                                     << "https://api.anthropic.com" << false;
        QTest::newRow("suffix sub") << ".anthropic.com"
                                    << "https://api.anthropic.com" << true;
        QTest::newRow("suffix bare") << ".anthropic.com"
                                     << "https://anthropic.com" << true;
        QTest::newRow("suffix no") << ".anthropic.com"
                                   << "https://evilanthropic.com" << false;
        QTest::newRow("host:port hit") << "gw.corp:8443"
                                       << "https://gw.corp:8443/x" << true;
        QTest::newRow("host:port miss") << "gw.corp:8443"
                                        << "https://gw.corp/x" << false;
        QTest::newRow("cidr hit") << "10.0.0.0/8"
                                  << "http://10.2.3.4:8080" << true;
        QTest::newRow("cidr miss") << "10.0.0.0/8"
                                   << "http://11.2.3.4" << false;
        QTest::newRow("list") << "localhost, 127.0.0.1 .internal"
                              << "http://x.internal" << true;
    }
    void noProxyRules()
    {
        QFETCH(QString, rules);
        QFETCH(QString, url);
        QFETCH(bool, bypass);
        QProcessEnvironment e;
        e.insert("HTTPS_PROXY", "http://proxy:3128");
        e.insert("NO_PROXY", rules);
        ProxySettings p(e);
        QCOMPARE(p.bypasses(QUrl(url)), bypass);
        const QNetworkProxy chosen = p.queryProxy(QNetworkProxyQuery(QUrl(url))).first();
        QCOMPARE(chosen.type(), bypass ? QNetworkProxy::NoProxy : QNetworkProxy::HttpProxy);
        if (!bypass) {
            QCOMPARE(chosen.hostName(), QStringLiteral("proxy"));
            QCOMPARE(chosen.port(), quint16(3128));
        }
    }

    void credentialsAreUsedButNeverShown()
    {
        ProxySettings p(env({{"HTTPS_PROXY", "http://ada:pa55word@proxy:3128"}}));
        const QNetworkProxy chosen = p.queryProxy(QNetworkProxyQuery(QUrl("https://a.b"))).first();
        QCOMPARE(chosen.user(), QStringLiteral("ada"));
        QCOMPARE(chosen.password(), QStringLiteral("pa55word"));
        QVERIFY(!p.describe().contains("pa55word"));
    }
};

QTEST_GUILESS_MAIN(tst_ProxySettings)
#include "tst_ProxySettings.moc"
