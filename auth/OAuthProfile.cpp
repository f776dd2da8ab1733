#include "OAuthProfile.h"

#include "AuthContext.h"
#include "PkceSession.h"

#include <QCoreApplication>
#include <QJsonArray>

#ifndef QLAUDE_OAUTH_CLIENT_ID
#define QLAUDE_OAUTH_CLIENT_ID ""
#endif

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::OAuthProfile)
};

const QString kCustomUrl = QStringLiteral("CLAUDE_CODE_CUSTOM_OAUTH_URL");
const QString kClientIdVar = QStringLiteral("CLAUDE_CODE_OAUTH_CLIENT_ID");
const QString kOidcIssuer = QStringLiteral("QLAUDE_OIDC_ISSUER");
const QString kOidcClientId = QStringLiteral("QLAUDE_OIDC_CLIENT_ID");
const QString kOidcScopes = QStringLiteral("QLAUDE_OIDC_SCOPES");

// The CLI's production endpoints (CLAUDE_CODE.md §1.1). CLAUDE_CODE_CUSTOM_OAUTH_URL keeps each
// path and replaces scheme, host and port.
const QString kClaudeAiOrigin = QStringLiteral("https://claude.com");
const QString kPlatformOrigin = QStringLiteral("https://platform.claude.com");
const QString kClaudeAiAuthorizePath = QStringLiteral("/cai/oauth/authorize");
const QString kConsoleAuthorizePath = QStringLiteral("/oauth/authorize");
const QString kTokenPath = QStringLiteral("/v1/oauth/token");
const QString kRevokePath = QStringLiteral("/v1/oauth/token/revoke");
const QString kManualRedirectPath = QStringLiteral("/oauth/code/callback");
const QString kClaudeAiSuccessPath = QStringLiteral("/oauth/code/success");
const QString kClaudeAiSuccessQuery = QStringLiteral("app=claude-code");
const QString kConsoleSuccessPath = QStringLiteral("/buy_credits");
const QString kConsoleSuccessQuery =
    QStringLiteral("returnUrl=/oauth/code/success%3Fapp%3Dclaude-code");

// The login asks for this union for Claude.ai and Console alike (§1.2).
const QStringList kAnthropicScopes{
    QStringLiteral("org:create_api_key"), QStringLiteral("user:profile"),
    QStringLiteral("user:inference"),     QStringLiteral("user:sessions:claude_code"),
    QStringLiteral("user:mcp_servers"),   QStringLiteral("user:file_upload")};
const QString kDefaultOidcScopes = QStringLiteral("openid offline_access");

QString describe(const SettingsFile &f)
{
    return QStringLiteral("%1 settings (%2)").arg(settingsScopeName(f.scope), f.path);
}

QStringList splitScopes(const QJsonValue &v)
{
    QStringList out;
    if (v.isArray()) {
        for (const QJsonValue &s : v.toArray())
            out << s.toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    } else {
        out = v.toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    }
    return out;
}

QUrl onOrigin(const QUrl &origin, const QString &path, const QString &query = QString())
{
    QUrl u = origin;
    QString base = u.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    u.setPath(base + path);
    if (query.isEmpty())
        u.setQuery(QString());
    else
        u.setQuery(query, QUrl::StrictMode);
    u.setFragment(QString());
    return u;
}

QString percent(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}
} // namespace

const QStringList &OAuthSettings::oauthEnvVars()
{
    static const QStringList vars{kCustomUrl, kClientIdVar, kOidcIssuer, kOidcClientId,
                                  kOidcScopes};
    return vars;
}

bool OAuthSettings::isOAuthEnvVar(const QString &name)
{
    return oauthEnvVars().contains(name);
}

