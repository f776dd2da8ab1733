#include "ProviderSettingsPage.h"

#include "CommandTextView.h"
#include "DialogSupport.h"
#include "DisplayText.h"
#include "KeychainStore.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace qlaude {

namespace {
using Type = SettingsField::Type;

// Set on a locked check box: it takes focus but ignores clicks and keys that would toggle it.
const char *const kLockedProperty = "qlaudeLocked";

// The file of the given scope that sets the variable in its `env` block, as a label shows it.
QString fileSetting(const AuthContext &ctx, const QString &variable, SettingsScope scope)
{
    const QList<SettingsFile> &files = ctx.settings().files();
    for (auto it = files.crbegin(); it != files.crend(); ++it) {
        if (it->scope == scope &&
            it->data.value(QStringLiteral("env")).toObject().contains(variable))
            return displaySafe(it->path); // shown in labels only
    }
    return QString();
}
} // namespace

QString ProviderSettingsPage::describeSetting(const AuthContext::EnvSetting &setting)
{
    if (setting.processEnvironment)
        return tr("the environment Qlaude was started from");
    return tr("%1 settings (%2)").arg(settingsScopeName(setting.scope), displaySafe(setting.file));
}

QString ProviderSettingsPage::overrideNote(const AuthContext &context, const QString &variable)
{
    const QList<AuthContext::EnvSetting> settings = context.envSettings(variable);
    if (settings.size() < 2)
        return QString();
    QStringList ignored;
    for (int i = 0; i + 1 < settings.size(); ++i)
        ignored << describeSetting(settings.at(i));
    if (ignored.size() == 1)
        return tr("Also set in %1, which is ignored: %2 wins.")
            .arg(ignored.first(), describeSetting(settings.last()));
    return tr("Also set in %1, which are ignored: %2 wins.")
        .arg(ignored.join(tr(" and ")), describeSetting(settings.last()));
}

ProviderSettingsPage::ProviderSettingsPage(const ProviderPageSpec &spec, AppServices &services,
                                           QWidget *parent)
    : QWidget(parent), m_spec(spec), m_services(services)
{
    setObjectName(namePrefix() + QStringLiteral("SettingsPage"));
    setAccessibleName(title());
    buildUi();
    load();
}

ProviderSettingsPage::~ProviderSettingsPage() = default;

bool ProviderSettingsPage::eventFilter(QObject *watched, QEvent *event)
{
    if (!watched->property(kLockedProperty).toBool())
        return QWidget::eventFilter(watched, event);
    switch (event->type()) {
    case QEvent::MouseButtonPress:
    case QEvent::MouseButtonRelease:
    case QEvent::MouseButtonDblClick:
        return true;
    case QEvent::KeyPress:
    case QEvent::KeyRelease: {
        const int key = static_cast<QKeyEvent *>(event)->key();
        return key == Qt::Key_Space || key == Qt::Key_Select;
    }
    default:
        return QWidget::eventFilter(watched, event);
    }
}

QString ProviderSettingsPage::title() const
{
    return settingsText(m_spec.title);
}

void ProviderSettingsPage::buildUi()
{
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea(this);
    m_scroll = scroll;
    scroll->setObjectName(namePrefix() + QStringLiteral("ScrollArea"));
    scroll->setWidgetResizable(false); // ViewportWidthFitter sizes the content
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    outer->addWidget(scroll);

    auto *content = new QWidget(scroll);
    auto *layout = new QVBoxLayout(content);
    auto *heading = new QLabel(title(), content);
    QFont headingFont = heading->font();
    headingFont.setBold(true);
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.15);
    heading->setFont(headingFont);
    layout->addWidget(heading);
    layout->addWidget(makeHintLabel(settingsText(m_spec.intro), content));
    layout->addSpacing(6);

    // A grid rather than a QFormLayout: the grid gives wrapped help text its height for the
    // width it really gets.
    auto *form = new QGridLayout;
    form->setColumnStretch(1, 1);
    form->setVerticalSpacing(10);
    for (const SettingsField &field : m_spec.fields)
        addRow(form, field);
    layout->addLayout(form);

    layout->addSpacing(6);
    auto *testRow = new QHBoxLayout;
    m_testButton =
        new QPushButton(m_spec.network ? tr("Check &network") : tr("Test &connection"), content);
    setNames(m_testButton, namePrefix() + QStringLiteral("TestConnectionPushButton"),
             m_spec.network ? tr("Check the network settings")
                            : tr("Test connection to %1").arg(title()));
    m_testButton->setAutoDefault(false);
    m_testButton->setToolTip(m_spec.network ? tr("Show the proxy for each provider, the CA files "
                                                 "and the client certificate, as qlaude --doctor "
                                                 "does, with the values shown here (saved or not)")
                                            : tr("Run the checks of qlaude --doctor for %1 and "
                                                 "send one small request, with the values shown "
                                                 "here (saved or not)")
                                                  .arg(title()));
    connect(m_testButton, &QPushButton::clicked, this, &ProviderSettingsPage::testRequested);
    testRow->addWidget(m_testButton);
    testRow->addStretch(1);
    layout->addLayout(testRow);
    m_testResult = new CommandTextView(QString(), content);
    m_testResult->setMaxLines(12);
    setNames(m_testResult, namePrefix() + QStringLiteral("TestResultPlainTextEdit"),
             tr("Test result"));
    m_testResult->hide();
    layout->addWidget(m_testResult);
    layout->addStretch(1);
    scroll->setWidget(content);
    m_fitter = new ViewportWidthFitter(scroll);
}

