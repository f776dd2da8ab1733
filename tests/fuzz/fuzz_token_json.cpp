// The JSON token answers Qlaude reads: the stored Claude login (OAuthTokens::fromJson), a Google
// token endpoint's answer (parseGoogleTokenAnswer), an Entra ID or managed-identity answer
// (parseEntraTokenAnswer), and awsCredentialExport / credential_process output
// (parseAwsCredentialJson, with and without a required session token). Properties: no crash or
// undefined behaviour (numbers of any size in expiry fields), a stored login survives a round
// trip, a parser that refuses says why, an accepted token is not empty and expires in the
// future, and no error text quotes the answer.
#include "AwsCredentialProvider.h"
#include "AzureCredentialProvider.h"
#include "ExpiringCredentialCache.h"
#include "FuzzSupport.h"
#include "GoogleCredentialProvider.h"
#include "OAuthTokens.h"
#include "SigV4Signer.h"
#include "TokenHttp.h"

#include <QJsonDocument>

using namespace qlaude;

namespace {

void noSecretIn(const QString &error, const char *what)
{
    QLAUDE_FUZZ_CHECK(!error.contains(QLatin1String("qltSECRET")), what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body(reinterpret_cast<const char *>(data), qsizetype(size));
    const QDateTime now = QDateTime::fromSecsSinceEpoch(1767225600, Qt::UTC); // 2026-01-01

    QString error;
    const OAuthTokens stored = OAuthTokens::fromJson(QString::fromUtf8(body), &error);
    noSecretIn(error, "a stored-login error quotes the login");
    const OAuthTokens again = OAuthTokens::fromJson(stored.toJsonText());
    QLAUDE_FUZZ_CHECK(again.accessToken == stored.accessToken &&
                          again.refreshToken == stored.refreshToken &&
                          again.scopes == stored.scopes && again.clientId == stored.clientId &&
                          again.accountUuid == stored.accountUuid,
                      "a stored login changes in a round trip");
    (void)stored.needsRefresh(now.toMSecsSinceEpoch());

    TokenHttpResult answer;
    answer.failure = TokenHttpResult::Failure::None;
    answer.status = 200;
    answer.body = body;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    answer.jsonOk = pe.error == QJsonParseError::NoError && doc.isObject();
    answer.json = doc.object();

    GoogleToken google;
    const QString googleError = parseGoogleTokenAnswer(answer, now, &google);
    noSecretIn(googleError, "a Google token error quotes the answer");
    if (googleError.isEmpty()) {
        QLAUDE_FUZZ_CHECK(google.isValid(), "a Google answer accepted without a token");
        QLAUDE_FUZZ_CHECK(google.expiresAt > now, "a Google token accepted already expired");
    }

    ExpiringCredential entra;
    error.clear();
    if (parseEntraTokenAnswer(answer, now, &entra, &error)) {
        QLAUDE_FUZZ_CHECK(!entra.isNull(), "an Entra answer accepted without a token");
        QLAUDE_FUZZ_CHECK(entra.expiresAt.isValid(), "an Entra token accepted without an expiry");
    } else {
        QLAUDE_FUZZ_CHECK(!error.isEmpty(), "an Entra answer refused without a reason");
        noSecretIn(error, "an Entra token error quotes the answer");
    }

    for (const bool requireToken : {true, false}) {
        error.clear();
        const AwsCredentials aws = parseAwsCredentialJson(body, requireToken, &error);
        if (aws.isValid()) {
            QLAUDE_FUZZ_CHECK(!requireToken || !aws.sessionToken.isEmpty(),
                              "AWS credentials accepted without the required session token");
        } else {
            QLAUDE_FUZZ_CHECK(!error.isEmpty(), "AWS output refused without a reason");
        }
        noSecretIn(error, "an AWS credential error quotes the command's output");
    }
    return 0;
}
