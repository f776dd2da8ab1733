#pragma once

#include "Authorizer.h"
#include "ProviderParts.h"

namespace qlaude {

// The signer for providers that take a key or a token in a header (Anthropic, and Foundry's
// API key): asks the Authorizer on every attempt, then sets x-api-key and/or
// Authorization: Bearer, plus the OAuth beta for an OAuth token. A credential of Qlaude's own
// replaces any custom x-api-key or Authorization; a Skipped credential sends no auth at all.
class CredentialSigner : public RequestSigner
{
public:
    static constexpr const char *kOAuthBeta = "oauth-2025-04-20";

    // The authorizer is not owned and must outlive every call that may still ask it.
    explicit CredentialSigner(Authorizer *authorizer) : m_authorizer(authorizer) {}

    void sign(std::shared_ptr<PreparedRequest> request, Done done) override;
    bool invalidate() override { return m_authorizer && m_authorizer->invalidate(); }

    // Puts a credential on a request exactly as sign() does; false with *error when a value
    // cannot be a header.
    static bool apply(const Credential &credential, PreparedRequest &request, ApiError *error);

private:
    Authorizer *m_authorizer;
};

} // namespace qlaude
