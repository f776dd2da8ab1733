#include "AppIcon.h"

#include <QPainter>
#include <QPainterPath>

namespace qlaude {
namespace AppIcon {

namespace {
const QColor kClay(0xC8, 0x64, 0x3B);
const QColor kPaper(0xFF, 0xF8, 0xF2);
} // namespace

QPixmap pixmap(int size)
{
    QPixmap out(size, size);
    out.fill(Qt::transparent);
    QPainter p(&out);
    p.setRenderHint(QPainter::Antialiasing);
    p.scale(size / 256.0, size / 256.0); // the SVG's 256 x 256 view box
    p.setPen(Qt::NoPen);
    p.setBrush(kClay);
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 54, 54);
    p.setBrush(kPaper);
    p.drawEllipse(QPointF(124, 120), 70, 70);
    QPainterPath tail;
    tail.moveTo(150, 160);
    tail.lineTo(200, 206);
    tail.lineTo(178, 214);
    tail.lineTo(136, 172);
    tail.closeSubpath();
    p.drawPath(tail);
    p.setBrush(kClay);
    p.drawEllipse(QPointF(124, 120), 38, 38);
    return out;
}

QIcon icon()
{
    QIcon icon;
    for (int size : {16, 24, 32, 48, 64, 128, 256, 512})
        icon.addPixmap(pixmap(size));
    return icon;
}

} // namespace AppIcon
} // namespace qlaude
