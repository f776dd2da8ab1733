// Decodes a ~100 MB recorded Messages stream held in memory: SseParser plus
// MessageStreamAssembler, fed 16 KiB at a time as a network reply would deliver it. The stream
// has the shape of a long answer: message_start, then blocks of thinking, text and tool_use
// with many small deltas (text with JSON escapes, raw UTF-8 and \u escapes, including
// surrogate pairs), message_delta and message_stop.
//
// Prints the median throughput of 5 runs (MB = 10^6 bytes) as
//   stream-parse: median 412.3 MB/s over 5 runs (100.0 MB)
// The figure is bytes per second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID): the
// decoder runs on one core, and CPU time does not count the time other processes on a busy
// machine take from it. The wall-clock median is printed on the line before.
// Exits 1 if a run fails or the assembled text differs from what was recorded.

#include "BenchReport.h"
#include "MessageStreamAssembler.h"
#include "SseParser.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

using namespace qlaude;

namespace {

constexpr qsizetype kTargetBytes = 100'000'000;
constexpr qsizetype kChunkBytes = 16 * 1024;
constexpr int kRuns = 5;

struct Piece
{
    QByteArray json; // the body of a JSON string literal
    QString text;    // what it decodes to
};

// A JSON string body as a JSON writer would produce it (Qt's writer escapes quotes,
// backslashes and control characters and leaves other UTF-8 raw).
Piece writtenPiece(const QString &text)
{
    QByteArray json = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return {json.mid(2, json.size() - 4), text}; // strip [" and "]
}

Piece escapedPiece(const char *json, const QString &text)
{
    return {QByteArray(json), text};
}

std::vector<Piece> textPieces()
{
    std::vector<Piece> pieces;
    const char *words[] = {
        " the",      " model",   "ing",        ",",       " and",     " stream",
        " of",       " tokens",  " that",      " arrive", ".",        " It",
        " is",       " a",       " long",      " answer", " with",    " code",
        ":\n\n",     "```cpp\n", "    return", " x;\n",   "}\n```\n", " \"quoted\"",
        " C:\\path", "\ttab",    " naïve",     " café",   " 日本語",  " Grüße",
        " —",        " 😀",       " ∑",         " (see",   " §3)",     "\n- item",
    };
    for (const char *word : words)
        pieces.push_back(writtenPiece(QString::fromUtf8(word)));
    pieces.push_back(escapedPiece(" caf\\u00e9", QStringLiteral(" caf\u00e9")));
    pieces.push_back(escapedPiece(" \\ud83d\\ude80", QString::fromUtf8(" \xF0\x9F\x9A\x80")));
    pieces.push_back(escapedPiece("\\u4e2d\\u6587", QString::fromUtf8("\xE4\xB8\xAD\xE6\x96\x87")));
    pieces.push_back(escapedPiece("a\\/b", QStringLiteral("a/b")));
    return pieces;
}

struct Recording
{
    QByteArray stream;
    QList<qsizetype> textLengths; // per block; -1 for blocks that are not text
    QString firstText;            // the whole first text block, compared exactly
    qsizetype totalText = 0;
    qsizetype totalThinking = 0;
    int toolBlocks = 0;
};

QByteArray event(const char *name, const QByteArray &json)
{
    return QByteArray("event: ") + name + "\ndata: " + json + "\n\n";
}

QByteArray deltaEvent(qsizetype index, const char *type, const char *field, const QByteArray &body)
{
    return event("content_block_delta",
                 "{\"type\":\"content_block_delta\",\"index\":" + QByteArray::number(index) +
                     ",\"delta\":{\"type\":\"" + type + "\",\"" + field + "\":\"" + body + "\"}}");
}

Recording record()
{
    std::mt19937 random(20261124);
    const std::vector<Piece> pieces = textPieces();
    std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> piecesPerDelta(1, 4);

    Recording recording;
    QByteArray &s = recording.stream;
    s.reserve(kTargetBytes + 1024 * 1024);
    s += event(
        "message_start",
        R"({"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","model":"claude-opus-4-8","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2100,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"output_tokens":1}}})");
    s += event("ping", R"({"type": "ping"})");

    qsizetype index = 0;
    const auto startBlock = [&](const QByteArray &block) {
        s += event("content_block_start",
                   "{\"type\":\"content_block_start\",\"index\":" + QByteArray::number(index) +
                       ",\"content_block\":" + block + "}");
    };
    const auto stopBlock = [&] {
        s += event("content_block_stop",
                   "{\"type\":\"content_block_stop\",\"index\":" + QByteArray::number(index) + "}");
        ++index;
    };

    while (s.size() < kTargetBytes) {
        // Thinking, with a signature at the end.
        startBlock(R"({"type":"thinking","thinking":"","signature":""})");
        for (int i = 0; i < 150; ++i) {
            QByteArray body;
            for (int n = piecesPerDelta(random); n > 0; --n) {
                const Piece &piece = pieces[pick(random)];
                body += piece.json;
                recording.totalThinking += piece.text.size();
            }
            s += deltaEvent(index, "thinking_delta", "thinking", body);
        }
        s += deltaEvent(index, "signature_delta", "signature",
                        "RXVnZW5lIHNpZ25hdHVyZSBmb3IgdGhlIGJlbmNobWFyaw==");
        recording.textLengths.append(-1);
        stopBlock();

        // A long text block.
        startBlock(R"({"type":"text","text":""})");
        qsizetype length = 0;
        for (int i = 0; i < 6000; ++i) {
            QByteArray body;
            for (int n = piecesPerDelta(random); n > 0; --n) {
                const Piece &piece = pieces[pick(random)];
                body += piece.json;
                length += piece.text.size();
                if (recording.textLengths.size() == 1)
                    recording.firstText += piece.text;
            }
            s += deltaEvent(index, "text_delta", "text", body);
            if (i % 1000 == 999)
                s += event("ping", R"({"type": "ping"})");
        }
        recording.textLengths.append(length);
        recording.totalText += length;
        stopBlock();

        // A tool call whose input arrives in pieces.
        startBlock("{\"type\":\"tool_use\",\"id\":\"toolu_" + QByteArray::number(index) +
                   R"(","name":"get_weather","input":{}})");
        for (const char *part :
             {"", R"({\"locati)", R"(on\": \"P)", "ar", R"(is\", \"unit)", R"(\": \"celsius\"})"})
            s += deltaEvent(index, "input_json_delta", "partial_json", part);
        recording.textLengths.append(-1);
        ++recording.toolBlocks;
        stopBlock();
    }
    s += event(
        "message_delta",
        R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":4242}})");
    s += event("message_stop", R"({"type":"message_stop"})");
    return recording;
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

