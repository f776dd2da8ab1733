#pragma once

#include "HttpRequest.h"

#include <QJsonObject>
#include <QMetaType>
#include <QStringList>

namespace qlaude::fakes {

// A request as FakeAnthropicServer recorded it, with what it answered.
struct ReceivedRequest : HttpRequest
{
    int number = 0;       // 1-based order of arrival at the server
    int connectionId = 0; // 1-based order of the TCP connection it came on
    QByteArray requestId; // "req_fake_<number>", sent back in the request-id header
    QJsonObject json;     // the body, when it is a JSON object
    bool bodyIsJson = false;
    int responseStatus = 0; // 0 when the server wrote no status line (dropped or stalled)

    // anthropic-beta values of every anthropic-beta line, split on ',' and trimmed.
    QStringList betas() const;
    // "#3 POST /v1/messages?beta=true -> 200"; with headers, one line each, secrets redacted.
    QString summary(bool withHeaders = false) const;
    // True for headers whose value must never be printed (keys, tokens, cookies).
    static bool isSecretHeader(const QByteArray &name);
};

} // namespace qlaude::fakes

Q_DECLARE_METATYPE(qlaude::fakes::ReceivedRequest)
