#include "SecretChunks.h"

#include <QObject>

namespace qlaude::SecretChunks {

namespace {
const QLatin1String kPrefix("qlaude-chunks:1:");

int utf8Size(QChar c)
{
    const ushort u = c.unicode();
    if (u < 0x80)
        return 1;
    if (u < 0x800)
        return 2;
    return 3; // a BMP character, or half of a surrogate pair (4 bytes for the pair)
}
} // namespace

Split split(const QString &secret, int limitBytes)
{
    Split s;
    const qsizetype total = secret.toUtf8().size();
    limitBytes = qMax(limitBytes, 16);
    if (total <= limitBytes) {
        s.header = secret;
        return s;
    }
    QString chunk;
    int bytes = 0;
    for (qsizetype i = 0; i < secret.size(); ++i) {
        const QChar c = secret.at(i);
        // A surrogate pair is one character: 4 bytes, kept together.
        const bool pair =
            c.isHighSurrogate() && i + 1 < secret.size() && secret.at(i + 1).isLowSurrogate();
        const int size = pair ? 4 : utf8Size(c);
        if (bytes + size > limitBytes) {
            s.chunks << chunk;
            chunk.clear();
            bytes = 0;
        }
        chunk += c;
        if (pair)
            chunk += secret.at(++i);
        bytes += size;
    }
    if (!chunk.isEmpty())
        s.chunks << chunk;
    s.header =
        kPrefix + QString::number(s.chunks.size()) + QLatin1Char(':') + QString::number(total);
    return s;
}

namespace {
bool parseHeader(const QString &stored, int *count, qsizetype *length)
{
    if (!stored.startsWith(kPrefix))
        return false;
    const QStringList parts = stored.mid(kPrefix.size()).split(QLatin1Char(':'));
    bool countOk = false;
    bool lengthOk = false;
    if (parts.size() == 2) {
        *count = parts.at(0).toInt(&countOk);
        *length = parts.at(1).toLongLong(&lengthOk);
    }
    return countOk && lengthOk && *count > 0 && *length > 0;
}
} // namespace

int chunkCount(const QString &stored)
{
    if (!stored.startsWith(kPrefix))
        return 0;
    int count = 0;
    qsizetype length = 0;
    return parseHeader(stored, &count, &length) ? count : -1;
}

bool join(const QString &header, const QStringList &chunks, QString *secret, QString *error)
{
    int count = 0;
    qsizetype length = 0;
    if (!parseHeader(header, &count, &length)) {
        *error = QObject::tr("The keychain entry is not a valid chunk header.");
        return false;
    }
    if (chunks.size() != count) {
        *error = QObject::tr("The keychain holds %1 of the %2 parts of this secret. Sign in or "
                             "save it again.")
                     .arg(chunks.size())
                     .arg(count);
        return false;
    }
    QString joined = chunks.join(QString());
    if (joined.toUtf8().size() != length) {
        joined.fill(QLatin1Char('\0'));
        *error = QObject::tr("The parts of this secret in the keychain do not fit together (one "
                             "changed). Sign in or save it again.");
        return false;
    }
    *secret = joined;
    return true;
}

QString chunkKey(const QString &key, int index)
{
    return key + QStringLiteral(":chunk-") + QString::number(index);
}

} // namespace qlaude::SecretChunks
