#pragma once

#include <QByteArray>
#include <QCryptographicHash>
#include <QJsonObject>
#include <QString>

namespace qlaude {

// Compact JSON Web Tokens signed with RS256 (RSASSA-PKCS1-v1_5 over SHA-256, OpenSSL 3
// libcrypto): Google's service-account assertion and Entra's client-certificate assertion.
// No error text ever quotes a key, a token or a PEM block.
namespace Jwt {

QByteArray base64Url(const QByteArray &data); // no padding
// Accepts padded or unpadded base64url; false on any other character.
bool fromBase64Url(const QByteArray &text, QByteArray *out);

// header.claims.signature, each base64url, with `header` as given (the caller sets "alg":
// "RS256" and any "kid"/"x5t"). The key is a PEM private key (PKCS#8 "PRIVATE KEY" or PKCS#1
// "RSA PRIVATE KEY", unencrypted); a PEM holding a certificate too is fine. Empty on failure,
// with a sentence in *error.
QByteArray signRs256(const QJsonObject &header, const QJsonObject &claims,
                     const QByteArray &privateKeyPem, QString *error);

// Checks an RS256 JWT against a PEM public key ("PUBLIC KEY") or certificate, and returns its
// decoded header and claims. Used by the fake token servers and by tests.
bool verifyRs256(const QByteArray &jwt, const QByteArray &publicKeyOrCertificatePem,
                 QJsonObject *header, QJsonObject *claims, QString *error);

// The digest of the DER form of the first certificate in a PEM (an Entra "x5t" is the SHA-1
// one, base64url). Empty with *error when the PEM holds no certificate.
QByteArray certificateThumbprint(const QByteArray &pem, QCryptographicHash::Algorithm algorithm,
                                 QString *error);

// The first certificate of a PEM, as base64 DER ("x5c"). Empty when there is none.
QByteArray certificateDerBase64(const QByteArray &pem);

} // namespace Jwt

} // namespace qlaude
