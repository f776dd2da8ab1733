#pragma once

#include "AwsCredentialProvider.h"

#include <QTest>

namespace qlaude::test {

// What one AwsCredentialProvider::get() answered.
struct AwsGot
{
    bool done = false; // false: no answer within the wait
    AwsCredentials credentials;
    QString error;
};

// Asks the provider once and runs the event loop until it answers (or timeoutMs passes).
inline AwsGot getAndWait(AwsCredentialProvider &provider, int timeoutMs = 15000)
{
    AwsGot g;
    provider.get([&g](const AwsCredentials &c, const QString &e) {
        g.done = true;
        g.credentials = c;
        g.error = e;
    });
    (void)QTest::qWaitFor([&g] { return g.done; }, timeoutMs);
    return g;
}

} // namespace qlaude::test
