#include "TrustStore.h"

#include "AppPaths.h"
#include "Credential.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

#include <algorithm>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::TrustStore)
};
} // namespace

namespace {
// Settings whose value is a command the CLI runs (CLAUDE_CODE.md §2).
const char *const kCodeKeys[] = {"apiKeyHelper",   "awsAuthRefresh",    "awsCredentialExport",
                                 "gcpAuthRefresh", "otelHeadersHelper", "proxyAuthHelper",
                                 "statusLine",     "fileSuggestion",    "subagentStatusLine"};

// This run's trust for the home directory, which is never stored.
QSet<QString> &sessionTrust()
{
    static QSet<QString> set;
    return set;
}

QString commandText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isObject()) // statusLine: {"type": "command", "command": "..."}
        return v.toObject().value(QStringLiteral("command")).toString();
    return QString();
}

bool looksSecret(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(name).hasMatch();
}

QJsonObject readStore(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QJsonObject();
    return QJsonDocument::fromJson(f.readAll()).object();
}

bool writeStore(const QString &path, const QJsonObject &root, QString *error)
{
    // Qlaude's data folder is private, and so is this file (a list of the folders you trust).
    AppPaths::ensurePrivateDir(QFileInfo(path).absolutePath());
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error =
                Tr::tr("Cannot write the trust decisions to %1 (%2).").arg(path, f.errorString());
        return false;
    }
    f.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!f.commit()) {
        if (error)
            *error =
                Tr::tr("Cannot save the trust decisions to %1 (%2).").arg(path, f.errorString());
        return false;
    }
    AppPaths::makePrivate(path);
    return true;
}

QStringList changedFileList(const TrustState &st)
{
    QStringList files;
    for (const TrustItem &i : st.pending)
        files += i.changedFiles;
    return files;
}

QString parentOf(const QString &dir)
{
    if (dir == QLatin1String("/") || dir.isEmpty())
        return QString();
    const int slash = dir.lastIndexOf(QLatin1Char('/'));
    return slash <= 0 ? QStringLiteral("/") : dir.left(slash);
}
} // namespace

QString TrustItem::displayValue() const
{
    if (kind == Kind::Environment && looksSecret(key))
        return redactSecret(value);
    return value;
}

QString TrustItem::digest() const
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(kind == Kind::Command ? "command" : "env");
    h.addData(QByteArrayView("\0", 1));
    h.addData(key.toUtf8());
    h.addData(QByteArrayView("\0", 1));
    h.addData(value.toUtf8());
    for (const FileHash &f : files) {
        h.addData(QByteArrayView("\0", 1));
        h.addData(f.path.toUtf8());
        h.addData(QByteArrayView("=", 1));
        h.addData(f.sha256.toLatin1());
    }
    return QString::fromLatin1(h.result().toHex());
}

bool TrustState::commandChanged() const
{
    for (const TrustItem &i : pending) {
        if (!i.previousValue.isNull() || !i.changedFiles.isEmpty())
            return true;
    }
    return false;
}

TrustStore::TrustStore(const QString &filePath) : m_path(filePath) {}

QString TrustStore::defaultPath()
{
    return QDir(AppPaths::dataDir()).filePath(QStringLiteral("trust.json"));
}

bool TrustStore::isCodeRunningKey(const QString &key)
{
    for (const char *k : kCodeKeys) {
        if (key == QLatin1String(k))
            return true;
    }
    return false;
}

bool TrustStore::isSafeEnvVar(const QString &name)
{
    // The CLI's pre-trust safe list (CLAUDE_CODE.md §3), narrowed: an untrusted folder can
    // change nothing about where a request goes, what credential or headers it carries, or what
    // runs. So ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL, the proxy variables
    // and ANTHROPIC_CUSTOM_HEADERS wait for trust (as in the CLI, or stricter for the headers),
    // and so do the variables the CLI lets through that choose a provider, a region, a profile,
    // a key or a header: CLAUDE_CODE_USE_*, CLAUDE_CODE_SKIP_*_AUTH, AWS_REGION,
    // AWS_DEFAULT_REGION, AWS_PROFILE, ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION,
    // ANTHROPIC_FOUNDRY_API_KEY and ANTHROPIC_BEDROCK_SERVICE_TIER. Model choices and feature
    // switches apply at once.
    static const QSet<QString> exact = {
        QStringLiteral("ANTHROPIC_MODEL"),
        QStringLiteral("ANTHROPIC_SMALL_FAST_MODEL"),
        QStringLiteral("CLAUDE_CODE_API_KEY_HELPER_TTL_MS"),
        QStringLiteral("CLAUDE_CODE_SUBAGENT_MODEL"),
        QStringLiteral("MAX_THINKING_TOKENS"),
    };
    if (exact.contains(name))
        return true;
    static const QRegularExpression patterns(
        QStringLiteral("^(ANTHROPIC_DEFAULT_(OPUS|SONNET|HAIKU|FABLE)_MODEL.*"
                       "|DISABLE_.*|OTEL_.*)$"));
    return patterns.match(name).hasMatch();
}

