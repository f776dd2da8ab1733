#pragma once

#include "AuthContext.h"
#include "Credential.h"
#include "KeychainStore.h"

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <functional>

namespace qlaude {

// What the keychain held when the resolver ran (read once, asynchronously, by the caller).
struct KeychainSnapshot
{
    KeychainState state = KeychainState::Unavailable;
    QString stateMessage;
    QString apiKey;      // "api-key" entry, empty when none
    QString oauthJson;   // "oauth" entry, empty when none
    QString bearerToken; // "bearer-token" entry (a gateway token), empty when none
    // The cloud secrets the settings dialog saves, by entry ("cloud:aws-bearer-token",
    // "cloud:foundry-api-key"); absent entries are not in the map.
    QHash<QString, QString> cloud;
    bool read = false; // false: the keychain was not consulted (--bare)
    // The entries come from an earlier read: the keychain is locked or unavailable now.
    bool heldInMemory = false;

    // The cloud entries read, and the variable each one stands in for.
    static QList<QPair<QString, QString>> cloudEntries();

    // Probes the keychain and reads the entries; the callback runs once, from the event loop.
    static void load(KeychainStore *store, std::function<void(const KeychainSnapshot &)> done);
    static KeychainSnapshot loadSync(KeychainStore *store); // command line only
    // What a running app resolves from after reading again: `fresh`, or, when `fresh` found the
    // keychain locked or unavailable, `fresh` with the entries `earlier` read (heldInMemory), so
    // a keychain that goes away does not log the app out. The entries stay in memory only.
    static KeychainSnapshot carryOver(const KeychainSnapshot &earlier,
                                      const KeychainSnapshot &fresh);
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

    // A request can be sent: a credential was found, or authentication is skipped on purpose.
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
