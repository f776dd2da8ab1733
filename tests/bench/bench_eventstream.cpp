// Decodes a ~100 MB Bedrock response stream held in memory (application/vnd.amazon.eventstream,
// PROTOCOLS.md 2.4), fed 64 KiB at a time as a network reply would deliver it. Every frame is a
// Bedrock `chunk` event (:event-type, :content-type, :message-type headers) whose payload
// {"bytes":"<base64>"} carries one Anthropic stream event: message_start, then text blocks of
// content_block_delta events with small text deltas, message_delta and message_stop.
//
// Two figures, each the median of 5 runs (MB = 10^6 bytes of event stream):
//   eventstream-decode: median 900.0 MB/s over 5 runs (100.0 MB)
//     EventStreamDecoder alone (framing, both CRCs, headers, payload copies);
//   eventstream-assemble: median 300.0 MB/s over 5 runs (100.0 MB)
//     the decoder, the "bytes" member taken out of the payload, base64-decoded and fed to
//     MessageStreamAssembler (target: at least 250 MB/s).
// As in bench_stream_parse, the figures are bytes per second of this thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID); wall-clock medians are printed on the line before.
// Exits 1 if a run fails or the assembled text differs from what was recorded.

#include "BenchReport.h"
#include "EventStreamDecoder.h"
#include "EventStreamEncoder.h"
#include "MessageStreamAssembler.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

using namespace qlaude;
using qlaude::fakes::EventStreamEncoder;

namespace {

constexpr qsizetype kTargetBytes = 100'000'000;
constexpr qsizetype kChunkBytes = 64 * 1024;
constexpr int kRuns = 5;

struct Recording
{
    QByteArray stream;
    qsizetype blocks = 0;
    qsizetype totalText = 0; // UTF-16 code units, as the assembler counts them
    qsizetype frames = 0;
};

// A JSON string body as a JSON writer would produce it.
QByteArray jsonBody(const QString &text)
{
    const QByteArray json = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return json.mid(2, json.size() - 4); // strip [" and "]
}

Recording record()
{
    std::mt19937 random(20261124);
    const char *words[] = {
        " the",  " model",  "ing",    ",",        " and",        " stream",   " of",   " tokens",
        " that", " arrive", ".",      " It",      " is",         " a",        " long", " answer",
        " with", " code",   ":\n\n",  "```cpp\n", " \"quoted\"", " C:\\path", "\ttab", " naïve",
        " café", " 日本語", " Grüße", " —",       " 😀",          "\n- item",
    };
    std::vector<std::pair<QByteArray, qsizetype>> pieces;
    for (const char *word : words) {
        const QString text = QString::fromUtf8(word);
        pieces.emplace_back(jsonBody(text), text.size());
    }
    std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> piecesPerDelta(1, 4);

    Recording r;
    QByteArray &s = r.stream;
    s.reserve(kTargetBytes + 1024 * 1024);
    const auto add = [&](const QByteArray &eventJson) {
        s += EventStreamEncoder::chunkEvent(eventJson);
        ++r.frames;
    };
    add(R"({"type":"message_start","message":{"id":"msg_bdrk_bench","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2100,"output_tokens":1}}})");
    qsizetype index = 0;
    while (s.size() < kTargetBytes) {
        const QByteArray i = QByteArray::number(index);
        add(R"({"type":"content_block_start","index":)" + i +
            R"(,"content_block":{"type":"text","text":""}})");
        for (int n = 0; n < 5000 && s.size() < kTargetBytes; ++n) {
            QByteArray body;
            for (int k = piecesPerDelta(random); k > 0; --k) {
                const auto &piece = pieces[pick(random)];
                body += piece.first;
                r.totalText += piece.second;
            }
            add(R"({"type":"content_block_delta","index":)" + i +
                R"(,"delta":{"type":"text_delta","text":")" + body + "\"}}");
        }
        add(R"({"type":"content_block_stop","index":)" + i + "}");
        ++index;
    }
    r.blocks = index;
    add(R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":4242}})");
    add(R"({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":2100,"outputTokenCount":4242,"invocationLatency":9000,"firstByteLatency":300}})");
    return r;
}

double threadCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) + double(now.tv_nsec) / 1e9;
}

struct Timing
{
    double cpuSeconds = -1; // negative: the run failed
    double wallSeconds = -1;
};

