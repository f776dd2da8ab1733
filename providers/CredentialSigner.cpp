#include "CredentialSigner.h"

#include <QCoreApplication>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::CredentialSigner)
};
} // namespace

bool CredentialSigner::apply(const Credential &cred, PreparedRequest &request, ApiError *error)
{
    if (cred.kind == CredentialKind::Skipped)
        return true; // a proxy or gateway adds the authentication
    if (!RequestOptions::isValidHeaderValue(cred.apiKey.toUtf8()) ||
        !RequestOptions::isValidHeaderValue(cred.bearerToken.toUtf8())) {
        error->kind = ApiError::Kind::Auth;
        error->message = Tr::tr("The credential from %1 contains a line break or control "
                                "character")
                             .arg(cred.source);
        error->hint = Tr::tr("Store the key again without extra lines, or fix the source "
                             "shown by qlaude --doctor.");
        return false;
    }
    // Qlaude's own credential: a custom x-api-key or Authorization never stays beside it.
    request.removeCredentialHeaders();
    if (!cred.apiKey.isEmpty())
        request.setHeader("x-api-key", cred.apiKey.toUtf8());
    if (!cred.bearerToken.isEmpty())
        request.setHeader("authorization", "Bearer " + cred.bearerToken.toUtf8());
    if (cred.isOAuth()) {
        QByteArray betas = request.header("anthropic-beta");
        if (!betas.split(',').contains(kOAuthBeta))
            betas = betas.isEmpty() ? QByteArray(kOAuthBeta) : betas + ',' + kOAuthBeta;
        request.setHeader("anthropic-beta", betas);
    }
    return true;
}

void CredentialSigner::sign(std::shared_ptr<PreparedRequest> request, Done done)
{
    const auto fail = [&done](const QString &message, const QString &hint) {
        ApiError e;
        e.kind = ApiError::Kind::Auth;
        e.message = message;
        e.hint = hint;
        done(e, Signature());
    };
    if (!m_authorizer) {
        fail(Tr::tr("No credential is available"), Tr::tr("Log in, or set ANTHROPIC_API_KEY."));
        return;
    }
    // The callback holds only the shared request and the call's own guarded callback.
    m_authorizer->authorize([request, done](const Credential &cred, const QString &err) {
        ApiError e;
        e.kind = ApiError::Kind::Auth;
        if (!err.isEmpty()) {
            e.message = err;
            e.hint = Tr::tr("Fix the credential source shown by qlaude --doctor, then try "
                            "again.");
            done(e, Signature());
            return;
        }
        if (!cred.isValid()) {
            e.message = Tr::tr("No credential is available");
            e.hint = Tr::tr("Log in, or set ANTHROPIC_API_KEY.");
            done(e, Signature());
            return;
        }
        const Signature signature{cred.source, {cred.apiKey, cred.bearerToken}};
        ApiError applied;
        if (!apply(cred, *request, &applied)) {
            done(applied, signature);
            return;
        }
        done(ApiError(), signature);
    });
}

} // namespace qlaude