QList<TrustItem::FileHash> TrustStore::filesNamedBy(const QString &command,
                                                    const QString &workspace)
{
    constexpr int kMaxFiles = 16;
    constexpr qint64 kMaxSize = 16 * 1024 * 1024;
    QList<TrustItem::FileHash> out;
    const QString root = AppPaths::canonicalDir(workspace);
    if (root.isEmpty())
        return out;
    // Words of the command line as the shell splits them (blanks and operators; quotes and
    // backslashes removed); for NAME=value words the value counts too.
    QStringList words;
    QString word;
    bool inWord = false;
    QChar quote;
    const auto endWord = [&] {
        if (inWord) {
            words << word;
            const int eq = word.indexOf(QLatin1Char('='));
            if (eq > 0 && eq + 1 < word.size())
                words << word.mid(eq + 1);
        }
        word.clear();
        inWord = false;
    };
    for (int i = 0; i < command.size(); ++i) {
        const QChar c = command.at(i);
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
            else if (c == QLatin1Char('\\') && quote == QLatin1Char('"') && i + 1 < command.size())
                word += command.at(++i);
            else
                word += c;
        } else if (c == QLatin1Char('\'') || c == QLatin1Char('"')) {
            quote = c;
            inWord = true;
        } else if (c == QLatin1Char('\\') && i + 1 < command.size()) {
            word += command.at(++i);
            inWord = true;
        } else if (c.isSpace() || QStringLiteral(";&|()<>`").contains(c)) {
            endWord();
        } else {
            word += c;
            inWord = true;
        }
    }
    endWord();
    for (const QString &w : qAsConst(words)) {
        if (out.size() >= kMaxFiles)
            break;
        const QString candidate = QDir::isAbsolutePath(w) ? w : QDir(root).filePath(w);
        const QFileInfo fi(candidate); // follows symlinks
        if (!fi.exists() || !fi.isFile() || fi.size() > kMaxSize)
            continue;
        const QString canonical = fi.canonicalFilePath();
        if (!canonical.startsWith(root + QLatin1Char('/')))
            continue;
        bool seen = false;
        for (const TrustItem::FileHash &f : qAsConst(out))
            seen = seen || f.path == canonical;
        if (seen)
            continue;
        QFile file(canonical);
        if (!QFileInfo(canonical).isFile() || !file.open(QIODevice::ReadOnly))
            continue;
        QCryptographicHash h(QCryptographicHash::Sha256);
        if (!h.addData(&file))
            continue;
        out.append({canonical, QString::fromLatin1(h.result().toHex())});
    }
    return out;
}

QList<TrustItem> TrustStore::itemsFor(const SettingsLayers &settings)
{
    QList<TrustItem> items;
    const QList<SettingsFile> &files = settings.files();
    // A command runs from the workspace only when no later layer (--settings, managed)
    // overrides it; the last workspace file that sets it is the one that would run.
    for (const char *k : kCodeKeys) {
        const QString key = QLatin1String(k);
        const SettingsFile *src = settings.sourceOf(key);
        if (!src || !isWorkspaceScope(src->scope))
            continue;
        const QString cmd = commandText(src->data.value(key));
        if (cmd.trimmed().isEmpty())
            continue;
        TrustItem item{TrustItem::Kind::Command, key, src->path, cmd, QString(), {}, {}};
        // <workspace>/.claude/settings.json: the workspace is two levels up.
        const QString workspace = QFileInfo(QFileInfo(src->path).absolutePath()).absolutePath();
        item.files = filesNamedBy(cmd, workspace);
        items.append(item);
    }
    QSet<QString> seen;
    for (auto it = files.crbegin(); it != files.crend(); ++it) {
        const QJsonObject env = it->data.value(QStringLiteral("env")).toObject();
        for (auto e = env.begin(); e != env.end(); ++e) {
            if (seen.contains(e.key()))
                continue;
            seen.insert(e.key());
            if (!isWorkspaceScope(it->scope) || isSafeEnvVar(e.key()))
                continue;
            items.append({TrustItem::Kind::Environment,
                          e.key(),
                          it->path,
                          settingsEnvValue(e.value()),
                          QString(),
                          {},
                          {}});
        }
    }
    return items;
}

