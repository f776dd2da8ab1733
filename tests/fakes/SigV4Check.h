#pragma once

#include "SigV4Signer.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace qlaude::fakes {

// Checks a received request's SigV4 signature the way an AWS service does: the Authorization
// scope (key id, date, region, service), the session token when `credentials` has one, the
// body hash, then the signature recomputed from the headers the request says it signed, as
// they arrived. Returns "" when it verifies, else "<ExceptionName>:<message>" as AWS answers.
QString checkSigV4(const QByteArray &method, const QByteArray &target,
                   const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body,
                   const AwsCredentials &credentials, const QString &region,
                   const QString &service);

} // namespace qlaude::fakes
