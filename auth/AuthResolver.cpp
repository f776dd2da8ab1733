#include "AuthResolver.h"

#include "NetworkSetup.h"

#include "AwsCredentialProvider.h"
#include "AzureCredentialProvider.h"
#include "GoogleCredentialProvider.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>

#include <memory>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::AuthResolver)
};
} // namespace

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

// Reads the entries one after another into the snapshot, then answers.
void readEntries(KeychainStore *store, std::shared_ptr<KeychainSnapshot> snap, QStringList keys,
                 std::function<void(const KeychainSnapshot &)> done)
{
    if (keys.isEmpty()) {
        done(*snap);
        return;
    }
    const QString key = keys.takeFirst();
    store->read(key, [store, snap, keys, done, key](const KeychainResult &r) {
        if ((r.status == KeychainResult::Status::NotFound || (r.ok() && r.data.isEmpty())) &&
            key == QLatin1String(NetworkSetup::kPassphraseEntry))
            NetworkSetup::setStoredClientKeyPassphrase(QString()); // removed meanwhile
        if (r.ok() && !r.data.isEmpty()) {
            if (key == QLatin1String(KeychainStore::kApiKey))
                snap->apiKey = r.data;
            else if (key == QLatin1String(KeychainStore::kOAuth))
                snap->oauthJson = r.data;
            else if (key == QLatin1String(KeychainStore::kBearerToken))
                snap->bearerToken = r.data;
            else if (key == QLatin1String(NetworkSetup::kPassphraseEntry))
                NetworkSetup::setStoredClientKeyPassphrase(r.data);
            else
                snap->cloud.insert(key, r.data);
        }
        readEntries(store, snap, keys, done);
    });
}

QString humanSource(const QString &source)
{
    if (source.startsWith(QLatin1String("env:")))
        return Tr::tr("%1 from the environment").arg(source.mid(4));
    if (source == QLatin1String("apiKeyHelper"))
        return Tr::tr("the apiKeyHelper command");
    if (source == QLatin1String("keychain:oauth"))
        return Tr::tr("your stored Claude.ai login");
    if (source == QLatin1String("keychain:api-key"))
        return Tr::tr("the API key stored in the keychain");
    if (source == QLatin1String("keychain:bearer-token"))
        return Tr::tr("the bearer token stored in the keychain");
    if (source.startsWith(QLatin1String("keychain:cloud:")))
        return Tr::tr("the key stored in the keychain (%1)").arg(source.mid(9));
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
        // One entry after another (QtKeychain runs one job at a time).
        QStringList keys{QLatin1String(KeychainStore::kApiKey),
                         QLatin1String(KeychainStore::kOAuth),
                         QLatin1String(KeychainStore::kBearerToken)};
        for (const auto &entry : cloudEntries())
            keys << entry.first;
        keys << QLatin1String(NetworkSetup::kPassphraseEntry);
        readEntries(store, snap, keys, done);
    });
}

KeychainSnapshot KeychainSnapshot::carryOver(const KeychainSnapshot &earlier,
                                             const KeychainSnapshot &fresh)
{
    if (!fresh.read || fresh.state == KeychainState::Available || !earlier.read ||
        (earlier.state != KeychainState::Available && !earlier.heldInMemory))
        return fresh;
    KeychainSnapshot kept = earlier;
    kept.state = fresh.state;
    kept.stateMessage = fresh.stateMessage;
    kept.heldInMemory = true;
    return kept;
}

