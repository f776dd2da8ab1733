#include "KeychainStore.h"
#include "OAuthLoginFlow.h"
#include "OAuthTestSupport.h"
#include "OAuthTokenStore.h"

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeOAuthServer;
using Outcome = qlaude::OAuthLoginFlow::Outcome;
using Route = qlaude::OAuthLoginFlow::Route;

// One login from start to stored tokens, with a fetching "browser" against the strict fake
// server: loopback, paste and embedded routes, refusals, cancel and timeout.
class tst_OAuthLoginFlow : public QObject
{
    Q_OBJECT

    std::unique_ptr<FakeOAuthServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_nam;

    std::unique_ptr<QSignalSpy> m_finished; // of the flow makeFlow() made last

    std::unique_ptr<OAuthLoginFlow> makeFlow(const OAuthProfile &profile)
    {
        auto flow = std::make_unique<OAuthLoginFlow>(profile, m_nam.get());
        m_finished = std::make_unique<QSignalSpy>(flow.get(), &OAuthLoginFlow::finished);
        return flow;
    }
    // start() and wait for ready().
    static bool startAndWait(OAuthLoginFlow &flow)
    {
        QSignalSpy ready(&flow, &OAuthLoginFlow::ready);
        flow.start();
        return ready.wait(10000);
    }
    Outcome waitFinished(OAuthLoginFlow &, QString *message = nullptr, int timeoutMs = 10000)
    {
        if (m_finished->isEmpty() && !m_finished->wait(timeoutMs))
            return Outcome(-1);
        if (message)
            *message = m_finished->first().at(1).toString();
        return m_finished->first().at(0).value<Outcome>();
    }
    static bool portAccepts(quint16 port)
    {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        return s.waitForConnected(2000);
    }

private slots:
    void init()
    {
        m_server = std::make_unique<FakeOAuthServer>();
        m_server->setTokenFactory(secretTokens(QStringLiteral("flow")));
        QVERIFY(m_server->listen());
        m_nam = std::make_unique<QNetworkAccessManager>();
    }
    void cleanup()
    {
        m_finished.reset();
        m_server.reset();
        m_nam.reset();
    }

