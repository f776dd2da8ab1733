#pragma once

#include "AuthContext.h"
#include "AuthResolver.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QStringList>

namespace qlaude {

// The text of "Test connection" for one provider page, from the same facts as --doctor. Each
// line is a fact ("Region: …") or a problem ("  x …") with what to do about it.
class ProviderCheck
{
    Q_DECLARE_TR_FUNCTIONS(ProviderCheck)
public:
    // What the page's own settings lack or change: region, project, skipped authentication.
    // The facts and gaps come from ProviderStatus in auth/, the same as --doctor's.
    static QStringList configurationLines(const AuthContext &context, Provider page,
                                          const KeychainSnapshot &keychain);
    // Why the page's provider gets no requests when another one is selected, and what to do;
    // empty when it is the selected one.
    static QStringList selectionLines(Provider page, Provider selected, const QString &pageTitle,
                                      const QString &selectedTitle);
    // The doctor report's lines for the selected provider: the credential and why, where
    // requests go (Anthropic), then the warnings and problems.
    static QStringList doctorLines(const QJsonObject &report, Provider selected);
};

} // namespace qlaude
