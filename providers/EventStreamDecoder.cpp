#include "EventStreamDecoder.h"

#include <array>

namespace qlaude {

namespace {

// CRC-32, reflected polynomial 0xEDB88320, slicing by 8: table[k][b] is the CRC of byte b
// followed by k zero bytes.
using CrcTables = std::array<std::array<quint32, 256>, 8>;

constexpr CrcTables makeCrcTables()
{
    CrcTables t{};
    for (quint32 b = 0; b < 256; ++b) {
        quint32 c = b;
        for (int bit = 0; bit < 8; ++bit)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        t[0][b] = c;
    }
    for (int k = 1; k < 8; ++k) {
        for (quint32 b = 0; b < 256; ++b)
            t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
    }
    return t;
}

constexpr CrcTables kCrcTables = makeCrcTables();

quint32 readBE32(const uchar *p)
{
    return (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | quint32(p[3]);
}

quint64 readBE64(const uchar *p)
{
    return (quint64(readBE32(p)) << 32) | readBE32(p + 4);
}

QString headerError(const QByteArray &name, const char *what)
{
    return QStringLiteral("Bad header %1: %2")
        .arg(QString::fromUtf8(name.left(64)), QString::fromLatin1(what));
}

} // namespace

QVariant EventStreamMessage::header(const QByteArray &name) const
{
    for (const EventStreamHeader &h : headers) {
        if (h.name == name)
            return h.value;
    }
    return QVariant();
}

QString EventStreamMessage::stringHeader(const QByteArray &name) const
{
    for (const EventStreamHeader &h : headers) {
        if (h.name == name)
            return h.type == EventStreamHeader::String ? h.value.toString() : QString();
    }
    return QString();
}

quint32 EventStreamDecoder::crc32(QByteArrayView data, quint32 crc)
{
    const auto &t = kCrcTables;
    const auto *p = reinterpret_cast<const uchar *>(data.data());
    qsizetype n = data.size();
    crc = ~crc;
    while (n >= 8) {
        const quint32 lo = crc ^ (quint32(p[0]) | (quint32(p[1]) << 8) | (quint32(p[2]) << 16) |
                                  (quint32(p[3]) << 24));
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
              t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

bool EventStreamDecoder::feed(QByteArrayView chunk, QList<EventStreamMessage> &out)
{
    if (hasError())
        return false;
    QByteArrayView data = chunk;
    const bool buffered = !m_buffer.isEmpty();
    if (buffered) {
        m_buffer.append(chunk.data(), chunk.size());
        data = m_buffer;
    }
    qsizetype pos = 0;
    while (data.size() - pos >= qsizetype(kPreludeBytes)) {
        const auto *p = reinterpret_cast<const uchar *>(data.data() + pos);
        const quint32 total = readBE32(p);
        const quint32 headersLength = readBE32(p + 4);
        if (crc32(QByteArrayView(data.data() + pos, 8)) != readBE32(p + 8))
            return fail(QStringLiteral("Prelude checksum mismatch"));
        if (total < kMinMessageBytes || total > kMaxMessageBytes)
            return fail(QStringLiteral("Message length %1 out of range").arg(total));
        if (headersLength > kMaxHeaderBytes || headersLength > total - kMinMessageBytes)
            return fail(QStringLiteral("Headers length %1 out of range").arg(headersLength));
        if (data.size() - pos < qsizetype(total))
            break;
        if (!decodeMessage(data.sliced(pos, total), total, headersLength, out))
            return false;
        pos += total;
    }
    if (buffered)
        m_buffer.remove(0, pos);
    else if (pos < data.size())
        m_buffer = data.sliced(pos).toByteArray();
    return true;
}

bool EventStreamDecoder::decodeMessage(QByteArrayView data, quint32 totalLength,
                                       quint32 headersLength, QList<EventStreamMessage> &out)
{
    const auto *p = reinterpret_cast<const uchar *>(data.data());
    if (crc32(data.first(totalLength - 4)) != readBE32(p + totalLength - 4))
        return fail(QStringLiteral("Message checksum mismatch"));

    EventStreamMessage message;
    if (headersLength > 0)
        message.headers.reserve(4);
    quint32 pos = kPreludeBytes;
    const quint32 end = kPreludeBytes + headersLength;
    while (pos < end) {
        const quint32 nameLength = p[pos++];
        if (nameLength == 0 || nameLength > end - pos)
            return fail(QStringLiteral("Bad header name length"));
        EventStreamHeader header;
        header.name = internedName(QByteArrayView(data.data() + pos, nameLength));
        pos += nameLength;
        if (pos >= end)
            return fail(headerError(header.name, "no type"));
        header.type = p[pos++];
        const quint32 left = end - pos;
        switch (header.type) {
        case EventStreamHeader::BoolTrue:
        case EventStreamHeader::BoolFalse:
            header.value = header.type == EventStreamHeader::BoolTrue;
            break;
        case EventStreamHeader::Byte:
            if (left < 1)
                return fail(headerError(header.name, "truncated value"));
            header.value = int(qint8(p[pos]));
            pos += 1;
            break;
        case EventStreamHeader::Short:
            if (left < 2)
                return fail(headerError(header.name, "truncated value"));
            header.value = int(qint16(quint16((p[pos] << 8) | p[pos + 1])));
            pos += 2;
            break;
        case EventStreamHeader::Int32:
            if (left < 4)
                return fail(headerError(header.name, "truncated value"));
            header.value = int(qint32(readBE32(p + pos)));
            pos += 4;
            break;
        case EventStreamHeader::Int64:
        case EventStreamHeader::Timestamp:
            if (left < 8)
                return fail(headerError(header.name, "truncated value"));
            header.value = qint64(readBE64(p + pos));
            pos += 8;
            break;
        case EventStreamHeader::Bytes:
        case EventStreamHeader::String: {
            if (left < 2)
                return fail(headerError(header.name, "truncated length"));
            const quint32 length = (quint32(p[pos]) << 8) | p[pos + 1];
            pos += 2;
            if (length > left - 2)
                return fail(headerError(header.name, "value longer than the headers"));
            if (header.type == EventStreamHeader::String)
                header.value = internedString(QByteArrayView(data.data() + pos, length));
            else
                header.value = QByteArray(data.data() + pos, length);
            pos += length;
            break;
        }
        case EventStreamHeader::Uuid:
            if (left < 16)
                return fail(headerError(header.name, "truncated value"));
            header.value = QByteArray(data.data() + pos, 16);
            pos += 16;
            break;
        default:
            return fail(headerError(header.name, "unknown type"));
        }
        message.headers.append(std::move(header));
    }
    const quint32 payloadLength = totalLength - headersLength - kMinMessageBytes;
    message.payload = QByteArray(data.data() + end, payloadLength);
    out.append(std::move(message));
    return true;
}

QByteArray EventStreamDecoder::internedName(QByteArrayView bytes)
{
    for (const QByteArray &name : m_names) {
        if (name == bytes)
            return name;
    }
    QByteArray &slot = m_names[m_nextName];
    m_nextName = (m_nextName + 1) % kInternSlots;
    slot = bytes.toByteArray();
    return slot;
}

QString EventStreamDecoder::internedString(QByteArrayView bytes)
{
    if (bytes.size() > 64)
        return QString::fromUtf8(bytes);
    for (int i = 0; i < kInternSlots; ++i) {
        if (!m_stringBytes[i].isNull() && m_stringBytes[i] == bytes)
            return m_strings[i];
    }
    const int i = m_nextString;
    m_nextString = (m_nextString + 1) % kInternSlots;
    m_stringBytes[i] = bytes.toByteArray();
    m_strings[i] = QString::fromUtf8(bytes);
    return m_strings[i];
}

bool EventStreamDecoder::finish()
{
    if (hasError())
        return false;
    if (!m_buffer.isEmpty())
        return fail(QStringLiteral("Truncated event message"));
    return true;
}

void EventStreamDecoder::reset()
{
    m_buffer.clear();
    m_error.clear();
}

bool EventStreamDecoder::fail(const QString &error)
{
    m_error = error;
    m_buffer.clear();
    return false;
}

} // namespace qlaude
