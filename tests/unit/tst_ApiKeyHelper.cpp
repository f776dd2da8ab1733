#include "ApiKeyHelper.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "AuthorizerFactory.h"
#include "ProcessGroups.h"
#include "TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QtTest>

#include <signal.h>
#include <unistd.h>

using namespace qlaude;
using namespace qlaude::test;

namespace {
struct Outcome
{
    bool done = false;
    Credential credential;
    QString error;
};

Outcome authorizeAndWait(ApiKeyHelper &helper, int timeoutMs = 10000)
{
    Outcome o;
    helper.authorize([&o](const Credential &c, const QString &e) {
        o.done = true;
        o.credential = c;
        o.error = e;
    });
    (void)QTest::qWaitFor([&o] { return o.done; }, timeoutMs);
    if (!o.done)
        o.error = QStringLiteral("the test timed out waiting for the helper");
    return o;
}

int countRuns(const QString &counter)
{
    QFile f(counter);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return f.readAll().count('\n');
}
} // namespace

class tst_ApiKeyHelper : public QObject
{
    Q_OBJECT

    ApiKeyHelper::Config config(const TestHome &h, const QString &command)
    {
        QProcessEnvironment env = h.environment();
        env.insert("QLAUDE_TEST_COUNTER", h.root() + "/runs");
        ApiKeyHelper::Config c = ApiKeyHelper::configFrom(command, h.workspace(), env);
        return c;
    }

    // Resolves the workspace of `h` (trusting it first when asked), runs the helper the
    // resolver picked through the authorizer factory, and returns the lines it reported.
    QStringList runHelperThroughContext(const TestHome &h, bool trust)
    {
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        o.processEnvironment.remove("AWS_PROFILE");
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        AuthContext ctx = AuthContext::load(o);
        if (trust) {
            TrustStore store(h.trustStore());
            QString error;
            if (!store.trust(ctx.trust(), &error))
                return {QStringLiteral("trust failed: ") + error};
            ctx.reloadTrust();
        }
        KeychainSnapshot kc;
        kc.read = true;
        kc.state = KeychainState::Available;
        const Resolution res = AuthResolver::resolve(ctx, kc);
        if (res.credential.source != QLatin1String("apiKeyHelper"))
            return {QStringLiteral("resolved to ") + res.credential.source};
        std::unique_ptr<Authorizer> auth = makeAuthorizer(ctx, res, nullptr);
        bool done = false;
        QString error;
        auth->authorize([&](const Credential &, const QString &e) {
            done = true;
            error = e;
        });
        if (!QTest::qWaitFor([&done] { return done; }, 10000) || !error.isEmpty())
            return {QStringLiteral("helper failed: ") + error};
        QFile f(h.root() + "/site.txt");
        if (!f.open(QIODevice::ReadOnly))
            return {QStringLiteral("no report")};
        return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    }

private slots:
    void printsKeySentAsApiKeyAndBearer()
    {
        TestHome h(QStringLiteral("helper-key"));
        const QString secret = testSecret("helper");
        ApiKeyHelper helper(config(h, helperCommand("print_key.sh", secret)));
        const Outcome o = authorizeAndWait(helper);
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        QCOMPARE(o.credential.source, QStringLiteral("apiKeyHelper"));
        QCOMPARE(o.credential.kind, CredentialKind::ApiKey);
        QVERIFY(o.credential.apiKey == secret);
        QVERIFY(o.credential.bearerToken == secret);
    }

    void authTokenReplacesTheBearerValue()
    {
        TestHome h(QStringLiteral("helper-authtoken"));
        const QString secret = testSecret("helper");
        const QString token = testSecret("token");
        ApiKeyHelper::Config c = config(h, helperCommand("print_key.sh", secret));
        QProcessEnvironment env = c.environment;
        env.insert("ANTHROPIC_AUTH_TOKEN", token);
        c = ApiKeyHelper::configFrom(c.command, h.workspace(), env);
        ApiKeyHelper helper(c);
        const Outcome o = authorizeAndWait(helper);
        QVERIFY(o.credential.apiKey == secret);
        QVERIFY(o.credential.bearerToken == token);
    }