OAuthSettings OAuthSettings::load(const AuthContext &ctx)
{
    OAuthSettings s;
    s.env = ctx.options().processEnvironment;
    for (const QString &name : oauthEnvVars()) {
        if (s.env.contains(name))
            s.envSources.insert(name, QStringLiteral("environment"));
    }
    for (const SettingsFile &f : ctx.settings().files()) {
        const bool allowed = f.scope == SettingsScope::User || f.scope == SettingsScope::Managed;
        const QJsonObject env = f.data.value(QStringLiteral("env")).toObject();
        for (const QString &name : oauthEnvVars()) {
            if (!env.contains(name))
                continue;
            if (!allowed) {
                s.ignored << Tr::tr("%1 in %2 was ignored: OAuth settings are read only "
                                    "from the environment and the user and managed "
                                    "settings.")
                                 .arg(name, describe(f));
                continue;
            }
            s.env.insert(name, settingsEnvValue(env.value(name)));
            s.envSources.insert(name, describe(f));
        }
        if (f.data.contains(QStringLiteral("oidc"))) {
            const QJsonObject oidc = f.data.value(QStringLiteral("oidc")).toObject();
            if (f.scope == SettingsScope::User) {
                s.userOidc = oidc;
                s.userOidcSource = describe(f);
            } else if (f.scope == SettingsScope::Managed) {
                s.managedOidc = oidc;
                s.managedOidcSource = describe(f);
            } else {
                s.ignored << QStringLiteral("\"oidc\" in %1 was ignored: OAuth settings are read "
                                            "only from the environment and the user and managed "
                                            "settings.")
                                 .arg(describe(f));
            }
        }
        if (f.data.contains(QStringLiteral("oauthClientId"))) {
            if (f.scope == SettingsScope::Managed) {
                s.managedClientId =
                    f.data.value(QStringLiteral("oauthClientId")).toString().trimmed();
                s.managedClientIdSource = describe(f);
            } else {
                s.ignored << QStringLiteral("\"oauthClientId\" in %1 was ignored: only managed "
                                            "settings may set it.")
                                 .arg(describe(f));
            }
        }
    }
    return s;
}

QString OAuthProfile::kindName(Kind kind)
{
    switch (kind) {
    case Kind::ClaudeAi:
        return QStringLiteral("claudeai");
    case Kind::Console:
        return QStringLiteral("console");
    case Kind::Oidc:
        return QStringLiteral("oidc");
    }
    return QString();
}

std::optional<OAuthProfile::Kind> OAuthProfile::kindFromName(const QString &name)
{
    for (Kind k : {Kind::ClaudeAi, Kind::Console, Kind::Oidc}) {
        if (name == kindName(k))
            return k;
    }
    return std::nullopt;
}

QStringList OAuthProfile::kindNames()
{
    return {kindName(Kind::ClaudeAi), kindName(Kind::Console), kindName(Kind::Oidc)};
}

QString OAuthProfile::displayName() const
{
    switch (kind) {
    case Kind::ClaudeAi:
        return QStringLiteral("Claude.ai");
    case Kind::Console:
        return Tr::tr("the Anthropic Console");
    case Kind::Oidc:
        return Tr::tr("organization SSO");
    }
    return QString();
}

CredentialKind OAuthProfile::credentialKind() const
{
    return isAnthropic() ? CredentialKind::OAuth : CredentialKind::Bearer;
}

bool OAuthProfile::isLoopbackHost(const QString &host)
{
    const QString h = host.toLower();
    return h == QLatin1String("localhost") || h == QLatin1String("127.0.0.1") ||
           h == QLatin1String("::1");
}

bool OAuthProfile::isAcceptableEndpoint(const QUrl &url)
{
    if (!url.isValid() || url.host().isEmpty() || !url.userInfo().isEmpty())
        return false;
    if (url.scheme() == QLatin1String("https"))
        return true;
    return url.scheme() == QLatin1String("http") && isLoopbackHost(url.host());
}

QString OAuthProfile::permittedRoutes()
{
    return Tr::tr("You can use an Anthropic API key (qlaude --login=api-key or "
                  "ANTHROPIC_API_KEY), an apiKeyHelper command, a bearer token for a "
                  "gateway (ANTHROPIC_AUTH_TOKEN, or organization SSO with "
                  "--profile=oidc), or a cloud provider (Amazon Bedrock, Google Vertex AI "
                  "or Microsoft Foundry).");
}

