#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

namespace qlaude::fakes {

// Everything FakeHttpConnection needs to put one response on the wire, faults included.
struct HttpResponsePlan
{
    // What happens once the body has been written up to stopAt.
    enum class Interruption
    {
        None,  // the response completes normally
        Drop,  // the server closes the connection (FIN) without completing the body
        Stall, // the server writes nothing more and keeps the connection open
        Reset, // the server aborts the connection: a TCP RST (SO_LINGER 0), not a FIN
    };

    bool sendHead = true; // false: the interruption happens before the status line
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers; // content headers; framing is added by the writer
    QByteArray body;
    bool chunked = false;    // Transfer-Encoding: chunked (streams); else Content-Length
    QList<qint64> eventEnds; // offsets in body where SSE events end: the default write boundaries
    qint64 stopAt = -1;      // -1: the whole body
    Interruption interruption = Interruption::None;
};

} // namespace qlaude::fakes
