#include "OAuthBrowser.h"
#include "TestSupport.h"

#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace qlaude;

namespace {
// A login page on 127.0.0.1: GET /authorize serves a form that script submits; POST /login
// answers 302 to the redirect URI with a code and state, as an authorization server does.
class LoginPageServer : public QObject
{
public:
    QTcpServer *server;
    QUrl redirect;
    int requests = 0;
    bool neverRedirect = false;
    // GET /authorize serves a sign-in form whose field has autofocus and no script; the last
    // POST /login body is kept.
    bool autofocusForm = false;
    QByteArray lastPost;

    explicit LoginPageServer(QTcpServer *s) : server(s)
    {
        connect(server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *sock = server->nextPendingConnection())
                serve(sock);
        });
    }

    void serve(QTcpSocket *sock)
    {
        auto buffer = std::make_shared<QByteArray>();
        connect(sock, &QTcpSocket::readyRead, sock, [this, sock, buffer] {
            buffer->append(sock->readAll());
            const int end = buffer->indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QByteArray head = buffer->left(end);
            const int cl = head.toLower().indexOf("content-length:");
            const int length =
                cl < 0 ? 0 : head.mid(cl + 15, head.indexOf('\r', cl) - cl - 15).trimmed().toInt();
            if (buffer->size() < end + 4 + length)
                return;
            ++requests;
            QByteArray response;
            if (head.startsWith("POST /login"))
                lastPost = buffer->mid(end + 4, length);
            if (head.startsWith("GET /authorize") && autofocusForm) {
                const QByteArray page =
                    "<html><body><form method='post' action='/login'><label>User <input "
                    "name='user' autofocus></label></form></body></html>";
                response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                           QByteArray::number(page.size()) + "\r\nConnection: close\r\n\r\n" + page;
            } else if (head.startsWith("GET /authorize")) {
                const QByteArray page =
                    "<html><body><form method='post' action='/login'><input name='user' "
                    "value='ada'></"
                    "form><script>setTimeout(function(){document.forms[0].submit();}, "
                    "50);</script></body></html>";
                response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                           QByteArray::number(page.size()) + "\r\nConnection: close\r\n\r\n" + page;
            } else if (head.startsWith("POST /login") && !neverRedirect) {
                response = "HTTP/1.1 302 Found\r\nLocation: " + redirect.toEncoded() +
                           "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            } else {
                response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n"
                           "Connection: close\r\n\r\nwait.";
            }
            sock->write(response);
            sock->disconnectFromHost();
        });
        connect(sock, &QTcpSocket::disconnected, sock, &QObject::deleteLater);
    }
};
} // namespace

class tst_OAuthBrowserDialog : public QObject
{
    Q_OBJECT

    QTcpServer m_callbackServer; // the redirect target: it must never see a request
    int m_callbackConnections = 0;

    QUrl callbackUrl() const
    {
        return QUrl(
            QStringLiteral("http://localhost:%1/callback").arg(m_callbackServer.serverPort()));
    }

