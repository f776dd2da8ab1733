#include "DoctorReport.h"

#include "AwsConfig.h"
#include "DisplayText.h"
#include "FoundryConfig.h"
#include "NetworkSetup.h"
#include "OAuthProfile.h"
#include "OAuthTokens.h"
#include "ProviderStatus.h"
#include "ProxySettings.h"
#include "VertexConfig.h"

#include "ProxySettings.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QTextStream>
#include <QUrl>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::DoctorReport)
};

// How many terminal columns a text takes: East Asian wide characters take two.
int columns(const QString &text)
{
    int n = 0;
    for (const QChar c : text)
        n += (c.unicode() >= 0x1100 && (c.unicode() <= 0x115f || c.unicode() >= 0x2e80)) ? 2 : 1;
    return n;
}

// A label padded to `width` columns, so that the values after it line up in every language.
QString padded(const QString &label, int width)
{
    return label + QString(qMax(0, width - columns(label)), QLatin1Char(' '));
}

QJsonArray toArray(const QStringList &list)
{
    QJsonArray a;
    for (const QString &s : list)
        a.append(s);
    return a;
}

// The stored OAuth login (never its tokens), the profiles that can be used, and the OAuth settings
// a workspace file tried to set.
QJsonObject oauthSection(const AuthContext &ctx, const KeychainSnapshot &kc)
{
    QJsonObject o;
    const OAuthSettings settings = OAuthSettings::load(ctx);
    o.insert(QStringLiteral("stored"), !kc.oauthJson.isEmpty());
    if (!kc.oauthJson.isEmpty()) {
        OAuthTokens t = OAuthTokens::fromJson(kc.oauthJson);
        o.insert(QStringLiteral("profile"), t.profile);
        if (t.expiresAt > 0) {
            o.insert(QStringLiteral("expires_at"),
                     QDateTime::fromMSecsSinceEpoch(t.expiresAt, Qt::UTC).toString(Qt::ISODate));
            o.insert(QStringLiteral("expired"), t.expiresAt <= QDateTime::currentMSecsSinceEpoch());
        }
        o.insert(QStringLiteral("refreshable"), t.canRefresh());
        o.insert(QStringLiteral("scopes"), toArray(t.scopes));
        if (!t.emailAddress.isEmpty())
            o.insert(QStringLiteral("account"), t.emailAddress);
        if (!t.tokenUrl.isEmpty())
            o.insert(QStringLiteral("token_url"), redactUrlPassword(t.tokenUrl));
        if (!t.issuer.isEmpty())
            o.insert(QStringLiteral("issuer"), redactUrlPassword(t.issuer));
        t.wipe();
    }
    QJsonObject profiles;
    for (const QString &name : OAuthProfile::kindNames()) {
        const OAuthProfile p =
            OAuthProfile::fromSettings(settings, *OAuthProfile::kindFromName(name));
        QJsonObject po{{QStringLiteral("available"), p.isValid()}};
        if (!p.isValid())
            po.insert(QStringLiteral("reason"), p.error);
        if (!p.clientIdSource.isEmpty())
            po.insert(QStringLiteral("client_id_source"), p.clientIdSource);
        if (!p.endpointSource.isEmpty())
            po.insert(QStringLiteral("endpoint_source"), p.endpointSource);
        const QUrl endpoint = p.isAnthropic() ? p.authorizeUrl : p.issuer;
        if (endpoint.isValid() && !endpoint.isEmpty())
            po.insert(QStringLiteral("endpoint"), redactUrlPassword(endpoint.toString()));
        profiles.insert(name, po);
    }
    o.insert(QStringLiteral("profiles"), profiles);
    o.insert(QStringLiteral("ignored_settings"), toArray(settings.ignored));
    return o;
}

// A report value as the text form shows it: control, bidi and zero-width characters escaped, so
// a command or path from a settings file cannot redraw the terminal or hide what it says.
QString shown(const QJsonObject &o, const char *key)
{
    return displaySafe(o.value(QLatin1String(key)).toString());
}
} // namespace

