#pragma once

#include <QByteArray>
#include <QString>
#include <QStringView>

namespace qlaude {

// One authorization attempt's PKCE verifier (RFC 7636, S256) and `state`: each 32 random bytes
// from the system's secure generator, base64url without padding. Every attempt makes a new one.
class PkceSession
{
public:
    static constexpr int kRandomBytes = 32;

    static PkceSession generate();
    // Known values (test vectors); the challenge is derived from the verifier.
    static PkceSession fromValues(const QString &verifier, const QString &state);

    const QString &verifier() const { return m_verifier; }
    const QString &challenge() const { return m_challenge; }
    const QString &state() const { return m_state; }
    bool isValid() const { return !m_verifier.isEmpty() && !m_state.isEmpty(); }

    // The returned `state` equals ours, compared in constant time.
    bool stateMatches(QStringView returned) const;
    // Overwrites the verifier and state, once the attempt is over.
    void clear();

    static QString challengeFor(const QString &verifier); // base64url(SHA-256(verifier))
    static QString base64Url(const QByteArray &bytes);    // no padding
    static QString randomToken(int bytes = kRandomBytes);
    // Equal contents, in time that depends only on the lengths.
    static bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

private:
    QString m_verifier;
    QString m_challenge;
    QString m_state;
};

} // namespace qlaude
