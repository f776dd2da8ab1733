#include "OAuthBrowser.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QPluginLoader>

namespace qlaude::OAuthBrowser {

namespace {
QPluginLoader *g_loader = nullptr;
OAuthBrowserFactory *g_factory = nullptr;

QStringList candidates()
{
    const QString appDir = QCoreApplication::applicationDirPath();
    QStringList dirs{appDir, appDir + QStringLiteral("/../lib/qlaude"),
                     appDir + QStringLiteral("/../lib")};
#ifdef QLAUDE_PLUGIN_BUILD_DIR
    dirs << QStringLiteral(QLAUDE_PLUGIN_BUILD_DIR);
#endif
    QStringList files;
    for (const QString &d : dirs)
        files << QDir(d).filePath(QStringLiteral("libqlaude_webauth.so"));
    return files;
}
} // namespace

OAuthBrowserFactory *factory(QString *error)
{
    if (g_factory)
        return g_factory;
    QStringList tried;
    for (const QString &file : candidates()) {
        if (!QFile::exists(file))
            continue;
        auto *loader = new QPluginLoader(file, qApp);
        if (auto *f = qobject_cast<OAuthBrowserFactory *>(loader->instance())) {
            g_loader = loader;
            g_factory = f;
            return f;
        }
        tried << QStringLiteral("%1 (%2)").arg(file, loader->errorString());
        delete loader;
    }
    if (error)
        *error = tried.isEmpty()
                     ? QObject::tr("The embedded browser is not installed with this copy of "
                                   "Qlaude. Use the system browser or paste the code instead.")
                     : QObject::tr("The embedded browser could not be loaded: %1. Use the "
                                   "system browser or paste the code instead.")
                           .arg(tried.join(QStringLiteral("; ")));
    return nullptr;
}

bool isLoaded()
{
    return g_factory != nullptr;
}

} // namespace qlaude::OAuthBrowser
