#include "ConnectionSwitcher.h"

#include "AppServices.h"
#include "Connections.h"

#include <QActionGroup>
#include <QMenu>
#include <QMessageBox>

namespace qlaude {

ConnectionSwitcher::ConnectionSwitcher(const AppServices &services, QWidget *parent)
    : QToolButton(parent), m_services(services), m_menu(new QMenu(this))
{
    setObjectName(QStringLiteral("connectionSwitcherButton"));
    setAccessibleName(tr("Connection"));
    setPopupMode(QToolButton::InstantPopup);
    setToolButtonStyle(Qt::ToolButtonTextOnly);
    setAutoRaise(true);
    m_menu->setObjectName(QStringLiteral("connectionSwitcherMenu"));
    attachMenu(m_menu);
    setMenu(m_menu);
    refresh();
}

void ConnectionSwitcher::attachMenu(QMenu *menu)
{
    connect(menu, &QMenu::aboutToShow, this, [this, menu] { fill(menu); });
    fill(menu); // so its actions (and their shortcuts) exist before it is first shown
}

QString ConnectionSwitcher::currentTitle() const
{
    const QString name = m_services.context ? m_services.context->connectionName() : QString();
    return name.isEmpty() ? tr("From your settings") : name;
}

void ConnectionSwitcher::refresh()
{
    const AuthContext *ctx = m_services.context;
    QString text = currentTitle();
    QStringList tip;
    if (ctx && !ctx->connectionName().isEmpty() && ctx->connectionError().isEmpty())
        tip << tr("Connection \"%1\": %2")
                   .arg(ctx->connectionName(), ctx->connection().accountHint());
    else if (ctx && ctx->connectionName().isEmpty())
        tip << tr("From your settings: Claude Code's settings files, the environment and the "
                  "keychain.");
    if (ctx && ctx->connectionChosenBy() == QLatin1String("workspace binding")) {
        text = tr("%1 (this folder)").arg(text);
        tip << tr("This folder is bound to it.");
    }
    const QStringList overrides = ctx ? ctx->connectionOverrides() : QStringList();
    const bool broken = ctx && !ctx->connectionError().isEmpty();
    if (broken)
        tip << ctx->connectionError();
    if (!overrides.isEmpty())
        tip << tr("The environment overrides this connection: %1 is used instead of its stored "
                  "credential. Unset it to use the connection.")
                   .arg(overrides.join(QStringLiteral(", ")));
    setText((broken || !overrides.isEmpty() ? QStringLiteral("⚠ ") : QString()) + text);
    setProperty("overridden", !overrides.isEmpty());
    tip << tr("Switch connections with Ctrl+Shift+A.");
    setToolTip(tip.join(QLatin1Char('\n')));
    setAccessibleDescription(toolTip());
    setStatusTip(tip.value(0));
}

void ConnectionSwitcher::fill(QMenu *menu)
{
    menu->clear();
    if (!m_services.context)
        return;
    const AuthContext &ctx = *m_services.context;
    ConnectionStore store = ctx.connectionStore();
    const bool loaded = store.load();
    const QString current = ctx.connectionName();
    const QString bound = loaded ? store.boundTo(ctx.options().workspace) : QString();
    auto *group = new QActionGroup(menu);
    const auto addChoice = [&](const QString &name, const QString &label, const QString &hint) {
        QString text = label;
        if (!hint.isEmpty())
            text += QStringLiteral("\t") + hint;
        QAction *a = menu->addAction(text);
        a->setCheckable(true);
        a->setChecked(name == current);
        a->setData(name);
        a->setObjectName(QStringLiteral("connectionAction:") + name);
        a->setActionGroup(group);
        if (name == bound && !name.isEmpty())
            a->setStatusTip(tr("This folder is bound to \"%1\".").arg(name));
        connect(a, &QAction::triggered, this, [this, name] {
            if (m_services.context && name == m_services.context->connectionName() &&
                m_services.context->connectionError().isEmpty())
                return;
            if (m_services.switchConnection)
                m_services.switchConnection(name);
        });
    };
    addChoice(QString(), tr("From your settings"), tr("Claude Code's settings"));
    for (const Connection &c : store.connections())
        addChoice(c.name, c.name, c.accountHint());
    if (!loaded) {
        QAction *problem = menu->addAction(tr("The connections cannot be read"));
        problem->setEnabled(false);
        problem->setToolTip(store.errorString());
    }
    menu->addSeparator();
    QAction *bind = menu->addAction(tr("&Use for This Folder"));
    bind->setObjectName(QStringLiteral("bindConnectionAction"));
    bind->setCheckable(true);
    bind->setChecked(!current.isEmpty() && bound == current);
    bind->setEnabled(loaded && ctx.connectionError().isEmpty() &&
                     (!current.isEmpty() || !bound.isEmpty()));
    bind->setStatusTip(bound.isEmpty() ? tr("Open this folder with the current connection from "
                                            "now on.")
                                       : tr("This folder opens with \"%1\".").arg(bound));
    connect(bind, &QAction::triggered, this, [this, current](bool checked) {
        QString error;
        if (m_services.bindWorkspace &&
            !m_services.bindWorkspace(checked ? current : QString(), &error))
            QMessageBox::warning(window(), tr("Folder not bound"), error);
        refresh();
    });
    QAction *manage = menu->addAction(tr("&Manage Connections…"));
    manage->setObjectName(QStringLiteral("manageConnectionsAction"));
    connect(manage, &QAction::triggered, this, &ConnectionSwitcher::manageRequested);
}

} // namespace qlaude