void ProviderSettingsPage::addRow(QGridLayout *form, const SettingsField &field)
{
    Row row;
    row.field = field;
    const QString variable = QLatin1String(field.variable);
    const QString label = settingsText(field.label);
    auto *column = new QVBoxLayout;
    column->setSpacing(2);

    QWidget *parent = form->parentWidget() ? form->parentWidget() : this;
    switch (field.type) {
    case Type::Flag:
        row.check = new QCheckBox(label, parent);
        row.editor = row.check;
        setNames(row.check, objectNameFor(variable, QStringLiteral("CheckBox")), label);
        row.check->installEventFilter(this);
        connect(row.check, &QCheckBox::toggled, this, &ProviderSettingsPage::edited);
        break;
    case Type::Headers:
        row.text = new QPlainTextEdit(parent);
        row.editor = row.text;
        setNames(row.text, objectNameFor(variable, QStringLiteral("PlainTextEdit")), label);
        row.text->setFont(monospaceFont());
        row.text->setTabChangesFocus(true);
        row.text->setLineWrapMode(QPlainTextEdit::NoWrap);
        row.text->setPlaceholderText(tr("X-Gateway-Team: research"));
        row.text->setFixedHeight(row.text->fontMetrics().lineSpacing() * 4 + 12);
        connect(row.text, &QPlainTextEdit::textChanged, this, &ProviderSettingsPage::edited);
        break;
    default:
        row.line = new QLineEdit(parent);
        row.editor = row.line;
        setNames(row.line, objectNameFor(variable, QStringLiteral("LineEdit")), label);
        if (field.type == Type::Secret)
            addRevealAction(row.line);
        connect(row.line, &QLineEdit::textChanged, this, &ProviderSettingsPage::edited);
        if (field.type == Type::Text)
            connect(row.line, &QLineEdit::textEdited, this,
                    [this, variable](const QString &text) { emit textEdited(variable, text); });
        break;
    }
    row.editor->setToolTip(variable);

    if (field.type == Type::Secret) {
        auto *line = new QHBoxLayout;
        line->addWidget(row.editor, 1);
        row.remove = new QPushButton(tr("Forget"), parent);
        setNames(row.remove, objectNameFor(variable, QStringLiteral("ForgetPushButton")),
                 tr("Forget the stored %1").arg(label));
        row.remove->setToolTip(tr("Remove it from the keychain"));
        row.remove->setAutoDefault(false);
        row.remove->setEnabled(false);
        line->addWidget(row.remove);
        column->addLayout(line);
    } else {
        column->addWidget(row.editor);
    }
    QLabel *help = makeHintLabel(tr("%1 · %2").arg(variable, settingsText(field.help)), parent);
    help->setObjectName(objectNameFor(variable, QStringLiteral("HelpLabel")));
    column->addWidget(help);
    row.source = makeMessageLabel(objectNameFor(variable, QStringLiteral("SourceLabel")),
                                  tr("%1, where the value comes from").arg(label), parent);
    row.source->setForegroundRole(QPalette::PlaceholderText);
    column->addWidget(row.source);
    row.overrides = makeMessageLabel(objectNameFor(variable, QStringLiteral("OverrideLabel")),
                                     tr("%1, also set elsewhere").arg(label), parent);
    row.overrides->hide();
    column->addWidget(row.overrides);
    row.error = makeMessageLabel(objectNameFor(variable, QStringLiteral("ErrorLabel")),
                                 tr("%1, problem").arg(label), parent);
    QFont bold = row.error->font();
    bold.setBold(true);
    row.error->setFont(bold);
    row.error->hide();
    column->addWidget(row.error);

    const int gridRow = form->rowCount();
    if (field.type != Type::Flag) {
        auto *name = new QLabel(label + QLatin1Char(':'), parent);
        name->setBuddy(row.editor);
        name->setToolTip(variable);
        // Level with the first line of the editor, not with the top of its frame.
        name->setMinimumHeight(row.line ? row.line->sizeHint().height()
                                        : QLineEdit().sizeHint().height());
        form->addWidget(name, gridRow, 0, Qt::AlignLeft | Qt::AlignTop);
        row.name = name;
    }
    form->addLayout(column, gridRow, 1);

    m_rows.append(row);
    const int index = int(m_rows.size()) - 1;
    auto recheck = [this, index] {
        Row &r = m_rows[index];
        if (!r.error->isHidden())
            showRowError(r, checkRow(r));
    };
    if (row.line) {
        connect(row.line, &QLineEdit::textChanged, this, recheck);
        connect(row.line, &QLineEdit::editingFinished, this,
                [this, index] { showRowError(m_rows[index], checkRow(m_rows[index])); });
    }
    if (row.text)
        connect(row.text, &QPlainTextEdit::textChanged, this, recheck);
    if (row.remove)
        connect(row.remove, &QPushButton::clicked, this,
                [this, index] { forgetSecret(m_rows[index]); });
}

