#include "EventStreamEncoder.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

namespace qlaude::fakes {

namespace {

void appendBE(QByteArray &out, quint64 value, int bytes)
{
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
        out += char((value >> shift) & 0xFF);
}

QByteArray bytesOf(const QVariant &value)
{
    if (value.typeId() == QMetaType::QUuid)
        return value.toUuid().toRfc4122();
    if (value.typeId() == QMetaType::QString)
        return value.toString().toUtf8();
    return value.toByteArray();
}

qint64 numberOf(const QVariant &value)
{
    if (value.typeId() == QMetaType::QDateTime)
        return value.toDateTime().toMSecsSinceEpoch();
    return value.toLongLong();
}

} // namespace

quint32 EventStreamEncoder::crc32(const QByteArray &data, quint32 crc)
{
    crc = ~crc;
    for (const char c : data) {
        crc ^= quint8(c);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return ~crc;
}

QByteArray EventStreamEncoder::encode(const QList<EventStreamHeader> &headers,
                                      const QByteArray &payload)
{
    QByteArray block;
    for (const EventStreamHeader &h : headers) {
        block += char(quint8(h.name.size()));
        block += h.name;
        block += char(h.type);
        switch (h.type) {
        case EventStreamHeader::BoolTrue:
        case EventStreamHeader::BoolFalse:
            break;
        case EventStreamHeader::Byte:
            appendBE(block, quint64(numberOf(h.value)), 1);
            break;
        case EventStreamHeader::Short:
            appendBE(block, quint64(numberOf(h.value)), 2);
            break;
        case EventStreamHeader::Int32:
            appendBE(block, quint64(numberOf(h.value)), 4);
            break;
        case EventStreamHeader::Int64:
        case EventStreamHeader::Timestamp:
            appendBE(block, quint64(numberOf(h.value)), 8);
            break;
        case EventStreamHeader::Bytes:
        case EventStreamHeader::String: {
            const QByteArray bytes = bytesOf(h.value);
            appendBE(block, quint64(bytes.size()), 2);
            block += bytes;
            break;
        }
        case EventStreamHeader::Uuid:
            block += bytesOf(h.value).leftJustified(16, '\0', true);
            break;
        default:
            break; // an unknown type is written with no value (tests of the decoder use it)
        }
    }
    QByteArray out;
    const quint64 total = 16 + quint64(block.size()) + quint64(payload.size());
    appendBE(out, total, 4);
    appendBE(out, quint64(block.size()), 4);
    appendBE(out, crc32(out), 4);
    out += block;
    out += payload;
    appendBE(out, crc32(out), 4);
    return out;
}

EventStreamHeader EventStreamEncoder::stringHeader(const QByteArray &name, const QString &value)
{
    EventStreamHeader h;
    h.name = name;
    h.type = EventStreamHeader::String;
    h.value = value;
    return h;
}

QByteArray EventStreamEncoder::chunkEvent(const QByteArray &anthropicEventJson)
{
    const QList<EventStreamHeader> headers{
        stringHeader(":event-type", QStringLiteral("chunk")),
        stringHeader(":content-type", QStringLiteral("application/json")),
        stringHeader(":message-type", QStringLiteral("event")),
    };
    return encode(headers, "{\"bytes\":\"" + anthropicEventJson.toBase64() + "\"}");
}

QByteArray EventStreamEncoder::exceptionEvent(const QByteArray &exceptionType,
                                              const QByteArray &message)
{
    const QList<EventStreamHeader> headers{
        stringHeader(":exception-type", QString::fromUtf8(exceptionType)),
        stringHeader(":content-type", QStringLiteral("application/json")),
        stringHeader(":message-type", QStringLiteral("exception")),
    };
    const QJsonObject body{{QStringLiteral("message"), QString::fromUtf8(message)}};
    return encode(headers, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

} // namespace qlaude::fakes