QList<QPair<QString, QString>> KeychainSnapshot::cloudEntries()
{
    return {{QStringLiteral("cloud:aws-bearer-token"), QStringLiteral("AWS_BEARER_TOKEN_BEDROCK")},
            {QStringLiteral("cloud:foundry-api-key"), QStringLiteral("ANTHROPIC_FOUNDRY_API_KEY")},
            {QStringLiteral("cloud:azure-client-secret"), QStringLiteral("AZURE_CLIENT_SECRET")}};
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

namespace {
// Picks the winner among candidates in priority order and fills the verdicts.
const Candidate *pickWinner(const QList<Candidate> &cands, Resolution &r)
{
    const Candidate *winner = nullptr;
    for (const Candidate &c : cands) {
        SourceVerdict v{c.source, Status::Absent, c.absentReason};
        if (c.present && !c.skipReason.isEmpty()) {
            v.status = Status::Skipped;
            v.reason = c.skipReason;
        } else if (c.present && !winner) {
            winner = &c;
            v.status = Status::Used;
            v.reason = Tr::tr("It is the first available source in the priority order.");
        } else if (c.present) {
            v.status = Status::Shadowed;
            v.reason = Tr::tr("Not used: %1 takes priority.").arg(humanSource(winner->source));
        }
        r.considered.append(v);
    }
    return winner;
}

// Bedrock, Vertex and Foundry: skipped authentication, then the provider's key from the
// environment, then the same key saved in the keychain by the settings dialog. The rest of
// each chain (AWS profiles, Google ADC, Entra ID) is not in this version yet, and says so.
Resolution resolveCloud(const AuthContext &ctx, const KeychainSnapshot &kc, Resolution r)
{
    const QString name = providerName(r.provider);
    const QString title = providerTitle(r.provider);
    const bool bare = ctx.isBare();
    QList<Candidate> cands;
    const QString skipVar = QStringLiteral("CLAUDE_CODE_SKIP_%1_AUTH").arg(name.toUpper());
    Credential skipped;
    skipped.kind = CredentialKind::Skipped;
    skipped.source = QStringLiteral("env:") + skipVar;
    cands.append({skipped.source, isTruthy(ctx.env(skipVar)), skipped,
                  Tr::tr("%1 is not set.").arg(skipVar), QString()});

    QString variable;
    QString entry;
    CredentialKind kind = CredentialKind::ApiKey;
    if (r.provider == Provider::Bedrock) {
        variable = QStringLiteral("AWS_BEARER_TOKEN_BEDROCK");
        entry = QStringLiteral("cloud:aws-bearer-token");
        kind = CredentialKind::Bearer;
    } else if (r.provider == Provider::Foundry) {
        variable = QStringLiteral("ANTHROPIC_FOUNDRY_API_KEY");
        entry = QStringLiteral("cloud:foundry-api-key");
    }
    const auto cloudCredential = [kind](const QString &source, const QString &secret) {
        return make(kind, source, kind == CredentialKind::ApiKey ? secret : QString(),
                    kind == CredentialKind::Bearer ? secret : QString());
    };
    if (!variable.isEmpty()) {
        const QString value = ctx.env(variable);
        cands.append({QStringLiteral("env:") + variable, !value.isEmpty(),
                      cloudCredential(QStringLiteral("env:") + variable, value),
                      Tr::tr("%1 is not set.").arg(variable), QString()});
        const QString stored = kc.cloud.value(entry);
        const QString keychainAbsent =
            !kc.read ? Tr::tr("The keychain was not read.")
            : kc.state == KeychainState::Available
                ? Tr::tr("No %1 is stored in the keychain.").arg(variable)
                : kc.stateMessage;
        Candidate c{QStringLiteral("keychain:") + entry, !stored.isEmpty(),
                    cloudCredential(QStringLiteral("keychain:") + entry, stored), keychainAbsent,
                    QString()};
        if (bare)
            c.skipReason = Tr::tr("--bare never reads the keychain.");
        cands.append(c);
    }
    if (r.provider == Provider::Bedrock) {
        // The AWS chain for SigV4: awsCredentialExport, environment keys, the profile. What it
        // finds is only named here; the secret is read when a request is signed.
        AwsCredentialProvider::Config aws = AwsCredentialProvider::configFrom(ctx);
        const QString rawExport =
            ctx.settings().value(QStringLiteral("awsCredentialExport")).toString();
        QString why;
        const QString source = AwsCredentialProvider::staticSource(aws, &why);
        Credential sigv4;
        sigv4.kind = CredentialKind::AwsSigV4;
        sigv4.source = QStringLiteral("aws:") + source;
        Candidate c{QStringLiteral("aws:credential-chain"), !source.isEmpty(), sigv4, why,
                    QString()};
        if (source.isEmpty() && aws.exportCommand.isEmpty() && !rawExport.isEmpty() &&
            !ctx.trust().trusted && !bare)
            c.absentReason =
                Tr::tr("awsCredentialExport from %1 was not run: the "
                       "workspace is not trusted. %2")
                    .arg(ctx.settings().sourceOf(QStringLiteral("awsCredentialExport"))->path, why);
        cands.append(c);
    } else if (r.provider == Provider::Vertex) {
        // Application Default Credentials: the file, gcloud's file, or the metadata server.
        const GoogleCredentialProvider::Config google = GoogleCredentialProvider::configFrom(ctx);
        QString why;
        const QString source = GoogleCredentialProvider::staticSource(google, &why);
        Credential adc;
        adc.kind = CredentialKind::GoogleAdc;
        adc.source = QStringLiteral("google:") + source;
        cands.append({QStringLiteral("google:application-default-credentials"), !source.isEmpty(),
                      adc, why, QString()});
    } else {
        // Microsoft Entra ID, through the Azure chain; a client secret saved in the settings
        // dialog stands in for AZURE_CLIENT_SECRET.
        AzureCredentialProvider::Config azure;
        azure.environment = ctx.environment();
        if (!bare)
            azure.keychainClientSecret =
                kc.cloud.value(QStringLiteral("cloud:azure-client-secret"));
        QString why;
        const QString source = AzureCredentialProvider::staticSource(azure, &why);
        Credential entra;
        entra.kind = CredentialKind::EntraId;
        entra.source = QStringLiteral("azure:") + source;
        entra.clientSecret = azure.keychainClientSecret;
        cands.append({QStringLiteral("azure:entra-id"), !source.isEmpty(), entra, why, QString()});
    }

    const Candidate *winner = pickWinner(cands, r);
    if (!winner) {
        r.summary = Tr::tr("No %1 credential is available.").arg(title);
        r.problems.append(r.considered.last().reason);
        if (kc.read && kc.state == KeychainState::Locked && !variable.isEmpty())
            r.problems.append(Tr::tr("The keychain is locked, so a stored %1 cannot be "
                                     "read. Unlock it and try again.")
                                  .arg(variable));
        return r;
    }
    r.credential = winner->credential;
    if (winner->credential.kind == CredentialKind::AwsSigV4)
        r.summary = Tr::tr("Signing with AWS credentials from %1 (SigV4).")
                        .arg(winner->credential.source.mid(4));
    else if (winner->credential.kind == CredentialKind::GoogleAdc)
        r.summary =
            Tr::tr("Using a Google access token from %1.").arg(winner->credential.source.mid(7));
    else if (winner->credential.kind == CredentialKind::EntraId)
        r.summary = Tr::tr("Using a Microsoft Entra ID token from %1.")
                        .arg(winner->credential.source.mid(6));
    else if (winner->credential.kind == CredentialKind::Skipped)
        r.summary = Tr::tr("No %1 authentication is sent: %2 is set (%3), for a proxy or "
                           "gateway that adds it.")
                        .arg(title, skipVar, ctx.envSource(skipVar));
    else if (winner->source.startsWith(QLatin1String("env:"))) {
        // "from the environment" already says where, unless a settings file set it.
        const QString where = ctx.envSource(variable);
        r.summary = where == QLatin1String("environment")
                        ? Tr::tr("Using %1.").arg(humanSource(winner->source))
                        : Tr::tr("Using %1 (%2).").arg(humanSource(winner->source), where);
    } else
        r.summary = Tr::tr("Using the %1 stored in the keychain.").arg(variable);
    return r;
}
} // namespace

namespace {
Resolution resolveAnthropic(const AuthContext &ctx, const KeychainSnapshot &kc, Resolution r);
}

Resolution AuthResolver::resolve(const AuthContext &ctx, const KeychainSnapshot &kc)
{
    Resolution r;
    r.provider = ctx.provider();
    // A connection that was asked for and cannot be used stops every request: falling back to
    // other settings could send another account's credential somewhere else.
    if (!ctx.connectionError().isEmpty()) {
        r.summary = ctx.connectionError();
        r.problems << ctx.connectionError();
        return r;
    }
    Resolution resolved =
        r.provider != Provider::Anthropic ? resolveCloud(ctx, kc, r) : resolveAnthropic(ctx, kc, r);
    for (const QString &o : ctx.connectionOverrides())
        resolved.warnings << Tr::tr("The environment overrides the connection \"%1\": %2 is "
                                    "set, so it is used instead of the connection's stored "
                                    "credential. Unset it to use the connection.")
                                 .arg(ctx.connectionName(), o);
    return resolved;
}

namespace {
Resolution resolveAnthropic(const AuthContext &ctx, const KeychainSnapshot &kc, Resolution r)
{

    const bool managed = AuthResolver::isManagedContext(ctx.environment());
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
                    Tr::tr("ANTHROPIC_AUTH_TOKEN is not set."), QString()};
        if (managed)
            c.skipReason = Tr::tr("A managed session (Claude Desktop or remote) forces "
                                  "OAuth; environment tokens are ignored.");
        else if (bare)
            c.skipReason = Tr::tr("--bare honours only ANTHROPIC_API_KEY and --settings.");
        cands.append(c);
    }
    {
        Candidate c{QStringLiteral("env:ANTHROPIC_API_KEY"), !apiKey.isEmpty(),
                    make(CredentialKind::ApiKey, QStringLiteral("env:ANTHROPIC_API_KEY"), apiKey,
                         QString()),
                    Tr::tr("ANTHROPIC_API_KEY is not set."), QString()};
        if (managed)
            c.skipReason = Tr::tr("A managed session forces OAuth; local API keys are "
                                  "ignored so they cannot leak into it.");
        cands.append(c);
    }
    {
        Candidate c{
            QStringLiteral("apiKeyHelper"), !helper.isEmpty(),
            make(CredentialKind::ApiKey, QStringLiteral("apiKeyHelper"), QString(), QString()),
            Tr::tr("No apiKeyHelper is set in the settings that apply."), QString()};
        const QString raw = ctx.settings().value(QStringLiteral("apiKeyHelper")).toString();
        if (helper.isEmpty() && !raw.isEmpty() && !ctx.trust().trusted && !bare) {
            c.absentReason =
                Tr::tr("apiKeyHelper from %1 was not run: the workspace is "
                       "not trusted.")
                    .arg(ctx.settings().sourceOf(QStringLiteral("apiKeyHelper"))->path);
        }
        if (managed)
            c.skipReason = Tr::tr("A managed session forces OAuth; apiKeyHelper is "
                                  "ignored.");
        cands.append(c);
    }
    {
        Candidate c{QStringLiteral("env:CLAUDE_CODE_OAUTH_TOKEN"), !oauthEnv.isEmpty(),
                    make(CredentialKind::OAuth, QStringLiteral("env:CLAUDE_CODE_OAUTH_TOKEN"),
                         QString(), oauthEnv),
                    Tr::tr("CLAUDE_CODE_OAUTH_TOKEN is not set."), QString()};
        if (bare)
            c.skipReason = Tr::tr("--bare never uses OAuth tokens.");
        cands.append(c);
    }
    const QString keychainAbsent = !kc.read ? Tr::tr("The keychain was not read.")
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
                    keychainAbsent.isEmpty() ? Tr::tr("No login is stored in the keychain.")
                                             : keychainAbsent,
                    QString()};
        if (bare)
            c.skipReason = Tr::tr("--bare never reads the keychain.");
        cands.append(c);
    }
    {
        Candidate c{
            QStringLiteral("keychain:api-key"), !kc.apiKey.isEmpty(),
            make(CredentialKind::ApiKey, QStringLiteral("keychain:api-key"), kc.apiKey, QString()),
            keychainAbsent.isEmpty() ? Tr::tr("No API key is stored in the keychain.")
                                     : keychainAbsent,
            QString()};
        if (bare)
            c.skipReason = Tr::tr("--bare never reads the keychain.");
        else if (managed)
            c.skipReason = Tr::tr("A managed session forces OAuth; stored API keys are "
                                  "ignored.");
        cands.append(c);
    }

    {
        Candidate c{QStringLiteral("keychain:bearer-token"), !kc.bearerToken.isEmpty(),
                    make(CredentialKind::Bearer, QStringLiteral("keychain:bearer-token"), QString(),
                         kc.bearerToken),
                    keychainAbsent.isEmpty() ? Tr::tr("No bearer token is stored in the keychain.")
                                             : keychainAbsent,
                    QString()};
        if (bare)
            c.skipReason = Tr::tr("--bare never reads the keychain.");
        else if (managed)
            c.skipReason = Tr::tr("A managed session forces OAuth; stored tokens are "
                                  "ignored.");
        cands.append(c);
    }
    const Candidate *winner = pickWinner(cands, r);

    if (!winner) {
        r.summary = Tr::tr("No credential is available.");
        if (kc.read && kc.state == KeychainState::Locked)
            r.problems.append(Tr::tr("The keychain is locked, so a stored login cannot be "
                                     "read. Unlock it and try again; you are not logged "
                                     "out."));
        else if (kc.read && kc.state == KeychainState::Unavailable)
            r.problems.append(kc.stateMessage);
        r.problems.append(Tr::tr("Log in with `qlaude --login=api-key`, set "
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
    r.summary = Tr::tr("Using %1.").arg(why);
    if (kc.heldInMemory && winner->source.startsWith(QLatin1String("keychain:")))
        r.warnings.append(Tr::tr("%1 Qlaude goes on with the login it read before, held "
                                 "in memory for this run; changes to it are not saved "
                                 "until the keychain answers again.")
                              .arg(kc.stateMessage));
    if (winner->source == QLatin1String("env:ANTHROPIC_AUTH_TOKEN") && !apiKey.isEmpty())
        r.summary += Tr::tr(" ANTHROPIC_API_KEY is sent too, as x-api-key, as the CLI "
                            "does.");

    // Say so when something shadows a stored login: surprise bills start here.
    for (const SourceVerdict &v : qAsConst(r.considered)) {
        if (v.status == Status::Shadowed && v.source.startsWith(QLatin1String("keychain:"))) {
            QString fix;
            if (winner->source.startsWith(QLatin1String("env:")))
                fix = Tr::tr("Unset %1 to use it.").arg(winner->source.mid(4));
            else if (winner->source == QLatin1String("apiKeyHelper"))
                fix = Tr::tr("Remove apiKeyHelper from %1 to use it.").arg(r.helperFile);
            r.warnings.append(Tr::tr("%1 is used, so %2 is ignored. %3")
                                  .arg(humanSource(winner->source), humanSource(v.source), fix)
                                  .trimmed());
        }
    }
    return r;
}
} // namespace

} // namespace qlaude
