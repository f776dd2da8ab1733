// The sign-in routes of the login dialog's account section, end to end: the real embedded
// browser (QWebEngineView), the fake authorization server on 127.0.0.1, the token exchange and
// the real keychain (issue 14, blocker 3).
#include "AppServices.h"
#include "AuthContext.h"
#include "FakeOAuthServer.h"
#include "KeychainStore.h"
#include "OAuthProfile.h"
#include "OAuthTokenStore.h"
#include "SubscriptionLogin.h"
#include "TestSupport.h"

#include <QApplication>
#include <QLabel>
#include <QNetworkAccessManager>
#include <QPushButton>
#include <QtTest>

using namespace qlaude;
using qlaude::fakes::FakeOAuthServer;

class tst_SubscriptionLogin : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        KeychainStore probe(QStringLiteral("qlaude-gui-test-probe"));
        QString message;
        if (probe.probeSync(&message) != KeychainState::Available)
            QFAIL(qPrintable(QStringLiteral("These tests need the unlocked test keyring "
                                            "(scripts/test starts one): ") +
                             message));
    }

    // A build that cannot sign in with a Claude account says so in one quiet sentence; the
    // command-line details wait behind "More…".
    void anUnavailableSignInIsOneSentenceWithDetailsOnRequest()
    {
        test::TestHome home(QStringLiteral("subscription-unavailable"));
        AuthContext::Options options;
        options.workspace = home.workspace();
        options.processEnvironment = home.environment();
        options.managedDir = home.managedDir();
        options.trustStorePath = home.trustStore();
        AuthContext context = AuthContext::load(options);
        const QString reason =
            OAuthProfile::unavailableReason(context, OAuthProfile::defaultKind(context));
        KeychainStore keychain;
        QNetworkAccessManager nam;
        AppServices services;
        services.context = &context;
        services.keychain = &keychain;
        services.network = &nam;
        SubscriptionLogin login(services);
        login.resize(480, 200);
        login.show();
        QVERIFY(QTest::qWaitForWindowExposed(&login));
        if (reason.isEmpty()) { // a build with a subscription client id: the button is there
            QVERIFY(login.findChild<QPushButton *>(QStringLiteral("signInPushButton")));
            return;
        }
        auto *status = login.findChild<QLabel *>(QStringLiteral("subscriptionStatusLabel"));
        auto *details = login.findChild<QLabel *>(QStringLiteral("subscriptionDetailsLabel"));
        QVERIFY(status && details);
        QVERIFY(status->isVisible());
        QVERIFY(!status->text().contains(QStringLiteral("--")));
        QVERIFY(status->text().contains(QStringLiteral("not available in this build")));
        QVERIFY(!details->isVisible());
        emit status->linkActivated(QStringLiteral("more"));
        QVERIFY(details->isVisible());
        QCOMPARE(details->text(), reason);
        QVERIFY(!status->text().contains(QStringLiteral("More")));
    }

    // Organization SSO (OIDC discovery) in the embedded browser: the provider's page is
    // approved, the browser closes, the code is exchanged and the login lands in the keychain.
    void organizationSignInInTheEmbeddedBrowserStoresTheLogin()
    {
        FakeOAuthServer oauth;
        oauth.setStyle(FakeOAuthServer::Style::Oidc);
        oauth.setClientId(QStringLiteral("corp"));
        oauth.setAuthorizePage(FakeOAuthServer::AuthorizePage::AutoSubmitForm);
        oauth.setTokenFactory(
            [](const QString &kind) { return test::testSecret(QStringLiteral("sso-") + kind); });
        QVERIFY(oauth.listen());

        test::TestHome home(QStringLiteral("subscription-login"));
        QProcessEnvironment env = home.environment();
        env.insert(QStringLiteral("QLAUDE_OIDC_ISSUER"), oauth.baseUrl().toString());
        env.insert(QStringLiteral("QLAUDE_OIDC_CLIENT_ID"), QStringLiteral("corp"));
        AuthContext::Options options;
        options.workspace = home.workspace();
        options.processEnvironment = env;
        options.managedDir = home.managedDir();
        options.trustStorePath = home.trustStore();
        AuthContext context = AuthContext::load(options);

        KeychainStore keychain;
        OAuthTokenStore tokens(&keychain);
        tokens.removeSync();
        QNetworkAccessManager nam;
        AppServices services;
        services.context = &context;
        services.keychain = &keychain;
        services.network = &nam;
        int reloads = 0;
        services.reload = [&reloads](std::function<void()> done) {
            ++reloads;
            if (done)
                done();
        };

        SubscriptionLogin login(services);
        login.resize(480, 200);
        login.show();
        QVERIFY(QTest::qWaitForWindowExposed(&login));
        auto *signIn = login.findChild<QPushButton *>(QStringLiteral("signInPushButton"));
        QVERIFY(signIn);
        QCOMPARE(signIn->text(), QStringLiteral("Sign in with your organization…"));
        QSignalSpy signedIn(&login, &SubscriptionLogin::signedIn);
        auto *status = login.findChild<QLabel *>(QStringLiteral("subscriptionStatusLabel"));
        QVERIFY(status);
        // Every step says what is happening; none stays on "Preparing" once it is past.
        QStringList steps;
        connect(&login, &SubscriptionLogin::statusChanged, this,
                [&steps](const QString &text) { steps << text; });
        QTest::mouseClick(signIn, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(signedIn.size() == 1, 60000);
        QCOMPARE(steps, QStringList({QStringLiteral("Preparing the sign-in…"),
                                     QStringLiteral("Waiting for you to finish signing in…"),
                                     QStringLiteral("Finishing the sign-in…"),
                                     QStringLiteral("Signed in.")}));
        QCOMPARE(status->text(), QStringLiteral("Signed in."));
        QCOMPARE(reloads, 1);
        QCOMPARE(oauth.authorizeRequests(), 1);
        const OAuthTokenStore::ReadResult stored = tokens.readSync();
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        // The fake's access token, as the token endpoint handed it out.
        QVERIFY(
            stored.tokens.accessToken.startsWith(QStringLiteral("sk-ant-qltSECRET-sso-access")));
        tokens.removeSync();
    }
};

int main(int argc, char *argv[])
{
    // As in the app: QtWebEngine, loaded later from the plugin, needs shared GL contexts.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    tst_SubscriptionLogin test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_SubscriptionLogin.moc"
