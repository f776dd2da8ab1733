#include "MessageStreamAssembler.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <cstring>

namespace qlaude {

namespace {

// ---- Fast path: JSON string decoding ----------------------------------------------------
//
// These decode only input they are sure about, with exactly QJsonDocument's result; for
// anything else they return nullptr and the caller falls back to QJsonDocument, which then
// decides (and reports malformed input). That keeps the two paths identical by construction.

int hexValue(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20; // lower case
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// The code unit of the four hex digits at p, or -1.
int hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    int value = 0;
    for (int i = 0; i < 4; ++i) {
        const int digit = hexValue(static_cast<unsigned char>(p[i]));
        if (digit < 0)
            return -1;
        value = (value << 4) | digit;
    }
    return value;
}

bool isNonCharacter(char32_t cp)
{
    return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

// A strictly valid multi-byte UTF-8 sequence at p: its length (2-4) and code point, or 0.
// Noncharacters are refused too: the fallback decides about them.
int decodeUtf8Sequence(const unsigned char *p, const unsigned char *end, char32_t &cp)
{
    const unsigned c = p[0];
    const auto isContinuation = [](unsigned char b) { return (b & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) {
        if (end - p < 2 || !isContinuation(p[1]))
            return 0;
        cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (end - p < 3 || !isContinuation(p[1]) || !isContinuation(p[2]))
            return 0;
        cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) || isNonCharacter(cp))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (end - p < 4 || !isContinuation(p[1]) || !isContinuation(p[2]) || !isContinuation(p[3]))
            return 0;
        cp = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        if (cp < 0x10000 || cp > 0x10FFFF || isNonCharacter(cp))
            return 0;
        return 4;
    }
    return 0;
}

bool isHighSurrogate(int unit)
{
    return unit >= 0xD800 && unit <= 0xDBFF;
}

bool isLowSurrogate(int unit)
{
    return unit >= 0xDC00 && unit <= 0xDFFF;
}

char *appendUtf8(char *out, char32_t cp)
{
    if (cp < 0x80) {
        *out++ = char(cp);
    } else if (cp < 0x800) {
        *out++ = char(0xC0 | (cp >> 6));
        *out++ = char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *out++ = char(0xE0 | (cp >> 12));
        *out++ = char(0x80 | ((cp >> 6) & 0x3F));
        *out++ = char(0x80 | (cp & 0x3F));
    } else {
        *out++ = char(0xF0 | (cp >> 18));
        *out++ = char(0x80 | ((cp >> 12) & 0x3F));
        *out++ = char(0x80 | ((cp >> 6) & 0x3F));
        *out++ = char(0x80 | (cp & 0x3F));
    }
    return out;
}

// Decodes the inside of a JSON string literal (between the quotes) to UTF-16 (Char =
// char16_t) or UTF-8 (Char = char). Writes at most end - p code units. Returns the new end of
// the output, or nullptr when the fallback must decide.
// True if none of the 8 bytes needs attention: all are printable ASCII other than '"' and '\\'.
bool isPlainAscii8(const char *p)
{
    constexpr quint64 Ones = 0x0101010101010101ULL;
    constexpr quint64 Highs = 0x8080808080808080ULL;
    quint64 word;
    std::memcpy(&word, p, 8);
    const auto hasZeroByte = [](quint64 v) { return (v - Ones) & ~v & Highs; };
    const quint64 special = (word | ((word - 0x20 * Ones) & ~word)) & Highs; // >= 0x80 or < 0x20
    return !special && !hasZeroByte(word ^ ('"' * Ones)) && !hasZeroByte(word ^ ('\\' * Ones));
}

template<typename Char> Char *decodeJsonString(const char *p, const char *end, Char *out)
{
    constexpr bool toUtf16 = sizeof(Char) == 2;
    while (p < end) {
        // Runs of plain ASCII, the bulk of any answer, go 8 bytes at a time.
        while (end - p >= 8 && isPlainAscii8(p)) {
            for (int i = 0; i < 8; ++i)
                out[i] = Char(static_cast<unsigned char>(p[i]));
            out += 8;
            p += 8;
        }
        if (p == end)
            break;
        const auto c = static_cast<unsigned char>(*p);
        if (c >= 0x20 && c < 0x80 && c != '\\' && c != '"') {
            *out++ = Char(c);
            ++p;
            continue;
        }
        if (c == '\\') {
            if (end - p < 2)
                return nullptr;
            const char escape = p[1];
            p += 2;
            switch (escape) {
            case '"':
            case '\\':
            case '/':
                *out++ = Char(escape);
                break;
            case 'b':
                *out++ = Char('\b');
                break;
            case 'f':
                *out++ = Char('\f');
                break;
            case 'n':
                *out++ = Char('\n');
                break;
            case 'r':
                *out++ = Char('\r');
                break;
            case 't':
                *out++ = Char('\t');
                break;
            case 'u': {
                const int unit = hex4(p, end);
                if (unit < 0)
                    return nullptr;
                p += 4;
                if constexpr (toUtf16) {
                    // QJsonDocument keeps \u escapes as code units, paired or not.
                    *out++ = Char(unit);
                } else if (isHighSurrogate(unit)) {
                    const int low =
                        (end - p >= 6 && p[0] == '\\' && p[1] == 'u') ? hex4(p + 2, end) : -1;
                    if (!isLowSurrogate(low))
                        return nullptr; // a lone surrogate has no UTF-8 form
                    p += 6;
                    out = appendUtf8(out, 0x10000 + ((char32_t(unit) - 0xD800) << 10) +
                                              (char32_t(low) - 0xDC00));
                } else if (isLowSurrogate(unit)) {
                    return nullptr;
                } else {
                    out = appendUtf8(out, char32_t(unit));
                }
                break;
            }
            default:
                return nullptr;
            }
            continue;
        }
        if (c < 0x80)
            return nullptr; // a raw control character, or a quote that ends the string early
        char32_t cp = 0;
        const int length = decodeUtf8Sequence(reinterpret_cast<const unsigned char *>(p),
                                              reinterpret_cast<const unsigned char *>(end), cp);
        if (length == 0)
            return nullptr;
        if constexpr (toUtf16) {
            if (cp < 0x10000) {
                *out++ = Char(cp);
            } else {
                *out++ = Char(0xD800 + ((cp - 0x10000) >> 10));
                *out++ = Char(0xDC00 + ((cp - 0x10000) & 0x3FF));
            }
        } else {
            std::memcpy(out, p, size_t(length));
            out += length;
        }
        p += length;
    }
    return out;
}

// Makes room for `extra` more elements with geometric growth, so that a block receiving
// thousands of small deltas is appended to in amortized O(1).
template<typename String> void reserveForAppend(String &string, qsizetype extra)
{
    const qsizetype needed = string.size() + extra;
    if (needed > string.capacity())
        string.reserve(qMax(needed, string.capacity() * 2));
}

// Appends the decoded JSON string [begin, end) to `text`; leaves it unchanged and returns
// false when the fallback must decide.
bool appendDecodedUtf16(QString &text, const char *begin, const char *end)
{
    const qsizetype oldSize = text.size();
    reserveForAppend(text, end - begin);
    text.resize(oldSize + (end - begin));
    auto *out = reinterpret_cast<char16_t *>(text.data()) + oldSize;
    char16_t *outEnd = decodeJsonString(begin, end, out);
    text.resize(outEnd ? oldSize + (outEnd - out) : oldSize);
    return outEnd != nullptr;
}

bool appendDecodedUtf8(QByteArray &bytes, const char *begin, const char *end)
{
    const qsizetype oldSize = bytes.size();
    reserveForAppend(bytes, end - begin);
    bytes.resize(oldSize + (end - begin));
    char *out = bytes.data() + oldSize;
    char *outEnd = decodeJsonString(begin, end, out);
    bytes.resize(outEnd ? oldSize + (outEnd - out) : oldSize);
    return outEnd != nullptr;
}

// ---- Fast path: recognising a content_block_delta ---------------------------------------
//
// Accepts exactly {"type":"content_block_delta","index":N,"delta":{"type":T,F:"..."}} in any
// key order with any JSON whitespace, where T is text_delta/thinking_delta/input_json_delta
// and F its one string field. Anything else (other keys, duplicates, escapes in keys,
// numbers that are not plain integers) is left to QJsonDocument.

// Inline, constant-length comparisons: QByteArrayView's operator== calls into QtCore.
template<size_t N> bool equals(QByteArrayView view, const char (&literal)[N])
{
    return view.size() == qsizetype(N - 1) && std::memcmp(view.data(), literal, N - 1) == 0;
}

template<size_t N> bool startsWith(const char *p, const char *end, const char (&literal)[N])
{
    return end - p >= qsizetype(N - 1) && std::memcmp(p, literal, N - 1) == 0;
}

struct FastDelta
{
    qsizetype index = -1;
    int kind = -1; // 0 text, 1 thinking, 2 input json
    const char *string = nullptr;
    const char *stringEnd = nullptr;
};

// The exact byte layout the API sends:
// {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"..."}}
// Checked with a few memcmp calls; the string's inside is left to decodeJsonString, which
// also refuses an unescaped quote in it (that would be a different object).
bool scanCanonicalDelta(const char *p, const char *end, FastDelta &delta)
{
    static constexpr char Head[] = "{\"type\":\"content_block_delta\",\"index\":";
    static constexpr char DeltaHead[] = ",\"delta\":{\"type\":\"";
    static constexpr char Text[] = "text_delta\",\"text\":\"";
    static constexpr char Thinking[] = "thinking_delta\",\"thinking\":\"";
    static constexpr char Input[] = "input_json_delta\",\"partial_json\":\"";
    if (!startsWith(p, end, Head))
        return false;
    p += sizeof(Head) - 1;
    const char *digits = p;
    qsizetype index = 0;
    while (p < end && *p >= '0' && *p <= '9' && p - digits < 9)
        index = index * 10 + (*p++ - '0');
    if (p == digits || (p - digits > 1 && *digits == '0') || !startsWith(p, end, DeltaHead))
        return false;
    p += sizeof(DeltaHead) - 1;
    if (startsWith(p, end, Text)) {
        delta.kind = 0;
        p += sizeof(Text) - 1;
    } else if (startsWith(p, end, Thinking)) {
        delta.kind = 1;
        p += sizeof(Thinking) - 1;
    } else if (startsWith(p, end, Input)) {
        delta.kind = 2;
        p += sizeof(Input) - 1;
    } else {
        return false;
    }
    if (end - p < 3 || std::memcmp(end - 3, "\"}}", 3) != 0)
        return false;
    delta.index = index;
    delta.string = p;
    delta.stringEnd = end - 3;
    return true;
}

class FastScanner
{
public:
    FastScanner(const char *begin, const char *end) : m_p(begin), m_end(end) {}