// Where a provider's requests go, and which setting decided it.
static QString requestTarget(Provider provider, const AuthContext &ctx, QString *source)
{
    QString target;
    QString targetSource;
    switch (provider) {
    case Provider::Anthropic: {
        const QString baseUrl = ctx.env(QStringLiteral("ANTHROPIC_BASE_URL"));
        target = baseUrl.isEmpty() ? QStringLiteral("https://api.anthropic.com") : baseUrl;
        targetSource = baseUrl.isEmpty() ? Tr::tr("default")
                                         : ctx.envSource(QStringLiteral("ANTHROPIC_BASE_URL"));
        break;
    }
    case Provider::Bedrock:
        target = AwsConfig::bedrockBaseUrl(ctx.environment(),
                                           AwsConfig::region(ctx.environment()).region)
                     .toString();
        targetSource = ctx.env(QStringLiteral("ANTHROPIC_BEDROCK_BASE_URL")).isEmpty()
                           ? Tr::tr("the region's Bedrock endpoint")
                           : ctx.envSource(QStringLiteral("ANTHROPIC_BEDROCK_BASE_URL"));
        break;
    case Provider::Vertex: {
        const VertexConfig vertex = VertexConfig::fromContext(ctx);
        const QString region = vertex.defaultRegion.value;
        target = vertex.baseUrlOverride.isEmpty() ? VertexConfig::baseFor(region)
                                                  : vertex.baseUrlOverride;
        targetSource = vertex.baseUrlOverride.isEmpty()
                           ? Tr::tr("the region's Vertex AI endpoint")
                           : ctx.envSource(QStringLiteral("ANTHROPIC_VERTEX_BASE_URL"));
        break;
    }
    case Provider::Foundry: {
        const FoundryConfig foundry = FoundryConfig::fromContext(ctx);
        target = foundry.baseUrl.isValid() ? foundry.baseUrl.toString() : Tr::tr("not set");
        targetSource = foundry.baseUrl.isValid() ? foundry.baseUrlSource : foundry.error;
        break;
    }
    }
    if (source)
        *source = targetSource;
    return target;
}

