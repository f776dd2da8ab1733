#pragma once

#include "AuthContext.h"
#include "Credential.h"
#include "KeychainStore.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace qlaude {

// What the keychain held when the resolver ran (read once, asynchronously, by the caller).
struct KeychainSnapshot
{
    KeychainState state = KeychainState::Unavailable;
    QString stateMessage;
    QString apiKey;    // "api-key" entry, empty when none
    QString oauthJson; // "oauth" entry, empty when none
    bool read = false; // false: the keychain was not consulted (--bare)

    // Probes the keychain and reads both entries; the callback runs once, from the event loop.
    static void load(KeychainStore *store, std::function<void(const KeychainSnapshot &)> done);
    static KeychainSnapshot loadSync(KeychainStore *store); // command line only
};

struct SourceVerdict
{
    enum class Status
    {
        Used,
        Shadowed,
        Skipped,
        Absent
    };
    QString source; // "env:ANTHROPIC_API_KEY", "apiKeyHelper", "keychain:oauth", ...
    Status status = Status::Absent;
    QString reason; // a sentence
};
QString verdictStatusName(SourceVerdict::Status s); // "used", "shadowed", "skipped", "absent"

struct Resolution
{
    Provider provider = Provider::Anthropic;
    Credential credential; // for apiKeyHelper: kind and source only; the value comes later
    QString helperCommand; // the apiKeyHelper command when it won
    QString helperFile;
    QList<SourceVerdict> considered; // in priority order
    QString summary;                 // one sentence: what is used and why
    QStringList warnings;            // e.g. an environment key shadowing a stored login
    QStringList problems;            // what stops a request, each with what to do

    bool usable() const { return credential.isValid(); }
};

// The guide's priority: managed context forces OAuth, then the environment, then the key
// helper, then the local store; --bare honours only ANTHROPIC_API_KEY and --settings.
class AuthResolver
{
public:
    static Resolution resolve(const AuthContext &context, const KeychainSnapshot &keychain);
    // CLAUDE_CODE_REMOTE, or CLAUDE_CODE_ENTRYPOINT claude-desktop / local-agent.
    static bool isManagedContext(const QProcessEnvironment &env);
};

} // namespace qlaude