    bool scan(FastDelta &delta)
    {
        bool haveType = false;
        bool haveDelta = false;
        if (!openObject())
            return false;
        do {
            QByteArrayView key;
            if (!readKey(key))
                return false;
            if (equals(key, "type")) {
                QByteArrayView type;
                if (haveType || !readPlainString(type) || !equals(type, "content_block_delta"))
                    return false;
                haveType = true;
            } else if (equals(key, "index")) {
                if (delta.index >= 0 || !readIndex(delta.index))
                    return false;
            } else if (equals(key, "delta")) {
                if (haveDelta || !scanDelta(delta))
                    return false;
                haveDelta = true;
            } else {
                return false;
            }
        } while (nextMember());
        if (!closeObject())
            return false;
        skipWhitespace();
        return m_p == m_end && haveType && haveDelta && delta.index >= 0;
    }

private:
    bool scanDelta(FastDelta &delta)
    {
        int typeKind = -1;
        int fieldKind = -1;
        if (!openObject())
            return false;
        do {
            QByteArrayView key;
            if (!readKey(key))
                return false;
            if (equals(key, "type")) {
                QByteArrayView type;
                if (typeKind >= 0 || !readPlainString(type))
                    return false;
                if (equals(type, "text_delta"))
                    typeKind = 0;
                else if (equals(type, "thinking_delta"))
                    typeKind = 1;
                else if (equals(type, "input_json_delta"))
                    typeKind = 2;
                else
                    return false;
            } else {
                int kind = -1;
                if (equals(key, "text"))
                    kind = 0;
                else if (equals(key, "thinking"))
                    kind = 1;
                else if (equals(key, "partial_json"))
                    kind = 2;
                if (kind < 0 || fieldKind >= 0 || !readStringSpan(delta.string, delta.stringEnd))
                    return false;
                fieldKind = kind;
            }
        } while (nextMember());
        if (!closeObject() || typeKind < 0 || typeKind != fieldKind)
            return false;
        delta.kind = typeKind;
        return true;
    }

