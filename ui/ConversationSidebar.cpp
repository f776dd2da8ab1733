#include "ConversationSidebar.h"

#include "ChatWindowStyle.h"
#include "ConversationListDelegate.h"
#include "ConversationListModel.h"
#include "ConversationStore.h"

#include <QAction>
#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QPushButton>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace qlaude {

namespace {
// Tells whether an inline rename editor is open (QAbstractItemView::state() is protected).
class ConversationListView : public QListView
{
public:
    using QListView::QListView;
    bool isEditing() const { return state() == QAbstractItemView::EditingState; }
};

bool isEditing(QListView *view)
{
    return static_cast<ConversationListView *>(view)->isEditing();
}

QString emptyStateHtml(const QString &title, const QString &body)
{
    return QStringLiteral("<p style=\"font-weight:600\">%1</p><p>%2</p>")
        .arg(title.toHtmlEscaped(), body.toHtmlEscaped());
}
} // namespace

ConversationSidebar::ConversationSidebar(QWidget *parent)
    : QWidget(parent), m_model(new ConversationListModel(this)), m_search(new QLineEdit(this)),
      m_newChat(new QPushButton(tr("New Chat"), this)), m_stack(new QStackedWidget(this)),
      m_list(new ConversationListView(m_stack)), m_empty(new QLabel(m_stack)),
      m_undoBar(new QFrame(this)), m_undoLabel(new QLabel(m_undoBar))
{
    setObjectName(QStringLiteral("conversationSidebarWidget"));
    setAccessibleName(tr("Conversations"));

    auto *heading = new QLabel(tr("Conversations"), this);
    heading->setObjectName(QStringLiteral("conversationsHeadingLabel"));
    QFont bold = heading->font();
    bold.setWeight(QFont::DemiBold);
    heading->setFont(bold);
    m_newChat->setObjectName(QStringLiteral("newChatPushButton"));
    m_newChat->setAccessibleName(tr("New chat"));
    m_newChat->setToolTip(tr("Start a new conversation (Ctrl+N)"));

    m_search->setObjectName(QStringLiteral("conversationSearchLineEdit"));
    m_search->setAccessibleName(tr("Search conversations"));
    m_search->setPlaceholderText(tr("Search (Ctrl+K)"));
    m_search->setClearButtonEnabled(true);
    m_search->installEventFilter(this);

    m_list->setObjectName(QStringLiteral("conversationListView"));
    m_list->setAccessibleName(tr("Conversation list"));
    m_list->setModel(m_model);
    m_list->setItemDelegate(new ConversationListDelegate(m_list));
    m_list->setUniformItemSizes(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setEditTriggers(QAbstractItemView::EditKeyPressed);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->setFrameShape(QFrame::NoFrame);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->installEventFilter(this);

    m_empty->setObjectName(QStringLiteral("sidebarEmptyStateLabel"));
    m_empty->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_empty->setWordWrap(true);
    m_empty->setTextFormat(Qt::RichText);
    m_empty->setMargin(16);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_stack->addWidget(m_list);
    m_stack->addWidget(m_empty);

    m_undoBar->setObjectName(QStringLiteral("undoDeleteFrame"));
    m_undoBar->setAccessibleName(tr("Conversation deleted"));
    m_undoBar->setAutoFillBackground(true);
    QPalette undoPalette = m_undoBar->palette();
    undoPalette.setColor(QPalette::Window, chatstyle::bannerBackground(palette()));
    m_undoBar->setPalette(undoPalette);
    m_undoLabel->setObjectName(QStringLiteral("undoDeleteLabel"));
    m_undoLabel->setWordWrap(true);
    auto *undoButton = new QPushButton(tr("Undo"), m_undoBar);
    undoButton->setObjectName(QStringLiteral("undoDeletePushButton"));
    undoButton->setAccessibleName(tr("Undo delete"));
    auto *undoRow = new QHBoxLayout(m_undoBar);
    undoRow->setContentsMargins(10, 6, 6, 6);
    undoRow->addWidget(m_undoLabel, 1);
    undoRow->addWidget(undoButton);
    m_undoBar->hide();

    auto *top = new QHBoxLayout;
    top->addWidget(heading, 1);
    top->addWidget(m_newChat);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 10, 4, 8);
    layout->setSpacing(8);
    layout->addLayout(top);
    layout->addWidget(m_search);
    layout->addWidget(m_stack, 1);
    layout->addWidget(m_undoBar);

    m_undoTimer.setSingleShot(true);
    m_undoTimer.setInterval(kDefaultUndoMs);
    m_searchTimer.setSingleShot(true);
    m_searchTimer.setInterval(kSearchDelayMs);
    m_reloadTimer.setSingleShot(true);
    m_reloadTimer.setInterval(0);

    connect(m_newChat, &QPushButton::clicked, this, &ConversationSidebar::newChatRequested);
    connect(m_search, &QLineEdit::textChanged, this, [this] { m_searchTimer.start(); });
    connect(&m_searchTimer, &QTimer::timeout, this, [this] {
        m_model->setSearchText(m_search->text());
        setCurrentConversation(m_currentId);
        updateEmptyState();
    });
    connect(&m_reloadTimer, &QTimer::timeout, this, &ConversationSidebar::reloadNow);
    connect(&m_undoTimer, &QTimer::timeout, this, &ConversationSidebar::commitPendingDeletion);
    connect(undoButton, &QPushButton::clicked, this, &ConversationSidebar::undo);
    connect(m_list, &QListView::clicked, this, &ConversationSidebar::activateRow);
    connect(m_list, &QListView::activated, this, &ConversationSidebar::activateRow);
    connect(m_list, &QWidget::customContextMenuRequested, this,
            &ConversationSidebar::showContextMenu);
    updateEmptyState();
}

