// The first launch, as a new user meets it, on the app's real start-up (runGui): the trust
// prompt, the keychain, the login dialog and the chat window, driven through the windows as they
// appear (issue 14). Against the real gnome-keyring in a D-Bus session of this test's own (so
// the keyring can be locked without touching other tests), the fake Messages API and the fake
// OAuth server on 127.0.0.1, and the real embedded browser.
#include "AuthContext.h"
#include "ChatSession.h"
#include "ChatWindow.h"
#include "Composer.h"
#include "Connections.h"
#include "ConversationStore.h"
#include "ErrorBanner.h"
#include "FakeAnthropicServer.h"
#include "FakeOAuthServer.h"
#include "GuiApp.h"
#include "KeychainStore.h"
#include "MessageDelegate.h"
#include "MessageModel.h"
#include "MessageView.h"
#include "OAuthTokenStore.h"
#include "PrivateKeyring.h"
#include "TestSupport.h"

#include <QAction>
#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QTimer>
#include <QToolButton>
#include <QtTest>

#include <functional>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeOAuthServer;
using qlaude::fakes::FakeResponse;

namespace {

const QByteArray kKeyringPassword = "first-launch-pw";
// A visible window (top-level widget or dialog) by object name.
template<typename T = QWidget> T *window(const char *name)
{
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (w->isVisible() && w->objectName() == QLatin1String(name)) {
            if (auto *t = qobject_cast<T *>(w))
                return t;
        }
    }
    return nullptr;
}

QStringList visibleWindows()
{
    QStringList names;
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (w->isVisible())
            names << QStringLiteral("%1 (%2)").arg(w->objectName(),
                                                   QLatin1String(w->metaObject()->className()));
    }
    return names;
}

template<typename T> T *child(QWidget *parent, const char *name)
{
    return parent ? parent->findChild<T *>(QLatin1String(name)) : nullptr;
}

// Clicks from the event loop, after the step that asks for it has returned: a click that opens
// a modal dialog runs its event loop there, not inside the driver's step.
void clickLater(QAbstractButton *button)
{
    QPointer<QAbstractButton> b(button);
    QTimer::singleShot(0, qApp, [b] {
        if (b)
            QTest::mouseClick(b, Qt::LeftButton);
    });
}

// Runs steps against the running app from a polling timer, whichever event loop is running (the
// app's, or a modal dialog's). A step returns true when it is done; a step that does not finish
// in time, or a failed check, ends the app with the reason.
class Driver : public QObject
{
public:
    struct Step
    {
        QString name;
        std::function<bool()> run;
    };

    explicit Driver(QList<Step> steps, int stepTimeoutMs = 30000)
        : m_steps(std::move(steps)), m_stepTimeoutMs(stepTimeoutMs)
    {
        m_timer.setInterval(30);
        connect(&m_timer, &QTimer::timeout, this, &Driver::tick);
        m_timer.start();
        m_clock.start();
    }

    // Checked on every tick, whatever the step: false fails the run.
    std::function<QString()> invariant;

    bool check(bool condition, const QString &what)
    {
        if (!condition)
            fail(what);
        return condition;
    }

    void fail(const QString &why)
    {
        if (!m_failure.isEmpty())
            return;
        m_failure = QStringLiteral("step %1 (%2): %3; windows: %4")
                        .arg(m_index + 1)
                        .arg(m_index < m_steps.size() ? m_steps.at(m_index).name : QString())
                        .arg(why, visibleWindows().join(QStringLiteral(", ")));
        m_timer.stop();
        QTimer::singleShot(0, qApp, [] {
            QApplication::closeAllWindows();
            QCoreApplication::exit(90); // every running event loop ends
        });
    }

