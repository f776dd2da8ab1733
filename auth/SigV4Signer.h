#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

namespace qlaude {

// AWS credentials for SigV4 (PROTOCOLS.md 2.2, 2.3).
struct AwsCredentials
{
    QString accessKeyId;
    QString secretAccessKey;
    QString sessionToken; // optional
    QDateTime expiration; // invalid: does not expire
    QString source;       // "env", "profile default", ... for doctor; never a secret
    bool isValid() const { return !accessKeyId.isEmpty() && !secretAccessKey.isEmpty(); }
};

// One HTTP request as it will be sent.
struct SigV4Request
{
    QByteArray method; // "POST"
    // scheme://host[:port]/path?query exactly as it will be sent: the path is already
    // percent-encoded once, as QNetworkAccessManager sends QUrl::toEncoded().
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers; // as they will be sent; the signer adds to it
    QByteArray body;
};

struct SigV4Options
{
    QString region;  // "us-east-1"
    QString service; // "bedrock"
    QDateTime time;  // UTC; invalid = now
    // Remove . and .. segments and duplicate slashes from the canonical path (false for S3 only).
    bool normalizePath = true;
    // Non-S3 services: the canonical URI encodes the already-encoded path again.
    bool doubleEncodePath = true;
    // Add and sign x-amz-content-sha256 (the AWS JS v3 signer does).
    bool signBody = true;
    // Add X-Amz-Security-Token after signing, unsigned.
    bool omitSessionToken = false;
};

// Every intermediate value of one signing, for tests and doctor. Holds no secret.
struct SigV4Steps
{
    QByteArray canonicalRequest;
    QByteArray signedHeaders; // "host;x-amz-date"
    QByteArray stringToSign;
    QByteArray signature; // lowercase hex
};

// AWS Signature Version 4, Authorization-header form, HMAC-SHA256 (PROTOCOLS.md 2.2).
class SigV4Signer
{
public:
    // Adds host (when absent; host[:port] exactly as sent, without :443 / :80 for the default
    // port), X-Amz-Date, x-amz-content-sha256 (signBody), X-Amz-Security-Token (with a token)
    // and Authorization to request.headers. Replaces earlier values of those headers, so
    // re-signing on each attempt is idempotent.
    static void sign(SigV4Request &request, const AwsCredentials &credentials,
                     const SigV4Options &options);

    // sign(), but the canonical path and query come from `requestTarget` (the request line's
    // path[?query], byte for byte) instead of request.url; returns every step. For requests whose
    // request line holds bytes a QUrl always percent-encodes (the AWS test suite's raw UTF-8
    // and space paths). request.url still gives the host header when it is absent.
    static SigV4Steps signRequestTarget(SigV4Request &request, const QByteArray &requestTarget,
                                        const AwsCredentials &credentials,
                                        const SigV4Options &options);

    // The intermediate steps, for tests and doctor. canonicalRequest() takes the request as it
    // stands (after sign() added its headers); the payload hash is the x-amz-content-sha256
    // header's value when present, else the SHA-256 of the body. stringToSign() and signature()
    // use options.time (invalid = now: pass the same time that went into X-Amz-Date).
    static QByteArray canonicalRequest(const SigV4Request &request, const SigV4Options &options,
                                       QByteArray *signedHeaders = nullptr);
    static QByteArray stringToSign(const QByteArray &canonicalRequest, const SigV4Options &options);
    static QByteArray signature(const QByteArray &stringToSign, const AwsCredentials &credentials,
                                const SigV4Options &options); // lowercase hex

    // Pieces of the canonical request.
    // The canonical URI of a path as sent (percent-encoded once).
    static QByteArray canonicalUri(const QByteArray &wirePath, const SigV4Options &options);
    // Sorted, RFC 3986-encoded `k=v` pairs joined with '&', from a query as sent (no '?').
    static QByteArray canonicalQuery(const QByteArray &wireQuery);
    // Every byte but A-Z a-z 0-9 - . _ ~ (and '/' when keepSlash) as %XX, upper-case hex.
    static QByteArray uriEncode(const QByteArray &bytes, bool keepSlash);
    // The Host header QNetworkAccessManager sends for url: host, plus :port unless default.
    static QByteArray hostHeader(const QUrl &url);
    // YYYYMMDD'T'HHMMSS'Z' of time in UTC.
    static QByteArray amzDate(const QDateTime &time);
    // False for the headers AWS signers leave unsigned (authorization, user-agent, proxy-*,
    // ...). `lowerName` is lower-case.
    static bool isSignedHeader(const QByteArray &lowerName, const SigV4Options &options);
};

} // namespace qlaude
