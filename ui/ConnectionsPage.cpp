#include "ConnectionsPage.h"

#include "AppServices.h"
#include "AuthorizerFactory.h"
#include "ConnectionTest.h"
#include "KeychainStore.h"
#include "ModelSelection.h"
#include "ProviderFactory.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <memory>

namespace qlaude {

namespace {
const char *const kProviderIds[] = {"anthropic", "bedrock", "vertex", "foundry"};

QLineEdit *field(const QString &objectName, const QString &placeholder)
{
    auto *e = new QLineEdit;
    e->setObjectName(objectName);
    e->setPlaceholderText(placeholder);
    e->setClearButtonEnabled(true);
    return e;
}

QLineEdit *secretField(const QString &objectName)
{
    QLineEdit *e = field(objectName, QString());
    e->setEchoMode(QLineEdit::Password);
    e->setClearButtonEnabled(false);
    return e;
}

QString envValue(const QJsonObject &settings, const char *name)
{
    return settingsEnvValue(
        settings.value(QStringLiteral("env")).toObject().value(QLatin1String(name)));
}

// The form's env variables, so values the form does not show are kept as they were.
const char *const kFormVars[] = {"ANTHROPIC_BASE_URL",
                                 "AWS_REGION",
                                 "AWS_PROFILE",
                                 "ANTHROPIC_BEDROCK_BASE_URL",
                                 "ANTHROPIC_VERTEX_PROJECT_ID",
                                 "CLOUD_ML_REGION",
                                 "ANTHROPIC_VERTEX_BASE_URL",
                                 "ANTHROPIC_FOUNDRY_RESOURCE",
                                 "ANTHROPIC_FOUNDRY_BASE_URL",
                                 "ANTHROPIC_CUSTOM_HEADERS"};
} // namespace

ConnectionsPage::ConnectionsPage(AppServices &services, QWidget *parent)
    : QWidget(parent), m_services(services), m_keychain(new KeychainStore(this))
{
    setObjectName(QStringLiteral("connectionsPage"));
    if (services.keychain)
        m_keychain->setChunkLimit(services.keychain->chunkLimit());
    buildUi();
    reloadList(m_services.context ? m_services.context->connectionName() : QString());
}

ConnectionsPage::~ConnectionsPage()
{
    if (m_test)
        m_test->cancel();
}

void ConnectionsPage::buildUi()
{
    auto *intro = new QLabel(
        tr("A connection is one account: a provider, its settings and its secrets. Switch "
           "between them in the status line (Ctrl+Shift+A). Settings are saved in %1; secrets "
           "only in the keychain.")
            .arg(store().path()));
    intro->setWordWrap(true);
    intro->setObjectName(QStringLiteral("connectionsIntroLabel"));

    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("connectionsList"));
    m_list->setAccessibleName(tr("Connections"));
    m_list->setMinimumWidth(150);
    m_emptyLabel = new QLabel(tr("No connections yet. Add one for each account you use."));
    m_emptyLabel->setWordWrap(true);
    m_emptyLabel->setForegroundRole(QPalette::PlaceholderText);

    m_addButton = new QPushButton(tr("&Add…"));
    m_addButton->setObjectName(QStringLiteral("addConnectionButton"));
    m_renameButton = new QPushButton(tr("Re&name…"));
    m_renameButton->setObjectName(QStringLiteral("renameConnectionButton"));
    m_duplicateButton = new QPushButton(tr("D&uplicate"));
    m_duplicateButton->setObjectName(QStringLiteral("duplicateConnectionButton"));
    m_removeButton = new QPushButton(tr("&Remove…"));
    m_removeButton->setObjectName(QStringLiteral("removeConnectionButton"));
    auto *listButtons = new QHBoxLayout;
    listButtons->addWidget(m_addButton);
    listButtons->addWidget(m_renameButton);
    auto *listButtons2 = new QHBoxLayout;
    listButtons2->addWidget(m_duplicateButton);
    listButtons2->addWidget(m_removeButton);
    auto *left = new QVBoxLayout;
    left->addWidget(m_list, 1);
    left->addWidget(m_emptyLabel);
    left->addLayout(listButtons);
    left->addLayout(listButtons2);

