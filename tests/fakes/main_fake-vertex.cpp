// fake-vertex: a fake Vertex AI endpoint and a fake Google token endpoint, as a program a person
// can point qlaude at. It makes a throwaway service-account key and writes the credentials file:
//   fake-vertex --credentials /tmp/sa.json &
//   CLAUDE_CODE_USE_VERTEX=1 ANTHROPIC_VERTEX_BASE_URL=http://127.0.0.1:<port>/v1
//     GOOGLE_APPLICATION_CREDENTIALS=/tmp/sa.json qlaude --print hi
// The token endpoint checks the RS256 assertion with the key's public half; the Vertex endpoint
// checks the bearer token it issued, the path and the rewritten body.

#include "FakeGoogleServer.h"
#include "FakeVertexServer.h"
#include "TestKeys.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

using qlaude::fakes::FakeGoogleServer;
using qlaude::fakes::FakeResponse;
using qlaude::fakes::FakeVertexServer;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("A fake Google Vertex AI endpoint and Google token endpoint on 127.0.0.1."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("port"), QStringLiteral("Vertex port (0: any free one)."),
                      QStringLiteral("port"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("credentials"),
                      QStringLiteral("Write a service-account credentials file here (0600)."),
                      QStringLiteral("path")});
    parser.addOption({QStringLiteral("project"), QStringLiteral("The project in the file."),
                      QStringLiteral("id"), QStringLiteral("fake-project")});
    parser.addOption({QStringLiteral("reply"), QStringLiteral("The streamed answer."),
                      QStringLiteral("text"), QStringLiteral("Hello from fake Vertex AI.")});
    parser.addOption({QStringLiteral("fault"),
                      QStringLiteral("401 | 403 | 404 | 429 | 529 | drop: for the first request."),
                      QStringLiteral("fault")});
    parser.process(app);

    FakeGoogleServer google;
    FakeVertexServer vertex;
    if (!google.listen() ||
        !vertex.listen(quint16(parser.value(QStringLiteral("port")).toUInt()))) {
        std::fprintf(stderr, "fake-vertex: could not listen\n");
        return 1;
    }
    const QString email = QStringLiteral("qlaude-fake@%1.iam.gserviceaccount.com")
                              .arg(parser.value(QStringLiteral("project")));
    if (parser.isSet(QStringLiteral("credentials"))) {
        const qlaude::fakes::TestRsaKey key = qlaude::fakes::TestRsaKey::generate();
        google.setServiceAccount(email, key.publicKeyPem);
        const QJsonObject sa{{"type", "service_account"},
                             {"project_id", parser.value(QStringLiteral("project"))},
                             {"private_key", QString::fromLatin1(key.privateKeyPem)},
                             {"client_email", email},
                             {"token_uri", google.tokenUrl().toString()}};
        QFile f(parser.value(QStringLiteral("credentials")));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            !f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
            f.write(QJsonDocument(sa).toJson()) < 0) {
            std::fprintf(stderr, "fake-vertex: cannot write %s\n", qPrintable(f.fileName()));
            return 1;
        }
    }
    const QString fault = parser.value(QStringLiteral("fault"));
    if (fault == QLatin1String("401"))
        vertex.enqueueGoogleError(
            401, QStringLiteral("UNAUTHENTICATED"),
            QStringLiteral("Request had invalid authentication credentials."));
    else if (fault == QLatin1String("403"))
        vertex.enqueueGoogleError(403, QStringLiteral("PERMISSION_DENIED"),
                                  QStringLiteral("Vertex AI API has not been used in project "
                                                 "fake-project before or it is disabled. Enable "
                                                 "aiplatform.googleapis.com"));
    else if (fault == QLatin1String("404"))
        vertex.enqueueGoogleError(404, QStringLiteral("NOT_FOUND"),
                                  QStringLiteral("Publisher Model was not found."));
    else if (fault == QLatin1String("429"))
        vertex.enqueueGoogleError(429, QStringLiteral("RESOURCE_EXHAUSTED"),
                                  QStringLiteral("Quota exceeded for aiplatform.googleapis.com/"
                                                 "online_prediction_requests_per_base_model"));
    else if (fault == QLatin1String("529"))
        vertex.enqueue(FakeResponse::error(529));
    else if (fault == QLatin1String("drop"))
        vertex.enqueue(
            FakeResponse::text(parser.value(QStringLiteral("reply"))).dropAfterEvents(4));
    else if (!fault.isEmpty()) {
        std::fprintf(stderr, "fake-vertex: unknown --fault '%s'\n", qPrintable(fault));
        return 2;
    }
    vertex.enqueue(FakeResponse::text(parser.value(QStringLiteral("reply"))));
    std::printf("fake-vertex listening on %s/v1 (token endpoint %s)\n",
                qPrintable(vertex.baseUrl().toString()), qPrintable(google.tokenUrl().toString()));
    std::fflush(stdout);
    QObject::connect(&vertex, &FakeVertexServer::connectionClosed, &app, [&vertex] {
        if (!vertex.lastRejection().isEmpty())
            std::fprintf(stderr, "fake-vertex: refused: %s\n", qPrintable(vertex.lastRejection()));
    });
    return app.exec();
}
