#include "ErrorBanner.h"

#include "ChatWindowStyle.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

namespace qlaude {

ErrorBanner::ErrorBanner(QWidget *parent)
    : QFrame(parent), m_icon(new QLabel(this)), m_text(new QLabel(this)),
      m_action(new QPushButton(this)), m_secondAction(new QPushButton(this)),
      m_close(new QToolButton(this))
{
    setObjectName(QStringLiteral("errorBannerFrame"));
    setAccessibleName(tr("Notice"));
    m_text->setObjectName(QStringLiteral("errorBannerLabel"));
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_text->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_action->setObjectName(QStringLiteral("errorBannerActionPushButton"));
    m_secondAction->setObjectName(QStringLiteral("errorBannerSecondActionPushButton"));
    m_secondAction->hide();
    m_close->setObjectName(QStringLiteral("errorBannerCloseToolButton"));
    m_close->setAccessibleName(tr("Dismiss"));
    m_close->setToolTip(tr("Dismiss"));
    m_close->setAutoRaise(true);
    m_close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(14, 8, 8, 8);
    layout->setSpacing(10);
    layout->addWidget(m_icon, 0, Qt::AlignVCenter);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_action, 0, Qt::AlignVCenter);
    layout->addWidget(m_secondAction, 0, Qt::AlignVCenter);
    layout->addWidget(m_close, 0, Qt::AlignVCenter);
    connect(m_action, &QPushButton::clicked, this, &ErrorBanner::actionTriggered);
    connect(m_secondAction, &QPushButton::clicked, this, &ErrorBanner::secondActionTriggered);
    connect(m_close, &QToolButton::clicked, this, [this] {
        hide();
        emit dismissed();
    });
    hide();
}

void ErrorBanner::showMessage(Severity severity, const QString &text, const QString &actionText,
                              const QString &secondActionText)
{
    m_severity = severity;
    m_text->setText(text);
    m_action->setText(actionText);
    m_action->setAccessibleName(actionText);
    m_action->setVisible(!actionText.isEmpty());
    m_secondAction->setText(secondActionText);
    m_secondAction->setAccessibleName(secondActionText);
    m_secondAction->setVisible(!secondActionText.isEmpty());
    setAccessibleDescription(text);
    updateIcon();
    show();
}

void ErrorBanner::setText(const QString &text)
{
    m_text->setText(text);
    setAccessibleDescription(text);
}

QString ErrorBanner::text() const
{
    return m_text->text();
}

QString ErrorBanner::actionText() const
{
    return m_action->isVisible() || !m_action->text().isEmpty() ? m_action->text() : QString();
}

void ErrorBanner::updateIcon()
{
    QStyle::StandardPixmap pixmap = QStyle::SP_MessageBoxInformation;
    if (m_severity == Severity::Warning)
        pixmap = QStyle::SP_MessageBoxWarning;
    else if (m_severity == Severity::Error)
        pixmap = QStyle::SP_MessageBoxCritical;
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_icon->setPixmap(style()->standardIcon(pixmap).pixmap(size, size));
}

void ErrorBanner::paintEvent(QPaintEvent *event)
{
    QPainter p(this);
    const QPalette &pal = palette();
    p.fillRect(rect(), chatstyle::bannerBackground(pal));
    // An accent bar on the left, and a hairline under the banner.
    p.fillRect(QRect(0, 0, 4, height()), pal.color(QPalette::Highlight));
    p.fillRect(QRect(0, height() - 1, width(), 1), chatstyle::hairline(pal));
    QFrame::paintEvent(event);
}

void ErrorBanner::changeEvent(QEvent *event)
{
    QFrame::changeEvent(event);
    if (event->type() == QEvent::StyleChange)
        updateIcon();
}

} // namespace qlaude
