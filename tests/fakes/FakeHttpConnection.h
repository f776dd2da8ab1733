#pragma once

#include "HttpRequest.h"
#include "HttpRequestParser.h"
#include "HttpResponsePlan.h"

#include <QObject>
#include <QTimer>

class QTcpSocket;

namespace qlaude::fakes {

// One accepted TCP connection of a fake server: parses requests one after another (keep-alive,
// pipelining) and writes each answer as planned, paced in chunks, with the plan's faults.
class FakeHttpConnection : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(FakeHttpConnection)

public:
    struct WriteOptions
    {
        int chunkSize = 0; // body bytes per write; 0: one write per SSE event, else the whole body
        int delayMs = 0;   // pause before each body write and before the end (or the fault)
    };

    // Takes ownership of socket.
    FakeHttpConnection(QTcpSocket *socket, int id, QObject *parent = nullptr);

    int id() const { return m_id; }
    // Answers the request announced by requestReady() or malformedRequest(). Call exactly once.
    void respond(const HttpResponsePlan &plan, const WriteOptions &options);

signals:
    void requestReady(const qlaude::fakes::HttpRequest &request);
    void malformedRequest(int status, const QString &reason); // the connection closes afterwards
    void closed();                                            // by either side

private:
    enum class State
    {
        Idle,
        Handling,
        Writing,
        Stalled,
        Closing,
        Closed
    };

    void readIncoming();
    void parseNext();
    void write(const QByteArray &bytes);
    void writeNextChunk();
    void complete();
    void interrupt();

    QTcpSocket *m_socket;
    int m_id;
    HttpRequestParser m_parser;
    QTimer m_timer;
    State m_state = State::Idle;
    bool m_keepAlive = true;
    bool m_http10 = false;
    bool m_headRequest = false;
    HttpResponsePlan m_plan;
    WriteOptions m_options;
    qint64 m_pos = 0;
    qint64 m_stop = 0;
};

} // namespace qlaude::fakes
