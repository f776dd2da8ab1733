// Vertex AI and Microsoft Foundry from the command line, as a user runs them: `qlaude --print`
// and `qlaude --doctor` against the fake Google, Vertex, Entra and Foundry servers, with a real
// credentials file and a real `az` script.
#include "FakeAnthropicServer.h"
#include "FakeGoogleServer.h"
#include "FakeVertexServer.h"
#include "TestKeys.h"
#include "TestSupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeGoogleServer;
using qlaude::fakes::FakeVertexServer;

class tst_CloudCommandLine : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestHome> m_home;

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = m_home->environment();
        e.insert("HOME", m_home->root());
        e.insert("XDG_DATA_HOME", m_home->root() + "/xdg-data");
        e.remove("GCE_METADATA_IP");
        e.insert("METADATA_SERVER_DETECTION", "none");
        return e;
    }

    static QJsonObject json(const ProcessResult &r)
    {
        return QJsonDocument::fromJson(r.out).object();
    }

private slots:
    void init() { m_home = std::make_unique<TestHome>(QStringLiteral("cloud-cli")); }

    void vertexPrintsAndDoctorShowsTheTokensExpiry()
    {
        FakeGoogleServer google;
        FakeVertexServer vertex;
        QVERIFY(google.listen());
        QVERIFY(vertex.listen());
        const fakes::TestRsaKey key = fakes::TestRsaKey::generate();
        const QString email = QStringLiteral("cli@cli-project.iam.gserviceaccount.com");
        google.setServiceAccount(email, key.publicKeyPem);
        m_home->writeJson(m_home->path("sa.json"),
                          QJsonObject{{"type", "service_account"},
                                      {"project_id", "cli-project"},
                                      {"private_key", QString::fromLatin1(key.privateKeyPem)},
                                      {"client_email", email},
                                      {"token_uri", google.tokenUrl().toString()}});
        vertex.setExpectedProject("cli-project");
        QProcessEnvironment e = env();
        e.insert("CLAUDE_CODE_USE_VERTEX", "1");
        e.insert("ANTHROPIC_VERTEX_BASE_URL", vertex.baseUrl().toString() + "/v1");
        e.insert("GOOGLE_APPLICATION_CREDENTIALS", m_home->path("sa.json"));
        e.insert("CLOUD_ML_REGION", "europe-west4");

        const ProcessResult p = runQlaudeAsync({"--print", "hi"}, e);
        QVERIFY2(p.exitCode == 0, p.err.constData());
        QCOMPARE(p.out.trimmed(), QByteArray("Hello from fake Vertex AI."));
        QCOMPARE(vertex.lastRegion(), QStringLiteral("europe-west4"));

        const ProcessResult d = runQlaudeAsync({"--doctor", "--json"}, e);
        QVERIFY2(d.exitCode == 0, d.out.constData());
        const QJsonObject check = json(d).value("credential_check").toObject();
        QCOMPARE(check.value("ok").toBool(), true);
        QVERIFY2(check.value("source").toString().contains("service account file"),
                 qPrintable(check.value("source").toString()));
        QVERIFY(check.value("expires_in_s").toInt() > 3000);
        QVERIFY(!d.out.contains("qltSECRET"));
        QVERIFY(!d.out.contains("PRIVATE KEY"));
        const ProcessResult text = runQlaudeAsync({"--doctor"}, e);
        QVERIFY2(text.out.contains("Credential check: fetched a Google access token"),
                 text.out.constData());
        QVERIFY2(text.out.contains("/projects/cli-project/locations/europe-west4/"),
                 text.out.constData());
    }

    void foundryDoctorQuotesTheAzureClisLoginLine()
    {
        QDir().mkpath(m_home->path("bin"));
        const QString az = m_home->path("bin/az");
        m_home->writeFile(az, "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup "
                              "account.\" >&2\nexit 1\n");
        QFile::setPermissions(az, QFile::permissions(az) | QFileDevice::ExeOwner);
        QProcessEnvironment e = env();
        e.insert("PATH", m_home->path("bin") + ":/usr/bin:/bin");
        e.insert("CLAUDE_CODE_USE_FOUNDRY", "1");
        e.insert("ANTHROPIC_FOUNDRY_RESOURCE", "my-resource");
        e.insert("AZURE_TOKEN_CREDENTIALS", "dev");
        const ProcessResult d = runQlaudeAsync({"--doctor"}, e);
        QCOMPARE(d.exitCode, 1);
        QVERIFY2(d.out.contains("Credential check: failed"), d.out.constData());
        QVERIFY2(d.out.contains("Please run 'az login' to setup account."), d.out.constData());
        QVERIFY2(d.out.contains("https://my-resource.services.ai.azure.com/anthropic"),
                 d.out.constData());
    }

    void foundryPrintsWithAnApiKey()
    {
        FakeAnthropicServer foundry;
        QVERIFY(foundry.listen());
        foundry.setPathPrefix("/anthropic");
        const QString key = testSecret("foundry-cli-key");
        foundry.setExpectedApiKey(key.toUtf8());
        QProcessEnvironment e = env();
        e.insert("CLAUDE_CODE_USE_FOUNDRY", "1");
        e.insert("ANTHROPIC_FOUNDRY_BASE_URL", foundry.baseUrl().toString() + "/anthropic");
        e.insert("ANTHROPIC_FOUNDRY_API_KEY", key);
        const ProcessResult p = runQlaudeAsync({"--print", "hi"}, e);
        QVERIFY2(p.exitCode == 0, p.err.constData());
        QCOMPARE(p.out.trimmed(), QByteArray("Hello from the fake API."));
        QCOMPARE(foundry.lastRequest().json.value("model").toString(),
                 QStringLiteral("claude-sonnet-4-5"));
    }
};

QTEST_GUILESS_MAIN(tst_CloudCommandLine)
#include "tst_CloudCommandLine.moc"
