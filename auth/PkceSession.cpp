#include "PkceSession.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

namespace qlaude {

QString PkceSession::base64Url(const QByteArray &bytes)
{
    return QString::fromLatin1(
        bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString PkceSession::randomToken(int bytes)
{
    QByteArray buffer(bytes, Qt::Uninitialized);
    // QRandomGenerator::system() reads the operating system's secure source (getrandom).
    for (int i = 0; i < bytes; ++i)
        buffer[i] = char(QRandomGenerator::system()->bounded(256));
    const QString token = base64Url(buffer);
    buffer.fill('\0');
    return token;
}

QString PkceSession::challengeFor(const QString &verifier)
{
    return base64Url(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256));
}

bool PkceSession::constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    // Walk the expected value's full length whatever the input, and fold the length difference
    // in, so the time says nothing about where the first difference is.
    quint32 diff = quint32(a.size() ^ b.size());
    for (qsizetype i = 0; i < a.size(); ++i) {
        const char other = i < b.size() ? b.at(i) : char(~a.at(i));
        diff |= quint32(quint8(a.at(i) ^ other));
    }
    return diff == 0;
}

PkceSession PkceSession::generate()
{
    PkceSession s;
    s.m_verifier = randomToken();
    s.m_challenge = challengeFor(s.m_verifier);
    s.m_state = randomToken();
    return s;
}

PkceSession PkceSession::fromValues(const QString &verifier, const QString &state)
{
    PkceSession s;
    s.m_verifier = verifier;
    s.m_challenge = challengeFor(verifier);
    s.m_state = state;
    return s;
}

bool PkceSession::stateMatches(QStringView returned) const
{
    if (m_state.isEmpty())
        return false;
    return constantTimeEquals(m_state.toLatin1(), returned.toUtf8());
}

void PkceSession::clear()
{
    m_verifier.fill(QLatin1Char('\0'));
    m_state.fill(QLatin1Char('\0'));
    m_verifier.clear();
    m_state.clear();
    m_challenge.clear();
}

} // namespace qlaude
