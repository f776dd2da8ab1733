#include "OAuthBrowser.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QtTest>

using namespace qlaude;

// Runs from a folder with no lib/qlaude/plugins beside it: the embedded browser is missing, and
// the error tells the user which package adds it.
class tst_OAuthBrowserMissing : public QObject
{
    Q_OBJECT

private slots:
    void theMissingPluginNamesItsPackage()
    {
        const QString expectedDir = QDir::cleanPath(QCoreApplication::applicationDirPath() +
                                                    QStringLiteral("/../lib/qlaude/plugins"));
        QVERIFY2(!QFile::exists(expectedDir), qPrintable(expectedDir));
        QString error;
        QVERIFY(!OAuthBrowser::factory(&error));
        QVERIFY(!OAuthBrowser::isLoaded());
        QVERIFY2(error.contains(QStringLiteral("not installed")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("Install the qlaude-webauth package")),
                 qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("system browser")), qPrintable(error));
    }
};

QTEST_MAIN(tst_OAuthBrowserMissing)
#include "tst_OAuthBrowserMissing.moc"
