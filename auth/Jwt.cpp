#include "Jwt.h"

#include <QCoreApplication>
#include <QJsonDocument>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace qlaude::Jwt {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::Jwt)
};
} // namespace

namespace {

struct BioFree
{
    void operator()(BIO *b) const { BIO_free(b); }
};
struct KeyFree
{
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct CtxFree
{
    void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};
struct X509Free
{
    void operator()(X509 *x) const { X509_free(x); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Ctx = std::unique_ptr<EVP_MD_CTX, CtxFree>;
using Cert = std::unique_ptr<X509, X509Free>;

Bio memoryBio(const QByteArray &data)
{
    return Bio(BIO_new_mem_buf(data.constData(), int(data.size())));
}

// A password callback that refuses: an encrypted key is an error, never a prompt on stdin.
int noPassword(char *, int, int, void *)
{
    return -1;
}

Key readPrivateKey(const QByteArray &pem)
{
    Bio bio = memoryBio(pem);
    if (!bio)
        return Key();
    return Key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassword, nullptr));
}

Cert readCertificate(const QByteArray &pem)
{
    Bio bio = memoryBio(pem);
    if (!bio)
        return Cert();
    return Cert(PEM_read_bio_X509(bio.get(), nullptr, noPassword, nullptr));
}

Key readPublicKey(const QByteArray &pem)
{
    if (pem.contains("BEGIN CERTIFICATE")) {
        Cert cert = readCertificate(pem);
        return Key(cert ? X509_get_pubkey(cert.get()) : nullptr);
    }
    Bio bio = memoryBio(pem);
    if (!bio)
        return Key();
    return Key(PEM_read_bio_PUBKEY(bio.get(), nullptr, noPassword, nullptr));
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

QByteArray base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

bool fromBase64Url(const QByteArray &text, QByteArray *out)
{
    const auto r = QByteArray::fromBase64Encoding(
        text, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!r)
        return false;
    *out = r.decoded;
    return true;
}

QByteArray signRs256(const QJsonObject &header, const QJsonObject &claims,
                     const QByteArray &privateKeyPem, QString *error)
{
    Key key = readPrivateKey(privateKeyPem);
    if (!key) {
        *error = Tr::tr("the private key is not an unencrypted PEM private key");
        return QByteArray();
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
        *error = Tr::tr("the private key is not an RSA key (RS256 needs one)");
        return QByteArray();
    }
    const QByteArray input = base64Url(compact(header)) + '.' + base64Url(compact(claims));
    Ctx ctx(EVP_MD_CTX_new());
    size_t length = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char *>(input.constData()),
                       size_t(input.size())) != 1) {
        *error = Tr::tr("OpenSSL could not sign with the private key");
        return QByteArray();
    }
    QByteArray signature(int(length), Qt::Uninitialized);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &length,
                       reinterpret_cast<const unsigned char *>(input.constData()),
                       size_t(input.size())) != 1) {
        *error = Tr::tr("OpenSSL could not sign with the private key");
        return QByteArray();
    }
    signature.truncate(int(length));
    return input + '.' + base64Url(signature);
}

bool verifyRs256(const QByteArray &jwt, const QByteArray &publicKeyOrCertificatePem,
                 QJsonObject *header, QJsonObject *claims, QString *error)
{
    const QList<QByteArray> parts = jwt.split('.');
    QByteArray h, c, s;
    if (parts.size() != 3 || !fromBase64Url(parts[0], &h) || !fromBase64Url(parts[1], &c) ||
        !fromBase64Url(parts[2], &s)) {
        *error = Tr::tr("not a compact JWT");
        return false;
    }
    QJsonParseError pe;
    const QJsonDocument hd = QJsonDocument::fromJson(h, &pe);
    const QJsonDocument cd = QJsonDocument::fromJson(c, &pe);
    if (!hd.isObject() || !cd.isObject()) {
        *error = Tr::tr("the JWT header or claims are not JSON objects");
        return false;
    }
    if (hd.object().value(QLatin1String("alg")).toString() != QLatin1String("RS256")) {
        *error = Tr::tr("the JWT is not RS256");
        return false;
    }
    Key key = readPublicKey(publicKeyOrCertificatePem);
    if (!key) {
        *error = Tr::tr("no public key to check the JWT with");
        return false;
    }
    const QByteArray input = parts[0] + '.' + parts[1];
    Ctx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(s.constData()),
                         size_t(s.size()),
                         reinterpret_cast<const unsigned char *>(input.constData()),
                         size_t(input.size())) != 1) {
        *error = Tr::tr("the JWT signature does not match the key");
        return false;
    }
    if (header)
        *header = hd.object();
    if (claims)
        *claims = cd.object();
    return true;
}

QByteArray certificateDerBase64(const QByteArray &pem)
{
    Cert cert = readCertificate(pem);
    if (!cert)
        return QByteArray();
    unsigned char *der = nullptr;
    const int length = i2d_X509(cert.get(), &der);
    if (length <= 0)
        return QByteArray();
    const QByteArray out = QByteArray(reinterpret_cast<const char *>(der), length).toBase64();
    OPENSSL_free(der);
    return out;
}

QByteArray certificateThumbprint(const QByteArray &pem, QCryptographicHash::Algorithm algorithm,
                                 QString *error)
{
    const QByteArray der = QByteArray::fromBase64(certificateDerBase64(pem));
    if (der.isEmpty()) {
        *error = Tr::tr("the file holds no PEM certificate");
        return QByteArray();
    }
    return QCryptographicHash::hash(der, algorithm);
}

} // namespace qlaude::Jwt
