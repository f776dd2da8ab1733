#pragma once

#include <QPointer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QListView;
class QPushButton;
class QStackedWidget;

namespace qlaude {

class ConversationListModel;
class ConversationStore;

// The conversation list: newest first, full-text search, rename in place (F2) and delete with
// Undo. A deleted conversation disappears at once and is really deleted when the Undo bar
// times out, when another conversation is deleted, or when the sidebar goes away (the window
// closes). If the app dies before that, the conversation is simply still there: nothing is lost
// that the user did not ask to lose.
class ConversationSidebar : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY(ConversationSidebar)
public:
    static constexpr int kDefaultUndoMs = 8000;
    static constexpr int kSearchDelayMs = 120;

    explicit ConversationSidebar(QWidget *parent = nullptr);
    ~ConversationSidebar() override;

    void setStore(ConversationStore *store);
    void setCurrentConversation(qint64 conversationId);
    qint64 currentConversation() const { return m_currentId; }
    void focusSearch();

    // Starts an undoable deletion / opens the inline rename editor.
    void deleteConversation(qint64 conversationId);
    void renameConversation(qint64 conversationId);
    void commitPendingDeletion();
    qint64 pendingDeletion() const { return m_pendingId; }
    void setUndoTimeout(int milliseconds) { m_undoTimer.setInterval(milliseconds); }

    ConversationListModel *listModel() const { return m_model; }
    QListView *listView() const { return m_list; }
    QLineEdit *searchEdit() const { return m_search; }
    QLabel *emptyStateLabel() const { return m_empty; }
    QWidget *undoBar() const { return m_undoBar; }

signals:
    // messageId is the matching message for a search hit, else 0.
    void conversationActivated(qint64 conversationId, qint64 messageId);
    void newChatRequested();
    // Hidden pending deletion: a window showing it should leave it.
    void conversationRemoved(qint64 conversationId);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void reloadNow();
    void updateEmptyState();
    void undo();
    void showContextMenu(const QPoint &pos);
    void activateRow(const QModelIndex &index);

    QPointer<ConversationStore> m_store;
    ConversationListModel *m_model;
    QLineEdit *m_search;
    QPushButton *m_newChat;
    QStackedWidget *m_stack;
    QListView *m_list;
    QLabel *m_empty;
    QWidget *m_undoBar;
    QLabel *m_undoLabel;
    QTimer m_undoTimer;
    QTimer m_searchTimer;
    QTimer m_reloadTimer;
    qint64 m_currentId = 0;
    qint64 m_pendingId = 0;
};

} // namespace qlaude