    void skipWhitespace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }

    bool expect(char c)
    {
        skipWhitespace();
        if (m_p == m_end || *m_p != c)
            return false;
        ++m_p;
        return true;
    }

    bool openObject() { return expect('{'); }
    bool closeObject() { return expect('}'); }

    // After a member: true if a ',' follows (another member), false at anything else.
    bool nextMember()
    {
        skipWhitespace();
        if (m_p < m_end && *m_p == ',') {
            ++m_p;
            return true;
        }
        return false;
    }

    bool readKey(QByteArrayView &key) { return readPlainString(key) && expect(':'); }

    // A string without escapes or control characters.
    bool readPlainString(QByteArrayView &value)
    {
        if (!expect('"'))
            return false;
        const char *begin = m_p;
        while (m_p < m_end && *m_p != '"') {
            if (*m_p == '\\' || static_cast<unsigned char>(*m_p) < 0x20)
                return false;
            ++m_p;
        }
        if (m_p == m_end)
            return false;
        value = QByteArrayView(begin, m_p - begin);
        ++m_p;
        return true;
    }

    // Any string: the span between its quotes, escapes still in place.
    bool readStringSpan(const char *&begin, const char *&end)
    {
        if (!expect('"'))
            return false;
        begin = m_p;
        while (m_p < m_end && *m_p != '"') {
            if (*m_p == '\\' && ++m_p == m_end)
                return false;
            ++m_p;
        }
        if (m_p == m_end)
            return false;
        end = m_p;
        ++m_p;
        return true;
    }

