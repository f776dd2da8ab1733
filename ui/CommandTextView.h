#pragma once

#include <QPlainTextEdit>

namespace qlaude {

// A read-only, selectable, monospace view of a command line or a path. Long text wraps
// anywhere (a path has no spaces), and the view asks for exactly the height of its wrapped
// text (height-for-width), up to maxLines; beyond that it scrolls. Text is never elided: what
// runs is what is shown. It is plain text, and shown through displaySafe(): control, bidi and
// zero-width characters appear escaped ("\e", "\n", "\u202e"), never interpreted.
class CommandTextView : public QPlainTextEdit
{
    Q_OBJECT
    Q_DISABLE_COPY(CommandTextView)
public:
    explicit CommandTextView(const QString &text, QWidget *parent = nullptr);

    void setMaxLines(int lines);
    // Replaces the text (one command or path: a newline in it is shown as "\n") and fits the
    // height to it.
    void setText(const QString &text);
    // Replaces the text with a report of several lines: its line breaks stay line breaks, the
    // characters within each line are escaped as in setText().
    void setLines(const QString &text);
    // The number of lines the text takes at the given viewport width.
    int wrappedLineCount(int width) const;

    bool hasHeightForWidth() const override;
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    int heightFor(int lines) const;
    void replaceText(const QString &safeText);
    void updateScrollBar();

    int m_maxLines = 8;
};

} // namespace qlaude
