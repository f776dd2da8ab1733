#include "AppServices.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "DoctorDialog.h"
#include "DoctorReport.h"
#include "ErrorBanner.h"
#include "TestSupport.h"

#include <QApplication>
#include <QClipboard>
#include <QFontMetrics>
#include <QJsonArray>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTimer>
#include <QtTest>

#include <functional>

using namespace qlaude;
using namespace qlaude::test;

namespace {
struct Context
{
    explicit Context(const QString &name, const QMap<QString, QString> &env = {}) : home(name)
    {
        options.workspace = home.workspace();
        options.processEnvironment = home.environment();
        for (auto it = env.begin(); it != env.end(); ++it)
            options.processEnvironment.insert(it.key(), it.value());
        options.managedDir = home.managedDir();
        options.trustStorePath = home.trustStore();
        load();
        services.context = &context;
        services.reload = [this](std::function<void()> done) {
            load();
            ++reloads;
            done();
        };
    }
    // The keychain is not consulted: these tests are about the report's text.
    void load()
    {
        context = AuthContext::load(options);
        services.keychainSnapshot = KeychainSnapshot();
        services.resolution = AuthResolver::resolve(context, services.keychainSnapshot);
    }
    QJsonObject report() const
    {
        return DoctorReport::build(context, services.keychainSnapshot, services.resolution);
    }

    TestHome home;
    AuthContext::Options options;
    AuthContext context;
    AppServices services;
    int reloads = 0;
};

bool isMonospace(const QFont &font)
{
    const QFontMetrics m(font);
    return m.horizontalAdvance(QStringLiteral("iiii")) ==
           m.horizontalAdvance(QStringLiteral("WWWW"));
}

int execDriven(QDialog &dialog, const std::function<void()> &drive)
{
    QTimer::singleShot(0, &dialog, [&dialog, drive] {
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isVisible() && QApplication::activeModalWidget() == &dialog,
                                 5000);
        drive();
    });
    QTimer::singleShot(15000, &dialog, [&dialog] {
        if (dialog.isVisible())
            dialog.done(-1);
    });
    return dialog.exec();
}
} // namespace

class tst_DoctorDialog : public QObject
{
    Q_OBJECT

private slots:
    void showsTheDoctorReportInAMonospaceReadOnlyView()
    {
        Context c(QStringLiteral("doctor-show"),
                  {{QStringLiteral("ANTHROPIC_API_KEY"), testSecret(QStringLiteral("show"))}});
        const QJsonObject report = c.report();
        DoctorDialog dialog(report);
        dialog.show();
        auto *view = dialog.findChild<QPlainTextEdit *>(QStringLiteral("reportPlainTextEdit"));
        QVERIFY(view);
        QCOMPARE(view->toPlainText(), DoctorReport::toText(report));
        QVERIFY(view->toPlainText().contains(QStringLiteral("env:ANTHROPIC_API_KEY")));
        QVERIFY(view->isReadOnly());
        QVERIFY(isMonospace(view->font()));
        // Long sentences wrap instead of hiding beyond the right edge.
        QCOMPARE(view->lineWrapMode(), QPlainTextEdit::WidgetWidth);
        QVERIFY(!view->accessibleName().isEmpty());
        // Without services there is nothing to refresh, so no such button.
        QVERIFY(!dialog.findChild<QPushButton *>(QStringLiteral("refreshPushButton")));
    }

    // The verdict comes first: ready with the credential in use, or not ready with what to do.
    void theVerdictComesFirst()
    {
        Context ready(
            QStringLiteral("doctor-verdict-ready"),
            {{QStringLiteral("ANTHROPIC_API_KEY"), testSecret(QStringLiteral("verdict"))}});
        DoctorDialog good(ready.report());
        good.show();
        QVERIFY(QTest::qWaitForWindowExposed(&good));
        auto *verdict = good.findChild<ErrorBanner *>(QStringLiteral("verdictBanner"));
        QVERIFY(verdict);
        QVERIFY(verdict->isVisible());
        QVERIFY2(verdict->text().startsWith(QStringLiteral("Ready: ")),
                 qPrintable(verdict->text()));
        QVERIFY(verdict->text().contains(QStringLiteral("ANTHROPIC_API_KEY")));
        QCOMPARE(verdict->severity(), ErrorBanner::Severity::Info);
        QVERIFY(!verdict->text().contains(QStringLiteral("qltSECRET")));
        auto *view = good.findChild<QPlainTextEdit *>(QStringLiteral("reportPlainTextEdit"));
        QVERIFY(verdict->geometry().bottom() < view->geometry().top()); // above the details

        Context none(QStringLiteral("doctor-verdict-none"), {});
        DoctorDialog bad(none.report());
        bad.show();
        QVERIFY(QTest::qWaitForWindowExposed(&bad));
        verdict = bad.findChild<ErrorBanner *>(QStringLiteral("verdictBanner"));
        QVERIFY(verdict->text().startsWith(QStringLiteral("Not ready: ")));
        QCOMPARE(verdict->severity(), ErrorBanner::Severity::Error);
    }

