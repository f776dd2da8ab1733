#include "ComposerPanel.h"

#include "ChatWindowStyle.h"
#include "Composer.h"
#include "ModelSelection.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardItemModel>
#include <QVBoxLayout>

namespace qlaude {

ComposerPanel::ComposerPanel(QWidget *parent)
    : QFrame(parent), m_composer(new Composer(this)), m_layout(new QVBoxLayout(this)),
      m_editBar(new QWidget(this)), m_editLabel(new QLabel(m_editBar)),
      m_models(new QComboBox(this)), m_systemPrompt(new QPushButton(tr("System Prompt…"), this)),
      m_regenerate(new QPushButton(tr("Regenerate"), this)), m_send(new QPushButton(this))
{
    setObjectName(QStringLiteral("composerPanelFrame"));
    setAccessibleName(tr("Composer"));

    auto *cancelEdit = new QPushButton(tr("Cancel Edit"), m_editBar);
    cancelEdit->setObjectName(QStringLiteral("cancelEditPushButton"));
    cancelEdit->setAccessibleName(tr("Cancel edit"));
    m_editLabel->setObjectName(QStringLiteral("editingLabel"));
    m_editLabel->setAccessibleName(tr("Editing"));
    m_editLabel->setWordWrap(true);
    m_editLabel->setText(tr("Editing a sent message. Enter resends it and replaces the answers "
                            "after it; Esc cancels."));
    auto *editRow = new QHBoxLayout(m_editBar);
    editRow->setContentsMargins(2, 0, 0, 0);
    editRow->addWidget(m_editLabel, 1);
    editRow->addWidget(cancelEdit);
    m_editBar->setObjectName(QStringLiteral("editBarWidget"));
    m_editBar->hide();
    connect(cancelEdit, &QPushButton::clicked, this, &ComposerPanel::cancelEditing);

    m_composer->setPlaceholderText(tr("Message Claude"));
    m_models->setObjectName(QStringLiteral("modelComboBox"));
    m_models->setAccessibleName(tr("Model"));
    // Wide enough for a Bedrock inference-profile id; capped, so long notes in the list cannot
    // stretch the row.
    m_models->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_models->setMinimumContentsLength(20);
    m_models->setMaximumWidth(fontMetrics().horizontalAdvance(QLatin1Char('m')) * 40);
    m_models->setToolTip(tr("The model that answers the next message"));
    m_systemPrompt->setObjectName(QStringLiteral("systemPromptPushButton"));
    m_systemPrompt->setAccessibleName(tr("System prompt"));
    m_systemPrompt->setToolTip(tr("Instructions Claude follows in this conversation"));
    m_regenerate->setObjectName(QStringLiteral("regeneratePushButton"));
    m_regenerate->setAccessibleName(tr("Regenerate"));
    m_regenerate->setToolTip(tr("Ask again for the last answer (Ctrl+R)"));
    m_regenerate->setEnabled(false);
    m_send->setObjectName(QStringLiteral("sendPushButton"));
    m_send->setDefault(false);
    m_send->setAutoDefault(false);
    updateSendButton();

    auto *box = new QFrame(this);
    box->setObjectName(QStringLiteral("composerBoxFrame"));
    box->setFrameShape(QFrame::StyledPanel);
    box->setBackgroundRole(QPalette::Base);
    box->setAutoFillBackground(true);
    auto *boxLayout = new QVBoxLayout(box);
    boxLayout->setContentsMargins(6, 4, 6, 6);
    boxLayout->setSpacing(4);
    boxLayout->addWidget(m_composer);
    auto *row = new QHBoxLayout;
    row->setSpacing(6);
    row->addWidget(m_models);
    row->addWidget(m_systemPrompt);
    row->addStretch(1);
    row->addWidget(m_regenerate);
    row->addWidget(m_send);
    boxLayout->addLayout(row);

    m_layout->setContentsMargins(12, 6, 12, 10);
    m_layout->setSpacing(6);
    m_layout->addWidget(m_editBar);
    m_layout->addWidget(box);

    connect(m_composer, &Composer::submitted, this, &ComposerPanel::submit);
    connect(m_composer, &Composer::escapePressed, this, [this] {
        if (m_editingId)
            cancelEditing();
        else
            emit stopRequested();
    });
    connect(m_composer, &Composer::editLastRequested, this, &ComposerPanel::editLastRequested);
    connect(m_send, &QPushButton::clicked, this, [this] {
        if (m_busy)
            emit stopRequested();
        else
            submit();
    });
    connect(m_regenerate, &QPushButton::clicked, this, &ComposerPanel::regenerateRequested);
    connect(m_systemPrompt, &QPushButton::clicked, this, &ComposerPanel::systemPromptRequested);
    connect(m_models, qOverload<int>(&QComboBox::activated), this, [this](int index) {
        const QString id = m_models->itemData(index).toString();
        if (!id.isEmpty())
            emit modelChosen(id);
    });
}

void ComposerPanel::submit()
{
    if (m_busy || !m_canSend)
        return;
    const QString text = m_composer->text();
    if (text.trimmed().isEmpty())
        return;
    emit sendRequested(text);
}

void ComposerPanel::updateSendButton()
{
    if (m_busy) {
        m_send->setText(tr("Stop"));
        m_send->setAccessibleName(tr("Stop"));
        m_send->setToolTip(tr("Stop the answer and keep what arrived (Esc)"));
        m_send->setEnabled(true);
    } else {
        m_send->setText(m_editingId ? tr("Resend") : tr("Send"));
        m_send->setAccessibleName(m_send->text());
        m_send->setToolTip(tr("Send (Enter). Shift+Enter starts a new line."));
        m_send->setEnabled(m_canSend);
    }
}

void ComposerPanel::setColumnMargins(int left, int right)
{
    const QMargins m = m_layout->contentsMargins();
    m_layout->setContentsMargins(qMax(0, left), m.top(), qMax(0, right), m.bottom());
}

void ComposerPanel::setBusy(bool busy)
{
    m_busy = busy;
    m_models->setEnabled(!busy);
    m_systemPrompt->setEnabled(!busy);
    if (busy)
        m_regenerate->setEnabled(false);
    updateSendButton();
}

void ComposerPanel::setCanRegenerate(bool can)
{
    m_regenerate->setEnabled(can && !m_busy);
}

void ComposerPanel::setCanSend(bool can, const QString &why)
{
    m_canSend = can;
    m_composer->setPlaceholderText(can || why.isEmpty() ? tr("Message Claude") : why);
    // QPlainTextEdit repaints only when the placeholder appears or goes, not when its text
    // changes (after a login it kept saying "Log in to start chatting").
    m_composer->viewport()->update();
    updateSendButton();
}

void ComposerPanel::setSystemPromptActive(bool active)
{
    m_systemPrompt->setText(active ? tr("System Prompt (on)…") : tr("System Prompt…"));
}

void ComposerPanel::setModelsLoading(const QString &current)
{
    m_models->clear();
    m_models->addItem(current, current);
    m_models->setToolTip(tr("Loading the list of models…"));
}

void ComposerPanel::setModels(const QList<ModelInfo> &models, const QString &current,
                              const QString &emptyNote)
{
    m_models->clear();
    bool found = false;
    for (const ModelInfo &m : models) {
        const QString label = m.displayName.isEmpty() ? m.id : m.displayName;
        m_models->addItem(label, m.id);
        m_models->setItemData(m_models->count() - 1, m.id, Qt::ToolTipRole);
        found = found || m.id == current;
    }
    if (!found && !current.isEmpty())
        m_models->insertItem(0, ModelSelection::displayName(current), current);
    if (models.isEmpty() || !emptyNote.isEmpty()) {
        // Designed empty state: the current model still works; say why there is no list.
        m_models->insertSeparator(m_models->count());
        const QString note =
            emptyNote.isEmpty() ? tr("No models returned by the provider") : emptyNote;
        m_models->addItem(note);
        if (auto *model = qobject_cast<QStandardItemModel *>(m_models->model()))
            model->item(m_models->count() - 1)->setEnabled(false);
        m_models->setToolTip(tr("%1. Messages go to %2.").arg(note, current));
    } else {
        m_models->setToolTip(tr("The model that answers the next message"));
    }
    const int index = m_models->findData(current);
    m_models->setCurrentIndex(qMax(0, index));
}

QString ComposerPanel::currentModel() const
{
    return m_models->currentData().toString();
}

void ComposerPanel::setCurrentModel(const QString &model)
{
    int index = m_models->findData(model);
    if (index < 0 && !model.isEmpty()) {
        m_models->insertItem(0, model, model);
        index = 0;
    }
    if (index >= 0)
        m_models->setCurrentIndex(index);
}

void ComposerPanel::beginEditing(qint64 messageId, const QString &text)
{
    if (!m_editingId)
        m_savedDraft = m_composer->text();
    m_editingId = messageId;
    m_composer->setPlainText(text);
    m_composer->moveCursor(QTextCursor::End);
    m_editBar->show();
    m_composer->setFocus();
    updateSendButton();
}

void ComposerPanel::cancelEditing()
{
    if (!m_editingId)
        return;
    m_editingId = 0;
    m_composer->setPlainText(m_savedDraft);
    m_composer->moveCursor(QTextCursor::End);
    m_savedDraft.clear();
    m_editBar->hide();
    updateSendButton();
}

bool editSystemPrompt(QWidget *parent, QString *prompt)
{
    QDialog dialog(parent);
    dialog.setObjectName(QStringLiteral("systemPromptDialog"));
    dialog.setWindowTitle(ComposerPanel::tr("System Prompt"));
    auto *intro = new QLabel(ComposerPanel::tr("Instructions Claude follows for this whole "
                                               "conversation, for example a role, a tone or "
                                               "rules. Leave it empty for none."),
                             &dialog);
    intro->setWordWrap(true);
    auto *edit = new QPlainTextEdit(*prompt, &dialog);
    edit->setObjectName(QStringLiteral("systemPromptPlainTextEdit"));
    edit->setAccessibleName(ComposerPanel::tr("System prompt"));
    edit->setPlaceholderText(ComposerPanel::tr("You are a concise assistant…"));
    auto *buttons =
        new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, &dialog);
    buttons->setObjectName(QStringLiteral("systemPromptDialogButtonBox"));
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(intro);
    layout->addWidget(edit, 1);
    layout->addWidget(buttons);
    dialog.resize(520, 320);
    edit->setFocus();
    if (dialog.exec() != QDialog::Accepted)
        return false;
    *prompt = edit->toPlainText().trimmed();
    return true;
}

} // namespace qlaude
