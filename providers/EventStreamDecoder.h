#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QVariant>

namespace qlaude {

// One header of an AWS event-stream message (PROTOCOLS.md 2.4). `value` by type:
// 0/1 bool true/false, 2 byte / 3 short / 4 int32 (int), 5 int64 (qint64), 6 bytes (QByteArray),
// 7 string (QString from UTF-8), 8 timestamp (qint64 ms since the epoch), 9 uuid (QByteArray of
// 16 bytes).
struct EventStreamHeader
{
    enum Type : quint8
    {
        BoolTrue = 0,
        BoolFalse = 1,
        Byte = 2,
        Short = 3,
        Int32 = 4,
        Int64 = 5,
        Bytes = 6,
        String = 7,
        Timestamp = 8,
        Uuid = 9,
    };
    QByteArray name;
    quint8 type = String;
    QVariant value;
};

struct EventStreamMessage
{
    QList<EventStreamHeader> headers;
    QByteArray payload;

    // The first header called `name`; invalid when there is none.
    QVariant header(const QByteArray &name) const;
    // The value of a string header `name` (empty when absent or not a string).
    QString stringHeader(const QByteArray &name) const;
};

// A streaming decoder of application/vnd.amazon.eventstream (PROTOCOLS.md 2.4): prelude
// (total length, headers length, CRC32), headers, payload, CRC32 of everything before it.
class EventStreamDecoder
{
public:
    static constexpr quint32 kPreludeBytes = 12;
    static constexpr quint32 kMinMessageBytes = 16;
    static constexpr quint32 kMaxMessageBytes = 16 * 1024 * 1024;
    static constexpr quint32 kMaxHeaderBytes = 128 * 1024;

    // Appends every complete message in `chunk` to out. False once in error (truncated or
    // oversized prelude, prelude CRC or message CRC mismatch, bad header type or length); then
    // feed() keeps returning false until reset(). Never reads past the data given.
    bool feed(QByteArrayView chunk, QList<EventStreamMessage> &out);
    // The body ended: false (an error) when a partial message is buffered.
    bool finish();
    bool hasError() const { return !m_error.isEmpty(); }
    QString errorString() const { return m_error; }
    void reset();

    // CRC-32 (IEEE 802.3, as zlib's crc32()): continues `crc` over data; start with 0.
    static quint32 crc32(QByteArrayView data, quint32 crc = 0);

private:
    // Decodes the message at the start of data (data holds at least its total length).
    bool decodeMessage(QByteArrayView data, quint32 totalLength, quint32 headersLength,
                       QList<EventStreamMessage> &out);
    bool fail(const QString &error);
    // Shared copies of recently seen header names and string values: a stream repeats the
    // same few, and sharing them saves two allocations per header.
    QByteArray internedName(QByteArrayView bytes);
    QString internedString(QByteArrayView bytes);

    static constexpr int kInternSlots = 8;
    QByteArray m_buffer; // the start of a message not complete yet
    QString m_error;
    QByteArray m_names[kInternSlots];
    QByteArray m_stringBytes[kInternSlots];
    QString m_strings[kInternSlots];
    int m_nextName = 0;
    int m_nextString = 0;
};

} // namespace qlaude
