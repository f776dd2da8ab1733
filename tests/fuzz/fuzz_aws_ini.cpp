// The AWS shared config and credentials files (AwsConfig::parseIni), both styles, over
// arbitrary text. Properties: no crash, no section or key with surrounding whitespace, and the
// same text parses the same way twice.
#include "AwsConfig.h"
#include "FuzzSupport.h"

using namespace qlaude;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    for (const bool configStyle : {true, false}) {
        const auto sections = AwsConfig::parseIni(text, configStyle);
        QLAUDE_FUZZ_CHECK(sections == AwsConfig::parseIni(text, configStyle),
                          "the same INI text parsed two ways");
        for (auto s = sections.begin(); s != sections.end(); ++s) {
            QLAUDE_FUZZ_CHECK(s.key() == s.key().trimmed(), "a section name keeps whitespace");
            for (auto k = s.value().begin(); k != s.value().end(); ++k)
                QLAUDE_FUZZ_CHECK(k.key() == k.key().trimmed(), "a key keeps whitespace");
        }
    }
    return 0;
}
