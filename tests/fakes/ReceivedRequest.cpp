#include "ReceivedRequest.h"

namespace qlaude::fakes {

QStringList ReceivedRequest::betas() const
{
    QStringList betas;
    const QList<QByteArray> values = header("anthropic-beta").split(',');
    for (const QByteArray &value : values) {
        if (!value.trimmed().isEmpty())
            betas.append(QString::fromLatin1(value.trimmed()));
    }
    return betas;
}

bool ReceivedRequest::isSecretHeader(const QByteArray &name)
{
    const QByteArray n = name.toLower();
    return n == "authorization" || n == "proxy-authorization" || n == "cookie" ||
           n.contains("key") || n.contains("token") || n.contains("secret") || n.contains("auth") ||
           n.contains("signature") || n.contains("credential");
}

QString ReceivedRequest::summary(bool withHeaders) const
{
    QString line =
        QStringLiteral("#%1 %2 %3 -> %4")
            .arg(number)
            .arg(QString::fromLatin1(method), QString::fromUtf8(target),
                 responseStatus ? QString::number(responseStatus) : QStringLiteral("no response"));
    if (!withHeaders)
        return line;
    for (const auto &h : headers) {
        line += QStringLiteral("\n    ") + QString::fromLatin1(h.first) + QStringLiteral(": ");
        line += isSecretHeader(h.first)
                    ? QStringLiteral("<redacted, %1 bytes>").arg(h.second.size())
                    : QString::fromLatin1(h.second);
    }
    return line;
}

} // namespace qlaude::fakes
