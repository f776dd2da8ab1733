#include "TrustDialog.h"

#include "CommandTextView.h"
#include "DialogSupport.h"
#include "DisplayText.h"

#include <QDialogButtonBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QStyle>
#include <QVBoxLayout>

namespace qlaude {

namespace {
// Beyond this many settings the list scrolls instead of growing the dialog.
constexpr int kItemsWithoutScrolling = 3;

QLabel *boldLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    QFont f = label->font();
    f.setBold(true);
    label->setFont(f);
    return label;
}
} // namespace

TrustDialog::TrustDialog(const TrustState &state, QWidget *parent) : QDialog(parent), m_state(state)
{
    setObjectName(QStringLiteral("trustDialog"));
    setWindowTitle(tr("Trust this folder?"));
    setAccessibleName(tr("Workspace trust"));

    auto *layout = new QVBoxLayout(this);

    // Header: the style's warning icon beside the question and what it is about.
    auto *header = new QHBoxLayout;
    auto *icon = new QLabel(this);
    icon->setObjectName(QStringLiteral("warningIconLabel"));
    const int iconSize = style()->pixelMetric(QStyle::PM_MessageBoxIconSize, nullptr, this);
    icon->setPixmap(style()
                        ->standardIcon(QStyle::SP_MessageBoxWarning, nullptr, this)
                        .pixmap(iconSize, iconSize));
    icon->setAlignment(Qt::AlignTop);
    header->addWidget(icon, 0, Qt::AlignTop);
    auto *headerText = new QVBoxLayout;
    QLabel *title = boldLabel(tr("Do you trust the settings in this folder?"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    title->setFont(titleFont);
    setNames(title, QStringLiteral("titleLabel"), tr("Question"));
    headerText->addWidget(title);
    QLabel *intro = makeMessageLabel(QStringLiteral("introLabel"), tr("Explanation"), this);
    intro->setText(introText());
    headerText->addWidget(intro);
    header->addLayout(headerText, 1);
    layout->addLayout(header);

    layout->addSpacing(4);
    layout->addWidget(boldLabel(tr("Folder"), this));
    auto *path = new CommandTextView(m_state.workspace, this);
    setNames(path, QStringLiteral("workspacePathPlainTextEdit"), tr("Folder"));
    path->setMaxLines(3);
    layout->addWidget(path);
    if (m_state.homeDirectory) {
        QLabel *home =
            makeMessageLabel(QStringLiteral("homeDirectoryLabel"), tr("Home folder note"), this);
        home->setText(tr("This is your home folder. If you trust it, the trust lasts for this "
                         "run only; Qlaude asks again the next time it starts here."));
        layout->addWidget(home);
    }

    // The settings to approve: those not covered by an earlier approval, or all of them when
    // the caller asks about a folder that has no pending items.
    const QList<TrustItem> &items = m_state.pending.isEmpty() ? m_state.items : m_state.pending;
    auto *list = new QWidget(this);
    list->setObjectName(QStringLiteral("trustItemsWidget"));
    auto *listLayout = new QVBoxLayout(list);
    listLayout->setContentsMargins(0, 0, 0, 0);
    for (const TrustItem &item : items)
        listLayout->addWidget(buildItem(item));
    const int unchanged = int(m_state.items.size() - items.size());
    if (unchanged > 0) {
        listLayout->addWidget(makeHintLabel(
            tr("%n other setting(s) from this folder were approved before and have not changed.",
               nullptr, unchanged),
            list));
    }
    if (items.size() > kItemsWithoutScrolling) {
        listLayout->addStretch(1);
        auto *scroll = new QScrollArea(this);
        scroll->setObjectName(QStringLiteral("trustItemsScrollArea"));
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
        scroll->setWidget(list);
        scroll->setMinimumHeight(320);
        layout->addWidget(scroll, 1);
    } else {
        layout->addWidget(list);
    }

    layout->addSpacing(4);
    QLabel *warning = boldLabel(
        tr("Never trust a workspace from an untrusted source, as it could use these helpers to "
           "exfiltrate your API keys or run malicious commands on your behalf."),
        this);
    setNames(warning, QStringLiteral("warningLabel"), tr("Warning"));
    layout->addWidget(warning);
    QLabel *consequence = makeHintLabel(
        tr("If you choose Don't trust, Qlaude goes on without these settings and does not ask "
           "again until they change. File > Trust This Folder asks again."),
        this);
    setNames(consequence, QStringLiteral("consequenceLabel"), tr("What Don't trust does"));
    layout->addWidget(consequence);
    layout->addStretch(items.size() > kItemsWithoutScrolling ? 0 : 1);
    layout->addSpacing(6);

    auto *buttons = new QDialogButtonBox(this);
    buttons->setObjectName(QStringLiteral("trustDialogButtonBox"));
    m_trustButton = buttons->addButton(tr("&Trust this folder"), QDialogButtonBox::AcceptRole);
    setNames(m_trustButton, QStringLiteral("trustPushButton"), tr("Trust this folder"));
    m_dontTrustButton = buttons->addButton(tr("&Don't trust"), QDialogButtonBox::RejectRole);
    setNames(m_dontTrustButton, QStringLiteral("dontTrustPushButton"), tr("Don't trust"));
    // Enter means "Don't trust" wherever the focus is; trusting takes a click, Space on the
    // focused button, or its mnemonic.
    m_trustButton->setAutoDefault(false);
    m_dontTrustButton->setAutoDefault(true);
    m_dontTrustButton->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    m_dontTrustButton->setFocus(Qt::OtherFocusReason);
    setMinimumWidth(560);
    constexpr int kWidth = 680;
    resize(kWidth, qMax(layout->minimumSize().height(), layout->totalHeightForWidth(kWidth)));
    fitToAvailableScreen(this);
}

QString TrustDialog::introText() const
{
    bool textChanged = false;
    for (const TrustItem &i : m_state.pending)
        textChanged = textChanged || !i.previousValue.isNull();
    if (m_state.commandChanged() && !textChanged)
        return tr("A file that a command in this folder's settings runs changed since you "
                  "trusted the folder. The command will not run until you approve it again. The "
                  "changed files are named below.");
    if (m_state.commandChanged())
        return tr("A command in this folder's settings changed since you trusted the folder. It "
                  "will not run until you approve the new command. Compare the two below.");
    return tr("Settings in this folder would run the commands below on your computer, or change "
              "where Qlaude sends your credentials. They take effect only if you trust the "
              "folder.");
}

QWidget *TrustDialog::buildItem(const TrustItem &item)
{
    auto *frame = new QFrame(this);
    frame->setObjectName(objectNameFor(item.key, QStringLiteral("Frame")));
    frame->setFrameShape(QFrame::StyledPanel);
    auto *box = new QVBoxLayout(frame);

    // Everything from the settings file is shown through displaySafe(), in plain-text labels
    // and CommandTextViews (which escape by themselves): an escape sequence or a bidi override
    // cannot make a command look like another one.
    const QString key = displaySafe(item.key);
    const bool command = item.kind == TrustItem::Kind::Command;
    const bool changed = command && !item.previousValue.isNull();
    QString heading = command ? tr("%1 runs this command").arg(key)
                              : tr("%1 sets this environment variable").arg(key);
    if (changed)
        heading = tr("%1 changed since you approved it").arg(key);
    else if (!item.changedFiles.isEmpty())
        heading = tr("A file that %1 runs changed since you approved it").arg(key);
    QLabel *title = boldLabel(heading, frame);
    setNames(title, objectNameFor(item.key, QStringLiteral("TitleLabel")), heading);
    box->addWidget(title);
    QLabel *file = makeHintLabel(tr("From %1").arg(displaySafe(item.file)), frame);
    setNames(file, objectNameFor(item.key, QStringLiteral("FileLabel")), tr("Settings file"));
    file->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->addWidget(file);

    const QString base = objectNameFor(item.key, QString());
    if (changed) {
        box->addWidget(makeHintLabel(tr("Approved before:"), frame));
        auto *before = new CommandTextView(item.previousValue, frame);
        setNames(before, base + QStringLiteral("PreviousCommandPlainTextEdit"),
                 tr("%1, command approved before").arg(key));
        box->addWidget(before);
        box->addWidget(makeHintLabel(tr("Now:"), frame));
    }
    if (!item.changedFiles.isEmpty()) {
        QStringList files;
        for (const QString &f : item.changedFiles)
            files << displaySafe(f);
        QLabel *changedFiles = makeHintLabel(tr("Changed: %1").arg(files.join(", ")), frame);
        setNames(changedFiles, base + QStringLiteral("ChangedFilesLabel"), tr("Changed files"));
        changedFiles->setTextInteractionFlags(Qt::TextSelectableByMouse);
        box->addWidget(changedFiles);
    }
    auto *value = new CommandTextView(item.displayValue(), frame);
    setNames(value,
             base + (command ? QStringLiteral("CommandPlainTextEdit")
                             : QStringLiteral("ValuePlainTextEdit")),
             command ? tr("%1, command").arg(key) : tr("%1, value").arg(key));
    box->addWidget(value);
    return frame;
}

} // namespace qlaude
