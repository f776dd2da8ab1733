#include "SseParser.h"

#include <cstring>

#include <QCoreApplication>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::SseParser)
};
} // namespace

namespace {

constexpr char kBom[] = "\xEF\xBB\xBF"; // NUL-terminated, so GCC sees no over-read

bool fieldIs(const char *name, qsizetype length, const char (&expected)[5])
{
    return length == 4 && std::memcmp(name, expected, 4) == 0;
}

bool fieldIs(const char *name, qsizetype length, const char (&expected)[6])
{
    return length == 5 && std::memcmp(name, expected, 5) == 0;
}

QString sizeText(qsizetype bytes)
{
    constexpr qsizetype kKiB = 1024;
    constexpr qsizetype kMiB = 1024 * kKiB;
    if (bytes >= kMiB && bytes % kMiB == 0)
        return Tr::tr("%1 MiB").arg(bytes / kMiB);
    if (bytes >= kKiB && bytes % kKiB == 0)
        return Tr::tr("%1 KiB").arg(bytes / kKiB);
    return QStringLiteral("%1-byte").arg(bytes);
}

} // namespace

SseParser::SseParser(qsizetype maxEventBytes) : m_maxEventBytes(maxEventBytes) {}

QString SseParser::errorString() const
{
    if (!m_error)
        return QString();
    return Tr::tr("A server-sent event exceeded the %1 limit; the stream was stopped.")
        .arg(sizeText(m_maxEventBytes));
}

void SseParser::reset()
{
    clearStreamState();
    m_error = false;
}

void SseParser::clearStreamState()
{
    m_lineBuffer.resize(0);
    m_data.resize(0);
    m_pendingData = nullptr;
    m_eventBytes = 0;
    m_bomBytesMatched = 0;
    m_atStreamStart = true;
    m_hasData = false;
    m_hasEventName = false;
    m_skipLeadingLineFeed = false;
}

void SseParser::setSizeError()
{
    m_error = true;
    // The partial event is useless now; do not keep up to maxEventBytes alive.
    m_lineBuffer = QByteArray();
    m_data = QByteArray();
    m_pendingData = nullptr;
}

bool SseParser::feed(QByteArrayView chunk, QList<SseEvent> &out)
{
    const bool ok = feedChunk(chunk, out);
    keepPendingData(); // the chunk belongs to the caller
    return ok;
}

void SseParser::keepPendingData()
{
    if (m_pendingData) {
        m_data.append(m_pendingData, m_pendingDataLength);
        m_pendingData = nullptr;
    }
}

bool SseParser::feedChunk(QByteArrayView chunk, QList<SseEvent> &out)
{
    if (m_error)
        return false;
    const char *const begin = chunk.data();
    const qsizetype size = chunk.size();
    qsizetype pos = 0;
    if (size == 0)
        return true;

    if (m_skipLeadingLineFeed) {
        m_skipLeadingLineFeed = false;
        if (begin[0] == '\n')
            pos = 1;
    }

    if (m_atStreamStart) {
        while (pos < size && m_bomBytesMatched < 3 && begin[pos] == kBom[m_bomBytesMatched]) {
            ++m_bomBytesMatched;
            ++pos;
        }
        if (m_bomBytesMatched < 3 && pos == size)
            return true; // every byte so far may still be the start of a BOM
        m_atStreamStart = false;
        if (m_bomBytesMatched < 3) // not a BOM after all: those bytes are text
            m_lineBuffer.append(kBom, m_bomBytesMatched);
    }

    // Next \n and \r at or after pos; -1 = not searched yet, size = none left in this chunk.
    // Each is searched again only once pos has passed it, so a chunk is scanned in linear
    // time whatever its mix of line ends.
    qsizetype nextLf = -1;
    qsizetype nextCr = -1;
    while (pos < size) {
        if (nextLf < pos) {
            const void *hit = std::memchr(begin + pos, '\n', size_t(size - pos));
            nextLf = hit ? static_cast<const char *>(hit) - begin : size;
        }
        if (nextCr < pos) {
            const void *hit = std::memchr(begin + pos, '\r', size_t(size - pos));
            nextCr = hit ? static_cast<const char *>(hit) - begin : size;
        }
        const qsizetype lineEnd = qMin(nextLf, nextCr);
        if (lineEnd == size) {
            m_lineBuffer.append(begin + pos, size - pos);
            if (m_eventBytes + m_lineBuffer.size() > m_maxEventBytes) {
                setSizeError();
                return false;
            }
            return true;
        }

        if (m_lineBuffer.isEmpty()) {
            processLine(begin + pos, lineEnd - pos, true, out);
        } else {
            m_lineBuffer.append(begin + pos, lineEnd - pos);
            processLine(m_lineBuffer.constData(), m_lineBuffer.size(), false, out);
            if (!m_error)
                m_lineBuffer.resize(0);
        }
        if (m_error)
            return false;

        pos = lineEnd + 1;
        if (begin[lineEnd] == '\r') {
            if (pos == size)
                m_skipLeadingLineFeed = true; // the \n of a CRLF may open the next chunk
            else if (begin[pos] == '\n')
                ++pos;
        }
    }
    return true;
}

bool SseParser::finish(QList<SseEvent> &out)
{
    if (m_error)
        return false;
    if (m_atStreamStart && m_bomBytesMatched > 0 && m_bomBytesMatched < 3)
        m_lineBuffer.append(kBom, m_bomBytesMatched);
    if (!m_lineBuffer.isEmpty()) {
        processLine(m_lineBuffer.constData(), m_lineBuffer.size(), false, out);
        if (m_error)
            return false;
    }
    dispatch(out);
    clearStreamState();
    return true;
}

void SseParser::processLine(const char *line, qsizetype length, bool inChunk, QList<SseEvent> &out)
{
    if (length == 0) {
        dispatch(out);
        return;
    }
    m_eventBytes += length;
    if (m_eventBytes > m_maxEventBytes) {
        setSizeError();
        return;
    }
    if (line[0] == ':')
        return; // comment

    const char *colon = static_cast<const char *>(std::memchr(line, ':', size_t(length)));
    const qsizetype nameLength = colon ? colon - line : length;
    const char *value = line + length;
    if (colon) {
        value = colon + 1;
        if (value < line + length && *value == ' ')
            ++value;
    }
    const qsizetype valueLength = line + length - value;

    if (fieldIs(line, nameLength, "data")) {
        if (!m_hasData && inChunk) {
            m_pendingData = value;
            m_pendingDataLength = valueLength;
        } else {
            keepPendingData();
            if (m_hasData)
                m_data.append('\n');
            m_data.append(value, valueLength);
        }
        m_hasData = true;
    } else if (fieldIs(line, nameLength, "event")) {
        if (m_eventName.size() != valueLength ||
            std::memcmp(m_eventName.constData(), value, size_t(valueLength)) != 0)
            m_eventName = QByteArray(value, valueLength);
        m_hasEventName = true;
    }
}

void SseParser::dispatch(QList<SseEvent> &out)
{
    const char *data = m_pendingData ? m_pendingData : m_data.constData();
    const qsizetype dataLength = m_pendingData ? m_pendingDataLength : m_data.size();
    if (dataLength > 0) {
        SseEvent &event = out.emplaceBack();
        if (m_hasEventName)
            event.event = m_eventName;
        event.data = QByteArray(data, dataLength);
    }
    m_pendingData = nullptr;
    m_data.resize(0);
    m_hasData = false;
    m_hasEventName = false;
    m_eventBytes = 0;
}

} // namespace qlaude
