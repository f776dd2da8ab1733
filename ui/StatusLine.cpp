#include "StatusLine.h"

#include "AppServices.h"
#include "ElidingLabel.h"
#include "ProviderClient.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QTimer>

namespace qlaude {

namespace {
QString number(qint64 n)
{
    return QLocale().toString(n);
}

} // namespace

StatusLine::StatusLine(QWidget *parent)
    : QWidget(parent), m_credential(new ElidingLabel(14, this)),
      m_shadow(new ElidingLabel(10, this)), m_note(new ElidingLabel(8, this)),
      m_usage(new ElidingLabel(18, this))
{
    setObjectName(QStringLiteral("statusLineWidget"));
    setAccessibleName(tr("Status"));
    m_credential->setObjectName(QStringLiteral("credentialSourceLabel"));
    m_credential->setAccessibleName(tr("Provider and credential"));
    m_shadow->setObjectName(QStringLiteral("credentialShadowLabel"));
    m_shadow->setAccessibleName(tr("Credential warning"));
    m_note->setObjectName(QStringLiteral("statusNoteLabel"));
    m_note->setAccessibleName(tr("Last action"));
    m_note->setForegroundRole(QPalette::PlaceholderText);
    m_usage->setObjectName(QStringLiteral("tokenUsageLabel"));
    m_usage->setAccessibleName(tr("Token usage"));
    for (QLabel *l : {m_shadow, m_note, m_usage})
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // On a narrow window the credential and its warning give way first (their hints are
    // ignored), then the token counts; each ends in "…" with the whole text in its tooltip, so
    // nothing is cut off at the window's edge. The short note ("Code copied") stays whole.
    m_credential->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_shadow->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_note->setSizePolicy(QSizePolicy::Minimum, QSizePolicy::Preferred);
    m_shadow->hide();
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 0, 8, 0);
    layout->setSpacing(12);
    layout->addWidget(m_credential, 1);
    layout->addWidget(m_shadow, 1);
    layout->addWidget(m_note);
    layout->addWidget(m_usage);
    setUsage(StoredUsage(), StoredUsage());
}

QString StatusLine::describeProvider(const AppServices &s)
{
    QString name;
    switch (s.resolution.provider) {
    case Provider::Anthropic:
        name = tr("Anthropic API");
        break;
    case Provider::Bedrock:
        name = tr("AWS Bedrock");
        break;
    case Provider::Vertex:
        name = tr("Google Vertex AI");
        break;
    case Provider::Foundry:
        name = tr("Microsoft Foundry");
        break;
    }
    if (s.client && s.resolution.provider == Provider::Anthropic) {
        const QUrl url = s.client->config().baseUrl;
        if (url.host() != QLatin1String("api.anthropic.com")) {
            const QString host = url.port() > 0
                                     ? QStringLiteral("%1:%2").arg(url.host()).arg(url.port())
                                     : url.host();
            name = tr("%1 at %2").arg(name, host);
        }
    }
    return name;
}

