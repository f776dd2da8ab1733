#pragma once

#include <QToolButton>

class QMenu;

namespace qlaude {

struct AppServices;

// The status line's connection switcher: the button names the connection this window uses
// (and says when the folder is bound to it, or when an environment credential overrides it);
// its menu, also the menu bar's Connection menu, lists "From your settings" and every named
// connection with its provider and account hint. Choosing one takes effect for the next
// request (AppServices::switchConnection); "Use for This Folder" binds the workspace.
class ConnectionSwitcher : public QToolButton
{
    Q_OBJECT
    Q_DISABLE_COPY(ConnectionSwitcher)
public:
    explicit ConnectionSwitcher(const AppServices &services, QWidget *parent = nullptr);

    // Fills `menu` with the connections (rebuilt each time it is about to show).
    void attachMenu(QMenu *menu);
    QMenu *switcherMenu() const { return m_menu; }
    // Rereads the services (after a switch or a reload).
    void refresh();

    // "work", or "From your settings".
    QString currentTitle() const;

signals:
    void manageRequested();

private:
    void fill(QMenu *menu);

    const AppServices &m_services;
    QMenu *m_menu;
};

} // namespace qlaude
