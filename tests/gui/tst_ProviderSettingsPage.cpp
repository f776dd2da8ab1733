#include "AppServices.h"
#include "AuthContext.h"
#include "DialogSupport.h"
#include "ProviderSettingsPage.h"
#include "ProviderSettingsSpec.h"
#include "TestSupport.h"

#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

// What a provider page shows of values that are secret or come from a file.
class tst_ProviderSettingsPage : public QObject
{
    Q_OBJECT

    static const ProviderPageSpec &anthropicSpec()
    {
        for (const ProviderPageSpec &spec : providerPageSpecs()) {
            if (spec.provider == Provider::Anthropic)
                return spec;
        }
        qFatal("no Anthropic page");
    }

private slots:
    // The base URL's password is shown as "…"; saving without touching it keeps it, and an
    // edit elsewhere in the URL keeps it too.
    void aUrlPasswordIsNotShownButKept()
    {
        TestHome home(QStringLiteral("page-url"));
        // Not a marked test secret: it is in the settings file on purpose.
        const QString password = QStringLiteral("hunter2-page-pw");
        home.userSettings(
            {{"env", QJsonObject{{"ANTHROPIC_BASE_URL",
                                  QStringLiteral("https://me:%1@gw.example/v1").arg(password)}}}});
        AuthContext::Options o;
        o.workspace = home.workspace();
        o.processEnvironment = home.environment();
        o.managedDir = home.managedDir();
        o.trustStorePath = home.trustStore();
        AuthContext context = AuthContext::load(o);
        AppServices services;
        services.context = &context;
        ProviderSettingsPage page(anthropicSpec(), services);

        auto *line = page.findChild<QLineEdit *>(
            objectNameFor(QStringLiteral("ANTHROPIC_BASE_URL"), QStringLiteral("LineEdit")));
        QVERIFY(line);
        QVERIFY(!line->text().contains(password));
        QVERIFY(line->text() == QStringLiteral("https://me:…@gw.example/v1"));
        for (QLabel *label : page.findChildren<QLabel *>())
            QVERIFY(!label->text().contains(password));
        QVERIFY(page.envChanges().isEmpty());

        line->setText(QStringLiteral("https://me:…@gw2.example/v1"));
        const QMap<QString, QString> changes = page.envChanges();
        QVERIFY(changes.value(QStringLiteral("ANTHROPIC_BASE_URL")) ==
                QStringLiteral("https://me:%1@gw2.example/v1").arg(password));
    }

    // Set in the user settings, in --settings and in the environment: the page says the first
    // two are ignored and --settings wins (settings files over the environment, later files
    // over earlier ones), and shows the field locked, greyed, with the file that set it.
    void aValueSetInThreePlacesNamesTheOneThatWins()
    {
        TestHome home(QStringLiteral("page-three-sources"));
        home.userSettings({{"env", QJsonObject{{"ANTHROPIC_MODEL", "from-user"}}}});
        const QString flagFile = home.path(QStringLiteral("flag.json"));
        home.writeJson(flagFile, {{"env", QJsonObject{{"ANTHROPIC_MODEL", "from-flag"}}}});
        AuthContext::Options o;
        o.workspace = home.workspace();
        o.processEnvironment = home.environment();
        o.processEnvironment.insert(QStringLiteral("ANTHROPIC_MODEL"), QStringLiteral("from-env"));
        o.flagSettings = flagFile;
        o.managedDir = home.managedDir();
        o.trustStorePath = home.trustStore();
        AuthContext context = AuthContext::load(o);
        AppServices services;
        services.context = &context;
        ProviderSettingsPage page(anthropicSpec(), services);

        auto *line = page.findChild<QLineEdit *>(
            objectNameFor(QStringLiteral("ANTHROPIC_MODEL"), QStringLiteral("LineEdit")));
        QVERIFY(line);
        QCOMPARE(line->text(), QStringLiteral("from-flag"));
        QVERIFY(line->isReadOnly());
        QCOMPARE(line->palette().color(QPalette::Active, QPalette::Text),
                 line->palette().color(QPalette::Disabled, QPalette::Text));
        auto *note = page.findChild<QLabel *>(
            objectNameFor(QStringLiteral("ANTHROPIC_MODEL"), QStringLiteral("OverrideLabel")));
        QVERIFY(note);
        QCOMPARE(note->text(),
                 QStringLiteral("Also set in the environment Qlaude was started from and user "
                                "settings (%1), which are ignored: flag settings (%2) wins.")
                     .arg(home.configDir() + QStringLiteral("/settings.json"), flagFile));
        QVERIFY(line->accessibleDescription().contains(note->text()));
        auto *source = page.findChild<QLabel *>(
            objectNameFor(QStringLiteral("ANTHROPIC_MODEL"), QStringLiteral("SourceLabel")));
        QVERIFY2(source->text().contains(QStringLiteral("set by --settings (") + flagFile),
                 qPrintable(source->text()));
        QVERIFY(page.envChanges().isEmpty());
    }
};

QTEST_MAIN(tst_ProviderSettingsPage)
#include "tst_ProviderSettingsPage.moc"