    m_editor = new QWidget;
    m_nameLabel = new QLabel;
    m_nameLabel->setObjectName(QStringLiteral("connectionNameLabel"));
    QFont bold = m_nameLabel->font();
    bold.setBold(true);
    m_nameLabel->setFont(bold);
    m_provider = new QComboBox;
    m_provider->setObjectName(QStringLiteral("connectionProviderCombo"));
    m_provider->addItems({tr("Anthropic API"), tr("Amazon Bedrock"), tr("Google Vertex AI"),
                          tr("Microsoft Foundry")});

    // One form, so every label lines up; each provider's rows show only when it is chosen.
    auto *form = new QFormLayout;
    m_form = form;
    form->addRow(tr("Name:"), m_nameLabel);
    form->addRow(tr("&Provider:"), m_provider);
    // Anthropic
    m_baseUrl =
        field(QStringLiteral("connectionBaseUrlEdit"), tr("https://api.anthropic.com (default)"));
    m_credentialKind = new QComboBox;
    m_credentialKind->setObjectName(QStringLiteral("connectionCredentialKindCombo"));
    m_credentialKind->addItems({tr("API key"), tr("Gateway token (Authorization: Bearer)")});
    m_anthropicSecret = secretField(QStringLiteral("connectionApiKeyEdit"));
    form->addRow(tr("Base &URL:"), m_baseUrl);
    form->addRow(tr("Credential:"), m_credentialKind);
    form->addRow(tr("&Secret:"), m_anthropicSecret);
    m_providerRows[0] = {m_baseUrl, m_credentialKind, m_anthropicSecret};
    // Bedrock
    m_awsRegion = field(QStringLiteral("connectionAwsRegionEdit"), QStringLiteral("us-east-1"));
    // The AWS profile literally named "default".
    m_awsProfile = field(QStringLiteral("connectionAwsProfileEdit"), QStringLiteral("default"));
    m_bedrockUrl = field(QStringLiteral("connectionBedrockUrlEdit"), tr("(the region's endpoint)"));
    m_bedrockSecret = secretField(QStringLiteral("connectionBedrockKeyEdit"));
    m_bedrockSecret->setPlaceholderText(tr("optional: a Bedrock API key"));
    form->addRow(tr("Re&gion:"), m_awsRegion);
    form->addRow(tr("AWS pro&file:"), m_awsProfile);
    form->addRow(tr("Endpoint:"), m_bedrockUrl);
    form->addRow(tr("API &key:"), m_bedrockSecret);
    m_providerRows[1] = {m_awsRegion, m_awsProfile, m_bedrockUrl, m_bedrockSecret};
    // Vertex
    m_vertexProject = field(QStringLiteral("connectionVertexProjectEdit"), tr("my-project"));
    m_vertexRegion = field(QStringLiteral("connectionVertexRegionEdit"), QStringLiteral("global"));
    m_vertexUrl = field(QStringLiteral("connectionVertexUrlEdit"), tr("(the region's endpoint)"));
    auto *adc = new QLabel(tr("Google credentials come from Application Default Credentials "
                              "(gcloud auth application-default login)."));
    adc->setWordWrap(true);
    adc->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(tr("Project &ID:"), m_vertexProject);
    form->addRow(tr("Re&gion:"), m_vertexRegion);
    form->addRow(tr("Endpoint:"), m_vertexUrl);
    form->addRow(QString(), adc);
    m_providerRows[2] = {m_vertexProject, m_vertexRegion, m_vertexUrl, adc};
    // Foundry
    m_foundryResource = field(QStringLiteral("connectionFoundryResourceEdit"), tr("my-resource"));
    m_foundryUrl =
        field(QStringLiteral("connectionFoundryUrlEdit"), tr("(from the resource name)"));
    m_foundrySecret = secretField(QStringLiteral("connectionFoundryKeyEdit"));
    m_foundrySecret->setPlaceholderText(tr("optional: else Microsoft Entra ID"));
    form->addRow(tr("Resour&ce:"), m_foundryResource);
    form->addRow(tr("Base &URL:"), m_foundryUrl);
    form->addRow(tr("API &key:"), m_foundrySecret);
    m_providerRows[3] = {m_foundryResource, m_foundryUrl, m_foundrySecret};

