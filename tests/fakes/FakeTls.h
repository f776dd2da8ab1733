#pragma once

#include <QSslConfiguration>
#include <QString>

namespace qlaude::fakes {

// A server-side TLS configuration from PEM files: the certificate (with any chain after it) and
// its key; with clientCaFile, a client certificate signed by that CA is required. False, with a
// sentence in *error, when a file cannot be read.
bool serverTlsFromFiles(const QString &certFile, const QString &keyFile,
                        const QString &clientCaFile, QSslConfiguration *tls, QString *error);

} // namespace qlaude::fakes
