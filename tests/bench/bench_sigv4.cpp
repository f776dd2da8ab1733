// SigV4 header signing of a Bedrock-shaped request: POST of a 10 KB JSON body to an
// inference-profile ARN path, with a session token and x-amz-content-sha256 (what
// BedrockSigV4Signer does on every attempt). Target: median under 20 µs per signature.
//
// Prints the median of 9 runs of 2000 signatures each as
//   sigv4: median 14.2 µs per signature over 9 runs (10240-byte body)
// The figure is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID); the wall-clock median is
// printed on the line before. The body's SHA-256 alone is timed too, as the floor.
// Exits 1 if a signature differs from the first (the signer must be deterministic).

#include "BenchReport.h"
#include "SigV4Signer.h"

#include <QCryptographicHash>

#include <QElapsedTimer>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

using namespace qlaude;

namespace {

constexpr int kRuns = 9;
constexpr int kSignaturesPerRun = 2000;
constexpr qsizetype kBodyBytes = 10 * 1024;

double threadCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) + double(now.tv_nsec) / 1e9;
}

SigV4Request benchRequest()
{
    SigV4Request r;
    r.method = "POST";
    r.url = QUrl::fromEncoded(
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic."
        "claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream",
        QUrl::StrictMode);
    r.headers = {{"content-type", "application/json"},
                 {"accept", "application/json"},
                 {"anthropic-beta", "interleaved-thinking-2025-05-14"},
                 {"x-stainless-retry-count", "0"}};
    QByteArray body = R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,)"
                      R"("messages":[{"role":"user","content":")";
    while (body.size() < kBodyBytes - 4)
        body += "The quick brown fox jumps over the lazy dog. ";
    body.truncate(kBodyBytes - 4);
    body += "\"}]}";
    r.body = body;
    return r;
}

QByteArray authorizationOf(const SigV4Request &r)
{
    for (const auto &h : r.headers) {
        if (h.first == "Authorization")
            return h.second;
    }
    return QByteArray();
}

} // namespace

int main()
{
    const SigV4Request original = benchRequest();
    AwsCredentials credentials;
    credentials.accessKeyId = QStringLiteral("AKIDEXAMPLE");
    credentials.secretAccessKey = QStringLiteral("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    credentials.sessionToken = QString(QLatin1Char('t')).repeated(800); // STS tokens are long
    SigV4Options options;
    options.region = QStringLiteral("us-east-1");
    options.service = QStringLiteral("bedrock");
    options.time = QDateTime(QDate(2025, 11, 24), QTime(9, 30, 15), Qt::UTC);

    SigV4Request first = original;
    SigV4Signer::sign(first, credentials, options);
    const QByteArray expected = authorizationOf(first);

    std::vector<double> cpu;
    std::vector<double> wall;
    std::vector<double> hashOnly;
    for (int run = 1; run <= kRuns; ++run) {
        QElapsedTimer timer;
        timer.start();
        const double cpuStart = threadCpuSeconds();
        for (int i = 0; i < kSignaturesPerRun; ++i) {
            SigV4Request r = original;
            SigV4Signer::sign(r, credentials, options);
            if (i == kSignaturesPerRun - 1 && authorizationOf(r) != expected) {
                std::fprintf(stderr, "signature differs between runs\n");
                return 1;
            }
        }
        cpu.push_back((threadCpuSeconds() - cpuStart) * 1e6 / kSignaturesPerRun);
        wall.push_back(double(timer.nsecsElapsed()) / 1e3 / kSignaturesPerRun);

        const double hashStart = threadCpuSeconds();
        for (int i = 0; i < kSignaturesPerRun; ++i) {
            // The signer's own digest: OpenSSL's SHA-256 (the CPU's SHA extensions).
            unsigned char digest[EVP_MAX_MD_SIZE];
            unsigned int length = 0;
            EVP_Digest(original.body.constData(), size_t(original.body.size()), digest, &length,
                       EVP_sha256(), nullptr);
        }
        hashOnly.push_back((threadCpuSeconds() - hashStart) * 1e6 / kSignaturesPerRun);
        std::printf("run %d: %.2f µs CPU, %.2f µs wall per signature (body SHA-256 alone %.2f "
                    "µs)\n",
                    run, cpu.back(), wall.back(), hashOnly.back());
    }
    std::sort(cpu.begin(), cpu.end());
    std::sort(wall.begin(), wall.end());
    std::sort(hashOnly.begin(), hashOnly.end());
    std::printf("wall clock: median %.2f µs per signature; body SHA-256 alone: median %.2f µs\n",
                wall[kRuns / 2], hashOnly[kRuns / 2]);
    std::printf("sigv4: median %.2f µs per signature over %d runs (%lld-byte body)\n",
                cpu[kRuns / 2], kRuns, qlonglong(kBodyBytes));
    qlaude::bench::report("SigV4 signature, 10 KB body (CPU)", cpu, "us",
                          qlaude::bench::Target::below(20));
    return 0;
}
