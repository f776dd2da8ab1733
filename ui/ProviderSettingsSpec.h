#pragma once

#include "AuthContext.h"

#include <QList>
#include <QString>

namespace qlaude {

// One field of the provider settings: the environment variable (or settings `env` key) the CLI
// reads, how to edit and check it, and the texts around it. Texts are untranslated source
// strings (QT_TRANSLATE_NOOP, context "ProviderSettingsPage"); the page translates them.
struct SettingsField
{
    enum class Type
    {
        Text,
        Url,             // http(s) with a host
        Flag,            // "1" when on, removed when off
        PositiveInteger, // milliseconds
        Headers,         // newline-separated "Name: Value"
        List,            // comma-separated words
        Secret,          // goes to the keychain, never to a file
    };

    const char *variable;
    Type type;
    const char *label;
    const char *help;
    const char *defaultText = nullptr; // shown when unset: what applies then
    const char *keychainKey = nullptr; // Secret only
    const char *example = nullptr;     // placeholder showing the expected form (not a default)
};

struct ProviderPageSpec
{
    Provider provider;
    const char *title;
    const char *intro;
    QList<SettingsField> fields;
    // The Network page: the proxy, CA certificates and client certificate every provider
    // shares (`provider` is then unused).
    bool network = false;
};

// The pages, in the order the dialog lists them: Anthropic, AWS Bedrock, Google Vertex AI,
// Microsoft Foundry, then Network.
const QList<ProviderPageSpec> &providerPageSpecs();

// A spec text, translated ("" for null).
QString settingsText(const char *text);

// What is wrong with a value typed into the field, as a sentence that says how to fix it; ""
// when it is fine. An empty value (unset) is always fine. Never quotes a secret's value.
QString checkSettingsValue(const SettingsField &field, const QString &value);

} // namespace qlaude
