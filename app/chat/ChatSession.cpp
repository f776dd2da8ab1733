#include "ChatSession.h"

#include "ConversationStore.h"

#include <QCoreApplication>
#include <QJsonDocument>

namespace qlaude {

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(qlaude::ChatSession)
};
} // namespace

ChatSession::ChatSession(ProviderClient *client, ConversationStore *store, QObject *parent)
    : QObject(parent), m_client(client), m_store(store)
{
}

bool ChatSession::openConversation(qint64 conversationId)
{
    if (isBusy()) {
        m_errorString = Tr::tr("Stop the current answer before switching conversations.");
        return false;
    }
    m_conversationId = conversationId;
    m_ownIds.clear();
    if (conversationId == 0 || !m_store)
        return true;
    const auto c = m_store->conversation(conversationId);
    if (!c) {
        m_errorString = Tr::tr("Conversation %1 does not exist.").arg(conversationId);
        m_conversationId = 0;
        return false;
    }
    if (!c->model.isEmpty())
        m_settings.model = c->model;
    m_settings.systemPrompt = c->systemPrompt;
    if (c->maxTokens > 0)
        m_settings.maxTokens = c->maxTokens;
    m_settings.thinkingBudget = c->thinkingBudget;
    return true;
}

void ChatSession::setSettings(const Settings &settings)
{
    m_settings = settings;
    if (m_store && m_conversationId) {
        if (auto c = m_store->conversation(m_conversationId)) {
            c->model = settings.model;
            c->systemPrompt = settings.systemPrompt;
            c->maxTokens = settings.maxTokens;
            c->thinkingBudget = settings.thinkingBudget;
            m_store->updateConversation(*c);
        }
    }
}

QList<StoredMessage> ChatSession::history() const
{
    if (!m_store)
        return m_memory;
    if (!m_conversationId)
        return {};
    // Everything appended so far, a streaming answer's pending deltas included. On failure the
    // deltas stay pending; what is on disk is shown.
    m_store->flushPendingWrites();
    return m_store->messages(m_conversationId);
}

qint64 ChatSession::addMemoryMessage(StoredMessage message)
{
    message.id = m_nextMemoryId++;
    message.position = int(m_memory.size());
    m_memory.append(message);
    return message.id;
}

StoredMessage *ChatSession::memoryMessage(qint64 id)
{
    for (StoredMessage &m : m_memory) {
        if (m.id == id)
            return &m;
    }
    return nullptr;
}

StoredBlock ChatSession::toStored(const ContentBlock &b)
{
    StoredBlock s;
    switch (b.type) {
    case ContentBlockType::Text:
        s.type = BlockType::Text;
        s.text = b.text;
        if (!b.citations.isEmpty())
            s.json = QJsonDocument(b.citations).toJson(QJsonDocument::Compact);
        break;
    case ContentBlockType::Thinking:
        s.type = BlockType::Thinking;
        s.text = b.thinking;
        s.signature = b.signature;
        break;
    case ContentBlockType::RedactedThinking:
        s.type = BlockType::RedactedThinking;
        s.text = b.data;
        break;
    case ContentBlockType::ToolUse:
        s.type = BlockType::ToolUse;
        s.toolId = b.id;
        s.toolName = b.name;
        s.json = b.input.isObject()
                     ? QJsonDocument(b.input.toObject()).toJson(QJsonDocument::Compact)
                     : QByteArray("{}");
        break;
    case ContentBlockType::ToolResult:
        s.type = BlockType::ToolResult;
        s.toolId = b.toolUseId;
        s.isError = b.isError;
        s.json = QJsonDocument(b.toJson()).toJson(QJsonDocument::Compact);
        break;
    case ContentBlockType::Other:
        s.type = BlockType::Other;
        s.json = QJsonDocument(b.raw).toJson(QJsonDocument::Compact);
        break;
    }
    return s;
}

