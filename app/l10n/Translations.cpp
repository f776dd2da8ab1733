#include "Translations.h"

#include <QCoreApplication>
#include <QFile>
#include <QLibraryInfo>
#include <QLocale>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::Translations)
};

const char *const kCatalogueLanguages[] = {"de", "ja"};
} // namespace

QString Translations::languageArgument(int argc, char *argv[])
{
    QString value;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--")
            break;
        if (arg == "--lang" && i + 1 < argc)
            value = QString::fromLocal8Bit(argv[++i]);
        else if (arg.startsWith("--lang="))
            value = QString::fromLocal8Bit(arg.mid(7));
    }
    return value;
}

QStringList Translations::availableLanguages()
{
    QStringList languages{QStringLiteral("en")};
    for (const char *language : kCatalogueLanguages)
        languages << QString::fromLatin1(language);
    return languages;
}

QString Translations::cataloguePath(const QString &language)
{
    return QStringLiteral(":/i18n/qlaude_%1.qm").arg(language);
}

QString Translations::languageFor(const QString &localeName)
{
    const QString name = localeName.trimmed();
    if (name.isEmpty())
        return QString();
    // "C" and "POSIX" (with or without an encoding) are the untranslated locale. QLocale reads
    // a name it does not know as C too, so C counts only when the name says so.
    const QString base = name.section(QLatin1Char('.'), 0, 0).section(QLatin1Char('@'), 0, 0);
    if (base == QLatin1String("C") || base == QLatin1String("POSIX"))
        return QStringLiteral("en");
    const QLocale locale(base);
    if (locale.language() == QLocale::English)
        return QStringLiteral("en");
    if (locale.language() == QLocale::C)
        return QString();
    const QString language = QLocale::languageToCode(locale.language());
    return availableLanguages().contains(language) ? language : QString();
}

bool Translations::load(const QString &requested, QString *error)
{
    QString language;
    if (!requested.isEmpty()) {
        language = languageFor(requested);
        if (language.isEmpty()) {
            if (error) {
                *error = Tr::tr("Qlaude has no texts in the language \"%1\". Use --lang with one "
                                "of: %2.")
                             .arg(requested, availableLanguages().join(QStringLiteral(", ")));
            }
            return false;
        }
    } else {
        // The system's preferred UI languages in order (LANGUAGE, LC_ALL, LC_MESSAGES, LANG on
        // Unix): English, or a language without texts followed by nothing better, stays English.
        for (const QString &name : QLocale::system().uiLanguages()) {
            language = languageFor(name);
            if (!language.isEmpty())
                break;
        }
        if (language.isEmpty())
            language = QStringLiteral("en");
    }
    m_language = language;
    if (language == QLatin1String("en"))
        return true;
    m_appLoaded = m_app.load(cataloguePath(language));
    m_qtLoaded = m_qt.load(QStringLiteral("qtbase_") + language,
                           QLibraryInfo::path(QLibraryInfo::TranslationsPath));
    return true;
}

QString Translations::translate(const char *context, const char *sourceText) const
{
    const QString text = m_appLoaded ? m_app.translate(context, sourceText) : QString();
    return text.isEmpty() ? QString::fromUtf8(sourceText) : text;
}

void Translations::install()
{
    // The last installed is asked first: Qlaude's texts before Qt's.
    if (m_qtLoaded)
        QCoreApplication::installTranslator(&m_qt);
    if (m_appLoaded)
        QCoreApplication::installTranslator(&m_app);
}

void Translations::uninstall()
{
    QCoreApplication::removeTranslator(&m_app);
    QCoreApplication::removeTranslator(&m_qt);
}

} // namespace qlaude