TrustState TrustStore::evaluate(const QString &workspace, const SettingsLayers &settings) const
{
    TrustState st;
    st.workspace = AppPaths::canonicalDir(workspace);
    st.homeDirectory = st.workspace == AppPaths::canonicalDir(QDir::homePath());
    st.items = itemsFor(settings);

    QSet<QString> approved;
    QSet<QString> declined;                                // digests the user chose not to trust
    QHash<QString, QString> approvedCommands;              // key -> command text approved before
    QHash<QString, QHash<QString, QString>> approvedFiles; // key -> path -> sha256
    if (st.homeDirectory) {
        const QString prefix = st.workspace + QStringLiteral("\ndeclined\n");
        for (const QString &entry : qAsConst(sessionTrust()))
            if (entry.startsWith(prefix))
                declined.insert(entry.mid(prefix.size()));
    }
    if (st.homeDirectory && sessionTrust().contains(st.workspace)) {
        st.folderTrusted = true;
        st.decisionPath = st.workspace;
    } else if (!st.homeDirectory) {
        const QJsonObject decisions =
            readStore(m_path).value(QStringLiteral("workspaces")).toObject();
        for (QString dir = st.workspace; !dir.isEmpty(); dir = parentOf(dir)) {
            const QJsonObject d = decisions.value(dir).toObject();
            if (dir == st.workspace && d.contains(QStringLiteral("declined"))) {
                // "Don't trust" for this very folder: no parent's trust applies to it.
                for (const QJsonValue &v : d.value(QStringLiteral("declined")).toArray())
                    declined.insert(v.toString());
                break;
            }
            if (!d.value(QStringLiteral("trusted")).toBool())
                continue;
            st.folderTrusted = true;
            st.decisionPath = dir;
            if (dir == st.workspace) {
                for (const QJsonValue &v : d.value(QStringLiteral("approved")).toArray()) {
                    const QJsonObject a = v.toObject();
                    approved.insert(a.value(QStringLiteral("digest")).toString());
                    if (a.value(QStringLiteral("kind")).toString() != QLatin1String("command"))
                        continue;
                    const QString key = a.value(QStringLiteral("key")).toString();
                    approvedCommands.insert(key, a.value(QStringLiteral("value")).toString());
                    QHash<QString, QString> &hashes = approvedFiles[key];
                    for (const QJsonValue &fv : a.value(QStringLiteral("files")).toArray())
                        hashes.insert(fv.toObject().value(QStringLiteral("path")).toString(),
                                      fv.toObject().value(QStringLiteral("sha256")).toString());
                }
            }
            break;
        }
    }
    for (TrustItem item : qAsConst(st.items)) {
        if (approved.contains(item.digest()))
            continue;
        if (st.homeDirectory &&
            sessionTrust().contains(st.workspace + QLatin1Char('\n') + item.digest()))
            continue;
        if (item.kind == TrustItem::Kind::Command && approvedCommands.contains(item.key)) {
            const QString before = approvedCommands.value(item.key);
            if (before != item.value) {
                item.previousValue = before;
            } else {
                // Same text: one of the files it runs changed, appeared or went away.
                const QHash<QString, QString> &was = approvedFiles.value(item.key);
                QSet<QString> now;
                for (const TrustItem::FileHash &f : qAsConst(item.files)) {
                    now.insert(f.path);
                    if (was.value(f.path) != f.sha256)
                        item.changedFiles << f.path;
                }
                for (auto it = was.begin(); it != was.end(); ++it) {
                    if (!now.contains(it.key()))
                        item.changedFiles << it.key();
                }
            }
        }
        st.pending.append(item);
    }
    st.trusted = st.folderTrusted && st.pending.isEmpty();
    st.declined =
        !st.trusted && !st.pending.isEmpty() &&
        std::all_of(st.pending.begin(), st.pending.end(),
                    [&declined](const TrustItem &i) { return declined.contains(i.digest()); });

    if (st.items.isEmpty()) {
        st.explanation = st.folderTrusted
                             ? Tr::tr("This folder is trusted; its settings run no commands.")
                             : Tr::tr("This folder's settings run no commands, so no "
                                      "trust is needed.");
    } else if (st.declined) {
        st.explanation = Tr::tr("You chose not to trust this folder: its settings' "
                                "commands and variables are ignored. To change that, use "
                                "File > Trust This Folder, or qlaude --trust.");
    } else if (st.trusted) {
        st.explanation = Tr::tr("This folder is trusted (decision for %1); its commands "
                                "were approved exactly as they are now.")
                             .arg(st.decisionPath);
    } else if (st.commandChanged() && !changedFileList(st).isEmpty()) {
        st.explanation = Tr::tr("A file that a command in this folder's settings runs "
                                "changed since it was approved (%1). The command will not "
                                "run until you trust the folder again (qlaude --trust).")
                             .arg(changedFileList(st).join(QStringLiteral(", ")));
    } else if (st.commandChanged()) {
        st.explanation = Tr::tr("A command in this folder's settings changed since it was "
                                "approved. It will not run until you trust the folder "
                                "again (qlaude --trust).");
    } else if (st.folderTrusted) {
        st.explanation = Tr::tr("The folder is trusted through %1, but these settings were "
                                "never approved. They will not run until you trust this "
                                "folder (qlaude --trust).")
                             .arg(st.decisionPath);
    } else {
        st.explanation = Tr::tr("This folder is not trusted. Its settings would run "
                                "commands or change where your credentials go; they are "
                                "ignored until you trust the folder (qlaude --trust).");
    }
    return st;
}