QString ProviderSettingsPage::lockReason(const QString &variable, bool *locked,
                                         bool *inUserFile) const
{
    *locked = false;
    *inUserFile = false;
    const AuthContext *ctx = m_services.context;
    if (!ctx)
        return QString();
    SettingsScope scope = SettingsScope::User;
    if (ctx->envFromSettings(variable, &scope)) {
        const QString path = fileSetting(*ctx, variable, scope);
        switch (scope) {
        case SettingsScope::User:
            *inUserFile = true;
            return tr("From your user settings (%1).").arg(path);
        case SettingsScope::Managed:
            *locked = true;
            return tr("Locked: set by managed settings (%1). Your administrator controls it.")
                .arg(path);
        case SettingsScope::Project:
        case SettingsScope::Local:
            *locked = true;
            return tr("Locked: set by this folder's %1 settings (%2), which take priority over "
                      "your user settings. Change it there.")
                .arg(settingsScopeName(scope), path);
        case SettingsScope::Flag:
            *locked = true;
            return tr("Locked: set by --settings (%1) for this run.").arg(path);
        }
    }
    if (ctx->options().processEnvironment.contains(variable)) {
        *locked = true;
        return tr("Locked: set in the environment Qlaude was started from. Unset %1 there to "
                  "change it here.")
            .arg(variable);
    }
    return QString();
}

void ProviderSettingsPage::load()
{
    ++m_generation;
    for (Row &row : m_rows)
        loadRow(row);
}

