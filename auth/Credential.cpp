#include "Credential.h"

namespace qlaude {

QString credentialKindName(CredentialKind kind)
{
    switch (kind) {
    case CredentialKind::ApiKey:
        return QStringLiteral("api-key");
    case CredentialKind::Bearer:
        return QStringLiteral("bearer");
    case CredentialKind::OAuth:
        return QStringLiteral("oauth");
    case CredentialKind::Skipped:
        return QStringLiteral("skipped");
    case CredentialKind::AwsSigV4:
        return QStringLiteral("aws-sigv4");
    case CredentialKind::GoogleAdc:
        return QStringLiteral("google-adc");
    case CredentialKind::EntraId:
        return QStringLiteral("entra-id");
    case CredentialKind::None:
        break;
    }
    return QStringLiteral("none");
}

QString redactSecret(const QString &secret)
{
    if (secret.isEmpty())
        return QString();
    // Short secrets show nothing: four characters of an eight-character token is half of it.
    if (secret.size() < 12)
        return QStringLiteral("…");
    return QStringLiteral("…") + secret.right(4);
}

QString Credential::redacted() const
{
    return redactSecret(!apiKey.isEmpty() ? apiKey : bearerToken);
}

} // namespace qlaude
