// fake-anthropic: the fake Anthropic Messages API as a program a person can point qlaude at.
//   fake-anthropic --port 8765 --api-key sk-test &
//   ANTHROPIC_BASE_URL=http://127.0.0.1:8765 ANTHROPIC_API_KEY=sk-test qlaude --print hi

#include "FakeAnthropicServer.h"
#include "FakeTls.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>

#include <cstdio>

using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;
using qlaude::fakes::ReceivedRequest;

namespace {

// The fault named on the command line, or nullopt with a message on stderr.
std::optional<FakeResponse> faultResponse(const QString &fault, const QString &reply)
{
    bool numeric = false;
    const int status = fault.toInt(&numeric);
    if (numeric && status >= 400 && status <= 599)
        return FakeResponse::error(status);
    const FakeResponse text = FakeResponse::templatedText(reply);
    // Streamed replies begin message_start, content_block_start, ping, then the text deltas.
    if (fault == QLatin1String("overloaded"))
        return FakeResponse(text).withStreamError(4);
    if (fault == QLatin1String("drop"))
        return FakeResponse(text).dropAfterEvents(4);
    if (fault == QLatin1String("stall"))
        return FakeResponse(text).stallAfterEvents(1);
    if (fault == QLatin1String("malformed"))
        return FakeResponse(text).withBrokenJson(3);
    if (fault == QLatin1String("empty"))
        return FakeResponse(text).dropAfterBytes(0);
    if (fault == QLatin1String("hangup"))
        return FakeResponse::dropConnection();
    std::fprintf(stderr, "fake-anthropic: unknown --fault '%s'\n", qPrintable(fault));
    return std::nullopt;
}

int intOption(const QCommandLineParser &parser, const QString &name, int fallback, bool *ok)
{
    if (!parser.isSet(name))
        return fallback;
    bool valid = false;
    const int value = parser.value(name).toInt(&valid);
    if (!valid || value < 0) {
        std::fprintf(stderr, "fake-anthropic: --%s needs a non-negative integer\n",
                     qPrintable(name));
        *ok = false;
    }
    return value;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fake-anthropic"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A fake Anthropic Messages API on 127.0.0.1, for trying Qlaude without the real API.\n"
        "Prints \"listening on http://127.0.0.1:PORT\" and serves until killed."));
    parser.addHelpOption();
    parser.addOptions({
        {QStringLiteral("port"), QStringLiteral("Port to listen on (default: any free port)."),
         QStringLiteral("N")},
        {QStringLiteral("reply"),
         QStringLiteral("Reply text; {prompt} and {model} are replaced from the request "
                        "(default: \"Hello from the fake API.\")."),
         QStringLiteral("TEXT")},
        {QStringLiteral("reply-words"),
         QStringLiteral("Reply with N generated words, one text delta each (for benchmarks)."),
         QStringLiteral("N")},
        {QStringLiteral("api-key"),
         QStringLiteral("Accept only this API key (x-api-key or bearer)."), QStringLiteral("KEY")},
        {QStringLiteral("bearer-token"), QStringLiteral("Accept only this bearer token."),
         QStringLiteral("TOKEN")},
        {QStringLiteral("require-beta"),
         QStringLiteral("An anthropic-beta value every request must carry (repeatable)."),
         QStringLiteral("BETA")},
        {QStringLiteral("require-header"),
         QStringLiteral("\"Name: value\" (or \"Name\") every request must carry (repeatable)."),
         QStringLiteral("HEADER")},
        {QStringLiteral("chunk-size"),
         QStringLiteral("Body bytes per write (default 0: one write per SSE event)."),
         QStringLiteral("N")},
        {QStringLiteral("delay-ms"), QStringLiteral("Pause before each write."),
         QStringLiteral("N")},
        {QStringLiteral("crlf"), QStringLiteral("End SSE lines with CRLF instead of LF.")},
        {QStringLiteral("fault"),
         QStringLiteral("Answer /v1/messages with a fault: an HTTP status (401, 403, 404, 429, "
                        "500, 529, ...), overloaded (error event after HTTP 200), drop (close "
                        "mid-stream), stall (go silent after message_start), malformed (broken "
                        "JSON in an event), empty (200 then close before any body byte), hangup "
                        "(close without answering)."),
         QStringLiteral("KIND")},
        {QStringLiteral("fault-count"),
         QStringLiteral("Only the first N requests get the fault (default 0: all)."),
         QStringLiteral("N")},
        {QStringLiteral("retry-after"), QStringLiteral("Add retry-after: SECONDS to faults."),
         QStringLiteral("SECONDS")},
        {QStringLiteral("retry-after-ms"), QStringLiteral("Add retry-after-ms: MS to faults."),
         QStringLiteral("MS")},
        {QStringLiteral("should-retry"),
         QStringLiteral("Add x-should-retry: true|false to faults."), QStringLiteral("BOOL")},
        {QStringLiteral("sse-file"),
         QStringLiteral("Answer /v1/messages with this file, verbatim, as the text/event-stream "
                        "body (a recorded stream; for benchmarks)."),
         QStringLiteral("FILE")},
        {QStringLiteral("verbose"),
         QStringLiteral("Log request headers (secrets redacted) and bodies to stderr.")},
        {QStringLiteral("tls-cert"),
         QStringLiteral("Serve https with this PEM certificate (with --tls-key)."),
         QStringLiteral("FILE")},
        {QStringLiteral("tls-key"), QStringLiteral("The PEM key of --tls-cert."),
         QStringLiteral("FILE")},
        {QStringLiteral("tls-client-ca"),
         QStringLiteral("Require a client certificate signed by this PEM CA (mTLS)."),
         QStringLiteral("FILE")},
    });
    parser.process(app);

    bool ok = true;
    const int port = intOption(parser, QStringLiteral("port"), 0, &ok);
    const int chunkSize = intOption(parser, QStringLiteral("chunk-size"), 0, &ok);
    const int delayMs = intOption(parser, QStringLiteral("delay-ms"), 0, &ok);
    const int faultCount = intOption(parser, QStringLiteral("fault-count"), 0, &ok);
    const int retryAfter = intOption(parser, QStringLiteral("retry-after"), -1, &ok);
    const int retryAfterMs = intOption(parser, QStringLiteral("retry-after-ms"), -1, &ok);
    if (!ok || port > 65535)
        return 2;

    FakeAnthropicServer server;
    QString reply = parser.isSet(QStringLiteral("reply"))
                        ? parser.value(QStringLiteral("reply"))
                        : QStringLiteral("Hello from the fake API.");
    if (parser.isSet(QStringLiteral("reply-words"))) {
        const int words = parser.value(QStringLiteral("reply-words")).toInt();
        reply.clear();
        for (int i = 0; i < words; ++i)
            reply += QStringLiteral("w%1 ").arg(i % 100000, 5, 10, QLatin1Char('0'));
        reply = reply.trimmed();
    }
    server.setDefaultResponse(FakeResponse::templatedText(reply));
    server.setExpectedApiKey(parser.value(QStringLiteral("api-key")).toUtf8());
    server.setExpectedBearerToken(parser.value(QStringLiteral("bearer-token")).toUtf8());
    server.setRequiredBetas(parser.values(QStringLiteral("require-beta")));
    for (const QString &header : parser.values(QStringLiteral("require-header"))) {
        const qsizetype colon = header.indexOf(QLatin1Char(':'));
        server.setRequiredHeader(header.left(colon).trimmed().toLatin1(),
                                 colon < 0 ? QByteArray()
                                           : header.mid(colon + 1).trimmed().toUtf8());
    }
    server.setChunkSize(chunkSize);
    server.setChunkDelay(delayMs);
    if (parser.isSet(QStringLiteral("crlf")))
        server.setLineEnding(qlaude::fakes::SseLineEnding::CrLf);

    if (parser.isSet(QStringLiteral("sse-file"))) {
        QFile file(parser.value(QStringLiteral("sse-file")));
        if (!file.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "fake-anthropic: cannot read %s: %s\n",
                         qPrintable(file.fileName()), qPrintable(file.errorString()));
            return 2;
        }
        server.setDefaultResponse(FakeResponse::rawSse(file.readAll()));
    }

    if (parser.isSet(QStringLiteral("fault"))) {
        std::optional<FakeResponse> fault =
            faultResponse(parser.value(QStringLiteral("fault")), reply);
        if (!fault)
            return 2;
        if (retryAfter >= 0)
            fault->withRetryAfterSeconds(retryAfter);
        if (retryAfterMs >= 0)
            fault->withRetryAfterMs(retryAfterMs);
        if (parser.isSet(QStringLiteral("should-retry")))
            fault->withShouldRetry(parser.value(QStringLiteral("should-retry")) ==
                                   QLatin1String("true"));
        if (faultCount == 0) {
            server.setDefaultResponse(*fault);
        } else {
            for (int i = 0; i < faultCount; ++i)
                server.enqueue(*fault);
        }
    }

    const bool verbose = parser.isSet(QStringLiteral("verbose"));
    QObject::connect(&server, &FakeAnthropicServer::requestReceived, &server,
                     [verbose](const ReceivedRequest &request) {
                         // Header values that hold credentials never reach the log.
                         std::fprintf(stderr, "%s\n", qPrintable(request.summary(verbose)));
                         if (verbose && !request.body.isEmpty())
                             std::fprintf(stderr, "    body: %s\n",
                                          request.body.left(4000).constData());
                     });

    if (parser.isSet(QStringLiteral("tls-cert")) || parser.isSet(QStringLiteral("tls-key"))) {
        QSslConfiguration tls;
        QString error;
        if (!qlaude::fakes::serverTlsFromFiles(
                parser.value(QStringLiteral("tls-cert")), parser.value(QStringLiteral("tls-key")),
                parser.value(QStringLiteral("tls-client-ca")), &tls, &error)) {
            std::fprintf(stderr, "fake-anthropic: %s\n", qPrintable(error));
            return 2;
        }
        server.setTlsConfiguration(tls);
    }

    if (!server.listen(quint16(port))) {
        std::fprintf(stderr, "fake-anthropic: cannot listen on 127.0.0.1:%d: %s\n", port,
                     qPrintable(server.errorString()));
        return 1;
    }
    std::printf("listening on %s\n", qPrintable(server.baseUrl().toString()));
    std::fflush(stdout);
    return app.exec();
}
