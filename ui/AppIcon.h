#pragma once

#include <QIcon>
#include <QPixmap>

namespace qlaude {

// Qlaude's icon: a speech bubble shaped like a Q on a rounded square. It is drawn here at each
// size (crisp at 16 px as at 512), from the same geometry as resources/icons/qlaude.svg, which
// the desktop entry uses.
namespace AppIcon {

QPixmap pixmap(int size);
// Sizes 16, 24, 32, 48, 64, 128, 256 and 512.
QIcon icon();

} // namespace AppIcon
} // namespace qlaude
