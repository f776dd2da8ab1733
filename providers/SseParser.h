#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace qlaude {

// One dispatched server-sent event. `event` is empty when the event had no `event:` line (the
// Messages API always sends one, and its JSON `type` repeats the name).
struct SseEvent
{
    QByteArray event;
    QByteArray data;
};

// Incremental text/event-stream decoder (WHATWG "parsing an event stream", restricted to the
// `event` and `data` fields). Feed it the response body in chunks of any size; chunk
// boundaries may fall anywhere, including between the \r and \n of a CRLF line end.
//
// - Lines end on \n, \r\n or \r. A UTF-8 BOM at the start of the stream is skipped.
// - Lines starting with ':' are comments. `id`, `retry` and unknown fields are ignored.
// - "name: value" strips one space after the colon; a line without a colon is a field with
//   an empty value. Several `data` lines are joined with \n.
// - A blank line dispatches the event if its data is not empty.
// - An event (all its lines, counted without their line ends) larger than maxEventBytes stops
//   the parser: feed() and finish() then return false until reset().
class SseParser
{
public:
    static constexpr qsizetype kDefaultMaxEventBytes = 16 * 1024 * 1024;

    explicit SseParser(qsizetype maxEventBytes = kDefaultMaxEventBytes);

    // Appends the events completed by `chunk` to `out`. Returns false once the parser is in
    // error (events completed before the error are still appended).
    bool feed(QByteArrayView chunk, QList<SseEvent> &out);
    // The body ended: a last line without a line end is taken as a line, and a pending event
    // with data is dispatched even without its closing blank line. Then the parser is ready
    // for a new stream. Returns false if the parser is in error.
    bool finish(QList<SseEvent> &out);

    bool hasError() const { return m_error; }
    QString errorString() const;
    void reset();

private:
    bool feedChunk(QByteArrayView chunk, QList<SseEvent> &out);
    // `inChunk`: the line lies in the chunk being fed, so a view of it stays valid until
    // feed() returns.
    void processLine(const char *line, qsizetype length, bool inChunk, QList<SseEvent> &out);
    void keepPendingData();
    void dispatch(QList<SseEvent> &out);
    void clearStreamState();
    void setSizeError();

    qsizetype m_maxEventBytes;
    QByteArray m_lineBuffer; // a line whose end has not arrived yet
    QByteArray m_data;       // data lines of the event being read, joined with \n
    // The usual event has one data line that lies whole in the chunk: it is only viewed there
    // (no copy into m_data) until the event is dispatched or feed() returns.
    const char *m_pendingData = nullptr;
    qsizetype m_pendingDataLength = 0;
    // The last event name seen; events share it (no allocation while the name repeats).
    QByteArray m_eventName;
    qsizetype m_eventBytes = 0; // bytes of the complete lines of the current event
    int m_bomBytesMatched = 0;
    bool m_atStreamStart = true;
    bool m_hasData = false;
    bool m_hasEventName = false;
    bool m_skipLeadingLineFeed = false; // the previous chunk ended on \r
    bool m_error = false;
};

} // namespace qlaude
