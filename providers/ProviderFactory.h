#pragma once

#include "ProviderClient.h"

class QNetworkAccessManager;

namespace qlaude {

class AuthContext;
class Authorizer;
struct Resolution;

// The one place that turns the selected provider (AuthContext::provider()) into a client's
// config and parts. The authorizer is not owned and must outlive every call that may ask it.
struct ProviderSetup
{
    ClientConfig config;
    // Always set; for a provider that cannot be reached its builder fails every call with
    // `error`, so a window built on it says why instead of sending anything.
    std::shared_ptr<ProviderParts> parts;
    QString error; // empty when the provider can be reached
};
// The resolution says which credential the provider uses (Bedrock: an API key, skipped, or
// SigV4 over the AWS chain).
ProviderSetup makeProviderSetup(const AuthContext &context, const Resolution &resolution,
                                Authorizer *authorizer);
// The same with the resolver run here on an empty keychain snapshot (tests, Anthropic).
ProviderSetup makeProviderSetup(const AuthContext &context, Authorizer *authorizer);

// A client for the selected provider, or null with *error.
std::unique_ptr<ProviderClient>
makeProviderClient(const AuthContext &context, const Resolution &resolution, Authorizer *authorizer,
                   QNetworkAccessManager *nam, QString *error, QObject *parent = nullptr);

} // namespace qlaude
