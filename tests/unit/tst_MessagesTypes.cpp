#include "MessagesTypes.h"

#include <QJsonDocument>
#include <QtTest>

using namespace qlaude;

namespace {

QJsonObject parseObject(const char *json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray(json), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad test JSON: %s", qPrintable(error.errorString()));
    return document.object();
}

MessagesRequest fullRequest()
{
    MessagesRequest request;
    request.model = QStringLiteral("claude-opus-4-8");
    request.maxTokens = 4096;
    request.system = QStringLiteral("Be brief.");
    request.messages = {
        {QStringLiteral("user"), QStringLiteral("What is the weather in Paris?")},
        {QStringLiteral("assistant"),
         QList<ContentBlock>{ContentBlock::makeToolUse(
             QStringLiteral("toolu_1"), QStringLiteral("get_weather"),
             QJsonObject{{QStringLiteral("location"), QStringLiteral("Paris")}})}},
        {QStringLiteral("user"), QList<ContentBlock>{ContentBlock::makeToolResult(
                                     QStringLiteral("toolu_1"), QStringLiteral("18 C, sunny"))}},
    };
    request.stopSequences = {QStringLiteral("STOP")};
    request.thinking = {{QStringLiteral("type"), QStringLiteral("enabled")},
                        {QStringLiteral("budget_tokens"), 2048}};
    request.tools = QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("get_weather")},
                                           {QStringLiteral("input_schema"), QJsonObject()}}};
    request.toolChoice = {{QStringLiteral("type"), QStringLiteral("auto")}};
    request.metadata = {{QStringLiteral("user_id"), QStringLiteral("u-1")}};
    request.stream = true;
    return request;
}

} // namespace

class tst_MessagesTypes : public QObject
{
    Q_OBJECT

private slots:
    void requestNeverEmitsSamplingParametersByDefault()
    {
        const QJsonObject json = fullRequest().toJson();
        QVERIFY(!json.contains(QLatin1String("temperature")));
        QVERIFY(!json.contains(QLatin1String("top_p")));
        QVERIFY(!json.contains(QLatin1String("top_k")));
        const QJsonObject minimal = MessagesRequest().toJson();
        QVERIFY(!minimal.contains(QLatin1String("temperature")));
        QVERIFY(!minimal.contains(QLatin1String("top_p")));
        QVERIFY(!minimal.contains(QLatin1String("top_k")));
    }

    void requestEmitsOnlyWhatWasSet()
    {
        MessagesRequest request;
        request.model = QStringLiteral("m");
        request.maxTokens = 10;
        request.messages = {{QStringLiteral("user"), QStringLiteral("hi")}};
        const QJsonObject json = request.toJson();
        QCOMPARE(json.keys(), (QStringList{QStringLiteral("max_tokens"), QStringLiteral("messages"),
                                           QStringLiteral("model")}));
        QCOMPARE(json.value(QLatin1String("max_tokens")).toInteger(), 10);
        QCOMPARE(json.value(QLatin1String("messages")).toArray(),
                 QJsonArray{parseObject(R"({"role":"user","content":"hi"})")});
    }

