#pragma once

#include "ChatSession.h"
#include "ChatWindowBanners.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QPointer>
#include <QSet>

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
class ConnectionSwitcher;

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

    // The model list (which may start TLS) is asked for once the message view has painted for
    // the first time (see firstPainted()). Off, it waits until servicesChanged(): for an app that
    // ends at the first paint (--exit-after-first-paint).
    void setLoadModelsAfterFirstPaint(bool load) { m_loadModelsAfterFirstPaint = load; }

    // After this long with no data for the answer being streamed, the window says so and offers
    // Stop and Retry (default 15 s).
    static constexpr int kStallNoticeMs = 15000;
    void setStallNoticeAfter(int milliseconds) { m_stallNoticeMs = milliseconds; }

    qint64 currentConversation() const;
    ChatSession *session() const { return m_session; }

public slots:
    // The app calls this after AppServices changed (a reload: new credential, settings, client).
    void servicesChanged();
    // After a login that replaced a rejected credential: its "Log In Again" banner and the
    // empty answers that failed with it are stale, and go.
    void credentialRenewed();
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
    void connectionsRequested(); // Settings > Connections
    void doctorRequested();
    // File > Trust This Folder: the folder's settings wait for trust.
    void trustRequested();
    // Once, when the message view's first paint (and the frame it belongs to) is done.
    void firstPainted();

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildMenus();
    void updateTrustAction();
    void applyConnection();
    void rebuildSession();
    void connectSession();
    ChatSession::Settings defaultSettings() const;
    bool canChat() const;
    void send(const QString &text);
    void reloadMessages();
    // Flips a message to another of its versions; the view shows that branch.
    void showVersion(qint64 messageId, int step);
    // Puts the stored version number of a message just added into its row.
    void noteVersion(qint64 messageId);
    void applySessionSettings();
    void updateBusyState();
    void updateUsage();
    void updateEmptyState();
    void updateTitle();
    void loadModels();
    void onTurnFinished(qint64 messageId, MessageStatus status, const ApiError &error);
    void runBannerAction(ChatWindowBanners::Action action);
    void editSystemPrompt();
    Composer *composer() const;
    void afterFirstPaint();

    AppServices &m_services;
    ChatSession *m_session = nullptr;
    QPointer<ProviderClient> m_sessionClient;
    ConversationStore *m_sessionStore = nullptr;
    MessageModel *m_model;
    MessageView *m_view;
    ComposerPanel *m_composerPanel;
    ConversationSidebar *m_sidebar;
    ErrorBanner *m_trustBanner;
    ErrorBanner *m_accountBanner;
    ErrorBanner *m_errorBanner;
    ChatWindowBanners *m_banners;
    StatusLine *m_status;
    ConnectionSwitcher *m_connectionSwitcher = nullptr;
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
    bool m_loadModelsAfterFirstPaint = true;
    bool m_firstPainted = false;
    QAction *m_trustAction = nullptr;
    QSet<qint64> m_credentialFailures; // answers that failed for a rejected credential
};

} // namespace qlaude
