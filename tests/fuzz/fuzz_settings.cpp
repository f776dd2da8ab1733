// The settings loader and its layers: SettingsLayers::parseJson over arbitrary file text, the
// CLI's deep merge of two layers (the input split in two), the env block's values, and the
// request options read from that environment (timeouts, betas, custom headers). Properties: a
// file is either an object or an error naming the file with a line and column; merging a layer
// keeps every key it set; no error text quotes a secret value.
#include "FuzzSupport.h"
#include "RequestOptions.h"
#include "SettingsLayers.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QProcessEnvironment>

using namespace qlaude;

namespace {

const QString kPath = QStringLiteral("/fuzz/.claude/settings.json");

QJsonObject parse(const QByteArray &text)
{
    QString error;
    const QJsonObject o = SettingsLayers::parseJson(text, kPath, &error);
    if (!error.isEmpty()) {
        QLAUDE_FUZZ_CHECK(o.isEmpty(), "a settings file both failed and loaded");
        QLAUDE_FUZZ_CHECK(error.contains(kPath), "a settings error does not name its file");
        QLAUDE_FUZZ_CHECK(!error.contains(QLatin1String("qltSECRET")),
                          "a settings error quotes a secret");
    }
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype cut = text.indexOf('\0');
    const QJsonObject first = parse(cut < 0 ? text : text.left(cut));
    const QJsonObject second = cut < 0 ? QJsonObject() : parse(text.mid(cut + 1));

    QJsonObject merged = first;
    SettingsLayers::mergeInto(merged, second);
    for (auto it = second.begin(); it != second.end(); ++it)
        QLAUDE_FUZZ_CHECK(merged.contains(it.key()), "a merged layer lost a key it set");

    QProcessEnvironment env;
    const QJsonObject block = merged.value(QLatin1String("env")).toObject();
    for (auto it = block.begin(); it != block.end(); ++it)
        env.insert(it.key(), settingsEnvValue(it.value()));
    const RequestOptions options = RequestOptions::fromEnvironment(
        env, [](const QString &) { return QStringLiteral("project settings (%1)").arg(kPath); });
    for (const QString &e : options.errors)
        QLAUDE_FUZZ_CHECK(!e.contains(QLatin1String("qltSECRET")),
                          "an option error quotes a value");
    for (const auto &[name, value] : options.customHeaders) {
        QLAUDE_FUZZ_CHECK(RequestOptions::isHeaderToken(name),
                          "a custom header name is not a token");
        QLAUDE_FUZZ_CHECK(RequestOptions::isValidHeaderValue(value),
                          "a custom header value is unsafe");
    }
    QLAUDE_FUZZ_CHECK(options.timeoutMs > 0, "API_TIMEOUT_MS read as zero or less");
    return 0;
}
