#pragma once

#include <QString>

namespace qlaude {

// How a credential is presented to the API.
enum class CredentialKind
{
    None,
    ApiKey,    // x-api-key
    Bearer,    // Authorization: Bearer
    OAuth,     // Authorization: Bearer plus the oauth beta header
    Skipped,   // no auth header at all (CLAUDE_CODE_SKIP_*_AUTH: a proxy adds it)
    AwsSigV4,  // AWS credentials from the AWS chain, fetched when a request is signed
    GoogleAdc, // a Google access token from Application Default Credentials (Vertex AI)
    EntraId,   // a Microsoft Entra ID access token from the Azure chain (Foundry)
};

QString credentialKindName(CredentialKind kind); // "api-key", "bearer", "oauth", "skipped",
                                                 // "aws-sigv4", "google-adc", "entra-id", "none"

// A resolved credential, ready to be put on a request. The secret fields never leave the
// process except as request headers; use redacted() for anything a person may read.
struct Credential
{
    CredentialKind kind = CredentialKind::None;
    QString source;       // "env:ANTHROPIC_API_KEY", "apiKeyHelper", "keychain:api-key", ...
    QString apiKey;       // sent as x-api-key when not empty
    QString bearerToken;  // sent as Authorization: Bearer when not empty
    QString clientSecret; // EntraId: the keychain's Azure client secret (never sent as is)

    bool isValid() const { return kind != CredentialKind::None; }
    bool isOAuth() const { return kind == CredentialKind::OAuth; }
    // Qlaude sends a credential of its own (not None, not Skipped).
    bool hasSecret() const
    {
        return kind != CredentialKind::None && kind != CredentialKind::Skipped;
    }
    // At most the last four characters of the secret, for reports: "…a1b2".
    QString redacted() const;
};

// Masks a secret for display: "…" plus at most its last four characters ("" stays "").
QString redactSecret(const QString &secret);

} // namespace qlaude