    // A non-negative integer without sign, fraction, exponent or leading zeros.
    bool readIndex(qsizetype &index)
    {
        skipWhitespace();
        const char *begin = m_p;
        qsizetype value = 0;
        while (m_p < m_end && *m_p >= '0' && *m_p <= '9' && m_p - begin < 9) {
            value = value * 10 + (*m_p - '0');
            ++m_p;
        }
        const qsizetype digits = m_p - begin;
        if (digits == 0 || (digits > 1 && *begin == '0'))
            return false;
        if (m_p < m_end &&
            ((*m_p >= '0' && *m_p <= '9') || *m_p == '.' || *m_p == 'e' || *m_p == 'E'))
            return false;
        index = value;
        return true;
    }

    const char *m_p;
    const char *m_end;
};

QString shortened(QByteArrayView data)
{
    constexpr qsizetype MaxShown = 200;
    QString text = QString::fromUtf8(data.first(qMin(data.size(), MaxShown)));
    if (data.size() > MaxShown)
        text += QChar(0x2026);
    return text;
}

} // namespace

// ---- MessageStreamAssembler ---------------------------------------------------------------

MessageStreamAssembler::MessageStreamAssembler(MessageStreamListener *listener)
    : m_listener(listener)
{
}

void MessageStreamAssembler::reset()
{
    m_message = Message();
    m_blocks.clear();
    m_errorType.clear();
    m_errorMessage.clear();
    m_errorRequestId.clear();
    m_fastPathEvents = 0;
    m_started = false;
    m_stopped = false;
    m_error = false;
    m_serverError = false;
}

