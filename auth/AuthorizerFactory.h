#pragma once

#include "AuthContext.h"
#include "AuthResolver.h"
#include "Authorizer.h"

#include <QObject>
#include <memory>

namespace qlaude {

// Turns a resolution into the Authorizer the provider clients use: a static credential, or the
// apiKeyHelper runner (only ever for a command the resolver allowed, i.e. trusted).
std::unique_ptr<Authorizer> makeAuthorizer(const AuthContext &context, const Resolution &resolution,
                                           QString *warning = nullptr);

} // namespace qlaude
