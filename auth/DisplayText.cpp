#include "DisplayText.h"

#include <QStringList>

namespace qlaude {

namespace {
bool needsEscape(char32_t c)
{
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return true; // C0, DEL, C1
    if (c == 0x2028 || c == 0x2029)
        return true; // line and paragraph separators: a line break in a text view
    if (c >= 0xd800 && c <= 0xdfff)
        return true; // a surrogate without its other half
    return QChar::category(c) == QChar::Other_Format;
}

QString hex(char32_t c, int digits)
{
    return QStringLiteral("%1").arg(uint(c), digits, 16, QLatin1Char('0'));
}

QString escaped(char32_t c)
{
    switch (c) {
    case 0x1b:
        return QStringLiteral("\\e");
    case '\n':
        return QStringLiteral("\\n");
    case '\r':
        return QStringLiteral("\\r");
    case '\t':
        return QStringLiteral("\\t");
    default:
        break;
    }
    if (c <= 0x9f)
        return QStringLiteral("\\x") + hex(c, 2);
    if (c <= 0xffff)
        return QStringLiteral("\\u") + hex(c, 4);
    return QStringLiteral("\\U") + hex(c, 8);
}

// Calls visit(codePoint, position, length) for every code point of `text`; a lone surrogate is
// one code point of its own.
template<typename F> void forEachCodePoint(const QString &text, F visit)
{
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar ch = text.at(i);
        if (ch.isHighSurrogate() && i + 1 < n && text.at(i + 1).isLowSurrogate()) {
            visit(QChar::surrogateToUcs4(ch, text.at(i + 1)), i, 2);
            ++i;
        } else {
            visit(char32_t(ch.unicode()), i, 1);
        }
    }
}

bool anyNeedsEscape(const QString &text)
{
    bool any = false;
    forEachCodePoint(text,
                     [&any](char32_t c, qsizetype, qsizetype) { any = any || needsEscape(c); });
    return any;
}
} // namespace

QString displaySafe(const QString &text)
{
    if (!anyNeedsEscape(text))
        return text;
    QString out;
    out.reserve(text.size() + 16);
    forEachCodePoint(text, [&](char32_t c, qsizetype pos, qsizetype len) {
        if (needsEscape(c))
            out += escaped(c);
        else
            out += QStringView(text).mid(pos, len);
    });
    return out;
}

QString displaySafeLines(const QString &text)
{
    if (!anyNeedsEscape(text))
        return text;
    QStringList lines = text.split(QLatin1Char('\n'));
    for (QString &line : lines)
        line = displaySafe(line);
    return lines.join(QLatin1Char('\n'));
}

QByteArray terminalSafeJson(const QByteArray &json)
{
    const QString text = QString::fromUtf8(json);
    // Qt writes the C0 controls of a string as JSON escapes already; structure is ASCII.
    bool any = false;
    forEachCodePoint(text, [&any](char32_t c, qsizetype, qsizetype) {
        any = any || (needsEscape(c) && c != '\n');
    });
    if (!any)
        return json;
    QString out;
    out.reserve(text.size() + 16);
    forEachCodePoint(text, [&](char32_t c, qsizetype pos, qsizetype len) {
        // JSON's own layout (the line breaks of indented output) is never inside a string:
        // Qt escapes a string's newline as "\n".
        if (!needsEscape(c) || c == '\n') {
            out += QStringView(text).mid(pos, len);
        } else if (c <= 0xffff) {
            out += QStringLiteral("\\u") + hex(c, 4);
        } else {
            out += QStringLiteral("\\u") + hex(QChar::highSurrogate(c), 4) + QStringLiteral("\\u") +
                   hex(QChar::lowSurrogate(c), 4);
        }
    });
    return out.toUtf8();
}

QString redactUrlPassword(const QString &url)
{
    const qsizetype schemeEnd = url.indexOf(QLatin1String("://"));
    const qsizetype start = schemeEnd >= 0 ? schemeEnd + 3 : 0;
    qsizetype end = url.size();
    for (qsizetype i = start; i < url.size(); ++i) {
        const QChar c = url.at(i);
        if (c == QLatin1Char('/') || c == QLatin1Char('?') || c == QLatin1Char('#')) {
            end = i;
            break;
        }
    }
    if (end <= start)
        return url;
    // The userinfo ends at the authority's last '@'; its password starts after the first ':'.
    const qsizetype at = url.lastIndexOf(QLatin1Char('@'), end - 1);
    if (at < start)
        return url;
    const qsizetype colon = url.indexOf(QLatin1Char(':'), start);
    if (colon < 0 || colon >= at || colon + 1 == at)
        return url;
    return url.left(colon + 1) + QStringLiteral("…") + url.mid(at);
}

} // namespace qlaude
