// The JWT code (auth/Jwt): compact-JWT parsing and RS256 checking (verifyRs256, which the fake
// token servers and tests use), base64url decoding, and reading PEM certificates and keys (a
// user's Entra client certificate file). Properties: no crash; a base64url round trip gives the
// bytes back; a token whose signature does not match the key is never accepted, and a token
// signed with the key is accepted with the claims it carries.
#include "FuzzSupport.h"
#include "Jwt.h"
#include "TestKeys.h"

#include <QJsonDocument>

using namespace qlaude;

namespace {

const fakes::TestRsaKey &key()
{
    static const fakes::TestRsaKey k = fakes::TestRsaKey::generate();
    return k;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    QLAUDE_FUZZ_CHECK(key().isValid(), "no test key");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    QJsonObject header;
    QJsonObject claims;
    // The input as a token: it cannot carry a valid signature by the fresh key.
    QLAUDE_FUZZ_CHECK(!Jwt::verifyRs256(text, key().publicKeyPem, &header, &claims, &error),
                      "a token not signed by the key was accepted");
    QLAUDE_FUZZ_CHECK(!error.isEmpty(), "a refused token without a reason");
    (void)Jwt::verifyRs256(text, key().certificatePem, nullptr, nullptr, &error);
    (void)Jwt::verifyRs256(text, text, nullptr, nullptr, &error); // the input as the key too

    QByteArray decoded;
    if (Jwt::fromBase64Url(text, &decoded)) {
        QByteArray back;
        QLAUDE_FUZZ_CHECK(Jwt::fromBase64Url(Jwt::base64Url(decoded), &back) && back == decoded,
                          "base64url does not round-trip");
    }

    // The input as a PEM file.
    (void)Jwt::certificateThumbprint(text, QCryptographicHash::Sha1, &error);
    (void)Jwt::certificateDerBase64(text);

    // The input's JSON as claims, signed and checked.
    const QJsonObject parsed = QJsonDocument::fromJson(text).object();
    if (!parsed.isEmpty() && size < 2048) {
        const QByteArray jwt =
            Jwt::signRs256(QJsonObject{{QStringLiteral("alg"), QStringLiteral("RS256")}}, parsed,
                           key().privateKeyPem, &error);
        QLAUDE_FUZZ_CHECK(!jwt.isEmpty(), "signing failed");
        QLAUDE_FUZZ_CHECK(Jwt::verifyRs256(jwt, key().publicKeyPem, &header, &claims, &error),
                          "a token signed by the key was refused");
        QLAUDE_FUZZ_CHECK(claims == parsed, "the claims changed on the way");
    }
    return 0;
}
