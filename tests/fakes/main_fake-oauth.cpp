// fake-oauth: the strict fake authorization server as a program a person can point qlaude at.
//   fake-oauth --port 8766 --client-id test-client &
//   export CLAUDE_CODE_CUSTOM_OAUTH_URL=http://127.0.0.1:8766
//   CLAUDE_CODE_OAUTH_CLIENT_ID=test-client qlaude --login=oauth --browser=manual fake-oauth
//   --style oidc --port 8767 --client-id corp & QLAUDE_OIDC_ISSUER=http://127.0.0.1:8767
//   QLAUDE_OIDC_CLIENT_ID=corp qlaude --login=oauth

#include "FakeOAuthServer.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

using qlaude::fakes::FakeOAuthServer;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fake-oauth"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A strict fake OAuth authorization server on 127.0.0.1 (Claude Code's JSON style, or "
        "OpenID Connect with discovery).\nPrints \"listening on http://127.0.0.1:PORT\" and "
        "serves until killed."));
    parser.addHelpOption();
    parser.addOptions({
        {QStringLiteral("port"), QStringLiteral("Port to listen on (default: any free port)."),
         QStringLiteral("N")},
        {QStringLiteral("style"), QStringLiteral("anthropic (default) or oidc."),
         QStringLiteral("STYLE")},
        {QStringLiteral("client-id"),
         QStringLiteral("The client id authorize and token requests must carry (default: "
                        "fake-client-id)."),
         QStringLiteral("ID")},
        {QStringLiteral("scopes"),
         QStringLiteral("The space-separated scopes authorize must ask for (default: the CLI's "
                        "set, or \"openid offline_access\")."),
         QStringLiteral("SCOPES")},
        {QStringLiteral("page"),
         QStringLiteral("The authorize answer: redirect (default), form, auto-form or deny."),
         QStringLiteral("PAGE")},
        {QStringLiteral("lifetime"), QStringLiteral("Access-token lifetime in seconds."),
         QStringLiteral("S")},
        {QStringLiteral("token-delay-ms"),
         QStringLiteral("Pause before each token answer, in milliseconds."), QStringLiteral("MS")},
    });
    parser.process(app);

    FakeOAuthServer server;
    const QString style = parser.value(QStringLiteral("style"));
    if (style == QLatin1String("oidc")) {
        server.setStyle(FakeOAuthServer::Style::Oidc);
    } else if (!style.isEmpty() && style != QLatin1String("anthropic")) {
        std::fprintf(stderr, "fake-oauth: --style is anthropic or oidc\n");
        return 2;
    }
    if (parser.isSet(QStringLiteral("client-id")))
        server.setClientId(parser.value(QStringLiteral("client-id")));
    if (parser.isSet(QStringLiteral("scopes")))
        server.setScopes(
            parser.value(QStringLiteral("scopes")).split(QLatin1Char(' '), Qt::SkipEmptyParts));
    const QString page = parser.value(QStringLiteral("page"));
    if (page == QLatin1String("form"))
        server.setAuthorizePage(FakeOAuthServer::AuthorizePage::Form);
    else if (page == QLatin1String("auto-form"))
        server.setAuthorizePage(FakeOAuthServer::AuthorizePage::AutoSubmitForm);
    else if (page == QLatin1String("deny"))
        server.setAuthorizePage(FakeOAuthServer::AuthorizePage::Deny);
    else if (!page.isEmpty() && page != QLatin1String("redirect")) {
        std::fprintf(stderr, "fake-oauth: --page is redirect, form, auto-form or deny\n");
        return 2;
    }
    if (parser.isSet(QStringLiteral("lifetime")))
        server.setAccessTokenLifetime(parser.value(QStringLiteral("lifetime")).toInt());
    if (parser.isSet(QStringLiteral("token-delay-ms")))
        server.setTokenDelay(parser.value(QStringLiteral("token-delay-ms")).toInt());

    // One line per request; never the query or the body, which carry codes and tokens.
    QObject::connect(&server, &FakeOAuthServer::requestHandled,
                     [](const QString &method, const QString &path, int status) {
                         std::fprintf(stderr, "%s %s -> %d\n", qPrintable(method), qPrintable(path),
                                      status);
                     });
    QObject::connect(&server, &FakeOAuthServer::refused, [](const QString &reason) {
        std::fprintf(stderr, "  refused: %s\n", qPrintable(reason));
    });

    const quint16 port = quint16(parser.value(QStringLiteral("port")).toUInt());
    if (!server.listen(port)) {
        std::fprintf(stderr, "fake-oauth: cannot listen: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    std::printf("listening on %s\n", qPrintable(server.baseUrl().toString()));
    std::fflush(stdout);
    return app.exec();
}