    m_model = field(QStringLiteral("connectionModelEdit"), tr("(the default model)"));
    m_headers = new QPlainTextEdit;
    m_headers->setObjectName(QStringLiteral("connectionHeadersEdit"));
    m_headers->setPlaceholderText(tr("Name: value, one per line (no credentials)"));
    m_headers->setTabChangesFocus(true);
    m_headers->setMaximumHeight(m_headers->fontMetrics().lineSpacing() * 4 + 12);
    m_stored = new QLabel;
    m_stored->setObjectName(QStringLiteral("connectionStoredLabel"));
    m_stored->setWordWrap(true);
    m_stored->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(tr("&Model:"), m_model);
    form->addRow(tr("Custom &headers:"), m_headers);
    form->addRow(QString(), m_stored);
    providerChanged();

    m_testButton = new QPushButton(tr("&Test"));
    m_testButton->setObjectName(QStringLiteral("testConnectionButton"));
    m_saveButton = new QPushButton(tr("Save Co&nnection"));
    m_saveButton->setObjectName(QStringLiteral("saveConnectionButton"));
    auto *editorButtons = new QHBoxLayout;
    editorButtons->addStretch(1);
    editorButtons->addWidget(m_testButton);
    editorButtons->addWidget(m_saveButton);
    auto *editorLayout = new QVBoxLayout(m_editor);
    editorLayout->setContentsMargins(0, 0, 0, 0);
    editorLayout->addLayout(m_form);
    editorLayout->addLayout(editorButtons);
    editorLayout->addStretch(1);

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("connectionsStatusLabel"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *columns = new QHBoxLayout;
    columns->addLayout(left, 2);
    columns->addWidget(m_editor, 5);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(columns, 1);
    layout->addWidget(m_status);

    connect(m_list, &QListWidget::currentTextChanged, this, &ConnectionsPage::showConnection);
    connect(m_provider, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &ConnectionsPage::providerChanged);
    connect(m_addButton, &QPushButton::clicked, this, [this] { addConnection(); });
    connect(m_renameButton, &QPushButton::clicked, this, [this] { renameConnection(); });
    connect(m_duplicateButton, &QPushButton::clicked, this, &ConnectionsPage::duplicateConnection);
    connect(m_removeButton, &QPushButton::clicked, this, [this] { removeConnection(); });
    connect(m_testButton, &QPushButton::clicked, this, &ConnectionsPage::test);
    connect(m_saveButton, &QPushButton::clicked, this, &ConnectionsPage::save);
}

ConnectionStore ConnectionsPage::store() const
{
    return m_services.context ? m_services.context->connectionStore() : ConnectionStore();
}

void ConnectionsPage::reloadList(const QString &select)
{
    ConnectionStore s = store();
    const bool loaded = s.load();
    QStringList names;
    for (const Connection &c : s.connections())
        names << c.name;
    for (const Connection &c : qAsConst(m_unsaved)) {
        if (!names.contains(c.name))
            names << c.name;
    }
    const QSignalBlocker block(m_list);
    m_list->clear();
    for (const QString &n : qAsConst(names)) {
        auto *item = new QListWidgetItem(n, m_list);
        const Connection *c = s.find(n);
        item->setToolTip(c ? c->accountHint() : tr("Not saved yet"));
    }
    m_emptyLabel->setVisible(names.isEmpty());
    if (!loaded)
        setStatus(s.errorString(), false);
    const int row = names.indexOf(select);
    m_list->setCurrentRow(row >= 0 ? row : (names.isEmpty() ? -1 : 0));
    showConnection(m_list->currentItem() ? m_list->currentItem()->text() : QString());
}

void ConnectionsPage::showConnection(const QString &name)
{
    const bool has = !name.isEmpty();
    m_editor->setEnabled(has && !m_busy);
    for (QPushButton *b : {m_renameButton, m_duplicateButton, m_removeButton})
        b->setEnabled(has && !m_busy);
    Connection c;
    ConnectionStore s = store();
    s.load();
    bool saved = false;
    if (const Connection *found = s.find(name)) {
        c = *found;
        saved = true;
    }
    for (const Connection &u : qAsConst(m_unsaved)) {
        if (u.name == name)
            c = u;
    }
    m_loadedSettings = c.settings;
    m_nameLabel->setText(has ? name : QString());
    {
        const QSignalBlocker block(m_provider);
        int index = 0;
        for (int i = 0; i < 4; ++i) {
            if (c.provider == QLatin1String(kProviderIds[i]))
                index = i;
        }
        m_provider->setCurrentIndex(index);
    }
    providerChanged();
    const QJsonObject &st = c.settings;
    m_baseUrl->setText(envValue(st, "ANTHROPIC_BASE_URL"));
    m_awsRegion->setText(envValue(st, "AWS_REGION"));
    m_awsProfile->setText(envValue(st, "AWS_PROFILE"));
    m_bedrockUrl->setText(envValue(st, "ANTHROPIC_BEDROCK_BASE_URL"));
    m_vertexProject->setText(envValue(st, "ANTHROPIC_VERTEX_PROJECT_ID"));
    m_vertexRegion->setText(envValue(st, "CLOUD_ML_REGION"));
    m_vertexUrl->setText(envValue(st, "ANTHROPIC_VERTEX_BASE_URL"));
    m_foundryResource->setText(envValue(st, "ANTHROPIC_FOUNDRY_RESOURCE"));
    m_foundryUrl->setText(envValue(st, "ANTHROPIC_FOUNDRY_BASE_URL"));
    m_headers->setPlainText(envValue(st, "ANTHROPIC_CUSTOM_HEADERS"));
    m_model->setText(st.value(QStringLiteral("model")).toString());
    for (QLineEdit *e : {m_anthropicSecret, m_bedrockSecret, m_foundrySecret})
        e->clear();
    m_stored->clear();
    if (!has)
        return;
    if (!saved) {
        m_stored->setText(tr("Not saved yet: Save Connection stores it."));
        return;
    }
    // What the keychain holds for it (never the secret itself).
    auto found = std::make_shared<QStringList>();
    auto remaining = std::make_shared<int>(int(ConnectionStore::secretEntries().size()));
    QPointer<ConnectionsPage> self(this);
    m_keychain->setKeyPrefix(Connection::keychainPrefixFor(name));
    for (const auto &entry : ConnectionStore::secretEntries()) {
        const QString label = entry.second;
        m_keychain->read(entry.first, [self, name, found, remaining, label](KeychainResult r) {
            if (r.ok())
                *found << label;
            r.data.fill(QLatin1Char('\0'));
            if (--*remaining > 0 || !self || self->currentName() != name)
                return;
            self->m_stored->setText(found->isEmpty()
                                        ? tr("Nothing of it is in the keychain yet.")
                                        : tr("In the keychain: %1. Type a new value to replace it.")
                                              .arg(found->join(QStringLiteral(", "))));
        });
    }
    m_anthropicSecret->setPlaceholderText(tr("unchanged (type to replace)"));
}

void ConnectionsPage::providerChanged()
{
    for (int p = 0; p < 4; ++p) {
        for (QWidget *w : qAsConst(m_providerRows[p]))
            m_form->setRowVisible(w, p == m_provider->currentIndex());
    }
}

QString ConnectionsPage::currentName() const
{
    return m_list->currentItem() ? m_list->currentItem()->text() : QString();
}

Connection ConnectionsPage::editedConnection() const
{
    Connection c;
    c.name = currentName();
    c.provider = QLatin1String(kProviderIds[qBound(0, m_provider->currentIndex(), 3)]);
    c.settings = m_loadedSettings;
    QJsonObject env = c.settings.value(QStringLiteral("env")).toObject();
    for (const char *v : kFormVars)
        env.remove(QLatin1String(v));
    const auto put = [&env](const char *name, const QString &value) {
        if (!value.trimmed().isEmpty())
            env.insert(QLatin1String(name), value.trimmed());
    };
    switch (m_provider->currentIndex()) {
    case 1:
        put("AWS_REGION", m_awsRegion->text());
        put("AWS_PROFILE", m_awsProfile->text());
        put("ANTHROPIC_BEDROCK_BASE_URL", m_bedrockUrl->text());
        break;
    case 2:
        put("ANTHROPIC_VERTEX_PROJECT_ID", m_vertexProject->text());
        put("CLOUD_ML_REGION", m_vertexRegion->text());
        put("ANTHROPIC_VERTEX_BASE_URL", m_vertexUrl->text());
        break;
    case 3:
        put("ANTHROPIC_FOUNDRY_RESOURCE", m_foundryResource->text());
        put("ANTHROPIC_FOUNDRY_BASE_URL", m_foundryUrl->text());
        break;
    default:
        put("ANTHROPIC_BASE_URL", m_baseUrl->text());
        break;
    }
    put("ANTHROPIC_CUSTOM_HEADERS", m_headers->toPlainText());
    if (env.isEmpty())
        c.settings.remove(QStringLiteral("env"));
    else
        c.settings.insert(QStringLiteral("env"), env);
    if (m_model->text().trimmed().isEmpty())
        c.settings.remove(QStringLiteral("model"));
    else
        c.settings.insert(QStringLiteral("model"), m_model->text().trimmed());
    return c;
}

QString ConnectionsPage::typedSecretEntry() const
{
    switch (m_provider->currentIndex()) {
    case 1:
        return m_bedrockSecret->text().isEmpty() ? QString()
                                                 : QStringLiteral("cloud:aws-bearer-token");
    case 2:
        return QString();
    case 3:
        return m_foundrySecret->text().isEmpty() ? QString()
                                                 : QStringLiteral("cloud:foundry-api-key");
    default:
        if (m_anthropicSecret->text().isEmpty())
            return QString();
        return QLatin1String(m_credentialKind->currentIndex() == 1 ? KeychainStore::kBearerToken
                                                                   : KeychainStore::kApiKey);
    }
}

QString ConnectionsPage::typedSecret() const
{
    switch (m_provider->currentIndex()) {
    case 1:
        return m_bedrockSecret->text().trimmed();
    case 3:
        return m_foundrySecret->text().trimmed();
    case 2:
        return QString();
    default:
        return m_anthropicSecret->text().trimmed();
    }
}

QString ConnectionsPage::statusText() const
{
    return m_status->text();
}

void ConnectionsPage::setBusy(bool busy)
{
    m_busy = busy;
    m_list->setEnabled(!busy);
    m_addButton->setEnabled(!busy);
    for (QPushButton *b : {m_renameButton, m_duplicateButton, m_removeButton})
        b->setEnabled(!busy && !currentName().isEmpty());
    m_editor->setEnabled(!busy && !currentName().isEmpty());
}

void ConnectionsPage::setStatus(const QString &text, bool ok)
{
    m_status->setText(text);
    m_status->setForegroundRole(ok ? QPalette::WindowText : QPalette::Text);
    QPalette p = m_status->palette();
    p.setColor(QPalette::WindowText,
               ok ? palette().color(QPalette::WindowText) : QColor(0xb0, 0x20, 0x20));
    m_status->setPalette(p);
}

void ConnectionsPage::done(bool ok, const QString &text)
{
    setBusy(false);
    setStatus(text, ok);
    emit finished(ok);
}

void ConnectionsPage::afterChange(const QString &select, const QString &message)
{
    reloadList(select);
    // The window's own connection may have changed: it rereads it for its next request.
    if (m_services.reload) {
        QPointer<ConnectionsPage> self(this);
        m_services.reload([self, message] {
            if (self)
                self->done(true, message);
        });
    } else {
        done(true, message);
    }
}

void ConnectionsPage::addConnection(const QString &givenName)
{
    QString name = givenName;
    if (name.isEmpty()) {
        bool ok = false;
        name = QInputDialog::getText(this, tr("Add Connection"),
                                     tr("A short name for the account (letters, digits, '.', "
                                        "'_' or '-'), e.g. work or personal:"),
                                     QLineEdit::Normal, QString(), &ok)
                   .trimmed();
        if (!ok || name.isEmpty())
            return;
    }
    QString why;
    ConnectionStore s = store();
    s.load();
    if (!ConnectionStore::isValidName(name, &why)) {
        setStatus(tr("\"%1\" cannot be a connection name: %2.").arg(name.left(64), why), false);
        return;
    }
    if (s.find(name) || std::any_of(m_unsaved.cbegin(), m_unsaved.cend(),
                                    [&name](const Connection &c) { return c.name == name; })) {
        setStatus(tr("A connection named \"%1\" exists already.").arg(name), false);
        return;
    }
    Connection c;
    c.name = name;
    m_unsaved << c;
    reloadList(name);
    setStatus(tr("Choose the provider and fill in \"%1\", then Save Connection.").arg(name));
    m_provider->setFocus();
}

void ConnectionsPage::save()
{
    const Connection c = editedConnection();
    if (c.name.isEmpty() || m_busy)
        return;
    QString why;
    if (!ConnectionStore::checkNoSecrets(c.name, c.settings, &why)) {
        setStatus(why, false);
        return;
    }
    ConnectionStore s = store();
    if (!s.load()) {
        setStatus(s.errorString(), false);
        return;
    }
    setBusy(true);
    setStatus(tr("Saving \"%1\"…").arg(c.name));
    const QString entry = typedSecretEntry();
    QString secret = typedSecret();
    QPointer<ConnectionsPage> self(this);
    auto finish = [self, c](bool ok, const QString &error) {
        if (!self)
            return;
        if (!ok) {
            self->done(false, error);
            return;
        }
        ConnectionStore st = self->store();
        QString why;
        if (!st.load() || !st.upsert(c, &why)) {
            self->done(false, why.isEmpty() ? st.errorString() : why);
            return;
        }
        self->m_unsaved.erase(
            std::remove_if(self->m_unsaved.begin(), self->m_unsaved.end(),
                           [&c](const Connection &u) { return u.name == c.name; }),
            self->m_unsaved.end());
        self->afterChange(c.name, tr("Saved \"%1\" (%2).").arg(c.name, c.accountHint()));
    };
    if (entry.isEmpty()) {
        // From the event loop, as after a keychain job: finished() never comes from inside
        // the call.
        QMetaObject::invokeMethod(
            this, [finish] { finish(true, QString()); }, Qt::QueuedConnection);
        return;
    }
    // The secret first: a connection is listed only once its secret is safe.
    m_keychain->setKeyPrefix(c.keychainPrefix());
    m_keychain->write(entry, secret, [finish](const KeychainResult &r) {
        finish(r.ok(),
               tr("The secret was not saved, so neither was the connection. %1").arg(r.message));
    });
    secret.fill(QLatin1Char('\0'));
    for (QLineEdit *e : {m_anthropicSecret, m_bedrockSecret, m_foundrySecret})
        e->clear();
}

void ConnectionsPage::copySecrets(const QString &from, const QString &to, bool move,
                                  std::function<void(bool, const QString &)> then)
{
    auto entries =
        std::make_shared<QList<QPair<QString, QString>>>(ConnectionStore::secretEntries());
    auto step = std::make_shared<std::function<void(int)>>();
    QPointer<ConnectionsPage> self(this);
    std::weak_ptr<std::function<void(int)>> weakStep = step;
    *step = [self, entries, weakStep, from, to, move, then](int i) {
        auto next = weakStep.lock();
        if (!self || !next)
            return;
        if (i >= entries->size()) {
            then(true, QString());
            return;
        }
        const QString entry = entries->at(i).first;
        self->m_keychain->setKeyPrefix(Connection::keychainPrefixFor(from));
        self->m_keychain->read(entry, [self, next, i, entry, from, to, move,
                                       then](KeychainResult r) {
            if (!self)
                return;
            if (r.status == KeychainResult::Status::NotFound) {
                (*next)(i + 1);
                return;
            }
            if (!r.ok()) {
                then(false, r.message);
                return;
            }
            self->m_keychain->setKeyPrefix(Connection::keychainPrefixFor(to));
            self->m_keychain->write(
                entry, r.data, [self, next, i, entry, from, move, then](const KeychainResult &w) {
                    if (!self)
                        return;
                    if (!w.ok()) {
                        then(false, w.message);
                        return;
                    }
                    if (!move) {
                        (*next)(i + 1);
                        return;
                    }
                    self->m_keychain->setKeyPrefix(Connection::keychainPrefixFor(from));
                    self->m_keychain->remove(entry, [next, i, then](const KeychainResult &d) {
                        if (!d.ok() && d.status != KeychainResult::Status::NotFound)
                            then(false, d.message);
                        else
                            (*next)(i + 1);
                    });
                });
            r.data.fill(QLatin1Char('\0'));
        });
    };
    // The chain lives as long as a job's callback holds its next step.
    (*step)(0);
}

void ConnectionsPage::renameConnection(const QString &givenName)
{
    const QString from = currentName();
    if (from.isEmpty() || m_busy)
        return;
    QString to = givenName;
    if (to.isEmpty()) {
        bool ok = false;
        to = QInputDialog::getText(this, tr("Rename Connection"),
                                   tr("New name for \"%1\":").arg(from), QLineEdit::Normal, from,
                                   &ok)
                 .trimmed();
        if (!ok || to.isEmpty() || to == from)
            return;
    }
    QString why;
    if (!ConnectionStore::isValidName(to, &why)) {
        setStatus(tr("\"%1\" cannot be a connection name: %2.").arg(to.left(64), why), false);
        return;
    }
    for (Connection &u : m_unsaved) {
        if (u.name == from) {
            u.name = to;
            reloadList(to);
            return;
        }
    }
    ConnectionStore s = store();
    if (!s.load() || s.find(to)) {
        setStatus(s.find(to) ? tr("A connection named \"%1\" exists already.").arg(to)
                             : s.errorString(),
                  false);
        return;
    }
    setBusy(true);
    setStatus(tr("Renaming \"%1\" to \"%2\"…").arg(from, to));
    QPointer<ConnectionsPage> self(this);
    copySecrets(from, to, true, [self, from, to](bool ok, const QString &error) {
        if (!self)
            return;
        ConnectionStore st = self->store();
        QString why = error;
        if (!ok || !st.load() || !st.rename(from, to, &why)) {
            self->done(false, tr("\"%1\" was not renamed: %2").arg(from, why));
            return;
        }
        // This window keeps using it under its new name.
        if (self->m_services.context && self->m_services.context->connectionName() == from &&
            self->m_services.switchConnection)
            self->m_services.switchConnection(to);
        self->afterChange(
            to, tr("Renamed \"%1\" to \"%2\"; its keychain entries moved with it.").arg(from, to));
    });
}

void ConnectionsPage::duplicateConnection()
{
    const QString from = currentName();
    if (from.isEmpty() || m_busy)
        return;
    ConnectionStore s = store();
    s.load();
    QString to = from + QStringLiteral("-copy");
    for (int n = 2; s.find(to); ++n)
        to = QStringLiteral("%1-copy%2").arg(from).arg(n);
    Connection copy = editedConnection();
    copy.name = to;
    if (!s.find(from)) { // not saved yet: copy the form
        m_unsaved << copy;
        reloadList(to);
        return;
    }
    setBusy(true);
    setStatus(tr("Duplicating \"%1\"…").arg(from));
    QPointer<ConnectionsPage> self(this);
    copySecrets(from, to, false, [self, copy, from](bool ok, const QString &error) {
        if (!self)
            return;
        ConnectionStore st = self->store();
        QString why = error;
        if (!ok || !st.load() || !st.upsert(copy, &why)) {
            self->done(false, tr("\"%1\" was not duplicated: %2").arg(from, why));
            return;
        }
        self->afterChange(
            copy.name, tr("Duplicated \"%1\" as \"%2\", with its secrets.").arg(from, copy.name));
    });
}

void ConnectionsPage::removeConnection(bool confirmed)
{
    const QString name = currentName();
    if (name.isEmpty() || m_busy)
        return;
    for (int i = 0; i < m_unsaved.size(); ++i) {
        if (m_unsaved.at(i).name == name) {
            m_unsaved.removeAt(i);
            reloadList(QString());
            return;
        }
    }
    ConnectionStore s = store();
    if (!s.load()) {
        setStatus(s.errorString(), false);
        return;
    }
    const QStringList bound = s.workspacesBoundTo(name);
    if (!confirmed) {
        QString text =
            tr("Remove the connection \"%1\" and its secrets in the keychain?").arg(name);
        if (!bound.isEmpty())
            text += QLatin1Char('\n') + tr("These folders go back to \"From your settings\": %1")
                                            .arg(bound.join(QStringLiteral(", ")));
        if (QMessageBox::question(this, tr("Remove Connection"), text,
                                  QMessageBox::Yes | QMessageBox::Cancel,
                                  QMessageBox::Cancel) != QMessageBox::Yes)
            return;
    }
    setBusy(true);
    setStatus(tr("Removing \"%1\"…").arg(name));
    auto entries =
        std::make_shared<QList<QPair<QString, QString>>>(ConnectionStore::secretEntries());
    auto removed = std::make_shared<QStringList>();
    auto remaining = std::make_shared<int>(int(entries->size()));
    auto failed = std::make_shared<QString>();
    QPointer<ConnectionsPage> self(this);
    m_keychain->setKeyPrefix(Connection::keychainPrefixFor(name));
    for (const auto &entry : qAsConst(*entries)) {
        const QString label = entry.second;
        m_keychain->remove(entry.first, [self, name, removed, remaining, failed,
                                         label](const KeychainResult &r) {
            if (r.ok())
                *removed << label;
            else if (r.status != KeychainResult::Status::NotFound && failed->isEmpty())
                *failed = r.message;
            if (--*remaining > 0 || !self)
                return;
            if (!failed->isEmpty()) {
                self->done(false, tr("\"%1\" was not removed: its keychain entries could not be "
                                     "removed. %2")
                                      .arg(name, *failed));
                return;
            }
            ConnectionStore st = self->store();
            QString why;
            if (!st.load() || !st.remove(name, &why)) {
                self->done(false, why.isEmpty() ? st.errorString() : why);
                return;
            }
            if (self->m_services.context && self->m_services.context->connectionName() == name &&
                self->m_services.switchConnection)
                self->m_services.switchConnection(QString());
            self->afterChange(QString(),
                              removed->isEmpty()
                                  ? tr("Removed \"%1\"; it had nothing in the keychain.").arg(name)
                                  : tr("Removed \"%1\" and, from the keychain, %2.")
                                        .arg(name, removed->join(QStringLiteral(", "))));
        });
    }
}

void ConnectionsPage::test()
{
    if (m_busy || currentName().isEmpty() || !m_services.context)
        return;
    const Connection c = editedConnection();
    QString why;
    if (!ConnectionStore::checkNoSecrets(c.name, c.settings, &why)) {
        setStatus(why, false);
        return;
    }
    setBusy(true);
    setStatus(tr("Testing \"%1\" as shown…").arg(c.name));
    // The values on screen: the edited layer, and a typed secret in place of the stored one.
    AuthContext::Options o = m_services.context->options();
    o.connection = c.name;
    o.connectionGiven = true;
    o.unsavedConnection = c;
    auto ctx = std::make_shared<AuthContext>(AuthContext::load(o));
    const QString entry = typedSecretEntry();
    const QString secret = typedSecret();
    m_keychain->setKeyPrefix(c.keychainPrefix());
    QPointer<ConnectionsPage> self(this);
    KeychainSnapshot::load(m_keychain, [self, ctx, entry, secret](KeychainSnapshot snapshot) {
        if (!self)
            return;
        if (entry == QLatin1String(KeychainStore::kApiKey)) {
            snapshot.apiKey = secret;
            snapshot.bearerToken.clear();
            snapshot.oauthJson.clear();
        } else if (entry == QLatin1String(KeychainStore::kBearerToken)) {
            snapshot.bearerToken = secret;
            snapshot.apiKey.clear();
            snapshot.oauthJson.clear();
        } else if (!entry.isEmpty()) {
            snapshot.cloud.insert(entry, secret);
        }
        const Resolution res = AuthResolver::resolve(*ctx, snapshot);
        if (!res.usable()) {
            self->done(false,
                       res.problems.isEmpty() ? res.summary : res.problems.join(QLatin1Char(' ')));
            return;
        }
        QString warning;
        std::unique_ptr<Authorizer> authorizer = makeAuthorizer(*ctx, res, &warning);
        ProviderSetup setup = makeProviderSetup(*ctx, res, authorizer.get());
        const QString model = ModelSelection::choose(QString(), *ctx).model;
        const QUrl target = setup.config.baseUrl;
        self->m_test =
            new ConnectionTest(setup.config, std::move(setup.parts), std::move(authorizer), model,
                               self->m_services.network, self);
        QPointer<ConnectionTest> test(self->m_test);
        connect(self->m_test, &ConnectionTest::finished, self,
                [self, test, target, warning, ctx](int models, const ApiError &error) {
                    if (!self)
                        return;
                    const QString where = target.toString(QUrl::RemoveUserInfo);
                    const qint64 ms = test ? test->elapsedMs() : 0;
                    if (test)
                        test->deleteLater();
                    if (error.isError()) {
                        self->done(false, error.userMessage());
                        return;
                    }
                    QString text = models < 0
                                       ? tr("It works: %1 answered in %2 ms.").arg(where).arg(ms)
                                       : tr("It works: %1 answered in %2 ms and lists %n model(s).",
                                            nullptr, models)
                                             .arg(where)
                                             .arg(ms);
                    if (!warning.isEmpty())
                        text += QLatin1Char(' ') + warning;
                    for (const QString &w : ctx->connectionOverrides())
                        text += QLatin1Char(' ') +
                                tr("Note: %1 in the environment overrides this connection.").arg(w);
                    self->done(true, text);
                });
        self->m_test->start();
    });
}

} // namespace qlaude
