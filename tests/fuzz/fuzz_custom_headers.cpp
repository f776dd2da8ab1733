// ANTHROPIC_CUSTOM_HEADERS (RequestOptions::parseCustomHeaders) over arbitrary text. Properties:
// every header that comes out can go on the wire as one line (a token name, a value without
// CR, LF, NUL or other controls), none controls framing or routing or is anthropic-version,
// headersFor() never lets a custom credential header replace Qlaude's own, and no error quotes
// a value.
#include "FuzzSupport.h"
#include "RequestOptions.h"

using namespace qlaude;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    QStringList errors;
    RequestOptions options;
    options.customHeaders =
        RequestOptions::parseCustomHeaders(text, &errors, QStringLiteral("user settings"));
    for (const auto &[name, value] : options.customHeaders) {
        QLAUDE_FUZZ_CHECK(RequestOptions::isHeaderToken(name), "a header name is not a token");
        QLAUDE_FUZZ_CHECK(RequestOptions::isValidHeaderValue(value), "a header value is unsafe");
        QLAUDE_FUZZ_CHECK(!RequestOptions::isFramingHeader(name), "a framing header passed");
        QLAUDE_FUZZ_CHECK(name.compare("anthropic-version", Qt::CaseInsensitive) != 0,
                          "anthropic-version passed");
        for (const char c : value)
            QLAUDE_FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0',
                              "a header value breaks the line");
    }
    for (const auto &[name, value] : options.headersFor(true))
        QLAUDE_FUZZ_CHECK(!RequestOptions::isCredentialHeader(name),
                          "a custom credential header replaces Qlaude's own");
    (void)options.droppedCredentialHeaders();
    // A value is what follows the first colon of a line; an error may name the header, the line
    // and the file, never the value.
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        const QString value = colon < 0 ? QString() : line.mid(colon + 1).trimmed();
        if (value.size() < 12 || !value.contains(QLatin1String("qltSECRET")))
            continue;
        bool inSomeName = false;
        for (const QString &other : text.split(QLatin1Char('\n')))
            inSomeName =
                inSomeName ||
                other.left(qMax<qsizetype>(0, other.indexOf(QLatin1Char(':')))).contains(value);
        for (const QString &e : errors)
            QLAUDE_FUZZ_CHECK(inSomeName || !e.contains(value), "a header error quotes a value");
    }
    return 0;
}