    bool finished() const { return m_index == m_steps.size(); }
    QString failure() const { return m_failure; }
    QString report() const
    {
        if (!m_failure.isEmpty())
            return m_failure;
        if (!finished())
            return QStringLiteral("the app ended during step %1 (%2); windows: %3")
                .arg(m_index + 1)
                .arg(m_steps.at(m_index).name, visibleWindows().join(QStringLiteral(", ")));
        return QString();
    }

private:
    void tick()
    {
        if (m_busy || finished() || !m_failure.isEmpty())
            return;
        m_busy = true;
        if (invariant) {
            const QString broken = invariant();
            if (!broken.isEmpty())
                fail(broken);
        }
        if (m_failure.isEmpty()) {
            if (m_steps.at(m_index).run()) {
                ++m_index;
                m_clock.restart();
            } else if (m_failure.isEmpty() && m_clock.elapsed() > m_stepTimeoutMs) {
                fail(QStringLiteral("timed out"));
            }
        }
        if (finished())
            m_timer.stop();
        m_busy = false;
    }

    QList<Step> m_steps;
    int m_stepTimeoutMs;
    int m_index = 0;
    bool m_busy = false;
    QString m_failure;
    QTimer m_timer;
    QElapsedTimer m_clock;
};

} // namespace

class tst_FirstLaunch : public QObject
{
    Q_OBJECT

    // A session bus of its own: the keyring can be locked and unlocked without touching the
    // one other tests share.
    PrivateKeyring m_keyring{QStringLiteral("first-launch-keyring"), kKeyringPassword};
    std::unique_ptr<TestHome> m_home;
    std::unique_ptr<FakeAnthropicServer> m_api;
    const QString m_key = testSecret(QStringLiteral("first-launch-key"));

    bool lockKeyring() const { return m_keyring.lock(); }
    bool unlockKeyring() const { return m_keyring.unlock(); }

    // What `qlaude` passes to runGui for this test's HOME and workspace.
    AuthContext::Options options(const QMap<QString, QString> &env = {}) const
    {
        AuthContext::Options o;
        o.workspace = m_home->workspace();
        o.processEnvironment = m_home->environment();
        o.processEnvironment.insert(QStringLiteral("ANTHROPIC_BASE_URL"),
                                    m_api->baseUrl().toString());
        for (auto it = env.begin(); it != env.end(); ++it)
            o.processEnvironment.insert(it.key(), it.value());
        o.managedDir = m_home->managedDir();
        o.trustStorePath = m_home->trustStore();
        return o;
    }

    // The app's real start-up, as main() runs it: returns when the app quits.
    static int run(const AuthContext::Options &o) { return runGui(o, GuiOptions()); }

    static ChatWindow *chatWindow() { return window<ChatWindow>("chatMainWindow"); }
    static ErrorBanner *banner(const char *name) { return child<ErrorBanner>(chatWindow(), name); }
    static bool shown(QWidget *w) { return w && w->isVisible(); }

    // Steps every path shares.
    static Driver::Step closeChatWindow()
    {
        return {QStringLiteral("close the chat window"), [] {
                    if (ChatWindow *w = chatWindow())
                        QTimer::singleShot(0, w, [w] { w->close(); });
                    return true;
                }};
    }
    // The chat window stays up, with nothing in front of it, for a while: the app did not quit.
    static Driver::Step chatWindowStays(Driver *const &d)
    {
        auto since = std::make_shared<QElapsedTimer>();
        return {QStringLiteral("the chat window stays"), [&d, since] {
                    if (!since->isValid())
                        since->start();
                    if (!d->check(shown(chatWindow()), QStringLiteral("the chat window went away")))
                        return false;
                    return since->elapsed() > 700;
                }};
    }

    void untrustedWorkspace() const
    {
        // A project setting that changes the API's timeout is enough to ask.
        m_home->projectSettings(
            QJsonObject{{"env", QJsonObject{{"API_TIMEOUT_MS", QStringLiteral("60000")}}}});
    }