bool TrustStore::trust(const TrustState &state, QString *error)
{
    if (state.homeDirectory) {
        sessionTrust().insert(state.workspace);
        for (const TrustItem &i : state.items)
            sessionTrust().insert(state.workspace + QLatin1Char('\n') + i.digest());
        return true;
    }
    QJsonObject root = readStore(m_path);
    QJsonObject decisions = root.value(QStringLiteral("workspaces")).toObject();
    QJsonArray approved;
    for (const TrustItem &i : state.items) {
        QJsonObject a{{QStringLiteral("kind"), i.kind == TrustItem::Kind::Command
                                                   ? QStringLiteral("command")
                                                   : QStringLiteral("env")},
                      {QStringLiteral("key"), i.key},
                      {QStringLiteral("file"), i.file},
                      {QStringLiteral("digest"), i.digest()}};
        // Commands are kept so a changed one can be shown beside the new text; environment
        // values are not (they may be secrets): their digest is enough.
        if (i.kind == TrustItem::Kind::Command) {
            a.insert(QStringLiteral("value"), i.value);
            QJsonArray files;
            for (const TrustItem::FileHash &f : i.files)
                files.append(QJsonObject{{QStringLiteral("path"), f.path},
                                         {QStringLiteral("sha256"), f.sha256}});
            if (!files.isEmpty())
                a.insert(QStringLiteral("files"), files);
        }
        approved.append(a);
    }
    decisions.insert(state.workspace,
                     QJsonObject{{QStringLiteral("trusted"), true},
                                 {QStringLiteral("approvedAt"),
                                  QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                                 {QStringLiteral("approved"), approved}});
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("workspaces"), decisions);
    return writeStore(m_path, root, error);
}

bool TrustStore::untrust(const QString &workspace, QString *error)
{
    const QString ws = AppPaths::canonicalDir(workspace);
    for (auto it = sessionTrust().begin(); it != sessionTrust().end();) {
        if (*it == ws || it->startsWith(ws + QLatin1Char('\n')))
            it = sessionTrust().erase(it);
        else
            ++it;
    }
    QJsonObject root = readStore(m_path);
    QJsonObject decisions = root.value(QStringLiteral("workspaces")).toObject();
    if (!decisions.contains(ws))
        return true;
    decisions.remove(ws);
    root.insert(QStringLiteral("workspaces"), decisions);
    return writeStore(m_path, root, error);
}

bool TrustStore::decline(const TrustState &state, QString *error)
{
    if (state.homeDirectory) {
        for (const TrustItem &i : state.pending)
            sessionTrust().insert(state.workspace + QStringLiteral("\ndeclined\n") + i.digest());
        return true;
    }
    QJsonObject root = readStore(m_path);
    QJsonObject decisions = root.value(QStringLiteral("workspaces")).toObject();
    QJsonArray digests;
    for (const TrustItem &i : state.pending)
        digests.append(i.digest());
    decisions.insert(state.workspace,
                     QJsonObject{{QStringLiteral("trusted"), false},
                                 {QStringLiteral("declinedAt"),
                                  QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                                 {QStringLiteral("declined"), digests}});
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("workspaces"), decisions);
    return writeStore(m_path, root, error);
}

void TrustStore::clearSessionTrust()
{
    sessionTrust().clear();
}

} // namespace qlaude
