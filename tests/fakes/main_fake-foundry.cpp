// fake-foundry: a fake Microsoft Foundry endpoint (the Messages API under /anthropic) and a fake
// Microsoft Entra ID token endpoint, as a program a person can point qlaude at:
//   fake-foundry --api-key k &
//   CLAUDE_CODE_USE_FOUNDRY=1 ANTHROPIC_FOUNDRY_BASE_URL=http://127.0.0.1:<port>/anthropic
//     ANTHROPIC_FOUNDRY_API_KEY=k qlaude --print hi
// or, with Entra ID and a client secret:
//   fake-foundry --client-secret s &
//   ... AZURE_AUTHORITY_HOST=<printed> AZURE_TENANT_ID=fake-tenant AZURE_CLIENT_ID=fake-client-id
//     AZURE_CLIENT_SECRET=s qlaude --print hi

#include "FakeAnthropicServer.h"
#include "FakeEntraServer.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeEntraServer;
using qlaude::fakes::FakeResponse;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A fake Microsoft Foundry endpoint and Entra ID token endpoint on 127.0.0.1."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("port"), QStringLiteral("Foundry port (0: any free one)."),
                      QStringLiteral("port"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("api-key"), QStringLiteral("Expect this x-api-key."),
                      QStringLiteral("key")});
    parser.addOption({QStringLiteral("client-secret"),
                      QStringLiteral("Expect Entra tokens bought with this client secret."),
                      QStringLiteral("secret")});
    parser.addOption({QStringLiteral("reply"), QStringLiteral("The streamed answer."),
                      QStringLiteral("text"), QStringLiteral("Hello from fake Foundry.")});
    parser.addOption({QStringLiteral("fault"),
                      QStringLiteral("401 | 403 | 404 | 429: for the first request."),
                      QStringLiteral("fault")});
    parser.process(app);

    FakeEntraServer entra;
    FakeAnthropicServer foundry;
    foundry.setPathPrefix(QStringLiteral("/anthropic"));
    if (!entra.listen() ||
        !foundry.listen(quint16(parser.value(QStringLiteral("port")).toUInt()))) {
        std::fprintf(stderr, "fake-foundry: could not listen\n");
        return 1;
    }
    if (parser.isSet(QStringLiteral("api-key")))
        foundry.setExpectedApiKey(parser.value(QStringLiteral("api-key")).toUtf8());
    if (parser.isSet(QStringLiteral("client-secret"))) {
        entra.setClientSecret(parser.value(QStringLiteral("client-secret")));
        // Each token Entra issues is good: the server checks it came from the fake.
        QObject::connect(&entra, &FakeEntraServer::requestHandled, &foundry,
                         [&] { foundry.setExpectedBearerToken(entra.lastIssuedToken().toUtf8()); });
    }
    const QString fault = parser.value(QStringLiteral("fault"));
    const auto azure = [](const char *code, const char *message) {
        return QJsonObject{{"error", QJsonObject{{"code", QLatin1String(code)},
                                                 {"message", QLatin1String(message)}}}};
    };
    if (fault == QLatin1String("401"))
        foundry.enqueue(FakeResponse::json(
            azure("401", "Access denied due to invalid subscription key or wrong API endpoint."),
            401));
    else if (fault == QLatin1String("403"))
        foundry.enqueue(FakeResponse::json(
            azure("PermissionDenied", "The principal lacks the required data action."), 403));
    else if (fault == QLatin1String("404"))
        foundry.enqueue(FakeResponse::json(
            azure("DeploymentNotFound", "The API deployment for this resource does not exist."),
            404));
    else if (fault == QLatin1String("429"))
        foundry.enqueue(FakeResponse::json(azure("429", "Rate limit is exceeded."), 429)
                            .withRetryAfterSeconds(1));
    else if (!fault.isEmpty()) {
        std::fprintf(stderr, "fake-foundry: unknown --fault '%s'\n", qPrintable(fault));
        return 2;
    }
    foundry.setDefaultResponse(FakeResponse::text(parser.value(QStringLiteral("reply"))));
    std::printf("fake-foundry listening on %s/anthropic (Entra authority %s)\n",
                qPrintable(foundry.baseUrl().toString()), qPrintable(entra.baseUrl().toString()));
    std::fflush(stdout);
    return app.exec();
}
