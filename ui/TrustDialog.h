#pragma once

#include "TrustStore.h"

#include <QDialog>

class QPushButton;

namespace qlaude {

// Asks whether the settings of a workspace may run code: shows the workspace, and for each
// setting that would run a command (or set a variable that is not on the safe list) its name,
// its file and the exact command line, selectable, in a monospace font. "Don't trust" is the
// default and the Escape key. The dialog only asks: exec() returns Accepted for "Trust this
// folder", and the caller stores the decision (TrustStore::trust) and reloads.
class TrustDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY(TrustDialog)
public:
    explicit TrustDialog(const TrustState &state, QWidget *parent = nullptr);

    const TrustState &state() const { return m_state; }

private:
    QWidget *buildItem(const TrustItem &item);
    QString introText() const;

    TrustState m_state;
    QPushButton *m_trustButton = nullptr;
    QPushButton *m_dontTrustButton = nullptr;
};

} // namespace qlaude
