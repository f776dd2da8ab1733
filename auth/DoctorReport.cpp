#include "DoctorReport.h"

#include "OAuthProfile.h"
#include "OAuthTokens.h"

#include "ProxySettings.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTextStream>
#include <QUrl>

namespace qlaude {

namespace {
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
            o.insert(QStringLiteral("token_url"), t.tokenUrl);
        if (!t.issuer.isEmpty())
            o.insert(QStringLiteral("issuer"), t.issuer);
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
            po.insert(QStringLiteral("endpoint"), endpoint.toString());
        profiles.insert(name, po);
    }
    o.insert(QStringLiteral("profiles"), profiles);
    o.insert(QStringLiteral("ignored_settings"), toArray(settings.ignored));
    return o;
}
} // namespace

QJsonObject DoctorReport::build(const AuthContext &ctx, const KeychainSnapshot &kc,
                                const Resolution &res)
{
    QJsonObject report;
    report.insert(QStringLiteral("version"), QStringLiteral(QLAUDE_VERSION));
    report.insert(QStringLiteral("workspace"), ctx.options().workspace);
    report.insert(QStringLiteral("bare"), ctx.isBare());
    report.insert(QStringLiteral("provider"), providerName(res.provider));

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

    report.insert(QStringLiteral("keychain"),
                  QJsonObject{{QStringLiteral("state"),
                               kc.read ? keychainStateName(kc.state) : QStringLiteral("not-read")},
                              {QStringLiteral("message"),
                               kc.read ? kc.stateMessage
                                       : QStringLiteral("--bare does not read the keychain.")},
                              {QStringLiteral("has_api_key"), !kc.apiKey.isEmpty()},
                              {QStringLiteral("has_oauth"), !kc.oauthJson.isEmpty()}});

    const QJsonObject oauth = oauthSection(ctx, kc);
    report.insert(QStringLiteral("oauth"), oauth);

    const RequestOptions ro = ctx.requestOptions();
    QJsonArray headerNames;
    for (const auto &h : ro.customHeaders)
        headerNames.append(QString::fromLatin1(h.first));
    QString baseUrl = ctx.env(QStringLiteral("ANTHROPIC_BASE_URL"));
    report.insert(
        QStringLiteral("request"),
        QJsonObject{{QStringLiteral("base_url"),
                     baseUrl.isEmpty() ? QStringLiteral("https://api.anthropic.com") : baseUrl},
                    {QStringLiteral("base_url_source"),
                     baseUrl.isEmpty() ? QStringLiteral("default")
                                       : ctx.envSource(QStringLiteral("ANTHROPIC_BASE_URL"))},
                    {QStringLiteral("timeout_ms"), ro.timeoutMs},
                    {QStringLiteral("custom_headers"), headerNames},
                    {QStringLiteral("additional_protection"), ro.additionalProtection}});
    problems.append(ro.errors);
    if (!t.pending.isEmpty() && !t.trusted)
        problems.append(t.explanation);
    if (!baseUrl.isEmpty()) {
        const QUrl u(baseUrl);
        if (!u.isValid() ||
            (u.scheme() != QLatin1String("https") && u.scheme() != QLatin1String("http")))
            problems.append(
                QStringLiteral("ANTHROPIC_BASE_URL (%1) is not an http(s) URL.").arg(baseUrl));
    }
    QStringList warnings = res.warnings;
    for (const QJsonValue &v : oauth.value(QStringLiteral("ignored_settings")).toArray())
        warnings << v.toString();
    report.insert(QStringLiteral("warnings"), toArray(warnings));
    report.insert(QStringLiteral("problems"), toArray(problems));
    report.insert(QStringLiteral("ok"), res.usable());
    return report;
}