    void theSystemBrowserRouteCompletes()
    {
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        const QUrl url = flow->authorizeUrl();
        QCOMPARE(queryValue(url, "redirect_uri"), flow->loopbackRedirectUri());
        QSignalSpy finished(flow.get(), &OAuthLoginFlow::finished);
        // The browser: authorize -> 302 to the loopback listener -> 302 to the success page.
        const HttpResult r = httpRequest(url);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.chain.size(), 3);
        QCOMPARE(r.chain.at(1).path(), QStringLiteral("/callback"));
        QCOMPARE(r.finalUrl.path(), QStringLiteral("/oauth/code/success"));
        QString message;
        QCOMPARE(waitFinished(*flow, &message), Outcome::Succeeded);
        QCOMPARE(message, QStringLiteral("Signed in with Claude.ai."));
        QCOMPARE(flow->winningRoute(), Route::Loopback);
        QVERIFY(flow->tokens().accessToken == m_server->lastAccessToken());
        QVERIFY(flow->tokens().refreshToken == m_server->lastRefreshToken());
        QCOMPARE(m_server->codeExchanges(), 1);
        QVERIFY(m_server->refusals().isEmpty());
    }

    void aWrongStateIsRefusedAndTheAttemptGoesOn()
    {
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        QSignalSpy rejected(flow.get(), &OAuthLoginFlow::inputRejected);
        QUrl forged(flow->loopbackRedirectUri());
        forged.setQuery(QStringLiteral("code=stolen&state=forged"));
        QCOMPARE(httpRequest(forged).status, 400);
        QCOMPARE(rejected.size(), 1);
        QVERIFY(rejected.first().at(0).toString().contains("Invalid state"));
        QCOMPARE(flow->state(), OAuthLoginFlow::State::Waiting);
        QCOMPARE(m_server->codeExchanges(), 0);
        // A pasted code with another attempt's state is refused the same way.
        QVERIFY(!flow->submitPastedCode(QStringLiteral("stolen#forged")));
        QCOMPARE(flow->state(), OAuthLoginFlow::State::Waiting);
        httpRequest(flow->authorizeUrl());
        QCOMPARE(waitFinished(*flow), Outcome::Succeeded);
    }

    void aPastedCodeWinsAndUsesTheManualRedirect()
    {
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        QVERIFY(flow->hasManualRedirect());
        const QUrl manual = flow->manualAuthorizeUrl();
        QCOMPARE(queryValue(manual, "redirect_uri"), m_server->manualRedirectUri());
        QCOMPARE(queryValue(manual, "state"), queryValue(flow->authorizeUrl(), "state"));
        const quint16 loopbackPort = QUrl(flow->loopbackRedirectUri()).port();
        const HttpResult page = httpRequest(manual);
        QCOMPARE(page.status, 200);
        const QString pasted = pastedCodeFrom(page.body);
        QVERIFY2(pasted.contains('#'), page.body.constData());
        QSignalSpy codes(flow.get(), &OAuthLoginFlow::codeReceived);
        QVERIFY(flow->submitPastedCode(QStringLiteral("  ") + pasted + QStringLiteral("\n")));
        QCOMPARE(codes.size(), 1);
        QCOMPARE(waitFinished(*flow), Outcome::Succeeded);
        QCOMPARE(flow->winningRoute(), Route::Pasted);
        QCOMPARE(m_server->codeExchanges(), 1);
        // The loopback route lost: its listener is gone.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QVERIFY(!portAccepts(loopbackPort));
    }

    void aMalformedPasteIsRefused()
    {
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        QSignalSpy rejected(flow.get(), &OAuthLoginFlow::inputRejected);
        QVERIFY(!flow->submitPastedCode(QStringLiteral("just-a-code")));
        QVERIFY(!flow->submitPastedCode(QStringLiteral("code#")));
        QVERIFY(!flow->submitPastedCode(QStringLiteral("#state")));
        QVERIFY(!flow->submitPastedCode(QStringLiteral("https://elsewhere.example/cb?code=a")));
        QCOMPARE(rejected.size(), 4);
        QCOMPARE(rejected.first().at(0).toString(),
                 QStringLiteral("Invalid code. Please make sure the full code was copied."));
        QCOMPARE(flow->state(), OAuthLoginFlow::State::Waiting);
    }

    void aRedirectCaughtByAnEmbeddedBrowserIsHandedIn()
    {
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        const HttpResult r = httpRequest(flow->authorizeUrl(), false);
        QCOMPARE(r.status, 302);
        QVERIFY(flow->isRedirect(r.location));
        QVERIFY(!flow->isRedirect(QUrl("http://localhost:1/callback?code=x")));
        QVERIFY(!flow->isRedirect(m_server->baseUrl()));
        QVERIFY(flow->isRedirect(QUrl(m_server->manualRedirectUri() + "?code=x&state=y")));
        QVERIFY(flow->handleRedirect(r.location));
        QCOMPARE(waitFinished(*flow), Outcome::Succeeded);
        QCOMPARE(flow->winningRoute(), Route::Embedded);
        QVERIFY(!flow->isRedirect(r.location)); // the attempt is over
    }

    void theFormPageApprovesByPost()
    {
        m_server->setAuthorizePage(FakeOAuthServer::AuthorizePage::Form);
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        const HttpResult page = httpRequest(flow->authorizeUrl(), false);
        QCOMPARE(page.status, 200);
        const QRegularExpression action(QStringLiteral("action=\"([^\"]+)\""));
        const QRegularExpression hidden(QStringLiteral("name=\"request\" value=\"([^\"]+)\""));
        const QString path = action.match(QString::fromUtf8(page.body)).captured(1);
        const QString id = hidden.match(QString::fromUtf8(page.body)).captured(1);
        QVERIFY(!path.isEmpty() && !id.isEmpty());
        const HttpResult approved =
            httpRequest(m_server->baseUrl().resolved(QUrl(path)), false, "request=" + id.toUtf8(),
                        "application/x-www-form-urlencoded");
        QCOMPARE(approved.status, 302);
        QVERIFY(flow->handleRedirect(approved.location));
        QCOMPARE(waitFinished(*flow), Outcome::Succeeded);
    }

    void aRefusalAtTheServerEndsTheAttempt()
    {
        m_server->setAuthorizePage(FakeOAuthServer::AuthorizePage::Deny);
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        const HttpResult page = httpRequest(flow->authorizeUrl());
        QCOMPARE(page.status, 200); // the browser still gets the listener's page
        QVERIFY(page.body.contains("The sign-in was refused (access_denied)"));
        QString message;
        QCOMPARE(waitFinished(*flow, &message), Outcome::Failed);
        QVERIFY2(message.contains("refused by the server (access_denied"), qPrintable(message));
    }

    void cancelEndsTheAttemptAndClosesTheListener()
    {
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        const quint16 port = QUrl(flow->loopbackRedirectUri()).port();
        QVERIFY(portAccepts(port));
        QSignalSpy finished(flow.get(), &OAuthLoginFlow::finished);
        flow->cancel();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().at(0).value<Outcome>(), Outcome::Cancelled);
        QCOMPARE(flow->state(), OAuthLoginFlow::State::Finished);
        QVERIFY(!portAccepts(port));
        QVERIFY(flow->authorizeUrl().isEmpty());
        QVERIFY(!flow->submitPastedCode(QStringLiteral("a#b")));
        flow->cancel(); // a second cancel says nothing
        QCOMPARE(finished.size(), 1);
    }

    void aTimeoutEndsTheAttempt()
    {
        auto flow = makeFlow(profileFor(*m_server));
        flow->setTimeout(300);
        QVERIFY(startAndWait(*flow));
        const quint16 port = QUrl(flow->loopbackRedirectUri()).port();
        QElapsedTimer t;
        t.start();
        QString message;
        QCOMPARE(waitFinished(*flow, &message, 5000), Outcome::TimedOut);
        QVERIFY(t.elapsed() < 3000);
        QVERIFY2(message.contains("timed out"), qPrintable(message));
        QVERIFY(!portAccepts(port));
        QCOMPARE(m_server->codeExchanges(), 0);
    }

    void everyAttemptStartsFresh()
    {
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        const QUrl first = flow->authorizeUrl();
        const HttpResult stale = httpRequest(first, false); // the server answers the old attempt
        QVERIFY(startAndWait(*flow));
        const QUrl second = flow->authorizeUrl();
        QVERIFY(queryValue(first, "state") != queryValue(second, "state"));
        QVERIFY(queryValue(first, "code_challenge") != queryValue(second, "code_challenge"));
        QVERIFY(flow->loopbackRedirectUri() != queryValue(first, "redirect_uri"));
        // The old attempt's code, with its state, no longer fits.
        QUrl old(flow->loopbackRedirectUri());
        old.setQuery(stale.location.query());
        QVERIFY(!flow->handleRedirect(old));
        httpRequest(second);
        QCOMPARE(waitFinished(*flow), Outcome::Succeeded);
    }

    void oidcDiscoversTheEndpointsAndSignsIn()
    {
        m_server->setStyle(FakeOAuthServer::Style::Oidc);
        m_server->setClientId(QStringLiteral("corp-client"));
        auto flow = makeFlow(profileFor(*m_server, OAuthProfile::Kind::Oidc));
        QVERIFY(startAndWait(*flow));
        QVERIFY(!flow->hasManualRedirect());
        QVERIFY(flow->manualAuthorizeUrl().isEmpty());
        QCOMPARE(flow->authorizeUrl().path(), QStringLiteral("/authorize"));
        const HttpResult r = httpRequest(flow->authorizeUrl());
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("You are signed in to Qlaude")); // no success page: our own
        QString message;
        QCOMPARE(waitFinished(*flow, &message), Outcome::Succeeded);
        QCOMPARE(message, QStringLiteral("Signed in with organization SSO."));
        QCOMPARE(flow->tokens().profile, QStringLiteral("oidc"));
        QCOMPARE(flow->tokens().tokenEncoding, QStringLiteral("form"));
    }

    void aPastedRedirectUrlWorksWithoutAManualPage()
    {
        m_server->setStyle(FakeOAuthServer::Style::Oidc);
        auto flow = makeFlow(profileFor(*m_server, OAuthProfile::Kind::Oidc));
        QVERIFY(startAndWait(*flow));
        const HttpResult r = httpRequest(flow->authorizeUrl(), false);
        QVERIFY(flow->submitPastedCode(r.location.toString()));
        QCOMPARE(waitFinished(*flow), Outcome::Succeeded);
        QCOMPARE(flow->winningRoute(), Route::Pasted);
    }

    void anUnusableProfileFailsFromTheEventLoop()
    {
        OAuthProfile p = profileFor(*m_server);
        p.error = QStringLiteral("Not configured.");
        auto flow = makeFlow(p);
        QSignalSpy finished(flow.get(), &OAuthLoginFlow::finished);
        flow->start();
        QCOMPARE(finished.size(), 0);
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.first().at(0).value<Outcome>(), Outcome::Failed);
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("Not configured."));
    }

    void aRefusedExchangeFailsTheAttempt()
    {
        auto flow = makeFlow(profileFor(*m_server));
        QVERIFY(startAndWait(*flow));
        const HttpResult r = httpRequest(flow->authorizeUrl(), false);
        QUrl forged = r.location; // this attempt's state, but a code the server never issued
        forged.setQuery(QStringLiteral("code=never-issued&state=") +
                        queryValue(r.location, QStringLiteral("state")));
        QVERIFY(flow->handleRedirect(forged));
        QString message;
        QCOMPARE(waitFinished(*flow, &message), Outcome::Failed);
        QVERIFY2(
            message.startsWith("Token exchange failed (HTTP 400): Invalid authorization code."),
            qPrintable(message));
        QVERIFY(message.endsWith("Start the sign-in again."));
        QVERIFY(flow->tokens().isEmpty());
    }

    void theTokensAreStoredBeforeSuccessIsReported()
    {
        KeychainStore keychain(
            QStringLiteral("qlaude-test-flow-%1").arg(QCoreApplication::applicationPid()));
        if (keychain.probeSync() != KeychainState::Available) {
            // scripts/test (which sets QLAUDE_TEST_HOME) always starts an unlocked keyring:
            // there a missing one is a failure, not a reason to skip.
            if (!qEnvironmentVariableIsEmpty("QLAUDE_TEST_HOME"))
                QFAIL("no unlocked keyring, although the suite (scripts/test) starts one");
            QSKIP("needs the suite's unlocked keyring");
        }
        OAuthTokenStore store(&keychain);
        auto flow = makeFlow(profileFor(*m_server));
        flow->setTokenStore(&store);
        QVERIFY(startAndWait(*flow));
        httpRequest(flow->authorizeUrl());
        QCOMPARE(waitFinished(*flow), Outcome::Succeeded);
        const OAuthTokenStore::ReadResult stored = store.readSync();
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        QVERIFY(stored.tokens.accessToken == flow->tokens().accessToken);
        QVERIFY(stored.tokens.refreshToken == flow->tokens().refreshToken);
        QCOMPARE(stored.tokens.profile, QStringLiteral("claudeai"));
        QCOMPARE(stored.tokens.tokenUrl, m_server->tokenUrl().toString());
        QVERIFY(store.removeSync().ok());
    }
};

QTEST_GUILESS_MAIN(tst_OAuthLoginFlow)
#include "tst_OAuthLoginFlow.moc"
