// The AWS side of Bedrock without network: the shared files, the region, and the credential
// chain's sources with real files and real scripts under a temporary HOME.
#include "AuthContext.h"
#include "AuthResolver.h"
#include "AwsConfig.h"
#include "AwsCredentialProvider.h"
#include "AwsTestSupport.h"
#include "TestSupport.h"
#include "TrustStore.h"

#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

class tst_AwsCredentialProvider : public QObject
{
    Q_OBJECT

    static QProcessEnvironment awsEnv(const TestHome &h)
    {
        QProcessEnvironment env = h.environment();
        env.insert("HOME", h.root());
        for (const char *v :
             {"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
              "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"})
            env.remove(QLatin1String(v));
        return env;
    }

private slots:
    void parsesTheSharedFilesLikeAwsTools()
    {
        const QByteArray config = "# comment\n[default]\nregion = eu-west-1 ; trailing\n"
                                  "[profile work]\nregion=us-west-2\ns3 =\n  max_concurrent = 4\n"
                                  "output = json#not-a-comment\n[sso-session corp]\nsso_region = "
                                  "eu-central-1\n";
        const auto sections = AwsConfig::parseIni(config, true);
        QCOMPARE(sections.value("default").value("region"), QStringLiteral("eu-west-1"));
        QCOMPARE(sections.value("work").value("region"), QStringLiteral("us-west-2"));
        QCOMPARE(sections.value("work").value("s3.max_concurrent"), QStringLiteral("4"));
        QCOMPARE(sections.value("work").value("output"), QStringLiteral("json#not-a-comment"));
        QVERIFY(sections.contains("sso-session corp"));

        TestHome h(QStringLiteral("aws-files"));
        h.writeFile(h.root() + "/.aws/config",
                    "[profile work]\nregion = us-west-2\naws_access_key_id = FROMCONFIG\n");
        h.writeFile(h.root() + "/.aws/credentials",
                    "[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n");
        const AwsProfile p = AwsConfig::profile(awsEnv(h), "work");
        QVERIFY(p.found);
        QCOMPARE(p.value("aws_access_key_id"), QStringLiteral("AKIAWORK")); // credentials win
        QCOMPARE(p.value("region"), QStringLiteral("us-west-2"));
        QVERIFY(!AwsConfig::profile(awsEnv(h), "missing").found);
    }

    void regionComesFromOnePlace()
    {
        TestHome h(QStringLiteral("aws-region"));
        QProcessEnvironment env = awsEnv(h);
        QCOMPARE(AwsConfig::region(env).region, QStringLiteral("us-east-1"));
        QVERIFY(AwsConfig::region(env).source.startsWith("default"));
        h.writeFile(h.root() + "/.aws/config", "[default]\nregion = ap-southeast-2\n");
        QCOMPARE(AwsConfig::region(env).region, QStringLiteral("ap-southeast-2"));
        QVERIFY(AwsConfig::region(env).source.contains("from AWS config"));
        env.insert("AWS_DEFAULT_REGION", "eu-north-1");
        QCOMPARE(AwsConfig::region(env).region, QStringLiteral("eu-north-1"));
        env.insert("AWS_REGION", "us-west-2");
        QCOMPARE(AwsConfig::region(env).region, QStringLiteral("us-west-2"));
        QCOMPARE(AwsConfig::region(env).source, QStringLiteral("AWS_REGION"));
    }