    // Issue 19: a second account, "work", on its own fake API with its own key in the
    // keychain under its connection's entries.
    void addWorkConnection(FakeAnthropicServer *server, const QString &key)
    {
        ConnectionStore store;
        QVERIFY(store.load());
        Connection c;
        c.name = QStringLiteral("work");
        c.settings =
            QJsonObject{{"env", QJsonObject{{"ANTHROPIC_BASE_URL", server->baseUrl().toString()}}}};
        QString error;
        QVERIFY2(store.upsert(c, &error), qPrintable(error));
        KeychainStore keychain;
        keychain.setKeyPrefix(c.keychainPrefix());
        const KeychainResult r = keychain.writeSync(QLatin1String(KeychainStore::kApiKey), key);
        QVERIFY2(r.ok(), qPrintable(r.message));
    }
    static int messageRequests(const FakeAnthropicServer &server)
    {
        int n = 0;
        for (const auto &r : server.requests())
            n += r.target.startsWith("/v1/messages") ? 1 : 0;
        return n;
    }
    static QToolButton *switcher()
    {
        return child<QToolButton>(chatWindow(), "connectionSwitcherButton");
    }
    // Types a question and sends it.
    static Driver::Step ask(const QString &name, const QString &text)
    {
        return {name, [text] {
                    ChatWindow *w = chatWindow();
                    if (!shown(w) || !w->session() || w->session()->isBusy())
                        return false;
                    auto *composer = child<Composer>(w, "composerPlainTextEdit");
                    if (!composer->isEnabled())
                        return false;
                    composer->setFocus();
                    QTest::keyClicks(composer, text);
                    QTest::keyClick(composer, Qt::Key_Return);
                    return true;
                }};
    }
    static Driver::Step answered(const QString &name, int rows, const QString &text)
    {
        return {name, [rows, text] {
                    MessageModel *model =
                        child<MessageView>(chatWindow(), "messageListView")->messageModel();
                    return model->rowCount() == rows &&
                           model->item(rows - 1).message.status == MessageStatus::Complete &&
                           model->item(rows - 1).message.plainText() == text;
                }};
    }