// The base64 text of the payload's "bytes" member ({"bytes":"..."}; base64 needs no escapes).
QByteArrayView bytesMember(QByteArrayView payload)
{
    static const QByteArrayView key("\"bytes\":\"");
    const qsizetype start = payload.indexOf(key);
    if (start < 0)
        return QByteArrayView();
    const qsizetype from = start + key.size();
    const qsizetype end = payload.indexOf('"', from);
    return end < 0 ? QByteArrayView() : payload.sliced(from, end - from);
}

Timing run(const Recording &recording, bool assemble)
{
    const Timing failed;
    Timing timing;
    QElapsedTimer timer;
    timer.start();
    const double cpuStart = threadCpuSeconds();
    EventStreamDecoder decoder;
    MessageStreamAssembler assembler;
    QList<EventStreamMessage> messages;
    qsizetype frames = 0;
    const QByteArrayView stream(recording.stream);
    for (qsizetype pos = 0; pos < stream.size(); pos += kChunkBytes) {
        messages.clear();
        if (!decoder.feed(stream.sliced(pos, qMin(kChunkBytes, stream.size() - pos)), messages)) {
            std::fprintf(stderr, "event-stream error: %s\n", qPrintable(decoder.errorString()));
            return failed;
        }
        frames += messages.size();
        if (!assemble)
            continue;
        for (const EventStreamMessage &m : messages) {
            const QByteArray json = QByteArray::fromBase64(bytesMember(m.payload).toByteArray());
            if (!assembler.feed(QByteArrayView(), json)) {
                std::fprintf(stderr, "assembler error: %s\n", qPrintable(assembler.errorMessage()));
                return failed;
            }
        }
    }
    if (!decoder.finish()) {
        std::fprintf(stderr, "event-stream error: %s\n", qPrintable(decoder.errorString()));
        return failed;
    }
    timing.cpuSeconds = threadCpuSeconds() - cpuStart;
    timing.wallSeconds = double(timer.nsecsElapsed()) / 1e9;

    if (frames != recording.frames) {
        std::fprintf(stderr, "expected %lld frames, got %lld\n", qlonglong(recording.frames),
                     qlonglong(frames));
        return failed;
    }
    if (!assemble)
        return timing;
    if (!assembler.isComplete()) {
        std::fprintf(stderr, "stream incomplete: %s\n", qPrintable(assembler.errorMessage()));
        return failed;
    }
    const Message &message = assembler.message();
    qsizetype text = 0;
    for (const ContentBlock &block : message.content)
        text += block.text.size();
    if (message.content.size() != recording.blocks || text != recording.totalText) {
        std::fprintf(stderr, "assembled %lld blocks / %lld characters, expected %lld / %lld\n",
                     qlonglong(message.content.size()), qlonglong(text),
                     qlonglong(recording.blocks), qlonglong(recording.totalText));
        return failed;
    }
    return timing;
}

} // namespace

int main()
{
    const Recording recording = record();
    const double megabytes = double(recording.stream.size()) / 1e6;
    std::printf("recorded %.1f MB: %lld frames, %lld text blocks, %lld characters\n", megabytes,
                qlonglong(recording.frames), qlonglong(recording.blocks),
                qlonglong(recording.totalText));

    for (const bool assemble : {false, true}) {
        const char *name = assemble ? "eventstream-assemble" : "eventstream-decode";
        std::vector<double> rates;
        std::vector<double> wallRates;
        for (int i = 1; i <= kRuns; ++i) {
            const Timing timing = run(recording, assemble);
            if (timing.cpuSeconds < 0)
                return 1;
            rates.push_back(megabytes / timing.cpuSeconds);
            wallRates.push_back(megabytes / timing.wallSeconds);
            std::printf("%s run %d: %.3f s CPU (%.1f MB/s), %.3f s wall (%.1f MB/s)\n", name, i,
                        timing.cpuSeconds, rates.back(), timing.wallSeconds, wallRates.back());
        }
        std::sort(rates.begin(), rates.end());
        std::sort(wallRates.begin(), wallRates.end());
        std::printf("wall clock: median %.1f MB/s\n", wallRates[kRuns / 2]);
        std::printf("%s: median %.1f MB/s over %d runs (%.1f MB)\n", name, rates[kRuns / 2], kRuns,
                    megabytes);
        qlaude::bench::report(
            assemble ? "event-stream decode + assemble (CPU)" : "event-stream decode (CPU)", rates,
            "MB/s",
            assemble ? qlaude::bench::Target::above(250)
                     : qlaude::bench::Target::none(qlaude::bench::Better::Higher));
    }
    return 0;
}
