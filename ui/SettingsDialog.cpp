#include "SettingsDialog.h"

#include "ModelSelection.h"

#include "ProviderFactory.h"

#include "AppPaths.h"
#include "AuthResolver.h"
#include "AuthorizerFactory.h"
#include "ConnectionTest.h"
#include "ConnectionsPage.h"
#include "DialogSupport.h"
#include "DoctorReport.h"
#include "KeychainStore.h"
#include "NetworkSetup.h"
#include "ProviderCheck.h"
#include "ProviderChoicePage.h"
#include "ProviderSettingsPage.h"
#include "SettingsLayers.h"
#include "SettingsWriter.h"

#include <QDialogButtonBox>
#include <QFile>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <memory>

namespace qlaude {

namespace {
// Reads the file the way SettingsWriter will; a file that does not parse stops the save before
// anything (a secret included) is written.
bool settingsFileReadable(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.exists())
        return true;
    if (!f.open(QIODevice::ReadOnly)) {
        *error = SettingsDialog::tr("%1 cannot be read (%2).").arg(path, f.errorString());
        return false;
    }
    const QByteArray text = f.readAll();
    if (text.trimmed().isEmpty())
        return true;
    SettingsLayers::parseJson(text, path, error);
    return error->isEmpty();
}
} // namespace

SettingsDialog::SettingsDialog(AppServices &services, QWidget *parent)
    : QDialog(parent), m_services(services)
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Provider Settings"));
    setAccessibleName(tr("Provider settings"));
    buildUi();
    reloadPages();
    resize(880, 700);
    fitToAvailableScreen(this);
}

SettingsDialog::~SettingsDialog()
{
    if (m_test) {
        m_test->disconnect(this);
        delete m_test;
    }
}

void SettingsDialog::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    m_banner = makeMessageLabel(QStringLiteral("bannerLabel"), tr("Problem"), this);
    m_banner->setFrameShape(QFrame::StyledPanel);
    m_banner->setMargin(8);
    m_banner->setAutoFillBackground(true);
    m_banner->setBackgroundRole(QPalette::AlternateBase);
    QFont bold = m_banner->font();
    bold.setBold(true);
    m_banner->setFont(bold);
    m_banner->hide();
    layout->addWidget(m_banner);

    auto *body = new QHBoxLayout;
    m_list = new QListWidget(this);
    setNames(m_list, QStringLiteral("pagesListWidget"), tr("Providers"));
    m_stack = new QStackedWidget(this);
    m_stack->setObjectName(QStringLiteral("pagesStackedWidget"));
    m_choice = new ProviderChoicePage(m_services, m_stack);
    addPage(Page::Provider, m_choice, tr("Provider"));
    connect(m_choice, &ProviderChoicePage::pageRequested, this,
            [this](Provider p) { showPage(Page(int(Page::Anthropic) + int(p))); });
    connect(m_choice, &ProviderChoicePage::edited, this, [this] {
        if (!m_busy)
            showStatus(QString());
    });
    for (const ProviderPageSpec &spec : providerPageSpecs()) {
        auto *page = new ProviderSettingsPage(spec, m_services, m_stack);
        m_pages.append(page);
        addPage(spec.network ? Page::Network : Page(int(Page::Anthropic) + int(spec.provider)),
                page, page->title());
        connect(page, &ProviderSettingsPage::testRequested, this, [this, page] { runTest(page); });
        connect(page, &ProviderSettingsPage::textEdited, this,
                [this, page](const QString &variable, const QString &text) {
                    for (ProviderSettingsPage *other : qAsConst(m_pages))
                        if (other != page)
                            other->mirrorText(variable, text);
                });
        connect(page, &ProviderSettingsPage::edited, this, [this] {
            if (!m_busy)
                showStatus(QString());
        });
    }
    m_connections = new ConnectionsPage(m_services, m_stack);
    addPage(Page::Connections, m_connections, tr("Connections"));
    int listWidth = 0;
    for (int i = 0; i < m_list->count(); ++i)
        listWidth =
            qMax(listWidth, m_list->fontMetrics().horizontalAdvance(m_list->item(i)->text()));
    m_list->setFixedWidth(listWidth + 48);
    connect(m_list, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);
    // It opens on the choice of provider: the first thing to decide, and what "Use a cloud
    // provider…" in the login dialog comes here for.
    m_list->setCurrentRow(0);
    body->addWidget(m_list);
    body->addWidget(m_stack, 1);
    layout->addLayout(body, 1);
    m_fileLabel = makeHintLabel(QString(), this);
    setNames(m_fileLabel, QStringLiteral("userSettingsFileLabel"), tr("Where settings are saved"));
    m_fileLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_fileLabel);

    auto *bottom = new QHBoxLayout;
    m_statusLabel = makeMessageLabel(QStringLiteral("statusLabel"), tr("Status"), this);
    bottom->addWidget(m_statusLabel, 1);
    auto *buttons = new QDialogButtonBox(this);
    buttons->setObjectName(QStringLiteral("settingsDialogButtonBox"));
    m_saveButton = buttons->addButton(QDialogButtonBox::Save);
    setNames(m_saveButton, QStringLiteral("savePushButton"), tr("Save"));
    m_saveButton->setDefault(true);
    m_closeButton = buttons->addButton(QDialogButtonBox::Close);
    setNames(m_closeButton, QStringLiteral("closePushButton"), tr("Close"));
    m_closeButton->setAutoDefault(false);
    connect(m_saveButton, &QPushButton::clicked, this, &SettingsDialog::save);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    bottom->addWidget(buttons, 0, Qt::AlignBottom);
    layout->addLayout(bottom);
    // The connections page saves each connection with its own button: the dialog's Save and
    // the settings file it writes are for the other pages.
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        const bool connections = row == int(Page::Connections);
        m_saveButton->setVisible(!connections);
        m_fileLabel->setVisible(!connections);
    });
}