void ProviderSettingsPage::loadRow(Row &row)
{
    const QString variable = QLatin1String(row.field.variable);
    const QString value = m_services.context ? m_services.context->env(variable) : QString();
    QString reason = lockReason(variable, &row.locked, &row.inUserFile);
    const QString defaultText = settingsText(row.field.defaultText);
    row.error->hide();

    if (row.field.type == Type::Secret) {
        row.line->clear();
        row.line->setReadOnly(row.locked);
        row.line->setPlaceholderText(value.isEmpty() ? QString() : redactSecret(value));
        row.remove->setEnabled(false);
        if (row.locked || row.inUserFile) {
            if (row.inUserFile)
                reason = tr("Stored in plaintext in your user settings (%1). Press Save to move "
                            "it to the keychain.")
                             .arg(fileSetting(*m_services.context, variable, SettingsScope::User));
            row.source->setText(reason);
        } else {
            loadSecret(row);
        }
    } else if (row.check) {
        row.check->setChecked(isTruthy(value));
        // Not disabled: keyboard focus still reaches it, so its note can be read; the event
        // filter keeps clicks and the space bar from changing it.
        row.check->setProperty(kLockedProperty, row.locked);
    } else if (row.text) {
        row.text->setPlainText(value);
        row.text->setReadOnly(row.locked);
    } else {
        // A URL's password is not shown: the editor holds "user:…@host", and "…" there keeps
        // the password (see currentValue()).
        row.urlPassword.clear();
        QString shown = value;
        if (row.field.type == Type::Url) {
            shown = redactUrlPassword(value);
            if (shown != value) {
                const qsizetype start = shown.indexOf(QStringLiteral(":…@"));
                row.urlPassword = value.mid(start + 1, value.size() - shown.size() + 1);
            }
        }
        row.line->setText(shown);
        row.line->setReadOnly(row.locked);
        row.line->setPlaceholderText(defaultText.isEmpty() && row.field.example
                                         ? QString::fromLatin1(row.field.example)
                                         : defaultText);
    }
    if (row.field.type != Type::Secret) {
        if (reason.isEmpty())
            reason = defaultText.isEmpty() ? tr("Not set.")
                                           : tr("Not set; the default is %1.").arg(defaultText);
        row.source->setText(reason);
    }
    row.editor->setToolTip(row.locked ? variable + QLatin1Char('\n') + reason : variable);
    // A locked field looks it: the window's colour instead of an input's white, and greyed
    // text as a disabled field has, so nobody types into it expecting a change. Its source
    // line, in the normal text colour, says who set it and where to change it.
    QPalette look =
        row.editor->parentWidget() ? row.editor->parentWidget()->palette() : row.editor->palette();
    if (row.locked) {
        look.setColor(QPalette::Base, look.color(QPalette::Window));
        for (QPalette::ColorRole role :
             {QPalette::Text, QPalette::WindowText, QPalette::ButtonText}) {
            for (QPalette::ColorGroup group : {QPalette::Active, QPalette::Inactive})
                look.setColor(group, role, look.color(QPalette::Disabled, role));
        }
    }
    row.editor->setPalette(look);
    if (row.name)
        row.name->setPalette(look);
    row.source->setForegroundRole(row.locked ? QPalette::WindowText : QPalette::PlaceholderText);
    const QString overrides =
        m_services.context ? overrideNote(*m_services.context, variable) : QString();
    row.overrides->setText(overrides);
    row.overrides->setVisible(!overrides.isEmpty());
    if (!overrides.isEmpty())
        reason += QLatin1Char('\n') + overrides;
    row.editor->setAccessibleDescription(reason);
    row.original = currentValue(row);
}

void ProviderSettingsPage::loadSecret(Row &row)
{
    if (!m_services.keychain) {
        row.source->setText(tr("No keychain is available, so this secret cannot be saved."));
        row.line->setReadOnly(true);
        return;
    }
    row.source->setText(tr("Checking the keychain…"));
    const QString key = QLatin1String(row.field.keychainKey);
    QPointer<ProviderSettingsPage> self(this);
    const int generation = m_generation;
    m_services.keychain->read(key, [self, generation, key](const KeychainResult &r) {
        if (!self || generation != self->m_generation)
            return;
        for (Row &row : self->m_rows) {
            if (QLatin1String(row.field.keychainKey) != key)
                continue;
            if (r.ok()) {
                row.source->setText(tr("Stored in the keychain (%1). Type a new one to replace it.")
                                        .arg(redactSecret(r.data)));
                row.remove->setEnabled(true);
            } else if (r.status == KeychainResult::Status::NotFound) {
                row.source->setText(tr("Not set. What you enter here is kept in the keychain, "
                                       "never in a file."));
            } else {
                row.source->setText(r.message);
            }
        }
    });
}

void ProviderSettingsPage::forgetSecret(Row &row)
{
    if (!m_services.keychain)
        return;
    row.remove->setEnabled(false);
    const QString key = QLatin1String(row.field.keychainKey);
    QPointer<ProviderSettingsPage> self(this);
    m_services.keychain->remove(key, [self, key](const KeychainResult &r) {
        if (!self)
            return;
        for (Row &row : self->m_rows) {
            if (QLatin1String(row.field.keychainKey) != key)
                continue;
            if (r.ok() || r.status == KeychainResult::Status::NotFound) {
                row.source->setText(tr("Removed from the keychain."));
            } else {
                row.source->setText(r.message);
                row.remove->setEnabled(true);
            }
        }
    });
}

