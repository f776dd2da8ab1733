#pragma once

#include <QObject>
#include <QString>

#include <functional>

class QLocalServer;
class QLocalSocket;

namespace qlaude {

// One desktop app per user and data folder. A second `qlaude` (desktop mode only; the
// command-line modes never take part) hands its workspace to the running one over a local
// socket and exits 0; the running one opens that workspace in a window of its own, or raises the
// window that already shows it.
//
// The socket lives in Qlaude's runtime folder ($XDG_RUNTIME_DIR/qlaude, 0700) and is open to its
// user only; its name holds the user id and a hash of the data folder, so two test HOMEs or two
// users never meet. A socket left by a crashed instance is removed, and the launch that finds
// it becomes the running instance.
class SingleInstance : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(SingleInstance)

public:
    struct Request
    {
        QString workspace; // canonical absolute path
        QString flagSettings;
        bool bare = false;
        QString connection; // --connection
        bool connectionGiven = false;
    };
    // Called in the running instance for each request from a later launch; returns the sentence
    // the later launch prints ("Opened ... in a new window.").
    using Handler = std::function<QString(const Request &)>;

    enum class Role
    {
        Primary,   // no other instance: this one now listens
        Forwarded, // the running instance took the request; this launch should exit 0
        Standalone // neither worked (see message): run on its own, as without this class
    };

    explicit SingleInstance(Handler handler, QObject *parent = nullptr);
    ~SingleInstance() override;

    // Hands `request` to a running instance or becomes it. *message is the running instance's
    // answer (Forwarded) or why neither worked (Standalone).
    Role start(const Request &request, QString *message);

    // The socket's full path (Unix) or pipe name (Windows).
    static QString serverName();

private:
    void serve(QLocalSocket *socket);

    Handler m_handler;
    QLocalServer *m_server = nullptr;
};

} // namespace qlaude
