#include "RequestOptions.h"

#include <limits>

namespace qlaude {

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

HeaderList RequestOptions::parseCustomHeaders(const QString &text, QStringList *errors)
{
    HeaderList headers;
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
            if (errors)
                errors->append(QStringLiteral("ANTHROPIC_CUSTOM_HEADERS line %1 has no ':' and was "
                                              "ignored. Write each header as \"Name: Value\".")
                                   .arg(lineNo));
            continue;
        }
        const QByteArray name = line.left(colon).trimmed().toLatin1();
        const QString value = line.mid(colon + 1).trimmed();
        if (!isHeaderToken(name)) { // non-Latin-1 letters become '?', which is no token char
            if (errors)
                errors->append(QStringLiteral("ANTHROPIC_CUSTOM_HEADERS line %1 was ignored: the "
                                              "header name is not a valid HTTP token. Use only "
                                              "letters, digits and !#$%&'*+-.^_`|~.")
                                   .arg(lineNo));
            continue;
        }
        bool bad = false;
        for (QChar c : value) {
            if (c == QLatin1Char('\r') || c == QLatin1Char('\n') || c == QChar(0) ||
                (c.unicode() < 0x20 && c != QLatin1Char('\t')) || c.unicode() == 0x7f) {
                bad = true;
                break;
            }
        }
        if (bad) {
            if (errors)
                errors->append(QStringLiteral("ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was ignored: "
                                              "its value contains a line break or control "
                                              "character.")
                                   .arg(lineNo)
                                   .arg(QString::fromLatin1(name)));
            continue;
        }
        headers.append({name, value.toUtf8()});
    }
    return headers;
}

RequestOptions RequestOptions::fromEnvironment(const QProcessEnvironment &env)
{
    RequestOptions o;
    o.customHeaders =
        parseCustomHeaders(env.value(QStringLiteral("ANTHROPIC_CUSTOM_HEADERS")), &o.errors);
    const QString timeout = env.value(QStringLiteral("API_TIMEOUT_MS")).trimmed();
    if (!timeout.isEmpty()) {
        bool ok = false;
        const qlonglong ms = timeout.toLongLong(&ok);
        if (ok && ms > 0 && ms <= std::numeric_limits<int>::max())
            o.timeoutMs = int(ms);
        else
            o.errors.append(QStringLiteral("API_TIMEOUT_MS must be a positive number of "
                                           "milliseconds; using the default of %1.")
                                .arg(kDefaultTimeoutMs));
    }
    o.additionalProtection =
        isTruthy(env.value(QStringLiteral("CLAUDE_CODE_ADDITIONAL_PROTECTION")));
    const QStringList betas =
        env.value(QStringLiteral("ANTHROPIC_BETAS")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &b : betas) {
        if (!b.trimmed().isEmpty())
            o.extraBetas.append(b.trimmed());
    }
    return o;
}

} // namespace qlaude