OAuthProfile::Kind OAuthProfile::defaultKind(const AuthContext &ctx)
{
    const OAuthSettings s = OAuthSettings::load(ctx);
    const bool oidc = !s.managedOidc.value(QStringLiteral("issuer")).toString().isEmpty() ||
                      !s.value(kOidcIssuer).isEmpty() ||
                      !s.userOidc.value(QStringLiteral("issuer")).toString().isEmpty();
    return oidc ? Kind::Oidc : Kind::ClaudeAi;
}

OAuthProfile OAuthProfile::load(const AuthContext &ctx, Kind kind)
{
    return fromSettings(OAuthSettings::load(ctx), kind);
}

QString OAuthProfile::unavailableReason(const AuthContext &ctx, Kind kind)
{
    return load(ctx, kind).error;
}

OAuthProfile OAuthProfile::fromSettings(const OAuthSettings &s, Kind kind)
{
    OAuthProfile p;
    p.kind = kind;
    if (kind == Kind::Oidc) {
        p.encoding = Encoding::Form;
        // Managed settings first, then the environment, then the user's "oidc".
        auto pick = [&s](const char *key, const QString &var, QString *source) -> QString {
            const QString k = QLatin1String(key);
            if (s.managedOidc.contains(k)) {
                *source = s.managedOidcSource;
                return settingsEnvValue(s.managedOidc.value(k)).trimmed();
            }
            if (!s.value(var).isEmpty()) {
                *source = s.sourceOf(var);
                return s.value(var);
            }
            if (s.userOidc.contains(k)) {
                *source = s.userOidcSource;
                return settingsEnvValue(s.userOidc.value(k)).trimmed();
            }
            return QString();
        };
        const QString issuer = pick("issuer", kOidcIssuer, &p.issuerSource);
        p.clientId = pick("clientId", kOidcClientId, &p.clientIdSource);
        if (s.managedOidc.contains(QStringLiteral("scopes"))) {
            p.scopes = splitScopes(s.managedOidc.value(QStringLiteral("scopes")));
            p.scopesSource = s.managedOidcSource;
        } else if (!s.value(kOidcScopes).isEmpty()) {
            p.scopes = s.value(kOidcScopes).split(QLatin1Char(' '), Qt::SkipEmptyParts);
            p.scopesSource = s.sourceOf(kOidcScopes);
        } else if (s.userOidc.contains(QStringLiteral("scopes"))) {
            p.scopes = splitScopes(s.userOidc.value(QStringLiteral("scopes")));
            p.scopesSource = s.userOidcSource;
        }
        if (p.scopes.isEmpty()) {
            p.scopes = kDefaultOidcScopes.split(QLatin1Char(' '));
            p.scopesSource = QStringLiteral("default");
        }
        p.issuer = QUrl(issuer);
        p.endpointSource = p.issuerSource;
        if (issuer.isEmpty()) {
            p.error = Tr::tr("Organization SSO is not configured: set \"oidc\": "
                             "{\"issuer\", \"clientId\"} in your user or managed "
                             "settings, or QLAUDE_OIDC_ISSUER and QLAUDE_OIDC_CLIENT_ID.");
        } else if (!isAcceptableEndpoint(p.issuer) || p.issuer.hasQuery() ||
                   p.issuer.hasFragment()) {
            p.error = Tr::tr("The OIDC issuer (%1, from %2) must be an https URL without "
                             "a query.")
                          .arg(issuer, p.issuerSource);
        } else if (p.clientId.isEmpty()) {
            p.error = Tr::tr("Organization SSO needs a client id: set \"oidc\": "
                             "{\"clientId\"} in your user or managed settings, or "
                             "QLAUDE_OIDC_CLIENT_ID.");
        }
        return p;
    }

    p.encoding = Encoding::Json;
    p.scopes = kAnthropicScopes;
    p.scopesSource = QStringLiteral("default");
    QUrl authorizeOrigin(kind == Kind::ClaudeAi ? kClaudeAiOrigin : kPlatformOrigin);
    QUrl platform(kPlatformOrigin);
    p.endpointSource = QStringLiteral("default");
    const QString custom = s.value(kCustomUrl);
    if (!custom.isEmpty()) {
        const QUrl base(custom);
        if (!isAcceptableEndpoint(base) || base.hasQuery() || base.hasFragment()) {
            p.error = Tr::tr("CLAUDE_CODE_CUSTOM_OAUTH_URL (%1, from %2) must be an https "
                             "URL without a query.")
                          .arg(custom, s.sourceOf(kCustomUrl));
            return p;
        }
        authorizeOrigin = base;
        platform = base;
        p.endpointSource = s.sourceOf(kCustomUrl);
    }
    p.authorizeUrl = onOrigin(authorizeOrigin, kind == Kind::ClaudeAi ? kClaudeAiAuthorizePath
                                                                      : kConsoleAuthorizePath);
    p.tokenUrl = onOrigin(platform, kTokenPath);
    p.revokeUrl = onOrigin(platform, kRevokePath);
    p.manualRedirectUri = onOrigin(platform, kManualRedirectPath);
    p.successUrl = kind == Kind::ClaudeAi
                       ? onOrigin(platform, kClaudeAiSuccessPath, kClaudeAiSuccessQuery)
                       : onOrigin(platform, kConsoleSuccessPath, kConsoleSuccessQuery);

    // The client id: managed settings, then the environment, then the build option. There is no
    // built-in id: Anthropic permits subscription login only for clients it has authorized.
    const QString envSource = s.sourceOf(kClientIdVar);
    if (!s.value(kClientIdVar).isEmpty() && envSource.startsWith(QLatin1String("managed"))) {
        p.clientId = s.value(kClientIdVar);
        p.clientIdSource = envSource;
    } else if (!s.managedClientId.isEmpty()) {
        p.clientId = s.managedClientId;
        p.clientIdSource = s.managedClientIdSource;
    } else if (!s.value(kClientIdVar).isEmpty()) {
        p.clientId = s.value(kClientIdVar);
        p.clientIdSource = envSource;
    } else if (!QStringLiteral(QLAUDE_OAUTH_CLIENT_ID).isEmpty()) {
        p.clientId = QStringLiteral(QLAUDE_OAUTH_CLIENT_ID);
        p.clientIdSource = QStringLiteral("build option QLAUDE_OAUTH_CLIENT_ID");
    }
    if (p.clientId.isEmpty()) {
        p.error = Tr::tr("This build of Qlaude is not authorized by Anthropic for "
                         "Claude.ai or Console subscription login. ") +
                  permittedRoutes();
    }
    return p;
}

