#pragma once

#include "ProviderClient.h"

#include <QFrame>

class QComboBox;
class QLabel;
class QPushButton;
class QVBoxLayout;
class QWidget;

namespace qlaude {

class Composer;

// The bottom of the chat window: the composer, the model picker, the system prompt button,
// Regenerate and Send/Stop, and a bar that says when a sent message is being edited.
class ComposerPanel : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY(ComposerPanel)
public:
    explicit ComposerPanel(QWidget *parent = nullptr);

    Composer *composer() const { return m_composer; }
    QComboBox *modelComboBox() const { return m_models; }
    QPushButton *sendButton() const { return m_send; }
    QPushButton *regenerateButton() const { return m_regenerate; }
    QPushButton *systemPromptButton() const { return m_systemPrompt; }

    void setBusy(bool busy);
    bool isBusy() const { return m_busy; }
    void setCanRegenerate(bool can);
    void setCanSend(bool can, const QString &why = QString());
    void setSystemPromptActive(bool active);
    // Lines the composer up with the message column above it: its edges' distances from the
    // panel's left and right edges.
    void setColumnMargins(int left, int right);

    // The model list: the current model stays selectable even when the provider did not list
    // it. An empty list shows a disabled line under it that says why (emptyNote, or "No models
    // returned by the provider").
    void setModelsLoading(const QString &current);
    void setModels(const QList<ModelInfo> &models, const QString &current,
                   const QString &emptyNote = QString());
    QString currentModel() const;
    // Selects a model, adding it to the list when the provider did not list it.
    void setCurrentModel(const QString &model);

    // Edit-and-resend: the message's text goes into the composer until sent or cancelled.
    void beginEditing(qint64 messageId, const QString &text);
    void cancelEditing();
    qint64 editingMessageId() const { return m_editingId; }

signals:
    void sendRequested(const QString &text);
    void stopRequested();
    void regenerateRequested();
    void modelChosen(const QString &model);
    void systemPromptRequested();
    void editLastRequested();

private:
    void submit();
    void updateSendButton();

    Composer *m_composer;
    QVBoxLayout *m_layout;
    QWidget *m_editBar;
    QLabel *m_editLabel;
    QComboBox *m_models;
    QPushButton *m_systemPrompt;
    QPushButton *m_regenerate;
    QPushButton *m_send;
    bool m_busy = false;
    bool m_canSend = true;
    qint64 m_editingId = 0;
    QString m_savedDraft; // the draft put aside while editing
};

// A small dialog for a conversation's system prompt. Returns false when cancelled.
bool editSystemPrompt(QWidget *parent, QString *prompt);

} // namespace qlaude
