#pragma once

#include "AppServices.h"

#include <QDialog>
#include <QJsonObject>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace qlaude {

class ErrorBanner;

// The `qlaude --doctor` report in a window: the text of DoctorReport::toText, monospace and
// read-only, with "Copy" (a redacted copy for a bug report) and "Close". Built from services,
// it also offers "Refresh", which reloads them and builds the report again.
class DoctorDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY(DoctorDialog)
public:
    explicit DoctorDialog(const QJsonObject &report, QWidget *parent = nullptr);
    explicit DoctorDialog(AppServices &services, QWidget *parent = nullptr);

    void setReport(const QJsonObject &report);
    QJsonObject report() const { return m_report; }
    QString text() const;

    // The text with anything that looks like a secret replaced: Anthropic keys (sk-ant-…),
    // bearer tokens, NAME=value pairs of secret-looking variables, AWS key ids, JWTs and long
    // random-looking tokens. The report itself holds at most the last four characters of a
    // secret; this is a second line of defence for what goes to the clipboard.
    static QString redacted(const QString &text);

signals:
    // The redacted report was put on the clipboard.
    void copied();

private:
    void buildUi();
    void copyReport();
    void refresh();
    QJsonObject buildFromServices() const;

    AppServices *m_services = nullptr;
    QJsonObject m_report;
    QPlainTextEdit *m_view = nullptr;
    ErrorBanner *m_verdict = nullptr; // first: ready, or what is wrong and the step to fix it
    QLabel *m_statusLabel = nullptr;
    QPushButton *m_copyButton = nullptr;
    QPushButton *m_refreshButton = nullptr;
};

} // namespace qlaude
