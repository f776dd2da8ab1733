#include "KeychainStore.h"

#include "KeychainJobStatus.h"
#include "SecretChunks.h"

#include <QCoreApplication>
#include <QTimer>

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>
#include <QEventLoop>
#include <QLibrary>
#include <QPointer>

#include <qt6keychain/keychain.h>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::KeychainStore)
};

const QString kSecretsService = QStringLiteral("org.freedesktop.secrets");
const QString kDefaultCollection = QStringLiteral("/org/freedesktop/secrets/aliases/default");

KeychainResult resultFor(KeychainState state)
{
    KeychainResult r;
    r.status = state == KeychainState::Locked ? KeychainResult::Status::Locked
                                              : KeychainResult::Status::Unavailable;
    r.message = KeychainStore::messageFor(state);
    return r;
}
} // namespace

QString keychainStateName(KeychainState state)
{
    switch (state) {
    case KeychainState::Available:
        return QStringLiteral("available");
    case KeychainState::Locked:
        return QStringLiteral("locked");
    case KeychainState::Unavailable:
        return QStringLiteral("unavailable");
    }
    return QString();
}

QString KeychainStore::messageFor(KeychainState state, const QString &detail)
{
    switch (state) {
    case KeychainState::Available:
        return Tr::tr("The keychain is available.");
    case KeychainState::Locked:
        return Tr::tr("The keychain is locked. Unlock it (for example by logging in to "
                      "your desktop session or opening Passwords and Keys) and try again.");
    case KeychainState::Unavailable:
        return Tr::tr("No keychain is available%1. Start a Secret Service such as "
                      "gnome-keyring or KWallet in your session; until then Qlaude keeps "
                      "secrets in memory for this run only and never writes them to disk.")
            .arg(detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail));
    }
    return QString();
}

KeychainStore::KeychainStore(QObject *parent) : KeychainStore(QStringLiteral("qlaude"), parent) {}

KeychainStore::KeychainStore(const QString &service, QObject *parent)
    : QObject(parent), m_service(service)
{
#ifdef Q_OS_WIN
    m_chunkLimit = SecretChunks::kWindowsEntryLimitBytes; // an OAuth token JSON can be larger
#endif
}

KeychainStore::~KeychainStore() = default;

void KeychainStore::probe(StateCallback callback)
{
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected()) {
        const QString detail = Tr::tr("no D-Bus session bus");
        callback(KeychainState::Unavailable, messageFor(KeychainState::Unavailable, detail));
        return;
    }
    // Ask the default collection whether it is locked. This also activates the Secret Service
    // when it is D-Bus activatable; an error means there is no service or no collection.
    QDBusMessage msg = QDBusMessage::createMethodCall(
        kSecretsService, kDefaultCollection, QStringLiteral("org.freedesktop.DBus.Properties"),
        QStringLiteral("Get"));
    msg << QStringLiteral("org.freedesktop.Secret.Collection") << QStringLiteral("Locked");
    auto *watcher = new QDBusPendingCallWatcher(bus.asyncCall(msg, 5000), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this,
            [callback](QDBusPendingCallWatcher *w) {
                w->deleteLater();
                QDBusPendingReply<QDBusVariant> reply = *w;
                if (reply.isError()) {
                    const QString name = reply.error().name();
                    QString detail;
                    if (name == QLatin1String("org.freedesktop.DBus.Error.ServiceUnknown"))
                        detail = Tr::tr("no Secret Service on the session bus");
                    else
                        detail = Tr::tr("the keyring has no default collection");
                    callback(KeychainState::Unavailable,
                             messageFor(KeychainState::Unavailable, detail));
                    return;
                }
                const bool locked = reply.value().variant().toBool();
                const KeychainState s = locked ? KeychainState::Locked : KeychainState::Available;
                callback(s, messageFor(s));
            });
}

namespace {
void wipe(QStringList *parts)
{
    for (QString &p : *parts)
        p.fill(QLatin1Char('\0'));
    parts->clear();
}

// How many chunks the entry read under a key announces (0: a whole secret, or nothing).
int storedChunkCount(const KeychainResult &r)
{
    return r.ok() ? qMax(0, SecretChunks::chunkCount(r.data)) : 0;
}
} // namespace

