// The chat window driven like a person would: typing, Enter, Esc, clicks, shortcuts, against
// the fake Messages API, with a real SQLite history.
#include "AnthropicClient.h"
#include "AppIcon.h"
#include "AppServices.h"
#include "AuthContext.h"
#include "AuthResolver.h"
#include "Authorizer.h"
#include "ChatWindow.h"
#include "Composer.h"
#include "ComposerPanel.h"
#include "ConversationListDelegate.h"
#include "ConversationListModel.h"
#include "ConversationSidebar.h"
#include "ConversationStore.h"
#include "ElidingLabel.h"
#include "ErrorBanner.h"
#include "FakeAnthropicServer.h"
#include "FakeResponse.h"
#include "MessageDelegate.h"
#include "MessageModel.h"
#include "MessageView.h"
#include "ProviderFactory.h"
#include "StatusLine.h"
#include "TestSupport.h"
#include "TrustStore.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QNetworkAccessManager>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QToolButton>
#include <QtTest>

#include <memory>
#include <vector>

using namespace qlaude;
using qlaude::fakes::FakeAnthropicServer;
using qlaude::fakes::FakeResponse;

namespace {

// How many colours an area of a picture holds, sampled every other pixel: a blank area has one
// or two, drawn text dozens (antialiasing).
int distinctColours(const QImage &image, const QRect &area)
{
    QSet<QRgb> colours;
    const QRect r = area.intersected(image.rect());
    for (int y = r.top(); y <= r.bottom(); y += 2) {
        for (int x = r.left(); x <= r.right(); x += 2)
            colours.insert(image.pixel(x, y));
    }
    return int(colours.size());
}

// The mean lightness (0 to 1) of an area of a picture.
double meanLightness(const QImage &image, const QRect &area)
{
    const QRect r = area.intersected(image.rect());
    double sum = 0;
    qint64 n = 0;
    for (int y = r.top(); y <= r.bottom(); y += 2) {
        for (int x = r.left(); x <= r.right(); x += 2) {
            sum += QColor(image.pixel(x, y)).lightnessF();
            ++n;
        }
    }
    return n ? sum / double(n) : 0;
}

// Where `widget` lies in a picture of `window`.
QRect areaIn(const QImage &image, const QWidget *window, const QWidget *widget)
{
    const qreal scale = image.width() / qreal(window->width());
    const QRect r(widget->mapTo(window, QPoint(0, 0)), widget->size());
    return QRect((QPointF(r.topLeft()) * scale).toPoint(), (QSizeF(r.size()) * scale).toSize());
}

StoredMessage message(MessageRole role, const QString &text,
                      MessageStatus status = MessageStatus::Complete)
{
    StoredMessage m;
    m.role = role;
    m.status = status;
    StoredBlock b;
    b.text = text;
    m.blocks = {b};
    if (role == MessageRole::Assistant)
        m.model = QStringLiteral("claude-sonnet-4-5");
    return m;
}

QString words(int count)
{
    QStringList w;
    for (int i = 0; i < count; ++i)
        w.append(QStringLiteral("word%1").arg(i));
    return w.join(QLatin1Char(' '));
}

// How the app found the credential for one test.
struct Setup
{
    bool environmentKey = true; // ANTHROPIC_API_KEY set
    KeychainState keychain = KeychainState::Available;
    QString storedKey; // the keychain's api-key entry
    bool nullClient = false;
    QMap<QString, QString> extraEnv; // e.g. a cloud provider
    bool factoryClient = false;      // the client the app's factory builds for the provider
};

} // namespace

