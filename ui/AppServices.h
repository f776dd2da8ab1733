#pragma once

#include "AuthContext.h"
#include "AuthResolver.h"

#include <functional>

class QNetworkAccessManager;

namespace qlaude {

class ProviderClient;
class Authorizer;
class ConversationStore;
class KeychainStore;

// What the windows and dialogs share. The app (app/GuiApp.cpp) owns every object; the UI only
// borrows them. Pointers may be null where a part is unavailable (for example no client until
// a credential exists); the UI shows that state instead of crashing.
struct AppServices
{
    AuthContext *context = nullptr;     // settings, trust, effective environment
    KeychainStore *keychain = nullptr;  // the system keychain
    KeychainSnapshot keychainSnapshot;  // what it held at the last resolution
    Resolution resolution;              // the credential in use and why
    ConversationStore *store = nullptr; // SQLite history (already open)
    QNetworkAccessManager *network = nullptr;
    ProviderClient *client = nullptr; // null when no credential is usable
    // Re-reads settings, trust and the keychain, resolves again and rebuilds the client; the
    // callback runs when done. Dialogs call it after saving a login or settings.
    std::function<void(std::function<void()> done)> reload;
    // Named connections. switchConnection: this window uses the connection from its next
    // request on ("" is "From your settings"); bindWorkspace: the folder uses it from now on
    // ("" unbinds), false with the reason when it could not be saved.
    std::function<void(const QString &name)> switchConnection;
    std::function<bool(const QString &name, QString *error)> bindWorkspace;
};

} // namespace qlaude
