#pragma once

#include "Authorizer.h"

namespace qlaude {

// Stands in while no credential is usable, so a request fails with what to do instead of
// crashing or hanging.
class NoCredentialAuthorizer : public Authorizer
{
public:
    explicit NoCredentialAuthorizer(QString reason) : m_reason(std::move(reason)) {}
    void authorize(Callback callback) override { callback(Credential(), m_reason); }
    bool invalidate() override { return false; }

private:
    QString m_reason;
};

} // namespace qlaude
