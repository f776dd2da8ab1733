#pragma once

#include "AppServices.h"
#include "ProviderSettingsSpec.h"

#include <QList>
#include <QMap>
#include <QWidget>

class QCheckBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QScrollArea;

namespace qlaude {

class CommandTextView;
class ViewportWidthFitter;

// One provider's page of the Settings dialog. Each field shows its effective value and where
// it comes from (AuthContext::envSource); a value set by managed settings, by a workspace's
// settings or by the process environment is shown locked, with the reason, because a user
// setting could not change it. The page validates its fields inline and tells the dialog what
// to write: non-secret changes for the user settings' `env` block, secrets for the keychain.
class ProviderSettingsPage : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY(ProviderSettingsPage)
public:
    ProviderSettingsPage(const ProviderPageSpec &spec, AppServices &services,
                         QWidget *parent = nullptr);
    ~ProviderSettingsPage() override;

    Provider provider() const { return m_spec.provider; }
    bool isNetwork() const { return m_spec.network; }
    // "anthropic", ..., or "network": the start of the page's object names.
    QString namePrefix() const
    {
        return m_spec.network ? QStringLiteral("network") : providerName(m_spec.provider);
    }
    QString title() const;

    // Shows the effective values of services.context, and asks the keychain which secrets it
    // holds. Discards unsaved edits.
    void load();
    // Checks every field and shows the problems beside them; returns the first invalid editor.
    QWidget *validate();
    bool hasUnsavedChanges() const;
    // Variable -> new value ("" removes it) for the user settings' `env` block.
    QMap<QString, QString> envChanges() const;
    // Keychain key -> secret, for the secret fields that were filled in.
    QMap<QString, QString> secretChanges() const;
    // Variables holding a secret in plaintext in the user settings file; once the keychain has
    // the secret, the dialog removes them from the file.
    QStringList plaintextSecretVariables() const;
    // The variable a keychain key belongs to.
    QString variableForKeychainKey(const QString &key) const;

    // Where a value comes from, for a note: "the environment Qlaude was started from", or
    // "user settings (<path>)".
    static QString describeSetting(const AuthContext::EnvSetting &setting);
    // When more than one layer sets the variable: which ones are ignored and which one wins
    // (AuthContext's precedence), as one sentence; "" when one layer or none sets it.
    static QString overrideNote(const AuthContext &context, const QString &variable);

    // Puts text a person typed on another page into this page's field for the same variable
    // (ANTHROPIC_MODEL is on several pages), so the pages never disagree.
    void mirrorText(const QString &variable, const QString &text);

    void setTesting(bool testing);
    void setTestResult(const QString &text);
    QString testResult() const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

signals:
    void testRequested();
    void edited();
    // A person typed into a one-line text field.
    void textEdited(const QString &variable, const QString &text);

private:
    struct Row
    {
        SettingsField field;
        QWidget *editor = nullptr;
        QLineEdit *line = nullptr;
        QPlainTextEdit *text = nullptr;
        QCheckBox *check = nullptr;
        QLabel *name = nullptr; // the field's name beside it (not for a check box)
        QLabel *source = nullptr;
        QLabel *overrides = nullptr; // set in two places: which one wins
        QLabel *error = nullptr;
        QPushButton *remove = nullptr; // secrets: forget the stored one
        bool locked = false;
        bool inUserFile = false;
        QString original;    // the value the editor started with
        QString urlPassword; // a URL's password: the editor shows "user:…@host", kept here
    };

    void buildUi();
    void addRow(QGridLayout *form, const SettingsField &field);
    void loadRow(Row &row);
    void loadSecret(Row &row);
    void forgetSecret(Row &row);
    QString currentValue(const Row &row) const;
    QString checkRow(const Row &row) const;
    void showRowError(Row &row, const QString &message);
    QString lockReason(const QString &variable, bool *locked, bool *inUserFile) const;

    ProviderPageSpec m_spec;
    AppServices &m_services;
    QList<Row> m_rows;
    QScrollArea *m_scroll = nullptr;
    ViewportWidthFitter *m_fitter = nullptr;
    QPushButton *m_testButton = nullptr;
    CommandTextView *m_testResult = nullptr;
    int m_generation = 0; // ignores keychain answers for an earlier load()
};

} // namespace qlaude