QString ProviderSettingsPage::currentValue(const Row &row) const
{
    if (row.check)
        return row.check->isChecked() ? QStringLiteral("1") : QString();
    if (row.text) {
        QStringList lines = row.text->toPlainText().split(QLatin1Char('\n'));
        for (QString &l : lines)
            l = l.trimmed();
        lines.removeAll(QString());
        return lines.join(QLatin1Char('\n'));
    }
    QString value = row.line->text().trimmed();
    if (!row.urlPassword.isEmpty()) {
        const qsizetype kept = value.indexOf(QStringLiteral(":…@"));
        if (kept >= 0)
            value.replace(kept + 1, 1, row.urlPassword);
    }
    return value;
}

QString ProviderSettingsPage::checkRow(const Row &row) const
{
    return row.locked ? QString() : checkSettingsValue(row.field, currentValue(row));
}

void ProviderSettingsPage::showRowError(Row &row, const QString &message)
{
    row.error->setText(message);
    row.error->setVisible(!message.isEmpty());
    row.editor->setAccessibleDescription(message.isEmpty() ? row.source->text() : message);
}

QWidget *ProviderSettingsPage::validate()
{
    QWidget *first = nullptr;
    for (Row &row : m_rows) {
        const QString message = checkRow(row);
        showRowError(row, message);
        if (!message.isEmpty() && !first)
            first = row.editor;
    }
    return first;
}

bool ProviderSettingsPage::hasUnsavedChanges() const
{
    return !envChanges().isEmpty() || !secretChanges().isEmpty();
}

void ProviderSettingsPage::mirrorText(const QString &variable, const QString &text)
{
    for (Row &row : m_rows) {
        if (row.line && row.field.type == Type::Text && !row.locked &&
            QLatin1String(row.field.variable) == variable && row.line->text() != text)
            row.line->setText(text);
    }
}

QMap<QString, QString> ProviderSettingsPage::envChanges() const
{
    QMap<QString, QString> changes;
    for (const Row &row : m_rows) {
        if (row.locked || row.field.type == Type::Secret)
            continue;
        const QString value = currentValue(row);
        if (value != row.original)
            changes.insert(QLatin1String(row.field.variable), value);
    }
    return changes;
}

QMap<QString, QString> ProviderSettingsPage::secretChanges() const
{
    QMap<QString, QString> secrets;
    for (const Row &row : m_rows) {
        if (row.locked || row.field.type != Type::Secret)
            continue;
        QString value = currentValue(row);
        if (value.isEmpty() && row.inUserFile && m_services.context)
            value = m_services.context->env(QLatin1String(row.field.variable));
        if (!value.isEmpty())
            secrets.insert(QLatin1String(row.field.keychainKey), value);
    }
    return secrets;
}

QStringList ProviderSettingsPage::plaintextSecretVariables() const
{
    QStringList out;
    for (const Row &row : m_rows) {
        if (row.field.type == Type::Secret && row.inUserFile)
            out << QLatin1String(row.field.variable);
    }
    return out;
}

QString ProviderSettingsPage::variableForKeychainKey(const QString &key) const
{
    for (const Row &row : m_rows) {
        if (row.field.keychainKey && QLatin1String(row.field.keychainKey) == key)
            return QLatin1String(row.field.variable);
    }
    return QString();
}

void ProviderSettingsPage::setTesting(bool testing)
{
    m_testButton->setEnabled(!testing);
    if (testing)
        setTestResult(tr("Testing…"));
}

void ProviderSettingsPage::setTestResult(const QString &text)
{
    m_testResult->setLines(text);
    m_testResult->setVisible(!text.isEmpty());
    if (!text.isEmpty() && isVisible()) {
        // Give the content its new height now, then bring the whole result into view.
        QLayout *layout = m_scroll->widget()->layout();
        layout->invalidate();
        m_fitter->fit();
        layout->activate();
        // Not ensureWidgetVisible: for a text view that only reveals its text cursor.
        const QRect r(m_testResult->mapTo(m_scroll->widget(), QPoint(0, 0)), m_testResult->size());
        m_scroll->ensureVisible(r.center().x(), r.center().y(), r.width() / 2 + 1,
                                r.height() / 2 + 1);
    }
}

QString ProviderSettingsPage::testResult() const
{
    return m_testResult->toPlainText();
}

} // namespace qlaude
