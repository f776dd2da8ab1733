#pragma once

#include "KeychainStore.h"
#include "OAuthTokens.h"

#include <functional>

namespace qlaude {

// The OAuth login in the keychain: entry "oauth", one JSON document (OAuthTokens). A locked or
// missing keychain is reported as such, never as "not logged in".
class OAuthTokenStore
{
public:
    struct ReadResult
    {
        KeychainResult::Status status = KeychainResult::Status::Failed;
        OAuthTokens tokens; // when ok()
        QString message;    // a sentence for a person; never holds a token
        bool ok() const { return status == KeychainResult::Status::Ok; }
        bool notFound() const { return status == KeychainResult::Status::NotFound; }
    };
    using ReadCallback = std::function<void(const ReadResult &)>;
    using WriteCallback = std::function<void(const KeychainResult &)>;

    // The keychain is not owned and must outlive the store.
    explicit OAuthTokenStore(KeychainStore *keychain) : m_keychain(keychain) {}

    KeychainStore *keychain() const { return m_keychain; }

    // An entry that is not a login document (or holds no access token) reads as Failed.
    void read(ReadCallback done);
    void write(const OAuthTokens &tokens, WriteCallback done);
    void remove(WriteCallback done);

    // Blocking variants, for the command line only.
    ReadResult readSync();
    KeychainResult writeSync(const OAuthTokens &tokens);
    KeychainResult removeSync();

    static ReadResult parse(const KeychainResult &raw);

private:
    KeychainStore *m_keychain;
};

} // namespace qlaude