    void storeKey(const QString &key)
    {
        KeychainStore store;
        const KeychainResult r = store.writeSync(QLatin1String(KeychainStore::kApiKey), key);
        QVERIFY2(r.ok(), qPrintable(r.message));
    }

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_keyring.startBus(&error), qPrintable(error));
        QVERIFY2(m_keyring.startKeyring(), "gnome-keyring-daemon did not start on the private bus");
    }

    void cleanupTestCase() { m_keyring.stopKeyring(); }

    // Every case: a new HOME (history, window state, trust store), an empty unlocked keychain
    // and a fresh fake API.
    void init()
    {
        const QString name = QString::fromLatin1(QTest::currentTestFunction());
        m_home = std::make_unique<TestHome>(QStringLiteral("first-launch-") + name);
        qputenv("XDG_DATA_HOME", m_home->path(QStringLiteral("share")).toUtf8());
        qputenv("XDG_CONFIG_HOME", m_home->path(QStringLiteral("config-home")).toUtf8());
        QVERIFY(unlockKeyring());
        KeychainStore store;
        store.removeSync(QLatin1String(KeychainStore::kApiKey));
        store.removeSync(QLatin1String(KeychainStore::kOAuth));
        m_api = std::make_unique<FakeAnthropicServer>();
        QVERIFY(m_api->listen());
    }

    void cleanup()
    {
        QVERIFY(unlockKeyring());
        KeychainStore store;
        store.removeSync(QLatin1String(KeychainStore::kApiKey));
        store.removeSync(QLatin1String(KeychainStore::kOAuth));
        store.setKeyPrefix(Connection::keychainPrefixFor(QStringLiteral("work")));
        store.removeSync(QLatin1String(KeychainStore::kApiKey));
        m_api.reset();
    }

    // An untrusted folder and a key in the keychain: the prompt, "Trust this folder", then the
    // chat window, ready to chat, and the app keeps running.
    void trustingTheFolderLeadsToTheChatWindow()
    {
        untrustedWorkspace();
        storeKey(m_key);
        m_api->setExpectedApiKey(m_key.toUtf8());
        Driver *d = nullptr;
        Driver driver({
            {QStringLiteral("the trust prompt appears"),
             [] {
                 QDialog *trust = window<QDialog>("trustDialog");
                 if (!trust)
                     return false;
                 clickLater(child<QPushButton>(trust, "trustPushButton"));
                 return true;
             }},
            {QStringLiteral("the chat window appears"),
             [&d] {
                 if (!shown(chatWindow()))
                     return false;
                 return d->check(!window("trustDialog"), QStringLiteral("the prompt stayed")) &&
                        d->check(!window("loginDialog"), QStringLiteral("a login was asked for"));
             }},
            chatWindowStays(d),
            {QStringLiteral("ready to chat, the folder trusted"),
             [&d] {
                 ChatWindow *w = chatWindow();
                 return d->check(!shown(banner("accountBannerFrame")),
                                 QStringLiteral("the account banner shows")) &&
                        d->check(!shown(banner("trustBannerFrame")),
                                 QStringLiteral("the trust notice shows after trusting")) &&
                        d->check(!child<QAction>(w, "trustAction")->isEnabled(),
                                 QStringLiteral("File > Trust This Folder still enabled"));
             }},
            closeChatWindow(),
        });
        d = &driver;
        const int code = run(options());
        QVERIFY2(driver.report().isEmpty(), qPrintable(driver.report()));
        QCOMPARE(code, 0);
        QVERIFY(AuthContext::load(options()).trust().trusted);
    }

    // "Don't trust": the chat window all the same, a notice that the folder's settings are not
    // used with a way to trust it later, and the answer remembered in the trust store (the one
    // qlaude --untrust writes): the next start does not ask, and its notice's button trusts.
    void notTrustingTheFolderLeadsToTheChatWindowAndIsRemembered()
    {
        untrustedWorkspace();
        storeKey(m_key);
        Driver *d = nullptr;
        Driver first({
            {QStringLiteral("the trust prompt appears"),
             [] {
                 QDialog *trust = window<QDialog>("trustDialog");
                 if (!trust)
                     return false;
                 clickLater(child<QPushButton>(trust, "dontTrustPushButton"));
                 return true;
             }},
            {QStringLiteral("the chat window appears"), [] { return shown(chatWindow()); }},
            chatWindowStays(d),
            {QStringLiteral("the notice says the settings are not used"),
             [&d] {
                 ErrorBanner *notice = banner("trustBannerFrame");
                 ChatWindow *w = chatWindow();
                 return d->check(shown(notice), QStringLiteral("no trust notice")) &&
                        d->check(notice->text().contains(QStringLiteral("not trusted")) &&
                                     notice->text().contains(QStringLiteral("are not used")),
                                 notice->text()) &&
                        d->check(notice->actionButton()->isVisible() &&
                                     notice->actionButton()->text() ==
                                         QStringLiteral("Trust This Folder…"),
                                 notice->actionButton()->text()) &&
                        d->check(child<QAction>(w, "trustAction")->isEnabled(),
                                 QStringLiteral("File > Trust This Folder is disabled")) &&
                        d->check(!shown(banner("accountBannerFrame")),
                                 QStringLiteral("the account banner shows"));
             }},
            closeChatWindow(),
        });
        d = &first;
        const int code1 = run(options());
        QVERIFY2(first.report().isEmpty(), qPrintable(first.report()));
        QCOMPARE(code1, 0);
        const TrustState declined = AuthContext::load(options()).trust();
        QVERIFY(declined.declined);
        QVERIFY(!declined.trusted);
        QVERIFY(QFileInfo::exists(m_home->trustStore()));

        // The second start: no prompt; the notice's button asks, and trusting hides it.
        Driver second({
            {QStringLiteral("the chat window appears without a prompt"),
             [] { return shown(chatWindow()); }},
            chatWindowStays(d),
            {QStringLiteral("Trust This Folder… on the notice"),
             [&d] {
                 ErrorBanner *notice = banner("trustBannerFrame");
                 if (!d->check(shown(notice), QStringLiteral("no trust notice")))
                     return false;
                 clickLater(notice->actionButton());
                 return true;
             }},
            {QStringLiteral("the prompt comes, over the window"),
             [] {
                 QDialog *trust = window<QDialog>("trustDialog");
                 if (!trust)
                     return false;
                 clickLater(child<QPushButton>(trust, "trustPushButton"));
                 return true;
             }},
            {QStringLiteral("the notice goes once trusted"),
             [] {
                 return !window("trustDialog") && !shown(banner("trustBannerFrame")) &&
                        !child<QAction>(chatWindow(), "trustAction")->isEnabled();
             }},
            closeChatWindow(),
        });
        d = &second;
        second.invariant = [] {
            // A prompt before the chat window is the start's; later, the notice's button asks.
            return window("trustDialog") && !shown(chatWindow())
                       ? QStringLiteral("the prompt came back at the second start")
                       : QString();
        };
        const int code2 = run(options());
        QVERIFY2(second.report().isEmpty(), qPrintable(second.report()));
        QCOMPARE(code2, 0);
        QVERIFY(AuthContext::load(options()).trust().trusted);
    }

    // No credential: the login dialog over the chat window, the API key typed, "Test and save"
    // against the API, and within 2 s the chat window is ready, with the key in the keychain.
    void anApiKeyLoginEndsInTheChatWindow()
    {
        m_api->setExpectedApiKey(m_key.toUtf8());
        Driver *d = nullptr;
        QElapsedTimer saved;
        Driver driver({
            {QStringLiteral("the login dialog appears, at the API key"),
             [this, &d, &saved] {
                 QDialog *login = window<QDialog>("loginDialog");
                 if (!login)
                     return false;
                 auto *edit = child<QLineEdit>(login, "apiKeyLineEdit");
                 if (!d->check(edit && edit->isEnabled(), QStringLiteral("no API key field")))
                     return false;
                 QTest::keyClicks(edit, m_key);
                 saved.start();
                 clickLater(child<QPushButton>(login, "testAndSavePushButton"));
                 return true;
             }},
            {QStringLiteral("the chat window is ready within 2 s"),
             [&d, &saved] {
                 const bool ready = !window("loginDialog") && shown(chatWindow()) &&
                                    !shown(banner("accountBannerFrame"));
                 if (!ready)
                     return d->check(saved.elapsed() < 2000,
                                     QStringLiteral("not ready 2 s after Test and save"));
                 return true;
             }},
            chatWindowStays(d),
            closeChatWindow(),
        });
        d = &driver;
        const int code3 = run(options());
        QVERIFY2(driver.report().isEmpty(), qPrintable(driver.report()));
        QCOMPARE(code3, 0);
        KeychainStore store;
        const KeychainResult r = store.readSync(QLatin1String(KeychainStore::kApiKey));
        QVERIFY2(r.ok(), qPrintable(r.message));
        QCOMPARE(r.data, m_key);
    }

    // No credential, organization SSO configured: "Sign in with your organization…", the
    // provider's page in the embedded browser, then the chat window, with the login stored.
    void anOrganizationSignInEndsInTheChatWindow()
    {
        FakeOAuthServer oauth;
        oauth.setStyle(FakeOAuthServer::Style::Oidc);
        oauth.setClientId(QStringLiteral("corp"));
        oauth.setAuthorizePage(FakeOAuthServer::AuthorizePage::AutoSubmitForm);
        oauth.setTokenFactory(
            [](const QString &kind) { return testSecret(QStringLiteral("fl-sso-") + kind); });
        QVERIFY(oauth.listen());
        Driver *d = nullptr;
        Driver driver(
            {
                {QStringLiteral("the login dialog offers the organization sign-in"),
                 [] {
                     QDialog *login = window<QDialog>("loginDialog");
                     auto *signIn = child<QPushButton>(login, "signInPushButton");
                     if (!signIn || !signIn->isVisible())
                         return false;
                     clickLater(signIn);
                     return true;
                 }},
                {QStringLiteral("the chat window is ready"),
                 [] {
                     return !window("loginDialog") && shown(chatWindow()) &&
                            !shown(banner("accountBannerFrame"));
                 }},
                chatWindowStays(d),
                closeChatWindow(),
            },
            90000); // the browser's first start
        d = &driver;
        const int code = run(options({{"QLAUDE_OIDC_ISSUER", oauth.baseUrl().toString()},
                                      {"QLAUDE_OIDC_CLIENT_ID", "corp"}}));
        QVERIFY2(driver.report().isEmpty(), qPrintable(driver.report()));
        QCOMPARE(code, 0);
        QCOMPARE(oauth.authorizeRequests(), 1);
        KeychainStore keychain;
        OAuthTokenStore tokens(&keychain);
        const OAuthTokenStore::ReadResult stored = tokens.readSync();
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        QVERIFY(stored.tokens.accessToken.startsWith(QStringLiteral("sk-ant-qltSECRET-fl-sso-")));
    }

    // A locked keychain holding the key: the chat window says so (no login dialog, which would
    // ask for a key the person has), and its Retry works once the keychain is unlocked.
    void aLockedKeychainSaysSoAndRetryWorksAfterUnlocking()
    {
        storeKey(m_key);
        QVERIFY(lockKeyring());
        Driver *d = nullptr;
        Driver driver({
            {QStringLiteral("the chat window says the keychain is locked"),
             [&d] {
                 ErrorBanner *account = banner("accountBannerFrame");
                 if (!shown(account))
                     return false;
                 return d->check(account->text().contains(QStringLiteral("keychain is locked")),
                                 account->text()) &&
                        d->check(account->actionButton()->text() == QStringLiteral("Retry"),
                                 account->actionButton()->text()) &&
                        d->check(child<Composer>(chatWindow(), "composerPlainTextEdit")
                                     ->placeholderText()
                                     .startsWith(QStringLiteral("Unlock")),
                                 QStringLiteral("the message box does not say to unlock")) &&
                        d->check(!window("loginDialog"), QStringLiteral("a login was asked for"));
             }},
            chatWindowStays(d),
            {QStringLiteral("unlock, then Retry"),
             [&d, this] {
                 if (!d->check(!window("loginDialog"), QStringLiteral("a login was asked for")) ||
                     !d->check(unlockKeyring(), QStringLiteral("the keyring did not unlock")))
                     return false;
                 clickLater(banner("accountBannerFrame")->actionButton());
                 return true;
             }},
            {QStringLiteral("ready to chat with the stored key"),
             [] {
                 return shown(chatWindow()) && !shown(banner("accountBannerFrame")) &&
                        child<Composer>(chatWindow(), "composerPlainTextEdit")->placeholderText() ==
                            QStringLiteral("Message Claude");
             }},
            closeChatWindow(),
        });
        d = &driver;
        const int code4 = run(options());
        QVERIFY2(driver.report().isEmpty(), qPrintable(driver.report()));
        QCOMPARE(code4, 0);
    }

    // A rejected key: the answer fails with 401, its note says why and the banner only offers
    // "Log In Again" (the error once); logging in again with a good key clears the banner and
    // the failed answer, and the question is answered on Regenerate.
    // Issue 19: the switcher changes where the next request goes and with which key, without a
    // restart; an environment key overriding the chosen connection shows on the switcher.
    void switchingTheConnectionChangesTheNextRequest()
    {
        storeKey(m_key);
        m_api->setExpectedApiKey(m_key.toUtf8());
        m_api->setDefaultResponse(FakeResponse::text(QStringLiteral("From your settings.")));
        FakeAnthropicServer work;
        QVERIFY(work.listen());
        const QString workKey = testSecret(QStringLiteral("first-launch-work-key"));
        work.setExpectedApiKey(workKey.toUtf8());
        work.setDefaultResponse(FakeResponse::text(QStringLiteral("From work.")));
        addWorkConnection(&work, workKey);
        Driver *d = nullptr;
        Driver driver({
            ask(QStringLiteral("ask with the built-in connection"), QStringLiteral("One")),
            answered(QStringLiteral("the default server answers"), 2,
                     QStringLiteral("From your settings.")),
            {QStringLiteral("switch to work in the Connection menu"),
             [&d] {
                 QToolButton *button = switcher();
                 if (!d->check(button && button->text() == QStringLiteral("From your settings"),
                               button ? button->text() : QStringLiteral("no switcher")))
                     return false;
                 auto *menu = child<QMenu>(chatWindow(), "connectionMenu");
                 emit menu->aboutToShow(); // filled as when it opens
                 QAction *work = child<QAction>(menu, "connectionAction:work");
                 if (!d->check(work != nullptr, QStringLiteral("work is not listed")))
                     return false;
                 work->trigger();
                 return true;
             }},
            {QStringLiteral("the switcher names work"),
             [] { return switcher()->text() == QStringLiteral("work"); }},
            ask(QStringLiteral("ask again"), QStringLiteral("Two")),
            answered(QStringLiteral("the work server answers"), 4, QStringLiteral("From work.")),
            {QStringLiteral("the first answer says which connection gave it"),
             [&d] {
                 auto *view = child<MessageView>(chatWindow(), "messageListView");
                 MessageModel *model = view->messageModel();
                 const QString first =
                     view->messageDelegate()->headerDetail(model->item(1).message);
                 const QString second =
                     view->messageDelegate()->headerDetail(model->item(3).message);
                 return d->check(first.endsWith(QStringLiteral("via From your settings")), first) &&
                        d->check(!second.contains(QStringLiteral("via")), second);
             }},
            closeChatWindow(),
        });
        d = &driver;
        const int code = run(options());
        QVERIFY2(driver.report().isEmpty(), qPrintable(driver.report()));
        QCOMPARE(code, 0);
        QCOMPARE(messageRequests(*m_api), 1);
        QCOMPARE(messageRequests(work), 1);
        for (const auto &r : work.requests()) {
            if (!r.target.startsWith("/v1/messages"))
                continue;
            QCOMPARE(r.header("x-api-key"), workKey.toUtf8());
            // The conversation so far goes to the new account with the question.
            QCOMPARE(r.json.value("messages").toArray().size(), 3);
        }
        // The history records which connection answered each turn.
        ConversationStore history;
        QVERIFY(history.open());
        const QList<StoredMessage> messages = history.messages(history.conversations().first().id);
        QCOMPARE(messages.size(), 4);
        QCOMPARE(messages.at(1).connection, QString());
        QCOMPARE(messages.at(3).connection, QStringLiteral("work"));
    }

    // A folder bound to a connection opens with it; an environment key overrides it, and the
    // switcher says so.
    void aBoundFolderOpensWithItsConnection()
    {
        FakeAnthropicServer work;
        QVERIFY(work.listen());
        const QString workKey = testSecret(QStringLiteral("first-launch-bound-key"));
        work.setExpectedApiKey(workKey.toUtf8());
        work.setDefaultResponse(FakeResponse::text(QStringLiteral("From work.")));
        addWorkConnection(&work, workKey);
        ConnectionStore store;
        QVERIFY(store.load());
        QString error;
        QVERIFY2(store.bind(m_home->workspace(), QStringLiteral("work"), &error),
                 qPrintable(error));
        Driver *d = nullptr;
        Driver driver({
            {QStringLiteral("the switcher shows the binding"),
             [] {
                 return shown(chatWindow()) &&
                        switcher()->text() == QStringLiteral("work (this folder)");
             }},
            {QStringLiteral("no login was asked for"),
             [&d] {
                 return d->check(!window("loginDialog"), QStringLiteral("a login was asked for"));
             }},
            ask(QStringLiteral("ask"), QStringLiteral("One")),
            answered(QStringLiteral("the work server answers"), 2, QStringLiteral("From work.")),
            closeChatWindow(),
        });
        d = &driver;
        QCOMPARE(run(options()), 0);
        QVERIFY2(driver.report().isEmpty(), qPrintable(driver.report()));
        QCOMPARE(messageRequests(*m_api), 0);
        QCOMPARE(messageRequests(work), 1);

        const QString envKey = testSecret(QStringLiteral("first-launch-env-key"));
        Driver overridden({
            {QStringLiteral("the switcher warns"),
             [] {
                 QToolButton *b = shown(chatWindow()) ? switcher() : nullptr;
                 return b && b->text().startsWith(QStringLiteral("⚠")) &&
                        b->toolTip().contains(QStringLiteral("ANTHROPIC_API_KEY"));
             }},
            closeChatWindow(),
        });
        QCOMPARE(run(options({{QStringLiteral("ANTHROPIC_API_KEY"), envKey}})), 0);
        QVERIFY2(overridden.report().isEmpty(), qPrintable(overridden.report()));
    }

    void loggingInAgainClearsTheStaleError()
    {
        const QString oldKey = testSecret(QStringLiteral("first-launch-old-key"));
        storeKey(oldKey);
        m_api->setExpectedApiKey(m_key.toUtf8());
        m_api->setDefaultResponse(FakeResponse::text(QStringLiteral("Hello again.")));
        Driver *d = nullptr;
        Driver driver({
            {QStringLiteral("ask"),
             [] {
                 ChatWindow *w = chatWindow();
                 if (!shown(w))
                     return false;
                 auto *composer = child<Composer>(w, "composerPlainTextEdit");
                 composer->setFocus();
                 QTest::keyClicks(composer, QStringLiteral("Hi"));
                 QTest::keyClick(composer, Qt::Key_Return);
                 return true;
             }},
            {QStringLiteral("the answer fails with 401, said once"),
             [&d] {
                 ErrorBanner *error = banner("errorBannerFrame");
                 if (!shown(error))
                     return false;
                 MessageModel *model =
                     child<MessageView>(chatWindow(), "messageListView")->messageModel();
                 if (!d->check(model->rowCount() == 2, QStringLiteral("no failed answer")))
                     return false;
                 const StoredMessage &failed = model->item(1).message;
                 return d->check(failed.status == MessageStatus::Error &&
                                     failed.errorText.contains(QStringLiteral("401")),
                                 failed.errorText) &&
                        d->check(!error->text().contains(QStringLiteral("401")) &&
                                     !error->text().contains(failed.errorText),
                                 QStringLiteral("the banner repeats the error: ") +
                                     error->text()) &&
                        d->check(error->actionButton()->text() == QStringLiteral("Log In Again"),
                                 error->actionButton()->text());
             }},
            {QStringLiteral("Log In Again"),
             [] {
                 clickLater(banner("errorBannerFrame")->actionButton());
                 return true;
             }},
            {QStringLiteral("the new key, Test and save"),
             [this] {
                 QDialog *login = window<QDialog>("loginDialog");
                 if (!login)
                     return false;
                 QTest::keyClicks(child<QLineEdit>(login, "apiKeyLineEdit"), m_key);
                 clickLater(child<QPushButton>(login, "testAndSavePushButton"));
                 return true;
             }},
            {QStringLiteral("the stale banner and note are gone"),
             [&d] {
                 if (window("loginDialog"))
                     return false;
                 MessageModel *model =
                     child<MessageView>(chatWindow(), "messageListView")->messageModel();
                 return d->check(!shown(banner("errorBannerFrame")),
                                 QStringLiteral("the 401 banner stayed")) &&
                        d->check(model->rowCount() == 1 &&
                                     model->item(0).message.role == MessageRole::User,
                                 QStringLiteral("the failed answer stayed"));
             }},
            {QStringLiteral("Regenerate"),
             [] {
                 QAction *regenerate = child<QAction>(chatWindow(), "regenerateAction");
                 if (!regenerate->isEnabled())
                     return false;
                 regenerate->trigger();
                 return true;
             }},
            {QStringLiteral("answered"),
             [] {
                 MessageModel *model =
                     child<MessageView>(chatWindow(), "messageListView")->messageModel();
                 return model->rowCount() == 2 &&
                        model->item(1).message.status == MessageStatus::Complete &&
                        model->item(1).message.plainText() == QStringLiteral("Hello again.");
             }},
            closeChatWindow(),
        });
        d = &driver;
        const int code5 = run(options());
        QVERIFY2(driver.report().isEmpty(), qPrintable(driver.report()));
        QCOMPARE(code5, 0);
    }
};

int main(int argc, char *argv[])
{
    // As in the app: QtWebEngine, loaded later from the plugin, needs shared GL contexts.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    tst_FirstLaunch test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_FirstLaunch.moc"
