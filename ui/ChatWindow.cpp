#include "ChatWindow.h"

#include "AppServices.h"
#include "Composer.h"
#include "ComposerPanel.h"
#include "ConnectionSwitcher.h"
#include "ConversationSidebar.h"
#include "ConversationStore.h"
#include "DialogSupport.h"
#include "ErrorBanner.h"
#include "MessageDelegate.h"
#include "MessageModel.h"
#include "MessageView.h"
#include "ModelSelection.h"
#include "StatusLine.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QJsonDocument>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

namespace qlaude {

namespace {

const QString kSettingsOrg = QStringLiteral("Qlaude");
const QString kSettingsApp = QStringLiteral("qlaude");

// What the model row starts a streamed block with.
StoredBlock storedStart(const ContentBlock &b)
{
    StoredBlock s;
    switch (b.type) {
    case ContentBlockType::Text:
        s.type = BlockType::Text;
        s.text = b.text;
        break;
    case ContentBlockType::Thinking:
        s.type = BlockType::Thinking;
        s.text = b.thinking;
        break;
    case ContentBlockType::RedactedThinking:
        s.type = BlockType::RedactedThinking;
        break;
    case ContentBlockType::ToolUse:
        s.type = BlockType::ToolUse;
        s.toolId = b.id;
        s.toolName = b.name;
        if (b.input.isObject() && !b.input.toObject().isEmpty())
            s.json = QJsonDocument(b.input.toObject()).toJson(QJsonDocument::Compact);
        break;
    case ContentBlockType::ToolResult:
        s.type = BlockType::ToolResult;
        s.toolId = b.toolUseId;
        s.isError = b.isError;
        break;
    case ContentBlockType::Other:
        s.type = BlockType::Other;
        break;
    }
    return s;
}

StoredUsage storedUsage(const Usage &u)
{
    return StoredUsage{u.inputTokens, u.outputTokens, u.cacheReadInputTokens,
                       u.cacheCreationInputTokens};
}

} // namespace

ChatWindow::ChatWindow(AppServices &services, QWidget *parent)
    : QMainWindow(parent), m_services(services), m_model(new MessageModel(this)),
      m_view(new MessageView), m_composerPanel(new ComposerPanel),
      m_sidebar(new ConversationSidebar), m_trustBanner(new ErrorBanner),
      m_accountBanner(new ErrorBanner), m_errorBanner(new ErrorBanner),
      m_banners(new ChatWindowBanners(m_trustBanner, m_accountBanner, m_errorBanner, this)),
      m_status(new StatusLine), m_splitter(new QSplitter(Qt::Horizontal, this))
{
    setObjectName(QStringLiteral("chatMainWindow"));
    setAccessibleName(tr("Qlaude"));
    m_trustBanner->setObjectName(QStringLiteral("trustBannerFrame"));
    m_trustBanner->setAccessibleName(tr("Folder trust notice"));
    m_accountBanner->setObjectName(QStringLiteral("accountBannerFrame"));
    m_accountBanner->setAccessibleName(tr("Account notice"));
    m_errorBanner->setObjectName(QStringLiteral("errorBannerFrame"));
    m_errorBanner->setAccessibleName(tr("Error notice"));
    m_view->setMessageModel(m_model);

    auto *right = new QWidget(m_splitter);
    right->setObjectName(QStringLiteral("conversationPaneWidget"));
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->setSpacing(0);
    rightLayout->addWidget(m_trustBanner);
    rightLayout->addWidget(m_accountBanner);
    rightLayout->addWidget(m_errorBanner);
    rightLayout->addWidget(m_view, 1);
    rightLayout->addWidget(m_composerPanel);
    m_splitter->setObjectName(QStringLiteral("chatSplitter"));
    m_splitter->addWidget(m_sidebar);
    m_splitter->addWidget(right);
    m_splitter->setChildrenCollapsible(false);
    m_splitter->setStretchFactor(1, 1);
    m_sidebar->setMinimumWidth(200);
    setCentralWidget(m_splitter);
    m_connectionSwitcher = new ConnectionSwitcher(m_services, this);
    statusBar()->addWidget(m_connectionSwitcher);
    statusBar()->addWidget(m_status, 1);
    connect(m_connectionSwitcher, &ConnectionSwitcher::manageRequested, this,
            &ChatWindow::connectionsRequested);

    // Work that can wait (the model list, which may start TLS) waits for the first paint.
    m_view->viewport()->installEventFilter(this);

    buildMenus();

    connect(m_composerPanel, &ComposerPanel::sendRequested, this, &ChatWindow::send);
    connect(m_composerPanel, &ComposerPanel::stopRequested, this, &ChatWindow::stop);
    connect(m_composerPanel, &ComposerPanel::regenerateRequested, this, &ChatWindow::regenerate);
    connect(m_composerPanel, &ComposerPanel::systemPromptRequested, this,
            &ChatWindow::editSystemPrompt);
    connect(m_composerPanel, &ComposerPanel::modelChosen, this, [this](const QString &model) {
        ChatSession::Settings s = m_session->settings();
        s.model = model;
        m_session->setSettings(s);
    });
    connect(m_composerPanel, &ComposerPanel::editLastRequested, this, [this] {
        const int row = m_model->lastRowWithRole(MessageRole::User);
        if (row >= 0)
            editMessage(m_model->item(row).message.id);
    });
    connect(m_view, &MessageView::editRequested, this, &ChatWindow::editMessage);
    connect(m_view, &MessageView::regenerateRequested, this, &ChatWindow::regenerate);
    connect(m_view, &MessageView::versionRequested, this, &ChatWindow::showVersion);
    connect(m_view, &MessageView::textCopied, m_status, &StatusLine::showNote);
    connect(m_view, &MessageView::columnChanged, m_composerPanel, &ComposerPanel::setColumnMargins);
    connect(m_sidebar, &ConversationSidebar::conversationActivated, this,
            &ChatWindow::openConversation);
    connect(m_sidebar, &ConversationSidebar::newChatRequested, this, &ChatWindow::newChat);
    connect(m_sidebar, &ConversationSidebar::conversationRemoved, this, [this](qint64 id) {
        if (id == currentConversation())
            newChat();
    });
    connect(m_banners, &ChatWindowBanners::actionRequested, this, &ChatWindow::runBannerAction);
    m_stallTimer = new QTimer(this);
    m_stallTimer->setInterval(1000);
    connect(m_stallTimer, &QTimer::timeout, this, &ChatWindow::checkStall);

    rebuildSession();
    m_sidebar->setStore(m_services.store);
    m_status->setServices(m_services);
    m_banners->showAccountState(m_services, canChat());
    if (m_services.context)
        m_banners->showSettingsProblems(m_services.context->settings().problems());
    applySessionSettings();
    updateBusyState();
    updateUsage();
    updateEmptyState();
    updateTitle();

    const QSettings settings(kSettingsOrg, kSettingsApp);
    if (!restoreGeometry(settings.value(QStringLiteral("chatWindow/geometry")).toByteArray()))
        resize(1100, 720);
    fitToAvailableScreen(this);
    if (!m_splitter->restoreState(
            settings.value(QStringLiteral("chatWindow/splitter")).toByteArray()))
        m_splitter->setSizes({260, 840});
    m_composerPanel->composer()->setFocus();
}

ChatWindow::~ChatWindow() = default;

Composer *ChatWindow::composer() const
{
    return m_composerPanel->composer();
}

qint64 ChatWindow::currentConversation() const
{
    return m_session ? m_session->conversationId() : 0;
}

void ChatWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *newChatAction = file->addAction(tr("&New Chat"), this, &ChatWindow::newChat);
    newChatAction->setObjectName(QStringLiteral("newChatAction"));
    newChatAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_N));
    file->addSeparator();
    QAction *login = file->addAction(tr("&Log In…"), this, &ChatWindow::loginRequested);
    login->setObjectName(QStringLiteral("loginAction"));
    // Enabled while the folder's settings wait for trust (including after "Don't trust").
    m_trustAction = file->addAction(tr("&Trust This Folder…"), this, &ChatWindow::trustRequested);
    m_trustAction->setObjectName(QStringLiteral("trustAction"));
    updateTrustAction();
    file->addSeparator();
    QAction *close = file->addAction(tr("&Close Window"), this, &QWidget::close);
    close->setShortcut(QKeySequence::Close);
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *find = edit->addAction(tr("&Find Conversations"), this, &ChatWindow::focusSearch);
    find->setObjectName(QStringLiteral("findAction"));
    find->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_K), QKeySequence(Qt::CTRL | Qt::Key_F)});
    QAction *focus = edit->addAction(tr("Focus &Message Box"), this, &ChatWindow::focusComposer);
    focus->setObjectName(QStringLiteral("focusComposerAction"));
    focus->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    edit->addSeparator();
    QAction *settings = edit->addAction(tr("&Settings…"), this, &ChatWindow::settingsRequested);
    settings->setObjectName(QStringLiteral("settingsAction"));
    settings->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    settings->setMenuRole(QAction::PreferencesRole);

    QMenu *chat = menuBar()->addMenu(tr("&Conversation"));
    m_stopAction = chat->addAction(tr("&Stop Answer"), this, &ChatWindow::stop);
    m_stopAction->setObjectName(QStringLiteral("stopAction"));
    m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_regenerateAction = chat->addAction(tr("&Regenerate"), this, &ChatWindow::regenerate);
    m_regenerateAction->setObjectName(QStringLiteral("regenerateAction"));
    m_regenerateAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    QAction *editLast = chat->addAction(tr("&Edit Last Message"), this, [this] {
        const int row = m_model->lastRowWithRole(MessageRole::User);
        if (row >= 0)
            editMessage(m_model->item(row).message.id);
    });
    editLast->setObjectName(QStringLiteral("editLastAction"));
    editLast->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    chat->addAction(tr("S&ystem Prompt…"), this, &ChatWindow::editSystemPrompt);
    chat->addSeparator();
    QAction *rename = chat->addAction(
        tr("Re&name…"), this, [this] { m_sidebar->renameConversation(currentConversation()); });
    rename->setObjectName(QStringLiteral("renameAction"));
    chat->addAction(tr("&Delete"), this,
                    [this] { m_sidebar->deleteConversation(currentConversation()); });

    // The same list as the status line's switcher; Ctrl+Shift+A opens that one where it is.
    QMenu *connectionMenu = menuBar()->addMenu(tr("Co&nnection"));
    connectionMenu->setObjectName(QStringLiteral("connectionMenu"));
    m_connectionSwitcher->attachMenu(connectionMenu);
    auto *switchConnection = new QAction(tr("Switch Connection"), this);
    switchConnection->setObjectName(QStringLiteral("switchConnectionAction"));
    switchConnection->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    connect(switchConnection, &QAction::triggered, m_connectionSwitcher, &QToolButton::showMenu);
    addAction(switchConnection);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *doctor = help->addAction(tr("&Doctor…"), this, &ChatWindow::doctorRequested);
    doctor->setObjectName(QStringLiteral("doctorAction"));
    help->addAction(tr("&About Qlaude"), this, [this] {
        QMessageBox::about(this, tr("About Qlaude"),
                           tr("<p><b>Qlaude</b> %1</p><p>A native desktop client for Claude.</p>")
                               .arg(QStringLiteral(QLAUDE_VERSION)));
    });
}

