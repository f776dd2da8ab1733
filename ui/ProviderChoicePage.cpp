#include "ProviderChoicePage.h"

#include "DialogSupport.h"
#include "DisplayText.h"
#include "ProviderSettingsPage.h"
#include "ProviderSettingsSpec.h"

#include <QButtonGroup>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QStyle>
#include <QVBoxLayout>

namespace qlaude {

namespace {
const Provider kProviders[] = {Provider::Anthropic, Provider::Bedrock, Provider::Vertex,
                               Provider::Foundry};

const ProviderPageSpec *specFor(Provider provider)
{
    for (const ProviderPageSpec &spec : providerPageSpecs()) {
        if (!spec.network && spec.provider == provider)
            return &spec;
    }
    return nullptr;
}

QString titleFor(Provider provider)
{
    const ProviderPageSpec *spec = specFor(provider);
    return spec ? settingsText(spec->title) : providerTitle(provider);
}

QString userEnvValue(const AuthContext &ctx, const QString &variable, bool *present)
{
    *present = false;
    for (const SettingsFile &f : ctx.settings().files()) {
        if (f.scope != SettingsScope::User)
            continue;
        const QJsonValue v = f.data.value(QStringLiteral("env")).toObject().value(variable);
        *present = !v.isUndefined();
        return settingsEnvValue(v);
    }
    return QString();
}
} // namespace

ProviderChoicePage::ProviderChoicePage(AppServices &services, QWidget *parent)
    : QWidget(parent), m_services(services)
{
    setObjectName(QStringLiteral("providerChoicePage"));
    setAccessibleName(tr("Provider"));
    buildUi();
    load();
}

ProviderChoicePage::~ProviderChoicePage() = default;

QString ProviderChoicePage::useVariable(Provider provider)
{
    switch (provider) {
    case Provider::Bedrock:
        return QStringLiteral("CLAUDE_CODE_USE_BEDROCK");
    case Provider::Vertex:
        return QStringLiteral("CLAUDE_CODE_USE_VERTEX");
    case Provider::Foundry:
        return QStringLiteral("CLAUDE_CODE_USE_FOUNDRY");
    case Provider::Anthropic:
        break;
    }
    return QString();
}

QMap<QString, QString> ProviderChoicePage::changesFor(const AuthContext &context, Provider provider,
                                                      bool *possible)
{
    QMap<QString, QString> changes;
    for (Provider p : kProviders) {
        const QString variable = useVariable(p);
        if (variable.isEmpty())
            continue;
        const QString wanted = p == provider ? QStringLiteral("1") : QString();
        bool present = false;
        const QString now = userEnvValue(context, variable, &present);
        // Only what differs from the file: an unchanged choice writes nothing.
        const bool same = wanted.isEmpty() ? !present : (present && isTruthy(now));
        if (!same)
            changes.insert(variable, wanted);
    }
    // The settings as they would be after the save decide, by the same precedence as at start.
    *possible = context.withUserEnvChanges(changes).provider() == provider;
    return changes;
}

void ProviderChoicePage::buildUi()
{
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("providerChoiceScrollArea"));
    scroll->setWidgetResizable(false); // ViewportWidthFitter sizes the content
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    outer->addWidget(scroll);

    auto *content = new QWidget(scroll);
    auto *layout = new QVBoxLayout(content);
    auto *heading = new QLabel(tr("Provider"), content);
    QFont headingFont = heading->font();
    headingFont.setBold(true);
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.15);
    heading->setFont(headingFont);
    layout->addWidget(heading);
    layout->addWidget(makeHintLabel(tr("Where Qlaude sends requests. Choose one; its own page "
                                       "in the list holds its settings."),
                                    content));
    layout->addSpacing(6);

    m_group = new QButtonGroup(this);
    m_group->setExclusive(true);
    auto *grid = new QGridLayout;
    grid->setColumnStretch(0, 1);
    grid->setVerticalSpacing(2);
    const int indent = style()->pixelMetric(QStyle::PM_ExclusiveIndicatorWidth) +
                       style()->pixelMetric(QStyle::PM_RadioButtonLabelSpacing);
    int row = 0;
    for (Provider p : kProviders) {
        const QString title = titleFor(p);
        auto *radio = new QRadioButton(title, content);
        setNames(radio, providerName(p) + QStringLiteral("ProviderRadioButton"), title);
        m_group->addButton(radio, int(p));
        grid->addWidget(radio, row, 0);
        auto *open = new QPushButton(tr("Settings…"), content);
        setNames(open, providerName(p) + QStringLiteral("OpenPagePushButton"),
                 tr("Open the %1 settings").arg(title));
        open->setAutoDefault(false);
        connect(open, &QPushButton::clicked, this, [this, p] { emit pageRequested(p); });
        grid->addWidget(open, row, 1, Qt::AlignRight | Qt::AlignVCenter);
        const ProviderPageSpec *spec = specFor(p);
        QLabel *hint = makeHintLabel(spec ? settingsText(spec->intro) : QString(), content);
        hint->setObjectName(providerName(p) + QStringLiteral("ProviderHintLabel"));
        hint->setContentsMargins(indent, 0, 0, 0);
        grid->addWidget(hint, row + 1, 0);
        grid->setRowMinimumHeight(row + 2, 10);
        row += 3;
    }
    layout->addLayout(grid);
    connect(m_group, &QButtonGroup::idToggled, this, [this](int, bool on) {
        if (on)
            emit edited();
    });

    m_source = makeMessageLabel(QStringLiteral("providerChoiceSourceLabel"),
                                tr("Where the provider choice comes from"), content);
    m_source->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_source);
    m_locks = makeMessageLabel(QStringLiteral("providerChoiceLockLabel"),
                               tr("Why some providers cannot be chosen"), content);
    layout->addWidget(m_locks);
    layout->addStretch(1);
    scroll->setWidget(content);
    new ViewportWidthFitter(scroll);
}

