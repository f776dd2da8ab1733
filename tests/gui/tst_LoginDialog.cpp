#include "AppServices.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "FakeAnthropicServer.h"
#include "KeychainStore.h"
#include "LoginDialog.h"
#include "SettingsDialog.h"
#include "TestSupport.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QTimer>
#include <QtTest>

#include <functional>
#include <memory>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;

namespace {
// What the app wires up, with a keychain namespace of its own so parallel tests never meet.
struct Services
{
    explicit Services(const QString &name, const QMap<QString, QString> &env = {})
        : home(name), keychain(QStringLiteral("qlaude-gui-test-%1-%2")
                                   .arg(QCoreApplication::applicationPid())
                                   .arg(name))
    {
        options.workspace = home.workspace();
        options.processEnvironment = home.environment();
        for (auto it = env.begin(); it != env.end(); ++it)
            options.processEnvironment.insert(it.key(), it.value());
        options.managedDir = home.managedDir();
        options.trustStorePath = home.trustStore();
        context = AuthContext::load(options);
        services.context = &context;
        services.keychain = &keychain;
        services.network = &network;
        services.keychainSnapshot = KeychainSnapshot::loadSync(&keychain);
        services.resolution = AuthResolver::resolve(context, services.keychainSnapshot);
        services.reload = [this](std::function<void()> done) {
            context = AuthContext::load(options);
            KeychainSnapshot::load(&keychain, [this, done](const KeychainSnapshot &snapshot) {
                services.keychainSnapshot = snapshot;
                services.resolution = AuthResolver::resolve(context, snapshot);
                ++reloads;
                done();
            });
        };
    }
    ~Services()
    {
        keychain.removeSync(QLatin1String(KeychainStore::kApiKey));
        keychain.removeSync(QLatin1String(LoginDialog::kBearerTokenKey));
    }

    TestHome home;
    AuthContext::Options options;
    AuthContext context;
    KeychainStore keychain;
    QNetworkAccessManager network;
    AppServices services;
    int reloads = 0;
};

QMap<QString, QString> pointedAt(const FakeAnthropicServer &server)
{
    return {{QStringLiteral("ANTHROPIC_BASE_URL"), server.baseUrl().toString()}};
}

template<typename T> T *child(QWidget &dialog, const char *name)
{
    T *w = dialog.findChild<T *>(QLatin1String(name));
    if (!w)
        qWarning("no %s in the dialog", name);
    return w;
}

// Runs exec() while `drive` acts on the shown dialog like a person; a drive that fails, or a
// dialog that never closes, ends with -1 instead of hanging the test.
int execDriven(QDialog &dialog, const std::function<void()> &drive, int timeoutMs = 20000)
{
    QTimer::singleShot(0, &dialog, [&dialog, drive] {
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isVisible() && QApplication::activeModalWidget() == &dialog,
                                 5000);
        drive();
    });
    QTimer::singleShot(timeoutMs, &dialog, [&dialog] {
        if (dialog.isVisible())
            dialog.done(-1);
    });
    return dialog.exec();
}

void verifyNoTruncatedText(QWidget &window)
{
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QList<QLabel *> labels = window.findChildren<QLabel *>();
    for (QLabel *label : labels) {
        if (!label->isVisible() || !label->wordWrap() || label->text().isEmpty())
            continue;
        QVERIFY2(label->height() >= label->heightForWidth(label->width()),
                 qPrintable(QStringLiteral("label %1 is cut off").arg(label->objectName())));
    }
}
} // namespace

