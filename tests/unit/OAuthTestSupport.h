#pragma once

// Helpers shared by the OAuth tests: profiles pointed at FakeOAuthServer, and a minimal
// "browser" that fetches a URL with QNetworkAccessManager and follows redirects hop by hop.

#include "FakeOAuthServer.h"
#include "OAuthProfile.h"
#include "TestSupport.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTimer>
#include <QUrlQuery>

namespace qlaude::test {

inline OAuthProfile profileFor(const fakes::FakeOAuthServer &server,
                               OAuthProfile::Kind kind = OAuthProfile::Kind::ClaudeAi)
{
    OAuthSettings s;
    if (kind == OAuthProfile::Kind::Oidc) {
        s.env.insert(QStringLiteral("QLAUDE_OIDC_ISSUER"), server.baseUrl().toString());
        s.env.insert(QStringLiteral("QLAUDE_OIDC_CLIENT_ID"), server.clientId());
    } else {
        s.env.insert(QStringLiteral("CLAUDE_CODE_CUSTOM_OAUTH_URL"), server.baseUrl().toString());
        s.env.insert(QStringLiteral("CLAUDE_CODE_OAUTH_CLIENT_ID"), server.clientId());
    }
    return OAuthProfile::fromSettings(s, kind);
}

// Hands out secrets the suite's leak check knows.
inline std::function<QString(const QString &)> secretTokens(const QString &prefix)
{
    return [prefix](const QString &kind) { return testSecret(prefix + kind); };
}

struct HttpResult
{
    int status = 0;
    QByteArray body;
    QUrl location;     // of the last answer, when it redirected
    QUrl finalUrl;     // the last URL fetched
    QList<QUrl> chain; // every URL fetched, in order
    QString error;
};

// One request; with follow, redirects are followed (GET) up to eight hops.
inline HttpResult httpRequest(const QUrl &start, bool follow = true,
                              const QByteArray &postBody = QByteArray(),
                              const QByteArray &contentType = QByteArray())
{
    QNetworkAccessManager nam;
    HttpResult r;
    QUrl url = start;
    QByteArray body = postBody;
    for (int hop = 0; hop < 8; ++hop) {
        QNetworkRequest req(url);
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
        req.setTransferTimeout(10000);
        QNetworkReply *reply;
        if (body.isNull()) {
            reply = nam.get(req);
        } else {
            req.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
            reply = nam.post(req, body);
        }
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        r.chain << url;
        r.finalUrl = url;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.location = QUrl();
        if (r.status == 0)
            r.error = reply->errorString();
        const QByteArray location = reply->rawHeader("location");
        reply->deleteLater();
        if (r.status < 300 || r.status >= 400 || location.isEmpty())
            break;
        r.location = url.resolved(QUrl::fromEncoded(location));
        if (!follow)
            break;
        url = r.location;
        body = QByteArray();
    }
    return r;
}

inline QString queryValue(const QUrl &url, const QString &key)
{
    return QUrlQuery(url).queryItemValue(key, QUrl::FullyDecoded);
}

// The "code#state" the fake's code-paste page shows.
inline QString pastedCodeFrom(const QByteArray &page)
{
    static const QRegularExpression re(QStringLiteral("<code id=\"code\">([^<]*)</code>"));
    return re.match(QString::fromUtf8(page)).captured(1);
}

} // namespace qlaude::test
