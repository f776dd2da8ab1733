#pragma once

#include "StoredTypes.h"

#include <QWidget>

namespace qlaude {

class ElidingLabel;
struct AppServices;

// The window's bottom line: the provider and where the credential comes from, in words; a
// warning when the environment or a helper shadows a stored login; token counts for the last
// turn and the conversation.
class StatusLine : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY(StatusLine)
public:
    explicit StatusLine(QWidget *parent = nullptr);

    void setServices(const AppServices &services);
    void setUsage(const StoredUsage &lastTurn, const StoredUsage &conversation);
    // A short transient note ("Code copied", "Answer stopped"); empty clears it.
    void showNote(const QString &note);

    QString credentialText() const;
    QString shadowText() const;
    QString usageText() const;

    // "API key from keychain", "ANTHROPIC_API_KEY from the environment", ...
    static QString describeCredential(const AppServices &services);
    static QString describeProvider(const AppServices &services);

private:
    ElidingLabel *m_credential;
    ElidingLabel *m_shadow;
    ElidingLabel *m_note;
    ElidingLabel *m_usage;
};

} // namespace qlaude
