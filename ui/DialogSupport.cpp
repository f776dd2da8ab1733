#include "DialogSupport.h"

#include <QGuiApplication>
#include <QScreen>

#include <QAction>
#include <QCoreApplication>
#include <QEvent>
#include <QFontDatabase>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QScrollArea>

namespace qlaude {

namespace {
// An eye, crossed out when `crossed`, in the given colour; used when the theme has no icon.
QIcon eyeIcon(const QColor &color, bool crossed)
{
    QPixmap pixmap(64, 64);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(color, 4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    QPainterPath eye;
    eye.moveTo(6, 32);
    eye.quadTo(32, 6, 58, 32);
    eye.quadTo(32, 58, 6, 32);
    p.drawPath(eye);
    p.setBrush(color);
    p.drawEllipse(QPointF(32, 32), 8, 8);
    if (crossed)
        p.drawLine(QPointF(12, 54), QPointF(52, 10));
    p.end();
    return QIcon(pixmap);
}

QIcon themedOr(const char *themeName, const QIcon &fallback)
{
    const QIcon themed = QIcon::fromTheme(QLatin1String(themeName));
    return themed.isNull() ? fallback : themed;
}
} // namespace

QFont monospaceFont()
{
    QFont f = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    f.setStyleHint(QFont::Monospace);
    return f;
}

void fitToAvailableScreen(QWidget *window)
{
    QScreen *screen = window->screen() ? window->screen() : QGuiApplication::primaryScreen();
    if (!screen)
        return;
    constexpr int kMargin = 24; // beside the window
    constexpr int kFrame = 40;  // the window manager's title bar and borders
    const QRect area = screen->availableGeometry();
    const QSize most(qMax(320, area.width() - 2 * kMargin),
                     qMax(240, area.height() - 2 * kMargin - kFrame));
    window->setMinimumSize(window->minimumSize().boundedTo(most));
    if (window->width() > most.width() || window->height() > most.height())
        window->resize(window->size().boundedTo(most));
}

void setNames(QWidget *widget, const QString &objectName, const QString &accessibleName)
{
    widget->setObjectName(objectName);
    widget->setAccessibleName(accessibleName);
}

QString objectNameFor(const QString &variable, const QString &typeSuffix)
{
    if (!variable.contains(QLatin1Char('_')) && variable != variable.toUpper()) {
        // Already camelCase, like "apiKeyHelper".
        return variable.left(1).toLower() + variable.mid(1) + typeSuffix;
    }
    QString out;
    const QStringList parts = variable.toLower().split(QLatin1Char('_'), Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        if (out.isEmpty())
            out = part;
        else
            out += part.left(1).toUpper() + part.mid(1);
    }
    return out + typeSuffix;
}

QLabel *makeHintLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

QLabel *makeMessageLabel(const QString &objectName, const QString &accessibleName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    setNames(label, objectName, accessibleName);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    return label;
}

QAction *addRevealAction(QLineEdit *lineEdit)
{
    lineEdit->setEchoMode(QLineEdit::Password);
    const QColor color = lineEdit->palette().color(QPalette::Text);
    const QIcon show = themedOr("view-reveal-symbolic", eyeIcon(color, false));
    const QIcon hide = themedOr("view-conceal-symbolic", eyeIcon(color, true));
    auto *action =
        new QAction(show, QCoreApplication::translate("DialogSupport", "Show"), lineEdit);
    QString base = lineEdit->objectName();
    if (base.endsWith(QLatin1String("LineEdit")))
        base.chop(8);
    action->setObjectName(base + QStringLiteral("RevealAction"));
    action->setCheckable(true);
    action->setToolTip(QCoreApplication::translate("DialogSupport", "Show the text"));
    QObject::connect(action, &QAction::toggled, lineEdit, [lineEdit, action, show, hide](bool on) {
        lineEdit->setEchoMode(on ? QLineEdit::Normal : QLineEdit::Password);
        action->setIcon(on ? hide : show);
        action->setText(on ? QCoreApplication::translate("DialogSupport", "Hide")
                           : QCoreApplication::translate("DialogSupport", "Show"));
        action->setToolTip(on ? QCoreApplication::translate("DialogSupport", "Hide the text")
                              : QCoreApplication::translate("DialogSupport", "Show the text"));
    });
    lineEdit->addAction(action, QLineEdit::TrailingPosition);
    return action;
}

bool isPlainToken(const QString &text)
{
    for (const QChar c : text) {
        if (c.unicode() <= 0x20 || c.unicode() >= 0x7f)
            return false;
    }
    return true;
}

ViewportWidthFitter::ViewportWidthFitter(QScrollArea *area) : QObject(area), m_area(area)
{
    area->installEventFilter(this);
    area->viewport()->installEventFilter(this);
    area->widget()->installEventFilter(this);
}

bool ViewportWidthFitter::eventFilter(QObject *watched, QEvent *event)
{
    // The event type first: while the scroll area is being destroyed its children still send
    // events here, and m_area is no longer a QScrollArea then (UBSan: a member call on a
    // QWidget), so m_area is only touched for the events this filter handles.
    const QEvent::Type type = event->type();
    if (type != QEvent::Resize && type != QEvent::LayoutRequest && type != QEvent::Show)
        return false;
    if ((watched == m_area->viewport() && type == QEvent::Resize) ||
        (watched == m_area->widget() && type == QEvent::LayoutRequest)) {
        fit();
    } else if (watched == m_area && type == QEvent::Show) {
        // A page shown from a stack: its scroll bar was decided while it was hidden.
        fit();
        m_area->setVerticalScrollBarPolicy(m_area->verticalScrollBarPolicy()); // re-lays out
    }
    return false;
}

void ViewportWidthFitter::fit()
{
    QWidget *content = m_area->widget();
    const int width = m_area->viewport()->width();
    const int height = content->hasHeightForWidth() ? content->heightForWidth(width)
                                                    : content->sizeHint().height();
    content->resize(width, qMax(height, m_area->viewport()->height()));
}

} // namespace qlaude
