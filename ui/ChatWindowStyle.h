#pragma once

#include <QColor>
#include <QPalette>

namespace qlaude::chatstyle {

// Colors of the chat window, all derived from the palette, so light and dark themes (and
// high-contrast ones) follow the system without a hardcoded color anywhere.

// a blended towards b by t (0..1).
inline QColor mix(const QColor &a, const QColor &b, qreal t)
{
    const qreal s = 1.0 - t;
    return QColor::fromRgbF(
        float(a.redF() * s + b.redF() * t), float(a.greenF() * s + b.greenF() * t),
        float(a.blueF() * s + b.blueF() * t), float(a.alphaF() * s + b.alphaF() * t));
}

// Text that is less important than the body: model names, dates, hints.
inline QColor secondaryText(const QPalette &p)
{
    return mix(p.color(QPalette::Text), p.color(QPalette::Base), 0.42);
}

// The tint behind the user's own messages.
inline QColor userBubble(const QPalette &p)
{
    return mix(p.color(QPalette::Base), p.color(QPalette::Highlight), 0.10);
}

// Code and tool boxes.
inline QColor codeBackground(const QPalette &p)
{
    return mix(p.color(QPalette::Base), p.color(QPalette::Text), 0.05);
}
inline QColor codeHeader(const QPalette &p)
{
    return mix(p.color(QPalette::Base), p.color(QPalette::Text), 0.09);
}
inline QColor hairline(const QPalette &p)
{
    return mix(p.color(QPalette::Base), p.color(QPalette::Text), 0.16);
}

// The bar at the left of a Markdown blockquote.
inline QColor quoteBar(const QPalette &p)
{
    return mix(p.color(QPalette::Base), p.color(QPalette::Text), 0.28);
}

// A selected or searched-for message.
inline QColor selectedRow(const QPalette &p)
{
    return mix(p.color(QPalette::Base), p.color(QPalette::Highlight), 0.16);
}

// Banners: a tint of the highlight color over the window background, with an accent bar.
inline QColor bannerBackground(const QPalette &p)
{
    return mix(p.color(QPalette::Window), p.color(QPalette::Highlight), 0.14);
}

} // namespace qlaude::chatstyle
