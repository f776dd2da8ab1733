#include "DoctorDialog.h"

#include "DialogSupport.h"
#include "DoctorReport.h"
#include "ErrorBanner.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QTextDocumentFragment>
#include <QTextOption>
#include <QToolButton>
#include <QVBoxLayout>

namespace qlaude {

namespace {
const QString kRedacted = QStringLiteral("[redacted]");

// A read-only view whose selection, too, is copied redacted (Ctrl+C, the context menu).
class RedactingTextView : public QPlainTextEdit
{
public:
    using QPlainTextEdit::QPlainTextEdit;

protected:
    QMimeData *createMimeDataFromSelection() const override
    {
        auto *data = new QMimeData;
        data->setText(DoctorDialog::redacted(textCursor().selection().toPlainText()));
        return data;
    }
};

bool looksRandom(const QString &token)
{
    bool lower = false, upper = false, digit = false;
    for (const QChar c : token) {
        lower = lower || c.isLower();
        upper = upper || c.isUpper();
        digit = digit || c.isDigit();
    }
    return lower && upper && digit;
}
} // namespace

QString DoctorDialog::redacted(const QString &input)
{
    QString text = input;
    // Anthropic keys and tokens: sk-ant-api03-…, sk-ant-oat01-…
    static const QRegularExpression anthropic(QStringLiteral("sk-ant-[A-Za-z0-9_\\-]+"));
    text.replace(anthropic, QStringLiteral("sk-ant-") + kRedacted);
    static const QRegularExpression bearer(
        QStringLiteral("\\b(Bearer)\\s+(?!\\[redacted\\])[A-Za-z0-9._~+/=\\-]{6,}"),
        QRegularExpression::CaseInsensitiveOption);
    text.replace(bearer, QStringLiteral("\\1 ") + kRedacted);
    // NAME=value or NAME: value for variables that hold secrets (ANTHROPIC_API_KEY=…).
    static const QRegularExpression variable(
        QStringLiteral("\\b([A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS))(\\s*[=:]\\s*"
                       "[\"']?)(?!…|\\[redacted\\])[^\\s\"',;]{4,}"));
    text.replace(variable, QStringLiteral("\\1\\2") + kRedacted);
    // Header and JSON field spellings.
    static const QRegularExpression field(
        QStringLiteral("\\b(x-api-key|authorization|api[-_]?key|access[-_]?token|refresh[-_]?"
                       "token|client[-_]?secret|password)([\"']?\\s*[=:]\\s*[\"']?)(?!…|Bearer\\b|"
                       "\\[redacted\\])[^\\s\"',;]{4,}"),
        QRegularExpression::CaseInsensitiveOption);
    text.replace(field, QStringLiteral("\\1\\2") + kRedacted);
    static const QRegularExpression fixedShapes(QStringLiteral(
        "\\b(?:(?:AKIA|ASIA)[A-Z0-9]{16}|AIza[0-9A-Za-z_\\-]{35}|ya29\\.[0-9A-Za-z_\\-]+|"
        "eyJ[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]+)"));
    text.replace(fixedShapes, kRedacted);
    // Long random-looking runs (no '/', '.' or '-', so paths and names survive).
    static const QRegularExpression longToken(QStringLiteral("[A-Za-z0-9+_]{32,}={0,2}"));
    QString out;
    qsizetype last = 0;
    for (auto it = longToken.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        if (!looksRandom(m.captured()))
            continue;
        out += QStringView(text).mid(last, m.capturedStart() - last) + kRedacted;
        last = m.capturedEnd();
    }
    out += QStringView(text).mid(last);
    return out;
}

DoctorDialog::DoctorDialog(const QJsonObject &report, QWidget *parent) : QDialog(parent)
{
    buildUi();
    setReport(report);
}

DoctorDialog::DoctorDialog(AppServices &services, QWidget *parent)
    : QDialog(parent), m_services(&services)
{
    buildUi();
    setReport(buildFromServices());
}

void DoctorDialog::buildUi()
{
    setObjectName(QStringLiteral("doctorDialog"));
    setWindowTitle(tr("Qlaude Doctor"));
    setAccessibleName(tr("Doctor report"));
    auto *layout = new QVBoxLayout(this);

    QLabel *intro = makeHintLabel(tr("Where Qlaude finds its credential and settings, and what "
                                     "stops a request. Copy redacts anything that looks like a "
                                     "secret, so you can paste it into a bug report."),
                                  this);
    intro->setObjectName(QStringLiteral("introLabel"));
    // The verdict before the details: ready, or what is wrong and the one step to fix it.
    m_verdict = new ErrorBanner(this);
    m_verdict->setObjectName(QStringLiteral("verdictBanner"));
    m_verdict->setAccessibleName(tr("Verdict"));
    m_verdict->closeButton()->hide();
    layout->addWidget(m_verdict);
    layout->addWidget(intro);

    m_view = new RedactingTextView(this);
    setNames(m_view, QStringLiteral("reportPlainTextEdit"), tr("Doctor report"));
    m_view->setReadOnly(true);
    m_view->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    // The tables fit the default width; longer sentences wrap rather than scroll sideways.
    m_view->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_view->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    m_view->setFont(monospaceFont());
    m_view->setTabChangesFocus(true);
    layout->addWidget(m_view, 1);

    auto *bottom = new QHBoxLayout;
    m_statusLabel = makeMessageLabel(QStringLiteral("statusLabel"), tr("Status"), this);
    bottom->addWidget(m_statusLabel, 1);
    auto *buttons = new QDialogButtonBox(this);
    buttons->setObjectName(QStringLiteral("doctorDialogButtonBox"));
    if (m_services) {
        m_refreshButton = buttons->addButton(tr("&Refresh"), QDialogButtonBox::ActionRole);
        setNames(m_refreshButton, QStringLiteral("refreshPushButton"), tr("Refresh"));
        m_refreshButton->setToolTip(tr("Read the settings and the keychain again"));
        m_refreshButton->setAutoDefault(false);
        connect(m_refreshButton, &QPushButton::clicked, this, &DoctorDialog::refresh);
    }
    m_copyButton = buttons->addButton(tr("&Copy"), QDialogButtonBox::ActionRole);
    setNames(m_copyButton, QStringLiteral("copyPushButton"), tr("Copy report"));
    m_copyButton->setToolTip(tr("Copy the report, with secrets redacted"));
    m_copyButton->setAutoDefault(false);
    QPushButton *close = buttons->addButton(QDialogButtonBox::Close);
    setNames(close, QStringLiteral("closePushButton"), tr("Close"));
    close->setDefault(true);
    connect(m_copyButton, &QPushButton::clicked, this, &DoctorDialog::copyReport);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    bottom->addWidget(buttons);
    layout->addLayout(bottom);

    const QFontMetrics fm(m_view->font());
    resize(fm.horizontalAdvance(QLatin1Char('M')) * 112 + 40, fm.lineSpacing() * 30 + 120);
    fitToAvailableScreen(this);
    close->setFocus(Qt::OtherFocusReason);
}

void DoctorDialog::setReport(const QJsonObject &report)
{
    m_report = report;
    if (report.isEmpty()) {
        m_verdict->hide();
        m_view->setPlainText(tr("There is no report yet: Qlaude has not loaded its settings."));
        return;
    }
    const QJsonObject credential = report.value(QStringLiteral("credential")).toObject();
    const QJsonArray problems = report.value(QStringLiteral("problems")).toArray();
    if (report.value(QStringLiteral("ok")).toBool()) {
        QString text = tr("Ready: %1").arg(credential.value(QStringLiteral("summary")).toString());
        if (!problems.isEmpty())
            text +=
                QLatin1Char(' ') + tr("Still worth fixing: %1").arg(problems.first().toString());
        m_verdict->showMessage(problems.isEmpty() ? ErrorBanner::Severity::Info
                                                  : ErrorBanner::Severity::Warning,
                               text);
    } else {
        QString text =
            tr("Not ready: %1").arg(credential.value(QStringLiteral("summary")).toString());
        if (!problems.isEmpty())
            text += QLatin1Char(' ') + problems.first().toString();
        m_verdict->showMessage(ErrorBanner::Severity::Error, text);
    }
    m_view->setPlainText(DoctorReport::toText(report));
}

QString DoctorDialog::text() const
{
    return m_view->toPlainText();
}

QJsonObject DoctorDialog::buildFromServices() const
{
    if (!m_services || !m_services->context)
        return QJsonObject();
    return DoctorReport::build(*m_services->context, m_services->keychainSnapshot,
                               m_services->resolution);
}

void DoctorDialog::copyReport()
{
    QGuiApplication::clipboard()->setText(redacted(text()));
    m_statusLabel->setText(tr("Copied, with secrets redacted."));
    emit copied();
}

void DoctorDialog::refresh()
{
    if (!m_services || !m_services->reload) {
        setReport(buildFromServices());
        return;
    }
    m_refreshButton->setEnabled(false);
    m_statusLabel->setText(tr("Reading the settings and the keychain again…"));
    QPointer<DoctorDialog> self(this);
    m_services->reload([self] {
        if (!self)
            return;
        self->setReport(self->buildFromServices());
        self->m_refreshButton->setEnabled(true);
        self->m_statusLabel->setText(tr("Updated."));
    });
}

} // namespace qlaude