QList<ContentBlock> ChatSession::toApiBlocks(const StoredMessage &m)
{
    QList<ContentBlock> out;
    for (const StoredBlock &s : m.blocks) {
        ContentBlock b;
        switch (s.type) {
        case BlockType::Text:
            if (s.text.isEmpty())
                continue;
            b = ContentBlock::makeText(s.text);
            break;
        case BlockType::Thinking:
            // A thinking block goes back only whole, with its signature; a cut-off one cannot.
            if (s.signature.isEmpty())
                continue;
            b.type = ContentBlockType::Thinking;
            b.thinking = s.text;
            b.signature = s.signature;
            break;
        case BlockType::RedactedThinking:
            b.type = ContentBlockType::RedactedThinking;
            b.data = s.text;
            break;
        case BlockType::ToolUse:
            b = ContentBlock::makeToolUse(s.toolId, s.toolName,
                                          QJsonDocument::fromJson(s.json).object());
            break;
        case BlockType::ToolResult:
        case BlockType::Other:
            b = ContentBlock::fromJson(QJsonDocument::fromJson(s.json).object());
            break;
        }
        out.append(b);
    }
    return out;
}

MessagesRequest ChatSession::buildRequest() const
{
    MessagesRequest r;
    r.model = m_settings.model;
    r.maxTokens = m_settings.maxTokens;
    if (!m_settings.systemPrompt.isEmpty())
        r.system = MessageContent(m_settings.systemPrompt);
    if (m_settings.thinkingBudget > 0)
        r.thinking = QJsonObject{{QStringLiteral("type"), QStringLiteral("enabled")},
                                 {QStringLiteral("budget_tokens"), m_settings.thinkingBudget}};
    const QList<StoredMessage> messages = history();
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const StoredMessage &m = messages.at(i);
        if (m.status == MessageStatus::Streaming)
            continue;
        // Another process's turn still in progress (its question, then its answer streaming:
        // beginTurn stores the two side by side) is not part of this conversation yet.
        if (m_store && m.role == MessageRole::User && !m_ownIds.contains(m.id) &&
            i + 1 < messages.size() && messages.at(i + 1).status == MessageStatus::Streaming &&
            !m_ownIds.contains(messages.at(i + 1).id))
            continue;

        const QList<ContentBlock> blocks = toApiBlocks(m);
        if (blocks.isEmpty())
            continue; // an answer that failed before its first word
        MessageParam p;
        p.role = m.role == MessageRole::User ? QStringLiteral("user") : QStringLiteral("assistant");
        if (blocks.size() == 1 && blocks.first().type == ContentBlockType::Text)
            p.content = MessageContent(blocks.first().text);
        else
            p.content = MessageContent(blocks);
        r.messages.append(p);
    }
    // The API wants the last turn to be the user's: a trailing partial answer is dropped.
    while (!r.messages.isEmpty() && r.messages.last().role == QLatin1String("assistant"))
        r.messages.removeLast();
    return r;
}

bool ChatSession::send(const QString &userText)
{
    return ask(userText, 0);
}

bool ChatSession::ask(const QString &userText, qint64 edited)
{
    if (isBusy()) {
        m_errorString = Tr::tr("An answer is still arriving. Stop it first (Esc).");
        return false;
    }
    if (userText.trimmed().isEmpty()) {
        m_errorString = Tr::tr("The message is empty.");
        return false;
    }
    StoredMessage user;
    user.role = MessageRole::User;
    user.blocks = {StoredBlock{BlockType::Text, userText, {}, {}, {}, {}, false}};
    if (m_store) {
        if (!m_conversationId) {
            StoredConversation c;
            c.title = userText.simplified().left(60);
            c.model = m_settings.model;
            c.systemPrompt = m_settings.systemPrompt;
            c.maxTokens = m_settings.maxTokens;
            c.thinkingBudget = m_settings.thinkingBudget;
            m_conversationId = m_store->createConversation(c);
            if (!m_conversationId) {
                m_errorString = m_store->errorString();
                return false;
            }
        }
        // The question and its answer's row in one transaction, side by side.
        const qint64 answer = edited ? m_store->beginQuestionVersion(edited, user, m_settings.model,
                                                                     &user.id, m_connectionName)
                                     : m_store->beginTurn(m_conversationId, user, m_settings.model,
                                                          &user.id, m_connectionName);
        if (!answer) {
            m_errorString = m_store->errorString();
            return false;
        }
        m_ownIds.insert(user.id);
        m_ownIds.insert(answer);
        emit userMessageAdded(user);
        return startTurn(answer);
    }
    user.id = addMemoryMessage(user);
    emit userMessageAdded(user);
    return startTurn();
}