    void requestWritesEveryModelledField()
    {
        const QJsonObject json = fullRequest().toJson();
        const QJsonObject expected = parseObject(R"({
            "model": "claude-opus-4-8", "max_tokens": 4096, "system": "Be brief.",
            "messages": [
                {"role": "user", "content": "What is the weather in Paris?"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1",
                    "name": "get_weather", "input": {"location": "Paris"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                    "content": "18 C, sunny"}]}
            ],
            "stop_sequences": ["STOP"],
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "tools": [{"name": "get_weather", "input_schema": {}}],
            "tool_choice": {"type": "auto"},
            "metadata": {"user_id": "u-1"},
            "stream": true
        })");
        QCOMPARE(json, expected);
    }

    void requestPassesExtraFieldsThrough()
    {
        MessagesRequest request = fullRequest();
        request.extra.insert(QLatin1String("output_config"), parseObject(R"({"effort":"high"})"));
        request.extra.insert(QLatin1String("temperature"), 0.5); // explicit, for an old API
        const QJsonObject json = request.toJson();
        QCOMPARE(json.value(QLatin1String("output_config")).toObject(),
                 parseObject(R"({"effort":"high"})"));
        QCOMPARE(json.value(QLatin1String("temperature")).toDouble(), 0.5);
        QVERIFY(!json.contains(QLatin1String("top_p")));
    }

    void modelledFieldsWinOverExtra()
    {
        MessagesRequest request = fullRequest();
        request.extra.insert(QLatin1String("model"), QStringLiteral("other"));
        request.extra.insert(QLatin1String("max_tokens"), 1);
        QCOMPARE(request.toJson().value(QLatin1String("model")).toString(),
                 QStringLiteral("claude-opus-4-8"));
        QCOMPARE(request.toJson().value(QLatin1String("max_tokens")).toInteger(), 4096);
    }

    void requestFromJsonKeepsUnknownFieldsInExtra()
    {
        const QJsonObject body = parseObject(R"({
            "model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}],
            "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
            "service_tier": "auto", "speed": "fast", "stream": true
        })");
        const MessagesRequest request = MessagesRequest::fromJson(body);
        QCOMPARE(request.model, QStringLiteral("m"));
        QCOMPARE(request.maxTokens, 5);
        QCOMPARE(request.messages.size(), 1);
        QCOMPARE(request.messages.at(0).role, QStringLiteral("system"));
        QVERIFY(!request.system.isString);
        QCOMPARE(request.system.blocks.size(), 1);
        QVERIFY(request.stream);
        QCOMPARE(request.extra, parseObject(R"({"service_tier": "auto", "speed": "fast"})"));
        QCOMPARE(request.toJson(), body); // nothing lost, nothing added
    }

    void systemIsStringOrBlocks()
    {
        MessagesRequest request;
        request.system = QList<ContentBlock>{ContentBlock::makeText(QStringLiteral("one")),
                                             ContentBlock::makeText(QStringLiteral("two"))};
        QCOMPARE(request.toJson().value(QLatin1String("system")).toArray(),
                 (QJsonArray{parseObject(R"({"type":"text","text":"one"})"),
                             parseObject(R"({"type":"text","text":"two"})")}));
        request.system = QStringLiteral("plain");
        QCOMPARE(request.toJson().value(QLatin1String("system")).toString(),
                 QStringLiteral("plain"));
        request.system = QString();
        QVERIFY(!request.toJson().contains(QLatin1String("system")));
    }

    void contentBlockRoundTripKeepsUnknownFields()
    {
        const QJsonObject text =
            parseObject(R"({"type":"text","text":"hi","cache_control":{"type":"ephemeral"}})");
        QCOMPARE(ContentBlock::fromJson(text).toJson(), text);

        const QJsonObject thinking =
            parseObject(R"({"type":"thinking","thinking":"hmm","signature":"c2ln","future":1})");
        const ContentBlock thinkingBlock = ContentBlock::fromJson(thinking);
        QCOMPARE(thinkingBlock.type, ContentBlockType::Thinking);
        QCOMPARE(thinkingBlock.thinking, QStringLiteral("hmm"));
        QCOMPARE(thinkingBlock.signature, QStringLiteral("c2ln"));
        QCOMPARE(thinkingBlock.toJson(), thinking);

        const QJsonObject redacted = parseObject(R"({"type":"redacted_thinking","data":"abc"})");
        QCOMPARE(ContentBlock::fromJson(redacted).data, QStringLiteral("abc"));
        QCOMPARE(ContentBlock::fromJson(redacted).toJson(), redacted);
    }

    void unknownBlockTypesAreKeptVerbatim()
    {
        const QJsonObject block = parseObject(
            R"({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"q":1}})");
        const ContentBlock parsed = ContentBlock::fromJson(block);
        QCOMPARE(parsed.type, ContentBlockType::Other);
        QCOMPARE(parsed.typeName(), QStringLiteral("server_tool_use"));
        QCOMPARE(parsed.toJson(), block);
    }

    void toolBlocksReadAndWriteTheirFields()
    {
        const ContentBlock toolUse = ContentBlock::fromJson(
            parseObject(R"({"type":"tool_use","id":"t1","name":"f","input":{"a":[1,2]}})"));
        QCOMPARE(toolUse.type, ContentBlockType::ToolUse);
        QCOMPARE(toolUse.id, QStringLiteral("t1"));
        QCOMPARE(toolUse.name, QStringLiteral("f"));
        QCOMPARE(toolUse.input.toObject(), parseObject(R"({"a":[1,2]})"));

        const QJsonObject result = parseObject(
            R"({"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"no"}]})");
        const ContentBlock resultBlock = ContentBlock::fromJson(result);
        QCOMPARE(resultBlock.type, ContentBlockType::ToolResult);
        QCOMPARE(resultBlock.toolUseId, QStringLiteral("t1"));
        QVERIFY(resultBlock.isError);
        QVERIFY(resultBlock.content.isArray());
        QCOMPARE(resultBlock.toJson(), result);

        // A tool_use without input still sends the required (empty) object.
        ContentBlock bare;
        bare.type = ContentBlockType::ToolUse;
        QCOMPARE(bare.toJson().value(QLatin1String("input")).toObject(), QJsonObject());
    }

    void clearedCitationsAreNotEmitted()
    {
        ContentBlock block = ContentBlock::fromJson(
            parseObject(R"({"type":"text","text":"x","citations":[{"type":"char_location"}]})"));
        QCOMPARE(block.citations.size(), 1);
        QVERIFY(block.toJson().contains(QLatin1String("citations")));
        block.citations = QJsonArray();
        QVERIFY(!block.toJson().contains(QLatin1String("citations")));
    }

    void messageFromJsonToleratesUnknownFields()
    {
        const QJsonObject json = parseObject(R"({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [{"type": "text", "text": "Hi"}, {"type": "brand_new", "x": 1}, 7],
            "stop_reason": "refusal", "stop_sequence": null,
            "stop_details": {"type": "refusal", "category": "cyber"}, "container": null,
            "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 2,
                      "service_tier": "standard", "output_tokens_details": {"thinking_tokens": 1}}
        })");
        const Message message = Message::fromJson(json);
        QCOMPARE(message.id, QStringLiteral("msg_1"));
        QCOMPARE(message.model, QStringLiteral("claude-x"));
        QCOMPARE(message.content.size(), 2); // the non-object entry is skipped
        QCOMPARE(message.content.at(0).text, QStringLiteral("Hi"));
        QCOMPARE(message.content.at(1).type, ContentBlockType::Other);
        QCOMPARE(message.stopReason, QStringLiteral("refusal"));
        QVERIFY(message.stopSequence.isEmpty());
        QCOMPARE(message.usage.inputTokens, 10);
        QCOMPARE(message.usage.outputTokens, 3);
        QCOMPARE(message.usage.cacheReadInputTokens, 2);
        QCOMPARE(message.usage.cacheCreationInputTokens, 0);
        const QJsonObject back = message.toJson();
        QCOMPARE(back.value(QLatin1String("stop_details")).toObject(),
                 parseObject(R"({"type": "refusal", "category": "cyber"})"));
        QVERIFY(back.value(QLatin1String("stop_sequence")).isNull());
        QCOMPARE(back.value(QLatin1String("usage"))
                     .toObject()
                     .value(QLatin1String("service_tier"))
                     .toString(),
                 QStringLiteral("standard"));
    }

    void usageMergeOverwritesOnlyPresentNonNullFields()
    {
        Usage usage = Usage::fromJson(parseObject(
            R"({"input_tokens":25,"output_tokens":1,"cache_read_input_tokens":5,"service_tier":"standard"})"));
        usage.mergeCumulative(parseObject(
            R"({"output_tokens":6,"input_tokens":null,"cache_read_input_tokens":null,"server_tool_use":{"web_search_requests":1}})"));
        QCOMPARE(usage.inputTokens, 25);
        QCOMPARE(usage.outputTokens, 6); // replaced, not 1 + 6
        QCOMPARE(usage.cacheReadInputTokens, 5);
        // A null in the update must not wipe what raw held either.
        QCOMPARE(usage.raw.value(QLatin1String("input_tokens")).toInteger(), 25);
        QCOMPARE(usage.raw.value(QLatin1String("cache_read_input_tokens")).toInteger(), 5);
        QCOMPARE(usage.raw.value(QLatin1String("server_tool_use")).toObject(),
                 parseObject(R"({"web_search_requests":1})"));
        QCOMPARE(usage.raw.value(QLatin1String("service_tier")).toString(),
                 QStringLiteral("standard"));
        usage.mergeCumulative(parseObject(R"({"output_tokens":9,"input_tokens":30})"));
        QCOMPARE(usage.inputTokens, 30);
        QCOMPARE(usage.outputTokens, 9);
        QCOMPARE(usage.toJson().value(QLatin1String("output_tokens")).toInteger(), 9);
    }

    void messageParamReadsStringOrBlocks()
    {
        const MessageParam plain =
            MessageParam::fromJson(parseObject(R"({"role":"user","content":"x"})"));
        QVERIFY(plain.content.isString);
        QCOMPARE(plain.content.text, QStringLiteral("x"));
        const MessageParam blocks = MessageParam::fromJson(
            parseObject(R"({"role":"assistant","content":[{"type":"text","text":"y"}]})"));
        QVERIFY(!blocks.content.isString);
        QCOMPARE(blocks.content.blocks.at(0).text, QStringLiteral("y"));
        QCOMPARE(blocks.toJson(),
                 parseObject(R"({"role":"assistant","content":[{"type":"text","text":"y"}]})"));
    }
};

QTEST_GUILESS_MAIN(tst_MessagesTypes)
#include "tst_MessagesTypes.moc"
