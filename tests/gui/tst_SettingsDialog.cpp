#include "AppServices.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "ConnectionsPage.h"
#include "DialogSupport.h"
#include "FakeAnthropicServer.h"
#include "FakeBedrockServer.h"
#include "KeychainStore.h"
#include "ProviderChoicePage.h"
#include "ProviderSettingsPage.h"
#include "SettingsDialog.h"
#include "TestPki.h"
#include "TestSupport.h"

#include <QApplication>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QNetworkAccessManager>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QScreen>
#include <QScrollArea>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QtTest>

#include <functional>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;

namespace {
const char *const kAwsToken = "cloud:aws-bearer-token";
const char *const kFoundryKey = "cloud:foundry-api-key";

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
        services.context = &context;
        services.keychain = &keychain;
        services.network = &network;
        services.reload = [this](std::function<void()> done) {
            context = AuthContext::load(options);
            KeychainSnapshot::load(&keychain, [this, done](const KeychainSnapshot &snapshot) {
                services.keychainSnapshot = snapshot;
                services.resolution = AuthResolver::resolve(context, snapshot);
                ++reloads;
                done();
            });
        };
        load();
    }
    ~Services()
    {
        for (const char *key : {KeychainStore::kApiKey, kAwsToken, kFoundryKey})
            keychain.removeSync(QLatin1String(key));
    }
    // Loads what the files say now, as the app does at start.
    void load()
    {
        context = AuthContext::load(options);
        services.keychainSnapshot = KeychainSnapshot::loadSync(&keychain);
        services.resolution = AuthResolver::resolve(context, services.keychainSnapshot);
    }
    QString userFile() const { return home.configDir() + QStringLiteral("/settings.json"); }
    QByteArray userFileBytes() const
    {
        QFile f(userFile());
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    QJsonObject userJson() const { return QJsonDocument::fromJson(userFileBytes()).object(); }
    QJsonObject userEnv() const { return userJson().value(QStringLiteral("env")).toObject(); }

    TestHome home;
    AuthContext::Options options;
    AuthContext context;
    KeychainStore keychain;
    QNetworkAccessManager network;
    AppServices services;
    int reloads = 0;
};

template<typename T> T *field(QWidget &dialog, const QString &variable, const char *type)
{
    const QString name = objectNameFor(variable, QLatin1String(type));
    T *w = dialog.findChild<T *>(name);
    if (!w)
        qWarning("no %s in the dialog", qPrintable(name));
    return w;
}
QLineEdit *lineEdit(QWidget &d, const char *v)
{
    return field<QLineEdit>(d, QLatin1String(v), "LineEdit");
}
QLabel *sourceLabel(QWidget &d, const char *v)
{
    return field<QLabel>(d, QLatin1String(v), "SourceLabel");
}
QLabel *errorLabel(QWidget &d, const char *v)
{
    return field<QLabel>(d, QLatin1String(v), "ErrorLabel");
}
QCheckBox *checkBox(QWidget &d, const char *v)
{
    return field<QCheckBox>(d, QLatin1String(v), "CheckBox");
}

void openPage(SettingsDialog &dialog, SettingsDialog::Page page)
{
    auto *list = dialog.findChild<QListWidget *>(QStringLiteral("pagesListWidget"));
    QListWidgetItem *item = list->item(int(page));
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(item).center());
    auto *scroll = qobject_cast<QScrollArea *>(
        dialog.findChild<QStackedWidget *>(QStringLiteral("pagesStackedWidget"))->currentWidget());
    QVERIFY(scroll);
    if (page == SettingsDialog::Page::Provider)
        QCOMPARE(scroll->widget(), static_cast<QWidget *>(dialog.providerChoice()));
    else
        QCOMPARE(scroll->widget(), static_cast<QWidget *>(dialog.page(page)));
}

// The Provider page's button for "anthropic", "bedrock", "vertex" or "foundry".
QRadioButton *radio(QWidget &d, const char *provider)
{
    auto *b = d.findChild<QRadioButton *>(QLatin1String(provider) +
                                          QStringLiteral("ProviderRadioButton"));
    if (!b)
        qWarning("no radio button for %s", provider);
    return b;
}

void clickRadio(QRadioButton *button)
{
    QTest::mouseClick(button, Qt::LeftButton, {}, QPoint(8, button->height() / 2));
}

void typeInto(QLineEdit *edit, const QString &text)
{
    edit->setFocus(Qt::TabFocusReason);
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Delete);
    QTest::keyClicks(edit, text);
}

void clickSave(SettingsDialog &dialog)
{
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("savePushButton")),
                      Qt::LeftButton);
}

