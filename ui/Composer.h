#pragma once

#include <QPlainTextEdit>

namespace qlaude {

// Where the user writes. Enter sends, Shift+Enter adds a line, Escape stops an answer (or
// cancels an edit), and Up in an empty composer edits the last message. It grows with its
// text up to a few lines, then scrolls.
class Composer : public QPlainTextEdit
{
    Q_OBJECT
    Q_DISABLE_COPY(Composer)
public:
    static constexpr int kMaxVisibleLines = 8;

    explicit Composer(QWidget *parent = nullptr);

    QString text() const { return toPlainText(); }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void submitted();
    void escapePressed();
    void editLastRequested();

protected:
    bool event(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    int heightForLines(int lines) const;
};

} // namespace qlaude