ChatSession::Settings ChatWindow::defaultSettings() const
{
    ChatSession::Settings s;
    s.model = m_services.context ? ModelSelection::choose(QString(), *m_services.context).model
                                 : QString::fromLatin1(ModelSelection::kDefaultModel);
    return s;
}

bool ChatWindow::canChat() const
{
    return m_services.client && m_services.resolution.usable();
}

void ChatWindow::rebuildSession()
{
    if (m_session && m_sessionClient == m_services.client && m_sessionStore == m_services.store)
        return;
    qint64 conversation = 0;
    ChatSession::Settings settings = defaultSettings();
    if (m_session) {
        conversation = m_session->conversationId();
        settings = m_session->settings();
        if (m_session->isBusy())
            m_session->stop(); // the partial answer is kept, marked stopped
        disconnect(m_session, nullptr, this, nullptr);
        m_session->deleteLater();
    }
    // A call that died with the old client never finished: keep its text, marked interrupted.
    if (const qint64 streaming = m_model->streamingId()) {
        if (m_services.store && m_services.store->isStreaming(streaming))
            m_services.store->finishMessage(streaming, MessageStatus::Interrupted);
        m_model->finish(streaming, MessageStatus::Interrupted, QString());
    }
    if (m_services.store && m_services.store != m_sessionStore)
        connect(m_services.store, &ConversationStore::writeFailed, this,
                [this](const QString &message) {
                    m_banners->showProblem(
                        tr("The chat history could not be saved: %1 Qlaude keeps trying.")
                            .arg(message));
                });
    m_session = new ChatSession(m_services.client, m_services.store, this);
    applyConnection();
    if (m_sessionClient)
        disconnect(m_sessionClient.data(), &ProviderClient::credentialProgress, this, nullptr);
    // A credential helper that talks to the person (awsAuthRefresh's device code) is shown
    // while it runs.
    if (m_services.client)
        connect(m_services.client, &ProviderClient::credentialProgress, this,
                [this](const QString &line) { m_banners->showProblem(line); });
    m_sessionClient = m_services.client;
    m_sessionStore = m_services.store;
    connectSession();
    if (conversation && m_session->openConversation(conversation))
        return;
    m_session->setSettings(settings);
}

