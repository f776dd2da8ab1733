#include "PrintCommand.h"

#include "AuthResolver.h"
#include "AuthorizerFactory.h"
#include "ChatSession.h"
#include "CliCommands.h"
#include "ConversationStore.h"
#include "HelperProcess.h"
#include "ModelSelection.h"
#include "NetworkAccess.h"
#include "ProviderFactory.h"
#include "SignalWatcher.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::PrintCommand)
};

constexpr int kDefaultMaxTokens = 8192;

// Standard output, coalesced: what the deltas of one event-loop pass (one network read) add is
// written with one system call when control returns to the event loop, so a terminal still
// sees the answer as it streams, without a write per delta.
class Output
{
public:
    static Output &instance()
    {
        static Output output;
        return output;
    }
    void append(QByteArrayView bytes)
    {
        m_buffer.append(bytes);
        appended();
    }
    // For writers that fill buffer() themselves: flushes a full buffer, or schedules the flush.
    QByteArray &buffer() { return m_buffer; }
    void appended()
    {
        if (m_buffer.size() >= kFlushAt)
            flush();
        else if (!m_scheduled)
            schedule();
    }
    void flush()
    {
        if (!m_buffer.isEmpty()) {
            std::fwrite(m_buffer.constData(), 1, size_t(m_buffer.size()), stdout);
            m_buffer.resize(0); // keeps its capacity for the next pass
        }
        std::fflush(stdout);
    }

private:
    static constexpr qsizetype kFlushAt = 256 * 1024;
    void schedule()
    {
        m_scheduled = true;
        QTimer::singleShot(0, QCoreApplication::instance(), [this] {
            m_scheduled = false;
            flush();
        });
    }
    QByteArray m_buffer;
    bool m_scheduled = false;
};

void writeOut(QByteArrayView bytes)
{
    Output::instance().append(bytes);
}

void writeLine(const QJsonObject &o)
{
    const QByteArray line = QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
    writeOut(line);
}

// A JSON string literal, escaped as QJsonDocument writes it, appended to `out`.
void appendJsonString(QByteArray &out, QStringView text)
{
    static const char hex[] = "0123456789abcdef";
    const QByteArray utf8 = text.toUtf8();
    out.append('"');
    const char *p = utf8.constData();
    const char *end = p + utf8.size();
    const char *run = p; // start of the bytes copied as they are
    for (; p < end; ++p) {
        const uchar c = uchar(*p);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(run, p - run);
        run = p + 1;
        out.append('\\');
        switch (c) {
        case '"':
            out.append('"');
            break;
        case '\\':
            out.append('\\');
            break;
        case '\b':
            out.append('b');
            break;
        case '\f':
            out.append('f');
            break;
        case '\n':
            out.append('n');
            break;
        case '\r':
            out.append('r');
            break;
        case '\t':
            out.append('t');
            break;
        default:
            out.append("u00", 3);
            out.append(hex[c >> 4]);
            out.append(hex[c & 0xf]);
        }
    }
    out.append(run, end - run);
    out.append('"');
}

// {"index":N,"<field>":"...","type":"<type>"}: a delta line of stream-json, written directly
// (keys in QJsonDocument's order) instead of through a QJsonObject per delta.
void writeDeltaLine(const char *type, const char *field, int index, const QString &text)
{
    Output &output = Output::instance();
    QByteArray &out = output.buffer();
    out.append("{\"index\":");
    out.append(QByteArray::number(index));
    out.append(",\"");
    out.append(field);
    out.append("\":");
    appendJsonString(out, text);
    out.append(",\"type\":\"");
    out.append(type);
    out.append("\"}\n");
    output.appended();
}

void writeErr(const QString &text)
{
    Output::instance().flush(); // what came before goes first
    const QByteArray b = text.toUtf8();
    std::fwrite(b.constData(), 1, size_t(b.size()), stderr);
    std::fflush(stderr);
}