const char *MessageStreamAssembler::eventKindName(EventKind kind)
{
    switch (kind) {
    case EventKind::Ping:
        return "ping";
    case EventKind::Error:
        return "error";
    case EventKind::MessageStart:
        return "message_start";
    case EventKind::BlockStart:
        return "content_block_start";
    case EventKind::BlockDelta:
        return "content_block_delta";
    case EventKind::BlockStop:
        return "content_block_stop";
    case EventKind::MessageDelta:
        return "message_delta";
    case EventKind::MessageStop:
        return "message_stop";
    case EventKind::Unknown:
        break;
    }
    return "an unknown event";
}

MessageStreamAssembler::EventKind MessageStreamAssembler::eventKind(QByteArrayView name)
{
    if (equals(name, "content_block_delta"))
        return EventKind::BlockDelta;
    if (equals(name, "ping"))
        return EventKind::Ping;
    if (equals(name, "error"))
        return EventKind::Error;
    if (equals(name, "message_start"))
        return EventKind::MessageStart;
    if (equals(name, "content_block_start"))
        return EventKind::BlockStart;
    if (equals(name, "content_block_stop"))
        return EventKind::BlockStop;
    if (equals(name, "message_delta"))
        return EventKind::MessageDelta;
    if (equals(name, "message_stop"))
        return EventKind::MessageStop;
    return EventKind::Unknown;
}

bool MessageStreamAssembler::feed(QByteArrayView eventName, QByteArrayView data)
{
    if (m_error)
        return false;
    const bool named = !eventName.isEmpty();
    EventKind kind = named ? eventKind(eventName) : EventKind::Unknown;
    if (kind == EventKind::Ping)
        return true;
    if (named && kind == EventKind::Unknown)
        return true; // a newer event kind; the versioning policy says to ignore it

    if ((!named || kind == EventKind::BlockDelta) && tryFastDelta(data))
        return !m_error;

    QJsonParseError parseError;
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArray::fromRawData(data.data(), data.size()), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        if (kind == EventKind::Error) {
            return failFromServer(QStringLiteral("api_error"),
                                  QStringLiteral("The server reported an error in the response "
                                                 "stream: %1")
                                      .arg(shortened(data)),
                                  QString());
        }
        const QString reason = parseError.error != QJsonParseError::NoError
                                   ? parseError.errorString()
                                   : QStringLiteral("not an object");
        return fail(QStringLiteral("The response stream contained an event that is not valid "
                                   "JSON (%1 at offset %2): %3")
                        .arg(reason)
                        .arg(parseError.offset)
                        .arg(shortened(data)));
    }
    const QJsonObject event = document.object();
    const QString type = event.value(QLatin1String("type")).toString();
    // An error is never dropped, whatever the event is called.
    if (kind == EventKind::Error || type == u"error")
        return handleServerError(event);
    if (!named)
        kind = eventKind(type.toUtf8());
    return handleEvent(kind, event);
}