    void hangingHelperTimesOutWithStderrLine()
    {
        TestHome h(QStringLiteral("helper-hang"));
        const QString groupFile = h.root() + "/group";
        ApiKeyHelper::Config c =
            config(h, helperCommand("sleep_in_group.sh", QString(), {groupFile}));
        c.timeoutMs = 500;
        ApiKeyHelper helper(c);
        QElapsedTimer t;
        t.start();
        const Outcome o = authorizeAndWait(helper);
        QVERIFY(t.elapsed() < 5000);
        QVERIFY(!o.credential.isValid());
        QVERIFY2(o.error.contains("timed out after 0.5 s"), qPrintable(o.error));
        QVERIFY2(o.error.contains("waiting for a password prompt that never comes"),
                 qPrintable(o.error));
        // The helper and the two processes it started are gone, not only the shell.
        const GroupReaper reaper{groupFromFile(groupFile)};
        QVERIFY2(reaper.group > 1, "the helper did not report its process group");
        QVERIFY(reaper.group != int(::getpgrp())); // a group of its own
        QTRY_COMPARE_WITH_TIMEOUT(liveProcessesInGroup(reaper.group), QList<int>(), 3000);
    }

    void failingHelperQuotesExitCodeAndStderrNeverStdout()
    {
        TestHome h(QStringLiteral("helper-fail"));
        const QString secret = testSecret("leak");
        ApiKeyHelper helper(config(h, helperCommand("fail_with_stderr.sh", secret)));
        const Outcome o = authorizeAndWait(helper);
        QVERIFY(!o.credential.isValid());
        QVERIFY2(o.error.startsWith("apiKeyHelper exited with code 1: vault: permission denied"),
                 qPrintable(o.error));
        QVERIFY(!o.error.contains("second line"));
        QVERIFY(!o.error.contains(secret.mid(8)));
        QVERIFY(!o.error.contains("SECRET"));
    }

    void emptyOutputIsAnError()
    {
        TestHome h(QStringLiteral("helper-empty"));
        ApiKeyHelper helper(config(h, helperCommand("print_nothing.sh", QString())));
        const Outcome o = authorizeAndWait(helper);
        QVERIFY(!o.credential.isValid());
        QVERIFY2(o.error.contains("did not return a value"), qPrintable(o.error));
    }

    void missingCommandReportsExitCode127()
    {
        TestHome h(QStringLiteral("helper-missing"));
        ApiKeyHelper helper(config(h, QStringLiteral("/nonexistent/op read vault")));
        const Outcome o = authorizeAndWait(helper);
        QVERIFY2(o.error.startsWith("apiKeyHelper exited with code 127"), qPrintable(o.error));
    }