ConversationSidebar::~ConversationSidebar()
{
    commitPendingDeletion();
}

void ConversationSidebar::setStore(ConversationStore *store)
{
    if (m_store)
        disconnect(m_store, nullptr, this, nullptr);
    m_store = store;
    if (store)
        connect(store, &ConversationStore::conversationsChanged, this,
                [this] { m_reloadTimer.start(); });
    m_model->setStore(store);
    updateEmptyState();
}

void ConversationSidebar::reloadNow()
{
    // Never pull the list from under an open rename editor; try again when it is closed.
    if (isEditing(m_list)) {
        m_reloadTimer.start(250);
        return;
    }
    m_model->reload();
    setCurrentConversation(m_currentId);
    updateEmptyState();
}

void ConversationSidebar::setCurrentConversation(qint64 conversationId)
{
    m_currentId = conversationId;
    const int row = m_model->rowOf(conversationId);
    if (row < 0) {
        m_list->clearSelection();
        return;
    }
    const QModelIndex index = m_model->index(row);
    m_list->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect);
    m_list->scrollTo(index);
}

void ConversationSidebar::focusSearch()
{
    m_search->setFocus(Qt::ShortcutFocusReason);
    m_search->selectAll();
}

void ConversationSidebar::updateEmptyState()
{
    if (m_model->rowCount() > 0) {
        m_stack->setCurrentWidget(m_list);
        return;
    }
    if (!m_store || !m_store->isOpen())
        m_empty->setText(emptyStateHtml(tr("History unavailable"),
                                        tr("Conversations in this window are not saved.")));
    else if (m_model->isSearching())
        m_empty->setText(
            emptyStateHtml(tr("No matches for “%1”").arg(m_model->searchText().trimmed()),
                           tr("Try fewer or different words. Search matches whole "
                              "words and the beginnings of words.")));
    else
        m_empty->setText(emptyStateHtml(tr("No conversations yet"),
                                        tr("Your chats will appear here. Write a message below "
                                           "to start one.")));
    m_empty->setAccessibleName(m_empty->text());
    m_stack->setCurrentWidget(m_empty);
}

void ConversationSidebar::activateRow(const QModelIndex &index)
{
    if (!index.isValid())
        return;
    const qint64 id = index.data(ConversationListModel::ConversationIdRole).toLongLong();
    const qint64 message = index.data(ConversationListModel::MessageIdRole).toLongLong();
    emit conversationActivated(id, message);
}