void ChatWindow::connectSession()
{
    ChatSession *s = m_session;
    connect(s, &ChatSession::userMessageAdded, this, [this](const StoredMessage &m) {
        m_model->appendMessage(m);
        noteVersion(m.id); // an edited question is a new version of its turn
        m_sidebar->setCurrentConversation(currentConversation());
        updateTitle();
    });
    connect(s, &ChatSession::assistantStarted, this, [this](qint64 id) {
        noteStreamData();
        m_stallTimer->start();
        m_model->beginAssistant(id, m_session->settings().model, m_session->connectionName());
        noteVersion(id); // a regenerated answer is a new version
        m_view->scrollToEnd();
        updateBusyState();
    });
    connect(s, &ChatSession::blockStarted, this,
            [this](qint64 id, int index, const ContentBlock &b) {
                noteStreamData();
                m_banners->hideRetrying();
                m_model->startBlock(id, index, storedStart(b));
            });
    connect(s, &ChatSession::textDelta, this, [this](qint64 id, int index, const QString &t) {
        noteStreamData();
        m_banners->hideRetrying();
        m_model->appendText(id, index, t);
    });
    connect(s, &ChatSession::thinkingDelta, this, [this](qint64 id, int index, const QString &t) {
        noteStreamData();
        m_model->appendText(id, index, t);
    });
    connect(s, &ChatSession::usageUpdated, this, [this](qint64 id, const Usage &u) {
        m_model->setUsage(id, storedUsage(u));
        updateUsage();
    });
    connect(s, &ChatSession::retrying, this,
            [this](int retry, qint64 delayMs, const ApiError &reason) {
                noteStreamData(); // a retry wait is not a stall; its countdown shows instead
                m_banners->showRetrying(retry, delayMs, reason);
            });
    connect(s, &ChatSession::turnFinished, this, &ChatWindow::onTurnFinished);
}

