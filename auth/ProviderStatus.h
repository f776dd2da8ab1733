#pragma once

#include "AuthContext.h"
#include "AuthResolver.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QStringList>

namespace qlaude {

// What one provider has and lacks, from the same facts doctor reports: the variables that
// configure it and where each came from, what is missing (each with what to set), and a few
// facts for people ("Region: us-east-1 (default)"). Built without network; used by --doctor,
// the doctor dialog and the settings pages' "Test connection".
struct ProviderStatus
{
    Provider provider = Provider::Anthropic;
    bool selected = false;
    QStringList missing;            // sentences; empty when configured
    QMap<QString, QString> sources; // variable or entry -> "environment", "user settings (…)",
                                    // "keychain", "default"
    QStringList facts;              // "Region: …", "Authentication: skipped (…)"

    bool configured() const { return missing.isEmpty(); }
    QJsonObject toJson() const; // {"selected", "configured", "missing": [], "sources": {}}

    static ProviderStatus of(Provider provider, const AuthContext &context,
                             const KeychainSnapshot &keychain);
    static QList<ProviderStatus> all(const AuthContext &context, const KeychainSnapshot &keychain);
    static QString title(Provider provider); // "Amazon Bedrock", ...
};

} // namespace qlaude
