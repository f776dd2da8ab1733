#pragma once

#include "EventStreamDecoder.h"

#include <QByteArray>
#include <QList>

namespace qlaude::fakes {

// Writes AWS event-stream messages (PROTOCOLS.md 2.4), for fake Bedrock servers and tests.
// Its CRC-32 is its own (bitwise), so round trips check the decoder's table-driven one.
class EventStreamEncoder
{
public:
    // One message. Header values are taken by type: 2..5 and 8 from toLongLong() (a QDateTime
    // for 8 is also accepted), 6 and 9 from a QByteArray (9: 16 bytes; a QUuid is accepted), 7
    // from a QString or QByteArray (UTF-8).
    static QByteArray encode(const QList<EventStreamHeader> &headers, const QByteArray &payload);

    // A string header (type 7).
    static EventStreamHeader stringHeader(const QByteArray &name, const QString &value);

    // A Bedrock InvokeModelWithResponseStream `chunk` event: headers :event-type=chunk,
    // :content-type=application/json, :message-type=event (in that order, as Bedrock sends
    // them); payload {"bytes":"<base64 of the Anthropic event JSON>"}.
    static QByteArray chunkEvent(const QByteArray &anthropicEventJson);
    // A Bedrock exception frame: :exception-type=<type> (camelCase, e.g.
    // "throttlingException"), :content-type=application/json, :message-type=exception;
    // payload {"message":"..."}.
    static QByteArray exceptionEvent(const QByteArray &exceptionType, const QByteArray &message);

    // CRC-32 (IEEE, as zlib's crc32()), bit by bit.
    static quint32 crc32(const QByteArray &data, quint32 crc = 0);
};

} // namespace qlaude::fakes