void SettingsDialog::addPage(Page page, QWidget *widget, const QString &title)
{
    // Each page scrolls, so the dialog fits a small screen (800 x 600) whole.
    auto *scroll = new QScrollArea(m_stack);
    scroll->setObjectName(QStringLiteral("pageScrollArea"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(widget);
    Q_ASSERT(m_stack->count() == int(page)); // the list's rows follow the enum
    m_stack->addWidget(scroll);
    m_list->addItem(title);
    m_pageWidgets.insert(page, widget);
}

void SettingsDialog::showPage(Page page)
{
    m_list->setCurrentRow(int(page));
}

SettingsDialog::Page SettingsDialog::currentPage() const
{
    return Page(m_list->currentRow());
}

ProviderSettingsPage *SettingsDialog::page(Page page) const
{
    return qobject_cast<ProviderSettingsPage *>(m_pageWidgets.value(page));
}

ProviderSettingsPage *SettingsDialog::pageFor(Provider provider) const
{
    return page(Page(int(Page::Anthropic) + int(provider)));
}

QString SettingsDialog::statusText() const
{
    return m_statusLabel->text();
}

QString SettingsDialog::userSettingsPath() const
{
    if (m_services.context) {
        for (const SettingsFile &f : m_services.context->settings().files()) {
            if (f.scope == SettingsScope::User)
                return f.path;
        }
        return AppPaths::userConfigDir(m_services.context->options().processEnvironment) +
               QStringLiteral("/settings.json");
    }
    return AppPaths::userConfigDir(QProcessEnvironment::systemEnvironment()) +
           QStringLiteral("/settings.json");
}

void SettingsDialog::reloadPages()
{
    m_choice->load();
    for (ProviderSettingsPage *page : qAsConst(m_pages))
        page->load();
    m_fileLabel->setText(tr("Save writes the env block of %1, where Claude Code reads these "
                            "settings too. Secrets go only to the keychain.")
                             .arg(userSettingsPath()));
    m_banner->hide();
    if (!m_services.context)
        return;
    for (const SettingsFile &f : m_services.context->settings().files()) {
        if (f.scope == SettingsScope::User && f.status == SettingsFile::Status::Error)
            showBanner(tr("Your user settings file cannot be read: %1\nQlaude will not change it "
                          "until it reads correctly. Fix it in a text editor, then reopen this "
                          "dialog.")
                           .arg(f.error));
    }
}

void SettingsDialog::showBanner(const QString &text)
{
    m_banner->setText(text);
    m_banner->setVisible(!text.isEmpty());
}

void SettingsDialog::showStatus(const QString &text)
{
    m_statusLabel->setText(text);
}

void SettingsDialog::setBusy(bool busy)
{
    m_busy = busy;
    m_saveButton->setEnabled(!busy);
    m_choice->setEnabled(!busy);
    for (ProviderSettingsPage *page : qAsConst(m_pages))
        page->setEnabled(!busy);
}

bool SettingsDialog::validatePages(bool forTest)
{
    for (int i = 0; i < m_pages.size(); ++i) {
        if (QWidget *invalid = m_pages.at(i)->validate()) {
            showPage(m_pageWidgets.key(m_pages.at(i)));
            invalid->setFocus(Qt::OtherFocusReason);
            showStatus(forTest ? tr("Fix the fields marked on the %1 page; nothing was tested.")
                                     .arg(m_pages.at(i)->title())
                               : tr("Fix the fields marked on the %1 page; nothing was saved.")
                                     .arg(m_pages.at(i)->title()));
            // Mark the other pages' problems too, so the next page shows them at once.
            for (int j = i + 1; j < m_pages.size(); ++j)
                m_pages.at(j)->validate();
            return false;
        }
    }
    return true;
}

void SettingsDialog::save()
{
    if (m_busy)
        return;
    if (!validatePages(false))
        return;
    QMap<QString, QString> changes = m_choice->envChanges();
    QMap<QString, QString> secrets;
    for (ProviderSettingsPage *page : qAsConst(m_pages)) {
        changes.insert(page->envChanges());
        secrets.insert(page->secretChanges());
    }
    if (changes.isEmpty() && secrets.isEmpty()) {
        showStatus(tr("Nothing has changed, so nothing was saved."));
        return;
    }
    const QString path = userSettingsPath();
    QString error;
    if (!settingsFileReadable(path, &error)) {
        showBanner(tr("%1\nNothing was saved, so nothing in the file is lost. Fix it in a text "
                      "editor, then press Save again.")
                       .arg(error));
        showStatus(tr("Nothing was saved."));
        emit saved(false);
        return;
    }
    showBanner(QString());
    setBusy(true);
    showStatus(tr("Saving…"));
    saveSecrets(secrets, changes, QStringList());
}

void SettingsDialog::saveSecrets(QMap<QString, QString> secrets, QMap<QString, QString> changes,
                                 QStringList failures)
{
    if (secrets.isEmpty()) {
        writeFile(changes, failures);
        return;
    }
    const QString key = secrets.firstKey();
    const QString secret = secrets.take(key);
    QString variable;
    bool plaintext = false;
    for (ProviderSettingsPage *page : qAsConst(m_pages)) {
        const QString v = page->variableForKeychainKey(key);
        if (!v.isEmpty()) {
            variable = v;
            plaintext = page->plaintextSecretVariables().contains(v);
        }
    }
    if (!m_services.keychain) {
        failures << tr("%1 was not saved: no keychain is available.").arg(variable);
        saveSecrets(secrets, changes, failures);
        return;
    }
    QPointer<SettingsDialog> self(this);
    // The callback carries what is left to do, but not the secret.
    auto next = [self, secrets, changes, failures, variable,
                 plaintext](const KeychainResult &r) mutable {
        if (!self)
            return;
        if (r.ok()) {
            // Once the keychain has it, the plaintext copy leaves the settings file.
            if (plaintext)
                changes.insert(variable, QString());
        } else if (r.status == KeychainResult::Status::Locked) {
            failures << tr("%1 was not saved: the keychain is locked. Unlock it and press Save "
                           "again.")
                            .arg(variable);
        } else {
            failures << tr("%1 was not saved: %2").arg(variable, r.message);
        }
        self->saveSecrets(secrets, changes, failures);
    };
    m_services.keychain->write(key, secret, next);
}

void SettingsDialog::writeFile(const QMap<QString, QString> &changes, const QStringList &failures)
{
    const QString path = userSettingsPath();
    if (!changes.isEmpty()) {
        QString error;
        if (!SettingsWriter::updateEnv(path, changes, &error)) {
            showBanner(error);
            finishSave(false, failures.isEmpty()
                                  ? tr("The settings file was not changed.")
                                  : failures.join(QLatin1Char('\n')) + QLatin1Char('\n') +
                                        tr("The settings file was not changed."));
            return;
        }
    }
    const QString message = failures.isEmpty() ? (changes.isEmpty() ? tr("Saved in the keychain.")
                                                                    : tr("Saved to %1.").arg(path))
                                               : failures.join(QLatin1Char('\n'));
    if (!m_services.reload) {
        reloadPages();
        finishSave(failures.isEmpty(), message);
        return;
    }
    QPointer<SettingsDialog> self(this);
    const bool ok = failures.isEmpty();
    m_services.reload([self, ok, message] {
        if (!self)
            return;
        self->reloadPages();
        self->finishSave(ok, message);
    });
}

void SettingsDialog::finishSave(bool ok, const QString &message)
{
    setBusy(false);
    showStatus(message);
    emit saved(ok);
}

void SettingsDialog::runTest(ProviderSettingsPage *page)
{
    if (m_busy)
        return;
    if (!validatePages(true))
        return;
    // What is on screen now is what gets tested, even if it changes while the test runs.
    m_testChanges = m_choice->envChanges();
    m_testSecrets.clear();
    for (ProviderSettingsPage *p : qAsConst(m_pages)) {
        m_testChanges.insert(p->envChanges());
        m_testSecrets.insert(p->secretChanges());
    }
    m_testUnsaved = !m_testChanges.isEmpty() || !m_testSecrets.isEmpty();
    setBusy(true);
    page->setEnabled(true);
    page->setTesting(true);
    showStatus(tr("Testing %1…").arg(page->title()));
    QPointer<SettingsDialog> self(this);
    QPointer<ProviderSettingsPage> target(page);
    auto report = [self, target] {
        if (self && target)
            self->reportTest(target);
    };
    if (m_services.reload)
        m_services.reload(report);
    else
        report();
}

void SettingsDialog::reportTest(ProviderSettingsPage *page)
{
    auto done = [this, page](const QString &text) {
        page->setTestResult(text);
        page->setTesting(false);
        setBusy(false);
        showStatus(tr("Tested %1.").arg(page->title()));
    };
    if (!m_services.context) {
        done(tr("No settings are loaded, so nothing can be tested."));
        return;
    }
    // The values on screen over the effective settings: the unsaved ones take the place of the
    // user settings' values, and layers above the user file still win, as they will after Save.
    const auto context =
        std::make_shared<const AuthContext>(m_services.context->withUserEnvChanges(m_testChanges));
    const AuthContext &ctx = *context;
    KeychainSnapshot snapshot = m_services.keychainSnapshot;
    for (const auto &entry : KeychainSnapshot::cloudEntries()) {
        if (m_testSecrets.contains(entry.first))
            snapshot.cloud.insert(entry.first, m_testSecrets.value(entry.first));
    }
    m_testSecrets.clear();
    const Resolution resolution =
        m_testUnsaved ? AuthResolver::resolve(ctx, snapshot) : m_services.resolution;
    const QJsonObject report = DoctorReport::build(ctx, snapshot, resolution);
    QStringList lines;
    if (m_testUnsaved)
        lines << tr("This tests what is shown here, including changes that are not saved yet.");
    if (page->isNetwork()) {
        // What doctor says of the network, and its network problems and warnings.
        lines << DoctorReport::networkText(report).trimmed().split(QLatin1Char('\n'));
        const QJsonObject net = report.value(QStringLiteral("network")).toObject();
        for (const QJsonValue &e : net.value(QStringLiteral("errors")).toArray())
            lines << QStringLiteral("  x ") + e.toString();
        // Its own warnings (the client certificate's expiry, CLAUDE_CODE_CERT_STORE), taken from
        // the set-up rather than picked out of the report's translated sentences.
        const std::shared_ptr<const NetworkSetup> network = NetworkSetup::fromContext(ctx);
        for (const QString &w : network->warnings())
            lines << QStringLiteral("  ! ") + w;
        if (!network->certStoreNote().isEmpty())
            lines << QStringLiteral("  ! ") + network->certStoreNote() + QLatin1Char('.');
        done(lines.join(QLatin1Char('\n')));
        return;
    }
    const Provider selected = ctx.provider();
    lines << ProviderCheck::configurationLines(ctx, page->provider(), snapshot);
    const QStringList selection = ProviderCheck::selectionLines(
        page->provider(), selected, page->title(), pageFor(selected)->title());
    if (!selection.isEmpty()) {
        done((lines + selection).join(QLatin1Char('\n')));
        return;
    }
    // What --doctor says about the selected provider.
    lines << ProviderCheck::doctorLines(report, selected);

    if (!resolution.usable()) {
        QString what;
        switch (selected) {
        case Provider::Anthropic:
            what = tr("Log in first.");
            break;
        case Provider::Bedrock:
            what = tr("Set up AWS credentials (see the lines above).");
            break;
        case Provider::Vertex:
            what = tr("Set up Google credentials (see the lines above).");
            break;
        case Provider::Foundry:
            what = tr("Add an API key or set up Microsoft Entra ID (see the lines above).");
            break;
        }
        lines << tr("No request was sent: there is no usable credential. %1").arg(what);
        done(lines.join(QLatin1Char('\n')));
        return;
    }

    // One tiny real request with the credential and the provider the app would use.
    QString warning;
    std::unique_ptr<Authorizer> authorizer = makeAuthorizer(ctx, resolution, &warning);
    if (!warning.isEmpty())
        lines << QStringLiteral("  ! ") + warning;
    ProviderSetup setup = makeProviderSetup(ctx, resolution, authorizer.get());
    const QString model = ModelSelection::choose(QString(), ctx).model;
    // Where requests go, as doctor decided it.
    const QUrl target(report.value(QStringLiteral("request"))
                          .toObject()
                          .value(QStringLiteral("base_url"))
                          .toString());
    m_test = new ConnectionTest(setup.config, std::move(setup.parts), std::move(authorizer), model,
                                m_services.network, this);
    page->setTestResult(lines.join(QLatin1Char('\n')) + QLatin1Char('\n') +
                        tr("Sending a request to %1…").arg(target.toString(QUrl::RemoveUserInfo)));
    const QString head = lines.join(QLatin1Char('\n'));
    QPointer<ConnectionTest> test(m_test);
    connect(m_test, &ConnectionTest::finished, this,
            [done, head, test, target, model, context](int models, const ApiError &error) {
                Q_UNUSED(context) // kept alive while the request runs
                QString result;
                const QString where = target.toString(QUrl::RemoveUserInfo);
                const qint64 ms = test ? test->elapsedMs() : 0;
                if (error.isError())
                    result = QStringLiteral("  x ") + error.userMessage();
                else if (models < 0)
                    result = tr("Connected: %1 answered a one-token message from %2 in %3 ms.")
                                 .arg(where, model)
                                 .arg(ms);
                else
                    result = tr("Connected: %1 answered in %2 ms and lists %n model(s).", nullptr,
                                models)
                                 .arg(where)
                                 .arg(ms);
                if (test)
                    test->deleteLater();
                done(head + QLatin1Char('\n') + result);
            });
    m_test->start();
}

} // namespace qlaude
