#pragma once

#include <QByteArray>

namespace qlaude::fakes {

// A throwaway RSA-2048 key pair made at run time with OpenSSL (no private key is committed),
// and a self-signed certificate for it: for the Google service-account and the Entra
// client-certificate tests.
struct TestRsaKey
{
    QByteArray privateKeyPem;  // PKCS#8 "PRIVATE KEY"
    QByteArray publicKeyPem;   // "PUBLIC KEY"
    QByteArray certificatePem; // self-signed, CN=qlaude-test, valid for a day

    bool isValid() const { return !privateKeyPem.isEmpty(); }
    // A fresh key each call (about 50 ms); tests usually make one per test case.
    static TestRsaKey generate();
};

} // namespace qlaude::fakes