class tst_ChatWindow : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestHome> m_home;
    FakeAnthropicServer *m_server = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
    std::unique_ptr<AuthContext> m_context;
    std::vector<std::unique_ptr<Authorizer>> m_authorizers;
    std::vector<std::unique_ptr<ProviderClient>> m_clients;
    std::unique_ptr<ConversationStore> m_store;
    AppServices m_services;
    std::unique_ptr<ChatWindow> m_window;
    QString m_key;
    int m_reloads = 0;
    std::function<void()> m_onReload;

    ProviderClient *makeClient(bool factory = false)
    {
        m_authorizers.push_back(
            std::make_unique<StaticAuthorizer>(m_services.resolution.credential));
        if (factory) {
            ProviderSetup s = makeProviderSetup(*m_context, m_authorizers.back().get());
            m_clients.push_back(
                std::make_unique<ProviderClient>(s.config, std::move(s.parts), m_nam));
            return m_clients.back().get();
        }
        ClientConfig config = ClientConfig::fromContext(*m_context);
        config.options.timeoutMs = 15000;
        m_clients.push_back(
            std::make_unique<AnthropicClient>(config, m_authorizers.back().get(), m_nam));
        m_clients.back()->setJitterSource([] { return 0.0; });
        return m_clients.back().get();
    }

    void setUp(const Setup &setup = Setup())
    {
        m_home = std::make_unique<test::TestHome>(QStringLiteral("chatwindow"));
        m_server = new FakeAnthropicServer(this);
        QVERIFY(m_server->listen());
        m_key = test::testSecret(QStringLiteral("chat"));
        m_server->setExpectedApiKey(m_key.toUtf8());
        m_nam = new QNetworkAccessManager(this);
        QProcessEnvironment env = m_home->environment();
        env.insert(QStringLiteral("ANTHROPIC_BASE_URL"), m_server->baseUrl().toString());
        if (setup.environmentKey)
            env.insert(QStringLiteral("ANTHROPIC_API_KEY"), m_key);
        for (auto it = setup.extraEnv.begin(); it != setup.extraEnv.end(); ++it)
            env.insert(it.key(), it.value());
        AuthContext::Options options;
        options.workspace = m_home->workspace();
        options.processEnvironment = env;
        options.managedDir = m_home->managedDir();
        options.trustStorePath = m_home->trustStore();
        m_context = std::make_unique<AuthContext>(AuthContext::load(options));
        KeychainSnapshot snapshot;
        snapshot.read = true;
        snapshot.state = setup.keychain;
        snapshot.apiKey = setup.storedKey;
        if (setup.keychain == KeychainState::Locked)
            snapshot.stateMessage = QStringLiteral("The keychain is locked.");
        m_services = AppServices();
        m_services.context = m_context.get();
        m_services.keychainSnapshot = snapshot;
        m_services.resolution = AuthResolver::resolve(*m_context, snapshot);
        m_services.network = m_nam;
        m_services.client = setup.nullClient ? nullptr : makeClient(setup.factoryClient);
        m_store =
            std::make_unique<ConversationStore>(m_home->path(QStringLiteral("history.sqlite")));
        QVERIFY2(m_store->open(), qPrintable(m_store->errorString()));
        m_services.store = m_store.get();
        m_reloads = 0;
        m_services.reload = [this](std::function<void()> done) {
            ++m_reloads;
            if (m_onReload)
                m_onReload();
            if (done)
                done();
        };
    }

    void showWindow(bool rememberedGeometry = false)
    {
        m_window = std::make_unique<ChatWindow>(m_services);
        if (!rememberedGeometry)
            m_window->resize(1100, 760);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        m_window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    }

    // The window's parts, found by object name as the dialog tests find theirs.
    template<typename T> T *child(const char *name) const
    {
        T *w = m_window->findChild<T *>(QLatin1String(name));
        if (!w)
            qFatal("no %s in the chat window", name);
        return w;
    }
    MessageView *messageView() const { return child<MessageView>("messageListView"); }
    MessageModel *messageModel() const { return messageView()->messageModel(); }
    ComposerPanel *composerPanel() const { return child<ComposerPanel>("composerPanelFrame"); }
    Composer *composer() const { return child<Composer>("composerPlainTextEdit"); }
    ConversationSidebar *sidebar() const
    {
        return child<ConversationSidebar>("conversationSidebarWidget");
    }
    ErrorBanner *accountBanner() const { return child<ErrorBanner>("accountBannerFrame"); }
    ErrorBanner *errorBanner() const { return child<ErrorBanner>("errorBannerFrame"); }
    StatusLine *statusLine() const { return child<StatusLine>("statusLineWidget"); }

    bool waitTurn(int timeoutMs = 15000)
    {
        ChatSession *s = m_window->session();
        if (!s->isBusy())
            return true;
        QSignalSpy finished(s, &ChatSession::turnFinished); // event-driven, unlike qWaitFor
        return finished.wait(timeoutMs);
    }

    // Waits until the answer being streamed shows some text in the model.
    bool waitForStreamedText(int row)
    {
        MessageModel *model = messageModel();
        QSignalSpy flushed(model, &MessageModel::streamFlushed);
        for (int i = 0; i < 50; ++i) {
            if (row < model->rowCount() && !model->item(row).message.plainText().isEmpty())
                return true;
            if (!flushed.wait(500) && !m_window->session()->isBusy())
                return false;
        }
        return false;
    }

    void send(const QString &text)
    {
        Composer *composer = this->composer();
        composer->setFocus();
        QTest::keyClicks(composer, text);
        QTest::keyClick(composer, Qt::Key_Return);
    }

    qint64 seedConversation(const QString &title, const QList<StoredMessage> &messages)
    {
        StoredConversation c;
        c.title = title;
        c.model = QStringLiteral("claude-sonnet-4-5");
        const qint64 id = m_store->createConversation(c);
        for (const StoredMessage &m : messages)
            m_store->addMessage(id, m);
        return id;
    }

    // Requests to POST /v1/messages (the model list goes to /v1/models as well).
    int messageRequests() const
    {
        int n = 0;
        for (const auto &r : m_server->requests())
            n += r.method == "POST" && r.path.startsWith(QLatin1String("/v1/messages")) ? 1 : 0;
        return n;
    }

    // Requests for the model list (GET /v1/models).
    int modelRequests() const
    {
        int n = 0;
        for (const auto &r : m_server->requests())
            n += r.method == "GET" && r.path.startsWith(QLatin1String("/v1/models")) ? 1 : 0;
        return n;
    }

    QString rowText(int row) const { return messageModel()->item(row).message.plainText(); }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings stays out of the real ~/.config
        QSettings(QStringLiteral("Qlaude"), QStringLiteral("qlaude")).clear();
    }

    void init() { QSettings(QStringLiteral("Qlaude"), QStringLiteral("qlaude")).clear(); }

    void cleanup()
    {
        m_window.reset();
        m_clients.clear();
        m_authorizers.clear();
        m_store.reset();
        delete m_nam;
        m_nam = nullptr;
        delete m_server;
        m_server = nullptr;
        m_onReload = nullptr;
    }

    // Moving through the sidebar with the arrow keys opens each conversation it lands on.
    void arrowKeysInTheSidebarOpenTheConversation()
    {
        setUp();
        const StoredMessage m = message(MessageRole::User, QStringLiteral("hello"));
        const qint64 first = seedConversation(QStringLiteral("First"), {m});
        const qint64 second = seedConversation(QStringLiteral("Second"), {m});
        showWindow();
        QListView *list = sidebar()->listView();
        QTRY_COMPARE(list->model()->rowCount(), 2);
        list->setFocus();
        list->setCurrentIndex(list->model()->index(0, 0));
        const qint64 top =
            list->currentIndex().data(ConversationListModel::ConversationIdRole).toLongLong();
        QTest::keyClick(list, Qt::Key_Down);
        const qint64 below = top == second ? first : second;
        QTRY_COMPARE(m_window->currentConversation(), below);
        // The keyboard stays in the list, so the next arrow moves on from there.
        QTRY_VERIFY(list->hasFocus());
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Up);
        QTRY_COMPARE(m_window->currentConversation(), top);

        // The list shows where the keyboard is: the current row is outlined while the list has
        // the focus, and not once the focus moved on.
        const QRect row = list->visualRect(list->currentIndex());
        const QColor ring = ConversationListDelegate::focusRingColor(
            list->palette(), list->selectionModel()->isSelected(list->currentIndex()));
        const auto outlined = [&] {
            const QImage image = list->viewport()->grab(row).toImage();
            int hits = 0;
            for (int y = 0; y < image.height(); ++y) {
                const QColor c = image.pixelColor(1, y); // the ring's middle
                if (qAbs(c.red() - ring.red()) < 24 && qAbs(c.green() - ring.green()) < 24 &&
                    qAbs(c.blue() - ring.blue()) < 24)
                    ++hits;
            }
            return hits > image.height() / 2;
        };
        QTRY_VERIFY(list->hasFocus());
        QVERIFY(outlined());
        composer()->setFocus();
        QTRY_VERIFY(!list->hasFocus());
        QVERIFY(!outlined());
    }

    // File > Trust This Folder is there while the folder's settings wait for trust (also
    // after "Don't trust"), asks the app to prompt, and goes grey once the folder is trusted.
    void trustThisFolderIsOfferedWhileSettingsWaitForTrust()
    {
        setUp();
        m_home->projectSettings({{"apiKeyHelper", "echo key"}});
        AuthContext::Options options;
        options.workspace = m_home->workspace();
        options.processEnvironment = m_context->environment();
        options.managedDir = m_home->managedDir();
        options.trustStorePath = m_home->trustStore();
        *m_context = AuthContext::load(options);
        QVERIFY(m_context->trust().needsApproval());
        TrustStore store(m_home->trustStore());
        QString error;
        QVERIFY(store.decline(m_context->trust(), &error));
        m_context->reloadTrust();
        QVERIFY(m_context->trust().declined);
        showWindow();
        auto *trust = m_window->findChild<QAction *>(QStringLiteral("trustAction"));
        QVERIFY(trust);
        QVERIFY(trust->isEnabled());
        QSignalSpy asked(m_window.get(), &ChatWindow::trustRequested);
        trust->trigger();
        QCOMPARE(asked.size(), 1);
        QVERIFY(store.trust(m_context->trust(), &error));
        m_context->reloadTrust();
        m_window->servicesChanged();
        QVERIFY(!trust->isEnabled());
    }

    // Issue 14: an answer that stops arriving says so after a while, with Stop and Retry;
    // Retry stops it and asks again, and the new answer arrives.
    void aStalledAnswerOffersStopAndRetry()
    {
        setUp(Setup{});
        m_server->enqueue(
            FakeResponse::text(
                QStringLiteral("The first words and then").append(QStringLiteral(" silence")))
                .stallAfterEvents(4));
        m_server->enqueue(FakeResponse::text(QStringLiteral("A whole answer this time.")));
        showWindow();
        m_window->setStallNoticeAfter(400);
        auto *banner = m_window->findChild<ErrorBanner *>(QStringLiteral("errorBannerFrame"));
        QVERIFY(banner);
        send(QStringLiteral("Tell me something"));
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible() && banner->text().startsWith("No data"),
                                 10000);
        QVERIFY2(banner->text().contains(QStringLiteral("Stop keeps what arrived")),
                 qPrintable(banner->text()));
        QCOMPARE(banner->actionText(), QStringLiteral("Stop"));
        QVERIFY(banner->secondActionButton()->isVisible());
        QCOMPARE(banner->secondActionButton()->text(), QStringLiteral("Retry"));
        QVERIFY(m_window->session()->isBusy());

        QTest::mouseClick(banner->secondActionButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->requests().size(), 2, 10000);
        QVERIFY(waitTurn());
        MessageModel *model = messageModel();
        const int last = model->rowCount() - 1;
        QCOMPARE(model->item(last).message.plainText(),
                 QStringLiteral("A whole answer this time."));
        QVERIFY(!banner->isVisible());
    }

    // Issue 14: a search hit far into its excerpt is shown whole, near the middle of the line,
    // never cut by the ellipsis.
    void searchSnippetsShowTheMatchWholeAndCentred()
    {
        const QFontMetrics metrics(QApplication::font());
        const QString before = QStringLiteral("lorem ipsum dolor sit amet consectetur adipiscing "
                                              "elit sed do eiusmod tempor incididunt ut labore");
        const QString marked = before + QLatin1Char(' ') + SearchHit::kSnippetMatchBegin +
                               QStringLiteral("quixotically") + SearchHit::kSnippetMatchEnd +
                               QStringLiteral(" and then some more words after it");
        const int width = metrics.horizontalAdvance(QStringLiteral("x")) * 40;
        const ConversationListDelegate::Snippet shown = ConversationListDelegate::fitToLine(
            ConversationListDelegate::parseSnippet(marked), metrics, width);
        QVERIFY(metrics.horizontalAdvance(shown.text) <= width);
        QCOMPARE(shown.matches.size(), 1);
        const auto match = shown.matches.first();
        QCOMPARE(shown.text.mid(match.first, match.second), QStringLiteral("quixotically"));
        QVERIFY(shown.text.startsWith(QStringLiteral("…")));
        const int centre =
            metrics.horizontalAdvance(shown.text.left(match.first + match.second / 2));
        QVERIFY2(qAbs(centre - width / 2) < width / 5, qPrintable(QString::number(centre)));
        // A match that fits is left where it is.
        const ConversationListDelegate::Snippet early = ConversationListDelegate::fitToLine(
            ConversationListDelegate::parseSnippet(SearchHit::kSnippetMatchBegin +
                                                   QStringLiteral("lorem") +
                                                   SearchHit::kSnippetMatchEnd + before),
            metrics, width);
        QCOMPARE(early.matches.first().first, 0);
    }

    // Issue 14: the app's icon is drawn at every size a desktop asks for, not blank.
    void theAppIconIsDrawnAtEverySize()
    {
        const QIcon icon = AppIcon::icon();
        const QList<QSize> sizes = icon.availableSizes();
        for (int size : {16, 24, 32, 48, 64, 128, 256, 512}) {
            QVERIFY(sizes.contains(QSize(size, size)));
            const QImage image = AppIcon::pixmap(size).toImage();
            QCOMPARE(image.size(), QSize(size, size));
            QCOMPARE(qAlpha(image.pixel(0, 0)), 0); // the rounded corner is transparent
            const QColor middle = image.pixelColor(size / 2, size / 2);
            QVERIFY2(middle.alpha() == 255, qPrintable(QString::number(size)));
        }
    }

    // Issue 13 item 5: a settings file that cannot be read is named in a banner (file, line,
    // column) whose button opens the doctor; once fixed and reloaded, the banner goes.
    void aBrokenSettingsFileIsNamedWithTheDoctorOneClickAway()
    {
        setUp(Setup{});
        const QString file = m_home->configDir() + QStringLiteral("/settings.json");
        m_home->writeFile(file, "{\n  \"model\": \"opus\",\n  oops\n}\n");
        AuthContext::Options options;
        options.workspace = m_home->workspace();
        options.processEnvironment = m_context->environment();
        options.managedDir = m_home->managedDir();
        options.trustStorePath = m_home->trustStore();
        *m_context = AuthContext::load(options);
        showWindow();
        auto *banner = m_window->findChild<ErrorBanner *>(QStringLiteral("errorBannerFrame"));
        QVERIFY(banner);
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(file + QStringLiteral(": line 3, column")),
                 qPrintable(banner->text()));
        QVERIFY(banner->text().contains(QStringLiteral("Ignored the user settings")));
        QCOMPARE(banner->actionText(), QStringLiteral("Open Doctor"));
        QSignalSpy doctor(m_window.get(), &ChatWindow::doctorRequested);
        QTest::mouseClick(banner->actionButton(), Qt::LeftButton);
        QCOMPARE(doctor.size(), 1);

        m_home->writeFile(file, "{\"model\": \"opus\"}\n");
        *m_context = AuthContext::load(options);
        m_window->servicesChanged();
        QVERIFY(!banner->isVisible());
    }

    // A long credential source is cut with "…" (whole in its tooltip); the token counts beside
    // it stay whole, at 800 pixels wide.
    void theStatusLineElidesALongCredentialInsteadOfClippingTheCounts()
    {
        setUp();
        showWindow();
        m_window->resize(800, 600);
        auto *credential = m_window->findChild<QLabel *>(QStringLiteral("credentialSourceLabel"));
        auto *usage = m_window->findChild<QLabel *>(QStringLiteral("tokenUsageLabel"));
        QVERIFY(credential && usage);
        credential->setText(QStringLiteral("Google Vertex AI · Google credentials from "
                                           "GOOGLE_APPLICATION_CREDENTIALS (service_account, "
                                           "/home/someone/keys/a-very-long-key-file-name.json)"));
        QApplication::processEvents();
        QTRY_VERIFY(usage->width() >= usage->sizeHint().width());
        // ... without the text pushing the window wider than it was made.
        m_window->resize(800, 600);
        QApplication::processEvents();
        QCOMPARE(m_window->width(), 800);
        QVERIFY(usage->geometry().right() <= usage->parentWidget()->width());
        QVERIFY(credential->width() < credential->sizeHint().width());
        // What is painted is the text cut with "…", not the text clipped at the edge.
        QLabel expected;
        expected.setFont(credential->font());
        expected.setPalette(credential->palette());
        expected.setAlignment(credential->alignment() | Qt::AlignVCenter);
        expected.resize(credential->size());
        expected.setText(credential->fontMetrics().elidedText(credential->text(), Qt::ElideRight,
                                                              credential->contentsRect().width()));
        QVERIFY(expected.text().endsWith(QChar(0x2026)));
        QCOMPARE(credential->grab().toImage().convertToFormat(QImage::Format_ARGB32),
                 expected.grab().toImage().convertToFormat(QImage::Format_ARGB32));
    }

    // At 800 pixels nothing in the status line is cut at the window's edge: the long token
    // counts end in "…" and their tooltip has them whole.
    void theStatusLineElidesEveryLabelAt800Pixels()
    {
        setUp();
        showWindow();
        m_window->resize(800, 600);
        StoredUsage last;
        last.inputTokens = 123456;
        last.outputTokens = 78901;
        last.cacheReadInputTokens = 1000000;
        StoredUsage total;
        total.inputTokens = 12345678;
        total.outputTokens = 987654;
        total.cacheReadInputTokens = 10000000;
        statusLine()->setUsage(last, total);
        statusLine()->showNote(QStringLiteral("Code copied"));
        QApplication::processEvents();
        auto *usage = m_window->findChild<ElidingLabel *>(QStringLiteral("tokenUsageLabel"));
        auto *note = m_window->findChild<ElidingLabel *>(QStringLiteral("statusNoteLabel"));
        QVERIFY(usage && note);
        QTRY_VERIFY(statusLine()->width() <= m_window->width());
        QCOMPARE(m_window->width(), 800);
        for (ElidingLabel *l : statusLine()->findChildren<ElidingLabel *>()) {
            if (!l->isVisible())
                continue;
            // Inside the status line, which is inside the window.
            QVERIFY2(l->geometry().right() < statusLine()->width(), qPrintable(l->objectName()));
            QVERIFY2(l->mapTo(m_window.get(), QPoint(l->width(), 0)).x() <= m_window->width(),
                     qPrintable(l->objectName()));
        }
        QVERIFY(usage->isElided());
        QVERIFY(usage->shownText().endsWith(QChar(0x2026)));
        QVERIFY(usage->text().contains(QLocale().toString(10000000)));
        QVERIFY(usage->effectiveToolTip().startsWith(usage->text()));
        QVERIFY(usage->effectiveToolTip().contains(QStringLiteral("Cache writes")));
        // What is painted is the elided text, not the whole text clipped at the label's edge.
        QLabel expected;
        expected.setFont(usage->font());
        expected.setPalette(usage->palette());
        expected.setAlignment(usage->alignment() | Qt::AlignVCenter);
        expected.resize(usage->size());
        expected.setText(usage->shownText());
        QCOMPARE(usage->grab().toImage().convertToFormat(QImage::Format_ARGB32),
                 expected.grab().toImage().convertToFormat(QImage::Format_ARGB32));
        // The short note keeps its whole text.
        QVERIFY(!note->isElided());
        // Wide again, the counts are whole.
        m_window->resize(1800, 700);
        QTRY_VERIFY(!usage->isElided());
        QCOMPARE(usage->effectiveToolTip(), usage->toolTip());
    }

    // At 1920 pixels the messages keep a readable width in the middle; the composer has the
    // same left and right edges.
    void theComposerLinesUpWithTheMessageColumnAt1920Pixels()
    {
        setUp();
        showWindow();
        m_window->resize(1920, 1080);
        QApplication::processEvents();
        MessageView *view = messageView();
        QTRY_VERIFY(view->viewport()->width() > 1200);
        const MessageStyle &style = view->messageDelegate()->style();
        const int viewportWidth = view->viewport()->width();
        QCOMPARE(style.contentWidth(viewportWidth), MessageStyle::kMaxContentWidth);
        const QPoint columnLeft =
            view->viewport()->mapTo(m_window.get(), QPoint(style.contentLeft(viewportWidth), 0));
        const QPoint columnRight = columnLeft + QPoint(style.contentWidth(viewportWidth), 0);
        auto *box = child<QFrame>("composerBoxFrame");
        QTRY_COMPARE(box->mapTo(m_window.get(), QPoint(0, 0)).x(), columnLeft.x());
        QCOMPARE(box->mapTo(m_window.get(), QPoint(box->width(), 0)).x(), columnRight.x());
        // And they follow a narrower window.
        m_window->resize(1000, 700);
        QApplication::processEvents();
        const int narrow = view->viewport()->width();
        QTRY_COMPARE(
            box->mapTo(m_window.get(), QPoint(0, 0)).x(),
            view->viewport()->mapTo(m_window.get(), QPoint(style.contentLeft(narrow), 0)).x());
        QCOMPARE(box->width(), style.contentWidth(narrow));
    }

    void opensWithTheComposerFocusedAndDesignedEmptyStates()
    {
        setUp();
        showWindow();
        QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget *>(composer()));
        QLabel *sidebarEmpty = sidebar()->emptyStateLabel();
        QVERIFY(sidebarEmpty->isVisible());
        QVERIFY2(sidebarEmpty->text().contains(QStringLiteral("No conversations yet")),
                 qPrintable(sidebarEmpty->text()));
        QLabel *viewEmpty = messageView()->emptyStateLabel();
        QVERIFY(viewEmpty->isVisible());
        QVERIFY(viewEmpty->text().contains(QStringLiteral("Start a conversation")));
        QVERIFY(!accountBanner()->isVisible());
        const QString credential = statusLine()->credentialText();
        QVERIFY2(credential.contains(QStringLiteral("ANTHROPIC_API_KEY from the environment")),
                 qPrintable(credential));
        QVERIFY2(credential.contains(QStringLiteral("Anthropic API at 127.0.0.1")),
                 qPrintable(credential));
        QVERIFY(statusLine()->shadowText().isEmpty());
        QVERIFY(!m_window->windowTitle().isEmpty());
    }

    void chatRoundTripStreamsIntoTheView()
    {
        setUp();
        const QString answer = words(40);
        m_server->enqueue(FakeResponse::text(answer).setUsage(11, 40));
        m_server->setChunkDelay(15); // one word every 15 ms: several frames of streaming
        showWindow();
        send(QStringLiteral("Hello there"));
        MessageModel *model = messageModel();
        QCOMPARE(composer()->text(), QString());
        QCOMPARE(model->rowCount(), 2);
        QCOMPARE(rowText(0), QStringLiteral("Hello there"));
        QVERIFY(composerPanel()->isBusy());
        QCOMPARE(composerPanel()->sendButton()->text(), QStringLiteral("Stop"));

        // Text shows up while it streams: a prefix first, the whole answer at the end.
        QVERIFY(waitForStreamedText(1));
        const QString partial = rowText(1);
        QVERIFY2(answer.startsWith(partial) && partial.size() < answer.size(), qPrintable(partial));
        const qint64 answerId = model->item(1).message.id;
        QVERIFY(waitTurn());
        QCOMPARE(rowText(1), answer);
        QCOMPARE(model->item(1).message.status, MessageStatus::Complete);
        QVERIFY(messageView()->messageDelegate()->stats().laidOut.contains(answerId));
        QVERIFY(!composerPanel()->isBusy());

        // What went over the wire and into the history.
        const QJsonArray sent =
            m_server->lastRequest().json.value(QStringLiteral("messages")).toArray();
        QCOMPARE(sent.size(), 1);
        QCOMPARE(sent.at(0).toObject().value(QStringLiteral("content")).toString(),
                 QStringLiteral("Hello there"));
        QCOMPARE(m_store->conversations().size(), 1);
        QCOMPARE(m_store->messages(m_window->currentConversation()).size(), 2);

        // The sidebar lists and selects the new conversation; the title follows.
        QListView *list = sidebar()->listView();
        QTRY_COMPARE(list->model()->rowCount(), 1);
        QCOMPARE(list->currentIndex().data(ConversationListModel::ConversationIdRole).toLongLong(),
                 m_window->currentConversation());
        QVERIFY(m_window->windowTitle().contains(QStringLiteral("Hello there")));
        const QString usage = statusLine()->usageText();
        QVERIFY2(usage.contains(QStringLiteral("11 in")) &&
                     usage.contains(QStringLiteral("40 out")),
                 qPrintable(usage));
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget *>(composer()));
    }

    void stopKeepsThePartialAnswerMarkedStopped()
    {
        setUp();
        const QString answer = words(300);
        m_server->enqueue(FakeResponse::text(answer));
        m_server->setChunkDelay(20);
        showWindow();
        send(QStringLiteral("Tell me a long story"));
        QVERIFY(waitForStreamedText(1));
        QTest::keyClick(composer(), Qt::Key_Escape);
        QVERIFY(waitTurn());
        MessageModel *model = messageModel();
        const StoredMessage cut = model->item(1).message;
        QCOMPARE(cut.status, MessageStatus::Stopped);
        QVERIFY(!cut.plainText().isEmpty());
        QVERIFY(cut.plainText().size() < answer.size());
        QVERIFY(answer.startsWith(cut.plainText()));
        // The history keeps the partial answer, marked stopped, and the view says so.
        const auto stored = m_store->message(cut.id);
        QVERIFY(stored);
        QCOMPARE(stored->status, MessageStatus::Stopped);
        QCOMPARE(stored->plainText(), cut.plainText());
        QVERIFY(model->index(1)
                    .data(Qt::AccessibleTextRole)
                    .toString()
                    .contains(QStringLiteral("stopped")));
        QVERIFY(!errorBanner()->isVisible());
        QVERIFY(composerPanel()->regenerateButton()->isEnabled());
    }

    // Scrolled away from a streaming answer, "Jump to latest" appears; it (or End) brings the
    // view back to the end, following again, and it goes once the answer is complete.
    static void scrollUp(MessageView *view)
    {
        view->verticalScrollBar()->triggerAction(QAbstractSlider::SliderPageStepSub);
        QCoreApplication::processEvents();
    }

    void jumpToLatestAppearsWhileScrolledAwayFromAStream()
    {
        setUp();
        m_server->enqueue(FakeResponse::text(words(800)));
        m_server->setChunkDelay(15);
        showWindow();
        MessageView *view = messageView();
        QPushButton *jump =
            view->findChild<QPushButton *>(QStringLiteral("jumpToLatestPushButton"));
        QVERIFY(jump);
        QVERIFY(!jump->isVisible());
        send(QStringLiteral("Tell me a very long story"));
        QVERIFY(waitForStreamedText(1));
        // Enough text to fill more than the window.
        QTRY_VERIFY_WITH_TIMEOUT(messageModel()->item(1).message.plainText().size() > 4000, 20000);
        QVERIFY(!jump->isVisible()); // following: nothing to jump to
        scrollUp(view);
        QVERIFY2(!view->isFollowing(), qPrintable(QStringLiteral("value %1 of %2, streaming %3")
                                                      .arg(view->verticalScrollBar()->value())
                                                      .arg(view->verticalScrollBar()->maximum())
                                                      .arg(messageModel()->streamingId())));
        QTRY_VERIFY(jump->isVisible());
        QVERIFY(view->viewport()->geometry().contains(jump->geometry()));
        QTest::mouseClick(jump, Qt::LeftButton);
        QVERIFY(view->isFollowing());
        QVERIFY(!jump->isVisible());
        scrollUp(view);
        QTRY_VERIFY(jump->isVisible());
        view->setFocus();
        QTest::keyClick(view, Qt::Key_End);
        QVERIFY(view->isFollowing());
        QVERIFY(!jump->isVisible());
        scrollUp(view);
        QTRY_VERIFY(jump->isVisible());
        QVERIFY(waitTurn(30000));
        QTRY_VERIFY(!jump->isVisible());
    }

    // The "‹ 1/2 ›" switcher of a row, as the delegate places it on screen.
    MessageDelegate::VersionSwitcher switcherOf(int row) const
    {
        MessageView *view = messageView();
        const QModelIndex index = messageModel()->index(row);
        return view->messageDelegate()->versionSwitcher(index, view->rowRect(index));
    }

    QString requestedText(int message) const
    {
        return m_server->lastRequest()
            .json.value(QStringLiteral("messages"))
            .toArray()
            .at(message)
            .toObject()
            .value(QStringLiteral("content"))
            .toString();
    }

    void regenerateKeepsTheEarlierAnswerAsAVersion()
    {
        setUp();
        m_server->enqueue(FakeResponse::text(QStringLiteral("First answer.")));
        m_server->enqueue(FakeResponse::text(QStringLiteral("Second answer.")));
        showWindow();
        send(QStringLiteral("Pick a number"));
        QVERIFY(waitTurn());
        QCOMPARE(rowText(1), QStringLiteral("First answer."));
        QPushButton *regenerate = composerPanel()->regenerateButton();
        QVERIFY(regenerate->isEnabled());
        QTest::mouseClick(regenerate, Qt::LeftButton);
        QVERIFY(m_window->session()->isBusy());
        QVERIFY(waitTurn());
        QCOMPARE(messageModel()->rowCount(), 2);
        QCOMPARE(rowText(1), QStringLiteral("Second answer."));
        QCOMPARE(messageRequests(), 2);
        QCOMPARE(m_server->lastRequest().json.value(QStringLiteral("messages")).toArray().size(),
                 1);
        const QList<StoredMessage> stored = m_store->messages(m_window->currentConversation());
        QCOMPARE(stored.size(), 2);
        QCOMPARE(stored.at(1).plainText(), QStringLiteral("Second answer."));

        // The answer shows "‹ 2/2 ›"; its ‹ shows the first answer, in the view and the history.
        MessageView *view = messageView();
        MessageDelegate::VersionSwitcher switcher = switcherOf(1);
        QCOMPARE(switcher.text, QStringLiteral("2/2"));
        QVERIFY(switcher.canGoBack && !switcher.canGoForward);
        QVERIFY(view->viewport()->rect().contains(switcher.previous));
        QVERIFY(!switcherOf(0).label.isValid()); // the question has one version
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, switcher.previous.center());
        QCOMPARE(rowText(1), QStringLiteral("First answer."));
        QCOMPARE(switcherOf(1).text, QStringLiteral("1/2"));
        QVERIFY(messageModel()
                    ->index(1)
                    .data(Qt::AccessibleTextRole)
                    .toString()
                    .contains(QStringLiteral("version 1 of 2")));
        QCOMPARE(m_store->messages(m_window->currentConversation()).at(1).plainText(),
                 QStringLiteral("First answer."));

        // From the keyboard: Alt+Right and Alt+Left on the current message.
        QCOMPARE(view->currentIndex().row(), 1);
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Right, Qt::AltModifier);
        QCOMPARE(rowText(1), QStringLiteral("Second answer."));
        QTest::keyClick(view, Qt::Key_Right, Qt::AltModifier); // already the last version
        QCOMPARE(rowText(1), QStringLiteral("Second answer."));
        QTest::keyClick(view, Qt::Key_Left, Qt::AltModifier);
        QCOMPARE(rowText(1), QStringLiteral("First answer."));

        // The conversation continues from the version shown.
        m_server->enqueue(FakeResponse::text(QStringLiteral("Third answer.")));
        send(QStringLiteral("Go on"));
        QVERIFY(waitTurn());
        QCOMPARE(requestedText(1), QStringLiteral("First answer."));
        QCOMPARE(messageModel()->rowCount(), 4);
    }

    void editAndResendKeepsTheEarlierQuestionAsAVersion()
    {
        setUp();
        m_server->setDefaultResponse(
            FakeResponse::templatedText(QStringLiteral("You said: {prompt}")));
        showWindow();
        send(QStringLiteral("Question one"));
        QVERIFY(waitTurn());
        QCOMPARE(rowText(1), QStringLiteral("You said: Question one"));
        send(QStringLiteral("Question two"));
        QVERIFY(waitTurn());
        QCOMPARE(messageModel()->rowCount(), 4);

        // Up in the empty composer edits the last question.
        Composer *composer = this->composer();
        QTest::keyClick(composer, Qt::Key_Up);
        QCOMPARE(composer->text(), QStringLiteral("Question two"));
        QVERIFY(m_window->findChild<QWidget *>(QStringLiteral("editBarWidget"))->isVisible());
        QCOMPARE(composerPanel()->sendButton()->text(), QStringLiteral("Resend"));
        composer->selectAll();
        QTest::keyClicks(composer, QStringLiteral("Question three"));
        QTest::keyClick(composer, Qt::Key_Return);
        QVERIFY(waitTurn());
        MessageModel *model = messageModel();
        QCOMPARE(model->rowCount(), 4);
        QCOMPARE(rowText(2), QStringLiteral("Question three"));
        QCOMPARE(rowText(3), QStringLiteral("You said: Question three"));
        QVERIFY(!m_window->findChild<QWidget *>(QStringLiteral("editBarWidget"))->isVisible());
        const QList<StoredMessage> stored = m_store->messages(m_window->currentConversation());
        QCOMPARE(stored.size(), 4);
        QCOMPARE(stored.at(2).plainText(), QStringLiteral("Question three"));
        QCOMPARE(m_server->lastRequest().json.value(QStringLiteral("messages")).toArray().size(),
                 3);

        // The edited question is version 2 of its turn; version 1 brings back its answer.
        QCOMPARE(switcherOf(2).text, QStringLiteral("2/2"));
        QVERIFY(!switcherOf(3).label.isValid());
        MessageView *view = messageView();
        view->setCurrentIndex(model->index(2));
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Left, Qt::AltModifier);
        QCOMPARE(model->rowCount(), 4);
        QCOMPARE(rowText(2), QStringLiteral("Question two"));
        QCOMPARE(rowText(3), QStringLiteral("You said: Question two"));
        QCOMPARE(switcherOf(2).text, QStringLiteral("1/2"));
    }

    void errorBannersOfferTheNextStep_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("signal");
        QTest::newRow("401") << 401 << QStringLiteral("Log In Again") << QStringLiteral("login");
        QTest::newRow("403") << 403 << QStringLiteral("Open Provider Settings")
                             << QStringLiteral("settings");
        QTest::newRow("404") << 404 << QStringLiteral("Open Provider Settings")
                             << QStringLiteral("settings");
    }
    void errorBannersOfferTheNextStep()
    {
        QFETCH(int, status);
        QFETCH(QString, action);
        QFETCH(QString, signal);
        setUp();
        m_server->enqueue(FakeResponse::error(status));
        showWindow();
        QSignalSpy login(m_window.get(), &ChatWindow::loginRequested);
        QSignalSpy settings(m_window.get(), &ChatWindow::settingsRequested);
        send(QStringLiteral("Hi"));
        QVERIFY(waitTurn());
        ErrorBanner *banner = errorBanner();
        QVERIFY(banner->isVisible());
        QCOMPARE(banner->actionButton()->text(), action);
        QCOMPARE(messageModel()->item(1).message.status, MessageStatus::Error);
        // The error once: the note under the failed answer says what failed (it stays in the
        // history); the banner says what to do next, without repeating it.
        const QString note = messageModel()->item(1).message.errorText;
        QVERIFY2(note.contains(QString::number(status)), qPrintable(note));
        QVERIFY2(!banner->text().contains(QString::number(status)) &&
                     !banner->text().contains(note),
                 qPrintable(banner->text()));
        QVERIFY2(banner->text().contains(QStringLiteral("the reason is under it")),
                 qPrintable(banner->text()));
        QTest::mouseClick(banner->actionButton(), Qt::LeftButton);
        QCOMPARE(login.size(), signal == QLatin1String("login") ? 1 : 0);
        QCOMPARE(settings.size(), signal == QLatin1String("settings") ? 1 : 0);
        QVERIFY(banner->isVisible());
        if (status == 401) {
            // The login reloads the services: the error that asked for it is stale then.
            m_window->servicesChanged();
        } else {
            QTest::mouseClick(banner->closeButton(), Qt::LeftButton);
        }
        QVERIFY(!banner->isVisible());
        // The typed message is kept in the history even though the answer failed.
        QCOMPARE(rowText(0), QStringLiteral("Hi"));
    }

    void overloadedShowsARetryCountdown()
    {
        setUp();
        m_server->enqueue(FakeResponse::error(529).withRetryAfterSeconds(2));
        m_server->enqueue(FakeResponse::text(QStringLiteral("Recovered.")));
        showWindow();
        send(QStringLiteral("Are you there?"));
        ErrorBanner *banner = errorBanner();
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 5000);
        QVERIFY2(banner->text().contains(QStringLiteral("overloaded")), qPrintable(banner->text()));
        QVERIFY2(banner->text().contains(QStringLiteral("Retrying in 2 s")),
                 qPrintable(banner->text()));
        QCOMPARE(banner->actionButton()->text(), QStringLiteral("Stop"));
        // It counts down while it waits.
        QTRY_VERIFY_WITH_TIMEOUT(banner->text().contains(QStringLiteral("Retrying in 1 s")), 3000);
        QVERIFY(waitTurn());
        QVERIFY(!banner->isVisible());
        QCOMPARE(rowText(1), QStringLiteral("Recovered."));
        QCOMPARE(messageRequests(), 2);
    }

    void stopDuringTheRetryWaitEndsTheTurn()
    {
        setUp();
        m_server->enqueue(FakeResponse::error(429).withRetryAfterSeconds(30));
        showWindow();
        send(QStringLiteral("Hello?"));
        ErrorBanner *banner = errorBanner();
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 5000);
        QVERIFY2(banner->text().contains(QStringLiteral("Retrying in 30 s")),
                 qPrintable(banner->text()));
        QTest::mouseClick(banner->actionButton(), Qt::LeftButton);
        QVERIFY(waitTurn());
        QVERIFY(!banner->isVisible());
        QCOMPARE(messageModel()->item(1).message.status, MessageStatus::Stopped);
        QCOMPARE(messageRequests(), 1);
    }

    void searchFindsAMessageAndShowsNoHits()
    {
        setUp();
        const qint64 zoo = seedConversation(
            QStringLiteral("Zoo trip"),
            {message(MessageRole::User, QStringLiteral("What do giraffes eat?")),
             message(MessageRole::Assistant, QStringLiteral("Mostly acacia leaves."))});
        seedConversation(QStringLiteral("Groceries"),
                         {message(MessageRole::User, QStringLiteral("Buy apples and pears"))});
        showWindow();
        ConversationSidebar *sidebar = this->sidebar();
        QCOMPARE(sidebar->listView()->model()->rowCount(), 2);
        // Newest first.
        QCOMPARE(sidebar->listView()->model()->index(0, 0).data().toString(),
                 QStringLiteral("Groceries"));

        QTest::keyClick(m_window.get(), Qt::Key_K, Qt::ControlModifier);
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget *>(sidebar->searchEdit()));
        QTest::keyClicks(sidebar->searchEdit(), QStringLiteral("giraffe"));
        QAbstractItemModel *list = sidebar->listView()->model();
        QTRY_COMPARE(list->rowCount(), 1);
        const QModelIndex hit = list->index(0, 0);
        QCOMPARE(hit.data().toString(), QStringLiteral("Zoo trip"));
        const QString snippet = hit.data(ConversationListModel::SnippetRole).toString();
        QVERIFY2(snippet.contains(SearchHit::kSnippetMatchBegin), qPrintable(snippet));
        QVERIFY(snippet.contains(QStringLiteral("giraffes")));

        // Opening the hit shows the conversation with the message selected.
        QTest::mouseClick(sidebar->listView()->viewport(), Qt::LeftButton, {},
                          sidebar->listView()->visualRect(hit).center());
        QCOMPARE(m_window->currentConversation(), zoo);
        QCOMPARE(messageModel()->rowCount(), 2);
        QCOMPARE(messageView()->currentIndex().row(), 0);

        // No hits: a designed state that says so.
        sidebar->searchEdit()->setFocus();
        sidebar->searchEdit()->selectAll();
        QTest::keyClicks(sidebar->searchEdit(), QStringLiteral("zebraquux"));
        QTRY_VERIFY(sidebar->emptyStateLabel()->isVisible());
        QVERIFY2(sidebar->emptyStateLabel()->text().contains(
                     QStringLiteral("No matches for “zebraquux”")),
                 qPrintable(sidebar->emptyStateLabel()->text()));
        // Escape clears the search and the list comes back.
        QTest::keyClick(sidebar->searchEdit(), Qt::Key_Escape);
        QTRY_COMPARE(list->rowCount(), 2);
        QVERIFY(!sidebar->emptyStateLabel()->isVisible());
    }

    void renameWithF2AndUndoableDelete()
    {
        setUp();
        const qint64 a = seedConversation(QStringLiteral("Alpha"),
                                          {message(MessageRole::User, QStringLiteral("a"))});
        const qint64 b = seedConversation(QStringLiteral("Beta"),
                                          {message(MessageRole::User, QStringLiteral("b"))});
        showWindow();
        ConversationSidebar *sidebar = this->sidebar();
        QListView *list = sidebar->listView();
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                          list->visualRect(list->model()->index(0, 0)).center());
        QCOMPARE(m_window->currentConversation(), b);

        // F2 renames in place.
        list->setFocus();
        QTest::keyClick(list, Qt::Key_F2);
        auto *editor = qobject_cast<QLineEdit *>(QApplication::focusWidget());
        QVERIFY(editor);
        editor->selectAll();
        QTest::keyClicks(editor, QStringLiteral("Beta renamed"));
        QTest::keyClick(editor, Qt::Key_Return);
        QTRY_COMPARE(m_store->conversation(b)->title, QStringLiteral("Beta renamed")); // queued
        QTRY_COMPARE(list->model()->index(0, 0).data().toString(), QStringLiteral("Beta renamed"));

        // Delete hides it at once, leaves the open conversation and offers Undo.
        list->setFocus();
        list->setCurrentIndex(list->model()->index(0, 0));
        QTest::keyClick(list, Qt::Key_Delete);
        QCOMPARE(list->model()->rowCount(), 1);
        QVERIFY(sidebar->undoBar()->isVisible());
        QCOMPARE(m_window->currentConversation(), 0);
        QCOMPARE(messageModel()->rowCount(), 0);
        QVERIFY(m_store->conversation(b)); // not gone yet
        QTest::mouseClick(sidebar->findChild<QPushButton *>(QStringLiteral("undoDeletePushButton")),
                          Qt::LeftButton);
        QCOMPARE(list->model()->rowCount(), 2);
        QVERIFY(!sidebar->undoBar()->isVisible());
        QVERIFY(m_store->conversation(b));

        // Without Undo it is deleted when the bar times out.
        sidebar->setUndoTimeout(50);
        sidebar->deleteConversation(a);
        QTRY_VERIFY(!m_store->conversation(a));
        QVERIFY(!sidebar->undoBar()->isVisible());
        // And a deletion still pending when the window closes is carried out.
        sidebar->setUndoTimeout(60000);
        sidebar->deleteConversation(b);
        QVERIFY(m_store->conversation(b));
        m_window->close();
        QVERIFY(!m_store->conversation(b));
        QCOMPARE(m_store->conversations().size(), 0);
    }

    void notLoggedInSaysHowToLogIn_data()
    {
        QTest::addColumn<bool>("nullClient");
        QTest::newRow("no client") << true;
        QTest::newRow("client without credential") << false;
    }
    void notLoggedInSaysHowToLogIn()
    {
        QFETCH(bool, nullClient);
        Setup s;
        s.environmentKey = false;
        s.nullClient = nullClient;
        setUp(s);
        showWindow();
        ErrorBanner *banner = accountBanner();
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(QStringLiteral("not logged in")),
                 qPrintable(banner->text()));
        QCOMPARE(banner->actionButton()->text(), QStringLiteral("Log In"));
        QVERIFY(messageView()->emptyStateLabel()->text().contains(
            QStringLiteral("Log in to start chatting")));
        QCOMPARE(statusLine()->credentialText().contains(QStringLiteral("Not logged in")), true);
        // Typing works, but nothing is sent without a credential.
        send(QStringLiteral("Hello"));
        QCOMPARE(messageModel()->rowCount(), 0);
        QCOMPARE(composer()->text(), QStringLiteral("Hello"));
        QVERIFY(!composerPanel()->sendButton()->isEnabled());
        QSignalSpy login(m_window.get(), &ChatWindow::loginRequested);
        QTest::mouseClick(banner->actionButton(), Qt::LeftButton);
        QCOMPARE(login.size(), 1);
        QCOMPARE(messageRequests(), 0);
    }

    void lockedKeychainOffersRetry()
    {
        Setup s;
        s.environmentKey = false;
        s.keychain = KeychainState::Locked;
        setUp(s);
        m_onReload = [this] {
            // The user unlocked the keychain: the reload finds the stored key.
            m_services.keychainSnapshot.state = KeychainState::Available;
            m_services.keychainSnapshot.apiKey = m_key;
            m_services.resolution = AuthResolver::resolve(*m_context, m_services.keychainSnapshot);
            m_services.client = makeClient();
        };
        showWindow();
        ErrorBanner *banner = accountBanner();
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(QStringLiteral("keychain is locked")),
                 qPrintable(banner->text()));
        QVERIFY(banner->text().contains(QStringLiteral("not logged out")));
        QCOMPARE(banner->actionButton()->text(), QStringLiteral("Retry"));
        QVERIFY(messageView()->emptyStateLabel()->text().contains(QStringLiteral("locked")));
        QTest::mouseClick(banner->actionButton(), Qt::LeftButton);
        QCOMPARE(m_reloads, 1);
        QVERIFY(!banner->isVisible());
        QVERIFY(statusLine()->credentialText().contains(QStringLiteral("API key from keychain")));
        // The new client is used.
        m_server->enqueue(FakeResponse::text(QStringLiteral("Unlocked.")));
        send(QStringLiteral("Hi again"));
        QVERIFY(waitTurn());
        QCOMPARE(rowText(1), QStringLiteral("Unlocked."));
    }

    void statusLineSaysWhenTheEnvironmentShadowsTheStoredKey()
    {
        Setup s;
        s.storedKey = test::testSecret(QStringLiteral("stored"));
        setUp(s);
        showWindow();
        const QString shadow = statusLine()->shadowText();
        QVERIFY2(shadow.contains(QStringLiteral("overrides the API key stored in your keychain")),
                 qPrintable(shadow));
        QVERIFY(statusLine()->credentialText().contains(QStringLiteral("ANTHROPIC_API_KEY")));
    }

    void modelPickerListsModels()
    {
        setUp();
        m_server->setModels({QJsonObject{{"type", "model"},
                                         {"id", "claude-opus-4-1"},
                                         {"display_name", "Claude Opus 4.1"},
                                         {"created_at", "2025-08-05T00:00:00Z"}},
                             QJsonObject{{"type", "model"},
                                         {"id", "claude-sonnet-4-5"},
                                         {"display_name", "Claude Sonnet 4.5"},
                                         {"created_at", "2025-09-29T00:00:00Z"}}});
        showWindow();
        QComboBox *models = composerPanel()->modelComboBox();
        QTRY_COMPARE(models->count(), 2);
        QCOMPARE(models->currentData().toString(), QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(models->itemText(0), QStringLiteral("Claude Opus 4.1"));
        // Picking one is used for the next message.
        models->setCurrentIndex(0);
        emit models->activated(0);
        m_server->enqueue(FakeResponse::text(QStringLiteral("ok")));
        send(QStringLiteral("Which model?"));
        QVERIFY(waitTurn());
        QCOMPARE(m_server->lastRequest().json.value(QStringLiteral("model")).toString(),
                 QStringLiteral("claude-opus-4-1"));
    }

    // The window says once that its message view has painted (--exit-after-first-paint waits
    // for that), and asks for the model list after it; told not to, it waits for a reload.
    void reportsTheFirstPaintOnceAndThenLoadsModels()
    {
        setUp();
        m_window = std::make_unique<ChatWindow>(m_services);
        QSignalSpy painted(m_window.get(), &ChatWindow::firstPainted);
        m_window->resize(1100, 760);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QTRY_COMPARE(painted.count(), 1);
        QTRY_VERIFY(modelRequests() > 0);
        messageView()->viewport()->repaint();
        QTest::qWait(50);
        QCOMPARE(painted.count(), 1);
    }

    void leavesTheModelListUntilAReloadWhenAsked()
    {
        setUp();
        m_window = std::make_unique<ChatWindow>(m_services);
        m_window->setLoadModelsAfterFirstPaint(false);
        QSignalSpy painted(m_window.get(), &ChatWindow::firstPainted);
        m_window->resize(1100, 760);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QTRY_COMPARE(painted.count(), 1);
        QTest::qWait(200);
        QCOMPARE(modelRequests(), 0);
        m_window->servicesChanged();
        QTRY_VERIFY(modelRequests() > 0);
    }

    // No list from the provider: the models the app knows, by name (never raw ids only), with
    // a disabled note saying why; the current model stays selected.
    void modelPickerSaysWhenNoModelsCameBack()
    {
        setUp();
        m_server->setModels({});
        showWindow();
        QComboBox *models = composerPanel()->modelComboBox();
        const QString why =
            QStringLiteral("The provider returned no models; these are the models Qlaude knows");
        QTRY_VERIFY(models->findText(why) >= 0);
        auto *items = qobject_cast<QStandardItemModel *>(models->model());
        QVERIFY(!items->item(models->findText(why))->isEnabled());
        QCOMPARE(models->currentData().toString(), QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(models->currentText(), QStringLiteral("Claude Sonnet 4.5"));
        QVERIFY(models->findText(QStringLiteral("Claude Opus 4.6")) >= 0);
        QVERIFY(models->findText(QStringLiteral("Claude Haiku 4.5")) >= 0);
    }

    void systemPromptIsKeptPerConversation()
    {
        setUp();
        showWindow();
        const QString prompt = QStringLiteral("Answer like a pirate.");
        QTimer::singleShot(0, this, [prompt] {
            auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            auto *edit =
                dialog->findChild<QPlainTextEdit *>(QStringLiteral("systemPromptPlainTextEdit"));
            QTest::keyClicks(edit, prompt);
            auto *buttons = dialog->findChild<QDialogButtonBox *>();
            QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);
        });
        QTest::mouseClick(composerPanel()->systemPromptButton(), Qt::LeftButton);
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        QVERIFY(composerPanel()->systemPromptButton()->text().contains(QStringLiteral("on")));
        m_server->enqueue(FakeResponse::text(QStringLiteral("Arr.")));
        send(QStringLiteral("Hello"));
        QVERIFY(waitTurn());
        QCOMPARE(m_server->lastRequest().json.value(QStringLiteral("system")).toString(), prompt);
        const qint64 id = m_window->currentConversation();
        QCOMPARE(m_store->conversation(id)->systemPrompt, prompt);
        // A new chat starts without it; going back brings it back.
        QTest::keyClick(m_window.get(), Qt::Key_N, Qt::ControlModifier);
        QCOMPARE(m_window->currentConversation(), 0);
        QVERIFY(!composerPanel()->systemPromptButton()->text().contains(QStringLiteral("on")));
        m_window->openConversation(id);
        QVERIFY(composerPanel()->systemPromptButton()->text().contains(QStringLiteral("on")));
    }

    void keyboardShortcutsReachTheirTargets()
    {
        setUp();
        const qint64 id = seedConversation(QStringLiteral("Old"),
                                           {message(MessageRole::User, QStringLiteral("x"))});
        showWindow();
        m_window->openConversation(id);
        QCOMPARE(messageModel()->rowCount(), 1);
        QTest::keyClick(m_window.get(), Qt::Key_N, Qt::ControlModifier);
        QCOMPARE(m_window->currentConversation(), 0);
        QCOMPARE(messageModel()->rowCount(), 0);
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget *>(composer()));
        QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget *>(sidebar()->searchEdit()));
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_L, Qt::ControlModifier);
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget *>(composer()));
        // Ctrl+K from inside the composer (where it could mean "delete to end of line").
        QTest::keyClick(composer(), Qt::Key_K, Qt::ControlModifier);
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget *>(sidebar()->searchEdit()));
        QSignalSpy settings(m_window.get(), &ChatWindow::settingsRequested);
        QTest::keyClick(m_window.get(), Qt::Key_Comma, Qt::ControlModifier);
        QCOMPARE(settings.size(), 1);
        // Help > Doctor has no shortcut: Alt+H opens the menu, D picks the item, as a keyboard
        // user reaches it.
        QSignalSpy doctor(m_window.get(), &ChatWindow::doctorRequested);
        QTest::keyClick(m_window.get(), Qt::Key_H, Qt::AltModifier);
        QTRY_VERIFY(QApplication::activePopupWidget());
        auto *help = qobject_cast<QMenu *>(QApplication::activePopupWidget());
        QVERIFY(help);
        QVERIFY(help->actions().contains(
            m_window->findChild<QAction *>(QStringLiteral("doctorAction"))));
        QTest::keyClick(help, Qt::Key_D);
        QTRY_COMPARE(doctor.size(), 1);
        QTRY_VERIFY(!QApplication::activePopupWidget());
    }

    void geometryIsRemembered()
    {
        setUp();
        showWindow();
        m_window->resize(740, 540); // fits the test screen (800 wide): nothing to shrink
        m_window->close();
        m_window.reset();
        showWindow(true);
        QCOMPARE(m_window->size(), QSize(740, 540));
    }

    void everyWidgetIsNamedForTestsAndScreenReaders()
    {
        setUp();
        showWindow();
        const QList<QWidget *> named = {
            composer(),
            composerPanel()->sendButton(),
            composerPanel()->regenerateButton(),
            composerPanel()->modelComboBox(),
            composerPanel()->systemPromptButton(),
            messageView(),
            sidebar()->searchEdit(),
            sidebar()->listView(),
        };
        // "sendPushButton" is a QPushButton, "composerPlainTextEdit" a QPlainTextEdit subclass.
        auto typeName = [](const QMetaObject *mo) {
            QString n = QString::fromLatin1(mo->className()).section(QStringLiteral("::"), -1);
            return n.startsWith(QLatin1Char('Q')) ? n.mid(1) : n;
        };
        for (QWidget *w : named) {
            QVERIFY2(!w->accessibleName().isEmpty(), qPrintable(w->objectName()));
            bool typed = false;
            for (const QMetaObject *mo = w->metaObject(); mo && !typed; mo = mo->superClass())
                typed = w->objectName().endsWith(typeName(mo), Qt::CaseInsensitive);
            QVERIFY2(typed, qPrintable(w->objectName() + QStringLiteral(" is a ") +
                                       QString::fromLatin1(w->metaObject()->className())));
        }
    }

    // Renders the window offscreen, light and dark, with a rich conversation and with the empty
    // state, into <build>/tests/gui/screenshots/ for a person to look at.
    void savesScreenshots()
    {
        setUp();
        StoredMessage thinking;
        thinking.role = MessageRole::Assistant;
        thinking.model = QStringLiteral("claude-sonnet-4-5");
        StoredBlock t;
        t.type = BlockType::Thinking;
        t.text = QStringLiteral("The user wants a list reversed in place. Two indices walking "
                                "towards each other does it without extra memory.");
        StoredBlock answer;
        answer.text = QStringLiteral(
            "Reverse it **in place** with two indices:\n\n```cpp\ntemplate <typename T>\nvoid "
            "reverse(std::vector<T> &v)\n{\n    for (size_t i = 0, j = v.size(); i + 1 < j; "
            "++i, --j)\n        std::swap(v[i], v[j - 1]);\n}\n```\n\nThis is `O(n)` time and "
            "`O(1)` memory. See [std::reverse](https://en.cppreference.com/w/cpp/algorithm/"
            "reverse) for the standard version.\n\n- works for any element type\n- no "
            "allocation");
        StoredBlock tool;
        tool.type = BlockType::ToolUse;
        tool.toolId = QStringLiteral("toolu_01");
        tool.toolName = QStringLiteral("run_tests");
        tool.json = R"({"suite":"vector","filter":"reverse*","repeat":3})";
        thinking.blocks = {t, answer, tool};
        StoredMessage stopped = message(MessageRole::Assistant,
                                        QStringLiteral("Benchmarks on a list of a million "
                                                       "elements show that the swap loop"),
                                        MessageStatus::Stopped);
        StoredMessage failed = message(MessageRole::Assistant, QString(), MessageStatus::Error);
        failed.blocks.clear();
        failed.errorText = QStringLiteral("The API is at capacity (529 overloaded_error). This is "
                                          "usually temporary; try again in a moment.");
        const qint64 id = seedConversation(
            QStringLiteral("Reverse a vector in C++"),
            {message(MessageRole::User, QStringLiteral("How do I reverse a std::vector in place?")),
             thinking, message(MessageRole::User, QStringLiteral("And how fast is it?")), stopped,
             message(MessageRole::User, QStringLiteral("Go on")), failed});
        seedConversation(QStringLiteral("Packing list for Iceland"),
                         {message(MessageRole::User, QStringLiteral("What should I pack?"))});
        seedConversation(QStringLiteral("Sourdough starter schedule"),
                         {message(MessageRole::User, QStringLiteral("How often to feed it?"))});

        const QString dir = QCoreApplication::applicationDirPath() + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        // Each picture must show the window at its size, drawn: not blank, the sidebar (with its
        // conversations) and the composer painted, and, with a conversation open, its messages.
        QImage shot;
        auto save = [&](const QString &name, bool withMessages = true) {
            QCoreApplication::processEvents();
            messageView()->settle();
            QCoreApplication::processEvents();
            shot = m_window->grab().toImage();
            QVERIFY(!shot.isNull());
            QCOMPARE(shot.size(), m_window->size() * m_window->devicePixelRatio());
            const int all = distinctColours(shot, shot.rect());
            QVERIFY2(all > 16,
                     qPrintable(QStringLiteral("%1 is blank: %2 colours").arg(name).arg(all)));
            // A part and the colours it must at least show (drawn text has dozens to hundreds;
            // an empty or unpainted area one or two).
            struct Part
            {
                QString name;
                QWidget *widget;
                int minColours;
            };
            QList<Part> parts = {{QStringLiteral("conversation list"), sidebar(), 40},
                                 {QStringLiteral("composer"), composer(), 12}};
            if (withMessages)
                parts.append({QStringLiteral("messages"), messageView()->viewport(), 80});
            QStringList counts;
            for (const Part &p : parts) {
                const QString &part = p.name;
                QWidget *widget = p.widget;
                QVERIFY2(widget->isVisible(), qPrintable(name + QStringLiteral(": no ") + part));
                const int colours = distinctColours(shot, areaIn(shot, m_window.get(), widget));
                QVERIFY2(colours >= p.minColours,
                         qPrintable(QStringLiteral("%1: the %2 shows %3 colours")
                                        .arg(name, part)
                                        .arg(colours)));
                counts << QStringLiteral("%1 %2").arg(part).arg(colours);
            }
            QVERIFY(shot.save(dir + QLatin1Char('/') + name));
            qInfo("saved %s (colours: all %d, %s)", qPrintable(dir + QLatin1Char('/') + name), all,
                  qPrintable(counts.join(QStringLiteral(", "))));
        };

        m_server->setModels({});
        showWindow();
        m_window->resize(1200, 820);
        save(QStringLiteral("chat-empty.png"), false);
        if (QTest::currentTestFailed())
            return;
        m_window->openConversation(id);
        messageModel()->setThinkingExpanded(1, 0, true);
        messageView()->scrollToTop();
        save(QStringLiteral("chat-light.png"));
        if (QTest::currentTestFailed())
            return;
        const double lightMessages =
            meanLightness(shot, areaIn(shot, m_window.get(), messageView()->viewport()));
        messageView()->scrollToEnd();
        // Hovering the last answer shows its actions.
        MessageView *view = messageView();
        const QModelIndex last = view->model()->index(view->model()->rowCount() - 1, 0);
        QTest::mouseMove(view->viewport(), view->visualRect(last).center());
        save(QStringLiteral("chat-light-end.png"));
        messageModel()->setThinkingExpanded(1, 0, false);

        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2e));
        dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x21));
        dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x2a));
        dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::Button, QColor(0x35, 0x35, 0x39));
        dark.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::Highlight, QColor(0x4a, 0x7d, 0xd6));
        dark.setColor(QPalette::HighlightedText, Qt::white);
        dark.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x8a, 0x90));
        dark.setColor(QPalette::Link, QColor(0x7a, 0xa8, 0xf0));
        const QPalette light = QApplication::palette();
        QApplication::setPalette(dark);
        messageView()->scrollToTop();
        save(QStringLiteral("chat-dark.png"));
        QApplication::setPalette(light);
        if (QTest::currentTestFailed())
            return;
        // The dark palette reached the messages.
        const double darkMessages =
            meanLightness(shot, areaIn(shot, m_window.get(), messageView()->viewport()));
        QVERIFY2(darkMessages + 0.3 < lightMessages,
                 qPrintable(QStringLiteral("messages: lightness %1 in the dark picture, %2 in the "
                                           "light one")
                                .arg(darkMessages)
                                .arg(lightMessages)));

        // An answer streaming in: thinking (collapsed, with its first words), then text.
        MessageModel *model = messageModel();
        model->beginAssistant(999999, QStringLiteral("claude-sonnet-4-5"));
        StoredBlock streamingThought;
        streamingThought.type = BlockType::Thinking;
        model->startBlock(999999, 0, streamingThought);
        model->appendText(999999, 0,
                          QStringLiteral("The user asks for numbers, so a table helps."));
        model->startBlock(999999, 1, StoredBlock());
        model->appendText(999999, 1,
                          QStringLiteral("| size | swap loop | std::reverse |\n|---|---|---|\n| "
                                         "10^6 | 0.4 ms | 0.4 ms |\n\nBoth are memory-bound; "
                                         "the loop"));
        model->flushPending();
        messageView()->scrollToEnd();
        save(QStringLiteral("chat-streaming.png"));

        // Not logged in.
        cleanup();
        Setup s;
        s.environmentKey = false;
        setUp(s);
        showWindow();
        m_window->resize(1200, 820);
        save(QStringLiteral("chat-logged-out.png"), false);
    }

    // A cloud provider's rejected credential has no Claude login to renew: the banner says what
    // to check and opens the provider settings.
    void aCloudProvidersRejectedCredentialPointsToItsSettings()
    {
        Setup setup;
        setup.extraEnv = {{"CLAUDE_CODE_USE_FOUNDRY", "1"},
                          {"ANTHROPIC_FOUNDRY_API_KEY", "wrong-foundry-key-0010"}};
        setUp(setup);
        QCOMPARE(m_services.resolution.provider, Provider::Foundry);
        showWindow();
        QSignalSpy login(m_window.get(), &ChatWindow::loginRequested);
        QSignalSpy settings(m_window.get(), &ChatWindow::settingsRequested);
        send(QStringLiteral("Hi"));
        QVERIFY(waitTurn());
        ErrorBanner *banner = errorBanner();
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(QStringLiteral("Check your Azure credentials")),
                 qPrintable(banner->text()));
        QCOMPARE(banner->actionButton()->text(), QStringLiteral("Open Provider Settings"));
        QTest::mouseClick(banner->actionButton(), Qt::LeftButton);
        QCOMPARE(settings.size(), 1);
        QCOMPARE(login.size(), 0);
    }

    // A provider without a model list: the picker offers the configured model and the
    // provider's catalogue, and asks nothing of the network.
    void modelPickerWithoutAModelListOffersTheCatalogue()
    {
        Setup setup;
        setup.extraEnv = {{"CLAUDE_CODE_USE_VERTEX", "1"}, {"CLAUDE_CODE_SKIP_VERTEX_AUTH", "1"}};
        setup.factoryClient = true;
        setUp(setup);
        QVERIFY(!m_services.client->capabilities().listModels);
        showWindow();
        QComboBox *models = composerPanel()->modelComboBox();
        QTRY_COMPARE(models->count(), 3);
        QCOMPARE(models->currentData().toString(), QStringLiteral("claude-sonnet-4-5@20250929"));
        QVERIFY(models->findData(QStringLiteral("claude-opus-4-6")) >= 0);
        QVERIFY(models->findData(QStringLiteral("claude-haiku-4-5@20251001")) >= 0);
        QCOMPARE(m_server->requests().size(), 0);
    }

    // A credential helper that talks to the person (awsAuthRefresh's device code) is shown.
    void credentialHelperOutputIsShown()
    {
        setUp();
        showWindow();
        emit m_services.client->credentialProgress(
            QStringLiteral("Then enter the code: WDDD-HRQV"));
        ErrorBanner *banner = errorBanner();
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(QStringLiteral("WDDD-HRQV")), qPrintable(banner->text()));
    }
};

QTEST_MAIN(tst_ChatWindow)
#include "tst_ChatWindow.moc"
