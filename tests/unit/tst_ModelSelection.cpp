#include "ModelSelection.h"
#include "TestSupport.h"

#include <QtTest>

using namespace qlaude;
using namespace qlaude::test;

// The model per provider: its default and what an alias means in its id format.
class tst_ModelSelection : public QObject
{
    Q_OBJECT

    static AuthContext context(const TestHome &h, const QMap<QString, QString> &env)
    {
        AuthContext::Options o;
        o.workspace = h.workspace();
        o.processEnvironment = h.environment();
        for (auto it = env.begin(); it != env.end(); ++it)
            o.processEnvironment.insert(it.key(), it.value());
        o.managedDir = h.managedDir();
        o.trustStorePath = h.trustStore();
        return AuthContext::load(o);
    }

private slots:
    void defaultFollowsTheProvider_data()
    {
        QTest::addColumn<QString>("useVar");
        QTest::addColumn<QString>("model");
        QTest::newRow("anthropic") << QString() << "claude-sonnet-4-5";
        QTest::newRow("bedrock") << "CLAUDE_CODE_USE_BEDROCK"
                                 << "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
        QTest::newRow("vertex") << "CLAUDE_CODE_USE_VERTEX"
                                << "claude-sonnet-4-5@20250929";
        QTest::newRow("foundry") << "CLAUDE_CODE_USE_FOUNDRY"
                                 << "claude-sonnet-4-5";
    }
    void defaultFollowsTheProvider()
    {
        QFETCH(QString, useVar);
        QFETCH(QString, model);
        TestHome h(QStringLiteral("models-default"));
        QMap<QString, QString> env;
        if (!useVar.isEmpty())
            env.insert(useVar, "1");
        const ModelChoice c = ModelSelection::choose(QString(), context(h, env));
        QCOMPARE(c.model, model);
        QCOMPARE(c.source, QStringLiteral("default"));
    }

    void displayNamesForEveryProvidersIds_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("name");
        QTest::newRow("anthropic") << "claude-sonnet-4-5"
                                   << "Claude Sonnet 4.5";
        QTest::newRow("dated") << "claude-haiku-4-5-20251001"
                               << "Claude Haiku 4.5";
        QTest::newRow("major only") << "claude-opus-4"
                                    << "Claude Opus 4";
        QTest::newRow("older scheme") << "claude-3-5-haiku-20241022"
                                      << "Claude Haiku 3.5";
        QTest::newRow("bedrock profile") << "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
                                         << "Claude Sonnet 4.5";
        QTest::newRow("bedrock global") << "global.anthropic.claude-opus-4-6-v1"
                                        << "Claude Opus 4.6";
        QTest::newRow("vertex") << "claude-sonnet-4-5@20250929"
                                << "Claude Sonnet 4.5";
        QTest::newRow("unknown") << "my-gateway-model"
                                 << "my-gateway-model";
        QTest::newRow("arn kept") << "arn:aws:bedrock:us-east-1:1:inference-profile/x"
                                  << "arn:aws:bedrock:us-east-1:1:inference-profile/x";
    }
    void displayNamesForEveryProvidersIds()
    {
        QFETCH(QString, id);
        QFETCH(QString, name);
        QCOMPARE(ModelSelection::displayName(id), name);
    }

    void fallbackListPutsTheCurrentModelFirstWithNames()
    {
        const QList<ModelInfo> list =
            ModelSelection::fallbackList(Provider::Bedrock, QStringLiteral("my-gateway-model"));
        QCOMPARE(list.size(), 4);
        QCOMPARE(list.first().id, QStringLiteral("my-gateway-model"));
        QCOMPARE(list.at(1).id, QStringLiteral("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
        QCOMPARE(list.at(1).displayName, QStringLiteral("Claude Sonnet 4.5"));
    }

    void aliasesUseTheProvidersIds()
    {
        TestHome h(QStringLiteral("models-alias"));
        QCOMPARE(
            ModelSelection::choose("opus", context(h, {{"CLAUDE_CODE_USE_BEDROCK", "1"}})).model,
            QStringLiteral("us.anthropic.claude-opus-4-6-v1"));
        QCOMPARE(
            ModelSelection::choose("haiku", context(h, {{"CLAUDE_CODE_USE_VERTEX", "1"}})).model,
            QStringLiteral("claude-haiku-4-5@20251001"));
        QCOMPARE(ModelSelection::choose("haiku", context(h, {})).model,
                 QStringLiteral("claude-haiku-4-5-20251001"));
        // ANTHROPIC_DEFAULT_*_MODEL wins on every provider; a full id is kept as it is.
        QCOMPARE(ModelSelection::choose("sonnet", context(h, {{"CLAUDE_CODE_USE_BEDROCK", "1"},
                                                              {"ANTHROPIC_DEFAULT_SONNET_MODEL",
                                                               "arn:aws:bedrock:x"}}))
                     .model,
                 QStringLiteral("arn:aws:bedrock:x"));
        QCOMPARE(ModelSelection::choose(QString(), context(h, {{"CLAUDE_CODE_USE_FOUNDRY", "1"},
                                                               {"ANTHROPIC_MODEL", "my-deploy"}}))
                     .model,
                 QStringLiteral("my-deploy"));
    }
};

QTEST_GUILESS_MAIN(tst_ModelSelection)
#include "tst_ModelSelection.moc"