QJsonObject DoctorReport::build(const AuthContext &ctx, const KeychainSnapshot &kc,
                                const Resolution &res)
{
    QJsonObject report;
    report.insert(QStringLiteral("version"), QStringLiteral(QLAUDE_VERSION));
    report.insert(QStringLiteral("workspace"), ctx.options().workspace);
    report.insert(QStringLiteral("bare"), ctx.isBare());
    report.insert(QStringLiteral("provider"), providerName(res.provider));
    {
        QJsonObject connection{{QStringLiteral("name"), ctx.connectionName()},
                               {QStringLiteral("chosen_by"), ctx.connectionChosenBy()}};
        if (!ctx.connectionName().isEmpty() && ctx.connectionError().isEmpty()) {
            connection.insert(QStringLiteral("account"), ctx.connection().accountHint());
            connection.insert(QStringLiteral("keychain_prefix"), ctx.keychainPrefix());
            connection.insert(QStringLiteral("overridden_by"),
                              QJsonArray::fromStringList(ctx.connectionOverrides()));
        }
        if (!ctx.connectionError().isEmpty())
            connection.insert(QStringLiteral("error"), ctx.connectionError());
        report.insert(QStringLiteral("connection"), connection);
    }

    QJsonObject cred{{QStringLiteral("source"),
                      res.credential.isValid() ? res.credential.source : QStringLiteral("none")},
                     {QStringLiteral("kind"), credentialKindName(res.credential.kind)},
                     {QStringLiteral("summary"), res.summary}};
    const QString redacted = res.credential.redacted();
    if (!redacted.isEmpty())
        cred.insert(QStringLiteral("redacted"), redacted);
    if (!res.helperCommand.isEmpty()) {
        cred.insert(QStringLiteral("helper_command"), res.helperCommand);
        cred.insert(QStringLiteral("helper_file"), res.helperFile);
    }
    QJsonArray considered;
    for (const SourceVerdict &v : res.considered)
        considered.append(QJsonObject{{QStringLiteral("source"), v.source},
                                      {QStringLiteral("status"), verdictStatusName(v.status)},
                                      {QStringLiteral("reason"), v.reason}});
    cred.insert(QStringLiteral("considered"), considered);
    report.insert(QStringLiteral("credential"), cred);

    QStringList problems = res.problems;
    QJsonArray settings;
    for (const SettingsFile &f : ctx.settings().files()) {
        settings.append(QJsonObject{{QStringLiteral("scope"), settingsScopeName(f.scope)},
                                    {QStringLiteral("path"), f.path},
                                    {QStringLiteral("status"), settingsStatusName(f.status)},
                                    {QStringLiteral("error"), f.error}});
        if (!f.error.isEmpty())
            problems.append(f.error);
    }
    report.insert(QStringLiteral("settings"), settings);

    const TrustState &t = ctx.trust();
    QJsonArray pending;
    for (const TrustItem &i : t.pending) {
        QJsonObject p{{QStringLiteral("key"), i.key},
                      {QStringLiteral("file"), i.file},
                      {QStringLiteral("kind"), i.kind == TrustItem::Kind::Command
                                                   ? QStringLiteral("command")
                                                   : QStringLiteral("env")},
                      {i.kind == TrustItem::Kind::Command ? QStringLiteral("command")
                                                          : QStringLiteral("value"),
                       i.displayValue()}};
        if (!i.previousValue.isNull())
            p.insert(QStringLiteral("previous_command"), i.previousValue);
        pending.append(p);
    }
    report.insert(QStringLiteral("trust"),
                  QJsonObject{{QStringLiteral("workspace"), t.workspace},
                              {QStringLiteral("trusted"), t.trusted},
                              {QStringLiteral("folder_trusted"), t.folderTrusted},
                              {QStringLiteral("home_directory"), t.homeDirectory},
                              {QStringLiteral("decision"), t.decisionPath},
                              {QStringLiteral("explanation"), t.explanation},
                              {QStringLiteral("pending_commands"), pending}});

    report.insert(
        QStringLiteral("keychain"),
        QJsonObject{{QStringLiteral("state"),
                     kc.read ? keychainStateName(kc.state) : QStringLiteral("not-read")},
                    {QStringLiteral("message"),
                     kc.read ? kc.stateMessage : Tr::tr("--bare does not read the keychain.")},
                    {QStringLiteral("has_api_key"), !kc.apiKey.isEmpty()},
                    {QStringLiteral("has_bearer_token"), !kc.bearerToken.isEmpty()},
                    {QStringLiteral("has_oauth"), !kc.oauthJson.isEmpty()}});

    const QJsonObject oauth = oauthSection(ctx, kc);
    report.insert(QStringLiteral("oauth"), oauth);

    const RequestOptions ro = ctx.requestOptions();
    QJsonArray headerNames;
    for (const auto &h : ro.customHeaders)
        headerNames.append(QString::fromLatin1(h.first));
    // Where requests go, and which setting decided it.
    QString targetSource;
    const QString target = requestTarget(res.provider, ctx, &targetSource);
    // The proxy that applies to where requests go, or "none".
    const ProxySettings proxy(ctx.environment());
    QString proxyText = proxy.describe();
    if (!proxy.proxyUrl().isEmpty() && proxy.bypasses(QUrl(target)))
        proxyText = Tr::tr("none (NO_PROXY matches %1; otherwise %2)")
                        .arg(QUrl(target).host(), proxy.describe());
    report.insert(QStringLiteral("request"),
                  QJsonObject{{QStringLiteral("provider"), providerName(res.provider)},
                              {QStringLiteral("base_url"), redactUrlPassword(target)},
                              {QStringLiteral("base_url_source"), targetSource},
                              {QStringLiteral("timeout_ms"), ro.timeoutMs},
                              {QStringLiteral("custom_headers"), headerNames},
                              {QStringLiteral("additional_protection"), ro.additionalProtection},
                              {QStringLiteral("proxy"), redactUrlPassword(proxyText)}});

    QJsonObject providers;
    for (const ProviderStatus &p : ProviderStatus::all(ctx, kc))
        providers.insert(providerName(p.provider), p.toJson());
    report.insert(QStringLiteral("providers"), providers);
    problems.append(ro.errors);
    QStringList warnings = res.warnings;

    // The network set-up: the proxy for each provider's host, CA files, the client certificate.
    const std::shared_ptr<const NetworkSetup> network = NetworkSetup::fromContext(ctx);
    QList<NetworkSetup::Target> targets;
    for (Provider p :
         {Provider::Anthropic, Provider::Bedrock, Provider::Vertex, Provider::Foundry}) {
        const QUrl url(requestTarget(p, ctx, nullptr));
        if (url.isValid() && !url.host().isEmpty())
            targets.append({providerName(p), url, p == res.provider});
    }
    report.insert(QStringLiteral("network"), network->report(targets));
    problems.append(network->errors());
    warnings.append(network->warnings());
    if (!network->certStoreNote().isEmpty())
        warnings << network->certStoreNote() + QLatin1Char('.');
    const QStringList dropped = ro.droppedCredentialHeaders();
    if (res.credential.hasSecret() && !dropped.isEmpty())
        warnings << Tr::tr("ANTHROPIC_CUSTOM_HEADERS sets %1 (%2), but Qlaude sends its "
                           "own credential from %3, so that custom header is not sent. "
                           "Remove the header, or remove the credential to send yours.")
                        .arg(dropped.join(QStringLiteral(", ")),
                             ctx.envSource(QStringLiteral("ANTHROPIC_CUSTOM_HEADERS")),
                             res.credential.source);
    if (!t.pending.isEmpty() && !t.trusted)
        problems.append(t.explanation);
    const QString baseUrl = ctx.env(QStringLiteral("ANTHROPIC_BASE_URL"));
    if (res.provider == Provider::Anthropic && !baseUrl.isEmpty()) {
        const QUrl u(baseUrl);
        if (!u.isValid() ||
            (u.scheme() != QLatin1String("https") && u.scheme() != QLatin1String("http")))
            problems.append(Tr::tr("ANTHROPIC_BASE_URL (%1) is not an http(s) URL.")
                                .arg(redactUrlPassword(baseUrl)));
    }
    for (const QJsonValue &v : oauth.value(QStringLiteral("ignored_settings")).toArray())
        warnings << v.toString();
    report.insert(QStringLiteral("warnings"), toArray(warnings));
    report.insert(QStringLiteral("problems"), toArray(problems));
    report.insert(QStringLiteral("ok"), res.usable());
    return report;
}