void KeychainStore::read(const QString &entry, ResultCallback callback)
{
    const QString key = m_keyPrefix + entry;
    if (m_chunkLimit <= 0) {
        enqueue({Op::Read, key, QString(), std::move(callback)});
        return;
    }
    QPointer<KeychainStore> self(this);
    enqueue({Op::Read, key, QString(), [self, key, callback](const KeychainResult &r) {
                 const int count = r.ok() ? SecretChunks::chunkCount(r.data) : 0;
                 if (!self || count == 0) {
                     callback(r);
                     return;
                 }
                 if (count < 0) {
                     KeychainResult bad;
                     bad.status = KeychainResult::Status::Failed;
                     bad.message = Tr::tr("The keychain entry \"%1\" is damaged. Sign in "
                                          "or save it again.")
                                       .arg(key);
                     callback(bad);
                     return;
                 }
                 self->readParts(key, r.data, std::make_shared<QStringList>(), count, callback);
             }});
}

void KeychainStore::readParts(const QString &key, const QString &header,
                              std::shared_ptr<QStringList> parts, int count,
                              ResultCallback callback)
{
    if (parts->size() == count) {
        KeychainResult out;
        QString error;
        if (SecretChunks::join(header, *parts, &out.data, &error)) {
            out.status = KeychainResult::Status::Ok;
        } else {
            out.status = KeychainResult::Status::Failed;
            out.message = error;
        }
        wipe(parts.get());
        callback(out);
        out.data.fill(QLatin1Char('\0'));
        return;
    }
    QPointer<KeychainStore> self(this);
    enqueue({Op::Read, SecretChunks::chunkKey(key, int(parts->size())), QString(),
             [self, key, header, parts, count, callback](const KeychainResult &r) {
                 if (!self || !r.ok()) {
                     wipe(parts.get());
                     KeychainResult out = r;
                     if (r.status == KeychainResult::Status::NotFound) {
                         out.status = KeychainResult::Status::Failed;
                         out.message = Tr::tr("A part of the keychain entry \"%1\" is "
                                              "missing. Sign in or save it again.")
                                           .arg(key);
                     }
                     callback(out);
                     return;
                 }
                 parts->append(r.data);
                 self->readParts(key, header, parts, count, callback);
             }});
}

void KeychainStore::write(const QString &entry, const QString &secret, ResultCallback callback)
{
    const QString key = m_keyPrefix + entry;
    if (m_chunkLimit <= 0) {
        enqueue({Op::Write, key, secret, std::move(callback)});
        return;
    }
    // The chunks first and the header last, so the entry never announces chunks that are not
    // there yet; then the chunks of an older, longer secret go. The old header is read first to
    // know how many there were.
    SecretChunks::Split split = SecretChunks::split(secret, m_chunkLimit);
    auto parts = std::make_shared<QStringList>(std::move(split.chunks));
    const QString header = split.header;
    split.header.fill(QLatin1Char('\0'));
    QPointer<KeychainStore> self(this);
    enqueue(
        {Op::Read, key, QString(), [self, key, parts, header, callback](const KeychainResult &old) {
             if (!self)
                 return;
             if (!old.ok() && old.status != KeychainResult::Status::NotFound) {
                 wipe(parts.get());
                 callback(old);
                 return;
             }
             self->writeParts(key, parts, header, 0, storedChunkCount(old), callback);
         }});
}

void KeychainStore::writeParts(const QString &key, std::shared_ptr<QStringList> parts,
                               QString header, int index, int oldCount, ResultCallback callback)
{
    QPointer<KeychainStore> self(this);
    if (index < parts->size()) {
        enqueue({Op::Write, SecretChunks::chunkKey(key, index), parts->at(index),
                 [self, key, parts, header, index, oldCount, callback](const KeychainResult &r) {
                     if (!self || !r.ok()) {
                         wipe(parts.get());
                         callback(r);
                         return;
                     }
                     self->writeParts(key, parts, header, index + 1, oldCount, callback);
                 }});
        return;
    }
    const int count = int(parts->size());
    wipe(parts.get());
    enqueue(
        {Op::Write, key, header, [self, key, count, oldCount, callback](const KeychainResult &r) {
             if (!self || !r.ok()) {
                 callback(r);
                 return;
             }
             self->removeParts(key, count, oldCount, r, callback);
         }});
    header.fill(QLatin1Char('\0'));
}

