#include "AppPaths.h"
#include "ConversationStore.h"
#include "StoredTypes.h"
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QtTest>

#include <sys/stat.h>

using namespace qlaude;
using namespace qlaude::test;

namespace {
// The permission bits of a file, not following a symlink; -1 when it is missing.
int modeOf(const QString &path)
{
    struct stat st = {};
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

QString octal(int mode)
{
    return QString::number(mode, 8);
}

void make(const QString &path, int mode)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("x");
    f.close();
    QCOMPARE(::chmod(QFile::encodeName(path).constData(), mode_t(mode)), 0);
}

void makeDir(const QString &path, int mode)
{
    QVERIFY(QDir().mkpath(path));
    QCOMPARE(::chmod(QFile::encodeName(path).constData(), mode_t(mode)), 0);
}
} // namespace

#define QCOMPARE_MODE(path, expected)                                                              \
    QVERIFY2(modeOf(path) == (expected),                                                           \
             qPrintable(QStringLiteral("%1 is %2, expected %3")                                    \
                            .arg(path, octal(modeOf(path)), octal(expected))))

// Qlaude's own folders are 0700 and its files 0600: made so, and fixed for older versions.
class tst_AppPaths : public QObject
{
    Q_OBJECT

    QTemporaryDir m_base;
    QString m_dataHome;
    QString m_configHome;
    QByteArray m_savedData;
    QByteArray m_savedConfig;
    mode_t m_savedUmask = 0;

private slots:
    void initTestCase()
    {
        QVERIFY(m_base.isValid());
        m_savedData = qgetenv("XDG_DATA_HOME");
        m_savedConfig = qgetenv("XDG_CONFIG_HOME");
        // The umask most systems have: new files would be 0644 without the fix.
        m_savedUmask = ::umask(022);
    }
    void cleanupTestCase()
    {
        ::umask(m_savedUmask);
        qputenv("XDG_DATA_HOME", m_savedData);
        qputenv("XDG_CONFIG_HOME", m_savedConfig);
    }
    void init()
    {
        static int n = 0;
        const QString root = m_base.filePath(QString::number(++n));
        m_dataHome = root + "/share";
        m_configHome = root + "/config";
        QVERIFY(QDir().mkpath(m_dataHome) && QDir().mkpath(m_configHome));
        qputenv("XDG_DATA_HOME", QFile::encodeName(m_dataHome));
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_configHome));
    }

    void foldersFollowTheXdgLocations()
    {
        QCOMPARE(AppPaths::dataDir(), m_dataHome + "/qlaude");
        QCOMPARE(AppPaths::configDir(), m_configHome + "/Qlaude");
    }

    void secureOwnFilesFixesWhatOlderVersionsLeftOpen()
    {
        const QString data = AppPaths::dataDir();
        const QString config = AppPaths::configDir();
        makeDir(data, 0755);
        for (const char *name :
             {"trust.json", "history.sqlite", "history.sqlite-wal", "history.sqlite-shm"})
            make(data + "/" + name, 0644);
        make(data + "/readonly.txt", 0444);
        make(data + "/already.txt", 0400); // already private: left as it is
        makeDir(data + "/sub", 0755);
        make(m_dataHome + "/outside.txt", 0644);
        QVERIFY(QFile::link(m_dataHome + "/outside.txt", data + "/link"));
        makeDir(config, 0755);
        make(config + "/qlaude.conf", 0664);

        AppPaths::secureOwnFiles();

        QCOMPARE_MODE(data, 0700);
        for (const char *name :
             {"trust.json", "history.sqlite", "history.sqlite-wal", "history.sqlite-shm"})
            QCOMPARE_MODE(data + "/" + name, 0600);
        QCOMPARE_MODE(data + "/readonly.txt", 0400);
        QCOMPARE_MODE(data + "/already.txt", 0400);
        QCOMPARE_MODE(data + "/sub", 0700);
        // Not through a symlink: the file it points to is not Qlaude's.
        QCOMPARE_MODE(m_dataHome + "/outside.txt", 0644);
        QCOMPARE_MODE(config, 0700);
        QCOMPARE_MODE(config + "/qlaude.conf", 0600);
        // The folders above are the user's, not Qlaude's.
        QCOMPARE_MODE(m_dataHome, 0755);
    }

    void secureOwnFilesCreatesNothing()
    {
        AppPaths::secureOwnFiles();
        QVERIFY(!QFileInfo::exists(AppPaths::dataDir()));
        QVERIFY(!QFileInfo::exists(AppPaths::configDir()));
    }

    void helpersForNewFiles()
    {
        const QString dir = AppPaths::dataDir();
        QVERIFY(AppPaths::ensurePrivateDir(dir));
        QCOMPARE_MODE(dir, 0700);
        QCOMPARE_MODE(m_dataHome, 0755);
        QVERIFY(::chmod(QFile::encodeName(dir).constData(), 0755) == 0);
        QVERIFY(AppPaths::ensurePrivateDir(dir));
        QCOMPARE_MODE(dir, 0700);
        make(dir + "/file", 0644);
        QVERIFY(!AppPaths::ensurePrivateDir(dir + "/file"));

        AppPaths::makePrivate(dir + "/file");
        QCOMPARE_MODE(dir + "/file", 0600);
        AppPaths::makePrivate(dir + "/missing"); // nothing to do
        QVERIFY(!QFileInfo::exists(dir + "/missing"));

        QVERIFY(AppPaths::createPrivateFile(dir + "/new"));
        QCOMPARE_MODE(dir + "/new", 0600);
        QVERIFY(AppPaths::createPrivateFile(dir + "/new")); // exists: fine, unchanged
        QCOMPARE(QFileInfo(dir + "/new").size(), 0);
        QVERIFY(!AppPaths::createPrivateFile(dir + "/no/such/folder/new"));
    }

    void aNewHistoryAndItsWalAndShmArePrivate()
    {
        const QString dir = AppPaths::dataDir();
        const QString path = dir + "/history.sqlite";
        {
            ConversationStore store(path);
            QVERIFY2(store.open(), qPrintable(store.errorString()));
            StoredConversation c;
            c.title = QStringLiteral("permissions");
            QVERIFY(store.createConversation(c) > 0);
            QVERIFY(QFileInfo::exists(path + "-wal"));
            QVERIFY(QFileInfo::exists(path + "-shm"));
            QCOMPARE_MODE(dir, 0700);
            QCOMPARE_MODE(path, 0600);
            QCOMPARE_MODE(path + "-wal", 0600);
            QCOMPARE_MODE(path + "-shm", 0600);
        }
        // A history an older version left readable is made private when it is opened.
        for (const char *suffix : {"", "-wal", "-shm"}) {
            if (QFileInfo::exists(path + suffix))
                QVERIFY(::chmod(QFile::encodeName(path + suffix).constData(), 0644) == 0);
        }
        ConversationStore again(path);
        QVERIFY2(again.open(), qPrintable(again.errorString()));
        QCOMPARE_MODE(path, 0600);
        QCOMPARE_MODE(path + "-wal", 0600);
        QCOMPARE_MODE(path + "-shm", 0600);
    }

    void theAppFixesPermissionsOnStartInEveryMode()
    {
        TestHome h(QStringLiteral("app-paths"));
        const QString data = m_dataHome + "/qlaude";
        makeDir(data, 0755);
        make(data + "/trust.json", 0644);
        make(data + "/history.sqlite", 0644);
        QProcessEnvironment env = h.environment();
        env.insert("XDG_DATA_HOME", m_dataHome);
        env.insert("XDG_CONFIG_HOME", m_configHome);
        const ProcessResult r = runQlaude({"--version"}, env);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE_MODE(data, 0700);
        QCOMPARE_MODE(data + "/trust.json", 0600);
        QCOMPARE_MODE(data + "/history.sqlite", 0600);
    }

    // The app's name, organization and domain (app/CommandLine.cpp) must never move the data:
    // the installed app keeps the trust decisions and history of every earlier version in
    // ~/.local/share/qlaude, and its window state in ~/.config/Qlaude.
    void theAppKeepsItsDataInTheSameFolders()
    {
        TestHome h(QStringLiteral("app-paths-identity"));
        h.projectSettings({{"apiKeyHelper", helperCommand("print_key.sh", testSecret("paths"))}});
        QProcessEnvironment env = h.environment();
        env.insert("XDG_DATA_HOME", m_dataHome);
        env.insert("XDG_CONFIG_HOME", m_configHome);
        const ProcessResult r = runQlaude({"--trust", "--yes", "--workspace", h.workspace()}, env);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(
            QFile::exists(m_dataHome + "/qlaude/trust.json"),
            qPrintable(
                QDir(m_dataHome).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).join(", ")));
        QCOMPARE(QDir(m_dataHome).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
                 QStringList{"qlaude"});
    }
};

QTEST_GUILESS_MAIN(tst_AppPaths)
#include "tst_AppPaths.moc"