QString DoctorReport::networkText(const QJsonObject &r)
{
    QString out;
    QTextStream s(&out);
    const QJsonObject net = r.value(QStringLiteral("network")).toObject();
    if (!net.isEmpty()) {
        s << "\n" << Tr::tr("Network:") << "\n";
        const QJsonObject proxy = net.value(QStringLiteral("proxy")).toObject();
        if (proxy.isEmpty()) {
            s << "  " << Tr::tr("proxy: none") << "\n";
        } else {
            QStringList rules;
            for (const QJsonValue &v : proxy.value(QStringLiteral("no_proxy")).toArray())
                rules << displaySafe(v.toString());
            s << "  "
              << Tr::tr("proxy: %1 (from %2)")
                     .arg(redactUrlPassword(shown(proxy, "url")), shown(proxy, "variable"));
            if (!rules.isEmpty())
                s << "; NO_PROXY: " << rules.join(QStringLiteral(", "));
            s << "\n";
        }
        for (const QJsonValue &v : net.value(QStringLiteral("hosts")).toArray()) {
            const QJsonObject h = v.toObject();
            const QString provider = shown(h, "provider");
            s << "    "
              << (h.value(QStringLiteral("selected")).toBool()
                      ? Tr::tr("%1 (selected)").arg(provider)
                      : provider)
              << ": " << displaySafe(shown(h, "host"));
            const QString via = h.value(QStringLiteral("via")).toString();
            if (via == QLatin1String("direct"))
                s << " " << Tr::tr("direct");
            else
                s << " " << Tr::tr("through %1").arg(redactUrlPassword(via));
            if (h.contains(QStringLiteral("bypass")))
                s << " (" << displaySafe(shown(h, "bypass")) << ")";
            s << "\n";
        }
        s << "  "
          << Tr::tr("certificates: %1")
                 .arg(net.value(QStringLiteral("system_store")).toString() == QLatin1String("used")
                          ? Tr::tr("the system store")
                          : Tr::tr("SSL_CERT_FILE instead of the system store"));
        for (const QJsonValue &v : net.value(QStringLiteral("ca_files")).toArray()) {
            const QJsonObject f = v.toObject();
            s << "\n    " << shown(f, "variable") << ": " << displaySafe(shown(f, "path"));
            const int certificates = f.value(QStringLiteral("certificates")).toInt();
            if (f.contains(QStringLiteral("error")))
                s << " " << Tr::tr("(unusable)");
            else if (certificates == 1)
                s << " " << Tr::tr("(1 certificate)");
            else
                s << " " << Tr::tr("(%1 certificates)").arg(certificates);
        }
        s << "\n";
        const QJsonObject client = net.value(QStringLiteral("client_certificate")).toObject();
        if (client.isEmpty()) {
            s << "  " << Tr::tr("client certificate: none") << "\n";
        } else {
            s << "  " << Tr::tr("client certificate: %1").arg(displaySafe(shown(client, "cert")));
            if (client.contains(QStringLiteral("subject")))
                s << "\n    "
                  << Tr::tr("subject %1, issued by %2")
                         .arg(displaySafe(shown(client, "subject")),
                              displaySafe(shown(client, "issuer")))
                  << "\n    "
                  << Tr::tr("expires %1 (in %2 days)")
                         .arg(shown(client, "expires").left(10),
                              QString::number(
                                  client.value(QStringLiteral("expires_in_days")).toInt()));
            s << "\n    " << Tr::tr("key %1").arg(displaySafe(shown(client, "key")));
            if (client.contains(QStringLiteral("passphrase_from")))
                s << Tr::tr(", passphrase from %1").arg(shown(client, "passphrase_from"));
            s << "\n";
        }
        const QJsonObject helper = net.value(QStringLiteral("proxy_auth_helper")).toObject();
        if (!helper.isEmpty()) {
            s << "  "
              << Tr::tr("proxyAuthHelper: from %1").arg(displaySafe(shown(helper, "source")));
            if (helper.value(QStringLiteral("runs")).toBool())
                s << Tr::tr(", runs on a 407, answer kept %1 s")
                         .arg(helper.value(QStringLiteral("ttl_ms")).toInt() / 1000)
                  << "\n";
            else
                s << Tr::tr(", does not run: %1").arg(displaySafe(shown(helper, "note"))) << "\n";
        }
    }

    return out;
}