    void environmentKeysWinOverTheProfile()
    {
        TestHome h(QStringLiteral("aws-env"));
        h.writeFile(h.root() + "/.aws/credentials",
                    "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = f\n");
        AwsCredentialProvider::Config c;
        c.environment = awsEnv(h);
        c.environment.insert("AWS_ACCESS_KEY_ID", "AKIAENV");
        c.environment.insert("AWS_SECRET_ACCESS_KEY", "env-secret-0011");
        c.environment.insert("AWS_SESSION_TOKEN", "env-token");
        c.environment.insert("AWS_PROFILE", "default");
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, QStringLiteral("AKIAENV"));
        QCOMPARE(g.credentials.sessionToken, QStringLiteral("env-token"));
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr), QStringLiteral("env"));
    }

    void profileStaticKeysAndCredentialProcess()
    {
        TestHome h(QStringLiteral("aws-profile"));
        const QString secret = testSecret("aws-process");
        const int cut = secret.indexOf("SECRET");
        h.writeFile(h.root() + "/.aws/credentials",
                    "[static]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = st\n");
        h.writeFile(h.root() + "/.aws/config",
                    ("[profile proc]\ncredential_process = " +
                     helperCommand("aws_export.sh", QString(),
                                   {"process", secret.left(cut), secret.mid(cut)}) +
                     "\n")
                        .toUtf8());
        AwsCredentialProvider::Config c;
        c.environment = awsEnv(h);
        c.environment.insert("AWS_PROFILE", "static");
        AwsCredentialProvider staticKeys(c);
        QCOMPARE(getAndWait(staticKeys).credentials.accessKeyId, QStringLiteral("AKIASTATIC"));

        c.environment.insert("AWS_PROFILE", "proc");
        QCOMPARE(AwsCredentialProvider::staticSource(c, nullptr),
                 QStringLiteral("credential_process (profile proc)"));
        AwsCredentialProvider process(c);
        const AwsGot g = getAndWait(process);
        QVERIFY2(g.error.isEmpty(), qPrintable(g.error));
        QCOMPARE(g.credentials.accessKeyId, QStringLiteral("AKIAPROCESS"));
        QVERIFY(g.credentials.secretAccessKey == secret);
    }

    void awsCredentialExportRunsOnceAndIsCached()
    {
        TestHome h(QStringLiteral("aws-export"));
        const QString secret = testSecret("aws-export");
        const int cut = secret.indexOf("SECRET");
        AwsCredentialProvider::Config c;
        c.environment = awsEnv(h);
        c.exportCommand =
            helperCommand("aws_export.sh", QString(),
                          {"sts", secret.left(cut), secret.mid(cut), "2099-01-01T00:00:00Z"});
        c.exportEnvironment = c.environment;
        c.exportEnvironment.insert("QLAUDE_TEST_COUNTER", h.root() + "/runs");
        AwsCredentialProvider p(c);
        // A burst shares one run.
        int answered = 0;
        for (int i = 0; i < 5; ++i)
            p.get([&answered](const AwsCredentials &cr, const QString &) {
                answered += cr.isValid();
            });
        QTRY_COMPARE_WITH_TIMEOUT(answered, 5, 10000);
        QCOMPARE(p.runs(), 1);
        const AwsGot g = getAndWait(p);
        QCOMPARE(g.credentials.accessKeyId, QStringLiteral("AKIAEXPORT"));
        QVERIFY(g.credentials.secretAccessKey == secret);
        QCOMPARE(g.credentials.sessionToken, QStringLiteral("tok-export"));
        QCOMPARE(g.credentials.expiration, QDateTime(QDate(2099, 1, 1), QTime(0, 0), Qt::UTC));
        QCOMPARE(p.runs(), 1);
        // A 403 clears the cache: the next request runs the command again.
        p.invalidate();
        QVERIFY(getAndWait(p).credentials.isValid());
        QCOMPARE(p.runs(), 2);
    }

    void expiringCredentialsRefreshFiveMinutesEarly()
    {
        TestHome h(QStringLiteral("aws-expiry"));
        QDateTime now(QDate(2026, 12, 6), QTime(10, 0), Qt::UTC);
        AwsCredentialProvider::Config c;
        c.environment = awsEnv(h);
        c.exportCommand = helperCommand("aws_export.sh", QString(),
                                        {"sts", "part-a", "part-b", "2026-12-06T10:20:00Z"});
        c.exportEnvironment = c.environment;
        AwsCredentialProvider p(c);
        p.setClockForTesting([&now] { return now; });
        QVERIFY(getAndWait(p).credentials.isValid());
        now = now.addSecs(14 * 60); // 6 minutes before expiry: still cached
        QVERIFY(getAndWait(p).credentials.isValid());
        QCOMPARE(p.runs(), 1);
        now = now.addSecs(2 * 60); // 4 minutes before: refreshed
        QVERIFY(getAndWait(p).credentials.isValid());
        QCOMPARE(p.runs(), 2);
    }

    void badExportOutputNeverQuotesIt()
    {
        TestHome h(QStringLiteral("aws-export-bad"));
        const QString secret = testSecret("aws-bad");
        const int cut = secret.indexOf("SECRET");
        AwsCredentialProvider::Config c;
        c.environment = awsEnv(h);
        c.exportCommand = helperCommand("aws_export.sh", QString(),
                                        {"garbage", secret.left(cut), secret.mid(cut)});
        c.exportEnvironment = c.environment;
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QVERIFY2(g.error.contains("awsCredentialExport did not return a valid value"),
                 qPrintable(g.error));
        QVERIFY(!g.error.contains("SECRET"));
        // Flat output without a session token is not accepted from awsCredentialExport.
        QString error;
        QVERIFY(
            !parseAwsCredentialJson(R"({"AccessKeyId":"a","SecretAccessKey":"b"})", true, &error)
                 .isValid());
        QVERIFY(error.contains("STS output structure"));
    }

    void unsupportedProfilesSayWhatTheyNeed()
    {
        TestHome h(QStringLiteral("aws-sso"));
        h.writeFile(h.root() + "/.aws/config",
                    "[profile corp]\nsso_session = corp\nsso_account_id = 1\n");
        AwsCredentialProvider::Config c;
        c.environment = awsEnv(h);
        c.environment.insert("AWS_PROFILE", "corp");
        QString why;
        QVERIFY(AwsCredentialProvider::staticSource(c, &why).isEmpty());
        QVERIFY2(why.contains("SSO") && why.contains("corp"), qPrintable(why));
        AwsCredentialProvider p(c);
        const AwsGot g = getAndWait(p);
        QVERIFY(!g.credentials.isValid());
        QVERIFY(g.error.contains("SSO"));
    }

    // A project's awsCredentialExport never runs before trust; after trust it does, in the
    // workspace.
    void projectExportNeedsTrust()
    {
        TestHome h(QStringLiteral("aws-export-trust"));
        const QString marker = h.root() + "/export-ran";
        h.projectSettings(
            QJsonObject{{"awsCredentialExport",
                         QString(QStringLiteral("touch '%1'; ").arg(marker) +
                                 helperCommand("aws_export.sh", QString(), {"sts", "a", "b"}))},
                        {"awsAuthRefresh", "echo refresh-from-project"},
                        {"env", QJsonObject{{"CLAUDE_CODE_USE_BEDROCK", "1"}}}});
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = awsEnv(h);
        // The folder's own CLAUDE_CODE_USE_BEDROCK waits for trust too; the user picked Bedrock.
        o.processEnvironment.insert("CLAUDE_CODE_USE_BEDROCK", "1");
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        AuthContext ctx = AuthContext::load(o);
        QVERIFY(!ctx.trust().trusted);
        // Neither command of the untrusted folder is handed to the provider.
        QVERIFY(AwsCredentialProvider::configFrom(ctx).exportCommand.isEmpty());
        QVERIFY(AwsCredentialProvider::configFrom(ctx).refreshCommand.isEmpty());
        AwsCredentialProvider untrusted(AwsCredentialProvider::configFrom(ctx));
        QVERIFY(!getAndWait(untrusted).credentials.isValid());
        QVERIFY(!QFile::exists(marker));
        const Resolution r = AuthResolver::resolve(ctx, KeychainSnapshot());
        QVERIFY(!r.usable());
        bool explained = false;
        for (const SourceVerdict &v : r.considered)
            explained = explained || v.reason.contains("not trusted");
        QVERIFY(explained);

        TrustStore store(h.trustStore());
        QString error;
        QVERIFY(store.trust(ctx.trust(), &error));
        ctx.reloadTrust();
        QCOMPARE(AuthResolver::resolve(ctx, KeychainSnapshot()).credential.source,
                 QStringLiteral("aws:awsCredentialExport"));
        QCOMPARE(AwsCredentialProvider::configFrom(ctx).refreshCommand,
                 QStringLiteral("echo refresh-from-project"));
        QCOMPARE(AwsCredentialProvider::configFrom(ctx).refreshWorkingDirectory, h.workspace());
        AwsCredentialProvider trusted(AwsCredentialProvider::configFrom(ctx));
        QVERIFY(getAndWait(trusted).credentials.isValid());
        QVERIFY(QFile::exists(marker));
    }
};

QTEST_GUILESS_MAIN(tst_AwsCredentialProvider)
#include "tst_AwsCredentialProvider.moc"