class tst_LoginDialog : public QObject
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

    void testAndSaveStoresTheKeyOnlyAfterARealRequestSucceeded()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        const QString key = testSecret(QStringLiteral("loginok"));
        server.setExpectedApiKey(key.toUtf8());
        Services s(QStringLiteral("login-ok"), pointedAt(server));
        LoginDialog dialog(s.services);
        QSignalSpy saved(&dialog, &LoginDialog::credentialSaved);

        bool sawBusy = false;
        bool storedBeforeAnswer = true;
        const int result = execDriven(dialog, [&] {
            auto *edit = child<QLineEdit>(dialog, "apiKeyLineEdit");
            QCOMPARE(dialog.focusWidget(), edit);
            QTest::keyClicks(edit, key);
            QTest::mouseClick(child<QPushButton>(dialog, "testAndSavePushButton"), Qt::LeftButton);
            // The request runs in the background: the dialog is busy, not frozen.
            sawBusy = dialog.isBusy() &&
                      !child<QPushButton>(dialog, "testAndSavePushButton")->isEnabled() &&
                      child<QProgressBar>(dialog, "testProgressBar")->isVisible() &&
                      !edit->isEnabled();
            storedBeforeAnswer = s.keychain.readSync(QLatin1String(KeychainStore::kApiKey)).ok();
        });
        QCOMPARE(result, int(QDialog::Accepted));
        QVERIFY(sawBusy);
        QVERIFY(!storedBeforeAnswer);

        QCOMPARE(server.requests().size(), 1);
        const auto request = server.lastRequest();
        QCOMPARE(request.method, QByteArray("GET"));
        QCOMPARE(request.path, QStringLiteral("/v1/models"));
        QVERIFY(request.header("x-api-key") == key.toUtf8());
        QCOMPARE(request.responseStatus, 200);

        const KeychainResult stored = s.keychain.readSync(QLatin1String(KeychainStore::kApiKey));
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        QVERIFY(stored.data == key);
        QCOMPARE(saved.count(), 1);
        QCOMPARE(saved.at(0).at(0).toString(), QStringLiteral("api-key"));
        // services.reload ran, and the resolver now finds the stored key.
        QCOMPARE(s.reloads, 1);
        QCOMPARE(s.services.resolution.credential.source, QStringLiteral("keychain:api-key"));
        QVERIFY(child<QLineEdit>(dialog, "apiKeyLineEdit")->text().isEmpty());
    }

    void wrongKeyStoresNothingAndSaysWhatToDo()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        server.setExpectedApiKey(testSecret(QStringLiteral("loginright")).toUtf8());
        Services s(QStringLiteral("login-401"), pointedAt(server));
        const QString wrong = testSecret(QStringLiteral("loginwrong"));
        LoginDialog dialog(s.services);
        QSignalSpy saved(&dialog, &LoginDialog::credentialSaved);

        QString status;
        const int result = execDriven(dialog, [&] {
            QTest::keyClicks(child<QLineEdit>(dialog, "apiKeyLineEdit"), wrong);
            QTest::keyClick(child<QLineEdit>(dialog, "apiKeyLineEdit"), Qt::Key_Return);
            QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 10000);
            status = dialog.statusText();
            QVERIFY(dialog.isVisible()); // a failure never closes the dialog
            if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR"))
                dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                                   QStringLiteral("/login-dialog-401.png"));
            QTest::keyClick(dialog.focusWidget(), Qt::Key_Escape);
        });
        QCOMPARE(result, int(QDialog::Rejected));
        QCOMPARE(server.requests().size(), 1);
        QCOMPARE(server.lastRequest().responseStatus, 401);
        QVERIFY2(status.contains(QStringLiteral("nothing was saved")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("HTTP 401")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("invalid x-api-key")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("press Test and save")), qPrintable(status));
        QVERIFY(!status.contains(wrong));
        QVERIFY(!status.contains(wrong.right(12)));
        QCOMPARE(s.keychain.readSync(QLatin1String(KeychainStore::kApiKey)).status,
                 KeychainResult::Status::NotFound);
        QCOMPARE(saved.count(), 0);
        QCOMPARE(s.reloads, 0);
    }

    void cancelStopsARunningTestAndSavesNothing()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        server.enqueue(FakeResponse::stallConnection(), FakeAnthropicServer::Route::ListModels);
        Services s(QStringLiteral("login-cancel"), pointedAt(server));
        LoginDialog dialog(s.services);

        QString status;
        bool openAfterCancel = false;
        const int result = execDriven(dialog, [&] {
            QTest::keyClicks(child<QLineEdit>(dialog, "apiKeyLineEdit"),
                             testSecret(QStringLiteral("logincancel")));
            QTest::mouseClick(child<QPushButton>(dialog, "testAndSavePushButton"), Qt::LeftButton);
            QTRY_COMPARE_WITH_TIMEOUT(server.requests().size(), 1, 10000);
            QVERIFY(dialog.isBusy());
            QTest::mouseClick(child<QPushButton>(dialog, "cancelPushButton"), Qt::LeftButton);
            QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 5000);
            status = dialog.statusText();
            openAfterCancel = dialog.isVisible();
            // The field is usable again, and a second Cancel closes the dialog.
            QVERIFY(child<QLineEdit>(dialog, "apiKeyLineEdit")->isEnabled());
            QTest::mouseClick(child<QPushButton>(dialog, "cancelPushButton"), Qt::LeftButton);
        });
        QCOMPARE(result, int(QDialog::Rejected));
        QVERIFY(openAfterCancel);
        QVERIFY2(status.contains(QStringLiteral("cancelled")), qPrintable(status));
        QCOMPARE(s.keychain.readSync(QLatin1String(KeychainStore::kApiKey)).status,
                 KeychainResult::Status::NotFound);
    }

    void bearerTokenIsTestedAsBearerAndSavedUnderItsOwnKey()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        const QString token = testSecret(QStringLiteral("loginbearer"));
        server.setExpectedBearerToken(token.toUtf8());
        Services s(QStringLiteral("login-bearer"), pointedAt(server));
        LoginDialog dialog(s.services);

        const int result = execDriven(dialog, [&] {
            auto *tokenEdit = child<QLineEdit>(dialog, "bearerTokenLineEdit");
            QVERIFY(!tokenEdit->isEnabled()); // API key is the first choice
            // A person clicks on the choice's words.
            auto *radio = child<QRadioButton>(dialog, "bearerTokenRadioButton");
            QTest::mouseClick(radio, Qt::LeftButton, {}, QPoint(12, radio->height() / 2));
            QVERIFY(tokenEdit->isEnabled());
            QVERIFY(!child<QLineEdit>(dialog, "apiKeyLineEdit")->isEnabled());
            QCOMPARE(tokenEdit->echoMode(), QLineEdit::Password);
            // The cursor is in the token field, ready for the paste.
            QCOMPARE(dialog.focusWidget(), tokenEdit);
            QTest::keyClicks(dialog.focusWidget(), token);
            QTest::mouseClick(child<QPushButton>(dialog, "testAndSavePushButton"), Qt::LeftButton);
        });
        QCOMPARE(result, int(QDialog::Accepted));
        QVERIFY(server.lastRequest().header("authorization") == "Bearer " + token.toUtf8());
        QVERIFY(!server.lastRequest().hasHeader("x-api-key"));
        const KeychainResult stored =
            s.keychain.readSync(QLatin1String(LoginDialog::kBearerTokenKey));
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        QVERIFY(stored.data == token);
        QCOMPARE(s.keychain.readSync(QLatin1String(KeychainStore::kApiKey)).status,
                 KeychainResult::Status::NotFound);
    }

    void environmentKeyIsNamedAsTheCredentialAlreadyProvided()
    {
        const QString key = testSecret(QStringLiteral("loginenv"));
        Services s(QStringLiteral("login-env"), {{QStringLiteral("ANTHROPIC_API_KEY"), key}});
        LoginDialog dialog(s.services);
        dialog.show();
        auto *line = child<QLabel>(dialog, "existingCredentialLabel");
        QVERIFY(line->isVisible());
        QVERIFY2(line->text().contains(QStringLiteral("ANTHROPIC_API_KEY from the environment")),
                 qPrintable(line->text()));
        QVERIFY2(line->text().contains(QStringLiteral("takes priority")), qPrintable(line->text()));
        QVERIFY(!line->text().contains(key));
    }

    void keyHelperIsNamedWithItsFile()
    {
        Services s(QStringLiteral("login-helper"));
        s.home.userSettings(
            QJsonObject{{QStringLiteral("apiKeyHelper"), QStringLiteral("pass show anthropic")}});
        s.context = AuthContext::load(s.options);
        s.services.resolution = AuthResolver::resolve(s.context, s.services.keychainSnapshot);
        LoginDialog dialog(s.services);
        dialog.show();
        auto *line = child<QLabel>(dialog, "existingCredentialLabel");
        QVERIFY(line->isVisible());
        QVERIFY2(line->text().contains(QStringLiteral("apiKeyHelper command from ") +
                                       s.home.configDir() + QStringLiteral("/settings.json")),
                 qPrintable(line->text()));
    }

    void noOtherCredentialMeansNoLine()
    {
        Services s(QStringLiteral("login-none"));
        LoginDialog dialog(s.services);
        dialog.show();
        QVERIFY(!child<QLabel>(dialog, "existingCredentialLabel")->isVisible());
    }

    void emptyFieldAsksForTheKeyAndSendsNothing()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        Services s(QStringLiteral("login-empty"), pointedAt(server));
        LoginDialog dialog(s.services);
        dialog.show();
        QTest::mouseClick(child<QPushButton>(dialog, "testAndSavePushButton"), Qt::LeftButton);
        QVERIFY(!dialog.isBusy());
        QVERIFY2(dialog.statusText().contains(QStringLiteral("Paste your API key")),
                 qPrintable(dialog.statusText()));
        QTest::qWait(50);
        QCOMPARE(server.requests().size(), 0);
    }

    void keyWithSpacesInsideIsRejectedBeforeAnyRequest()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        Services s(QStringLiteral("login-spaces"), pointedAt(server));
        LoginDialog dialog(s.services);
        dialog.show();
        QTest::keyClicks(child<QLineEdit>(dialog, "apiKeyLineEdit"), QStringLiteral("sk ant"));
        QTest::mouseClick(child<QPushButton>(dialog, "testAndSavePushButton"), Qt::LeftButton);
        QVERIFY(!dialog.isBusy());
        QVERIFY2(dialog.statusText().contains(QStringLiteral("Copy it again")),
                 qPrintable(dialog.statusText()));
        QTest::qWait(50);
        QCOMPARE(server.requests().size(), 0);
    }

    void keyFieldIsMaskedWithAShowHideToggle()
    {
        Services s(QStringLiteral("login-mask"));
        LoginDialog dialog(s.services);
        dialog.show();
        auto *edit = child<QLineEdit>(dialog, "apiKeyLineEdit");
        QCOMPARE(edit->echoMode(), QLineEdit::Password);
        auto *reveal = edit->findChild<QAction *>(QStringLiteral("apiKeyRevealAction"));
        QVERIFY(reveal);
        QVERIFY(edit->actions().contains(reveal));
        reveal->trigger();
        QCOMPARE(edit->echoMode(), QLineEdit::Normal);
        reveal->trigger();
        QCOMPARE(edit->echoMode(), QLineEdit::Password);
    }

    void cloudProviderChoiceAsksForProviderSettingsAndCloses()
    {
        Services s(QStringLiteral("login-cloud"));
        LoginDialog dialog(s.services);
        QSignalSpy requested(&dialog, &LoginDialog::providerSettingsRequested);
        const int result = execDriven(dialog, [&] {
            QTest::mouseClick(child<QPushButton>(dialog, "cloudProviderPushButton"),
                              Qt::LeftButton);
        });
        QCOMPARE(result, int(QDialog::Rejected));
        QCOMPARE(requested.count(), 1);

        // What the app opens for it (GuiApp::showSettings): the settings dialog, on the one
        // choice of provider rather than on the Anthropic page, with every provider choosable.
        SettingsDialog settings(s.services);
        settings.show();
        QVERIFY(QTest::qWaitForWindowExposed(&settings));
        QCOMPARE(settings.currentPage(), SettingsDialog::Page::Provider);
        auto *choice = settings.findChild<QWidget *>(QStringLiteral("providerChoicePage"));
        QVERIFY(choice && choice->isVisible());
        for (const char *p : {"anthropic", "bedrock", "vertex", "foundry"}) {
            auto *radio = settings.findChild<QRadioButton *>(QLatin1String(p) +
                                                             QStringLiteral("ProviderRadioButton"));
            QVERIFY2(radio && radio->isVisible() && radio->isEnabled(), p);
        }
        QVERIFY(settings.findChild<QRadioButton *>(QStringLiteral("anthropicProviderRadioButton"))
                    ->isChecked());
        QVERIFY(
            !settings.findChild<QWidget *>(QStringLiteral("anthropicSettingsPage"))->isVisible());
    }

    void subscriptionOptionIsAbsentUntilAddedThroughTheSeam()
    {
        Services s(QStringLiteral("login-seam"));
        LoginDialog dialog(s.services);
        dialog.show();
        for (QAbstractButton *b : dialog.findChildren<QAbstractButton *>())
            QVERIFY2(!b->text().contains(QStringLiteral("Claude.ai")), qPrintable(b->text()));
        QVERIFY(!child<QWidget>(dialog, "subscriptionWidget")->isVisible());

        auto *option = new QPushButton(QStringLiteral("Log in with Claude.ai"));
        option->setObjectName(QStringLiteral("subscriptionPushButton"));
        dialog.addSubscriptionOption(option);
        QVERIFY(option->isVisible());
        QCOMPARE(option->window(), &dialog);
        // It comes before the key choices in the tab order.
        QCOMPARE(option->nextInFocusChain(),
                 static_cast<QWidget *>(child<QRadioButton>(dialog, "apiKeyRadioButton")));
    }

    void widgetsHaveTypedObjectNamesAndAccessibleNames()
    {
        Services s(QStringLiteral("login-names"));
        LoginDialog dialog(s.services);
        for (const char *name : {"apiKeyLineEdit", "bearerTokenLineEdit", "apiKeyRadioButton",
                                 "bearerTokenRadioButton", "testAndSavePushButton",
                                 "cancelPushButton", "cloudProviderPushButton", "statusLabel"}) {
            QWidget *w = child<QWidget>(dialog, name);
            QVERIFY2(w, name);
            QVERIFY2(!w->accessibleName().isEmpty(), name);
        }
        QVERIFY(child<QPushButton>(dialog, "testAndSavePushButton")->isDefault());
    }

    void defaultSizeShowsEveryTextInFull()
    {
        Services s(QStringLiteral("login-size"),
                   {{QStringLiteral("ANTHROPIC_API_KEY"), testSecret(QStringLiteral("size"))}});
        LoginDialog dialog(s.services);
        verifyNoTruncatedText(dialog);
        QTest::mouseClick(child<QPushButton>(dialog, "testAndSavePushButton"), Qt::LeftButton);
        verifyNoTruncatedText(dialog);
        if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR"))
            dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                               QStringLiteral("/login-dialog.png"));
    }
};

QTEST_MAIN(tst_LoginDialog)
#include "tst_LoginDialog.moc"