QUrl OAuthProfile::discoveryUrl() const
{
    return onOrigin(issuer, QStringLiteral("/.well-known/openid-configuration"));
}

bool OAuthProfile::applyDiscovery(const QUrl &authorize, const QUrl &token, const QUrl &revoke)
{
    if (!isAcceptableEndpoint(authorize) || !isAcceptableEndpoint(token)) {
        error = Tr::tr("The OIDC provider %1 announced an authorization or token "
                       "endpoint that is not https.")
                    .arg(issuer.toString());
        return false;
    }
    authorizeUrl = authorize;
    tokenUrl = token;
    revokeUrl = isAcceptableEndpoint(revoke) ? revoke : QUrl();
    return true;
}

QUrl OAuthProfile::authorizationUrl(const PkceSession &pkce, const QString &redirectUri) const
{
    // Built by hand: the order is the CLI's, and every reserved character is percent-encoded
    // (QUrlQuery would leave ':' and '/' in redirect_uri as they are).
    QStringList params;
    if (isAnthropic())
        params << QStringLiteral("code=true");
    params << QStringLiteral("client_id=") + percent(clientId)
           << QStringLiteral("response_type=code")
           << QStringLiteral("redirect_uri=") + percent(redirectUri)
           << QStringLiteral("scope=") + percent(scopes.join(QLatin1Char(' ')))
           << QStringLiteral("code_challenge=") + percent(pkce.challenge())
           << QStringLiteral("code_challenge_method=S256")
           << QStringLiteral("state=") + percent(pkce.state());
    QUrl url = authorizeUrl;
    const QString existing = url.query(QUrl::FullyEncoded);
    const QString query = params.join(QLatin1Char('&'));
    url.setQuery(existing.isEmpty() ? query : existing + QLatin1Char('&') + query,
                 QUrl::StrictMode);
    return url;
}

} // namespace qlaude
