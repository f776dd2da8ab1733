#include "ConnectionCommands.h"

#include "AppPaths.h"
#include "CliCommands.h"
#include "Connections.h"
#include "KeychainStore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ConnectionCommands)
};

// One stream each for every command-line mode, so their lines keep their order.
constexpr auto out = cliOut;
constexpr auto err = cliErr;

ConnectionStore storeFor(const ConnectionCommands::Paths &paths)
{
    return ConnectionStore(paths.connections, paths.bindings);
}

bool loadStore(ConnectionStore *store)
{
    if (store->load())
        return true;
    err() << "qlaude: " << store->errorString() << "\n";
    return false;
}

// Which of a connection's keychain entries exist. The secrets are read (the Secret Service has
// no "exists") and dropped at once; only the entry names leave this function.
QStringList storedEntries(KeychainStore *keychain, const QString &prefix)
{
    QStringList found;
    keychain->setKeyPrefix(prefix);
    for (const auto &entry : ConnectionStore::secretEntries()) {
        KeychainResult r = keychain->readSync(entry.first);
        if (r.ok())
            found << entry.first;
        r.data.fill(QLatin1Char('\0'));
    }
    return found;
}
} // namespace

namespace ConnectionCommands {

int list(const Paths &paths, bool json)
{
    ConnectionStore store = storeFor(paths);
    if (!loadStore(&store))
        return 1;
    KeychainStore keychain;
    QString keychainMessage;
    const bool keychainUp = keychain.probeSync(&keychainMessage) == KeychainState::Available;

    QJsonArray rows;
    QJsonObject builtIn;
    builtIn.insert(QStringLiteral("name"), QString());
    builtIn.insert(QStringLiteral("title"), Tr::tr("From your settings"));
    builtIn.insert(QStringLiteral("provider"), QStringLiteral("settings"));
    builtIn.insert(QStringLiteral("account"),
                   Tr::tr("Claude Code's settings files, the environment and the keychain"));
    builtIn.insert(QStringLiteral("builtin"), true);
    rows.append(builtIn);
    for (const Connection &c : store.connections()) {
        QJsonObject row;
        row.insert(QStringLiteral("name"), c.name);
        row.insert(QStringLiteral("provider"), c.provider);
        row.insert(QStringLiteral("account"), c.accountHint());
        row.insert(QStringLiteral("settings"), c.settings);
        row.insert(QStringLiteral("keychain_prefix"), c.keychainPrefix());
        if (keychainUp)
            row.insert(QStringLiteral("stored"),
                       QJsonArray::fromStringList(storedEntries(&keychain, c.keychainPrefix())));
        row.insert(QStringLiteral("workspaces"),
                   QJsonArray::fromStringList(store.workspacesBoundTo(c.name)));
        rows.append(row);
    }
    if (json) {
        QJsonObject root;
        root.insert(QStringLiteral("connections"), rows);
        root.insert(QStringLiteral("file"), store.path());
        root.insert(QStringLiteral("keychain"),
                    keychainUp ? QStringLiteral("available") : keychainMessage);
        out() << QJsonDocument(root).toJson(QJsonDocument::Indented);
        return 0;
    }
    out() << Tr::tr("Connections (%1):").arg(store.path()) << "\n";
    for (const QJsonValue &v : qAsConst(rows)) {
        const QJsonObject row = v.toObject();
        if (row.value(QStringLiteral("builtin")).toBool()) {
            out() << "  " << Tr::tr("(built-in) From your settings") << "\n      "
                  << row.value(QStringLiteral("account")).toString() << "\n";
            continue;
        }
        out() << "  " << row.value(QStringLiteral("name")).toString() << "\n      "
              << row.value(QStringLiteral("account")).toString() << "\n      ";
        if (!keychainUp) {
            out() << Tr::tr("keychain: not read (%1)").arg(keychainMessage) << "\n";
        } else {
            QStringList stored;
            for (const QJsonValue &e : row.value(QStringLiteral("stored")).toArray())
                stored << e.toString();
            out() << (stored.isEmpty()
                          ? Tr::tr("keychain: nothing stored")
                          : Tr::tr("keychain: %1").arg(stored.join(QStringLiteral(", "))))
                  << "\n";
        }
        const QJsonArray ws = row.value(QStringLiteral("workspaces")).toArray();
        for (const QJsonValue &w : ws)
            out() << "      " << Tr::tr("used by %1").arg(w.toString()) << "\n";
    }
    if (store.connections().isEmpty())
        out() << Tr::tr("No named connections yet. Add one with: qlaude --add-connection NAME "
                        "--settings '{\"provider\":\"anthropic\",\"env\":{\"ANTHROPIC_BASE_URL\":"
                        "\"https://...\"}}'")
              << "\n";
    return 0;
}

int add(const Paths &paths, const QString &name, const QString &settings)
{
    QString why;
    if (!ConnectionStore::isValidName(name, &why)) {
        err() << "qlaude: "
              << Tr::tr("\"%1\" cannot be a connection name: %2.").arg(name.left(64), why) << "\n";
        return 2;
    }
    if (settings.trimmed().isEmpty()) {
        err() << "qlaude: "
              << Tr::tr("--add-connection needs --settings with a JSON file or inline JSON, "
                        "e.g. --settings '{\"provider\":\"bedrock\",\"env\":{\"AWS_REGION\":"
                        "\"eu-west-1\"}}'.")
              << "\n";
        return 2;
    }
    QByteArray text;
    QString source;
    const QString trimmed = settings.trimmed();
    if (trimmed.startsWith(QLatin1Char('{'))) {
        text = trimmed.toUtf8();
        source = QStringLiteral("--settings (inline JSON)");
    } else {
        source = QFileInfo(trimmed).absoluteFilePath();
        const QString readError = SettingsLayers::readFile(source, &text);
        if (!readError.isEmpty()) {
            err() << "qlaude: " << readError << "\n";
            return 2;
        }
    }
    QString parseError;
    const QJsonObject json = SettingsLayers::parseJson(text, source, &parseError);
    if (!parseError.isEmpty()) {
        err() << "qlaude: " << parseError << "\n";
        return 2;
    }
    Connection c;
    if (!ConnectionStore::fromSettingsJson(name, json, &c, &why)) {
        err() << "qlaude: " << Tr::tr("The connection \"%1\" was not saved: %2").arg(name, why)
              << "\n";
        return 2;
    }
    ConnectionStore store = storeFor(paths);
    if (!loadStore(&store))
        return 1;
    const bool existed = store.find(name) != nullptr;
    if (!store.upsert(c, &why)) {
        err() << "qlaude: " << why << "\n";
        return 1;
    }
    out() << (existed ? Tr::tr("Updated the connection \"%1\": %2.")
                      : Tr::tr("Added the connection \"%1\": %2."))
                 .arg(name, c.accountHint())
          << "\n";
    out() << Tr::tr("Store its credential with: qlaude --connection %1 --login=api-key (or "
                    "--login=oauth), or in the app under Settings > Connections.")
                 .arg(name)
          << "\n";
    return 0;
}

int remove(const Paths &paths, const QString &name)
{
    ConnectionStore store = storeFor(paths);
    if (!loadStore(&store))
        return 1;
    if (!store.find(name)) {
        err() << "qlaude: "
              << Tr::tr("There is no connection named \"%1\". See qlaude --connections.")
                     .arg(name.left(64))
              << "\n";
        return 2;
    }
    // The keychain first: a connection whose secrets could not be removed stays listed, so
    // --remove-connection can be run again; nothing is left behind unnamed.
    KeychainStore keychain;
    keychain.setKeyPrefix(Connection::keychainPrefixFor(name));
    QString keychainMessage;
    if (keychain.probeSync(&keychainMessage) != KeychainState::Available) {
        err() << "qlaude: "
              << Tr::tr("The connection \"%1\" was not removed: its keychain entries cannot be "
                        "removed now. %2")
                     .arg(name, keychainMessage)
              << "\n";
        return 1;
    }
    QStringList removed;
    for (const auto &entry : ConnectionStore::secretEntries()) {
        KeychainResult before = keychain.readSync(entry.first);
        before.data.fill(QLatin1Char('\0'));
        if (before.status == KeychainResult::Status::NotFound)
            continue;
        const KeychainResult r = keychain.removeSync(entry.first);
        if (!r.ok() && r.status != KeychainResult::Status::NotFound) {
            err() << "qlaude: "
                  << Tr::tr("The connection \"%1\" was not removed: %2 (%3%4) could not be "
                            "removed from the keychain. %5")
                         .arg(name, entry.second, keychain.keyPrefix(), entry.first, r.message)
                  << "\n";
            return 1;
        }
        removed << QStringLiteral("%1 (%2%3)").arg(entry.second, keychain.keyPrefix(), entry.first);
    }
    const QStringList workspaces = store.workspacesBoundTo(name);
    QString why;
    if (!store.remove(name, &why)) {
        err() << "qlaude: " << why << "\n";
        return 1;
    }
    out() << Tr::tr("Removed the connection \"%1\".").arg(name) << "\n";
    if (removed.isEmpty())
        out() << Tr::tr("It had nothing in the keychain.") << "\n";
    for (const QString &r : qAsConst(removed))
        out() << Tr::tr("Removed from the keychain: %1").arg(r) << "\n";
    for (const QString &w : workspaces)
        out() << Tr::tr("%1 now uses \"From your settings\".").arg(w) << "\n";
    return 0;
}

int use(const Paths &paths, const QString &workspace, const QString &name)
{
    ConnectionStore store = storeFor(paths);
    if (!loadStore(&store))
        return 1;
    const QString dir = AppPaths::canonicalDir(workspace);
    QString why;
    if (!store.bind(dir, name, &why)) {
        err() << "qlaude: " << why << "\n";
        return name.isEmpty() || store.find(name) ? 1 : 2;
    }
    if (name.isEmpty())
        out() << Tr::tr("%1 uses \"From your settings\" again.").arg(dir) << "\n";
    else
        out() << Tr::tr("%1 now uses the connection \"%2\" (%3).")
                     .arg(dir, name, store.find(name)->accountHint())
              << "\n";
    return 0;
}

} // namespace ConnectionCommands
} // namespace qlaude
