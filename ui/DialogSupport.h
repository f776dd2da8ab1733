#pragma once

#include <QFont>
#include <QObject>
#include <QString>

class QAction;
class QLabel;
class QLineEdit;
class QScrollArea;
class QWidget;

namespace qlaude {

// Small pieces the dialogs share.

// The system's fixed-pitch font, for commands, paths and reports.
QFont monospaceFont();

// Sets the object name (ending in the widget's type) and the accessible name together.
// Shrinks a window that would not fit the available area of its screen (the task bar and
// panels left out), with a small margin, so every dialog works down to 800 x 600. Content that
// needs more room scrolls.
void fitToAvailableScreen(QWidget *window);

void setNames(QWidget *widget, const QString &objectName, const QString &accessibleName);

// "ANTHROPIC_BASE_URL" + "LineEdit" -> "anthropicBaseUrlLineEdit".
QString objectNameFor(const QString &variable, const QString &typeSuffix);

// A word-wrapped label in the palette's secondary text colour, for help and provenance lines.
QLabel *makeHintLabel(const QString &text, QWidget *parent);
// A word-wrapped, selectable label for results and errors people may want to copy.
QLabel *makeMessageLabel(const QString &objectName, const QString &accessibleName, QWidget *parent);

// Masks the line edit and adds a trailing show/hide toggle (an eye drawn in the palette's text
// colour when the icon theme has none). Returns the action; its object name is
// "<lineEdit's object name without LineEdit>RevealAction".
QAction *addRevealAction(QLineEdit *lineEdit);

// True when the text could be a key or token: printable ASCII, no whitespace.
bool isPlainToken(const QString &text);

// Sizes a scroll area's content itself: exactly as wide as the viewport, and as tall as its
// wrapped text needs at that width. (QScrollArea's own resizing, with height-for-width content
// in a hidden stack page, leaves the content wider than the viewport once the vertical scroll
// bar appears, and the text under the bar is cut off.) Owned by the scroll area, whose content
// must be set first; setWidgetResizable(false).
class ViewportWidthFitter : public QObject
{
public:
    explicit ViewportWidthFitter(QScrollArea *area);
    bool eventFilter(QObject *watched, QEvent *event) override;
    // Gives the content its size for the viewport's width now.
    void fit();

private:
    QScrollArea *m_area;
};

} // namespace qlaude
