#include "Composer.h"

#include <QAbstractTextDocumentLayout>
#include <QKeyEvent>
#include <QTextBlock>
#include <QTextDocument>

#include <cmath>

namespace qlaude {

Composer::Composer(QWidget *parent) : QPlainTextEdit(parent)
{
    setObjectName(QStringLiteral("composerPlainTextEdit"));
    setAccessibleName(tr("Message"));
    setAccessibleDescription(tr("Enter sends the message; Shift+Enter starts a new line."));
    setTabChangesFocus(true);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setFrameShape(QFrame::NoFrame);
    setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    document()->setDocumentMargin(6);
    connect(document()->documentLayout(), &QAbstractTextDocumentLayout::documentSizeChanged, this,
            [this] { updateGeometry(); });
}

int Composer::heightForLines(int lines) const
{
    const QMargins m = contentsMargins();
    return int(std::ceil(lines * fontMetrics().lineSpacing() + 2 * document()->documentMargin())) +
           m.top() + m.bottom();
}

QSize Composer::sizeHint() const
{
    // QPlainTextEdit's document size counts wrapped lines of the visible width.
    int lines = 0;
    for (QTextBlock b = document()->firstBlock(); b.isValid() && lines <= kMaxVisibleLines;
         b = b.next())
        lines += qMax(1, b.lineCount());
    const int clamped = qBound(1, lines, kMaxVisibleLines);
    return QSize(QPlainTextEdit::sizeHint().width(), heightForLines(qMax(2, clamped)));
}

QSize Composer::minimumSizeHint() const
{
    return QSize(120, heightForLines(2));
}

bool Composer::event(QEvent *event)
{
    // Ctrl+K is "delete to the end of the line" in X11 text fields; in the chat window it opens
    // the search, so let the window's shortcut have it.
    if (event->type() == QEvent::ShortcutOverride) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->key() == Qt::Key_K && key->modifiers() == Qt::ControlModifier) {
            event->ignore();
            return true;
        }
    }
    return QPlainTextEdit::event(event);
}

void Composer::keyPressEvent(QKeyEvent *event)
{
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && !(event->modifiers() & (Qt::ShiftModifier | Qt::ControlModifier | Qt::AltModifier |
                                         Qt::MetaModifier))) {
        emit submitted();
        return;
    }
    if (enter && (event->modifiers() & Qt::ShiftModifier)) {
        insertPlainText(QStringLiteral("\n"));
        ensureCursorVisible();
        return;
    }
    if (event->key() == Qt::Key_Escape && event->modifiers() == Qt::NoModifier) {
        emit escapePressed();
        return;
    }
    if (event->key() == Qt::Key_Up && event->modifiers() == Qt::NoModifier &&
        document()->isEmpty()) {
        emit editLastRequested();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

} // namespace qlaude
