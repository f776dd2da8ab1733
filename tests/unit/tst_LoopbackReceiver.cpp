#include "LoopbackReceiver.h"
#include "OAuthTestSupport.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

// The system-browser redirect listener on 127.0.0.1 (RFC 8252).
class tst_LoopbackReceiver : public QObject
{
    Q_OBJECT

    std::unique_ptr<LoopbackReceiver> m_rx;
    QString m_state;

    QUrl at(const QString &pathAndQuery) const
    {
        return QUrl(QStringLiteral("http://localhost:%1%2").arg(m_rx->port()).arg(pathAndQuery));
    }
    // A raw request, for what a browser would not send.
    QByteArray raw(const QByteArray &request,
                   const QHostAddress &address = QHostAddress(QHostAddress::LocalHost))
    {
        QTcpSocket s;
        s.connectToHost(address, m_rx->port());
        if (!s.waitForConnected(5000))
            return QByteArray();
        s.write(request);
        QByteArray answer;
        QEventLoop loop;
        connect(&s, &QTcpSocket::readyRead, &loop, [&] { answer += s.readAll(); });
        connect(&s, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
        QTimer::singleShot(5000, &loop, &QEventLoop::quit);
        loop.exec();
        return answer + s.readAll();
    }

    static bool hasIPv6Loopback()
    {
        QTcpServer probe;
        return probe.listen(QHostAddress::LocalHostIPv6, 0);
    }

private slots:
    void init()
    {
        m_rx = std::make_unique<LoopbackReceiver>();
        m_state = QStringLiteral("expected-state-0123456789abcdefghijklmnop");
        m_rx->setExpectedState(m_state);
        QString error;
        QVERIFY2(m_rx->listen(&error), qPrintable(error));
    }
    void cleanup() { m_rx.reset(); }

    void listensOnAnEphemeralLoopbackPort()
    {
        QVERIFY(m_rx->isListening());
        QVERIFY(m_rx->port() > 0);
        QCOMPARE(m_rx->redirectUri(),
                 QStringLiteral("http://localhost:%1/callback").arg(m_rx->port()));
        // Not reachable on other interfaces: it is bound to the loopback addresses only.
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_rx->port());
        QVERIFY(s.waitForConnected(2000));
    }

    // A browser may resolve localhost to ::1: the receiver answers there too, on the same port.
    void answersOnIPv6LoopbackToo()
    {
        if (!hasIPv6Loopback())
            QSKIP("This machine has no ::1.");
        QVERIFY(m_rx->isListeningOnIPv6());
        QSignalSpy codes(m_rx.get(), &LoopbackReceiver::codeReceived);
        const QByteArray port = QByteArray::number(m_rx->port());
        const QByteArray answer =
            raw("GET /callback?code=code-over-v6&state=" + m_state.toLatin1() +
                    " HTTP/1.1\r\nHost: localhost:" + port + "\r\n\r\n",
                QHostAddress(QHostAddress::LocalHostIPv6));
        QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
        QCOMPARE(codes.size(), 1);
        QCOMPARE(codes.first().at(0).toString(), QStringLiteral("code-over-v6"));
    }