bool MessageStreamAssembler::tryFastDelta(QByteArrayView data)
{
    if (!m_started || m_stopped)
        return false;
    FastDelta delta;
    const char *begin = data.data();
    const char *end = begin + data.size();
    if (!scanCanonicalDelta(begin, end, delta) && !FastScanner(begin, end).scan(delta))
        return false;
    if (delta.index >= m_blocks.size() || !m_blocks.at(delta.index).open)
        return false;
    const int index = int(delta.index);
    ContentBlock &block = m_message.content[index];
    switch (delta.kind) {
    case 0: {
        if (block.type != ContentBlockType::Text)
            return false;
        const qsizetype oldSize = block.text.size();
        if (!appendDecodedUtf16(block.text, delta.string, delta.stringEnd))
            return false;
        ++m_fastPathEvents;
        if (m_listener)
            m_listener->textDelta(index, QStringView(block.text).sliced(oldSize));
        return true;
    }
    case 1: {
        if (block.type != ContentBlockType::Thinking)
            return false;
        const qsizetype oldSize = block.thinking.size();
        if (!appendDecodedUtf16(block.thinking, delta.string, delta.stringEnd))
            return false;
        ++m_fastPathEvents;
        if (m_listener)
            m_listener->thinkingDelta(index, QStringView(block.thinking).sliced(oldSize));
        return true;
    }
    case 2: {
        BlockState &state = m_blocks[index];
        if (!state.tracksInput)
            return false;
        const qsizetype oldSize = state.partialJson.size();
        if (!appendDecodedUtf8(state.partialJson, delta.string, delta.stringEnd))
            return false;
        ++m_fastPathEvents;
        if (m_listener)
            m_listener->toolInputDelta(index, QByteArrayView(state.partialJson).sliced(oldSize));
        return true;
    }
    default:
        return false;
    }
}

bool MessageStreamAssembler::handleEvent(EventKind kind, const QJsonObject &event)
{
    if (kind == EventKind::Unknown || kind == EventKind::Ping || kind == EventKind::Error)
        return true; // newer kinds are ignored; errors were handled by feed()
    if (m_stopped)
        return true; // nothing may change a finished message
    if (kind != EventKind::MessageStart && !m_started) {
        return fail(QStringLiteral("The response stream sent %1 before message_start.")
                        .arg(QLatin1String(eventKindName(kind))));
    }
    switch (kind) {
    case EventKind::MessageStart:
        return handleMessageStart(event);
    case EventKind::BlockStart:
        return handleBlockStart(event);
    case EventKind::BlockDelta:
        return handleBlockDelta(event);
    case EventKind::BlockStop:
        return handleBlockStop(event);
    case EventKind::MessageDelta:
        return handleMessageDelta(event);
    case EventKind::MessageStop:
        m_stopped = true;
        if (m_listener)
            m_listener->messageStopped(m_message);
        return true;
    case EventKind::Unknown:
    case EventKind::Ping:
    case EventKind::Error:
        break;
    }
    return true;
}

bool MessageStreamAssembler::handleMessageStart(const QJsonObject &event)
{
    if (m_started)
        return fail(QStringLiteral("The response stream sent a second message_start."));
    const QJsonValue message = event.value(QLatin1String("message"));
    if (!message.isObject())
        return fail(QStringLiteral("The response stream sent a message_start without a message."));
    m_message = Message::fromJson(message.toObject());
    m_blocks = QList<BlockState>(m_message.content.size());
    m_started = true;
    if (m_listener)
        m_listener->messageStarted(m_message);
    return true;
}

bool MessageStreamAssembler::handleBlockStart(const QJsonObject &event)
{
    const QJsonValue indexValue = event.value(QLatin1String("index"));
    const QJsonValue blockValue = event.value(QLatin1String("content_block"));
    if (!indexValue.isDouble() || !blockValue.isObject())
        return fail(QStringLiteral("The response stream sent a malformed content_block_start."));
    const qint64 index = indexValue.toInteger(-1);
    if (index != m_message.content.size()) {
        return fail(QStringLiteral("The response stream started content block %1 where block %2 "
                                   "was expected.")
                        .arg(indexValue.toDouble())
                        .arg(m_message.content.size()));
    }
    ContentBlock block = ContentBlock::fromJson(blockValue.toObject());
    BlockState state;
    state.open = true;
    // server_tool_use and mcp_tool_use stream their input like tool_use does.
    state.tracksInput =
        block.type == ContentBlockType::ToolUse ||
        (block.type == ContentBlockType::Other && block.raw.contains(QLatin1String("input")));
    m_message.content.append(block);
    m_blocks.append(state);
    if (m_listener)
        m_listener->blockStarted(int(index), m_message.content.constLast());
    return true;
}