// One run: the time taken, after checking the assembled message against the recording.
Timing decode(const Recording &recording, qint64 *fastPathEvents)
{
    Timing timing;
    const Timing failed;
    QElapsedTimer timer;
    timer.start();
    const double cpuStart = threadCpuSeconds();
    SseParser parser;
    MessageStreamAssembler assembler;
    QList<SseEvent> events;
    const QByteArrayView stream(recording.stream);
    for (qsizetype pos = 0; pos < stream.size(); pos += kChunkBytes) {
        events.clear();
        if (!parser.feed(stream.sliced(pos, qMin(kChunkBytes, stream.size() - pos)), events)) {
            std::fprintf(stderr, "SSE error: %s\n", qPrintable(parser.errorString()));
            return failed;
        }
        for (const SseEvent &e : events)
            assembler.feed(e.event, e.data);
    }
    events.clear();
    parser.finish(events);
    for (const SseEvent &e : events)
        assembler.feed(e.event, e.data);
    timing.cpuSeconds = threadCpuSeconds() - cpuStart;
    timing.wallSeconds = double(timer.nsecsElapsed()) / 1e9;

    if (!assembler.isComplete()) {
        std::fprintf(stderr, "stream incomplete: %s\n", qPrintable(assembler.errorMessage()));
        return failed;
    }
    const Message &message = assembler.message();
    if (message.content.size() != recording.textLengths.size()) {
        std::fprintf(stderr, "expected %lld blocks, got %lld\n",
                     qlonglong(recording.textLengths.size()), qlonglong(message.content.size()));
        return failed;
    }
    qsizetype totalText = 0;
    qsizetype totalThinking = 0;
    for (qsizetype i = 0; i < message.content.size(); ++i) {
        const ContentBlock &block = message.content.at(i);
        const qsizetype expected = recording.textLengths.at(i);
        if (expected >= 0 && block.text.size() != expected) {
            std::fprintf(stderr, "block %lld: expected %lld characters, got %lld\n", qlonglong(i),
                         qlonglong(expected), qlonglong(block.text.size()));
            return failed;
        }
        if (block.type == ContentBlockType::ToolUse &&
            block.input.toObject().value(QLatin1String("location")).toString() !=
                QLatin1String("Paris")) {
            std::fprintf(stderr, "block %lld: tool input not assembled\n", qlonglong(i));
            return failed;
        }
        totalText += block.text.size();
        totalThinking += block.thinking.size();
    }
    if (totalText != recording.totalText || totalThinking != recording.totalThinking ||
        message.content.at(1).text != recording.firstText) {
        std::fprintf(stderr, "assembled text differs: %lld/%lld text, %lld/%lld thinking\n",
                     qlonglong(totalText), qlonglong(recording.totalText), qlonglong(totalThinking),
                     qlonglong(recording.totalThinking));
        return failed;
    }
    *fastPathEvents = assembler.fastPathEventCount();
    return timing;
}

} // namespace

int main()
{
    const Recording recording = record();
    const double megabytes = double(recording.stream.size()) / 1e6;
    std::printf("recorded %.1f MB: %lld blocks (%d tool calls), %lld text and %lld thinking "
                "characters\n",
                megabytes, qlonglong(recording.textLengths.size()), recording.toolBlocks,
                qlonglong(recording.totalText), qlonglong(recording.totalThinking));

    std::vector<double> rates;
    std::vector<double> wallRates;
    for (int run = 1; run <= kRuns; ++run) {
        qint64 fastPathEvents = 0;
        const Timing timing = decode(recording, &fastPathEvents);
        if (timing.cpuSeconds < 0)
            return 1;
        rates.push_back(megabytes / timing.cpuSeconds);
        wallRates.push_back(megabytes / timing.wallSeconds);
        std::printf("run %d: %.3f s CPU (%.1f MB/s), %.3f s wall (%.1f MB/s), %lld events on the "
                    "fast path\n",
                    run, timing.cpuSeconds, rates.back(), timing.wallSeconds, wallRates.back(),
                    qlonglong(fastPathEvents));
    }
    std::sort(rates.begin(), rates.end());
    std::sort(wallRates.begin(), wallRates.end());
    std::printf("wall clock: median %.1f MB/s\n", wallRates[kRuns / 2]);
    std::printf("stream-parse: median %.1f MB/s over %d runs (%.1f MB)\n", rates[kRuns / 2], kRuns,
                megabytes);
    qlaude::bench::report("SSE parse + assemble (CPU)", rates, "MB/s",
                          qlaude::bench::Target::none(qlaude::bench::Better::Higher));
    return 0;
}