// The connection the window uses answers the next turns; answers from another one say so.
void ChatWindow::applyConnection()
{
    const QString name = m_services.context ? m_services.context->connectionName() : QString();
    if (m_session)
        m_session->setConnectionName(name);
    m_view->messageDelegate()->setCurrentConnection(name);
    m_view->viewport()->update();
}

void ChatWindow::updateTrustAction()
{
    const bool pending = m_services.context && m_services.context->trust().needsApproval();
    m_trustAction->setEnabled(pending);
    m_trustAction->setStatusTip(pending ? m_services.context->trust().explanation : QString());
    if (m_services.context)
        m_banners->showTrustState(m_services.context->trust());
}

void ChatWindow::servicesChanged()
{
    updateTrustAction();
    m_banners->clearCredentialError();
    rebuildSession();
    m_sidebar->setStore(m_services.store);
    m_status->setServices(m_services);
    m_connectionSwitcher->refresh();
    applyConnection();
    m_banners->showAccountState(m_services, canChat());
    if (m_services.context)
        m_banners->showSettingsProblems(m_services.context->settings().problems());
    updateBusyState();
    updateEmptyState();
    m_modelsRequested = false;
    if (isVisible())
        loadModels();
}

void ChatWindow::send(const QString &text)
{
    if (!canChat()) {
        m_banners->showAccountState(m_services, canChat());
        return;
    }
    m_banners->hideError();
    const qint64 editing = m_composerPanel->editingMessageId();
    if (editing) {
        const int row = m_model->rowOf(editing);
        if (row >= 0)
            m_model->removeFrom(row);
        const bool ok = m_session->editAndResend(editing, text);
        m_composerPanel->cancelEditing(); // gives back the draft put aside for the edit
        if (!ok) {
            reloadMessages();
            m_banners->showProblem(m_session->errorString());
        }
    } else if (m_session->send(text)) {
        composer()->clear();
    } else {
        m_banners->showProblem(m_session->errorString());
    }
    updateBusyState();
}

