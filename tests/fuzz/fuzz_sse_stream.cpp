// SseParser and MessageStreamAssembler over arbitrary response bodies. Properties: the events
// (and whether the parser failed) do not depend on how the body is cut into reads, with the
// default and with a small event limit; the assembler takes any event without crashing (a
// server's own error message passes through it; ApiError::scrub removes secrets later).
#include "FuzzSupport.h"
#include "MessageStreamAssembler.h"
#include "SseParser.h"

using namespace qlaude;

namespace {

struct Parsed
{
    QList<SseEvent> events;
    bool ok = true;
};

Parsed parse(const std::vector<QByteArrayView> &reads, qsizetype maxEventBytes)
{
    SseParser parser(maxEventBytes);
    Parsed p;
    for (const QByteArrayView read : reads) {
        if (!parser.feed(read, p.events)) {
            p.ok = false;
            return p;
        }
    }
    p.ok = parser.finish(p.events);
    return p;
}

bool same(const Parsed &a, const Parsed &b)
{
    if (a.ok != b.ok || a.events.size() != b.events.size())
        return false;
    for (qsizetype i = 0; i < a.events.size(); ++i) {
        if (a.events[i].event != b.events[i].event || a.events[i].data != b.events[i].data)
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView body = fuzz::view(data, size);
    std::vector<QByteArrayView> bytes;
    for (qsizetype i = 0; i < body.size(); ++i)
        bytes.push_back(body.sliced(i, 1));
    for (const qsizetype limit : {SseParser::kDefaultMaxEventBytes, qsizetype(64)}) {
        const Parsed whole = parse({body}, limit);
        QLAUDE_FUZZ_CHECK(same(whole, parse(fuzz::pieces(body), limit)),
                          "SSE events depend on where the reads end");
        QLAUDE_FUZZ_CHECK(same(whole, parse(bytes, limit)),
                          "SSE events differ when read one byte at a time");
        if (limit != SseParser::kDefaultMaxEventBytes)
            continue;
        MessageStreamAssembler assembler;
        for (const SseEvent &e : whole.events) {
            if (!assembler.feed(e))
                break;
        }
        (void)assembler.isComplete();
        (void)assembler.message();
    }
    return 0;
}