void verifyNoTruncatedText(QWidget &window)
{
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

class tst_SettingsDialog : public QObject
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

    // Issue 14: on an 800 x 600 screen the dialog fits whole, and each page scrolls instead of
    // pushing the buttons off the screen.
    void fitsAnEightHundredBySixHundredScreen()
    {
        Services s(QStringLiteral("settings-small-screen"));
        SettingsDialog dialog(s.services);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        // What is left of an 800 x 600 screen after a panel and the title bar.
        const QSize small(760, 520);
        QVERIFY2(dialog.minimumSizeHint().width() <= small.width() &&
                     dialog.minimumSizeHint().height() <= small.height(),
                 qPrintable(QStringLiteral("%1 x %2")
                                .arg(dialog.minimumSizeHint().width())
                                .arg(dialog.minimumSizeHint().height())));
        dialog.resize(small);
        QTRY_COMPARE(dialog.size(), small);
        const QRect area = dialog.rect();
        const QList<QScrollArea *> scrolls =
            dialog.findChildren<QScrollArea *>(QStringLiteral("pageScrollArea"));
        QCOMPARE(scrolls.size(), 7);
        int choices = 0;
        int connections = 0;
        for (QScrollArea *scroll : scrolls) {
            choices += qobject_cast<ProviderChoicePage *>(scroll->widget()) ? 1 : 0;
            connections += qobject_cast<ConnectionsPage *>(scroll->widget()) ? 1 : 0;
            QVERIFY(qobject_cast<ProviderChoicePage *>(scroll->widget()) ||
                    qobject_cast<ProviderSettingsPage *>(scroll->widget()) ||
                    qobject_cast<ConnectionsPage *>(scroll->widget()));
        }
        QCOMPARE(choices, 1);
        QCOMPARE(connections, 1);
        // The dialog's own buttons stay inside it; the page scrolls instead.
        for (QPushButton *button : dialog.findChildren<QPushButton *>()) {
            if (!button->isVisible() || !qobject_cast<QDialogButtonBox *>(button->parentWidget()))
                continue;
            const QRect inDialog(button->mapTo(&dialog, QPoint(0, 0)), button->size());
            QVERIFY2(area.contains(inDialog), qPrintable(button->text()));
        }
    }

    // Issue 14: one choice of provider, on the page the dialog opens on. Each choice saves the
    // variable the CLI reads and clears the others.
    void theProviderIsOneChoiceAndEveryChoiceSaves()
    {
        Services s(QStringLiteral("settings-choice"));
        s.home.userSettings(QJsonObject{
            {QStringLiteral("env"),
             QJsonObject{{QStringLiteral("CLAUDE_CODE_USE_VERTEX"), QStringLiteral("1")},
                         {QStringLiteral("OTHER"), QStringLiteral("kept")}}}});
        s.load();
        SettingsDialog dialog(s.services);
        QSignalSpy saved(&dialog, &SettingsDialog::saved);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.currentPage(), SettingsDialog::Page::Provider);
        QVERIFY(radio(dialog, "vertex")->isChecked());
        QVERIFY(radio(dialog, "vertex")->isVisible());

        const struct
        {
            const char *name;
            Provider provider;
            const char *variable;
        } choices[] = {{"bedrock", Provider::Bedrock, "CLAUDE_CODE_USE_BEDROCK"},
                       {"foundry", Provider::Foundry, "CLAUDE_CODE_USE_FOUNDRY"},
                       {"anthropic", Provider::Anthropic, nullptr},
                       {"vertex", Provider::Vertex, "CLAUDE_CODE_USE_VERTEX"}};
        int saves = 0;
        for (const auto &c : choices) {
            QVERIFY2(radio(dialog, c.name)->isEnabled(), c.name);
            clickRadio(radio(dialog, c.name));
            QVERIFY(radio(dialog, c.name)->isChecked());
            clickSave(dialog);
            ++saves;
            QTRY_COMPARE_WITH_TIMEOUT(saved.count(), saves, 10000);
            QVERIFY2(saved.last().at(0).toBool(), qPrintable(dialog.statusText()));
            QCOMPARE(s.context.provider(), c.provider);
            QJsonObject expected{{QStringLiteral("OTHER"), QStringLiteral("kept")}};
            if (c.variable)
                expected.insert(QLatin1String(c.variable), QStringLiteral("1"));
            QCOMPARE(s.userEnv(), expected);
            // The page shows the saved choice again.
            QVERIFY(radio(dialog, c.name)->isChecked());
            QVERIFY(!dialog.providerChoice()->hasUnsavedChanges());
        }

        // Arrow keys move the choice, as in any radio group; "Settings…" opens its page.
        radio(dialog, "vertex")->setFocus(Qt::TabFocusReason);
        QTest::keyClick(radio(dialog, "vertex"), Qt::Key_Down);
        QVERIFY(radio(dialog, "foundry")->isChecked());
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("foundryOpenPagePushButton")),
            Qt::LeftButton);
        QCOMPARE(dialog.currentPage(), SettingsDialog::Page::Foundry);
    }

    // A layer above the user settings decides the provider: the choices it rules out cannot
    // be made, and the page names the setting and its file.
    void aChoiceRuledOutByManagedSettingsCannotBeMade()
    {
        Services s(QStringLiteral("settings-choice-locked"));
        s.home.writeJson(s.home.managedDir() + QStringLiteral("/managed-settings.json"),
                         QJsonObject{{QStringLiteral("env"),
                                      QJsonObject{{QStringLiteral("CLAUDE_CODE_USE_FOUNDRY"),
                                                   QStringLiteral("1")}}}});
        s.load();
        SettingsDialog dialog(s.services);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(radio(dialog, "foundry")->isChecked());
        QVERIFY(radio(dialog, "foundry")->isEnabled()); // focus still reaches the group
        // Without a user setting the managed one applies; Bedrock still outranks Foundry (the
        // CLI's order), so it alone can still be chosen.
        QVERIFY(!radio(dialog, "anthropic")->isEnabled());
        QVERIFY(!radio(dialog, "vertex")->isEnabled());
        QVERIFY(radio(dialog, "bedrock")->isEnabled());
        auto *locks = dialog.findChild<QLabel *>(QStringLiteral("providerChoiceLockLabel"));
        QVERIFY(locks && locks->isVisible());
        QVERIFY2(locks->text().contains(QStringLiteral("Set by managed settings (") +
                                        s.home.managedDir()),
                 qPrintable(locks->text()));
        QVERIFY2(locks->text().contains(QStringLiteral("CLAUDE_CODE_USE_FOUNDRY=1")),
                 qPrintable(locks->text()));
        QVERIFY2(locks->text().contains(QStringLiteral("Anthropic, Google Vertex AI cannot")),
                 qPrintable(locks->text()));
        clickRadio(radio(dialog, "anthropic"));
        QVERIFY(radio(dialog, "foundry")->isChecked());
        QVERIFY(dialog.providerChoice()->envChanges().isEmpty());
        if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR"))
            dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                               QStringLiteral("/settings-choice-locked.png"));
    }

    // Issue 14: "Test connection" tests what is on screen. The saved base URL points at one
    // server, the field (not saved) at another: the request goes to the one on screen, and
    // nothing is written.
    void testConnectionTestsTheValuesOnScreen()
    {
        FakeAnthropicServer saved;
        QVERIFY(saved.listen());
        FakeAnthropicServer shown;
        QVERIFY(shown.listen());
        const QString key = testSecret(QStringLiteral("settings-on-screen"));
        saved.setExpectedApiKey(key.toUtf8());
        shown.setExpectedApiKey(key.toUtf8());
        Services s(QStringLiteral("settings-test-on-screen"),
                   {{QStringLiteral("ANTHROPIC_API_KEY"), key}});
        s.home.userSettings(QJsonObject{
            {QStringLiteral("env"),
             QJsonObject{{QStringLiteral("ANTHROPIC_BASE_URL"), saved.baseUrl().toString()}}}});
        s.load();
        const QByteArray fileBefore = s.userFileBytes();
        SettingsDialog dialog(s.services);
        dialog.show();
        openPage(dialog, SettingsDialog::Page::Anthropic);
        typeInto(lineEdit(dialog, "ANTHROPIC_BASE_URL"), shown.baseUrl().toString());
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("anthropicTestConnectionPushButton")),
            Qt::LeftButton);
        auto *result =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("anthropicTestResultPlainTextEdit"));
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 10000);
        const QString text = result->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("Connected: ") + shown.baseUrl().toString()),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("not saved yet")), qPrintable(text));
        QCOMPARE(shown.requests().size(), 1);
        QCOMPARE(saved.requests().size(), 0);
        QVERIFY(shown.lastRequest().header("x-api-key") == key.toUtf8());
        QVERIFY(!text.contains(key));
        // Nothing was saved, and the field still holds what was typed.
        QCOMPARE(s.userFileBytes(), fileBefore);
        QCOMPARE(lineEdit(dialog, "ANTHROPIC_BASE_URL")->text(), shown.baseUrl().toString());
        if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR"))
            dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                               QStringLiteral("/settings-test-on-screen.png"));

        // The provider chosen on screen (not saved) is the one the test speaks of.
        openPage(dialog, SettingsDialog::Page::Provider);
        clickRadio(radio(dialog, "bedrock"));
        openPage(dialog, SettingsDialog::Page::Anthropic);
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("anthropicTestConnectionPushButton")),
            Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 10000);
        QVERIFY2(result->toPlainText().contains(QStringLiteral("AWS Bedrock is selected")),
                 qPrintable(result->toPlainText()));
        QCOMPARE(shown.requests().size(), 1);
        QCOMPARE(s.userFileBytes(), fileBefore);
    }

    // Issue 14: a locked field is read-only, looks it, and says who set it; keyboard focus
    // still reaches it, and neither typing nor the space bar changes it.
    void lockedFieldsAreReadOnlyAndNameTheirSource()
    {
        Services s(QStringLiteral("settings-locked"),
                   {{QStringLiteral("AWS_REGION"), QStringLiteral("eu-west-3")}});
        s.home.writeJson(
            s.home.managedDir() + QStringLiteral("/managed-settings.json"),
            QJsonObject{{QStringLiteral("env"),
                         QJsonObject{{QStringLiteral("API_TIMEOUT_MS"), QStringLiteral("90000")},
                                     {QStringLiteral("CLAUDE_CODE_ADDITIONAL_PROTECTION"),
                                      QStringLiteral("1")}}}});
        s.load();
        SettingsDialog dialog(s.services);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        openPage(dialog, SettingsDialog::Page::Anthropic);

        QLineEdit *timeout = lineEdit(dialog, "API_TIMEOUT_MS");
        QVERIFY(timeout->isReadOnly());
        QCOMPARE(timeout->palette().color(QPalette::Active, QPalette::Text),
                 timeout->palette().color(QPalette::Disabled, QPalette::Text));
        QVERIFY(lineEdit(dialog, "ANTHROPIC_BETAS")
                    ->palette()
                    .color(QPalette::Active, QPalette::Text) !=
                lineEdit(dialog, "ANTHROPIC_BETAS")
                    ->palette()
                    .color(QPalette::Disabled, QPalette::Text));
        const QString timeoutSource = sourceLabel(dialog, "API_TIMEOUT_MS")->text();
        QVERIFY2(timeoutSource.contains(QStringLiteral("set by managed settings (") +
                                        s.home.managedDir()),
                 qPrintable(timeoutSource));
        // Tab reaches it; typing changes nothing.
        QLineEdit *before = lineEdit(dialog, "ANTHROPIC_BASE_URL");
        before->setFocus(Qt::TabFocusReason);
        QWidget *w = before;
        for (int i = 0; i < 8 && QApplication::focusWidget() != timeout; ++i) {
            QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
            w = QApplication::focusWidget();
        }
        QCOMPARE(w, static_cast<QWidget *>(timeout));
        QTest::keyClicks(timeout, QStringLiteral("123"));
        QCOMPARE(timeout->text(), QStringLiteral("90000"));

        QCheckBox *protection = checkBox(dialog, "CLAUDE_CODE_ADDITIONAL_PROTECTION");
        QVERIFY(protection->isChecked());
        QVERIFY(protection->isEnabled()); // focusable, so its note can be read
        QVERIFY(protection->focusPolicy() & Qt::TabFocus);
        protection->setFocus(Qt::TabFocusReason);
        QTest::keyClick(protection, Qt::Key_Space);
        QVERIFY(protection->isChecked());
        QTest::mouseClick(protection, Qt::LeftButton, {}, QPoint(8, protection->height() / 2));
        QVERIFY(protection->isChecked());
        QCOMPARE(protection->palette().color(QPalette::Active, QPalette::WindowText),
                 protection->palette().color(QPalette::Disabled, QPalette::WindowText));
        QVERIFY(sourceLabel(dialog, "CLAUDE_CODE_ADDITIONAL_PROTECTION")
                    ->text()
                    .contains(QStringLiteral("managed settings")));

        openPage(dialog, SettingsDialog::Page::Bedrock);
        QLineEdit *region = lineEdit(dialog, "AWS_REGION");
        QVERIFY(region->isReadOnly());
        QVERIFY(sourceLabel(dialog, "AWS_REGION")
                    ->text()
                    .contains(QStringLiteral("set in the environment")));
        for (SettingsDialog::Page p :
             {SettingsDialog::Page::Anthropic, SettingsDialog::Page::Bedrock})
            QVERIFY(dialog.page(p)->envChanges().isEmpty());
        if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR")) {
            openPage(dialog, SettingsDialog::Page::Anthropic);
            dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                               QStringLiteral("/settings-locked.png"));
        }
    }

    // Issue 14: a value set in two places says which one wins, by the precedence the settings
    // are applied with: settings files over the environment, managed settings over the user's.
    void aValueSetInTwoPlacesSaysWhichWins()
    {
        Services s(QStringLiteral("settings-two-sources"),
                   {{QStringLiteral("ANTHROPIC_BASE_URL"), QStringLiteral("https://env.example")}});
        s.home.userSettings(
            QJsonObject{{QStringLiteral("env"),
                         QJsonObject{{QStringLiteral("ANTHROPIC_BASE_URL"),
                                      QStringLiteral("https://user.example")},
                                     {QStringLiteral("API_TIMEOUT_MS"), QStringLiteral("1000")}}}});
        s.home.writeJson(
            s.home.managedDir() + QStringLiteral("/managed-settings.json"),
            QJsonObject{{QStringLiteral("env"),
                         QJsonObject{{QStringLiteral("API_TIMEOUT_MS"), QStringLiteral("2000")}}}});
        s.load();
        SettingsDialog dialog(s.services);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        openPage(dialog, SettingsDialog::Page::Anthropic);

        QLineEdit *base = lineEdit(dialog, "ANTHROPIC_BASE_URL");
        QCOMPARE(base->text(), QStringLiteral("https://user.example"));
        QVERIFY(!base->isReadOnly());
        QLabel *baseNote =
            field<QLabel>(dialog, QStringLiteral("ANTHROPIC_BASE_URL"), "OverrideLabel");
        QVERIFY(baseNote && baseNote->isVisible());
        QCOMPARE(baseNote->text(),
                 QStringLiteral("Also set in the environment Qlaude was started from, which is "
                                "ignored: user settings (%1) wins.")
                     .arg(s.userFile()));

        QLineEdit *timeout = lineEdit(dialog, "API_TIMEOUT_MS");
        QCOMPARE(timeout->text(), QStringLiteral("2000"));
        QVERIFY(timeout->isReadOnly());
        QCOMPARE(
            field<QLabel>(dialog, QStringLiteral("API_TIMEOUT_MS"), "OverrideLabel")->text(),
            QStringLiteral("Also set in user settings (%1), which is ignored: managed "
                           "settings (%2) wins.")
                .arg(s.userFile(), s.home.managedDir() + QStringLiteral("/managed-settings.json")));
        // Set in one place only: no note.
        QVERIFY(!field<QLabel>(dialog, QStringLiteral("ANTHROPIC_BETAS"), "OverrideLabel")
                     ->isVisible());
        verifyNoTruncatedText(dialog);
        if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR"))
            dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                               QStringLiteral("/settings-two-sources.png"));
    }

    void hasAPageAndAFieldForEveryProviderVariable()
    {
        Services s(QStringLiteral("settings-pages"));
        SettingsDialog dialog(s.services);
        auto *list = dialog.findChild<QListWidget *>(QStringLiteral("pagesListWidget"));
        QCOMPARE(list->count(), 7);
        QCOMPARE(list->item(6)->text(), QStringLiteral("Connections"));
        QCOMPARE(list->item(0)->text(), QStringLiteral("Provider"));
        QCOMPARE(list->item(1)->text(), QStringLiteral("Anthropic"));
        QCOMPARE(list->item(2)->text(), QStringLiteral("AWS Bedrock"));
        QCOMPARE(list->item(3)->text(), QStringLiteral("Google Vertex AI"));
        QCOMPARE(list->item(4)->text(), QStringLiteral("Microsoft Foundry"));
        QCOMPARE(list->item(5)->text(), QStringLiteral("Network"));
        const QStringList lines = {"ANTHROPIC_BASE_URL",
                                   "ANTHROPIC_MODEL",
                                   "API_TIMEOUT_MS",
                                   "ANTHROPIC_BETAS",
                                   "AWS_REGION",
                                   "AWS_PROFILE",
                                   "ANTHROPIC_BEDROCK_BASE_URL",
                                   "AWS_BEARER_TOKEN_BEDROCK",
                                   "ANTHROPIC_VERTEX_PROJECT_ID",
                                   "CLOUD_ML_REGION",
                                   "ANTHROPIC_VERTEX_BASE_URL",
                                   "ANTHROPIC_FOUNDRY_RESOURCE",
                                   "ANTHROPIC_FOUNDRY_BASE_URL",
                                   "ANTHROPIC_FOUNDRY_API_KEY"};
        for (const QString &v : lines) {
            QLineEdit *edit = field<QLineEdit>(dialog, v, "LineEdit");
            QVERIFY2(edit, qPrintable(v));
            QVERIFY2(!edit->accessibleName().isEmpty(), qPrintable(v));
            QVERIFY2(edit->toolTip().contains(v), qPrintable(v));
        }
        for (const char *v : {"CLAUDE_CODE_ADDITIONAL_PROTECTION", "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
                              "CLAUDE_CODE_SKIP_VERTEX_AUTH", "CLAUDE_CODE_SKIP_FOUNDRY_AUTH"})
            QVERIFY2(field<QCheckBox>(dialog, QLatin1String(v), "CheckBox"), v);
        // The provider is one choice, not a "Use" check box on each page.
        for (const char *v :
             {"CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY"})
            QVERIFY2(!dialog.findChild<QCheckBox *>(
                         objectNameFor(QLatin1String(v), QStringLiteral("CheckBox"))),
                     v);
        QCOMPARE(
            dialog.findChildren<QRadioButton *>(QRegularExpression("ProviderRadioButton$")).size(),
            4);
        QVERIFY(field<QPlainTextEdit>(dialog, QStringLiteral("ANTHROPIC_CUSTOM_HEADERS"),
                                      "PlainTextEdit"));
        // Secrets are masked.
        QCOMPARE(lineEdit(dialog, "AWS_BEARER_TOKEN_BEDROCK")->echoMode(), QLineEdit::Password);
        QCOMPARE(lineEdit(dialog, "ANTHROPIC_FOUNDRY_API_KEY")->echoMode(), QLineEdit::Password);
        // Every page has its own Test connection button.
        for (const char *p : {"anthropic", "bedrock", "vertex", "foundry"})
            QVERIFY(dialog.findChild<QPushButton *>(QLatin1String(p) +
                                                    QStringLiteral("TestConnectionPushButton")));
    }

    void showsEffectiveValuesAndWhereTheyComeFrom()
    {
        Services s(QStringLiteral("settings-sources"),
                   {{QStringLiteral("AWS_REGION"), QStringLiteral("eu-west-1")}});
        s.home.userSettings(QJsonObject{
            {QStringLiteral("env"),
             QJsonObject{{QStringLiteral("ANTHROPIC_BETAS"), QStringLiteral("beta-one")},
                         {QStringLiteral("CLAUDE_CODE_USE_VERTEX"), QStringLiteral("true")}}}});
        s.home.writeJson(
            s.home.managedDir() + QStringLiteral("/managed-settings.json"),
            QJsonObject{{QStringLiteral("env"), QJsonObject{{QStringLiteral("API_TIMEOUT_MS"),
                                                             QStringLiteral("120000")}}}});
        s.home.projectSettings(QJsonObject{
            {QStringLiteral("env"),
             QJsonObject{{QStringLiteral("ANTHROPIC_MODEL"), QStringLiteral("claude-proj")}}}});
        s.load();
        SettingsDialog dialog(s.services);
        dialog.show();

        // User settings: shown and editable.
        QLineEdit *betas = lineEdit(dialog, "ANTHROPIC_BETAS");
        QCOMPARE(betas->text(), QStringLiteral("beta-one"));
        QVERIFY(!betas->isReadOnly());
        QVERIFY2(sourceLabel(dialog, "ANTHROPIC_BETAS")->text().contains(s.userFile()),
                 qPrintable(sourceLabel(dialog, "ANTHROPIC_BETAS")->text()));
        QVERIFY(radio(dialog, "vertex")->isChecked());
        QVERIFY(radio(dialog, "vertex")->isEnabled());

        // The process environment: shown, locked, with the reason.
        QLineEdit *region = lineEdit(dialog, "AWS_REGION");
        QCOMPARE(region->text(), QStringLiteral("eu-west-1"));
        QVERIFY(region->isReadOnly());
        const QString regionSource = sourceLabel(dialog, "AWS_REGION")->text();
        QVERIFY2(regionSource.startsWith(QStringLiteral("Locked")), qPrintable(regionSource));
        QVERIFY2(regionSource.contains(QStringLiteral("environment")), qPrintable(regionSource));
        QVERIFY(region->toolTip().contains(QStringLiteral("environment")));
        // It looks locked: no input-white field, unlike an editable one.
        QCOMPARE(region->palette().color(QPalette::Base),
                 region->palette().color(QPalette::Window));
        QVERIFY(lineEdit(dialog, "ANTHROPIC_BASE_URL")->palette().color(QPalette::Base) !=
                lineEdit(dialog, "ANTHROPIC_BASE_URL")->palette().color(QPalette::Window));

        // Managed settings: shown, locked.
        QLineEdit *timeout = lineEdit(dialog, "API_TIMEOUT_MS");
        QCOMPARE(timeout->text(), QStringLiteral("120000"));
        QVERIFY(timeout->isReadOnly());
        const QString timeoutSource = sourceLabel(dialog, "API_TIMEOUT_MS")->text();
        QVERIFY2(timeoutSource.contains(QStringLiteral("managed settings")),
                 qPrintable(timeoutSource));
        QVERIFY(timeoutSource.contains(s.home.managedDir()));

        // The workspace's settings outrank the user file: locked too, and the file is named.
        QLineEdit *model = lineEdit(dialog, "ANTHROPIC_MODEL");
        QCOMPARE(model->text(), QStringLiteral("claude-proj"));
        QVERIFY(model->isReadOnly());
        QVERIFY(sourceLabel(dialog, "ANTHROPIC_MODEL")
                    ->text()
                    .contains(s.home.workspace() + QStringLiteral("/.claude/settings.json")));

        // Unset: the default.
        QLineEdit *base = lineEdit(dialog, "ANTHROPIC_BASE_URL");
        QVERIFY(base->text().isEmpty());
        QCOMPARE(base->placeholderText(), QStringLiteral("https://api.anthropic.com"));
        QCOMPARE(sourceLabel(dialog, "ANTHROPIC_BASE_URL")->text(),
                 QStringLiteral("Not set; the default is https://api.anthropic.com."));
        QVERIFY(!radio(dialog, "bedrock")->isChecked());
    }

    void saveWritesOnlyTheEnvBlockAndKeepsForeignKeys()
    {
        Services s(QStringLiteral("settings-save"),
                   {{QStringLiteral("AWS_PROFILE"), QStringLiteral("from-env")}});
        s.home.userSettings(QJsonObject{
            {QStringLiteral("model"), QStringLiteral("opus")},
            {QStringLiteral("permissions"),
             QJsonObject{{QStringLiteral("allow"), QJsonArray{QStringLiteral("Bash(ls)")}}}},
            {QStringLiteral("env"),
             QJsonObject{{QStringLiteral("SOMETHING_ELSE"), QStringLiteral("kept")},
                         {QStringLiteral("ANTHROPIC_MODEL"), QStringLiteral("old-model")},
                         {QStringLiteral("ANTHROPIC_BETAS"), QStringLiteral("old-beta")}}}});
        s.load();
        SettingsDialog dialog(s.services);
        QSignalSpy saved(&dialog, &SettingsDialog::saved);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));

        typeInto(lineEdit(dialog, "ANTHROPIC_MODEL"), QStringLiteral("claude-new"));
        typeInto(lineEdit(dialog, "ANTHROPIC_BETAS"), QString()); // cleared: removed
        typeInto(lineEdit(dialog, "ANTHROPIC_BASE_URL"),
                 QStringLiteral("https://gateway.example.com/anthropic"));
        auto *headers = field<QPlainTextEdit>(dialog, QStringLiteral("ANTHROPIC_CUSTOM_HEADERS"),
                                              "PlainTextEdit");
        headers->setFocus();
        QTest::keyClicks(headers, QStringLiteral("X-Team: research"));
        QTest::keyClick(headers, Qt::Key_Return);
        QTest::keyClicks(headers, QStringLiteral("X-Cost-Center: 42"));
        openPage(dialog, SettingsDialog::Page::Provider);
        clickRadio(radio(dialog, "vertex"));
        QVERIFY(radio(dialog, "vertex")->isChecked());
        openPage(dialog, SettingsDialog::Page::Vertex);
        typeInto(lineEdit(dialog, "ANTHROPIC_VERTEX_PROJECT_ID"), QStringLiteral("my-project"));
        // Enter saves: Save is the default button.
        QTest::keyClick(lineEdit(dialog, "ANTHROPIC_VERTEX_PROJECT_ID"), Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QCOMPARE(saved.at(0).at(0).toBool(), true);
        QVERIFY2(dialog.statusText().contains(s.userFile()), qPrintable(dialog.statusText()));

        const QJsonObject root = s.userJson();
        QCOMPARE(root.value(QStringLiteral("model")).toString(), QStringLiteral("opus"));
        QCOMPARE(root.value(QStringLiteral("permissions"))
                     .toObject()
                     .value(QStringLiteral("allow"))
                     .toArray()
                     .size(),
                 1);
        const QJsonObject env = s.userEnv();
        const QJsonObject expected{
            {QStringLiteral("SOMETHING_ELSE"), QStringLiteral("kept")},
            {QStringLiteral("ANTHROPIC_MODEL"), QStringLiteral("claude-new")},
            {QStringLiteral("ANTHROPIC_BASE_URL"),
             QStringLiteral("https://gateway.example.com/anthropic")},
            {QStringLiteral("ANTHROPIC_CUSTOM_HEADERS"),
             QStringLiteral("X-Team: research\nX-Cost-Center: 42")},
            {QStringLiteral("CLAUDE_CODE_USE_VERTEX"), QStringLiteral("1")},
            {QStringLiteral("ANTHROPIC_VERTEX_PROJECT_ID"), QStringLiteral("my-project")}};
        QCOMPARE(env, expected);
        QCOMPARE(root.keys(), (QStringList{QStringLiteral("env"), QStringLiteral("model"),
                                           QStringLiteral("permissions")}));

        // services.reload ran and the dialog shows the new effective values and sources.
        QCOMPARE(s.reloads, 1);
        QCOMPARE(s.context.env(QStringLiteral("ANTHROPIC_MODEL")), QStringLiteral("claude-new"));
        QCOMPARE(s.context.provider(), Provider::Vertex);
        QVERIFY(sourceLabel(dialog, "ANTHROPIC_BASE_URL")->text().contains(s.userFile()));
        QVERIFY(!dialog.page(SettingsDialog::Page::Anthropic)->hasUnsavedChanges());
    }

    // ANTHROPIC_MODEL is on every page: typing it on one shows it on the others, and it is
    // saved once.
    void theModelFieldIsSharedByThePages()
    {
        Services s(QStringLiteral("settings-model-shared"));
        SettingsDialog dialog(s.services);
        dialog.show();
        openPage(dialog, SettingsDialog::Page::Vertex);
        QLineEdit *vertexModel = dialog.page(SettingsDialog::Page::Vertex)
                                     ->findChild<QLineEdit *>(objectNameFor(
                                         QStringLiteral("ANTHROPIC_MODEL"), "LineEdit"));
        QVERIFY(vertexModel);
        QCOMPARE(vertexModel->placeholderText(), QStringLiteral("claude-sonnet-4-5@20250929"));
        typeInto(vertexModel, QStringLiteral("claude-opus-4-6"));
        for (SettingsDialog::Page p :
             {SettingsDialog::Page::Anthropic, SettingsDialog::Page::Bedrock,
              SettingsDialog::Page::Foundry}) {
            QLineEdit *other = dialog.page(p)->findChild<QLineEdit *>(
                objectNameFor(QStringLiteral("ANTHROPIC_MODEL"), "LineEdit"));
            QVERIFY(other);
            QCOMPARE(other->text(), QStringLiteral("claude-opus-4-6"));
        }
        clickSave(dialog);
        QTRY_COMPARE(s.reloads, 1);
        QCOMPARE(s.context.env(QStringLiteral("ANTHROPIC_MODEL")),
                 QStringLiteral("claude-opus-4-6"));
    }

    void unchangedDialogSavesNothing()
    {
        Services s(QStringLiteral("settings-nochange"));
        SettingsDialog dialog(s.services);
        dialog.show();
        clickSave(dialog);
        QVERIFY2(dialog.statusText().contains(QStringLiteral("Nothing has changed")),
                 qPrintable(dialog.statusText()));
        QVERIFY(!QFile::exists(s.userFile()));
        QCOMPARE(s.reloads, 0);
    }

    void secretGoesToTheKeychainAndNeverIntoTheFile()
    {
        Services s(QStringLiteral("settings-secret"));
        SettingsDialog dialog(s.services);
        QSignalSpy saved(&dialog, &SettingsDialog::saved);
        dialog.show();
        openPage(dialog, SettingsDialog::Page::Bedrock);
        QLineEdit *token = lineEdit(dialog, "AWS_BEARER_TOKEN_BEDROCK");
        QTRY_VERIFY(sourceLabel(dialog, "AWS_BEARER_TOKEN_BEDROCK")
                        ->text()
                        .contains(QStringLiteral("never in a file")));
        const QString secret = testSecret(QStringLiteral("bedrock"));
        typeInto(token, secret);
        QCOMPARE(token->echoMode(), QLineEdit::Password);
        typeInto(lineEdit(dialog, "AWS_REGION"), QStringLiteral("us-west-2"));
        clickSave(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QCOMPARE(saved.at(0).at(0).toBool(), true);

        const QByteArray bytes = s.userFileBytes();
        QVERIFY(!bytes.isEmpty());
        QVERIFY(!bytes.contains(secret.toUtf8()));
        QVERIFY(!bytes.contains("AWS_BEARER_TOKEN_BEDROCK"));
        QCOMPARE(s.userEnv(),
                 (QJsonObject{{QStringLiteral("AWS_REGION"), QStringLiteral("us-west-2")}}));
        const KeychainResult stored = s.keychain.readSync(QLatin1String(kAwsToken));
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        QVERIFY(stored.data == secret);

        // The field is empty again and says where the secret is, with its last characters.
        QVERIFY(token->text().isEmpty());
        QTRY_VERIFY(sourceLabel(dialog, "AWS_BEARER_TOKEN_BEDROCK")
                        ->text()
                        .contains(QStringLiteral("Stored in the keychain")));
        const QString source = sourceLabel(dialog, "AWS_BEARER_TOKEN_BEDROCK")->text();
        QVERIFY(source.contains(secret.right(4)));
        QVERIFY(!source.contains(secret));
    }

    void forgetRemovesAStoredSecret()
    {
        Services s(QStringLiteral("settings-forget"));
        QVERIFY(s.keychain.writeSync(QLatin1String(kFoundryKey), testSecret("foundry")).ok());
        SettingsDialog dialog(s.services);
        dialog.show();
        openPage(dialog, SettingsDialog::Page::Foundry);
        auto *forget = field<QPushButton>(dialog, QStringLiteral("ANTHROPIC_FOUNDRY_API_KEY"),
                                          "ForgetPushButton");
        QTRY_VERIFY(forget->isEnabled());
        QVERIFY(sourceLabel(dialog, "ANTHROPIC_FOUNDRY_API_KEY")
                    ->text()
                    .contains(QStringLiteral("Stored in the keychain")));
        QTest::mouseClick(forget, Qt::LeftButton);
        QTRY_VERIFY(sourceLabel(dialog, "ANTHROPIC_FOUNDRY_API_KEY")
                        ->text()
                        .contains(QStringLiteral("Removed")));
        QCOMPARE(s.keychain.readSync(QLatin1String(kFoundryKey)).status,
                 KeychainResult::Status::NotFound);
    }

    void plaintextSecretInTheUserFileMovesToTheKeychain()
    {
        Services s(QStringLiteral("settings-move"));
        const QString secret = testSecret(QStringLiteral("moved"));
        s.home.userSettings(QJsonObject{
            {QStringLiteral("env"),
             QJsonObject{{QStringLiteral("ANTHROPIC_FOUNDRY_API_KEY"), secret},
                         {QStringLiteral("ANTHROPIC_FOUNDRY_RESOURCE"), QStringLiteral("res")}}}});
        s.load();
        SettingsDialog dialog(s.services);
        QSignalSpy saved(&dialog, &SettingsDialog::saved);
        dialog.show();
        openPage(dialog, SettingsDialog::Page::Foundry);
        const QString source = sourceLabel(dialog, "ANTHROPIC_FOUNDRY_API_KEY")->text();
        QVERIFY2(source.contains(QStringLiteral("plaintext")), qPrintable(source));
        QVERIFY(lineEdit(dialog, "ANTHROPIC_FOUNDRY_API_KEY")->text().isEmpty());
        clickSave(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QVERIFY(!s.userFileBytes().contains(secret.toUtf8()));
        QCOMPARE(s.userEnv(), (QJsonObject{{QStringLiteral("ANTHROPIC_FOUNDRY_RESOURCE"),
                                            QStringLiteral("res")}}));
        QVERIFY(s.keychain.readSync(QLatin1String(kFoundryKey)).data == secret);
    }

    void malformedUserSettingsIsReportedAndLeftUntouched()
    {
        Services s(QStringLiteral("settings-malformed"));
        const QByteArray broken = "{\n  \"env\": {\n    \"ANTHROPIC_MODEL\": \"x\",\n  }\n";
        s.home.writeFile(s.userFile(), broken);
        s.load();
        SettingsDialog dialog(s.services);
        QSignalSpy saved(&dialog, &SettingsDialog::saved);
        dialog.show();
        auto *banner = dialog.findChild<QLabel *>(QStringLiteral("bannerLabel"));
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(s.userFile()), qPrintable(banner->text()));
        QVERIFY2(banner->text().contains(QStringLiteral("line")), qPrintable(banner->text()));

        typeInto(lineEdit(dialog, "ANTHROPIC_MODEL"), QStringLiteral("claude-other"));
        openPage(dialog, SettingsDialog::Page::Bedrock);
        typeInto(lineEdit(dialog, "AWS_BEARER_TOKEN_BEDROCK"),
                 testSecret(QStringLiteral("malformed")));
        clickSave(dialog);
        QTRY_COMPARE(saved.count(), 1);
        QCOMPARE(saved.at(0).at(0).toBool(), false);
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(QStringLiteral("nothing in the file is lost")),
                 qPrintable(banner->text()));
        QVERIFY2(dialog.statusText().contains(QStringLiteral("Nothing was saved")),
                 qPrintable(dialog.statusText()));
        QCOMPARE(s.userFileBytes(), broken);
        // Nothing at all was written: not even the secret went to the keychain.
        QCOMPARE(s.keychain.readSync(QLatin1String(kAwsToken)).status,
                 KeychainResult::Status::NotFound);
        QCOMPARE(s.reloads, 0);
    }

    void invalidValuesAreShownInlineAndStopTheSave()
    {
        Services s(QStringLiteral("settings-invalid"));
        SettingsDialog dialog(s.services);
        QSignalSpy saved(&dialog, &SettingsDialog::saved);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        typeInto(lineEdit(dialog, "ANTHROPIC_BASE_URL"), QStringLiteral("ftp://files.example"));
        typeInto(lineEdit(dialog, "API_TIMEOUT_MS"), QStringLiteral("-5"));
        auto *headers = field<QPlainTextEdit>(dialog, QStringLiteral("ANTHROPIC_CUSTOM_HEADERS"),
                                              "PlainTextEdit");
        headers->setFocus();
        QTest::keyClicks(headers, QStringLiteral("Bad Header Line"));
        clickSave(dialog);

        QVERIFY(errorLabel(dialog, "ANTHROPIC_BASE_URL")->isVisible());
        QVERIFY(errorLabel(dialog, "ANTHROPIC_BASE_URL")
                    ->text()
                    .contains(QStringLiteral("http:// or https://")));
        QVERIFY(errorLabel(dialog, "API_TIMEOUT_MS")->isVisible());
        QVERIFY(errorLabel(dialog, "API_TIMEOUT_MS")->text().contains(QStringLiteral("whole")));
        QLabel *headerError = errorLabel(dialog, "ANTHROPIC_CUSTOM_HEADERS");
        QVERIFY(headerError->isVisible());
        QVERIFY2(headerError->text().contains(QStringLiteral("line 1")),
                 qPrintable(headerError->text()));
        QVERIFY2(dialog.statusText().contains(QStringLiteral("nothing was saved")),
                 qPrintable(dialog.statusText()));
        QCOMPARE(dialog.focusWidget(), lineEdit(dialog, "ANTHROPIC_BASE_URL"));
        QCOMPARE(saved.count(), 0);
        QVERIFY(!QFile::exists(s.userFile()));

        // Fixing a value clears its message as the person types.
        typeInto(lineEdit(dialog, "ANTHROPIC_BASE_URL"), QStringLiteral("http://localhost:8080"));
        QVERIFY(!errorLabel(dialog, "ANTHROPIC_BASE_URL")->isVisible());
        QVERIFY(errorLabel(dialog, "API_TIMEOUT_MS")->isVisible());
    }

    void testConnectionMakesARealRequestWithTheStoredCredential()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        const QString key = testSecret(QStringLiteral("settingstest"));
        server.setExpectedApiKey(key.toUtf8());
        Services s(QStringLiteral("settings-test-anthropic"));
        s.home.userSettings(QJsonObject{
            {QStringLiteral("env"),
             QJsonObject{{QStringLiteral("ANTHROPIC_BASE_URL"), server.baseUrl().toString()}}}});
        QVERIFY(s.keychain.writeSync(QLatin1String(KeychainStore::kApiKey), key).ok());
        s.load();
        SettingsDialog dialog(s.services);
        dialog.show();
        openPage(dialog, SettingsDialog::Page::Anthropic);
        auto *button =
            dialog.findChild<QPushButton *>(QStringLiteral("anthropicTestConnectionPushButton"));
        QTest::mouseClick(button, Qt::LeftButton);
        auto *result =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("anthropicTestResultPlainTextEdit"));
        QTRY_VERIFY_WITH_TIMEOUT(result->toPlainText().contains(QStringLiteral("Connected")),
                                 10000);
        const QString text = result->toPlainText();
        QVERIFY2(text.contains(server.baseUrl().toString()), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("keychain:api-key")), qPrintable(text));
        QVERIFY(!text.contains(key));
        QVERIFY(result->isVisible());
        QVERIFY(button->isEnabled());
        QCOMPARE(s.reloads, 1);
        QCOMPARE(server.requests().size(), 1);
        QCOMPARE(server.lastRequest().path, QStringLiteral("/v1/models"));
        QVERIFY(server.lastRequest().header("x-api-key") == key.toUtf8());
        // The page scrolls the whole result into view.
        QTRY_COMPARE(result->visibleRegion().boundingRect().height(), result->height());
        if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR"))
            dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                               QStringLiteral("/settings-anthropic-tested.png"));
    }

    void testConnectionReportsARejectedKey()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        server.setExpectedApiKey(testSecret(QStringLiteral("settingsright")).toUtf8());
        const QString wrong = testSecret(QStringLiteral("settingswrong"));
        Services s(QStringLiteral("settings-test-401"),
                   {{QStringLiteral("ANTHROPIC_BASE_URL"), server.baseUrl().toString()},
                    {QStringLiteral("ANTHROPIC_API_KEY"), wrong}});
        SettingsDialog dialog(s.services);
        dialog.show();
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("anthropicTestConnectionPushButton")),
            Qt::LeftButton);
        auto *result =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("anthropicTestResultPlainTextEdit"));
        QTRY_VERIFY_WITH_TIMEOUT(result->toPlainText().contains(QStringLiteral("HTTP 401")), 10000);
        const QString text = result->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("ANTHROPIC_API_KEY")), qPrintable(text));
        QVERIFY(!text.contains(wrong));
    }

    void testConnectionWithoutACredentialSendsNothing()
    {
        FakeAnthropicServer server;
        QVERIFY(server.listen());
        Services s(QStringLiteral("settings-test-none"),
                   {{QStringLiteral("ANTHROPIC_BASE_URL"), server.baseUrl().toString()}});
        SettingsDialog dialog(s.services);
        dialog.show();
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("anthropicTestConnectionPushButton")),
            Qt::LeftButton);
        auto *result =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("anthropicTestResultPlainTextEdit"));
        QTRY_VERIFY(result->toPlainText().contains(QStringLiteral("No request was sent")));
        QVERIFY(result->toPlainText().contains(QStringLiteral("No credential is available")));
        QCOMPARE(server.requests().size(), 0);
    }

    void cloudPagesReportWhatDoctorReports()
    {
        Services s(QStringLiteral("settings-test-cloud"));
        s.home.userSettings(QJsonObject{
            {QStringLiteral("env"),
             QJsonObject{{QStringLiteral("CLAUDE_CODE_USE_BEDROCK"), QStringLiteral("1")}}}});
        s.load();
        SettingsDialog dialog(s.services);
        dialog.show();

        openPage(dialog, SettingsDialog::Page::Bedrock);
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("bedrockTestConnectionPushButton")),
            Qt::LeftButton);
        auto *bedrock =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("bedrockTestResultPlainTextEdit"));
        QTRY_VERIFY(!dialog.isBusy());
        QString text = bedrock->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("No AWS credentials")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("us-east-1 (default)")), qPrintable(text));

        openPage(dialog, SettingsDialog::Page::Vertex);
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("vertexTestConnectionPushButton")),
            Qt::LeftButton);
        QTRY_VERIFY(!dialog.isBusy());
        text = dialog.findChild<QPlainTextEdit *>(QStringLiteral("vertexTestResultPlainTextEdit"))
                   ->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("not selected; AWS Bedrock is")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("Region: us-east5 (default")), qPrintable(text));

        openPage(dialog, SettingsDialog::Page::Anthropic);
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("anthropicTestConnectionPushButton")),
            Qt::LeftButton);
        QTRY_VERIFY(!dialog.isBusy());
        text =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("anthropicTestResultPlainTextEdit"))
                ->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("AWS Bedrock is selected")), qPrintable(text));
    }

    // The Network page: paths go to the env block, the key's passphrase only to the keychain,
    // a proxy password is refused (it would land in the file), and "Check network" shows what
    // doctor says: the proxy for each provider's host, the CA file and the client certificate.
    void networkPageSavesTheSetUpAndChecksIt()
    {
        Services s(QStringLiteral("settings-network"));
        TestPki pki(s.home.path(QStringLiteral("pki")));
        QVERIFY2(pki.ok(), qPrintable(pki.error()));
        SettingsDialog dialog(s.services);
        QSignalSpy saved(&dialog, &SettingsDialog::saved);
        dialog.show();
        openPage(dialog, SettingsDialog::Page::Network);
        QCOMPARE(lineEdit(dialog, "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE")->echoMode(),
                 QLineEdit::Password);

        typeInto(lineEdit(dialog, "HTTPS_PROXY"),
                 QStringLiteral("http://alice:pw@proxy.corp.test:3128"));
        clickSave(dialog);
        QTRY_VERIFY(!errorLabel(dialog, "HTTPS_PROXY")->text().isEmpty());
        QVERIFY(errorLabel(dialog, "HTTPS_PROXY")->text().contains(QStringLiteral("plaintext")));
        QCOMPARE(saved.count(), 0);

        const QString passphrase = pki.passphrase();
        typeInto(lineEdit(dialog, "HTTPS_PROXY"),
                 QStringLiteral("http://alice@proxy.corp.test:3128"));
        typeInto(lineEdit(dialog, "NO_PROXY"), QStringLiteral(".amazonaws.com"));
        typeInto(lineEdit(dialog, "NODE_EXTRA_CA_CERTS"), pki.caCert());
        typeInto(lineEdit(dialog, "CLAUDE_CODE_CLIENT_CERT"), pki.clientCert());
        typeInto(lineEdit(dialog, "CLAUDE_CODE_CLIENT_KEY"), pki.encryptedClientKey());
        typeInto(lineEdit(dialog, "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"), passphrase);
        clickSave(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QCOMPARE(saved.at(0).at(0).toBool(), true);
        QVERIFY(!s.userFileBytes().contains(passphrase.toUtf8()));
        QCOMPARE(s.userEnv().value(QStringLiteral("NODE_EXTRA_CA_CERTS")).toString(), pki.caCert());
        QCOMPARE(s.userEnv().value(QStringLiteral("CLAUDE_CODE_CLIENT_KEY")).toString(),
                 pki.encryptedClientKey());
        const KeychainResult stored =
            s.keychain.readSync(QStringLiteral("network:client-key-passphrase"));
        QVERIFY2(stored.ok() && stored.data == passphrase, qPrintable(stored.message));

        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("networkTestConnectionPushButton")),
            Qt::LeftButton);
        QTRY_VERIFY(!dialog.isBusy());
        const QString text =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("networkTestResultPlainTextEdit"))
                ->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("anthropic (selected): api.anthropic.com:443 "
                                              "through http://alice@proxy.corp.test:3128")),
                 qPrintable(text));
        QVERIFY2(
            text.contains(QStringLiteral("bedrock-runtime.us-east-1.amazonaws.com:443 direct")),
            qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("(1 certificate)")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("subject CN=qlaude-test-client")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("passphrase from keychain")), qPrintable(text));
        QVERIFY(!text.contains(passphrase));
        s.keychain.removeSync(QStringLiteral("network:client-key-passphrase"));
    }

    void defaultSizeShowsEveryTextInFull()
    {
        Services s(QStringLiteral("settings-size"),
                   {{QStringLiteral("AWS_REGION"), QStringLiteral("eu-central-1")}});
        SettingsDialog dialog(s.services);
        dialog.show();
        const QString dir = qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR");
        const char *names[] = {"provider", "anthropic", "bedrock", "vertex", "foundry"};
        for (int i = 0; i < 5; ++i) {
            openPage(dialog, SettingsDialog::Page(i));
            QTRY_VERIFY(!dialog.isBusy());
            verifyNoTruncatedText(dialog);
            if (!dir.isEmpty())
                dialog.grab().save(dir + QStringLiteral("/settings-%1.png").arg(names[i]));
        }
    }
    // Saving a cloud key moves it out of the settings file into the keychain: the resolver must
    // then find it there, and a variable in the environment still wins.
    void savedCloudKeysAreUsedAndTheEnvironmentWins()
    {
        Services s(QStringLiteral("settings-cloud-keys"));
        SettingsDialog dialog(s.services);
        QSignalSpy saved(&dialog, &SettingsDialog::saved);
        dialog.show();
        const QString token = testSecret(QStringLiteral("bedrock-token"));
        const QString key = testSecret(QStringLiteral("foundry-key"));
        openPage(dialog, SettingsDialog::Page::Bedrock);
        typeInto(lineEdit(dialog, "AWS_BEARER_TOKEN_BEDROCK"), token);
        openPage(dialog, SettingsDialog::Page::Foundry);
        typeInto(lineEdit(dialog, "ANTHROPIC_FOUNDRY_API_KEY"), key);
        clickSave(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QCOMPARE(saved.at(0).at(0).toBool(), true);

        for (const char *use : {"CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_FOUNDRY"}) {
            AuthContext::Options o = s.options;
            o.processEnvironment.insert(QLatin1String(use), "1");
            const AuthContext ctx = AuthContext::load(o);
            const KeychainSnapshot kc = KeychainSnapshot::loadSync(&s.keychain);
            const Resolution r = AuthResolver::resolve(ctx, kc);
            const bool bedrock = QByteArray(use).contains("BEDROCK");
            QCOMPARE(r.credential.source, bedrock
                                              ? QStringLiteral("keychain:cloud:aws-bearer-token")
                                              : QStringLiteral("keychain:cloud:foundry-api-key"));
            QVERIFY((bedrock ? r.credential.bearerToken : r.credential.apiKey) ==
                    (bedrock ? token : key));

            o.processEnvironment.insert(bedrock ? "AWS_BEARER_TOKEN_BEDROCK"
                                                : "ANTHROPIC_FOUNDRY_API_KEY",
                                        "from-the-environment-0009");
            const Resolution env = AuthResolver::resolve(AuthContext::load(o), kc);
            QVERIFY(env.credential.source.startsWith("env:"));
            QVERIFY((env.credential.apiKey + env.credential.bearerToken) ==
                    "from-the-environment-0009");
        }
    }

    // "Test connection" on the Bedrock page sends one real, signed one-token message through
    // the configured chain, and the page says that saving "Use" writes the CLI's file too.
    void bedrockTestConnectionSendsOneSignedRequest()
    {
        qlaude::fakes::FakeBedrockServer bedrock;
        QVERIFY(bedrock.listen());
        const QString secret = testSecret(QStringLiteral("bedrock-test-connection"));
        AwsCredentials creds;
        creds.accessKeyId = QStringLiteral("AKIADIALOG");
        creds.secretAccessKey = secret;
        bedrock.setCredentials(creds);
        Services s(QStringLiteral("settings-bedrock-test"),
                   {{"CLAUDE_CODE_USE_BEDROCK", "1"},
                    {"ANTHROPIC_BEDROCK_BASE_URL", bedrock.baseUrl().toString()},
                    {"AWS_ACCESS_KEY_ID", "AKIADIALOG"},
                    {"AWS_SECRET_ACCESS_KEY", secret}});
        SettingsDialog dialog(s.services);
        dialog.show();
        auto *help = dialog.findChild<QLabel *>(QStringLiteral("providerChoiceSourceLabel"));
        QVERIFY(help);
        QVERIFY2(help->text().contains("the Claude Code CLI reads too"), qPrintable(help->text()));
        openPage(dialog, SettingsDialog::Page::Bedrock);
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("bedrockTestConnectionPushButton")),
            Qt::LeftButton);
        auto *result =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("bedrockTestResultPlainTextEdit"));
        QTRY_VERIFY_WITH_TIMEOUT(result->toPlainText().contains(QStringLiteral("Connected:")),
                                 10000);
        QVERIFY(result->toPlainText().contains("one-token message"));
        QCOMPARE(bedrock.requests().size(), 1);
        QVERIFY(bedrock.lastRejection().isEmpty());
        QCOMPARE(bedrock.lastRequest().json.value("max_tokens").toInt(), 1);
        QVERIFY(bedrock.lastRequest().target.endsWith("/invoke"));
        QVERIFY(!result->toPlainText().contains(secret));
    }

    void foundryTestConnectionSendsOneRequestWithTheKey()
    {
        qlaude::fakes::FakeAnthropicServer foundry;
        QVERIFY(foundry.listen());
        foundry.setPathPrefix(QStringLiteral("/anthropic"));
        const QString key = testSecret(QStringLiteral("foundry-test-connection"));
        foundry.setExpectedApiKey(key.toUtf8());
        Services s(QStringLiteral("settings-foundry-test"),
                   {{"CLAUDE_CODE_USE_FOUNDRY", "1"},
                    {"ANTHROPIC_FOUNDRY_BASE_URL", foundry.baseUrl().toString() + "/anthropic"},
                    {"ANTHROPIC_FOUNDRY_API_KEY", key}});
        SettingsDialog dialog(s.services);
        dialog.show();
        // The choice of provider opens first, with the one in use chosen.
        auto *list = dialog.findChild<QListWidget *>();
        QVERIFY(list);
        QCOMPARE(list->currentRow(), int(SettingsDialog::Page::Provider));
        QVERIFY(radio(dialog, "foundry")->isChecked());
        openPage(dialog, SettingsDialog::Page::Foundry);
        QTest::mouseClick(
            dialog.findChild<QPushButton *>(QStringLiteral("foundryTestConnectionPushButton")),
            Qt::LeftButton);
        auto *result =
            dialog.findChild<QPlainTextEdit *>(QStringLiteral("foundryTestResultPlainTextEdit"));
        QTRY_VERIFY_WITH_TIMEOUT(result->toPlainText().contains(QStringLiteral("Connected:")),
                                 10000);
        QCOMPARE(foundry.requests().size(), 1);
        QCOMPARE(foundry.lastRequest().path, QStringLiteral("/anthropic/v1/messages"));
        QCOMPARE(foundry.lastRequest().json.value("max_tokens").toInt(), 1);
        QVERIFY(result->toPlainText().contains("Endpoint: " + foundry.baseUrl().toString()));
        QVERIFY(!result->toPlainText().contains(key));
    }
};

QTEST_MAIN(tst_SettingsDialog)
#include "tst_SettingsDialog.moc"
