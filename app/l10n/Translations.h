#pragma once

#include <QString>
#include <QStringList>
#include <QTranslator>

namespace qlaude {

// The languages of Qlaude's texts: English (the source texts) plus a catalogue per translation in
// resources/translations/ (German, Japanese), embedded in the executable under :/i18n. The
// language is the system locale's (its UI languages in order; the first that is English or has
// a catalogue wins) unless --lang names one. Qt's own texts (standard buttons, context menus)
// come from Qt's qtbase catalogue in QLibraryInfo's translations folder, when it is installed.
class Translations
{
public:
    // The value of --lang in argv ("--lang de" or "--lang=de"), empty when absent. Read before
    // QCoreApplication exists, so that every text, --help included, is in that language.
    static QString languageArgument(int argc, char *argv[]);
    // The languages with texts: "en", then one per catalogue ("de", "ja").
    static QStringList availableLanguages();
    // The resource path of a language's catalogue (":/i18n/qlaude_de.qm").
    static QString cataloguePath(const QString &language);
    // The language for a --lang value or locale name ("de", "de_AT", "ja-JP", "en", "C"), empty
    // when Qlaude has no texts in it.
    static QString languageFor(const QString &localeName);

    // Chooses the language (`requested` when not empty, else the system locale) and loads its
    // catalogues. False, with an error sentence, when `requested` names a language Qlaude has no
    // texts in (the texts stay English).
    bool load(const QString &requested, QString *error = nullptr);
    // "en", "de" or "ja": the language load() chose.
    QString language() const { return m_language; }
    // A text in the chosen language; usable before QCoreApplication exists (install() is not).
    QString translate(const char *context, const char *sourceText) const;
    // Installs the loaded catalogues into the running QCoreApplication.
    void install();
    // Removes them again: what follows is English (the machine-readable --doctor --json).
    void uninstall();

private:
    QString m_language = QStringLiteral("en");
    QTranslator m_app;
    QTranslator m_qt;
    bool m_appLoaded = false;
    bool m_qtLoaded = false;
};

} // namespace qlaude
