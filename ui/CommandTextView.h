#pragma once

#include <QPlainTextEdit>

namespace qlaude {

// A read-only, selectable, monospace view of a command line or a path. Long text wraps
// anywhere (a path has no spaces), and the view asks for exactly the height of its wrapped
// text (height-for-width), up to maxLines; beyond that it scrolls. Text is never elided: what
// runs is what is shown.
class CommandTextView : public QPlainTextEdit
{
    Q_OBJECT
    Q_DISABLE_COPY(CommandTextView)
public:
    explicit CommandTextView(const QString &text, QWidget *parent = nullptr);

    void setMaxLines(int lines);
    // Replaces the text and fits the height to it.
    void setText(const QString &text);
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
    void updateScrollBar();

    int m_maxLines = 8;
};

} // namespace qlaude
