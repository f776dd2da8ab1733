#pragma once

#include <QString>
#include <QUrl>

namespace qlaude {

class AuthContext;

// Where a Microsoft Foundry request goes (PROTOCOLS.md §4, CLAUDE_CODE.md §6):
// ANTHROPIC_FOUNDRY_BASE_URL, else https://<ANTHROPIC_FOUNDRY_RESOURCE>.services.ai.azure.com/
// anthropic; and the Entra scope. Used by the client, doctor and the settings page.
struct FoundryConfig
{
    QUrl baseUrl;                 // invalid when neither variable is usable; see error
    QString baseUrlSource;        // "ANTHROPIC_FOUNDRY_BASE_URL (environment)" or the resource's
    QString resource;             // ANTHROPIC_FOUNDRY_RESOURCE, when set
    bool resourceIgnored = false; // both are set: the base URL wins, as in the CLI
    QString error;                // why there is no base URL
    QString scope;                // the Entra scope (QLAUDE_FOUNDRY_SCOPE or the CLI's)

    static FoundryConfig fromContext(const AuthContext &context);
};

} // namespace qlaude
