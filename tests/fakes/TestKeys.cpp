#include "TestKeys.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace qlaude::fakes {

namespace {
QByteArray drain(BIO *bio)
{
    BUF_MEM *mem = nullptr;
    BIO_get_mem_ptr(bio, &mem);
    QByteArray out = mem ? QByteArray(mem->data, int(mem->length)) : QByteArray();
    BIO_free(bio);
    return out;
}
} // namespace

TestRsaKey TestRsaKey::generate()
{
    TestRsaKey k;
    EVP_PKEY *key = EVP_RSA_gen(2048);
    if (!key)
        return k;
    BIO *priv = BIO_new(BIO_s_mem());
    PEM_write_bio_PKCS8PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
    k.privateKeyPem = drain(priv);
    BIO *pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(pub, key);
    k.publicKeyPem = drain(pub);

    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("qlaude-test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    BIO *c = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(c, cert);
    k.certificatePem = drain(c);
    X509_free(cert);
    EVP_PKEY_free(key);
    return k;
}

} // namespace qlaude::fakes