QString StatusLine::describeCredential(const AppServices &s)
{
    const Credential &c = s.resolution.credential;
    if (!c.isValid()) {
        if (s.keychainSnapshot.read && s.keychainSnapshot.state == KeychainState::Locked)
            return tr("Keychain locked");
        return tr("Not logged in");
    }
    const QString source = c.source;
    if (c.kind == CredentialKind::AwsSigV4) {
        const QString from = source.mid(4); // "aws:<source>"
        return from == QLatin1String("env") ? tr("AWS keys from the environment")
                                            : tr("AWS credentials from %1").arg(from);
    }
    if (c.kind == CredentialKind::GoogleAdc) {
        // "google:GOOGLE_APPLICATION_CREDENTIALS (service_account, /path/key.json)", "google:
        // gcloud application default credentials (/path)", "google:metadata server": short.
        const QString from = source.mid(7);
        if (from.startsWith(QLatin1String("GOOGLE_APPLICATION_CREDENTIALS (")) ||
            from.startsWith(QLatin1String("google_application_credentials ("))) {
            const QString inner = from.section(QLatin1Char('('), 1).chopped(1);
            const QString type = inner.section(QStringLiteral(", "), 0, 0);
            const QString file = QFileInfo(inner.section(QStringLiteral(", "), 1)).fileName();
            return tr("Google %1 key %2")
                .arg(QString(type).replace(QLatin1Char('_'), QLatin1Char(' ')), file);
        }
        if (from.startsWith(QLatin1String("gcloud")))
            return tr("Google credentials from gcloud");
        return tr("Google credentials from the %1").arg(from);
    }
    if (c.kind == CredentialKind::EntraId)
        return tr("Entra ID from %1").arg(source.mid(6)); // "azure:<source>"
    if (c.kind == CredentialKind::Skipped)
        return tr("No authentication sent (%1)").arg(source.mid(4));
    if (source == QLatin1String("keychain:cloud:aws-bearer-token"))
        return tr("Bedrock API key from keychain");
    if (source == QLatin1String("keychain:cloud:foundry-api-key"))
        return tr("Foundry API key from keychain");
    if (source.startsWith(QLatin1String("env:"))) {
        const QString var = source.mid(4);
        const QString where = s.context ? s.context->envSource(var) : QString();
        if (where.isEmpty() || where == QLatin1String("environment"))
            return tr("%1 from the environment").arg(var);
        return tr("%1 from %2").arg(var, where);
    }
    if (source == QLatin1String("apiKeyHelper"))
        return tr("Key from apiKeyHelper");
    if (source == QLatin1String("keychain:api-key"))
        return tr("API key from keychain");
    if (source == QLatin1String("keychain:bearer-token"))
        return tr("Bearer token from keychain");
    if (source == QLatin1String("keychain:oauth"))
        return c.kind == CredentialKind::Bearer ? tr("SSO token from keychain")
                                                : tr("Claude.ai login from keychain");
    return source;
}

void StatusLine::setServices(const AppServices &s)
{
    m_credential->setText(tr("%1 · %2").arg(describeProvider(s), describeCredential(s)));
    m_credential->setToolTip(m_credential->text());
    m_credential->setToolTip(s.resolution.summary);
    // A stored login that is not used, because something earlier in the order wins.
    QString shadowed;
    for (const SourceVerdict &v : s.resolution.considered) {
        if (v.status != SourceVerdict::Status::Shadowed ||
            !v.source.startsWith(QLatin1String("keychain:")))
            continue;
        shadowed = v.source == QLatin1String("keychain:oauth")
                       ? tr("overrides your stored Claude.ai login")
                       : tr("overrides the API key stored in your keychain");
        break;
    }
    if (shadowed.isEmpty() && !s.resolution.warnings.isEmpty())
        shadowed = s.resolution.warnings.first();
    m_shadow->setVisible(!shadowed.isEmpty());
    m_shadow->setText(shadowed);
    m_shadow->setToolTip(s.resolution.warnings.join(QLatin1Char('\n')));
    if (!shadowed.isEmpty())
        m_credential->setToolTip(s.resolution.warnings.join(QLatin1Char('\n')));
}

void StatusLine::setUsage(const StoredUsage &last, const StoredUsage &total)
{
    if (total.inputTokens == 0 && total.outputTokens == 0) {
        m_usage->setText(tr("No tokens used yet"));
        m_usage->setToolTip(QString());
        return;
    }
    m_usage->setText(tr("Last turn %1 in · %2 out · %3 cache read    Conversation %4 in · %5 out "
                        "· %6 cache read")
                         .arg(number(last.inputTokens), number(last.outputTokens),
                              number(last.cacheReadInputTokens), number(total.inputTokens),
                              number(total.outputTokens), number(total.cacheReadInputTokens)));
    m_usage->setToolTip(
        tr("Input tokens count the whole prompt of each turn. Cache writes: %1 "
           "last turn, %2 in the conversation.")
            .arg(number(last.cacheCreationInputTokens), number(total.cacheCreationInputTokens)));
}

void StatusLine::showNote(const QString &note)
{
    m_note->setText(note);
    if (!note.isEmpty())
        QTimer::singleShot(3000, m_note, [this, note] {
            if (m_note->text() == note)
                m_note->clear();
        });
}

QString StatusLine::credentialText() const
{
    return m_credential->text();
}

QString StatusLine::shadowText() const
{
    return m_shadow->isHidden() ? QString() : m_shadow->text();
}

QString StatusLine::usageText() const
{
    return m_usage->text();
}

} // namespace qlaude