int MessageStreamAssembler::openBlockIndex(const QJsonObject &event, const char *eventName)
{
    const QJsonValue indexValue = event.value(QLatin1String("index"));
    const qint64 index = indexValue.isDouble() ? indexValue.toInteger(-1) : -1;
    if (index < 0 || index >= m_blocks.size()) {
        fail(QStringLiteral("The response stream sent %1 for content block %2, which was never "
                            "started.")
                 .arg(QLatin1String(eventName), indexValue.toVariant().toString()));
        return -1;
    }
    if (!m_blocks.at(index).open) {
        fail(QStringLiteral("The response stream sent %1 for content block %2 after it ended.")
                 .arg(QLatin1String(eventName))
                 .arg(index));
        return -1;
    }
    return int(index);
}

bool MessageStreamAssembler::handleBlockDelta(const QJsonObject &event)
{
    const int index = openBlockIndex(event, "content_block_delta");
    if (index < 0)
        return false;
    const QJsonObject delta = event.value(QLatin1String("delta")).toObject();
    const QString deltaType = delta.value(QLatin1String("type")).toString();
    ContentBlock &block = m_message.content[index];

    const auto requireString = [&](QLatin1String field, bool blockMatches, QString &value) -> bool {
        const QJsonValue fieldValue = delta.value(field);
        if (!blockMatches || !fieldValue.isString()) {
            return fail(QStringLiteral("The response stream sent a %1 that does not fit content "
                                       "block %2 (a %3 block).")
                            .arg(deltaType)
                            .arg(index)
                            .arg(block.typeName()));
        }
        value = fieldValue.toString();
        return true;
    };

    QString value;
    if (deltaType == u"text_delta") {
        if (!requireString(QLatin1String("text"), block.type == ContentBlockType::Text, value))
            return false;
        appendText(index, value);
    } else if (deltaType == u"thinking_delta") {
        if (!requireString(QLatin1String("thinking"), block.type == ContentBlockType::Thinking,
                           value))
            return false;
        appendThinking(index, value);
    } else if (deltaType == u"signature_delta") {
        if (!requireString(QLatin1String("signature"), block.type == ContentBlockType::Thinking,
                           value))
            return false;
        block.signature = value; // replaces: the signature is sent whole
        if (m_listener)
            m_listener->signatureSet(index, block.signature);
    } else if (deltaType == u"input_json_delta") {
        if (!requireString(QLatin1String("partial_json"), m_blocks.at(index).tracksInput, value))
            return false;
        appendInputJson(index, value.toUtf8());
    } else if (deltaType == u"citations_delta") {
        const QJsonValue citation = delta.value(QLatin1String("citation"));
        if (block.type != ContentBlockType::Text || !citation.isObject()) {
            return fail(QStringLiteral("The response stream sent a citations_delta that does not "
                                       "fit content block %1 (a %2 block).")
                            .arg(index)
                            .arg(block.typeName()));
        }
        block.citations.append(citation);
        if (m_listener)
            m_listener->citationAdded(index, citation.toObject());
    }
    // Other delta types are newer than this client: ignored.
    return true;
}

void MessageStreamAssembler::appendText(int index, QStringView text)
{
    QString &target = m_message.content[index].text;
    const qsizetype oldSize = target.size();
    reserveForAppend(target, text.size());
    target.append(text);
    if (m_listener)
        m_listener->textDelta(index, QStringView(target).sliced(oldSize));
}

void MessageStreamAssembler::appendThinking(int index, QStringView thinking)
{
    QString &target = m_message.content[index].thinking;
    const qsizetype oldSize = target.size();
    reserveForAppend(target, thinking.size());
    target.append(thinking);
    if (m_listener)
        m_listener->thinkingDelta(index, QStringView(target).sliced(oldSize));
}

