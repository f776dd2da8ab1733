#pragma once

#include <QLabel>

namespace qlaude {

// A one-line label that ends its text with "…" when it is too narrow, instead of clipping it.
// Its tooltip then starts with the whole text (followed by any tooltip set on it), and text()
// stays whole for code and accessibility. While the text fits, it is an ordinary QLabel (its
// text can be selected).
class ElidingLabel : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY(ElidingLabel)
public:
    // `minimumChars`: how many characters stay readable when the line is at its narrowest.
    explicit ElidingLabel(int minimumChars, QWidget *parent = nullptr);

    bool isElided() const;
    // What is painted: the text, or its elided form.
    QString shownText() const;
    // The tooltip as it shows now: the whole text while elided, then the label's own tooltip.
    QString effectiveToolTip() const;

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;

private:
    int m_minimumChars;
};

} // namespace qlaude
