#include "JsonScanner.h"

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
    constexpr quint64 kOnes = 0x0101010101010101ULL;
    constexpr quint64 kHighs = 0x8080808080808080ULL;
    quint64 word;
    std::memcpy(&word, p, 8);
    const auto hasZeroByte = [](quint64 v) { return (v - kOnes) & ~v & kHighs; };
    const quint64 special = (word | ((word - 0x20 * kOnes) & ~word)) & kHighs; // >= 0x80 or < 0x20
    return !special && !hasZeroByte(word ^ ('"' * kOnes)) && !hasZeroByte(word ^ ('\\' * kOnes));
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

// ---- Fast path: recognising a content_block_delta ---------------------------------------
//
// Accepts exactly {"type":"content_block_delta","index":N,"delta":{"type":T,F:"..."}} in any
// key order with any JSON whitespace, where T is text_delta/thinking_delta/input_json_delta
// and F its one string field. Anything else (other keys, duplicates, escapes in keys,
// numbers that are not plain integers) is left to QJsonDocument.

template<size_t N> bool startsWith(const char *p, const char *end, const char (&literal)[N])
{
    return end - p >= qsizetype(N - 1) && std::memcmp(p, literal, N - 1) == 0;
}

// The exact byte layout the API sends:
// {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"..."}}
// Checked with a few memcmp calls; the string's inside is left to decodeJsonString, which
// also refuses an unescaped quote in it (that would be a different object).
bool scanCanonicalDelta(const char *p, const char *end, FastDelta &delta)
{
    static constexpr char kHead[] = "{\"type\":\"content_block_delta\",\"index\":";
    static constexpr char kDeltaHead[] = ",\"delta\":{\"type\":\"";
    static constexpr char kText[] = "text_delta\",\"text\":\"";
    static constexpr char kThinking[] = "thinking_delta\",\"thinking\":\"";
    static constexpr char kInput[] = "input_json_delta\",\"partial_json\":\"";
    if (!startsWith(p, end, kHead))
        return false;
    p += sizeof(kHead) - 1;
    const char *digits = p;
    qsizetype index = 0;
    while (p < end && *p >= '0' && *p <= '9' && p - digits < 9)
        index = index * 10 + (*p++ - '0');
    if (p == digits || (p - digits > 1 && *digits == '0') || !startsWith(p, end, kDeltaHead))
        return false;
    p += sizeof(kDeltaHead) - 1;
    if (startsWith(p, end, kText)) {
        delta.kind = 0;
        p += sizeof(kText) - 1;
    } else if (startsWith(p, end, kThinking)) {
        delta.kind = 1;
        p += sizeof(kThinking) - 1;
    } else if (startsWith(p, end, kInput)) {
        delta.kind = 2;
        p += sizeof(kInput) - 1;
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

} // namespace

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

bool scanContentBlockDelta(QByteArrayView data, FastDelta &delta)
{
    const char *begin = data.data();
    const char *end = begin + data.size();
    return scanCanonicalDelta(begin, end, delta) || FastScanner(begin, end).scan(delta);
}

} // namespace qlaude