QString DoctorReport::toText(const QJsonObject &r)
{
    QString out;
    QTextStream s(&out);
    const QJsonObject cred = r.value(QStringLiteral("credential")).toObject();
    // The first lines' labels, and their values lined up after the longest.
    const QString workspaceLabel = Tr::tr("Workspace:");
    const QString providerLabel = Tr::tr("Provider:");
    const QString credentialLabel = Tr::tr("Credential:");
    const QString connectionLabel = Tr::tr("Connection:");
    const int width = qMax(qMax(columns(workspaceLabel), columns(connectionLabel)),
                           qMax(columns(providerLabel), columns(credentialLabel))) +
                      1;
    const QString indent(width, QLatin1Char(' '));
    s << Tr::tr("Qlaude %1 doctor").arg(shown(r, "version")) << "\n\n";
    s << padded(workspaceLabel, width) << shown(r, "workspace")
      << (r.value(QStringLiteral("bare")).toBool() ? "  (--bare)" : "") << "\n";
    const QJsonObject conn = r.value(QStringLiteral("connection")).toObject();
    if (!shown(conn, "name").isEmpty()) {
        s << padded(connectionLabel, width) << shown(conn, "name") << " ("
          << shown(conn, "chosen_by") << ")";
        if (conn.contains(QStringLiteral("account")))
            s << "  " << shown(conn, "account");
        s << "\n";
        if (conn.contains(QStringLiteral("error")))
            s << indent << shown(conn, "error") << "\n";
    } else if (r.contains(QStringLiteral("connection"))) {
        s << padded(connectionLabel, width) << Tr::tr("From your settings") << "\n";
    }
    s << padded(providerLabel, width) << shown(r, "provider") << "\n";
    s << padded(credentialLabel, width) << shown(cred, "source") << " (" << shown(cred, "kind");
    if (cred.contains(QStringLiteral("redacted")))
        s << ", " << shown(cred, "redacted");
    s << ")\n" << indent << shown(cred, "summary") << "\n";
    if (cred.contains(QStringLiteral("helper_command")))
        s << indent << Tr::tr("command: %1").arg(shown(cred, "helper_command")) << "\n";

    s << "\n" << Tr::tr("Credential sources, in priority order:") << "\n";
    for (const QJsonValue &v : cred.value(QStringLiteral("considered")).toArray()) {
        const QJsonObject o = v.toObject();
        s << "  " << shown(o, "status").leftJustified(9) << " "
          << shown(o, "source").leftJustified(28) << " " << shown(o, "reason") << "\n";
    }

    s << "\n" << Tr::tr("Settings files (later wins):") << "\n";
    for (const QJsonValue &v : r.value(QStringLiteral("settings")).toArray()) {
        const QJsonObject o = v.toObject();
        s << "  " << shown(o, "scope").leftJustified(8) << " "
          << shown(o, "status").leftJustified(8) << " " << shown(o, "path") << "\n";
    }

    const QJsonObject t = r.value(QStringLiteral("trust")).toObject();
    s << "\n"
      << Tr::tr("Workspace trust: %1")
             .arg(t.value(QStringLiteral("trusted")).toBool() ? Tr::tr("trusted")
                                                              : Tr::tr("not trusted"))
      << "\n  " << shown(t, "explanation") << "\n";
    for (const QJsonValue &v : t.value(QStringLiteral("pending_commands")).toArray()) {
        const QJsonObject o = v.toObject();
        const bool cmd = shown(o, "kind") == QLatin1String("command");
        s << "  "
          << Tr::tr("waiting for approval: %1 from %2").arg(shown(o, "key"), shown(o, "file"))
          << "\n    " << shown(o, cmd ? "command" : "value") << "\n";
        if (o.contains(QStringLiteral("previous_command")))
            s << "    " << Tr::tr("(approved before: %1)").arg(shown(o, "previous_command"))
              << "\n";
    }

    const QJsonObject k = r.value(QStringLiteral("keychain")).toObject();
    s << "\n"
      << Tr::tr("Keychain: %1").arg(shown(k, "state")) << "\n  " << shown(k, "message") << "\n";

    const QJsonObject o = r.value(QStringLiteral("oauth")).toObject();
    s << "\n" << Tr::tr("OAuth:") << " ";
    if (o.value(QStringLiteral("stored")).toBool()) {
        s << Tr::tr("%1 login stored").arg(shown(o, "profile"));
        if (o.contains(QStringLiteral("account")))
            s << " (" << shown(o, "account") << ")";
        if (o.contains(QStringLiteral("expires_at")))
            s << (o.value(QStringLiteral("expired")).toBool() ? Tr::tr(", access token expired %1")
                                                              : Tr::tr(", access token expires %1"))
                     .arg(shown(o, "expires_at"));
        s << (o.value(QStringLiteral("refreshable")).toBool() ? Tr::tr(", refreshable")
                                                              : Tr::tr(", not refreshable"));
        QStringList scopes;
        for (const QJsonValue &v : o.value(QStringLiteral("scopes")).toArray())
            scopes << displaySafe(v.toString());
        if (!scopes.isEmpty())
            s << "\n  " << Tr::tr("scopes: %1").arg(scopes.join(QLatin1Char(' ')));
        s << "\n";
    } else {
        s << Tr::tr("no login stored") << "\n";
    }
    const QJsonObject profiles = o.value(QStringLiteral("profiles")).toObject();
    for (auto it = profiles.begin(); it != profiles.end(); ++it) {
        const QJsonObject p = it.value().toObject();
        s << "  " << displaySafe(it.key()).leftJustified(9) << " ";
        if (p.value(QStringLiteral("available")).toBool())
            s << Tr::tr("available (client id from %1, endpoints from %2)")
                     .arg(shown(p, "client_id_source"), shown(p, "endpoint_source"));
        else
            s << Tr::tr("unavailable: %1").arg(shown(p, "reason"));
        s << "\n";
    }
    for (const QJsonValue &v : o.value(QStringLiteral("ignored_settings")).toArray())
        s << "  " << Tr::tr("ignored: %1").arg(displaySafeLines(v.toString())) << "\n";

    const QJsonObject check = r.value(QStringLiteral("credential_check")).toObject();
    if (!check.isEmpty()) {
        s << "\n" << Tr::tr("Credential check:") << " ";
        if (check.value(QStringLiteral("ok")).toBool()) {
            s << Tr::tr("fetched %1 in %2 ms")
                     .arg(shown(check, "source"),
                          QString::number(check.value(QStringLiteral("elapsed_ms")).toInt()));
            if (check.contains(QStringLiteral("expires_at")))
                s << Tr::tr(", expires %1 (in %2 min)")
                         .arg(shown(check, "expires_at"),
                              QString::number(check.value(QStringLiteral("expires_in_s")).toInt() /
                                              60));
            else
                s << Tr::tr(", no expiry");
        } else {
            s << Tr::tr("failed: %1").arg(displaySafeLines(shown(check, "error")));
        }
        s << "\n";
    }

    const QJsonObject providers = r.value(QStringLiteral("providers")).toObject();
    if (!providers.isEmpty())
        s << "\n" << Tr::tr("Providers:") << "\n";
    for (const char *name : {"anthropic", "bedrock", "vertex", "foundry"}) {
        const QJsonObject p = providers.value(QLatin1String(name)).toObject();
        if (p.isEmpty())
            continue;
        const QJsonArray missing = p.value(QStringLiteral("missing")).toArray();
        const QString providerName = QLatin1String(name);
        s << "  "
          << (p.value(QStringLiteral("selected")).toBool()
                  ? Tr::tr("%1 (selected)").arg(providerName)
                  : providerName)
          << ": " << (missing.isEmpty() ? Tr::tr("configured") : Tr::tr("not configured"));
        const QJsonObject sources = p.value(QStringLiteral("sources")).toObject();
        QStringList from;
        for (auto it = sources.begin(); it != sources.end(); ++it)
            from << Tr::tr("%1 from %2").arg(it.key(), it.value().toString());
        if (!from.isEmpty())
            s << "; " << displaySafe(from.join(QStringLiteral(", ")));
        s << "\n";
        // The facts of the selected provider (region, project, endpoint, authentication).
        if (p.value(QStringLiteral("selected")).toBool())
            for (const QJsonValue &f : p.value(QStringLiteral("facts")).toArray())
                s << "      " << displaySafe(f.toString()) << "\n";
        for (const QJsonValue &m : missing)
            s << "      " << Tr::tr("missing: %1").arg(displaySafe(m.toString())) << "\n";
    }

    const QJsonObject q = r.value(QStringLiteral("request")).toObject();
    const QString requestsLabel = Tr::tr("Requests:");
    s << "\n"
      << requestsLabel << " "
      << Tr::tr("%1 (%2), timeout %3 ms")
             .arg(redactUrlPassword(shown(q, "base_url")), shown(q, "base_url_source"),
                  QString::number(q.value(QStringLiteral("timeout_ms")).toInt()));
    const QJsonArray headers = q.value(QStringLiteral("custom_headers")).toArray();
    if (!headers.isEmpty()) {
        QStringList names;
        for (const QJsonValue &h : headers)
            names << displaySafe(h.toString());
        s << Tr::tr(", custom headers: %1").arg(names.join(QStringLiteral(", ")));
    }
    if (q.value(QStringLiteral("additional_protection")).toBool())
        s << Tr::tr(", additional protection on");
    s << "\n"
      << QString(columns(requestsLabel) + 1, QLatin1Char(' '))
      << Tr::tr("proxy: %1").arg(redactUrlPassword(shown(q, "proxy"))) << "\n";

    s << networkText(r);

    const QJsonArray warnings = r.value(QStringLiteral("warnings")).toArray();
    const QJsonArray problems = r.value(QStringLiteral("problems")).toArray();
    if (!warnings.isEmpty()) {
        s << "\n" << Tr::tr("Warnings:") << "\n";
        for (const QJsonValue &w : warnings)
            s << "  ! " << displaySafeLines(w.toString()) << "\n";
    }
    if (!problems.isEmpty()) {
        s << "\n" << Tr::tr("Problems:") << "\n";
        for (const QJsonValue &p : problems)
            s << "  x " << displaySafeLines(p.toString()) << "\n";
    }
    s << "\n"
      << (r.value(QStringLiteral("ok")).toBool() ? Tr::tr("Ready: a usable credential was found.")
                                                 : Tr::tr("Not ready: no usable credential."))
      << "\n";
    return out;
}

} // namespace qlaude