void KeychainStore::removeParts(const QString &key, int from, int to, KeychainResult result,
                                ResultCallback callback)
{
    if (from >= to) {
        callback(result);
        return;
    }
    QPointer<KeychainStore> self(this);
    enqueue({Op::Remove, SecretChunks::chunkKey(key, from), QString(),
             [self, key, from, to, result, callback](const KeychainResult &) {
                 if (self)
                     self->removeParts(key, from + 1, to, result, callback);
                 else
                     callback(result);
             }});
}

void KeychainStore::remove(const QString &entry, ResultCallback callback)
{
    const QString key = m_keyPrefix + entry;
    if (m_chunkLimit <= 0) {
        enqueue({Op::Remove, key, QString(), std::move(callback)});
        return;
    }
    // The header first (what readers see), then its chunks.
    QPointer<KeychainStore> self(this);
    enqueue({Op::Read, key, QString(), [self, key, callback](const KeychainResult &r) {
                 if (!self)
                     return;
                 const int count = storedChunkCount(r);
                 self->enqueue({Op::Remove, key, QString(),
                                [self, key, count, callback](const KeychainResult &removed) {
                                    if (self)
                                        self->removeParts(key, 0, count, removed, callback);
                                    else
                                        callback(removed);
                                }});
             }});
}

void KeychainStore::enqueue(Pending pending)
{
    m_queue.enqueue(std::move(pending));
    if (!m_busy)
        startNext();
}

void KeychainStore::startNext()
{
    if (m_queue.isEmpty()) {
        m_busy = false;
        return;
    }
    m_busy = true;
    Pending next = m_queue.dequeue();
    // Probe first: a locked collection reads back as "not found", and writing to it would ask
    // for a graphical prompt. Neither may be mistaken for "logged out".
    QPointer<KeychainStore> self(this);
    probe([self, next](KeychainState state, const QString &) mutable {
        if (!self)
            return;
        if (state != KeychainState::Available) {
            KeychainResult r = resultFor(state);
            self->startNextLater();
            if (next.callback)
                next.callback(r);
            return;
        }
        self->runJob(std::move(next), state);
    });
}

void KeychainStore::runJob(Pending pending, KeychainState)
{
    QKeychain::Job *job = nullptr;
    switch (pending.op) {
    case Op::Read:
        job = new QKeychain::ReadPasswordJob(m_service);
        break;
    case Op::Write: {
        auto *w = new QKeychain::WritePasswordJob(m_service);
        w->setTextData(pending.secret);
        job = w;
        break;
    }
    case Op::Remove:
        job = new QKeychain::DeletePasswordJob(m_service);
        break;
    }
    // The secret stays in m_current until the job has finished (a retry needs it), then is wiped.
    m_current = std::move(pending);
    job->setInsecureFallback(false);
    job->setAutoDelete(true); // QtKeychain deletes the job after finished(); we never do
    job->setKey(m_current.key);
    connect(job, &QKeychain::Job::finished, this, &KeychainStore::finishJob);
    job->start();
}

KeychainResult::Status keychainStatusFor(QKeychain::Error error)
{
    switch (error) {
    case QKeychain::NoError:
        return KeychainResult::Status::Ok;
    case QKeychain::EntryNotFound:
        return KeychainResult::Status::NotFound;
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return KeychainResult::Status::Unavailable;
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return KeychainResult::Status::Locked;
    case QKeychain::CouldNotDeleteEntry:
    case QKeychain::OtherError:
        break;
    }
    return KeychainResult::Status::Failed;
}

namespace {
// Drops libsecret's cached connection to the Secret Service (the library QtKeychain loads at run
// time, so this is the same instance). False where there is no libsecret.
bool resetSecretServiceConnection()
{
#if defined(Q_OS_UNIX) && !defined(Q_OS_DARWIN)
    static QLibrary library(QStringLiteral("secret-1"), 0);
    using Disconnect = void (*)();
    static const auto disconnect =
        reinterpret_cast<Disconnect>(library.resolve("secret_service_disconnect"));
    if (!disconnect)
        return false;
    disconnect();
    return true;
#else
    return false;
#endif
}
} // namespace

