// EventStreamDecoder (AWS application/vnd.amazon.eventstream, Bedrock) over arbitrary bytes.
// Properties: the messages, their headers and the failure do not depend on where the reads end;
// a Bedrock chunk's payload ({"bytes": base64 event JSON}) goes to MessageStreamAssembler
// without crashing.
#include "EventStreamDecoder.h"
#include "FuzzSupport.h"
#include "MessageStreamAssembler.h"

#include <QJsonDocument>
#include <QJsonObject>

using namespace qlaude;

namespace {

struct Decoded
{
    QList<EventStreamMessage> messages;
    bool ok = true;
};

Decoded decode(const std::vector<QByteArrayView> &reads)
{
    EventStreamDecoder decoder;
    Decoded d;
    for (const QByteArrayView read : reads) {
        if (!decoder.feed(read, d.messages)) {
            d.ok = false;
            QLAUDE_FUZZ_CHECK(!decoder.errorString().isEmpty(), "a decoder error without text");
            return d;
        }
    }
    d.ok = decoder.finish();
    return d;
}

bool same(const Decoded &a, const Decoded &b)
{
    if (a.ok != b.ok || a.messages.size() != b.messages.size())
        return false;
    for (qsizetype i = 0; i < a.messages.size(); ++i) {
        const EventStreamMessage &x = a.messages[i];
        const EventStreamMessage &y = b.messages[i];
        if (x.payload != y.payload || x.headers.size() != y.headers.size())
            return false;
        for (qsizetype h = 0; h < x.headers.size(); ++h) {
            if (x.headers[h].name != y.headers[h].name || x.headers[h].type != y.headers[h].type ||
                x.headers[h].value != y.headers[h].value)
                return false;
        }
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView stream = fuzz::view(data, size);
    const Decoded whole = decode({stream});
    QLAUDE_FUZZ_CHECK(same(whole, decode(fuzz::pieces(stream))),
                      "event-stream messages depend on where the reads end");
    std::vector<QByteArrayView> bytes;
    for (qsizetype i = 0; i < stream.size(); ++i)
        bytes.push_back(stream.sliced(i, 1));
    QLAUDE_FUZZ_CHECK(same(whole, decode(bytes)),
                      "event-stream messages differ when read one byte at a time");

    MessageStreamAssembler assembler;
    for (const EventStreamMessage &m : whole.messages) {
        (void)m.stringHeader(":event-type");
        (void)m.header(":message-type");
        const QJsonObject chunk = QJsonDocument::fromJson(m.payload).object();
        const QByteArray event =
            QByteArray::fromBase64(chunk.value(QLatin1String("bytes")).toString().toLatin1());
        if (!assembler.feed(QByteArrayView(), event))
            break;
    }
    return 0;
}