QRadioButton *ProviderChoicePage::button(Provider provider) const
{
    return qobject_cast<QRadioButton *>(m_group->button(int(provider)));
}

Provider ProviderChoicePage::chosen() const
{
    const int id = m_group->checkedId();
    return id < 0 ? m_saved : Provider(id);
}

void ProviderChoicePage::choose(Provider provider)
{
    if (QRadioButton *b = button(provider))
        b->setChecked(true);
}

QMap<QString, QString> ProviderChoicePage::envChanges() const
{
    if (!m_services.context || !hasUnsavedChanges())
        return {};
    bool possible = false;
    return changesFor(*m_services.context, chosen(), &possible);
}

void ProviderChoicePage::load()
{
    const AuthContext *ctx = m_services.context;
    m_saved = ctx ? ctx->provider() : Provider::Anthropic;
    {
        const QSignalBlocker blocker(m_group);
        choose(m_saved);
    }

    // Where the choice in use comes from, and what else sets the same variables.
    QStringList source;
    QStringList locks;
    QStringList ruledOut;
    if (ctx) {
        const QString variable = useVariable(m_saved);
        const QList<AuthContext::EnvSetting> settings =
            variable.isEmpty() ? QList<AuthContext::EnvSetting>() : ctx->envSettings(variable);
        if (settings.isEmpty())
            source << tr("None of CLAUDE_CODE_USE_BEDROCK, CLAUDE_CODE_USE_VERTEX or "
                         "CLAUDE_CODE_USE_FOUNDRY is set, so requests go to the Anthropic API.");
        else
            source << tr("%1 is in use: %2=%3, from %4.")
                          .arg(titleFor(m_saved), variable, displaySafe(settings.last().value),
                               ProviderSettingsPage::describeSetting(settings.last()));
        for (Provider p : kProviders) {
            const QString v = useVariable(p);
            if (v.isEmpty())
                continue;
            const QString note = ProviderSettingsPage::overrideNote(*ctx, v);
            if (!note.isEmpty())
                source << QStringLiteral("%1: %2").arg(v, note);
            const QList<AuthContext::EnvSetting> all = ctx->envSettings(v);
            if (!all.isEmpty() &&
                (all.last().processEnvironment || all.last().scope != SettingsScope::User))
                locks << tr("Set by %1: %2=%3.")
                             .arg(ProviderSettingsPage::describeSetting(all.last()), v,
                                  displaySafe(all.last().value));
        }
        source << tr("Save writes the choice to the env block of your user settings, which the "
                     "Claude Code CLI reads too.");
    }
    for (Provider p : kProviders) {
        bool possible = true;
        if (ctx && p != m_saved)
            changesFor(*ctx, p, &possible);
        QRadioButton *b = button(p);
        b->setEnabled(possible);
        if (!possible)
            ruledOut << titleFor(p);
    }
    if (!ruledOut.isEmpty())
        locks << tr("So %1 cannot be chosen here; change the setting there first.")
                     .arg(ruledOut.join(QStringLiteral(", ")));
    else
        locks.clear(); // a setting that does not get in the way needs no warning
    m_source->setText(source.join(QLatin1Char('\n')));
    m_locks->setText(locks.join(QLatin1Char('\n')));
    m_locks->setVisible(!locks.isEmpty());
    for (Provider p : kProviders) {
        QRadioButton *b = button(p);
        b->setToolTip(b->isEnabled() ? useVariable(p) : m_locks->text());
        b->setAccessibleDescription(b->isEnabled() ? QString() : m_locks->text());
    }
    // The chosen button carries the whole story for a screen reader.
    button(m_saved)->setAccessibleDescription(m_source->text() + QLatin1Char('\n') +
                                              m_locks->text());
}

} // namespace qlaude
