// The OAuth callback, as each route hands it in while a login waits: a pasted "code#state" or
// redirect URL (OAuthLoginFlow::submitPastedCode), an embedded browser's redirect
// (handleRedirect), and the raw HTTP request a browser sends to the loopback listener
// (LoopbackReceiver, through a real socket). The first input byte picks the route. Properties: no
// crash, a refused input is refused with a message, and no input without this attempt's state
// completes the login.
#include "FuzzSupport.h"
#include "LoopbackReceiver.h"
#include "OAuthLoginFlow.h"
#include "OAuthProfile.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QTcpSocket>

using namespace qlaude;

namespace {

// A fixed port, so the seed corpus can carry a Host header the listener accepts.
constexpr quint16 kPort = 48123;

OAuthLoginFlow *flow()
{
    static QNetworkAccessManager *nam = new QNetworkAccessManager;
    static OAuthLoginFlow *f = nullptr;
    if (f && f->state() == OAuthLoginFlow::State::Waiting)
        return f;
    delete f;
    OAuthProfile profile;
    profile.kind = OAuthProfile::Kind::ClaudeAi;
    profile.authorizeUrl = QUrl(QStringLiteral("http://127.0.0.1:9/oauth/authorize"));
    profile.tokenUrl = QUrl(QStringLiteral("http://127.0.0.1:9/v1/oauth/token"));
    profile.clientId = QStringLiteral("fuzz-client");
    profile.scopes = QStringList{QStringLiteral("user:inference")};
    profile.manualRedirectUri =
        QUrl(QStringLiteral("https://console.example.com/oauth/code/callback"));
    LoopbackReceiver::setFirstPortForTesting(kPort);
    f = new OAuthLoginFlow(profile, nam);
    f->setTimeout(0);
    f->start();
    QElapsedTimer t;
    t.start();
    while (f->state() != OAuthLoginFlow::State::Waiting && t.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    QLAUDE_FUZZ_CHECK(f->state() == OAuthLoginFlow::State::Waiting, "the login flow did not start");
    return f;
}

void sendToListener(const QByteArray &request)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, kPort);
    if (!socket.waitForConnected(1000))
        return; // the listener has stopped: a code was accepted (checked below)
    socket.write(request);
    socket.flush();
    // Until the listener answers and closes, or it waits for more than the input holds.
    QElapsedTimer t;
    t.start();
    while (socket.state() == QAbstractSocket::ConnectedState && t.elapsed() < 50) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        socket.waitForReadyRead(1);
        socket.readAll();
    }
    socket.abort();
    QCoreApplication::processEvents();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::application();
    flow();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    OAuthLoginFlow *f = flow();
    const QByteArray input(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    QString rejected;
    auto c = QObject::connect(f, &OAuthLoginFlow::inputRejected, [&rejected](const QString &m) {
        rejected = m.isEmpty() ? QStringLiteral("?") : m;
    });
    switch (data[0] % 3) {
    case 0:
        if (!f->submitPastedCode(QString::fromUtf8(input)))
            QLAUDE_FUZZ_CHECK(!rejected.isEmpty() && rejected != QLatin1String("?"),
                              "a refused paste without a message");
        break;
    case 1: {
        const QUrl url(QString::fromUtf8(input));
        if (f->isRedirect(url) && !f->handleRedirect(url))
            QLAUDE_FUZZ_CHECK(!rejected.isEmpty(), "a refused redirect without a message");
        break;
    }
    default:
        sendToListener(input);
        break;
    }
    QObject::disconnect(c);
    // The state is 32 random bytes made at start(): an input cannot hold it.
    QLAUDE_FUZZ_CHECK(f->state() == OAuthLoginFlow::State::Waiting,
                      "an input without the attempt's state got past the callback check");
    return 0;
}
