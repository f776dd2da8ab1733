// fake-bedrock: the fake Bedrock runtime as a program a person can point qlaude at.
//   fake-bedrock --port 8766 --access-key AKIAFAKE --secret-key fake-secret &
//   CLAUDE_CODE_USE_BEDROCK=1 ANTHROPIC_BEDROCK_BASE_URL=http://127.0.0.1:8766
//     AWS_ACCESS_KEY_ID=AKIAFAKE AWS_SECRET_ACCESS_KEY=fake-secret qlaude --print hi
// With --bearer-token instead of the keys it expects a Bedrock API key.

#include "FakeBedrockServer.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

using qlaude::fakes::FakeBedrockResponse;
using qlaude::fakes::FakeBedrockServer;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A fake Amazon Bedrock runtime on 127.0.0.1 "
                                                    "that checks SigV4 and streams event-stream "
                                                    "frames."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("port"), QStringLiteral("Port (0: any free one)."),
                      QStringLiteral("port"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("region"), QStringLiteral("The signing region."),
                      QStringLiteral("region"), QStringLiteral("us-east-1")});
    parser.addOption({QStringLiteral("access-key"), QStringLiteral("Expected access key id."),
                      QStringLiteral("id"), QStringLiteral("AKIAFAKE")});
    parser.addOption({QStringLiteral("secret-key"), QStringLiteral("The shared secret key."),
                      QStringLiteral("secret"), QStringLiteral("fake-secret")});
    parser.addOption({QStringLiteral("session-token"), QStringLiteral("Expected session token."),
                      QStringLiteral("token")});
    parser.addOption({QStringLiteral("bearer-token"),
                      QStringLiteral("Expect this Bedrock API key instead of SigV4."),
                      QStringLiteral("token")});
    parser.addOption({QStringLiteral("reply"), QStringLiteral("The streamed answer."),
                      QStringLiteral("text"), QStringLiteral("Hello from the fake Bedrock.")});
    parser.addOption({QStringLiteral("fault"),
                      QStringLiteral("throttle | exception | expired | drop | 403 | 404 | 429 | "
                                     "500: for the first request."),
                      QStringLiteral("fault")});
    parser.process(app);

    FakeBedrockServer server;
    server.setRegion(parser.value(QStringLiteral("region")));
    qlaude::AwsCredentials creds;
    creds.accessKeyId = parser.value(QStringLiteral("access-key"));
    creds.secretAccessKey = parser.value(QStringLiteral("secret-key"));
    creds.sessionToken = parser.value(QStringLiteral("session-token"));
    server.setCredentials(creds);
    if (parser.isSet(QStringLiteral("bearer-token")))
        server.setBearerToken(parser.value(QStringLiteral("bearer-token")).toUtf8());
    const QString reply = parser.value(QStringLiteral("reply"));
    const QString fault = parser.value(QStringLiteral("fault"));
    if (fault == QLatin1String("throttle"))
        server.enqueue(FakeBedrockResponse::exception("throttlingException", "Too many requests"));
    else if (fault == QLatin1String("exception"))
        server.enqueue(FakeBedrockResponse::exception("modelStreamErrorException",
                                                      "The model stopped", reply));
    else if (fault == QLatin1String("expired"))
        server.expireCredentials(1);
    else if (fault == QLatin1String("drop"))
        server.enqueue(FakeBedrockResponse::drop(reply));
    else if (fault == QLatin1String("403"))
        server.enqueue(FakeBedrockResponse::httpError(403, "AccessDeniedException",
                                                      "You don't have access to the model"));
    else if (fault == QLatin1String("404"))
        server.enqueue(FakeBedrockResponse::httpError(404, "ResourceNotFoundException",
                                                      "Could not resolve the foundation model"));
    else if (fault == QLatin1String("429"))
        server.enqueue(FakeBedrockResponse::httpError(429, "ThrottlingException",
                                                      "Too many requests, please wait"));
    else if (fault == QLatin1String("500"))
        server.enqueue(FakeBedrockResponse::httpError(500, "InternalServerException",
                                                      "Internal server error"));
    else if (!fault.isEmpty()) {
        std::fprintf(stderr, "fake-bedrock: unknown --fault '%s'\n", qPrintable(fault));
        return 2;
    }
    server.enqueue(FakeBedrockResponse::answer(reply)); // what follows the fault, if any
    if (!server.listen(quint16(parser.value(QStringLiteral("port")).toUInt()))) {
        std::fprintf(stderr, "fake-bedrock: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    std::printf("fake-bedrock listening on %s\n", qPrintable(server.baseUrl().toString()));
    std::fflush(stdout);
    QObject::connect(&server, &FakeBedrockServer::connectionClosed, &app, [&server] {
        const QString why = server.lastRejection();
        if (!why.isEmpty())
            std::fprintf(stderr, "fake-bedrock: refused: %s\n", qPrintable(why));
    });
    return app.exec();
}
