#include "CloudCredentialCheck.h"

#include "AuthContext.h"
#include "AuthResolver.h"
#include "AwsCredentialProvider.h"
#include "AzureCredentialProvider.h"
#include "FoundryConfig.h"
#include "GoogleCredentialProvider.h"
#include "NetworkSetup.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace qlaude {

QJsonObject CloudCredentialCheck::toJson() const
{
    if (!ran)
        return QJsonObject();
    QJsonObject o{{QStringLiteral("ok"), ok}, {QStringLiteral("elapsed_ms"), elapsedMs}};
    if (!source.isEmpty())
        o.insert(QStringLiteral("source"), source);
    if (expiresAt.isValid()) {
        o.insert(QStringLiteral("expires_at"), expiresAt.toUTC().toString(Qt::ISODate));
        o.insert(QStringLiteral("expires_in_s"),
                 QDateTime::currentDateTimeUtc().secsTo(expiresAt.toUTC()));
    }
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    return o;
}

QString CloudCredentialCheck::sentence() const
{
    if (!ran)
        return QString();
    if (!ok)
        return QStringLiteral("could not be fetched: %1").arg(error);
    QString s = QStringLiteral("fetched from %1 in %2 ms").arg(source).arg(elapsedMs);
    if (expiresAt.isValid()) {
        const qint64 minutes = QDateTime::currentDateTimeUtc().secsTo(expiresAt.toUTC()) / 60;
        s += QStringLiteral(", expires %1 (in %2 min)")
                 .arg(expiresAt.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'")))
                 .arg(minutes);
    } else {
        s += QStringLiteral(", no expiry");
    }
    return s;
}

namespace {
// Owns the provider for the length of one fetch and answers once: the fetch or the deadline.
struct CheckRun
{
    QPointer<QObject> receiver;
    std::function<void(const CloudCredentialCheck &)> done;
    std::unique_ptr<QObject> provider;
    QElapsedTimer timer;
    bool answered = false;

    void answer(CloudCredentialCheck check)
    {
        if (answered)
            return;
        answered = true;
        check.ran = true;
        check.elapsedMs = timer.elapsed();
        // Later, so the provider is not destroyed inside its own callback; releasing it also
        // ends the cycle of a provider holding the callback that holds it.
        if (provider)
            provider.release()->deleteLater();
        auto finish = done;
        QPointer<QObject> r = receiver;
        QTimer::singleShot(0, [finish, r, check] {
            if (r)
                finish(check);
        });
    }
};
} // namespace

void checkCloudCredential(const AuthContext &ctx, const Resolution &res, QObject *receiver,
                          int timeoutMs, std::function<void(const CloudCredentialCheck &)> done)
{
    const CredentialKind kind = res.credential.kind;
    if (kind != CredentialKind::AwsSigV4 && kind != CredentialKind::GoogleAdc &&
        kind != CredentialKind::EntraId) {
        QTimer::singleShot(0, receiver, [done] { done(CloudCredentialCheck()); });
        return;
    }
    auto run = std::make_shared<CheckRun>();
    run->receiver = receiver;
    run->done = std::move(done);
    run->timer.start();
    if (kind == CredentialKind::AwsSigV4) {
        AwsCredentialProvider::Config c = AwsCredentialProvider::configFrom(ctx);
        c.refreshCommand.clear();
        auto *p = new AwsCredentialProvider(c);
        run->provider.reset(p);
        p->get([run](const AwsCredentials &creds, const QString &error) {
            CloudCredentialCheck check;
            check.ok = creds.isValid();
            check.source = QStringLiteral("AWS credentials from %1").arg(creds.source);
            check.expiresAt = creds.expiration;
            check.error = error;
            run->answer(check);
        });
    } else if (kind == CredentialKind::GoogleAdc) {
        GoogleCredentialProvider::Config c = GoogleCredentialProvider::configFrom(ctx);
        c.refreshCommand.clear();
        auto *p = new GoogleCredentialProvider(c);
        run->provider.reset(p);
        p->get([run](const GoogleToken &token, const QString &error) {
            CloudCredentialCheck check;
            check.ok = token.isValid();
            check.source = QStringLiteral("a Google access token from %1").arg(token.source);
            check.expiresAt = token.expiresAt;
            check.error = error;
            run->answer(check);
        });
    } else {
        AzureCredentialProvider::Config c;
        c.environment = ctx.environment();
        c.network = NetworkSetup::fromContext(ctx);
        c.scope = FoundryConfig::fromContext(ctx).scope;
        c.keychainClientSecret = res.credential.clientSecret;
        auto *p = new AzureCredentialProvider(c);
        run->provider.reset(p);
        p->get([run](const AzureToken &token, const QString &error) {
            CloudCredentialCheck check;
            check.ok = token.isValid();
            check.source = QStringLiteral("a Microsoft Entra ID token from %1").arg(token.source);
            check.expiresAt = token.expiresAt;
            check.error = error;
            run->answer(check);
        });
    }
    QTimer::singleShot(timeoutMs, receiver, [run, timeoutMs] {
        CloudCredentialCheck check;
        check.error = QStringLiteral("no answer within %1 s").arg(timeoutMs / 1000);
        run->answer(check);
    });
}

} // namespace qlaude
