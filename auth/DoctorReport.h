#pragma once

#include "AuthContext.h"
#include "AuthResolver.h"

#include <QJsonObject>
#include <QString>

namespace qlaude {

// The `qlaude --doctor` report, shared by the command line and the Doctor dialog. It never
// holds a secret: at most the last four characters of one.
class DoctorReport
{
public:
    static QJsonObject build(const AuthContext &context, const KeychainSnapshot &keychain,
                             const Resolution &resolution);
    static QString toText(const QJsonObject &report);
    // The "Network:" part of toText(): the proxy per provider host, CA files, client
    // certificate and proxyAuthHelper ("" when the report has no network section).
    static QString networkText(const QJsonObject &report);
};

} // namespace qlaude
