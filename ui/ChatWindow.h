#pragma once

#include "ChatSession.h"
#include "ChatWindowBanners.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QPointer>

class QAction;
class QSplitter;
class QTimer;

namespace qlaude {

struct AppServices;
class Composer;
class ComposerPanel;
class ConversationSidebar;
class ConversationStore;
class ErrorBanner;
class MessageModel;
class MessageView;
class StatusLine;

// The main window: conversations on the left; the open conversation, banners and the composer
// on the right; the provider, credential and token counts in the status line. It borrows
// everything from AppServices and never loads QtWebEngine. Login, settings and doctor are the
// app's business: the window asks for them with signals.
class ChatWindow : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY(ChatWindow)
public:
    explicit ChatWindow(AppServices &services, QWidget *parent = nullptr);
    ~ChatWindow() override;

    // --exit-after-first-paint: once the message view has painted for the first time, print
    // "first-paint-ms: N" (N counted from the start of the process) and exit the app with 0.
    void setExitAfterFirstPaint(bool exit);
    // Milliseconds since this process started, from /proc/self/stat.
    static qint64 millisecondsSinceProcessStart();

    // After this long with no data for the answer being streamed, the window says so and offers
    // Stop and Retry (default 15 s).
    static constexpr int kStallNoticeMs = 15000;
    void setStallNoticeAfter(int milliseconds) { m_stallNoticeMs = milliseconds; }

    qint64 currentConversation() const;
    ChatSession *session() const { return m_session; }
    MessageModel *messageModel() const { return m_model; }
    MessageView *messageView() const { return m_view; }
    ComposerPanel *composerPanel() const { return m_composerPanel; }
    Composer *composer() const;
    ConversationSidebar *sidebar() const { return m_sidebar; }
    ErrorBanner *accountBanner() const { return m_accountBanner; }
    ErrorBanner *errorBanner() const { return m_errorBanner; }
    StatusLine *statusLine() const { return m_status; }

public slots:
    // The app calls this after AppServices changed (a reload: new credential, settings, client).
    void servicesChanged();
    void newChat();
    void openConversation(qint64 conversationId, qint64 revealMessageId = 0);
    void stop();
    void regenerate();
    void editMessage(qint64 messageId);
    void focusComposer();
    void focusSearch();

signals:
    void loginRequested();
    void settingsRequested();
    void doctorRequested();
    // File > Trust This Folder: the folder's settings wait for trust.
    void trustRequested();

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildMenus();
    void updateTrustAction();
    void rebuildSession();
    void connectSession();
    ChatSession::Settings defaultSettings() const;
    bool canChat() const;
    void send(const QString &text);
    void reloadMessages();
    void applySessionSettings();
    void updateBusyState();
    void updateUsage();
    void updateEmptyState();
    void updateTitle();
    void loadModels();
    void onTurnFinished(qint64 messageId, MessageStatus status, const ApiError &error);
    void runBannerAction(ChatWindowBanners::Action action);
    void editSystemPrompt();
    void afterFirstPaint();
    void reportFirstPaint();

    AppServices &m_services;
    ChatSession *m_session = nullptr;
    QPointer<ProviderClient> m_sessionClient;
    ConversationStore *m_sessionStore = nullptr;
    MessageModel *m_model;
    MessageView *m_view;
    ComposerPanel *m_composerPanel;
    ConversationSidebar *m_sidebar;
    ErrorBanner *m_accountBanner;
    ErrorBanner *m_errorBanner;
    ChatWindowBanners *m_banners;
    StatusLine *m_status;
    QSplitter *m_splitter;
    QAction *m_stopAction = nullptr;
    QAction *m_regenerateAction = nullptr;
    quint64 m_modelsGeneration = 0;
    int m_stallNoticeMs = kStallNoticeMs;
    QTimer *m_stallTimer = nullptr; // ticks while an answer streams
    QElapsedTimer m_lastStreamData; // since the last data of that answer
    bool m_retryAfterStop = false;  // the stall notice's Retry: ask again once stopped
    void noteStreamData();
    void checkStall();
    bool m_modelsRequested = false;
    bool m_exitAfterFirstPaint = false;
    bool m_firstPainted = false;
    QAction *m_trustAction = nullptr;
};

} // namespace qlaude
