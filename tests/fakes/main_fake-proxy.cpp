// fake-proxy: an HTTP CONNECT proxy on 127.0.0.1 for trying Qlaude behind a corporate proxy.
//   fake-proxy --port 3128 --user alice --password wonderland &
//   HTTPS_PROXY=http://alice:wonderland@127.0.0.1:3128 qlaude --doctor

#include "FakeConnectProxy.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fake-proxy"));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("An HTTP proxy on 127.0.0.1 that tunnels CONNECT requests.\n"
                       "Prints \"listening on http://127.0.0.1:PORT\" and serves until killed."));
    parser.addHelpOption();
    parser.addOptions({
        {QStringLiteral("port"), QStringLiteral("Port to listen on (default: any free port)."),
         QStringLiteral("N")},
        {QStringLiteral("user"),
         QStringLiteral("Require Basic proxy authentication with this user (and --password)."),
         QStringLiteral("NAME")},
        {QStringLiteral("password"), QStringLiteral("The password for --user."),
         QStringLiteral("PASSWORD")},
        {QStringLiteral("require-authorization"),
         QStringLiteral("Require exactly this Proxy-Authorization value (as proxyAuthHelper "
                        "prints it)."),
         QStringLiteral("VALUE")},
    });
    parser.process(app);

    qlaude::fakes::FakeConnectProxy proxy;
    if (parser.isSet(QStringLiteral("user")))
        proxy.setRequiredAuthorization("Basic " +
                                       (parser.value(QStringLiteral("user")) + QLatin1Char(':') +
                                        parser.value(QStringLiteral("password")))
                                           .toUtf8()
                                           .toBase64());
    if (parser.isSet(QStringLiteral("require-authorization")))
        proxy.setRequiredAuthorization(
            parser.value(QStringLiteral("require-authorization")).toUtf8());
    bool ok = true;
    const uint port = parser.value(QStringLiteral("port")).toUInt(&ok);
    if (!proxy.listen(quint16(ok ? port : 0))) {
        std::fprintf(stderr, "fake-proxy: cannot listen on 127.0.0.1:%u\n", port);
        return 1;
    }
    std::printf("listening on %s\n", qPrintable(proxy.url()));
    std::fflush(stdout);
    return app.exec();
}