    void copyPutsARedactedReportOnTheClipboard()
    {
        const QString key = testSecret(QStringLiteral("copy"));
        const QString token = testSecret(QStringLiteral("copytoken"));
        Context c(QStringLiteral("doctor-copy"));
        QJsonObject report = c.report();
        // Belt and braces: even if a secret slipped into the report, Copy must not carry it.
        QJsonObject cred = report.value(QStringLiteral("credential")).toObject();
        cred.insert(QStringLiteral("helper_command"), QString(QStringLiteral("echo ") + key));
        cred.insert(QStringLiteral("helper_file"), c.home.configDir());
        report.insert(QStringLiteral("credential"), cred);
        QJsonArray problems = report.value(QStringLiteral("problems")).toArray();
        problems.append(QString(QStringLiteral("Proxy said: Authorization: Bearer ") + token));
        report.insert(QStringLiteral("problems"), problems);

        DoctorDialog dialog(report);
        QSignalSpy copied(&dialog, &DoctorDialog::copied);
        QApplication::clipboard()->clear();
        const int result = execDriven(dialog, [&dialog] {
            QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("copyPushButton")),
                              Qt::LeftButton);
            QTest::keyClick(dialog.focusWidget(), Qt::Key_Escape);
        });
        QCOMPARE(result, int(QDialog::Rejected));
        QCOMPARE(copied.count(), 1);

        const QString clip = QApplication::clipboard()->text();
        QVERIFY(!clip.isEmpty());
        QVERIFY(!clip.contains(key));
        QVERIFY(!clip.contains(token));
        QVERIFY(!clip.contains(QStringLiteral("qltSECRET")));
        QVERIFY2(clip.contains(QStringLiteral("command: echo sk-ant-[redacted]")),
                 qPrintable(clip));
        QVERIFY2(clip.contains(QStringLiteral("Authorization: Bearer [redacted]")),
                 qPrintable(clip));
        // Everything else is the report as shown.
        QVERIFY(clip.contains(QStringLiteral("Workspace:  ") + c.context.options().workspace));
        QVERIFY(clip.contains(QStringLiteral("Settings files (later wins):")));
        QCOMPARE(clip.count(QLatin1Char('\n')), dialog.text().count(QLatin1Char('\n')));
        QVERIFY2(dialog.findChild<QLabel *>(QStringLiteral("statusLabel"))
                     ->text()
                     .contains(QStringLiteral("redacted")),
                 qPrintable(dialog.findChild<QLabel *>(QStringLiteral("statusLabel"))->text()));
    }

    void redactionLeavesAnOrdinaryReportUnchanged()
    {
        Context c(QStringLiteral("doctor-ordinary"),
                  {{QStringLiteral("ANTHROPIC_API_KEY"), testSecret(QStringLiteral("ordinary"))},
                   {QStringLiteral("ANTHROPIC_CUSTOM_HEADERS"), QStringLiteral("X-Team: a")}});
        c.home.projectSettings(QJsonObject{
            {QStringLiteral("apiKeyHelper"), QStringLiteral("/usr/bin/op read op://vault/key")}});
        c.load();
        const QString text = DoctorReport::toText(c.report());
        QVERIFY(text.contains(QStringLiteral("…"))); // the last four characters of the key
        QCOMPARE(DoctorDialog::redacted(text), text);
    }

    void redactionCatchesKeyShapedText_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        auto row = [](const char *name, const char *input, const char *expected) {
            QTest::newRow(name) << QString::fromUtf8(input) << QString::fromUtf8(expected);
        };
        row("anthropic key", "key sk-ant-api03-AbC_12-xyz end", "key sk-ant-[redacted] end");
        row("bearer", "Authorization: Bearer abc.DEF-123_x", "Authorization: Bearer [redacted]");
        row("variable", "ANTHROPIC_AUTH_TOKEN=abc123def", "ANTHROPIC_AUTH_TOKEN=[redacted]");
        row("aws secret var", "AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG",
            "AWS_SECRET_ACCESS_KEY: [redacted]");
        row("header", "x-api-key: zzzz9999", "x-api-key: [redacted]");
        row("json field", R"({"refresh_token": "r1-abcdef"})",
            R"({"refresh_token": "[redacted]"})");
        row("aws key id", "id AKIAIOSFODNN7EXAMPLE.", "id [redacted].");
        row("jwt", "t=eyJhbGciOi.eyJzdWIiOi.SflKxwRJ", "t=[redacted]");
        row("random token", "ghp_AbCdEf0123456789GhIjKl0123456789mnop", "[redacted]");
        row("already redacted", "ANTHROPIC_API_KEY=…a1b2", "ANTHROPIC_API_KEY=…a1b2");
        row("path", "/home/ada/My-Project-2024-Final-Version/.claude/settings.json",
            "/home/ada/My-Project-2024-Final-Version/.claude/settings.json");
        row("source name",
            "used env:ANTHROPIC_API_KEY  ANTHROPIC_API_KEY from "
            "the environment",
            "used env:ANTHROPIC_API_KEY  ANTHROPIC_API_KEY from "
            "the environment");
        row("keychain line", "Keychain: available", "Keychain: available");
        row("helper name", "apiKeyHelper: /usr/bin/op read", "apiKeyHelper: /usr/bin/op read");
    }

    void redactionCatchesKeyShapedText()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(DoctorDialog::redacted(input), expected);
    }

    void selectionCopiedWithTheKeyboardIsRedactedToo()
    {
        const QString key = testSecret(QStringLiteral("selection"));
        QJsonObject report = Context(QStringLiteral("doctor-select")).report();
        QJsonArray warnings{QString(QStringLiteral("Found ") + key)};
        report.insert(QStringLiteral("warnings"), warnings);
        DoctorDialog dialog(report);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto *view = dialog.findChild<QPlainTextEdit *>(QStringLiteral("reportPlainTextEdit"));
        view->setFocus();
        QTest::keyClick(view, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
        const QString clip = QApplication::clipboard()->text();
        QVERIFY(clip.contains(QStringLiteral("Found sk-ant-[redacted]")));
        QVERIFY(!clip.contains(key));
    }

    void closeButtonCloses()
    {
        DoctorDialog dialog(Context(QStringLiteral("doctor-close")).report());
        const int result = execDriven(dialog, [&dialog] {
            auto *close = dialog.findChild<QPushButton *>(QStringLiteral("closePushButton"));
            QVERIFY(close->isDefault());
            QTest::mouseClick(close, Qt::LeftButton);
        });
        QCOMPARE(result, int(QDialog::Rejected));
    }

    void refreshReloadsServicesAndRebuildsTheReport()
    {
        Context c(QStringLiteral("doctor-refresh"));
        DoctorDialog dialog(c.services);
        dialog.show();
        QVERIFY(dialog.text().contains(QStringLiteral("https://api.anthropic.com (default)")));
        c.home.userSettings(QJsonObject{
            {QStringLiteral("env"), QJsonObject{{QStringLiteral("ANTHROPIC_BASE_URL"),
                                                 QStringLiteral("https://gw.example.com")}}}});
        auto *refresh = dialog.findChild<QPushButton *>(QStringLiteral("refreshPushButton"));
        QVERIFY(refresh);
        QTest::mouseClick(refresh, Qt::LeftButton);
        QTRY_COMPARE(c.reloads, 1);
        QTRY_VERIFY(dialog.text().contains(QStringLiteral("https://gw.example.com (user")));
        QVERIFY(refresh->isEnabled());
    }

    void defaultSizeShowsWholeLines()
    {
        Context c(QStringLiteral("doctor-size"),
                  {{QStringLiteral("ANTHROPIC_API_KEY"), testSecret(QStringLiteral("size"))}});
        DoctorDialog dialog(c.services);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto *view = dialog.findChild<QPlainTextEdit *>(QStringLiteral("reportPlainTextEdit"));
        // Nothing hides beyond the right edge, and a line of 100 columns (the report's tables)
        // fits without wrapping.
        QCOMPARE(view->horizontalScrollBar()->maximum(), 0);
        const int columns100 =
            view->fontMetrics().horizontalAdvance(QString(100, QLatin1Char('M')));
        const QRect screen = dialog.screen()->availableGeometry();
        if (dialog.width() < screen.width() - 48) {
            QVERIFY2(columns100 + 2 * view->document()->documentMargin() <=
                         view->viewport()->width(),
                     qPrintable(
                         QStringLiteral("%1 > %2").arg(columns100).arg(view->viewport()->width())));
        } else {
            // A screen narrower than the report's tables: the dialog fits the screen and the
            // lines wrap (no sideways scrolling, checked above).
            QVERIFY(dialog.width() <= screen.width());
        }
        if (!qEnvironmentVariableIsEmpty("QLAUDE_SCREENSHOT_DIR"))
            dialog.grab().save(qEnvironmentVariable("QLAUDE_SCREENSHOT_DIR") +
                               QStringLiteral("/doctor-dialog.png"));
    }
};

QTEST_MAIN(tst_DoctorDialog)
#include "tst_DoctorDialog.moc"
