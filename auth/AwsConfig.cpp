#include "AwsConfig.h"

#include "SettingsLayers.h"

#include <QDir>

namespace qlaude {

namespace {
constexpr qint64 kMaxFile = 1024 * 1024;

QString expandHome(const QString &path, const QProcessEnvironment &env)
{
    if (path.startsWith(QLatin1String("~/")))
        return AwsConfig::homeDir(env) + path.mid(1);
    return path;
}

QByteArray readSmall(const QString &path, QString *error)
{
    if (!QFileInfo::exists(path))
        return QByteArray();
    if (QFileInfo(path).size() > kMaxFile) {
        *error = QStringLiteral("%1 is larger than 1 MiB and was not read").arg(path);
        return QByteArray();
    }
    QByteArray text;
    const QString why = SettingsLayers::readFile(path, &text);
    if (!why.isEmpty())
        *error = why;
    return text;
}

QString stripComment(const QString &line)
{
    // "#" or ";" starts a comment at the line start or after whitespace.
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if ((c == QLatin1Char('#') || c == QLatin1Char(';')) &&
            (i == 0 || line.at(i - 1).isSpace()))
            return line.left(i);
    }
    return line;
}
} // namespace

QString AwsConfig::homeDir(const QProcessEnvironment &env)
{
    const QString home = env.value(QStringLiteral("HOME"));
    return home.isEmpty() ? QDir::homePath() : home;
}

QString AwsConfig::configFile(const QProcessEnvironment &env)
{
    const QString f = env.value(QStringLiteral("AWS_CONFIG_FILE"));
    return f.isEmpty() ? homeDir(env) + QStringLiteral("/.aws/config") : expandHome(f, env);
}

QString AwsConfig::credentialsFile(const QProcessEnvironment &env)
{
    const QString f = env.value(QStringLiteral("AWS_SHARED_CREDENTIALS_FILE"));
    return f.isEmpty() ? homeDir(env) + QStringLiteral("/.aws/credentials") : expandHome(f, env);
}

QString AwsConfig::profileName(const QProcessEnvironment &env)
{
    const QString p = env.value(QStringLiteral("AWS_PROFILE")).trimmed();
    return p.isEmpty() ? QStringLiteral("default") : p;
}

QMap<QString, QMap<QString, QString>> AwsConfig::parseIni(const QByteArray &text, bool configStyle)
{
    QMap<QString, QMap<QString, QString>> sections;
    QString section;
    bool inSection = false;
    QString parentKey; // a `key =` with an empty value: indented lines below are key.sub
    for (const QString &raw : QString::fromUtf8(text).split(QLatin1Char('\n'))) {
        const QString line = stripComment(raw);
        if (line.trimmed().isEmpty())
            continue;
        const QString t = line.trimmed();
        if (t.startsWith(QLatin1Char('[')) && t.endsWith(QLatin1Char(']'))) {
            QString name = t.mid(1, t.size() - 2).trimmed();
            if (configStyle && name.startsWith(QLatin1String("profile ")))
                name = name.mid(8).trimmed();
            section = name;
            inSection = !name.isEmpty();
            parentKey.clear();
            continue;
        }
        if (!inSection)
            continue;
        const int eq = t.indexOf(QLatin1Char('='));
        if (eq <= 0)
            continue;
        const QString key = t.left(eq).trimmed().toLower();
        const QString value = t.mid(eq + 1).trimmed();
        if (line.at(0).isSpace() && !parentKey.isEmpty()) {
            sections[section].insert(parentKey + QLatin1Char('.') + key, value);
            continue;
        }
        parentKey = value.isEmpty() ? key : QString();
        sections[section].insert(key, value);
    }
    return sections;
}

AwsProfile AwsConfig::profile(const QProcessEnvironment &env, const QString &name)
{
    AwsProfile p;
    p.name = name;
    QString error;
    const auto config = parseIni(readSmall(configFile(env), &error), true);
    const auto credentials = parseIni(readSmall(credentialsFile(env), &error), false);
    p.error = error;
    if (config.contains(name)) {
        p.found = true;
        p.values = config.value(name);
    }
    if (credentials.contains(name)) {
        p.found = true;
        const QMap<QString, QString> c = credentials.value(name);
        for (auto it = c.begin(); it != c.end(); ++it)
            p.values.insert(it.key(), it.value());
    }
    return p;
}

QUrl AwsConfig::bedrockBaseUrl(const QProcessEnvironment &env, const QString &region)
{
    const QString base = env.value(QStringLiteral("ANTHROPIC_BEDROCK_BASE_URL")).trimmed();
    return base.isEmpty()
               ? QUrl(QStringLiteral("https://bedrock-runtime.%1.amazonaws.com").arg(region))
               : QUrl(base);
}

AwsRegion AwsConfig::region(const QProcessEnvironment &env,
                            const std::function<QString(const QString &)> &describeSource)
{
    const auto from = [&](const char *var) {
        const QString where = describeSource ? describeSource(QLatin1String(var)) : QString();
        return where.isEmpty() ? QLatin1String(var)
                               : QStringLiteral("%1 (%2)").arg(QLatin1String(var), where);
    };
    for (const char *var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        const QString v = env.value(QLatin1String(var)).trimmed();
        if (!v.isEmpty())
            return {v, from(var)};
    }
    const AwsProfile p = profile(env, profileName(env));
    if (!p.value("region").isEmpty())
        return {p.value("region"),
                QStringLiteral("profile %1 (from AWS config, %2)").arg(p.name, configFile(env))};
    return {QStringLiteral("us-east-1"), QStringLiteral("default; set AWS_REGION to change it")};
}

} // namespace qlaude
