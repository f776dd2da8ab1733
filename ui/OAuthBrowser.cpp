#include "OAuthBrowser.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QPluginLoader>

namespace qlaude::OAuthBrowser {

namespace {
QPluginLoader *g_loader = nullptr;
OAuthBrowserFactory *g_factory = nullptr;

// The plugin's place relative to the executable, the same in the build tree (build/app/qlaude,
// build/lib/qlaude/plugins) and in an installation (bin/qlaude, lib/qlaude/plugins). Never a
// path compiled in: the package can be installed anywhere.
QString pluginFile()
{
#if defined(Q_OS_WIN)
    const QString name = QStringLiteral("qlaude_webauth.dll");
#else
    const QString name = QStringLiteral("libqlaude_webauth.so");
#endif
    return QDir(QCoreApplication::applicationDirPath() + QStringLiteral("/../lib/qlaude/plugins"))
        .absoluteFilePath(name);
}

QString notInstalledMessage()
{
#if defined(Q_OS_LINUX)
    return QObject::tr("The embedded browser is not installed with this copy of Qlaude. Install "
                       "the qlaude-webauth package with your package manager (apt install "
                       "qlaude-webauth), or use the system browser or paste the code instead.");
#else
    return QObject::tr("The embedded browser is not installed with this copy of Qlaude. "
                       "Reinstall Qlaude with the embedded browser, or use the system browser "
                       "or paste the code instead.");
#endif
}
} // namespace

OAuthBrowserFactory *factory(QString *error)
{
    if (g_factory)
        return g_factory;
    const QString file = QDir::cleanPath(pluginFile());
    if (!QFile::exists(file)) {
        if (error)
            *error = notInstalledMessage();
        return nullptr;
    }
    auto *loader = new QPluginLoader(file, qApp);
    if (auto *f = qobject_cast<OAuthBrowserFactory *>(loader->instance())) {
        g_loader = loader;
        g_factory = f;
        return f;
    }
    if (error)
        *error = QObject::tr("The embedded browser could not be loaded: %1 (%2). Use the "
                             "system browser or paste the code instead.")
                     .arg(file, loader->errorString());
    delete loader;
    return nullptr;
}

bool isLoaded()
{
    return g_factory != nullptr;
}

} // namespace qlaude::OAuthBrowser
