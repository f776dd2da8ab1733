#pragma once

#include "AppServices.h"

#include <QMap>
#include <QWidget>

class QButtonGroup;
class QLabel;
class QPushButton;
class QRadioButton;

namespace qlaude {

// The Settings dialog's first page: where requests go, as one choice of Anthropic, AWS Bedrock,
// Google Vertex AI or Microsoft Foundry. Each provider's fields are on its own page beside it.
// Saving the choice writes the variables the CLI reads (CLAUDE_CODE_USE_BEDROCK, _VERTEX,
// _FOUNDRY) into the user settings' `env` block: "1" for the chosen one, the others removed.
// A choice that a layer above the user settings (the environment, managed or workspace
// settings) rules out cannot be made here; the page says which setting decides it.
class ProviderChoicePage : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY(ProviderChoicePage)
public:
    explicit ProviderChoicePage(AppServices &services, QWidget *parent = nullptr);
    ~ProviderChoicePage() override;

    // The variable that selects a provider ("" for Anthropic, which none selects).
    static QString useVariable(Provider provider);
    // The user settings' `env` changes that select `provider` in `context`; *possible is false
    // when another layer would still select a different provider after them.
    static QMap<QString, QString> changesFor(const AuthContext &context, Provider provider,
                                             bool *possible);

    // Shows the provider in use and what can be chosen; discards an unsaved choice.
    void load();
    Provider chosen() const;
    void choose(Provider provider);
    bool hasUnsavedChanges() const { return chosen() != m_saved; }
    // Variable -> new value ("" removes it) for the user settings' `env` block.
    QMap<QString, QString> envChanges() const;
    QRadioButton *button(Provider provider) const;

signals:
    void edited();
    // "Settings…" beside a provider: show its page.
    void pageRequested(Provider provider);

private:
    void buildUi();

    AppServices &m_services;
    QButtonGroup *m_group = nullptr;
    QLabel *m_source = nullptr;
    QLabel *m_locks = nullptr;
    Provider m_saved = Provider::Anthropic;
};

} // namespace qlaude