bool ChatSession::startTurn(qint64 begunAnswer)
{
    const MessagesRequest request = buildRequest();
    if (request.messages.isEmpty()) {
        m_errorString = Tr::tr("There is no message to answer.");
        if (begunAnswer)
            m_store->finishMessage(begunAnswer, MessageStatus::Error, QString(), m_errorString);
        return false;
    }
    m_stopRequested = false;
    if (begunAnswer) {
        m_streamingId = begunAnswer;
    } else if (m_store) {
        m_streamingId =
            m_store->beginAssistantMessage(m_conversationId, m_settings.model, m_connectionName);
        if (!m_streamingId) {
            m_errorString = m_store->errorString();
            return false;
        }
        m_ownIds.insert(m_streamingId);
    } else {
        StoredMessage a;
        a.role = MessageRole::Assistant;
        a.status = MessageStatus::Streaming;
        a.model = m_settings.model;
        a.connection = m_connectionName;
        m_streamingId = addMemoryMessage(a);
    }
    const qint64 id = m_streamingId;
    emit assistantStarted(id);
    ApiCall *call = m_client->stream(request);
    m_call = call;
    connect(call, &ApiCall::blockStarted, this, [this, id](int index, const ContentBlock &b) {
        if (m_store) {
            m_store->appendBlockStart(id, index, toStored(b));
        } else if (StoredMessage *m = memoryMessage(id)) {
            while (m->blocks.size() <= index)
                m->blocks.append(StoredBlock());
            m->blocks[index] = toStored(b);
        }
        emit blockStarted(id, index, b);
    });
    auto appendText = [this, id](int index, const QString &text) {
        if (m_store) {
            m_store->appendText(id, index, text);
        } else if (StoredMessage *m = memoryMessage(id)) {
            if (index < m->blocks.size())
                m->blocks[index].text += text;
        }
    };
    connect(call, &ApiCall::textDelta, this, [this, id, appendText](int index, const QString &t) {
        appendText(index, t);
        emit textDelta(id, index, t);
    });
    connect(call, &ApiCall::thinkingDelta, this,
            [this, id, appendText](int index, const QString &t) {
                appendText(index, t);
                emit thinkingDelta(id, index, t);
            });
    connect(call, &ApiCall::blockStopped, this, [this, id](int index, const ContentBlock &b) {
        const StoredBlock s = toStored(b);
        if (m_store) {
            if (b.type == ContentBlockType::Thinking)
                m_store->setSignature(id, index, b.signature);
            else if (!s.json.isEmpty())
                m_store->setToolInput(id, index, s.json);
        } else if (StoredMessage *m = memoryMessage(id)) {
            if (index < m->blocks.size())
                m->blocks[index] = s;
        }
    });
    connect(call, &ApiCall::usageUpdated, this, [this, id](const Usage &u, const QString &) {
        if (m_store)
            m_store->setUsage(id, StoredUsage{u.inputTokens, u.outputTokens, u.cacheReadInputTokens,
                                              u.cacheCreationInputTokens});
        emit usageUpdated(id, u);
    });
    connect(call, &ApiCall::retrying, this, &ChatSession::retrying);
    connect(call, &ApiCall::finished, this, &ChatSession::onFinished);
    return true;
}