    void burstOfRequestsRunsTheHelperOnce()
    {
        TestHome h(QStringLiteral("helper-burst"));
        const QString secret = testSecret("burst");
        ApiKeyHelper helper(config(h, helperCommand("print_key.sh", secret)));
        int answered = 0;
        int good = 0;
        for (int i = 0; i < 100; ++i) {
            helper.authorize([&](const Credential &c, const QString &e) {
                ++answered;
                if (e.isEmpty() && c.apiKey == secret)
                    ++good;
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(answered, 100, 10000);
        QCOMPARE(good, 100);
        QCOMPARE(helper.runCount(), 1);
        QCOMPARE(countRuns(h.root() + "/runs"), 1);
        // Within the TTL, still no new run.
        authorizeAndWait(helper);
        QCOMPARE(countRuns(h.root() + "/runs"), 1);
    }

    void afterTtlServesStaleValueAndRefreshesInBackground()
    {
        TestHome h(QStringLiteral("helper-ttl"));
        const QString secret = testSecret("ttl");
        ApiKeyHelper::Config c = config(h, helperCommand("print_key.sh", secret));
        c.ttlMs = 1000;
        ApiKeyHelper helper(c);
        qint64 now = 0;
        helper.setClockForTesting([&now] { return now; });
        QVERIFY(authorizeAndWait(helper).credential.apiKey == secret);
        QCOMPARE(helper.runCount(), 1);
        now = 999;
        authorizeAndWait(helper);
        QCOMPARE(helper.runCount(), 1);
        now = 1000;
        // The stale value answers at once, synchronously, while a refresh starts.
        bool immediate = false;
        helper.authorize(
            [&](const Credential &cr, const QString &) { immediate = cr.apiKey == secret; });
        QVERIFY(immediate);
        QCOMPARE(helper.runCount(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(countRuns(h.root() + "/runs"), 2, 10000);
    }

    void failedRefreshKeepsThePreviousValue()
    {
        TestHome h(QStringLiteral("helper-refresh-fail"));
        const QString secret = testSecret("keep");
        const QString failFlag = h.root() + "/fail-now";
        ApiKeyHelper::Config c =
            config(h, helperCommand("fail_then_succeed.sh", secret, {failFlag}));
        c.ttlMs = 10;
        ApiKeyHelper helper(c);
        qint64 now = 0;
        helper.setClockForTesting([&now] { return now; });
        QVERIFY(authorizeAndWait(helper).credential.apiKey == secret);
        h.writeFile(failFlag, "x");
        now = 100;
        QSignalSpy failed(&helper, &ApiKeyHelper::refreshFailed);
        QVERIFY(authorizeAndWait(helper).credential.apiKey == secret);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QVERIFY(failed.first().first().toString().contains("exited with code 3"));
        QVERIFY(authorizeAndWait(helper).credential.apiKey == secret);
        QVERIFY(helper.hasCachedValue());
    }

    void invalidateAfter401RunsAgain()
    {
        TestHome h(QStringLiteral("helper-401"));
        const QString secret = testSecret("inval");
        ApiKeyHelper helper(config(h, helperCommand("print_key.sh", secret)));
        authorizeAndWait(helper);
        QVERIFY(helper.invalidate());
        QVERIFY(!helper.hasCachedValue());
        QVERIFY(authorizeAndWait(helper).credential.apiKey == secret);
        QCOMPARE(helper.runCount(), 2);
    }

    void cancelStopsARunningHelper()
    {
        TestHome h(QStringLiteral("helper-cancel"));
        const QString groupFile = h.root() + "/group";
        ApiKeyHelper helper(config(h, helperCommand("sleep_in_group.sh", QString(), {groupFile})));
        Outcome o;
        helper.authorize([&o](const Credential &c, const QString &e) {
            o.done = true;
            o.credential = c;
            o.error = e;
        });
        const GroupReaper reaper{groupFromFile(groupFile)};
        QVERIFY2(reaper.group > 1, "the helper did not report its process group");
        QVERIFY(reaper.group != int(::getpgrp())); // a group of its own
        // The script and its two sleeps (and the shell, when it did not exec the script).
        QVERIFY(liveProcessesInGroup(reaper.group).size() >= 3);
        QVERIFY(!o.done);
        QElapsedTimer t;
        t.start();
        helper.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(o.done, 5000);
        QVERIFY(t.elapsed() < 3000);
        QVERIFY(o.error.contains("cancelled"));
        // Nothing of the helper's process group is left running.
        QTRY_COMPARE_WITH_TIMEOUT(liveProcessesInGroup(reaper.group), QList<int>(), 3000);
    }

    void ttlFromEnvironmentAndBadValues()
    {
        QProcessEnvironment env;
        env.insert("CLAUDE_CODE_API_KEY_HELPER_TTL_MS", "1234");
        QCOMPARE(ApiKeyHelper::configFrom("x", "/", env).ttlMs, 1234);
        env.insert("CLAUDE_CODE_API_KEY_HELPER_TTL_MS", "-5");
        QString warning;
        QCOMPARE(ApiKeyHelper::configFrom("x", "/", env, &warning).ttlMs, 300000);
        QVERIFY(warning.contains("CLAUDE_CODE_API_KEY_HELPER_TTL_MS"));
        QCOMPARE(ApiKeyHelper::configFrom("x", "/", QProcessEnvironment()).timeoutMs, 600000);
    }
    // --- Security review (issue 8) ---

    void moreThanOneLineIsRefused()
    {
        TestHome h(QStringLiteral("helper-two-lines"));
        ApiKeyHelper helper(config(h, QStringLiteral("printf 'key-part-0001\\nX-Injected: 1\\n'")));
        const Outcome o = authorizeAndWait(helper);
        QVERIFY(!o.credential.isValid());
        QVERIFY2(o.error.contains("printed 2 lines"), qPrintable(o.error));
        QVERIFY(!o.error.contains("key-part-0001"));
        QVERIFY(!o.error.contains("X-Injected"));
    }

    void aCarriageReturnIsRefused()
    {
        TestHome h(QStringLiteral("helper-cr"));
        ApiKeyHelper helper(config(h, QStringLiteral("printf 'key-part-0001\\rX-Injected: 1'")));
        const Outcome o = authorizeAndWait(helper);
        QVERIFY(!o.credential.isValid());
        QVERIFY2(o.error.contains("control character"), qPrintable(o.error));
        QVERIFY(!o.error.contains("key-part-0001"));
    }

    void runawayOutputIsStoppedAtTheCap()
    {
        auto peakKb = [] {
            QFile f(QStringLiteral("/proc/self/status"));
            if (!f.open(QIODevice::ReadOnly))
                return qint64(0);
            for (const QByteArray &line : f.readAll().split('\n')) {
                if (line.startsWith("VmHWM:"))
                    return line.mid(6).trimmed().split(' ').first().toLongLong();
            }
            return qint64(0);
        };
        TestHome h(QStringLiteral("helper-runaway"));
        const qint64 before = peakKb();
        ApiKeyHelper helper(config(h, QStringLiteral("head -c 200000000 /dev/zero | tr '\\0' a")));
        QElapsedTimer t;
        t.start();
        const Outcome o = authorizeAndWait(helper, 30000);
        QVERIFY(!o.credential.isValid());
        QVERIFY2(o.error.contains("more than 64 KiB"), qPrintable(o.error));
        QVERIFY2(t.elapsed() < 10000, qPrintable(QString::number(t.elapsed())));
        const qint64 grownMb = (peakKb() - before) / 1024;
        QVERIFY2(grownMb < 32, qPrintable(QStringLiteral("peak RSS grew by %1 MB").arg(grownMb)));
    }

    // A user-level helper must not run inside an untrusted folder, nor see its variables.
    void userHelperRunsFromHomeWithTrustedLayersOnly()
    {
        TestHome h(QStringLiteral("helper-site-user"));
        const QString secret = testSecret("site");
        const QString report = h.root() + "/site.txt";
        h.userSettings(
            QJsonObject{{"apiKeyHelper", helperCommand("report_site.sh", secret, {report})}});
        // AWS_PROFILE waits for trust anyway; ANTHROPIC_MODEL is on the pre-trust safe list, so
        // it applies to the folder's requests, but the user's helper must not see it either.
        h.projectSettings(QJsonObject{{"env", QJsonObject{{"AWS_PROFILE", "from-project"},
                                                          {"ANTHROPIC_MODEL", "from-project"}}}});
        const QStringList lines = runHelperThroughContext(h, false);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines.at(0), QDir(QDir::homePath()).canonicalPath());
        QCOMPARE(lines.at(1), QStringLiteral("unset"));
        QCOMPARE(lines.at(2), QStringLiteral("unset"));
    }

    void projectHelperRunsInTheTrustedWorkspace()
    {
        TestHome h(QStringLiteral("helper-site-project"));
        const QString secret = testSecret("site");
        const QString report = h.root() + "/site.txt";
        h.projectSettings(
            QJsonObject{{"apiKeyHelper", helperCommand("report_site.sh", secret, {report})},
                        {"env", QJsonObject{{"AWS_PROFILE", "from-project"},
                                            {"ANTHROPIC_MODEL", "model-from-project"}}}});
        const QStringList lines = runHelperThroughContext(h, true);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines.at(0), QDir(h.workspace()).canonicalPath());
        QCOMPARE(lines.at(1), QStringLiteral("from-project"));
        QCOMPARE(lines.at(2), QStringLiteral("model-from-project"));
    }
};

QTEST_GUILESS_MAIN(tst_ApiKeyHelper)
#include "tst_ApiKeyHelper.moc"
