#include "ElidingLabel.h"

#include <QHelpEvent>
#include <QPainter>
#include <QStyle>
#include <QToolTip>

namespace qlaude {

ElidingLabel::ElidingLabel(int minimumChars, QWidget *parent)
    : QLabel(parent), m_minimumChars(minimumChars)
{
    setTextFormat(Qt::PlainText);
    setWordWrap(false);
}

QSize ElidingLabel::minimumSizeHint() const
{
    const int width = qMin(fontMetrics().averageCharWidth() * m_minimumChars,
                           fontMetrics().horizontalAdvance(text()));
    return QSize(width + contentsMargins().left() + contentsMargins().right(),
                 QLabel::minimumSizeHint().height());
}

QSize ElidingLabel::sizeHint() const
{
    return QSize(fontMetrics().horizontalAdvance(text()) + 2 + contentsMargins().left() +
                     contentsMargins().right(),
                 QLabel::sizeHint().height());
}

bool ElidingLabel::isElided() const
{
    return fontMetrics().horizontalAdvance(text()) > contentsRect().width();
}

QString ElidingLabel::shownText() const
{
    return fontMetrics().elidedText(text(), Qt::ElideRight, contentsRect().width());
}

QString ElidingLabel::effectiveToolTip() const
{
    if (!isElided())
        return toolTip();
    if (toolTip().isEmpty() || toolTip() == text())
        return text();
    return text() + QLatin1Char('\n') + toolTip();
}

bool ElidingLabel::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const QString tip = effectiveToolTip();
        auto *help = static_cast<QHelpEvent *>(event);
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QLabel::event(event);
}

void ElidingLabel::paintEvent(QPaintEvent *event)
{
    if (!isElided()) {
        QLabel::paintEvent(event);
        return;
    }
    QPainter painter(this);
    style()->drawItemText(&painter, contentsRect(), int(alignment()) | Qt::AlignVCenter, palette(),
                          isEnabled(), shownText(), foregroundRole());
}

} // namespace qlaude
