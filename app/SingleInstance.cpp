#include "SingleInstance.h"

#include "AppPaths.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLockFile>
#include <QTimer>

#include <memory>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace qlaude {

namespace {
constexpr int kConnectTimeoutMs = 1000;
constexpr int kAnswerTimeoutMs = 5000;
constexpr int kLockTimeoutMs = 10000;
constexpr int kMaxMessageBytes = 64 * 1024;

QString userId()
{
#ifdef Q_OS_UNIX
    return QString::number(::getuid());
#else
    return qEnvironmentVariable("USERNAME");
#endif
}

// gui-<uid>-<hash of the data folder>: one instance per user and history.
QString baseName()
{
    const QByteArray hash =
        QCryptographicHash::hash(AppPaths::dataDir().toUtf8(), QCryptographicHash::Sha256)
            .toHex()
            .left(12);
    return QStringLiteral("gui-") + userId() + QLatin1Char('-') + QString::fromLatin1(hash);
}

QByteArray line(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

// Reads one line of at most kMaxMessageBytes; empty when none came in time.
QByteArray readLine(QLocalSocket &socket)
{
    QByteArray data;
    while (!data.contains('\n') && data.size() <= kMaxMessageBytes) {
        if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(kAnswerTimeoutMs))
            break;
        data += socket.readAll();
    }
    const int end = data.indexOf('\n');
    return end < 0 ? QByteArray() : data.left(end);
}
} // namespace

SingleInstance::SingleInstance(Handler handler, QObject *parent)
    : QObject(parent), m_handler(std::move(handler))
{
}

SingleInstance::~SingleInstance() = default; // the server closes (and removes its socket) with us

QString SingleInstance::serverName()
{
#ifdef Q_OS_UNIX
    return QDir(AppPaths::runtimeDir()).filePath(baseName() + QStringLiteral(".socket"));
#else
    return QStringLiteral("qlaude-") + baseName();
#endif
}

SingleInstance::Role SingleInstance::start(const Request &request, QString *message)
{
    if (!AppPaths::ensurePrivateDir(AppPaths::runtimeDir())) {
        *message = tr("Qlaude's runtime folder %1 could not be made private; this window runs "
                      "on its own.")
                       .arg(AppPaths::runtimeDir());
        return Role::Standalone;
    }
    // Two launches at once: the lock makes one of them the running instance and the other its
    // first client. QLockFile takes over a lock whose process has died.
    QLockFile lock(QDir(AppPaths::runtimeDir()).filePath(baseName() + QStringLiteral(".lock")));
    if (!lock.tryLock(kLockTimeoutMs)) {
        *message = tr("Another Qlaude is still starting; this window runs on its own.");
        return Role::Standalone;
    }

    const QString name = serverName();
    QLocalSocket socket;
    socket.connectToServer(name);
    if (socket.waitForConnected(kConnectTimeoutMs)) {
        socket.write(line({{QStringLiteral("workspace"), request.workspace},
                           {QStringLiteral("settings"), request.flagSettings},
                           {QStringLiteral("bare"), request.bare},
                           {QStringLiteral("connection"), request.connection},
                           {QStringLiteral("connection_given"), request.connectionGiven}}));
        socket.flush();
        const QJsonObject answer = QJsonDocument::fromJson(readLine(socket)).object();
        if (answer.value(QStringLiteral("ok")).toBool()) {
            *message = answer.value(QStringLiteral("message")).toString();
            return Role::Forwarded;
        }
        *message = answer.isEmpty()
                       ? tr("Qlaude is already running but did not answer; this window runs on "
                            "its own.")
                       : answer.value(QStringLiteral("message")).toString();
        return Role::Standalone;
    }

    // Nobody listens. A socket file left by an instance that crashed is removed first.
    QLocalServer::removeServer(name);
    auto server = std::make_unique<QLocalServer>(this);
    server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!server->listen(name)) {
        *message = tr("Qlaude could not listen on %1 (%2); a later launch opens a window of its "
                      "own.")
                       .arg(name, server->errorString());
        return Role::Standalone;
    }
    m_server = server.release();
    connect(m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket *s = m_server->nextPendingConnection())
            serve(s);
    });
    return Role::Primary;
}

void SingleInstance::serve(QLocalSocket *socket)
{
    connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(kAnswerTimeoutMs, socket, [socket] { socket->abort(); });
    auto buffer = std::make_shared<QByteArray>();
    connect(socket, &QLocalSocket::readyRead, socket, [this, socket, buffer] {
        buffer->append(socket->readAll());
        const int end = buffer->indexOf('\n');
        if (end < 0) {
            if (buffer->size() > kMaxMessageBytes)
                socket->abort();
            return;
        }
        const QJsonObject o = QJsonDocument::fromJson(buffer->left(end)).object();
        buffer->clear();
        Request r;
        r.workspace = o.value(QStringLiteral("workspace")).toString();
        r.flagSettings = o.value(QStringLiteral("settings")).toString();
        r.bare = o.value(QStringLiteral("bare")).toBool();
        r.connection = o.value(QStringLiteral("connection")).toString();
        r.connectionGiven = o.value(QStringLiteral("connection_given")).toBool();
        QJsonObject answer;
        if (r.workspace.isEmpty() || !QDir(r.workspace).exists()) {
            answer = {{QStringLiteral("ok"), false},
                      {QStringLiteral("message"),
                       tr("The running Qlaude cannot open the workspace %1: it does not exist.")
                           .arg(r.workspace)}};
        } else {
            answer = {{QStringLiteral("ok"), true}, {QStringLiteral("message"), m_handler(r)}};
        }
        socket->write(line(answer));
        socket->flush();
        socket->disconnectFromServer();
    });
}

} // namespace qlaude
