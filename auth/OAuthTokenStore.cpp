#include "OAuthTokenStore.h"

#include <QCoreApplication>
#include <QEventLoop>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::OAuthTokenStore)
};
} // namespace

namespace {
const QString kEntry = QLatin1String(KeychainStore::kOAuth);

template<typename Result, typename Start> Result waitFor(Start start)
{
    QEventLoop loop;
    Result result;
    bool done = false;
    start([&](const Result &r) {
        result = r;
        done = true;
        loop.quit();
    });
    if (!done)
        loop.exec();
    return result;
}
} // namespace

OAuthTokenStore::ReadResult OAuthTokenStore::parse(const KeychainResult &raw)
{
    ReadResult r;
    r.status = raw.status;
    r.message = raw.message;
    if (!raw.ok())
        return r;
    QString error;
    r.tokens = OAuthTokens::fromJson(raw.data, &error);
    if (r.tokens.isEmpty()) {
        r.status = KeychainResult::Status::Failed;
        r.message = error.isEmpty() ? Tr::tr("The stored login holds no access token. Log "
                                             "in again with qlaude --login=oauth.")
                                    : error + Tr::tr(" Log in again with qlaude "
                                                     "--login=oauth.");
    }
    return r;
}

void OAuthTokenStore::read(ReadCallback done)
{
    m_keychain->read(kEntry, [done](const KeychainResult &raw) { done(parse(raw)); });
}

void OAuthTokenStore::write(const OAuthTokens &tokens, WriteCallback done)
{
    QString text = tokens.toJsonText();
    m_keychain->write(kEntry, text, std::move(done));
    text.fill(QLatin1Char('\0'));
}

void OAuthTokenStore::remove(WriteCallback done)
{
    m_keychain->remove(kEntry, std::move(done));
}

OAuthTokenStore::ReadResult OAuthTokenStore::readSync()
{
    return waitFor<ReadResult>([this](ReadCallback cb) { read(std::move(cb)); });
}

KeychainResult OAuthTokenStore::writeSync(const OAuthTokens &tokens)
{
    return waitFor<KeychainResult>([&](WriteCallback cb) { write(tokens, std::move(cb)); });
}

KeychainResult OAuthTokenStore::removeSync()
{
    return waitFor<KeychainResult>([this](WriteCallback cb) { remove(std::move(cb)); });
}

} // namespace qlaude