    static bool webEngineMapped()
    {
        QFile maps(QStringLiteral("/proc/self/maps"));
        if (!maps.open(QIODevice::ReadOnly))
            return false;
        return maps.readAll().contains("libQt6WebEngineCore");
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_callbackServer.listen(QHostAddress::LocalHost));
        connect(&m_callbackServer, &QTcpServer::newConnection, this, [this] {
            ++m_callbackConnections;
            delete m_callbackServer.nextPendingConnection();
        });
    }

    void webEngineIsNotLoadedBeforeTheDialogOpens()
    {
        QVERIFY(!OAuthBrowser::isLoaded());
        QVERIFY2(!webEngineMapped(), "QtWebEngine was mapped before the login view opened");
        QString error;
        QVERIFY2(OAuthBrowser::factory(&error), qPrintable(error));
        QVERIFY(webEngineMapped());
    }

    void catchesTheRedirectAfterAScriptedFormPost()
    {
        QTcpServer tcp;
        QVERIFY(tcp.listen(QHostAddress::LocalHost));
        LoginPageServer pages(&tcp);
        pages.redirect = callbackUrl();
        QUrlQuery q;
        q.addQueryItem("code", "the-code-123");
        q.addQueryItem("state", "state-abc");
        pages.redirect.setQuery(q);

        QString error;
        OAuthBrowserFactory *f = OAuthBrowser::factory(&error);
        QVERIFY2(f, qPrintable(error));
        QElapsedTimer t;
        t.start();
        std::unique_ptr<QDialog> d(f->createDialog(
            QUrl(QStringLiteral("http://127.0.0.1:%1/authorize").arg(tcp.serverPort())),
            callbackUrl(), 30000, nullptr));
        auto *host = d->findChild<QLabel *>(QStringLiteral("hostLabel"));
        QVERIFY(host);
        QCOMPARE(host->text(), QStringLiteral("127.0.0.1"));
        const int result = d->exec();
        const qint64 ms = t.elapsed();
        QCOMPARE(result, int(QDialog::Accepted));
        const QUrl got = d->property("redirectUrl").toUrl();
        QCOMPARE(QUrlQuery(got).queryItemValue("code"), QStringLiteral("the-code-123"));
        QCOMPARE(QUrlQuery(got).queryItemValue("state"), QStringLiteral("state-abc"));
        QTest::qWait(200);
        QCOMPARE(m_callbackConnections, 0); // the redirect never reached the network
        QVERIFY2(ms < 2000, qPrintable(QStringLiteral("embedded login took %1 ms").arg(ms)));
        qInfo("embedded login against the local server: %lld ms", ms);
    }

    void closingTheWindowCancels()
    {
        QTcpServer tcp;
        QVERIFY(tcp.listen(QHostAddress::LocalHost));
        LoginPageServer pages(&tcp);
        pages.neverRedirect = true;
        std::unique_ptr<QDialog> d(OAuthBrowser::factory(nullptr)->createDialog(
            QUrl(QStringLiteral("http://127.0.0.1:%1/authorize").arg(tcp.serverPort())),
            callbackUrl(), 30000, nullptr));
        QTimer::singleShot(500, d.get(), [&d] { d->close(); });
        QCOMPARE(d->exec(), int(QDialog::Rejected));
        QVERIFY(d->property("redirectUrl").toUrl().isEmpty());
        QVERIFY(d->property("errorText").toString().isEmpty());
    }

    // Escape, pressed once the page has loaded (through the window system, so it goes to the
    // focused widget), ends the login at once: long before the dialog's own timeout, and
    // without an error.
    void escapeCancels()
    {
        QTcpServer tcp;
        QVERIFY(tcp.listen(QHostAddress::LocalHost));
        LoginPageServer pages(&tcp);
        pages.neverRedirect = true;
        std::unique_ptr<QDialog> d(OAuthBrowser::factory(nullptr)->createDialog(
            QUrl(QStringLiteral("http://127.0.0.1:%1/authorize").arg(tcp.serverPort())),
            callbackUrl(), 30000, nullptr));
        QElapsedTimer t;
        bool pressed = false;
        QTimer::singleShot(0, d.get(), [&] {
            // Once the page has loaded, as when a person looks at it.
            if (!QTest::qWaitForWindowActive(d.get()) ||
                !QTest::qWaitFor([&] { return pages.requests >= 2; }, 10000))
                return;
            QTest::qWait(300);
            t.start();
            pressed = true;
            QTest::keyClick(d->windowHandle(), Qt::Key_Escape);
        });
        const int result = d->exec();
        QVERIFY2(pressed, "the login page did not load");
        const qint64 ms = t.elapsed();
        QCOMPARE(result, int(QDialog::Rejected));
        QVERIFY2(ms < 3000, qPrintable(QStringLiteral("Escape took %1 ms to cancel").arg(ms)));
        QVERIFY2(d->property("errorText").toString().isEmpty(),
                 qPrintable(d->property("errorText").toString()));
        QVERIFY(d->property("redirectUrl").toUrl().isEmpty());
    }

    // When the sign-in page has loaded, keyboard focus is in the page: typing, through the
    // window system (so it goes to the focused widget), fills the page's autofocus field, and
    // Return submits its form.
    void typingGoesIntoThePagesAutofocusField()
    {
        QTcpServer tcp;
        QVERIFY(tcp.listen(QHostAddress::LocalHost));
        LoginPageServer pages(&tcp);
        pages.autofocusForm = true;
        pages.neverRedirect = true;
        std::unique_ptr<QDialog> d(OAuthBrowser::factory(nullptr)->createDialog(
            QUrl(QStringLiteral("http://127.0.0.1:%1/authorize").arg(tcp.serverPort())),
            callbackUrl(), 30000, nullptr));
        auto *view = d->findChild<QWidget *>(QStringLiteral("loginWebEngineView"));
        QVERIFY(view);
        QSignalSpy loaded(view, SIGNAL(loadFinished(bool)));
        d->show();
        QVERIFY(QTest::qWaitForWindowActive(d.get()));
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 10000);
        QVERIFY(loaded.first().at(0).toBool());
        QTest::qWait(300); // as a person looks at the page before typing
        for (const char c : QByteArray("ada"))
            QTest::keyClick(d->windowHandle(), c);
        QTest::keyClick(d->windowHandle(), Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(pages.lastPost, QByteArray("user=ada"), 10000);
        QVERIFY(d->isVisible()); // Return went to the page, not to the dialog's Cancel
    }

    void theCancelButtonCancels()
    {
        QTcpServer tcp;
        QVERIFY(tcp.listen(QHostAddress::LocalHost));
        LoginPageServer pages(&tcp);
        pages.neverRedirect = true;
        std::unique_ptr<QDialog> d(OAuthBrowser::factory(nullptr)->createDialog(
            QUrl(QStringLiteral("http://127.0.0.1:%1/authorize").arg(tcp.serverPort())),
            callbackUrl(), 30000, nullptr));
        QElapsedTimer t;
        bool clicked = false;
        QTimer::singleShot(300, d.get(), [&] {
            auto *cancel = d->findChild<QPushButton *>(QStringLiteral("cancelPushButton"));
            if (!cancel || !cancel->isVisible())
                return;
            t.start();
            clicked = true;
            QTest::mouseClick(cancel, Qt::LeftButton);
        });
        const int result = d->exec();
        QVERIFY2(clicked, "no visible Cancel button");
        const qint64 ms = t.elapsed();
        QCOMPARE(result, int(QDialog::Rejected));
        QVERIFY2(ms < 3000, qPrintable(QStringLiteral("Cancel took %1 ms").arg(ms)));
        QVERIFY2(d->property("errorText").toString().isEmpty(),
                 qPrintable(d->property("errorText").toString()));
    }

    void timesOut()
    {
        QTcpServer tcp;
        QVERIFY(tcp.listen(QHostAddress::LocalHost));
        LoginPageServer pages(&tcp);
        pages.neverRedirect = true;
        std::unique_ptr<QDialog> d(OAuthBrowser::factory(nullptr)->createDialog(
            QUrl(QStringLiteral("http://127.0.0.1:%1/authorize").arg(tcp.serverPort())),
            callbackUrl(), 800, nullptr));
        QCOMPARE(d->exec(), int(QDialog::Rejected));
        QVERIFY2(d->property("errorText").toString().contains("did not finish"),
                 qPrintable(d->property("errorText").toString()));
    }

    void refusesCertificateErrors()
    {
        test::TestHome h(QStringLiteral("oauth-tls"));
        const QString key = h.path("key.pem"), cert = h.path("cert.pem");
        QProcess openssl;
        openssl.start("openssl", {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                                  "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"});
        QVERIFY(openssl.waitForFinished(30000));
        QCOMPARE(openssl.exitCode(), 0);
        QFile kf(key), cf(cert);
        QVERIFY(kf.open(QIODevice::ReadOnly) && cf.open(QIODevice::ReadOnly));
        QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
        conf.setLocalCertificate(QSslCertificate(cf.readAll()));
        conf.setPrivateKey(QSslKey(kf.readAll(), QSsl::Rsa));
        QSslServer tls;
        tls.setSslConfiguration(conf);
        QVERIFY(tls.listen(QHostAddress::LocalHost));
        std::unique_ptr<QDialog> d(OAuthBrowser::factory(nullptr)->createDialog(
            QUrl(QStringLiteral("https://127.0.0.1:%1/authorize").arg(tls.serverPort())),
            callbackUrl(), 30000, nullptr));
        QCOMPARE(d->exec(), int(QDialog::Rejected));
        QVERIFY2(d->property("errorText").toString().contains("certificate is not valid"),
                 qPrintable(d->property("errorText").toString()));
    }
};

int main(int argc, char *argv[])
{
    // As in the app: QtWebEngine, loaded later from the plugin, needs shared GL contexts.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    tst_OAuthBrowserDialog test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_OAuthBrowserDialog.moc"
