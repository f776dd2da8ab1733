#pragma once

#include <QtGlobal>

namespace qlaude {

class ChatWindow;

// Milliseconds since this process started, from /proc/self/stat (elsewhere: since static
// initialization).
qint64 millisecondsSinceProcessStart();

// --exit-after-first-paint: once `window` has painted for the first time, print
// "first-paint-ms: N" (N counted from the start of the process) and exit the app with 0. The
// window leaves the model list alone.
void exitAfterFirstPaint(ChatWindow *window);

} // namespace qlaude