void ChatSession::onFinished()
{
    ApiCall *call = m_call;
    if (!call)
        return;
    m_call = nullptr;
    call->deleteLater();
    const qint64 id = m_streamingId;
    m_streamingId = 0;
    ApiError error = call->error();
    MessageStatus status = MessageStatus::Complete;
    if (error.kind == ApiError::Kind::Cancelled) {
        status = MessageStatus::Stopped;
        error = ApiError(); // stopping is not an error; the answer is marked stopped
    } else if (error.isError()) {
        status = MessageStatus::Error;
    }
    const Message &msg = call->message();
    const Usage &u = msg.usage;
    const QString errorText = error.isError() ? error.userMessage() : QString();
    if (m_store) {
        m_store->setUsage(id, StoredUsage{u.inputTokens, u.outputTokens, u.cacheReadInputTokens,
                                          u.cacheCreationInputTokens});
        m_store->finishMessage(id, status, msg.stopReason, errorText);
    } else if (StoredMessage *m = memoryMessage(id)) {
        m->status = status;
        m->stopReason = msg.stopReason;
        m->errorText = errorText;
        m->usage = StoredUsage{u.inputTokens, u.outputTokens, u.cacheReadInputTokens,
                               u.cacheCreationInputTokens};
    }
    emit turnFinished(id, status, error);
}

void ChatSession::stop()
{
    if (m_call) {
        m_stopRequested = true;
        m_call->cancel();
    }
}

bool ChatSession::regenerate()
{
    if (isBusy()) {
        m_errorString = Tr::tr("Stop the current answer before regenerating.");
        return false;
    }
    const QList<StoredMessage> h = history();
    int lastUser = -1;
    for (int i = int(h.size()) - 1; i >= 0; --i) {
        if (h.at(i).role == MessageRole::User) {
            lastUser = i;
            break;
        }
    }
    if (lastUser < 0) {
        m_errorString = Tr::tr("There is no question to answer again.");
        return false;
    }
    const qint64 userId = h.at(lastUser).id;
    if (!m_store) {
        m_memory = m_memory.mid(0, lastUser + 1);
        return startTurn();
    }
    // An answer with nothing to send back (failed before its first word) is not worth a
    // version: it is replaced.
    if (lastUser + 1 < h.size()) {
        const StoredMessage &previous = h.at(lastUser + 1);
        if (previous.role == MessageRole::Assistant &&
            previous.status != MessageStatus::Streaming && toApiBlocks(previous).isEmpty() &&
            !m_store->deleteMessagesFrom(previous.id)) {
            m_errorString = m_store->errorString();
            return false;
        }
    }
    const qint64 answer = m_store->beginAnswerVersion(userId, m_settings.model, m_connectionName);
    if (!answer) {
        m_errorString = m_store->errorString();
        return false;
    }
    m_ownIds.insert(answer);
    return startTurn(answer);
}

bool ChatSession::editAndResend(qint64 userMessageId, const QString &newText)
{
    if (isBusy()) {
        m_errorString = Tr::tr("Stop the current answer before editing.");
        return false;
    }
    const QList<StoredMessage> h = history();
    int index = -1;
    for (int i = 0; i < h.size(); ++i) {
        if (h.at(i).id == userMessageId && h.at(i).role == MessageRole::User)
            index = i;
    }
    if (index < 0) {
        m_errorString = Tr::tr("That message cannot be edited.");
        return false;
    }
    if (m_store)
        return ask(newText, userMessageId);
    if (newText.trimmed().isEmpty()) {
        m_errorString = Tr::tr("The message is empty.");
        return false;
    }
    m_memory = m_memory.mid(0, index);
    return send(newText);
}

qint64 ChatSession::showVersion(qint64 messageId, int step)
{
    if (isBusy()) {
        m_errorString = Tr::tr("Stop the current answer before switching versions.");
        return 0;
    }
    if (!m_store) {
        m_errorString = Tr::tr("Versions are kept only in the chat history.");
        return 0;
    }
    const qint64 shown = m_store->showVersion(messageId, step);
    if (!shown)
        m_errorString = m_store->errorString();
    return shown;
}

} // namespace qlaude