void ConversationSidebar::deleteConversation(qint64 conversationId)
{
    if (!conversationId || !m_store)
        return;
    commitPendingDeletion();
    const QString title = m_model->titleOf(conversationId);
    m_pendingId = conversationId;
    m_model->setHidden(conversationId, true);
    const QFontMetrics fm(m_undoLabel->font());
    m_undoLabel->setText(tr("“%1” deleted.").arg(fm.elidedText(title, Qt::ElideMiddle, 160)));
    m_undoBar->show();
    m_undoTimer.start();
    setCurrentConversation(m_currentId);
    updateEmptyState();
    emit conversationRemoved(conversationId);
}

void ConversationSidebar::commitPendingDeletion()
{
    if (!m_pendingId)
        return;
    const qint64 id = m_pendingId;
    m_pendingId = 0;
    m_undoTimer.stop();
    m_undoBar->hide();
    if (m_store)
        m_store->deleteConversation(id);
    m_model->setHidden(id, false); // gone from the store; stop filtering it
    setCurrentConversation(m_currentId);
    updateEmptyState();
}

void ConversationSidebar::undo()
{
    if (!m_pendingId)
        return;
    const qint64 id = m_pendingId;
    m_pendingId = 0;
    m_undoTimer.stop();
    m_undoBar->hide();
    m_model->setHidden(id, false);
    setCurrentConversation(m_currentId);
    updateEmptyState();
}

void ConversationSidebar::renameConversation(qint64 conversationId)
{
    const int row = m_model->rowOf(conversationId);
    if (row < 0)
        return;
    const QModelIndex index = m_model->index(row);
    m_list->setCurrentIndex(index);
    m_list->edit(index);
}

void ConversationSidebar::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_list->indexAt(pos);
    if (!index.isValid())
        return;
    const qint64 id = index.data(ConversationListModel::ConversationIdRole).toLongLong();
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("conversationContextMenu"));
    QAction *rename = menu.addAction(tr("Rename…"), this, [this, id] { renameConversation(id); });
    rename->setShortcut(QKeySequence(Qt::Key_F2));
    QAction *remove = menu.addAction(tr("Delete"), this, [this, id] { deleteConversation(id); });
    remove->setShortcut(QKeySequence::Delete);
    menu.exec(m_list->viewport()->mapToGlobal(pos));
}

bool ConversationSidebar::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (watched == m_list && !isEditing(m_list) && key->matches(QKeySequence::Delete) &&
            m_list->currentIndex().isValid()) {
            deleteConversation(m_list->currentIndex()
                                   .data(ConversationListModel::ConversationIdRole)
                                   .toLongLong());
            return true;
        }
        // Arrow keys (and Page Up/Down, Home, End) open the conversation they land on, once
        // the list has moved.
        if (watched == m_list && !isEditing(m_list) &&
            (key->key() == Qt::Key_Up || key->key() == Qt::Key_Down ||
             key->key() == Qt::Key_PageUp || key->key() == Qt::Key_PageDown ||
             key->key() == Qt::Key_Home || key->key() == Qt::Key_End) &&
            key->modifiers() == Qt::NoModifier) {
            const QPersistentModelIndex before(m_list->currentIndex());
            QTimer::singleShot(0, this, [this, before] {
                const QModelIndex now = m_list->currentIndex();
                if (now.isValid() && now != before) {
                    activateRow(now);
                    // Browsing with the arrows: the keyboard stays in the list (opening a
                    // conversation otherwise moves it to the composer).
                    m_list->setFocus(Qt::OtherFocusReason);
                }
            });
            return false;
        }
        if (watched == m_search && key->key() == Qt::Key_Escape && !m_search->text().isEmpty()) {
            m_search->clear();
            return true;
        }
        if (watched == m_search && key->key() == Qt::Key_Down && m_model->rowCount() > 0) {
            m_list->setCurrentIndex(m_model->index(0));
            activateRow(m_model->index(0));
            m_list->setFocus(Qt::OtherFocusReason);
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace qlaude
