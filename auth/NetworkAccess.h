#pragma once

#include "NetworkSetup.h"

#include <QNetworkAccessManager>

#include <functional>
#include <memory>

namespace qlaude {

// The one QNetworkAccessManager every Qlaude request goes through (the chat clients, token
// endpoints, OAuth, the connection test), so all of them share one network set-up: the proxy
// (with its credentials, or proxyAuthHelper's answer), extra CA certificates and the client
// certificate. It also records, per reply, what a person needs to know about a failed TLS
// handshake or proxy: failureText(). Certificate errors are never ignored.
class NetworkAccess : public QNetworkAccessManager
{
    Q_OBJECT
    Q_DISABLE_COPY(NetworkAccess)

public:
    // The set-up of the process environment (no proxyAuthHelper).
    explicit NetworkAccess(QObject *parent = nullptr);
    explicit NetworkAccess(std::shared_ptr<const NetworkSetup> setup, QObject *parent = nullptr);

    void setSetup(std::shared_ptr<const NetworkSetup> setup);
    const std::shared_ptr<const NetworkSetup> &setup() const { return m_setup; }

    // After a 407 from the proxy: runs proxyAuthHelper (30 s at most; one run at a time, shared
    // by every request waiting) and keeps its answer for the helper's TTL, so the next request
    // carries it. Returns false, without calling done, when no helper may run. done gets an
    // empty error when the request can be sent again, or a sentence that says what failed.
    bool answerProxyChallenge(QObject *context, std::function<void(const QString &error)> done);

    // What a person needs to know about a failed TLS handshake or proxy exchange for `reply`
    // (the certificate's issuer, the names it is for, the proxy in the way, what to set), or ""
    // when nothing specific is known. Never holds a password.
    static QString failureText(QNetworkReply *reply);
    // failureText(), or else the reply's own error text.
    static QString errorText(QNetworkReply *reply);
    // The failure will not go away by sending the request again: the network set-up is broken,
    // a certificate was refused, a client certificate is missing or refused, or the proxy wants
    // credentials it did not get.
    static bool isPermanentFailure(QNetworkReply *reply);

    // For tests: forgets the answers proxyAuthHelper gave.
    static void clearProxyAuthorizationCache();

protected:
    QNetworkReply *createRequest(Operation op, const QNetworkRequest &request,
                                 QIODevice *outgoingData) override;

private:
    std::shared_ptr<const NetworkSetup> m_setup;
};

} // namespace qlaude