void ChatWindow::stop()
{
    if (m_session && m_session->isBusy())
        m_session->stop();
}

void ChatWindow::regenerate()
{
    if (!m_session || m_session->isBusy() || !canChat())
        return;
    const int lastUser = m_model->lastRowWithRole(MessageRole::User);
    if (lastUser < 0)
        return;
    m_banners->hideError();
    m_model->removeFrom(lastUser + 1);
    if (!m_session->regenerate()) {
        reloadMessages();
        m_banners->showProblem(m_session->errorString());
    }
    updateBusyState();
}

void ChatWindow::editMessage(qint64 messageId)
{
    if (!m_session || m_session->isBusy())
        return;
    const int row = m_model->rowOf(messageId);
    if (row < 0 || m_model->item(row).message.role != MessageRole::User)
        return;
    m_composerPanel->beginEditing(messageId, m_model->item(row).message.plainText());
}

void ChatWindow::reloadMessages()
{
    m_model->setMessages(m_session->history());
    updateUsage();
}

void ChatWindow::noteVersion(qint64 messageId)
{
    if (!m_services.store)
        return;
    if (const auto stored = m_services.store->message(messageId))
        m_model->setVersion(messageId, stored->version, stored->versionCount);
}

void ChatWindow::showVersion(qint64 messageId, int step)
{
    if (!m_session)
        return;
    const qint64 shown = m_session->showVersion(messageId, step);
    if (!shown) {
        m_status->showNote(m_session->errorString());
        return;
    }
    reloadMessages();
    updateBusyState();
    // The flipped message stays current, so Alt+Left and Alt+Right go on flipping it.
    m_view->revealMessage(shown);
}

void ChatWindow::newChat()
{
    stop();
    m_composerPanel->cancelEditing();
    const QString model = m_composerPanel->currentModel();
    if (!m_session->openConversation(0)) {
        m_banners->showProblem(m_session->errorString());
        return;
    }
    ChatSession::Settings s = defaultSettings();
    if (!model.isEmpty())
        s.model = model; // a new chat keeps the model picked last, not the system prompt
    m_session->setSettings(s);
    m_model->clear();
    m_sidebar->setCurrentConversation(0);
    m_banners->hideError();
    applySessionSettings();
    updateBusyState();
    updateUsage();
    updateTitle();
    focusComposer();
}

void ChatWindow::openConversation(qint64 conversationId, qint64 revealMessageId)
{
    if (conversationId == currentConversation() && !revealMessageId) {
        focusComposer();
        return;
    }
    stop(); // switching away keeps the partial answer, marked stopped
    m_composerPanel->cancelEditing();
    if (conversationId != currentConversation()) {
        if (!m_session->openConversation(conversationId)) {
            m_banners->showProblem(m_session->errorString());
            return;
        }
        m_model->setMessages(m_session->history());
        m_banners->hideError();
    }
    m_sidebar->setCurrentConversation(conversationId);
    applySessionSettings();
    updateBusyState();
    updateUsage();
    updateTitle();
    if (revealMessageId)
        m_view->revealMessage(revealMessageId);
    else
        m_view->scrollToEnd();
    focusComposer();
}

void ChatWindow::applySessionSettings()
{
    const ChatSession::Settings s = m_session->settings();
    m_composerPanel->setCurrentModel(s.model);
    m_composerPanel->setSystemPromptActive(!s.systemPrompt.isEmpty());
}

void ChatWindow::editSystemPrompt()
{
    if (!m_session || m_session->isBusy())
        return;
    ChatSession::Settings s = m_session->settings();
    QString prompt = s.systemPrompt;
    const bool saved = qlaude::editSystemPrompt(this, &prompt);
    activateWindow(); // back from the dialog, typing goes on in the composer
    focusComposer();
    if (!saved)
        return;
    s.systemPrompt = prompt;
    m_session->setSettings(s);
    m_composerPanel->setSystemPromptActive(!prompt.isEmpty());
    m_status->showNote(prompt.isEmpty() ? tr("System prompt removed")
                                        : tr("System prompt saved for this conversation"));
}

