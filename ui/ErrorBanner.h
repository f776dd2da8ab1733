#pragma once

#include <QFrame>

class QLabel;
class QPushButton;
class QToolButton;

namespace qlaude {

// A dismissable bar above the messages: an icon from the style, a sentence that says what
// happened and what to do, and at most one action button. Colors come from the palette.
class ErrorBanner : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY(ErrorBanner)
public:
    enum class Severity
    {
        Info,
        Warning,
        Error
    };

    explicit ErrorBanner(QWidget *parent = nullptr);

    // Shows the banner. An empty actionText shows no button; a second action shows a second
    // button after the first.
    void showMessage(Severity severity, const QString &text, const QString &actionText = QString(),
                     const QString &secondActionText = QString());
    // Changes the sentence only (a countdown).
    void setText(const QString &text);
    QString text() const;
    QString actionText() const;
    Severity severity() const { return m_severity; }
    QPushButton *actionButton() const { return m_action; }
    QPushButton *secondActionButton() const { return m_secondAction; }
    QToolButton *closeButton() const { return m_close; }

signals:
    void actionTriggered();
    void secondActionTriggered();
    void dismissed();

protected:
    void paintEvent(QPaintEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void updateIcon();

    Severity m_severity = Severity::Info;
    QLabel *m_icon;
    QLabel *m_text;
    QPushButton *m_action;
    QPushButton *m_secondAction;
    QToolButton *m_close;
};

} // namespace qlaude