// Resolves the credential; on failure prints why and what to do, and returns nullptr.
std::unique_ptr<Authorizer> authorizerFor(const AuthContext &ctx, Resolution *resolution)
{
    KeychainSnapshot kc;
    if (!ctx.isBare()) {
        KeychainStore store;
        store.setKeyPrefix(ctx.keychainPrefix());
        kc = KeychainSnapshot::loadSync(&store);
    }
    const Resolution res = AuthResolver::resolve(ctx, kc);
    *resolution = res;
    if (!res.usable()) {
        writeErr(QStringLiteral("qlaude: %1\n").arg(res.summary));
        for (const QString &p : res.problems)
            writeErr(QStringLiteral("  %1\n").arg(p));
        if (!ctx.trust().trusted && !ctx.trust().pending.isEmpty())
            writeErr(QStringLiteral("  %1\n").arg(ctx.trust().explanation));
        return nullptr;
    }
    for (const QString &w : res.warnings)
        writeErr(QStringLiteral("qlaude: note: %1\n").arg(w));
    QString warning;
    auto auth = makeAuthorizer(ctx, res, &warning);
    if (!warning.isEmpty())
        writeErr(QStringLiteral("qlaude: note: %1\n").arg(warning));
    return auth;
}

// The selected provider's client on `nam` (given the environment's proxy), or null after
// saying why on stderr.
std::unique_ptr<ProviderClient> clientFor(const AuthContext &ctx, const Resolution &resolution,
                                          Authorizer *authorizer, NetworkAccess *nam)
{
    nam->setSetup(NetworkSetup::fromContext(ctx));
    QString error;
    std::unique_ptr<ProviderClient> client =
        makeProviderClient(ctx, resolution, authorizer, nam, &error);
    if (!client)
        writeErr(QStringLiteral("qlaude: %1\n").arg(error));
    return client;
}

bool checkConfig(const AuthContext &ctx)
{
    // A file named with --settings must work; a broken file in another layer is skipped, with
    // one line each, so the answer does not silently come from other settings.
    if (const SettingsFile *flag = ctx.settings().brokenFlagFile()) {
        writeErr(QStringLiteral("qlaude: %1\n  %2\n")
                     .arg(flag->error,
                          Tr::tr("Fix the file given with --settings, or leave the option out.")));
        return false;
    }
    for (const QString &problem : ctx.settings().problems())
        writeErr(QStringLiteral("qlaude: %1\n").arg(Tr::tr("warning: %1").arg(problem)));
    const RequestOptions ro = ctx.requestOptions();
    for (const QString &e : ro.errors)
        writeErr(QStringLiteral("qlaude: %1\n").arg(Tr::tr("note: %1").arg(e)));
    if (ctx.provider() != Provider::Anthropic)
        return true;
    const QString base = ctx.env(QStringLiteral("ANTHROPIC_BASE_URL")).trimmed();
    if (!base.isEmpty()) {
        const QUrl u(base);
        if (!u.isValid() ||
            (u.scheme() != QLatin1String("https") && u.scheme() != QLatin1String("http"))) {
            writeErr(QStringLiteral("qlaude: %1\n")
                         .arg(Tr::tr("ANTHROPIC_BASE_URL (%1) is not an http(s) URL.").arg(base)));
            return false;
        }
    }
    return true;
}
} // namespace