void MessageStreamAssembler::appendInputJson(int index, QByteArrayView partialJson)
{
    QByteArray &target = m_blocks[index].partialJson;
    const qsizetype oldSize = target.size();
    reserveForAppend(target, partialJson.size());
    target.append(partialJson);
    if (m_listener)
        m_listener->toolInputDelta(index, QByteArrayView(target).sliced(oldSize));
}

bool MessageStreamAssembler::handleBlockStop(const QJsonObject &event)
{
    const int index = openBlockIndex(event, "content_block_stop");
    if (index < 0)
        return false;
    BlockState &state = m_blocks[index];
    ContentBlock &block = m_message.content[index];
    if (state.tracksInput) {
        QJsonValue input = QJsonObject();
        if (!state.partialJson.isEmpty()) {
            QJsonParseError parseError;
            const QJsonDocument document = QJsonDocument::fromJson(state.partialJson, &parseError);
            if (parseError.error != QJsonParseError::NoError) {
                return fail(QStringLiteral("The input of tool call %1 (content block %2) is not "
                                           "valid JSON: %3 at offset %4.")
                                .arg(block.name.isEmpty() ? block.typeName() : block.name)
                                .arg(index)
                                .arg(parseError.errorString())
                                .arg(parseError.offset));
            }
            input =
                document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array());
        }
        block.input = input;
        if (block.type == ContentBlockType::Other)
            block.raw.insert(QLatin1String("input"), input);
        state.partialJson = QByteArray();
    }
    state.open = false;
    if (m_listener)
        m_listener->blockStopped(index, block);
    return true;
}

bool MessageStreamAssembler::handleMessageDelta(const QJsonObject &event)
{
    const QJsonObject delta = event.value(QLatin1String("delta")).toObject();
    for (auto it = delta.constBegin(); it != delta.constEnd(); ++it) {
        if (it.key() == u"stop_reason")
            m_message.stopReason = it.value().toString();
        else if (it.key() == u"stop_sequence")
            m_message.stopSequence = it.value().toString();
        m_message.raw.insert(it.key(), it.value()); // stop_details, container, ...
    }
    const QJsonValue usage = event.value(QLatin1String("usage"));
    if (usage.isObject())
        m_message.usage.mergeCumulative(usage.toObject());
    if (m_listener)
        m_listener->messageDelta(m_message.stopReason, m_message.usage);
    return true;
}

bool MessageStreamAssembler::handleServerError(const QJsonObject &event)
{
    const QJsonObject error = event.value(QLatin1String("error")).toObject();
    QString type = error.value(QLatin1String("type")).toString();
    if (type.isEmpty())
        type = QStringLiteral("api_error");
    QString message = error.value(QLatin1String("message")).toString();
    if (message.isEmpty())
        message =
            QStringLiteral("The server reported an error (%1) in the response stream.").arg(type);
    QString requestId = event.value(QLatin1String("request_id")).toString();
    if (requestId.isEmpty())
        requestId = error.value(QLatin1String("request_id")).toString();
    return failFromServer(type, message, requestId);
}

bool MessageStreamAssembler::fail(const QString &message)
{
    m_error = true;
    m_serverError = false;
    m_errorType = decodeErrorType();
    m_errorMessage = message;
    m_errorRequestId.clear();
    if (m_listener)
        m_listener->errorOccurred(m_errorType, m_errorMessage, m_errorRequestId);
    return false;
}

bool MessageStreamAssembler::failFromServer(const QString &type, const QString &message,
                                            const QString &requestId)
{
    m_error = true;
    m_serverError = true;
    m_errorType = type;
    m_errorMessage = message;
    m_errorRequestId = requestId;
    if (m_listener)
        m_listener->errorOccurred(m_errorType, m_errorMessage, m_errorRequestId);
    return false;
}

} // namespace qlaude