void KeychainStore::finishJob(QKeychain::Job *job)
{
    KeychainResult r;
    r.status = keychainStatusFor(job->error());
    switch (r.status) {
    case KeychainResult::Status::Ok:
        if (auto *read = qobject_cast<QKeychain::ReadPasswordJob *>(job))
            r.data = read->textData();
        break;
    case KeychainResult::Status::NotFound:
        r.message = Tr::tr("Nothing is stored in the keychain under \"%1\".").arg(m_current.key);
        break;
    case KeychainResult::Status::Unavailable:
        r.message = messageFor(KeychainState::Unavailable, job->errorString());
        break;
    case KeychainResult::Status::Locked:
        r.message = Tr::tr("The keychain refused access (%1). Unlock it or allow Qlaude "
                           "and try again.")
                        .arg(job->errorString());
        break;
    case KeychainResult::Status::Failed:
        r.message = Tr::tr("The keychain reported an error: %1. Try again; if it "
                           "persists, check your Secret Service.")
                        .arg(job->errorString());
        break;
    }
    if (r.status == KeychainResult::Status::Failed ||
        r.status == KeychainResult::Status::Unavailable) {
        // libsecret keeps one connection to the Secret Service, with its session, for the whole
        // process. Once the service has restarted that session is gone ("The session wrapping
        // the secret does not exist") and every later call would fail until Qlaude restarts.
        // Dropping the connection makes the next call connect afresh; a failed job runs once
        // more on it (tst_KeychainOutage).
        if (resetSecretServiceConnection() && r.status == KeychainResult::Status::Failed &&
            !m_current.retried) {
            Pending again = std::move(m_current);
            again.retried = true;
            m_current = Pending();
            QTimer::singleShot(0, this, [this, again = std::move(again)]() mutable {
                runJob(std::move(again), KeychainState::Available);
            });
            return;
        }
    }
    m_current.secret.fill(QLatin1Char('\0'));
    m_current.secret.clear();
    // A delete of an entry that does not exist is what the caller wanted.
    if (m_current.op == Op::Remove && r.status == KeychainResult::Status::NotFound)
        r.message = Tr::tr("Nothing was stored under \"%1\".").arg(m_current.key);
    ResultCallback cb = std::move(m_current.callback);
    m_current = Pending();
    // Answered from the event loop, once QtKeychain has finished with this job: its own queue
    // waits until the finished signal returns, so a callback that opens a modal dialog (a
    // nested event loop, like the start-up login) would otherwise hold every later job.
    QTimer::singleShot(0, this, [this, cb = std::move(cb), r]() mutable {
        startNextLater();
        if (cb)
            cb(r);
        r.data.fill(QLatin1Char('\0'));
    });
}

void KeychainStore::startNextLater()
{
    // The next job starts from the event loop, after this job's callback has begun: jobs keep
    // their order, and a callback waiting in a nested event loop cannot hold the queue.
    QTimer::singleShot(0, this, &KeychainStore::startNext);
}

KeychainState KeychainStore::probeSync(QString *message)
{
    QEventLoop loop;
    KeychainState state = KeychainState::Unavailable;
    bool done = false;
    probe([&](KeychainState s, const QString &m) {
        state = s;
        if (message)
            *message = m;
        done = true;
        loop.quit();
    });
    if (!done)
        loop.exec();
    return state;
}

namespace {
template<typename Start> KeychainResult waitFor(Start start)
{
    QEventLoop loop;
    KeychainResult result;
    bool done = false;
    start([&](const KeychainResult &r) {
        result = r;
        done = true;
        loop.quit();
    });
    if (!done)
        loop.exec();
    return result;
}
} // namespace

KeychainResult KeychainStore::readSync(const QString &key)
{
    return waitFor([&](ResultCallback cb) { read(key, std::move(cb)); });
}

KeychainResult KeychainStore::writeSync(const QString &key, const QString &secret)
{
    return waitFor([&](ResultCallback cb) { write(key, secret, std::move(cb)); });
}

KeychainResult KeychainStore::removeSync(const QString &key)
{
    return waitFor([&](ResultCallback cb) { remove(key, std::move(cb)); });
}

} // namespace qlaude
