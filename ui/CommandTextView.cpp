#include "CommandTextView.h"

#include "DialogSupport.h"
#include "DisplayText.h"

#include <QEvent>
#include <QScrollBar>
#include <QTextLayout>
#include <QTextOption>

namespace qlaude {

CommandTextView::CommandTextView(const QString &text, QWidget *parent) : QPlainTextEdit(parent)
{
    setFont(monospaceFont());
    setPlainText(displaySafe(text));
    setReadOnly(true);
    setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    setTabChangesFocus(true);
    setUndoRedoEnabled(false);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Maximum);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
    updateScrollBar();
}

void CommandTextView::setMaxLines(int lines)
{
    m_maxLines = qMax(1, lines);
    updateScrollBar();
    updateGeometry();
}

void CommandTextView::setText(const QString &text)
{
    replaceText(displaySafe(text));
}

void CommandTextView::setLines(const QString &text)
{
    replaceText(displaySafeLines(text));
}

void CommandTextView::replaceText(const QString &safeText)
{
    setPlainText(safeText);
    updateScrollBar();
    updateGeometry();
}

int CommandTextView::wrappedLineCount(int width) const
{
    const qreal lineWidth = qMax<qreal>(1, width - 2 * document()->documentMargin());
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    int lines = 0;
    const QStringList paragraphs = toPlainText().split(QLatin1Char('\n'));
    for (const QString &paragraph : paragraphs) {
        QTextLayout layout(paragraph, font());
        layout.setTextOption(option);
        layout.beginLayout();
        int count = 0;
        for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
            line.setLineWidth(lineWidth);
            ++count;
        }
        layout.endLayout();
        lines += qMax(1, count);
    }
    return qMax(1, lines);
}

int CommandTextView::heightFor(int lines) const
{
    return lines * fontMetrics().lineSpacing() + int(2 * document()->documentMargin()) +
           2 * frameWidth() + 1;
}

bool CommandTextView::hasHeightForWidth() const
{
    return true;
}

int CommandTextView::heightForWidth(int width) const
{
    const int lines = wrappedLineCount(width - 2 * frameWidth());
    return heightFor(qMin(lines, m_maxLines));
}

QSize CommandTextView::sizeHint() const
{
    const int width = QPlainTextEdit::sizeHint().width();
    return QSize(width, heightForWidth(qMax(this->width(), width)));
}

QSize CommandTextView::minimumSizeHint() const
{
    return QSize(fontMetrics().averageCharWidth() * 20, heightFor(1));
}

void CommandTextView::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    updateScrollBar();
}

void CommandTextView::changeEvent(QEvent *event)
{
    QPlainTextEdit::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
        updateGeometry();
}

void CommandTextView::updateScrollBar()
{
    const bool scrolls = wrappedLineCount(width() - 2 * frameWidth()) > m_maxLines;
    setVerticalScrollBarPolicy(scrolls ? Qt::ScrollBarAsNeeded : Qt::ScrollBarAlwaysOff);
}

} // namespace qlaude