void ChatWindow::updateBusyState()
{
    const bool busy = m_session && m_session->isBusy();
    m_composerPanel->setBusy(busy);
    const bool locked = m_services.keychainSnapshot.read &&
                        m_services.keychainSnapshot.state == KeychainState::Locked;
    m_composerPanel->setCanSend(canChat(), locked ? tr("Unlock your keychain to start chatting")
                                                  : tr("Log in to start chatting"));
    m_stopAction->setEnabled(busy);
    const bool canRegenerate =
        !busy && canChat() && m_model->lastRowWithRole(MessageRole::User) >= 0;
    m_composerPanel->setCanRegenerate(canRegenerate);
    m_regenerateAction->setEnabled(canRegenerate);
}

void ChatWindow::updateUsage()
{
    m_status->setUsage(m_model->lastTurnUsage(), m_model->conversationUsage());
}

void ChatWindow::updateTitle()
{
    QString title;
    if (const qint64 id = currentConversation(); id && m_services.store) {
        if (const auto c = m_services.store->conversation(id))
            title = c->title;
    }
    setWindowTitle(title.isEmpty() ? tr("Qlaude") : tr("%1 — Qlaude").arg(title));
}

void ChatWindow::updateEmptyState()
{
    if (canChat()) {
        m_view->setEmptyState(tr("Start a conversation"),
                              tr("Type a message below and press Enter. Shift+Enter adds a new "
                                 "line.\nCtrl+K searches your conversations; Ctrl+N starts a new "
                                 "one."));
    } else if (m_services.keychainSnapshot.read &&
               m_services.keychainSnapshot.state == KeychainState::Locked) {
        m_view->setEmptyState(tr("Your keychain is locked"),
                              tr("Unlock it, then press Retry above. You are still logged in."));
    } else {
        m_view->setEmptyState(
            tr("Log in to start chatting"),
            tr("Press Log In above to connect Qlaude with an API key or another way "
               "this build offers, or set ANTHROPIC_API_KEY and start Qlaude "
               "again."));
    }
}

void ChatWindow::noteStreamData()
{
    m_lastStreamData.start();
    m_banners->hideStalled();
}

void ChatWindow::checkStall()
{
    if (!m_session || !m_session->isBusy()) {
        m_stallTimer->stop();
        return;
    }
    const qint64 quiet = m_lastStreamData.isValid() ? m_lastStreamData.elapsed() : 0;
    if (quiet >= m_stallNoticeMs)
        m_banners->showStalled(int(quiet / 1000));
}

void ChatWindow::onTurnFinished(qint64 messageId, MessageStatus status, const ApiError &error)
{
    m_stallTimer->stop();
    m_banners->hideStalled();
    m_banners->hideRetrying();
    std::optional<StoredMessage> final;
    if (m_services.store && m_session->conversationId()) {
        m_services.store->flushPendingWrites(); // what finishMessage() could not commit
        final = m_services.store->message(messageId);
    }
    if (final)
        m_model->replaceMessage(*final);
    else
        m_model->finish(messageId, status, error.isError() ? error.userMessage() : QString());
    updateBusyState();
    updateUsage();
    if (m_retryAfterStop) {
        m_retryAfterStop = false;
        regenerate();
        return;
    }
    if (!error.isError()) {
        if (status == MessageStatus::Stopped)
            m_status->showNote(tr("Stopped; the partial answer is kept"));
        return;
    }
    const int row = m_model->rowOf(messageId);
    const bool onMessage = row >= 0 && m_model->item(row).message.status == MessageStatus::Error;
    if (onMessage && (error.kind == ApiError::Kind::Auth || error.httpStatus == 401))
        m_credentialFailures.insert(messageId);
    m_banners->showTurnError(error, onMessage);
}

