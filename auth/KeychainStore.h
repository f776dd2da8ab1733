#pragma once

#include <QObject>
#include <QQueue>
#include <QString>

#include <functional>
#include <memory>

namespace QKeychain {
class Job;
}

namespace qlaude {

// What the system keychain can do right now. "Locked" and "Unavailable" are not "logged out".
enum class KeychainState
{
    Available,   // the Secret Service answers and its default collection is unlocked
    Locked,      // the default collection is locked: entries read back as "not found"
    Unavailable, // no session bus, no Secret Service, or no default collection
};
QString keychainStateName(KeychainState state); // "available", "locked", "unavailable"

struct KeychainResult
{
    enum class Status
    {
        Ok,
        NotFound,
        Locked,
        Unavailable,
        Failed
    };
    Status status = Status::Failed;
    QString data;    // the secret, for a successful read
    QString message; // a sentence for a person, with what to do next; never holds the secret

    bool ok() const { return status == Status::Ok; }
};

// Secrets in the OS keychain through QtKeychain, with the insecure fallback off. Jobs run one at
// a time, in order; QtKeychain deletes each job itself when it finishes (a pending job is never
// deleted by us). The service name is "qlaude"; tests may pass their own namespace.
class KeychainStore : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(KeychainStore)
public:
    static constexpr const char *kApiKey = "api-key";
    static constexpr const char *kOAuth = "oauth";
    static constexpr const char *kBearerToken = "bearer-token"; // a gateway token (login dialog)
    // Cloud secrets use "cloud:<name>", e.g. "cloud:aws-secret-access-key".

    explicit KeychainStore(QObject *parent = nullptr);
    explicit KeychainStore(const QString &service, QObject *parent = nullptr);
    ~KeychainStore() override;

    QString service() const { return m_service; }

    // Every entry this store reads, writes and removes is named prefix + entry: a named
    // connection's store uses "connection:<name>:" (AuthContext::keychainPrefix()). A job
    // already queued keeps the name it was queued with.
    void setKeyPrefix(const QString &prefix) { m_keyPrefix = prefix; }
    QString keyPrefix() const { return m_keyPrefix; }

    // A secret whose UTF-8 form is larger than this many bytes is stored as a header entry and
    // chunk entries (SecretChunks), read back whole and removed whole; 0 stores every secret in
    // one entry. Windows: 2,560 bytes, the Credential Manager's limit per entry; elsewhere 0.
    void setChunkLimit(int bytes) { m_chunkLimit = bytes; }
    int chunkLimit() const { return m_chunkLimit; }

    using ResultCallback = std::function<void(const KeychainResult &)>;
    using StateCallback = std::function<void(KeychainState, const QString &message)>;

    void probe(StateCallback callback);
    void read(const QString &key, ResultCallback callback);
    void write(const QString &key, const QString &secret, ResultCallback callback);
    void remove(const QString &key, ResultCallback callback);

    // Blocking variants for the command line only (they spin a local event loop).
    KeychainState probeSync(QString *message = nullptr);
    KeychainResult readSync(const QString &key);
    KeychainResult writeSync(const QString &key, const QString &secret);
    KeychainResult removeSync(const QString &key);

    static QString messageFor(KeychainState state, const QString &detail = QString());

private:
    enum class Op
    {
        Read,
        Write,
        Remove
    };
    struct Pending
    {
        Op op;
        QString key;
        QString secret;
        ResultCallback callback;
        bool retried = false; // run again once after a stale Secret Service connection
    };
    void enqueue(Pending pending);
    // The chunked forms of write, read and remove: each step is one queued job.
    void writeParts(const QString &key, std::shared_ptr<QStringList> parts, QString header,
                    int index, int oldCount, ResultCallback callback);
    void readParts(const QString &key, const QString &header, std::shared_ptr<QStringList> parts,
                   int count, ResultCallback callback);
    void removeParts(const QString &key, int from, int to, KeychainResult result,
                     ResultCallback callback);
    void startNext();
    void startNextLater();
    void runJob(Pending pending, KeychainState state);
    void finishJob(QKeychain::Job *job);

    QString m_service;
    QString m_keyPrefix;
    QQueue<Pending> m_queue;
    bool m_busy = false;
    Pending m_current;
    int m_chunkLimit = 0;
};

} // namespace qlaude
