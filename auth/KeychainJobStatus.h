#pragma once

#include "KeychainStore.h"

#include <qt6keychain/keychain.h>

namespace qlaude {

// How the outcome of a QtKeychain job reads to Qlaude. A refusal (the user or the Secret
// Service denied access) is Locked, never NotFound: a refused read must not look logged out.
KeychainResult::Status keychainStatusFor(QKeychain::Error error);

} // namespace qlaude