void ChatWindow::credentialRenewed()
{
    m_banners->clearCredentialError();
    // Answers that failed only because the old credential was rejected and hold nothing are
    // stale now: they leave the conversation (the question stays, ready for Regenerate).
    bool removed = false;
    for (int row = m_model->rowCount() - 1; row >= 0; --row) {
        const StoredMessage &m = m_model->item(row).message;
        if (!m_credentialFailures.contains(m.id) || m.status != MessageStatus::Error ||
            !m.plainText().isEmpty() || (m_session && m_session->isBusy()))
            break;
        if (m_services.store && !m_services.store->deleteMessagesFrom(m.id))
            break;
        m_credentialFailures.remove(m.id);
        m_model->removeFrom(row);
        removed = true;
    }
    if (removed) {
        updateBusyState();
        m_status->showNote(tr("Logged in. Press Regenerate (Ctrl+R) to ask again."));
    }
}

void ChatWindow::runBannerAction(ChatWindowBanners::Action action)
{
    using Action = ChatWindowBanners::Action;
    switch (action) {
    case Action::None:
        return;
    case Action::LogIn:
        emit loginRequested();
        return;
    case Action::Settings:
        emit settingsRequested();
        return;
    case Action::Reload:
        if (m_services.reload) {
            QPointer<ChatWindow> self(this);
            m_banners->setAccountBusy(true);
            m_services.reload([self] {
                if (!self)
                    return;
                self->m_banners->setAccountBusy(false);
                self->servicesChanged();
            });
        }
        return;
    case Action::Stop:
        stop();
        return;
    case Action::TryAgain:
        m_banners->hideError();
        regenerate();
        return;
    case Action::Doctor:
        emit doctorRequested();
        return;
    case Action::Trust:
        emit trustRequested();
        return;
    case Action::Retry:
        m_banners->hideError();
        if (m_session && m_session->isBusy()) {
            m_retryAfterStop = true;
            m_session->stop();
        } else {
            regenerate();
        }
        return;
    }
}

void ChatWindow::loadModels()
{
    m_modelsRequested = true;
    const QString current = m_session->settings().model;
    if (!canChat()) {
        m_composerPanel->setModels({}, current, tr("Log in to see the available models"));
        return;
    }
    const quint64 generation = ++m_modelsGeneration;
    if (!m_services.client->capabilities().listModels) {
        // A provider without a model list: the configured model and the provider's catalogue.
        m_composerPanel->setModels(
            ModelSelection::fallbackList(m_services.resolution.provider, current), current,
            QString());
        return;
    }
    m_composerPanel->setModelsLoading(current);
    QPointer<ChatWindow> self(this);
    m_services.client->listModels(
        [self, generation](const QList<ModelInfo> &models, const ApiError &error) {
            if (!self || generation != self->m_modelsGeneration)
                return;
            const QString current = self->m_session->settings().model;
            if (models.isEmpty()) {
                // No list (or it failed): the models the app knows, by name, and why.
                self->m_composerPanel->setModels(
                    ModelSelection::fallbackList(self->m_services.resolution.provider, current),
                    current,
                    error.isError() ? tr("The model list could not be loaded (%1); these are the "
                                         "models Qlaude knows")
                                          .arg(error.shortDescription())
                                    : tr("The provider returned no models; these are the models "
                                         "Qlaude knows"));
                return;
            }
            self->m_composerPanel->setModels(models, current, QString());
        });
}

bool ChatWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (!m_firstPainted && watched == m_view->viewport() && event->type() == QEvent::Paint) {
        m_firstPainted = true;
        // Runs once this paint (and the frame it belongs to) is done.
        QMetaObject::invokeMethod(this, &ChatWindow::afterFirstPaint, Qt::QueuedConnection);
    }
    return QMainWindow::eventFilter(watched, event);
}

void ChatWindow::afterFirstPaint()
{
    m_view->viewport()->removeEventFilter(this);
    emit firstPainted();
    if (m_loadModelsAfterFirstPaint && !m_modelsRequested)
        loadModels();
}

void ChatWindow::focusComposer()
{
    composer()->setFocus(Qt::ShortcutFocusReason);
}

void ChatWindow::focusSearch()
{
    m_sidebar->focusSearch();
}

void ChatWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    focusComposer();
}

void ChatWindow::closeEvent(QCloseEvent *event)
{
    stop();
    m_sidebar->commitPendingDeletion();
    QSettings settings(kSettingsOrg, kSettingsApp);
    settings.setValue(QStringLiteral("chatWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("chatWindow/splitter"), m_splitter->saveState());
    QMainWindow::closeEvent(event);
}

} // namespace qlaude