int runPrint(const AuthContext &ctx, PrintOptions opts)
{
    const QString format = opts.outputFormat;
    if (format != QLatin1String("text") && format != QLatin1String("json") &&
        format != QLatin1String("stream-json")) {
        writeErr(QStringLiteral("qlaude: %1\n")
                     .arg(Tr::tr("--output-format must be text, json or stream-json.")));
        return 2;
    }
    if (opts.prompt.isEmpty() && !stdinIsTerminal()) {
        QFile in;
        if (in.open(stdin, QIODevice::ReadOnly))
            opts.prompt = QString::fromUtf8(in.readAll());
    }
    if (opts.prompt.trimmed().isEmpty()) {
        writeErr(QStringLiteral("qlaude: %1\n")
                     .arg(Tr::tr("--print needs a prompt: qlaude --print \"question\", or pipe it "
                                 "on stdin.")));
        return 2;
    }
    if (!checkConfig(ctx))
        return 2;
    Resolution resolution;
    std::unique_ptr<Authorizer> auth = authorizerFor(ctx, &resolution);
    if (!auth)
        return 2;

    std::unique_ptr<ConversationStore> store;
    if (opts.continueLast || opts.conversationId) {
        store = std::make_unique<ConversationStore>();
        if (!store->open()) {
            writeErr(QStringLiteral("qlaude: %1\n").arg(store->errorString()));
            return 2;
        }
    }
    NetworkAccess nam;
    std::unique_ptr<ProviderClient> client = clientFor(ctx, resolution, auth.get(), &nam);
    if (!client)
        return 2;
    QObject::connect(
        client.get(), &ProviderClient::credentialProgress, client.get(),
        [](const QString &line) { writeErr(QStringLiteral("qlaude: %1\n").arg(line)); });
    ChatSession session(client.get(), store.get());
    qint64 conversation = opts.conversationId;
    if (opts.continueLast && !conversation) {
        const QList<StoredConversation> all = store->conversations();
        if (!all.isEmpty())
            conversation = all.first().id;
    }
    if (conversation && !session.openConversation(conversation)) {
        writeErr(QStringLiteral("qlaude: %1\n").arg(session.errorString()));
        return 2;
    }
    ChatSession::Settings s = session.settings();
    if (s.model.isEmpty() || !opts.model.isEmpty())
        s.model = ModelSelection::choose(opts.model, ctx).model;
    if (!opts.system.isEmpty())
        s.systemPrompt = opts.system;
    if (opts.maxTokens > 0)
        s.maxTokens = opts.maxTokens;
    else if (s.maxTokens <= 0)
        s.maxTokens = kDefaultMaxTokens;
    session.setSettings(s);

    const bool text = format == QLatin1String("text");
    const bool streamJson = format == QLatin1String("stream-json");
    int exitCode = 1;
    int signalExit = 0;
    QCoreApplication *app = QCoreApplication::instance();
    if (text) {
        QObject::connect(&session, &ChatSession::textDelta, app, [](qint64, int, const QString &t) {
            QByteArray &out = Output::instance().buffer();
            out.append(t.toUtf8());
            Output::instance().appended();
        });
    } else if (streamJson) {
        QObject::connect(&session, &ChatSession::textDelta, app,
                         [](qint64, int index, const QString &t) {
                             writeDeltaLine("text_delta", "text", index, t);
                         });
    }
    if (streamJson) {
        QObject::connect(&session, &ChatSession::thinkingDelta, app,
                         [](qint64, int index, const QString &t) {
                             writeDeltaLine("thinking_delta", "thinking", index, t);
                         });
        QObject::connect(&session, &ChatSession::blockStarted, app,
                         [](qint64, int index, const ContentBlock &b) {
                             writeLine({{"type", "content_block_start"},
                                        {"index", index},
                                        {"content_block", b.toJson()}});
                         });
        QObject::connect(&session, &ChatSession::usageUpdated, app, [](qint64, const Usage &u) {
            writeLine({{"type", "usage"}, {"usage", u.toJson()}});
        });
    }
    QObject::connect(&session, &ChatSession::retrying, app,
                     [streamJson](int retry, qint64 delayMs, const ApiError &why) {
                         if (streamJson)
                             writeLine({{"type", "retry"},
                                        {"attempt", retry},
                                        {"delay_ms", delayMs},
                                        {"error", why.userMessage()}});
                         else
                             writeErr(QStringLiteral("qlaude: %1\n")
                                          .arg(Tr::tr("%1; retrying in %2 s (retry %3).")
                                                   .arg(why.shortDescription())
                                                   .arg(delayMs / 1000.0, 0, 'f', 1)
                                                   .arg(retry)));
                     });
    QObject::connect(
        &session, &ChatSession::turnFinished, app,
        [&](qint64 messageId, MessageStatus status, const ApiError &error) {
            QList<StoredMessage> h = session.history();
            StoredMessage answer;
            for (const StoredMessage &m : h) {
                if (m.id == messageId)
                    answer = m;
            }
            if (error.isError()) {
                if (text && !answer.plainText().isEmpty())
                    writeOut("\n");
                if (streamJson)
                    writeLine({{"type", "error"},
                               {"http_status", error.httpStatus},
                               {"error_type", error.type},
                               {"request_id", error.requestId},
                               {"message", error.userMessage()}});
                writeErr(QStringLiteral("qlaude: %1\n").arg(error.userMessage()));
                exitCode = 1;
            } else {
                exitCode = 0;
                if (text)
                    writeOut("\n");
            }
            if (!text) {
                QJsonArray content;
                for (const StoredBlock &b : answer.blocks)
                    content.append(QJsonObject{{"type", blockTypeName(b.type)}, {"text", b.text}});
                QJsonObject result{
                    {"type", "result"},
                    {"status", messageStatusName(status)},
                    {"model", answer.model},
                    {"stop_reason", answer.stopReason},
                    {"text", answer.plainText()},
                    {"content", content},
                    {"usage",
                     QJsonObject{
                         {"input_tokens", answer.usage.inputTokens},
                         {"output_tokens", answer.usage.outputTokens},
                         {"cache_read_input_tokens", answer.usage.cacheReadInputTokens},
                         {"cache_creation_input_tokens", answer.usage.cacheCreationInputTokens}}}};
                if (session.conversationId())
                    result.insert("conversation_id", session.conversationId());
                if (error.isError())
                    result.insert("error", error.userMessage());
                if (streamJson)
                    writeLine(result);
                else
                    writeOut(QJsonDocument(result).toJson(QJsonDocument::Indented));
            }
            if (signalExit) {
                exitCode = signalExit;
                writeErr(QStringLiteral("qlaude: %1\n")
                             .arg(store ? Tr::tr("stopped by a signal; the partial answer is "
                                                 "saved as stopped.")
                                        : Tr::tr("stopped by a signal.")));
            }
            QCoreApplication::exit(exitCode);
        });
    // Ctrl-C, SIGTERM and SIGHUP stop the answer as the Stop button does: the partial text is
    // kept (and saved as stopped), any helper command is ended, and the exit code is 128 + the
    // signal. A second Ctrl-C exits at once.
    SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &SignalWatcher::received, app, [&](int signalNumber) {
        if (signalExit)
            return;
        signalExit = SignalWatcher::exitCodeFor(signalNumber);
        HelperProcess::cancelAll();
        if (session.isBusy())
            session.stop(); // turnFinished follows and exits
        else
            QCoreApplication::exit(signalExit);
    });
    if (!session.send(opts.prompt)) {
        writeErr(QStringLiteral("qlaude: %1\n").arg(session.errorString()));
        return 2;
    }
    const int result = QCoreApplication::exec();
    Output::instance().flush();
    return result;
}

int runListModels(const AuthContext &ctx)
{
    if (!checkConfig(ctx))
        return 2;
    Resolution resolution;
    std::unique_ptr<Authorizer> auth = authorizerFor(ctx, &resolution);
    if (!auth)
        return 2;
    NetworkAccess nam;
    std::unique_ptr<ProviderClient> client = clientFor(ctx, resolution, auth.get(), &nam);
    if (!client)
        return 2;
    int code = 1;
    client->listModels([&code](const QList<ModelInfo> &models, const ApiError &error) {
        if (error.isError()) {
            writeErr(QStringLiteral("qlaude: %1\n").arg(error.userMessage()));
            code = 1;
        } else if (models.isEmpty()) {
            writeErr(QStringLiteral("qlaude: %1\n").arg(Tr::tr("the API returned no models.")));
            code = 1;
        } else {
            QByteArray out;
            for (const ModelInfo &m : models)
                out +=
                    (m.id.leftJustified(36) + QLatin1Char(' ') + m.displayName).toUtf8().trimmed() +
                    '\n';
            writeOut(out);
            code = 0;
        }
        QCoreApplication::exit(code);
    });
    QCoreApplication::exec();
    Output::instance().flush();
    return code;
}

} // namespace qlaude
