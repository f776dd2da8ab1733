#pragma once

#include <QProcessEnvironment>
#include <QString>
#include <QUrl>

namespace qlaude {

// Opens a URL in the user's browser without QtGui, for the command line (the desktop app uses
// QDesktopServices): the first command of $BROWSER that starts (a colon-separated list; "%s"
// stands for the URL, else the URL is the last argument), else xdg-open. The browser runs
// detached and outlives us.
namespace SystemBrowser {
bool open(const QUrl &url, const QProcessEnvironment &env, QString *error = nullptr);
}

} // namespace qlaude
