#include "RequestOptions.h"

#include <limits>

#include <QCoreApplication>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::RequestOptions)
};
} // namespace

namespace {
QString fromWhere(const QString &origin)
{
    return origin.isEmpty() ? QString() : Tr::tr(" (set in %1)").arg(origin);
}

bool validBeta(const QString &beta)
{
    if (beta.isEmpty())
        return false;
    for (QChar c : beta) {
        if (c.unicode() <= 0x20 || c.unicode() >= 0x7f || c == QLatin1Char(','))
            return false;
    }
    return true;
}
} // namespace

bool isTruthy(const QString &value)
{
    const QString v = value.trimmed().toLower();
    return v == QLatin1String("1") || v == QLatin1String("true") || v == QLatin1String("yes") ||
           v == QLatin1String("on");
}

bool RequestOptions::isHeaderToken(const QByteArray &name)
{
    if (name.isEmpty())
        return false;
    static const QByteArray specials("!#$%&'*+-.^_`|~");
    for (char c : name) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                        (c >= 'A' && c <= 'Z') || specials.contains(c);
        if (!ok)
            return false;
    }
    return true;
}

bool RequestOptions::isValidHeaderValue(const QByteArray &value)
{
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

bool RequestOptions::isFramingHeader(const QByteArray &name)
{
    const QByteArray n = name.trimmed().toLower();
    static const QByteArray names[] = {"host",       "content-length", "transfer-encoding",
                                       "connection", "keep-alive",     "upgrade",
                                       "te",         "trailer",        "expect"};
    for (const QByteArray &f : names) {
        if (n == f)
            return true;
    }
    return n.startsWith("proxy-");
}

bool RequestOptions::isCredentialHeader(const QByteArray &name)
{
    const QByteArray n = name.trimmed().toLower();
    return n == "x-api-key" || n == "authorization";
}

HeaderList RequestOptions::parseCustomHeaders(const QString &text, QStringList *errors,
                                              const QString &origin)
{
    HeaderList headers;
    const auto fail = [&](const QString &sentence) {
        if (errors)
            errors->append(sentence + fromWhere(origin) + QLatin1Char('.'));
    };
    // Lines split on \n (a \r before it is part of the line end). A lone \r anywhere else is
    // an injection attempt, and is rejected with its line.
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        QString line = lines.at(i);
        if (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
        if (line.trimmed().isEmpty())
            continue;
        const int lineNo = i + 1;
        const int colon = line.indexOf(QLatin1Char(':'));
        if (colon < 0) {
            fail(Tr::tr("ANTHROPIC_CUSTOM_HEADERS line %1 has no ':' and was ignored. "
                        "Write each header as \"Name: Value\"")
                     .arg(lineNo));
            continue;
        }
        const QByteArray name = line.left(colon).trimmed().toLatin1();
        const QString value = line.mid(colon + 1).trimmed();
        if (!isHeaderToken(name)) { // non-Latin-1 letters become '?', which is no token char
            fail(Tr::tr("ANTHROPIC_CUSTOM_HEADERS line %1 was ignored: the header name is "
                        "not a valid HTTP token. Use only letters, digits and "
                        "!#$%&'*+-.^_`|~")
                     .arg(lineNo));
            continue;
        }
        const QString shownName = QString::fromLatin1(name);
        if (isFramingHeader(name)) {
            fail(Tr::tr("ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was refused: that header "
                        "controls how the request is framed or where it is routed, so "
                        "only Qlaude sets it. Remove the line")
                     .arg(lineNo)
                     .arg(shownName));
            continue;
        }
        if (name.toLower() == "anthropic-version") {
            fail(Tr::tr("ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was refused: Qlaude sets "
                        "this header itself. Use QLAUDE_ANTHROPIC_VERSION to change it")
                     .arg(lineNo)
                     .arg(shownName));
            continue;
        }
        const QByteArray bytes = value.toUtf8();
        if (!isValidHeaderValue(bytes) || value.contains(QLatin1Char('\n')) ||
            value.contains(QLatin1Char('\r'))) {
            fail(Tr::tr("ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was ignored: its value "
                        "contains a line break or control character")
                     .arg(lineNo)
                     .arg(shownName));
            continue;
        }
        headers.append({name, bytes});
    }
    return headers;
}

HeaderList RequestOptions::headersFor(bool ownCredential) const
{
    if (!ownCredential)
        return customHeaders;
    HeaderList out;
    for (const auto &h : customHeaders) {
        if (!isCredentialHeader(h.first))
            out.append(h);
    }
    return out;
}

QStringList RequestOptions::droppedCredentialHeaders() const
{
    QStringList names;
    for (const auto &h : customHeaders) {
        if (isCredentialHeader(h.first))
            names.append(QString::fromLatin1(h.first));
    }
    return names;
}

RequestOptions RequestOptions::fromEnvironment(const QProcessEnvironment &env,
                                               const OriginFn &origin)
{
    const auto where = [&](const char *name) {
        return origin ? origin(QLatin1String(name)) : QString();
    };
    RequestOptions o;
    const HeaderList parsed =
        parseCustomHeaders(env.value(QStringLiteral("ANTHROPIC_CUSTOM_HEADERS")), &o.errors,
                           where("ANTHROPIC_CUSTOM_HEADERS"));
    QStringList betaValues =
        env.value(QStringLiteral("ANTHROPIC_BETAS")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const auto &h : parsed) {
        // A custom anthropic-beta joins the beta list instead of replacing it.
        if (h.first.toLower() == "anthropic-beta")
            betaValues += QString::fromUtf8(h.second).split(QLatin1Char(','), Qt::SkipEmptyParts);
        else
            o.customHeaders.append(h);
    }
    for (const QString &b : qAsConst(betaValues)) {
        const QString beta = b.trimmed();
        if (beta.isEmpty() || o.extraBetas.contains(beta))
            continue;
        if (!validBeta(beta)) {
            o.errors.append(Tr::tr("A value of ANTHROPIC_BETAS (or of a custom "
                                   "anthropic-beta header) was ignored: a beta name has "
                                   "no spaces, commas or control characters%1.")
                                .arg(fromWhere(where("ANTHROPIC_BETAS"))));
            continue;
        }
        o.extraBetas.append(beta);
    }
    const QString version = env.value(QStringLiteral("QLAUDE_ANTHROPIC_VERSION")).trimmed();
    if (!version.isEmpty()) {
        if (validBeta(version))
            o.anthropicVersion = version.toLatin1();
        else
            o.errors.append(Tr::tr("QLAUDE_ANTHROPIC_VERSION must be a version such as "
                                   "2023-06-01, without spaces or control "
                                   "characters%1; using %2.")
                                .arg(fromWhere(where("QLAUDE_ANTHROPIC_VERSION")),
                                     QString::fromLatin1(o.anthropicVersion)));
    }
    const auto milliseconds = [&](const char *name, int fallback) {
        const QString text = env.value(QString::fromLatin1(name)).trimmed();
        if (text.isEmpty())
            return fallback;
        bool ok = false;
        const qlonglong ms = text.toLongLong(&ok);
        if (ok && ms > 0 && ms <= std::numeric_limits<int>::max())
            return int(ms);
        o.errors.append(Tr::tr("%1 must be a positive number of milliseconds; using the "
                               "default of %2.")
                            .arg(QLatin1String(name))
                            .arg(fallback));
        return fallback;
    };
    o.timeoutMs = milliseconds("API_TIMEOUT_MS", kDefaultTimeoutMs);
    o.streamIdleTimeoutMs =
        milliseconds("CLAUDE_STREAM_IDLE_TIMEOUT_MS", kDefaultStreamIdleTimeoutMs);
    o.additionalProtection =
        isTruthy(env.value(QStringLiteral("CLAUDE_CODE_ADDITIONAL_PROTECTION")));
    return o;
}

} // namespace qlaude
