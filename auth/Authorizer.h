#pragma once

#include "Credential.h"

#include <functional>

namespace qlaude {

// Supplies the credential for each request. Asynchronous, because getting one may run a helper
// or refresh a token; the callback always runs on the caller's thread, from the event loop or
// directly. Exactly one of credential/error is meaningful: an empty error means success.
class Authorizer
{
public:
    using Callback = std::function<void(const Credential &credential, const QString &error)>;
    virtual ~Authorizer() = default;

    virtual void authorize(Callback callback) = 0;
    // The server rejected the credential (401): drop caches so the next authorize() fetches
    // a fresh one. Returns true when a retry can produce a different credential (OAuth
    // refresh, key helper), false for static keys.
    virtual bool invalidate() = 0;
};

// A fixed credential (environment variable, keychain key).
class StaticAuthorizer : public Authorizer
{
public:
    explicit StaticAuthorizer(Credential credential) : m_credential(std::move(credential)) {}
    void authorize(Callback callback) override { callback(m_credential, QString()); }
    bool invalidate() override { return false; }

private:
    Credential m_credential;
};

} // namespace qlaude
