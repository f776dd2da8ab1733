#include "SigV4Check.h"

#include <QCryptographicHash>
#include <QMap>

namespace qlaude::fakes {

namespace {
QByteArray header(const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &name)
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return QByteArray();
}
} // namespace

QString checkSigV4(const QByteArray &method, const QByteArray &target,
                   const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body,
                   const AwsCredentials &credentials, const QString &region, const QString &service)
{
    const QByteArray auth = header(headers, "authorization");
    if (!auth.startsWith("AWS4-HMAC-SHA256 "))
        return QStringLiteral("MissingAuthenticationTokenException:Missing Authentication Token");
    QMap<QByteArray, QByteArray> parts; // "k=v, k=v" after the scheme
    for (const QByteArray &part : auth.mid(17).split(',')) {
        const int eq = part.indexOf('=');
        if (eq > 0)
            parts.insert(part.left(eq).trimmed(), part.mid(eq + 1).trimmed());
    }
    const QByteArray date = header(headers, "x-amz-date");
    const QList<QByteArray> scope = parts.value("Credential").split('/');
    if (scope.size() != 5 || scope.at(0) != credentials.accessKeyId.toUtf8())
        return QStringLiteral("UnrecognizedClientException:The security token included in the "
                              "request is invalid.");
    if (scope.at(1) != date.left(8) || scope.at(2) != region.toUtf8() ||
        scope.at(3) != service.toUtf8() || scope.at(4) != "aws4_request")
        return QStringLiteral("InvalidSignatureException:Credential should be scoped to a valid "
                              "region and service %1 (got %2).")
            .arg(service, QString::fromLatin1(parts.value("Credential").mid(scope.at(0).size())));
    if (!credentials.sessionToken.isEmpty() &&
        header(headers, "x-amz-security-token") != credentials.sessionToken.toUtf8())
        return QStringLiteral("UnrecognizedClientException:The security token included in the "
                              "request is invalid.");
    if (header(headers, "x-amz-content-sha256") !=
        QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex())
        return QStringLiteral("InvalidSignatureException:The provided x-amz-content-sha256 header "
                              "does not match what was computed.");
    const QList<QByteArray> signedNames = parts.value("SignedHeaders").split(';');
    SigV4Request r;
    r.method = method;
    r.url = QUrl::fromEncoded("http://" + header(headers, "host") + target);
    for (const auto &h : headers) {
        if (signedNames.contains(h.first.toLower()))
            r.headers.append(h);
    }
    r.body = body;
    SigV4Options o;
    o.region = region;
    o.service = service;
    o.time =
        QDateTime::fromString(QString::fromLatin1(date), QStringLiteral("yyyyMMdd'T'HHmmss'Z'"));
    o.time.setTimeSpec(Qt::UTC);
    QByteArray names;
    const QByteArray canonical = SigV4Signer::canonicalRequest(r, o, &names);
    const QByteArray expected =
        SigV4Signer::signature(SigV4Signer::stringToSign(canonical, o), credentials, o);
    if (names != parts.value("SignedHeaders") || expected != parts.value("Signature"))
        return QStringLiteral("InvalidSignatureException:The request signature we calculated "
                              "does not match the signature you provided.");
    return QString();
}

} // namespace qlaude::fakes
