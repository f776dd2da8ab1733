#pragma once

#include "AuthContext.h"

namespace qlaude {

struct GuiOptions
{
    bool exitAfterFirstPaint = false; // --exit-after-first-paint: print first-paint-ms and exit
};

// The desktop app: trust prompt when the workspace's settings would run code, login when no
// credential exists, then the chat window. Runs the event loop and returns the exit code.
int runGui(const AuthContext::Options &contextOptions, const GuiOptions &options);

} // namespace qlaude