QString DoctorReport::toText(const QJsonObject &r)
{
    QString out;
    QTextStream s(&out);
    const QJsonObject cred = r.value(QStringLiteral("credential")).toObject();
    s << "Qlaude " << r.value(QStringLiteral("version")).toString() << " doctor\n\n";
    s << "Workspace:  " << r.value(QStringLiteral("workspace")).toString()
      << (r.value(QStringLiteral("bare")).toBool() ? "  (--bare)" : "") << "\n";
    s << "Provider:   " << r.value(QStringLiteral("provider")).toString() << "\n";
    s << "Credential: " << cred.value(QStringLiteral("source")).toString() << " ("
      << cred.value(QStringLiteral("kind")).toString();
    if (cred.contains(QStringLiteral("redacted")))
        s << ", " << cred.value(QStringLiteral("redacted")).toString();
    s << ")\n            " << cred.value(QStringLiteral("summary")).toString() << "\n";
    if (cred.contains(QStringLiteral("helper_command")))
        s << "            command: " << cred.value(QStringLiteral("helper_command")).toString()
          << "\n";

    s << "\nCredential sources, in priority order:\n";
    for (const QJsonValue &v : cred.value(QStringLiteral("considered")).toArray()) {
        const QJsonObject o = v.toObject();
        s << "  " << o.value(QStringLiteral("status")).toString().leftJustified(9) << " "
          << o.value(QStringLiteral("source")).toString().leftJustified(28) << " "
          << o.value(QStringLiteral("reason")).toString() << "\n";
    }

    s << "\nSettings files (later wins):\n";
    for (const QJsonValue &v : r.value(QStringLiteral("settings")).toArray()) {
        const QJsonObject o = v.toObject();
        s << "  " << o.value(QStringLiteral("scope")).toString().leftJustified(8) << " "
          << o.value(QStringLiteral("status")).toString().leftJustified(8) << " "
          << o.value(QStringLiteral("path")).toString() << "\n";
    }

    const QJsonObject t = r.value(QStringLiteral("trust")).toObject();
    s << "\nWorkspace trust: "
      << (t.value(QStringLiteral("trusted")).toBool() ? "trusted" : "not trusted") << "\n  "
      << t.value(QStringLiteral("explanation")).toString() << "\n";
    for (const QJsonValue &v : t.value(QStringLiteral("pending_commands")).toArray()) {
        const QJsonObject o = v.toObject();
        const bool cmd = o.value(QStringLiteral("kind")).toString() == QLatin1String("command");
        s << "  waiting for approval: " << o.value(QStringLiteral("key")).toString() << " from "
          << o.value(QStringLiteral("file")).toString() << "\n    "
          << (cmd ? o.value(QStringLiteral("command")) : o.value(QStringLiteral("value")))
                 .toString()
          << "\n";
        if (o.contains(QStringLiteral("previous_command")))
            s << "    (approved before: " << o.value(QStringLiteral("previous_command")).toString()
              << ")\n";
    }

    const QJsonObject k = r.value(QStringLiteral("keychain")).toObject();
    s << "\nKeychain: " << k.value(QStringLiteral("state")).toString() << "\n  "
      << k.value(QStringLiteral("message")).toString() << "\n";

    const QJsonObject o = r.value(QStringLiteral("oauth")).toObject();
    s << "\nOAuth: ";
    if (o.value(QStringLiteral("stored")).toBool()) {
        s << o.value(QStringLiteral("profile")).toString() << " login stored";
        if (o.contains(QStringLiteral("account")))
            s << " (" << o.value(QStringLiteral("account")).toString() << ")";
        if (o.contains(QStringLiteral("expires_at")))
            s << ", access token "
              << (o.value(QStringLiteral("expired")).toBool() ? "expired " : "expires ")
              << o.value(QStringLiteral("expires_at")).toString();
        s << (o.value(QStringLiteral("refreshable")).toBool() ? ", refreshable"
                                                              : ", not refreshable");
        QStringList scopes;
        for (const QJsonValue &v : o.value(QStringLiteral("scopes")).toArray())
            scopes << v.toString();
        if (!scopes.isEmpty())
            s << "\n  scopes: " << scopes.join(QLatin1Char(' '));
        s << "\n";
    } else {
        s << "no login stored\n";
    }
    const QJsonObject profiles = o.value(QStringLiteral("profiles")).toObject();
    for (auto it = profiles.begin(); it != profiles.end(); ++it) {
        const QJsonObject p = it.value().toObject();
        s << "  " << it.key().leftJustified(9) << " ";
        if (p.value(QStringLiteral("available")).toBool())
            s << "available (client id from "
              << p.value(QStringLiteral("client_id_source")).toString() << ", endpoints from "
              << p.value(QStringLiteral("endpoint_source")).toString() << ")";
        else
            s << "unavailable: " << p.value(QStringLiteral("reason")).toString();
        s << "\n";
    }
    for (const QJsonValue &v : o.value(QStringLiteral("ignored_settings")).toArray())
        s << "  ignored: " << v.toString() << "\n";

    const QJsonObject q = r.value(QStringLiteral("request")).toObject();
    s << "\nRequests: " << q.value(QStringLiteral("base_url")).toString() << " ("
      << q.value(QStringLiteral("base_url_source")).toString() << "), timeout "
      << q.value(QStringLiteral("timeout_ms")).toInt() << " ms";
    const QJsonArray headers = q.value(QStringLiteral("custom_headers")).toArray();
    if (!headers.isEmpty()) {
        QStringList names;
        for (const QJsonValue &h : headers)
            names << h.toString();
        s << ", custom headers: " << names.join(QStringLiteral(", "));
    }
    if (q.value(QStringLiteral("additional_protection")).toBool())
        s << ", additional protection on";
    s << "\n          proxy: " << q.value(QStringLiteral("proxy")).toString() << "\n";

    const QJsonArray warnings = r.value(QStringLiteral("warnings")).toArray();
    const QJsonArray problems = r.value(QStringLiteral("problems")).toArray();
    if (!warnings.isEmpty()) {
        s << "\nWarnings:\n";
        for (const QJsonValue &w : warnings)
            s << "  ! " << w.toString() << "\n";
    }
    if (!problems.isEmpty()) {
        s << "\nProblems:\n";
        for (const QJsonValue &p : problems)
            s << "  x " << p.toString() << "\n";
    }
    s << "\n"
      << (r.value(QStringLiteral("ok")).toBool() ? "Ready: a usable credential was found.\n"
                                                 : "Not ready: no usable credential.\n");
    return out;
}

} // namespace qlaude