    // Another local user holding [::1]:P would receive the code of a browser that resolves
    // localhost to ::1, so P is not used, not even on 127.0.0.1.
    void aPortTakenOnIPv6ByAnotherProgramIsNotUsed()
    {
        if (!hasIPv6Loopback())
            QSKIP("This machine has no ::1.");
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHostIPv6, 0));
        const quint16 taken = squatter.serverPort();
        {
            QTcpServer probe;
            if (!probe.listen(QHostAddress::LocalHost, taken))
                QSKIP("The port is taken on 127.0.0.1 as well.");
        }
        LoopbackReceiver rx;
        LoopbackReceiver::setFirstPortForTesting(taken);
        QString error;
        QVERIFY2(rx.listen(&error), qPrintable(error));
        QVERIFY(rx.port() != taken);
        QVERIFY(rx.isListeningOnIPv6());
        for (const QHostAddress &address :
             {QHostAddress(QHostAddress::LocalHost), QHostAddress(QHostAddress::LocalHostIPv6)}) {
            QTcpSocket s;
            s.connectToHost(address, rx.port());
            QVERIFY2(s.waitForConnected(2000), qPrintable(address.toString()));
        }
        // The first port really was tried: free on both, it is used.
        squatter.close();
        LoopbackReceiver again;
        LoopbackReceiver::setFirstPortForTesting(taken);
        QVERIFY2(again.listen(&error), qPrintable(error));
        QCOMPARE(again.port(), taken);
    }

    void aWrongPathGets404AndTheFlowGoesOn()
    {
        QSignalSpy codes(m_rx.get(), &LoopbackReceiver::codeReceived);
        QSignalSpy rejected(m_rx.get(), &LoopbackReceiver::requestRejected);
        const HttpResult r = httpRequest(at("/favicon.ico"));
        QCOMPARE(r.status, 404);
        QCOMPARE(rejected.size(), 1);
        QCOMPARE(rejected.first().at(0).toInt(), 404);
        QVERIFY(m_rx->isListening());
        QCOMPARE(httpRequest(at("/callback/extra?code=c&state=" + m_state)).status, 404);
        QCOMPARE(codes.size(), 0);
    }

    void aMissingCodeOrAWrongStateGets400AndTheFlowGoesOn()
    {
        QSignalSpy codes(m_rx.get(), &LoopbackReceiver::codeReceived);
        HttpResult r = httpRequest(at("/callback?state=" + m_state));
        QCOMPARE(r.status, 400);
        QVERIFY(r.body.contains("Authorization code not found"));
        r = httpRequest(at("/callback?code=abc&state=another-state"));
        QCOMPARE(r.status, 400);
        QVERIFY(r.body.contains("Invalid state parameter"));
        r = httpRequest(at("/callback?code=abc"));
        QCOMPARE(r.status, 400);
        // The expected state with one character changed.
        QString close = m_state;
        close[0] = QLatin1Char('X');
        QCOMPARE(httpRequest(at("/callback?code=abc&state=" + close)).status, 400);
        QCOMPARE(codes.size(), 0);
        QVERIFY(m_rx->isListening());
        r = httpRequest(at("/callback?code=the-code&state=" + m_state));
        QCOMPARE(r.status, 200);
        QCOMPARE(codes.size(), 1);
        QCOMPARE(codes.first().at(0).toString(), QStringLiteral("the-code"));
    }

    void aRepeatedParameterIsRefused()
    {
        QSignalSpy codes(m_rx.get(), &LoopbackReceiver::codeReceived);
        const HttpResult r =
            httpRequest(at("/callback?code=a&code=b&state=" + m_state + "&state=" + m_state));
        QCOMPARE(r.status, 400);
        QCOMPARE(codes.size(), 0);
    }

    void successRedirectsToTheSuccessPageAndStopsListening()
    {
        m_rx->setSuccessUrl(
            QUrl("https://platform.example.com/oauth/code/success?app=claude-code"));
        QSignalSpy codes(m_rx.get(), &LoopbackReceiver::codeReceived);
        const quint16 port = m_rx->port();
        const HttpResult r = httpRequest(at("/callback?code=c%2B1&state=" + m_state), false);
        QCOMPARE(r.status, 302);
        QCOMPARE(r.location,
                 QUrl("https://platform.example.com/oauth/code/success?app=claude-code"));
        QCOMPARE(codes.size(), 1);
        QCOMPARE(codes.first().at(0).toString(), QStringLiteral("c+1"));
        QVERIFY(!m_rx->isListening());
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(!s.waitForConnected(2000));
        QCOMPARE(s.error(), QAbstractSocket::ConnectionRefusedError);
    }

    void withoutSuccessPageItShowsItsOwn()
    {
        const HttpResult r = httpRequest(at("/callback?code=c&state=" + m_state));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("You are signed in to Qlaude"));
    }

    void aRefusalWithTheRightStateEndsTheFlow()
    {
        QSignalSpy denied(m_rx.get(), &LoopbackReceiver::authorizationDenied);
        QSignalSpy codes(m_rx.get(), &LoopbackReceiver::codeReceived);
        // With a wrong state it is noise.
        QCOMPARE(httpRequest(at("/callback?error=access_denied&state=nope")).status, 400);
        QCOMPARE(denied.size(), 0);
        const HttpResult r = httpRequest(at(
            "/callback?error=access_denied&error_description=User%20said%20no&state=" + m_state));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("refused"));
        QCOMPARE(denied.size(), 1);
        QCOMPARE(denied.first().at(0).toString(), QStringLiteral("access_denied"));
        QCOMPARE(denied.first().at(1).toString(), QStringLiteral("User said no"));
        QCOMPARE(codes.size(), 0);
        QVERIFY(!m_rx->isListening());
    }

    void requestsThatNoBrowserSendsAreRefused()
    {
        const QByteArray port = QByteArray::number(m_rx->port());
        QByteArray a = raw("GET /callback?code=c&state=" + m_state.toUtf8() +
                           " HTTP/1.1\r\nHost: attacker.example:" + port + "\r\n\r\n");
        QVERIFY2(a.startsWith("HTTP/1.1 400"), a.constData());
        a = raw("POST /callback HTTP/1.1\r\nHost: localhost:" + port +
                "\r\nContent-Length: 0\r\n\r\n");
        QVERIFY2(a.startsWith("HTTP/1.1 405"), a.constData());
        a = raw("GET /callback HTTP/1.1\r\nHost: localhost:" + port +
                "\r\nX-Big: " + QByteArray(LoopbackReceiver::kMaxHeadBytes + 10, 'x'));
        QVERIFY2(a.startsWith("HTTP/1.1 431"), a.left(40).constData());
        a = raw("not http\r\n\r\n");
        QVERIFY2(a.startsWith("HTTP/1.1 400"), a.constData());
        QVERIFY(m_rx->isListening());
    }
};

QTEST_GUILESS_MAIN(tst_LoopbackReceiver)
#include "tst_LoopbackReceiver.moc"
