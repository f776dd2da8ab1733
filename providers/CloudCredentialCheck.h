#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <functional>

class QObject;

namespace qlaude {

class AuthContext;
struct Resolution;

// What fetching the selected cloud provider's credential once gave, for doctor: its source and
// expiry, or the error. Never the secret.
struct CloudCredentialCheck
{
    bool ran = false; // false: the credential is not fetched (a key, skipped, the Anthropic API)
    bool ok = false;
    QString source;
    QDateTime expiresAt; // invalid: does not expire, or unknown
    QString error;
    qint64 elapsedMs = 0;

    // {"ok", "source", "expires_at", "expires_in_s", "error", "elapsed_ms"}; {} when !ran.
    QJsonObject toJson() const;
    // "AWS credentials from profile dev, expire 2026-12-06 10:00 UTC (in 54 min)".
    QString sentence() const;
};

// Fetches the credential a request would use (AWS SigV4 keys, a Google access token, an Entra ID
// token), without awsAuthRefresh or gcpAuthRefresh (doctor must not start a login), within
// timeoutMs. `done` runs once, from the event loop, unless `context` is destroyed first.
void checkCloudCredential(const AuthContext &context, const Resolution &resolution,
                          QObject *receiver, int timeoutMs,
                          std::function<void(const CloudCredentialCheck &check)> done);

} // namespace qlaude
