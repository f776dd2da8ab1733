#pragma once

#include <QObject>
#include <QQueue>
#include <QString>

#include <functional>

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
    };
    void enqueue(Pending pending);
    void startNext();
    void startNextLater();
    void runJob(Pending pending, KeychainState state);
    void finishJob(QKeychain::Job *job);

    QString m_service;
    QQueue<Pending> m_queue;
    bool m_busy = false;
    Pending m_current;
};

} // namespace qlaude
