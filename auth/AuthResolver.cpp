#include "AuthResolver.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>

#include <memory>

namespace qlaude {

namespace {
using Status = SourceVerdict::Status;

struct Candidate
{
    QString source;
    bool present = false;
    Credential credential;
    QString absentReason;
    QString skipReason; // non-empty: present but not allowed here
};

Credential make(CredentialKind kind, const QString &source, const QString &apiKey,
                const QString &bearer)
{
    Credential c;
    c.kind = kind;
    c.source = source;
    c.apiKey = apiKey;
    c.bearerToken = bearer;
    return c;
}

QString humanSource(const QString &source)
{
    if (source.startsWith(QLatin1String("env:")))
        return source.mid(4) + QStringLiteral(" from the environment");
    if (source == QLatin1String("apiKeyHelper"))
        return QStringLiteral("the apiKeyHelper command");
    if (source == QLatin1String("keychain:oauth"))
        return QStringLiteral("your stored Claude.ai login");
    if (source == QLatin1String("keychain:api-key"))
        return QStringLiteral("the API key stored in the keychain");
    return source;
}
} // namespace

void KeychainSnapshot::load(KeychainStore *store,
                            std::function<void(const KeychainSnapshot &)> done)
{
    auto snap = std::make_shared<KeychainSnapshot>();
    snap->read = true;
    store->probe([store, snap, done](KeychainState state, const QString &message) {
        snap->state = state;
        snap->stateMessage = message;
        if (state != KeychainState::Available) {
            done(*snap);
            return;
        }
        store->read(QLatin1String(KeychainStore::kApiKey),
                    [store, snap, done](const KeychainResult &apiKey) {
                        if (apiKey.ok())
                            snap->apiKey = apiKey.data;
                        store->read(QLatin1String(KeychainStore::kOAuth),
                                    [snap, done](const KeychainResult &oauth) {
                                        if (oauth.ok())
                                            snap->oauthJson = oauth.data;
                                        done(*snap);
                                    });
                    });
    });
}

KeychainSnapshot KeychainSnapshot::loadSync(KeychainStore *store)
{
    QEventLoop loop;
    KeychainSnapshot out;
    bool finished = false;
    load(store, [&](const KeychainSnapshot &s) {
        out = s;
        finished = true;
        loop.quit();
    });
    if (!finished)
        loop.exec();
    return out;
}

QString verdictStatusName(SourceVerdict::Status s)
{
    switch (s) {
    case Status::Used:
        return QStringLiteral("used");
    case Status::Shadowed:
        return QStringLiteral("shadowed");
    case Status::Skipped:
        return QStringLiteral("skipped");
    case Status::Absent:
        return QStringLiteral("absent");
    }
    return QString();
}

bool AuthResolver::isManagedContext(const QProcessEnvironment &env)
{
    const QString entry = env.value(QStringLiteral("CLAUDE_CODE_ENTRYPOINT"));
    return isTruthy(env.value(QStringLiteral("CLAUDE_CODE_REMOTE"))) ||
           entry == QLatin1String("claude-desktop") || entry == QLatin1String("local-agent");
}

Resolution AuthResolver::resolve(const AuthContext &ctx, const KeychainSnapshot &kc)
{
    Resolution r;
    r.provider = ctx.provider();
    if (r.provider != Provider::Anthropic) {
        const QString name = providerName(r.provider);
        r.considered.append({QStringLiteral("provider:") + name, Status::Skipped,
                             QStringLiteral("The %1 credential chain is not configured in this "
                                            "version of Qlaude.")
                                 .arg(name)});
        r.summary = QStringLiteral("Provider %1 is selected (CLAUDE_CODE_USE_%2 from %3), but its "
                                   "credential chain is not configured.")
                        .arg(name, name.toUpper(),
                             ctx.envSource(QStringLiteral("CLAUDE_CODE_USE_") + name.toUpper()));
        r.problems.append(QStringLiteral("%1: not configured. Unset CLAUDE_CODE_USE_%2 to use the "
                                         "Anthropic API directly.")
                              .arg(name, name.toUpper()));
        return r;
    }

    const bool managed = isManagedContext(ctx.environment());
    const bool bare = ctx.isBare();
    const QString apiKey = ctx.env(QStringLiteral("ANTHROPIC_API_KEY"));
    const QString authToken = ctx.env(QStringLiteral("ANTHROPIC_AUTH_TOKEN"));
    const QString oauthEnv = ctx.env(QStringLiteral("CLAUDE_CODE_OAUTH_TOKEN"));
    const QString helper = ctx.apiKeyHelper();

    QList<Candidate> cands;
    {
        Candidate c{QStringLiteral("env:ANTHROPIC_AUTH_TOKEN"), !authToken.isEmpty(),
                    make(CredentialKind::Bearer, QStringLiteral("env:ANTHROPIC_AUTH_TOKEN"), apiKey,
                         authToken),
                    QStringLiteral("ANTHROPIC_AUTH_TOKEN is not set."), QString()};
        if (managed)
            c.skipReason = QStringLiteral("A managed session (Claude Desktop or remote) forces "
                                          "OAuth; environment tokens are ignored.");
        else if (bare)
            c.skipReason = QStringLiteral("--bare honours only ANTHROPIC_API_KEY and --settings.");
        cands.append(c);
    }
    {
        Candidate c{QStringLiteral("env:ANTHROPIC_API_KEY"), !apiKey.isEmpty(),
                    make(CredentialKind::ApiKey, QStringLiteral("env:ANTHROPIC_API_KEY"), apiKey,
                         QString()),
                    QStringLiteral("ANTHROPIC_API_KEY is not set."), QString()};
        if (managed)
            c.skipReason = QStringLiteral("A managed session forces OAuth; local API keys are "
                                          "ignored so they cannot leak into it.");
        cands.append(c);
    }
    {
        Candidate c{
            QStringLiteral("apiKeyHelper"), !helper.isEmpty(),
            make(CredentialKind::ApiKey, QStringLiteral("apiKeyHelper"), QString(), QString()),
            QStringLiteral("No apiKeyHelper is set in the settings that apply."), QString()};
        const QString raw = ctx.settings().value(QStringLiteral("apiKeyHelper")).toString();
        if (helper.isEmpty() && !raw.isEmpty() && !ctx.trust().trusted && !bare) {
            c.absentReason =
                QStringLiteral("apiKeyHelper from %1 was not run: the workspace is "
                               "not trusted.")
                    .arg(ctx.settings().sourceOf(QStringLiteral("apiKeyHelper"))->path);
        }
        if (managed)
            c.skipReason = QStringLiteral("A managed session forces OAuth; apiKeyHelper is "
                                          "ignored.");
        cands.append(c);
    }
    {
        Candidate c{QStringLiteral("env:CLAUDE_CODE_OAUTH_TOKEN"), !oauthEnv.isEmpty(),
                    make(CredentialKind::OAuth, QStringLiteral("env:CLAUDE_CODE_OAUTH_TOKEN"),
                         QString(), oauthEnv),
                    QStringLiteral("CLAUDE_CODE_OAUTH_TOKEN is not set."), QString()};
        if (bare)
            c.skipReason = QStringLiteral("--bare never uses OAuth tokens.");
        cands.append(c);
    }
    const QString keychainAbsent = !kc.read ? QStringLiteral("The keychain was not read.")
                                   : kc.state == KeychainState::Available ? QString()
                                                                          : kc.stateMessage;
    {
        QString token;
        CredentialKind kind = CredentialKind::OAuth;
        if (!kc.oauthJson.isEmpty()) {
            const QJsonObject o = QJsonDocument::fromJson(kc.oauthJson.toUtf8()).object();
            token = o.value(QStringLiteral("accessToken")).toString();
            // An organization SSO (OIDC) token goes to a gateway as a plain Bearer token.
            if (o.value(QStringLiteral("profile")).toString() == QLatin1String("oidc"))
                kind = CredentialKind::Bearer;
        }
        Candidate c{QStringLiteral("keychain:oauth"), !token.isEmpty(),
                    make(kind, QStringLiteral("keychain:oauth"), QString(), token),
                    keychainAbsent.isEmpty() ? QStringLiteral("No login is stored in the keychain.")
                                             : keychainAbsent,
                    QString()};
        if (bare)
            c.skipReason = QStringLiteral("--bare never reads the keychain.");
        cands.append(c);
    }
    {
        Candidate c{
            QStringLiteral("keychain:api-key"), !kc.apiKey.isEmpty(),
            make(CredentialKind::ApiKey, QStringLiteral("keychain:api-key"), kc.apiKey, QString()),
            keychainAbsent.isEmpty() ? QStringLiteral("No API key is stored in the keychain.")
                                     : keychainAbsent,
            QString()};
        if (bare)
            c.skipReason = QStringLiteral("--bare never reads the keychain.");
        else if (managed)
            c.skipReason = QStringLiteral("A managed session forces OAuth; stored API keys are "
                                          "ignored.");
        cands.append(c);
    }

    const Candidate *winner = nullptr;
    for (const Candidate &c : qAsConst(cands)) {
        SourceVerdict v{c.source, Status::Absent, c.absentReason};
        if (c.present && !c.skipReason.isEmpty()) {
            v.status = Status::Skipped;
            v.reason = c.skipReason;
        } else if (c.present && !winner) {
            winner = &c;
            v.status = Status::Used;
            v.reason = QStringLiteral("It is the first available source in the priority order.");
        } else if (c.present) {
            v.status = Status::Shadowed;
            v.reason =
                QStringLiteral("Not used: %1 takes priority.").arg(humanSource(winner->source));
        }
        r.considered.append(v);
    }

    if (!winner) {
        r.summary = QStringLiteral("No credential is available.");
        if (kc.read && kc.state == KeychainState::Locked)
            r.problems.append(QStringLiteral("The keychain is locked, so a stored login cannot be "
                                             "read. Unlock it and try again; you are not logged "
                                             "out."));
        else if (kc.read && kc.state == KeychainState::Unavailable)
            r.problems.append(kc.stateMessage);
        r.problems.append(QStringLiteral("Log in with `qlaude --login=api-key`, set "
                                         "ANTHROPIC_API_KEY, or configure an apiKeyHelper."));
        return r;
    }
    r.credential = winner->credential;
    if (winner->source == QLatin1String("apiKeyHelper")) {
        r.helperCommand = helper;
        r.helperFile = ctx.apiKeyHelperSource();
    }
    QString why = humanSource(winner->source);
    if (winner->source.startsWith(QLatin1String("env:")))
        why += QStringLiteral(" (%1)").arg(ctx.envSource(winner->source.mid(4)));
    else if (winner->source == QLatin1String("apiKeyHelper"))
        why += QStringLiteral(" (%1)").arg(r.helperFile);
    r.summary = QStringLiteral("Using %1.").arg(why);
    if (winner->source == QLatin1String("env:ANTHROPIC_AUTH_TOKEN") && !apiKey.isEmpty())
        r.summary += QStringLiteral(" ANTHROPIC_API_KEY is sent too, as x-api-key, as the CLI "
                                    "does.");

    // Say so when something shadows a stored login: surprise bills start here.
    for (const SourceVerdict &v : qAsConst(r.considered)) {
        if (v.status == Status::Shadowed && v.source.startsWith(QLatin1String("keychain:"))) {
            QString fix;
            if (winner->source.startsWith(QLatin1String("env:")))
                fix = QStringLiteral("Unset %1 to use it.").arg(winner->source.mid(4));
            else if (winner->source == QLatin1String("apiKeyHelper"))
                fix = QStringLiteral("Remove apiKeyHelper from %1 to use it.").arg(r.helperFile);
            r.warnings.append(QStringLiteral("%1 is used, so %2 is ignored. %3")
                                  .arg(humanSource(winner->source), humanSource(v.source), fix)
                                  .trimmed());
        }
    }
    return r;
}

} // namespace qlaude
