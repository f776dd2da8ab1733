#include "LoginDialog.h"

#include "AnthropicClient.h"
#include "Authorizer.h"
#include "ConnectionTest.h"
#include "DialogSupport.h"
#include "KeychainStore.h"

#include <QButtonGroup>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMetaMethod>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QStyle>
#include <QVBoxLayout>

namespace qlaude {

LoginDialog::LoginDialog(AppServices &services, QWidget *parent)
    : QDialog(parent), m_services(services)
{
    setObjectName(QStringLiteral("loginDialog"));
    setWindowTitle(tr("Log in to Claude"));
    setAccessibleName(tr("Log in"));
    buildUi();
    refreshExistingCredential();
    updateChoice();
    m_apiKeyEdit->setFocus(Qt::OtherFocusReason);
    setMinimumWidth(520);
    resize(580, layout()->minimumSize().height());
    m_keychainTimer.setInterval(250);
    connect(&m_keychainTimer, &QTimer::timeout, this, &LoginDialog::updateKeychainWait);
    fitToAvailableScreen(this);
    fitHeight();
    fitHeight();
}

LoginDialog::~LoginDialog()
{
    // The test (a child) aborts its request when it is deleted; nobody here listens any more.
    if (m_test)
        m_test->disconnect(this);
    clearPending();
}

void LoginDialog::buildUi()
{
    auto *layout = new QVBoxLayout(this);

    auto *title = new QLabel(tr("Connect Qlaude to Claude"), this);
    setNames(title, QStringLiteral("titleLabel"), tr("Title"));
    QFont titleFont = title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    title->setFont(titleFont);
    layout->addWidget(title);
    QLabel *intro = makeHintLabel(tr("Qlaude checks the key with one small request, then keeps "
                                     "it in your system keychain, never in a file."),
                                  this);
    setNames(intro, QStringLiteral("introLabel"), tr("Introduction"));
    layout->addWidget(intro);

    m_existingLabel = makeMessageLabel(QStringLiteral("existingCredentialLabel"),
                                       tr("Credential already provided"), this);
    m_existingLabel->setFrameShape(QFrame::StyledPanel);
    m_existingLabel->setMargin(6);
    m_existingLabel->setAutoFillBackground(true);
    m_existingLabel->setBackgroundRole(QPalette::AlternateBase);
    layout->addWidget(m_existingLabel);

    // The Claude.ai subscription login plugs in here (see addSubscriptionOption).
    m_subscriptionBox = new QWidget(this);
    m_subscriptionBox->setObjectName(QStringLiteral("subscriptionWidget"));
    m_subscriptionLayout = new QVBoxLayout(m_subscriptionBox);
    m_subscriptionLayout->setContentsMargins(0, 0, 0, 0);
    m_subscriptionBox->hide();
    layout->addWidget(m_subscriptionBox);

    layout->addSpacing(6);
    auto *group = new QButtonGroup(this);
    m_apiKeyRadio = new QRadioButton(tr("&API key"), this);
    setNames(m_apiKeyRadio, QStringLiteral("apiKeyRadioButton"), tr("API key"));
    m_apiKeyRadio->setChecked(true);
    group->addButton(m_apiKeyRadio);
    layout->addWidget(m_apiKeyRadio);

    auto *keyBox = new QVBoxLayout;
    keyBox->setContentsMargins(24, 0, 0, 0);
    m_apiKeyEdit = new QLineEdit(this);
    setNames(m_apiKeyEdit, QStringLiteral("apiKeyLineEdit"), tr("API key"));
    m_apiKeyEdit->setPlaceholderText(tr("sk-ant-api03-…"));
    addRevealAction(m_apiKeyEdit);
    keyBox->addWidget(m_apiKeyEdit);
    QLabel *keyHelp = makeHintLabel(
        tr("Create a key in the Claude Console under API keys. Qlaude sends it as x-api-key."),
        this);
    setNames(keyHelp, QStringLiteral("apiKeyHelpLabel"), tr("About API keys"));
    keyBox->addWidget(keyHelp);
    layout->addLayout(keyBox);

    m_bearerRadio = new QRadioButton(tr("&Bearer token (for an LLM gateway)"), this);
    setNames(m_bearerRadio, QStringLiteral("bearerTokenRadioButton"), tr("Bearer token"));
    group->addButton(m_bearerRadio);
    layout->addWidget(m_bearerRadio);
    auto *tokenBox = new QVBoxLayout;
    tokenBox->setContentsMargins(24, 0, 0, 0);
    m_bearerEdit = new QLineEdit(this);
    setNames(m_bearerEdit, QStringLiteral("bearerTokenLineEdit"), tr("Bearer token"));
    addRevealAction(m_bearerEdit);
    tokenBox->addWidget(m_bearerEdit);
    QLabel *tokenHelp = makeHintLabel(tr("For a gateway or proxy that expects "
                                         "\"Authorization: Bearer\", like ANTHROPIC_AUTH_TOKEN."),
                                      this);
    setNames(tokenHelp, QStringLiteral("bearerTokenHelpLabel"), tr("About bearer tokens"));
    tokenBox->addWidget(tokenHelp);
    layout->addLayout(tokenBox);
    connect(m_apiKeyRadio, &QRadioButton::toggled, this, &LoginDialog::updateChoice);
    // Choosing an option puts the cursor in its field, ready for a paste.
    for (QRadioButton *radio : {m_apiKeyRadio, m_bearerRadio})
        connect(radio, &QRadioButton::clicked, this,
                [this] { currentLineEdit()->setFocus(Qt::OtherFocusReason); });

    layout->addSpacing(6);
    m_targetLabel = makeHintLabel(QString(), this);
    setNames(m_targetLabel, QStringLiteral("testTargetLabel"), tr("Test target"));
    layout->addWidget(m_targetLabel);

    auto *statusRow = new QHBoxLayout;
    m_statusIcon = new QLabel(this);
    m_statusIcon->setObjectName(QStringLiteral("statusIconLabel"));
    m_statusIcon->hide();
    statusRow->addWidget(m_statusIcon, 0, Qt::AlignTop);
    m_progress = new QProgressBar(this);
    setNames(m_progress, QStringLiteral("testProgressBar"), tr("Testing"));
    m_progress->setRange(0, 0);
    m_progress->setTextVisible(false);
    m_progress->setMaximumWidth(80);
    m_progress->hide();
    statusRow->addWidget(m_progress, 0, Qt::AlignTop);
    m_statusLabel = makeMessageLabel(QStringLiteral("statusLabel"), tr("Status"), this);
    statusRow->addWidget(m_statusLabel, 1);
    layout->addLayout(statusRow);
    layout->addStretch(1);
    layout->addSpacing(8);

    auto *buttons = new QDialogButtonBox(this);
    buttons->setObjectName(QStringLiteral("loginDialogButtonBox"));
    m_cloudButton = buttons->addButton(tr("Use a &cloud provider…"), QDialogButtonBox::ResetRole);
    setNames(m_cloudButton, QStringLiteral("cloudProviderPushButton"), tr("Use a cloud provider"));
    m_cloudButton->setToolTip(tr("Use Claude through AWS Bedrock, Google Vertex AI or Azure "
                                 "Foundry instead"));
    m_cancelButton = buttons->addButton(QDialogButtonBox::Cancel);
    setNames(m_cancelButton, QStringLiteral("cancelPushButton"), tr("Cancel"));
    m_testAndSaveButton = buttons->addButton(tr("&Test and save"), QDialogButtonBox::ActionRole);
    setNames(m_testAndSaveButton, QStringLiteral("testAndSavePushButton"), tr("Test and save"));
    m_testAndSaveButton->setDefault(true);
    m_cloudButton->setAutoDefault(false);
    m_cancelButton->setAutoDefault(false);
    connect(m_testAndSaveButton, &QPushButton::clicked, this, &LoginDialog::testAndSave);
    connect(m_cancelButton, &QPushButton::clicked, this, &LoginDialog::reject);
    connect(m_cloudButton, &QPushButton::clicked, this, [this] {
        emit providerSettingsRequested();
        QDialog::reject();
    });
    layout->addWidget(buttons);

    setTabOrder(m_apiKeyRadio, m_apiKeyEdit);
    setTabOrder(m_apiKeyEdit, m_bearerRadio);
    setTabOrder(m_bearerRadio, m_bearerEdit);
    setTabOrder(m_bearerEdit, m_testAndSaveButton);
    setTabOrder(m_testAndSaveButton, m_cancelButton);
    setTabOrder(m_cancelButton, m_cloudButton);
}

void LoginDialog::addSubscriptionOption(QWidget *widget)
{
    widget->setParent(m_subscriptionBox);
    m_subscriptionLayout->addWidget(widget);
    m_subscriptionBox->show();
    setTabOrder(widget, m_apiKeyRadio);
    fitHeight();
}

LoginDialog::Choice LoginDialog::choice() const
{
    return m_bearerRadio->isChecked() ? Choice::BearerToken : Choice::ApiKey;
}

QLineEdit *LoginDialog::currentLineEdit() const
{
    return choice() == Choice::ApiKey ? m_apiKeyEdit : m_bearerEdit;
}

QString LoginDialog::keychainKey() const
{
    return QLatin1String(choice() == Choice::ApiKey ? KeychainStore::kApiKey : kBearerTokenKey);
}

void LoginDialog::updateChoice()
{
    const bool key = choice() == Choice::ApiKey;
    m_apiKeyEdit->setEnabled(key && !isBusy());
    m_bearerEdit->setEnabled(!key && !isBusy());
}

void LoginDialog::refreshExistingCredential()
{
    const QString text = existingCredentialText();
    m_existingLabel->setText(text);
    m_existingLabel->setVisible(!text.isEmpty());
    const ClientConfig config =
        m_services.context ? ClientConfig::fromContext(*m_services.context) : ClientConfig();
    m_targetLabel->setText(tr("Test and save sends one request for the model list to %1.")
                               .arg(config.baseUrl.toString(QUrl::RemoveUserInfo)));
}

QString LoginDialog::existingCredentialText() const
{
    const AuthContext *ctx = m_services.context;
    if (!ctx)
        return QString();
    auto where = [ctx](const QString &name) {
        const QString source = ctx->envSource(name);
        return source == QLatin1String("environment") ? tr("the environment") : source;
    };
    // Sources the resolver skips here (a managed session, --bare) provide nothing.
    QStringList skipped;
    for (const SourceVerdict &v : m_services.resolution.considered) {
        if (v.status == SourceVerdict::Status::Skipped)
            skipped << v.source;
    }
    QStringList found;
    for (const char *name :
         {"ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"}) {
        const QString n = QLatin1String(name);
        if (!ctx->env(n).isEmpty() && !skipped.contains(QStringLiteral("env:") + n))
            found << tr("%1 from %2").arg(n, where(n));
    }
    if (!ctx->apiKeyHelper().isEmpty() && !skipped.contains(QStringLiteral("apiKeyHelper")))
        found << tr("the apiKeyHelper command from %1").arg(ctx->apiKeyHelperSource());
    if (found.isEmpty())
        return QString();
    const Credential &used = m_services.resolution.credential;
    const bool fromOutside = used.isValid() && !used.source.startsWith(QLatin1String("keychain:"));
    QString text = tr("A credential is already provided by %1.").arg(found.join(tr("; ")));
    if (fromOutside)
        text += QLatin1Char(' ') + tr("It takes priority over a key saved here; remove it there "
                                      "to use the saved key.");
    return text;
}

bool LoginDialog::isBusy() const
{
    return (m_test && m_test->isRunning()) || m_saving;
}

QString LoginDialog::statusText() const
{
    return m_statusLabel->text();
}

void LoginDialog::setBusy(bool busy)
{
    m_apiKeyRadio->setEnabled(!busy);
    m_bearerRadio->setEnabled(!busy);
    m_testAndSaveButton->setEnabled(!busy);
    m_cloudButton->setEnabled(!busy);
    // A running test can be cancelled. A keychain write cannot be stopped (its job is never
    // deleted), but once it is slow the dialog can stop waiting for it.
    m_cancelButton->setEnabled(!m_saving || m_keychainSlow);
    m_progress->setVisible(busy);
    if (busy)
        m_statusIcon->hide();
    updateChoice();
    if (!busy)
        currentLineEdit()->setFocus(Qt::OtherFocusReason);
}

void LoginDialog::showStatus(Tone tone, const QString &text)
{
    m_statusLabel->setText(text);
    QStyle::StandardPixmap icon = QStyle::SP_MessageBoxInformation;
    if (tone == Tone::Error)
        icon = QStyle::SP_MessageBoxWarning;
    else if (tone == Tone::Success)
        icon = QStyle::SP_DialogApplyButton;
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_statusIcon->setPixmap(style()->standardIcon(icon, nullptr, this).pixmap(size, size));
    m_statusIcon->setVisible(!text.isEmpty() && !m_progress->isVisible());
    fitHeight();
}

void LoginDialog::fitHeight()
{
    // A long message (an API error) needs more lines than the dialog had; grow, never shrink.
    const int needed = layout()->totalHeightForWidth(width());
    if (needed > height())
        resize(width(), needed);
}

void LoginDialog::testAndSave()
{
    if (isBusy())
        return;
    QLineEdit *edit = currentLineEdit();
    const QString secret = edit->text().trimmed();
    const bool key = choice() == Choice::ApiKey;
    if (secret.isEmpty()) {
        showStatus(Tone::Error, key ? tr("Paste your API key into the field, then press Test "
                                         "and save.")
                                    : tr("Paste your bearer token into the field, then press "
                                         "Test and save."));
        edit->setFocus(Qt::OtherFocusReason);
        return;
    }
    if (!isPlainToken(secret)) {
        showStatus(Tone::Error, tr("The text contains spaces, line breaks or other characters a "
                                   "key never has. Copy it again and paste it here."));
        edit->setFocus(Qt::OtherFocusReason);
        return;
    }
    if (!m_services.keychain) {
        showStatus(Tone::Error, tr("Qlaude has no keychain to save the key in. Start a Secret "
                                   "Service such as gnome-keyring or KWallet, then restart "
                                   "Qlaude."));
        return;
    }

    m_pending = Credential();
    m_pending.kind = key ? CredentialKind::ApiKey : CredentialKind::Bearer;
    m_pending.source = QStringLiteral("login-dialog");
    (key ? m_pending.apiKey : m_pending.bearerToken) = secret;

    const ClientConfig config =
        m_services.context ? ClientConfig::fromContext(*m_services.context) : ClientConfig();
    m_test = new ConnectionTest(config, std::make_unique<StaticAuthorizer>(m_pending),
                                m_services.network, this);
    connect(m_test, &ConnectionTest::finished, this, &LoginDialog::onTestFinished);
    m_test->start();
    setBusy(true);
    showStatus(Tone::Info, tr("Testing the %1 against %2…")
                               .arg(key ? tr("key") : tr("token"),
                                    config.baseUrl.toString(QUrl::RemoveUserInfo)));
}

void LoginDialog::onTestFinished(int modelCount, const ApiError &result)
{
    if (m_test)
        m_test->deleteLater();
    ApiError error = result;
    error.scrub({m_pending.apiKey, m_pending.bearerToken});
    if (error.kind == ApiError::Kind::Cancelled) {
        clearPending();
        setBusy(false);
        showStatus(Tone::Info, tr("The test was cancelled. Nothing was saved."));
        return;
    }
    if (error.isError()) {
        const bool key = m_pending.kind == CredentialKind::ApiKey;
        if (error.httpStatus == 401)
            error.hint = key ? tr("Check that you copied the whole key from the Claude Console, "
                                  "paste it again and press Test and save.")
                             : tr("Check the token with your gateway's administrator, paste it "
                                  "again and press Test and save.");
        clearPending();
        setBusy(false);
        showStatus(Tone::Error, tr("The test failed, so nothing was saved.") + QLatin1Char('\n') +
                                    error.userMessage());
        return;
    }
    m_saving = true;
    setBusy(true);
    showStatus(Tone::Info, tr("It works (%n model(s) available). Saving it in the keychain…",
                              nullptr, modelCount));
    const QString secret =
        m_pending.kind == CredentialKind::ApiKey ? m_pending.apiKey : m_pending.bearerToken;
    const quint64 id = ++m_saveId;
    m_keychainSlow = false;
    m_keychainClock.start();
    m_keychainTimer.start();
    QPointer<LoginDialog> self(this);
    m_services.keychain->write(keychainKey(), secret, [self, id](const KeychainResult &r) {
        // A save the dialog stopped waiting for answers into the void.
        if (self && self->m_saving && self->m_saveId == id)
            self->onSaved(r);
    });
}

void LoginDialog::updateKeychainWait()
{
    if (!m_saving) {
        m_keychainTimer.stop();
        return;
    }
    const qint64 waited = m_keychainClock.elapsed();
    if (waited < kKeychainSlowMs)
        return;
    const bool first = !m_keychainSlow;
    m_keychainSlow = true;
    m_cancelButton->setEnabled(true);
    const QString text =
        tr("The keychain has not answered for %1 s. If your system is asking for the keyring "
           "password, unlock it there; or press Cancel to stop waiting.")
            .arg(waited / 1000);
    if (text != m_statusLabel->text())
        showStatus(Tone::Info, text);
    if (first)
        m_cancelButton->setFocus(Qt::OtherFocusReason);
}

void LoginDialog::stopWaitingForKeychain()
{
    // The job goes on in the keychain; its answer, when it comes, is ignored (m_saveId).
    ++m_saveId;
    m_keychainTimer.stop();
    m_keychainSlow = false;
    m_saving = false;
    clearPending();
    setBusy(false);
    showStatus(Tone::Error,
               tr("Stopped waiting for the keychain, so Qlaude does not use the key. If the "
                  "keychain finishes later, the key may still be stored there. Unlock the "
                  "keyring, then press Test and save to try again."));
}

void LoginDialog::onSaved(const KeychainResult &result)
{
    m_keychainTimer.stop();
    m_keychainSlow = false;
    if (result.ok()) {
        clearPending();
        currentLineEdit()->clear();
        emit credentialSaved(keychainKey());
        showStatus(Tone::Success, tr("Saved in the keychain. Loading…"));
        if (!m_services.reload) {
            finishAfterReload();
            return;
        }
        QPointer<LoginDialog> self(this);
        m_services.reload([self] {
            if (self)
                self->finishAfterReload();
        });
        return;
    }
    m_saving = false;
    if (result.status == KeychainResult::Status::Unavailable &&
        isSignalConnected(QMetaMethod::fromSignal(&LoginDialog::sessionCredentialProvided))) {
        const Credential credential = m_pending;
        clearPending();
        currentLineEdit()->clear();
        setBusy(false);
        emit sessionCredentialProvided(credential);
        accept();
        return;
    }
    clearPending();
    setBusy(false);
    switch (result.status) {
    case KeychainResult::Status::Locked:
        showStatus(Tone::Error,
                   tr("The keychain is locked. Unlock it and press Test and save again."));
        break;
    case KeychainResult::Status::Unavailable:
        showStatus(Tone::Error, tr("The key works, but no keychain is available to keep it, so "
                                   "it was not saved. Start a Secret Service such as "
                                   "gnome-keyring or KWallet, then press Test and save again."));
        break;
    default:
        showStatus(Tone::Error, tr("The key works, but the keychain did not save it: %1 Press "
                                   "Test and save to try again.")
                                    .arg(result.message));
        break;
    }
}

void LoginDialog::finishAfterReload()
{
    m_saving = false;
    setBusy(false);
    accept();
}

void LoginDialog::clearPending()
{
    m_pending.apiKey.fill(QLatin1Char('\0'));
    m_pending.bearerToken.fill(QLatin1Char('\0'));
    m_pending = Credential();
}

void LoginDialog::reject()
{
    if (m_saving) {
        // A slow keychain: stop waiting. Otherwise the write finishes on its own, then the
        // dialog closes.
        if (m_keychainSlow)
            stopWaitingForKeychain();
        return;
    }
    if (m_test && m_test->isRunning()) {
        m_test->cancel();
        return;
    }
    QDialog::reject();
}

} // namespace qlaude
