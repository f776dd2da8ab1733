#pragma once

#include "AuthContext.h"

#include <QString>

namespace qlaude {

// `qlaude --login=oauth [--profile=claudeai|console|oidc] [--browser=embedded|system|manual]`.
// profile empty: oidc when organization SSO is configured, else claudeai. browser empty: system
// when a display is available (DISPLAY or WAYLAND_DISPLAY), else manual.
// - system: opens the authorize URL in the browser ($BROWSER, else xdg-open) and waits for the
//   loopback callback; a pasted code#state is accepted too.
// - manual: prints the URL with the code-paste redirect and reads code#state from stdin.
// - embedded: needs the desktop app; the command line explains that and exits 2.
// Exit codes: 0 once the tokens are stored, 1 when the login failed or timed out, 2 for usage
// and configuration errors (such as a build without a client id).
int runOAuthLogin(const AuthContext &context, const QString &profile, const QString &browser);

} // namespace qlaude
