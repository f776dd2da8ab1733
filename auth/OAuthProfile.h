#pragma once

#include "Credential.h"

#include <QHash>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace qlaude {

class AuthContext;
class PkceSession;

// The OAuth configuration that applies: the process environment and the user and managed
// settings only (their `env` blocks, "oidc" and, from managed settings, "oauthClientId").
// A project, local or --settings file could send a login to a phishing page, so what such a file
// sets here is ignored and listed in `ignored`.
struct OAuthSettings
{
    QProcessEnvironment env;            // the process environment, then user, then managed `env`
    QHash<QString, QString> envSources; // variable -> "environment", "user settings (<path>)", ...
    QJsonObject userOidc;               // "oidc" from user settings
    QString userOidcSource;
    QJsonObject managedOidc; // "oidc" from managed settings (wins over everything)
    QString managedOidcSource;
    QString managedClientId; // "oauthClientId" from managed settings
    QString managedClientIdSource;
    QStringList ignored; // one sentence per value a workspace or --settings file tried to set

    static OAuthSettings load(const AuthContext &context);
    // CLAUDE_CODE_CUSTOM_OAUTH_URL, CLAUDE_CODE_OAUTH_CLIENT_ID and QLAUDE_OIDC_*.
    static bool isOAuthEnvVar(const QString &name);
    static const QStringList &oauthEnvVars();

    QString value(const QString &name) const { return env.value(name).trimmed(); }
    QString sourceOf(const QString &name) const { return envSources.value(name); }
};

// Where a login goes and how: the endpoints, the client, the scopes, the redirect URIs and how
// token requests are encoded. "claudeai" and "console" follow the Claude Code CLI (JSON token
// requests); "oidc" is a standard OpenID Connect provider found by discovery (form-encoded token
// requests, RFC 6749) whose access token a gateway accepts as a plain Bearer token.
struct OAuthProfile
{
    enum class Kind
    {
        ClaudeAi,
        Console,
        Oidc
    };
    enum class Encoding
    {
        Json,
        Form
    };

    Kind kind = Kind::ClaudeAi;
    QUrl authorizeUrl;
    QUrl tokenUrl;
    QUrl revokeUrl; // empty: the provider has no revocation endpoint
    QString clientId;
    QString clientIdSource; // "build option", "environment", "managed settings (<path>)", ...
    QStringList scopes;
    QString scopesSource;
    QUrl manualRedirectUri; // the page that shows code#state for pasting; empty when none
    QUrl successUrl;        // where the loopback listener sends the browser; empty: our own page
    Encoding encoding = Encoding::Json;
    QUrl issuer; // OIDC: authorizeUrl and tokenUrl come from discovery
    QString issuerSource;
    QString endpointSource; // "default", or where CLAUDE_CODE_CUSTOM_OAUTH_URL came from
    QString error;          // why the profile cannot be used, and what to do instead

    bool isValid() const { return error.isEmpty(); }
    bool isAnthropic() const { return kind != Kind::Oidc; }
    bool needsDiscovery() const { return kind == Kind::Oidc && tokenUrl.isEmpty(); }
    QString name() const { return kindName(kind); }
    QString displayName() const; // "Claude.ai", "the Anthropic Console", "organization SSO"
    // OAuth (Bearer plus the oauth beta) for Claude.ai and Console, a plain Bearer for OIDC.
    CredentialKind credentialKind() const;
    QString encodingName() const
    {
        return encoding == Encoding::Json ? QStringLiteral("json") : QStringLiteral("form");
    }

    // The authorize URL, parameters in the CLI's order: code=true (Claude.ai and Console only),
    // client_id, response_type=code, redirect_uri, scope, code_challenge,
    // code_challenge_method=S256, state.
    QUrl authorizationUrl(const PkceSession &pkce, const QString &redirectUri) const;
    // OIDC discovery results; false with `error` set when an endpoint is not acceptable.
    bool applyDiscovery(const QUrl &authorize, const QUrl &token, const QUrl &revoke);
    QUrl discoveryUrl() const; // {issuer}/.well-known/openid-configuration

    static QString kindName(Kind kind); // "claudeai", "console", "oidc"
    static std::optional<Kind> kindFromName(const QString &name);
    static QStringList kindNames();
    // oidc when an issuer is configured, else claudeai.
    static Kind defaultKind(const AuthContext &context);

    static OAuthProfile load(const AuthContext &context, Kind kind);
    static OAuthProfile fromSettings(const OAuthSettings &settings, Kind kind);
    // Empty when the profile can be used; else why not, with the routes that are permitted
    // (for the login dialog and the command line).
    static QString unavailableReason(const AuthContext &context, Kind kind);
    static QString permittedRoutes();

    // https, or http to a loopback host (127.0.0.1, ::1, localhost) for local servers.
    static bool isAcceptableEndpoint(const QUrl &url);
    static bool isLoopbackHost(const QString &host);
};

} // namespace qlaude
