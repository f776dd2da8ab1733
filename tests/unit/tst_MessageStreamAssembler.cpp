#include "MessageStreamAssembler.h"
#include "SseParser.h"

#include <QJsonDocument>
#include <QtTest>

using namespace qlaude;

namespace {

// Writes every callback as one line, so a test can compare the whole conversation.
class RecordingListener : public MessageStreamListener
{
public:
    QStringList log;
    QByteArray toolInput; // every toolInputDelta piece, concatenated
    int errors = 0;

    void messageStarted(const Message &message) override
    {
        log << QStringLiteral("start ") + message.id;
    }
    void blockStarted(int index, const ContentBlock &block) override
    {
        log << QStringLiteral("block %1 %2").arg(index).arg(block.typeName());
    }
    void textDelta(int index, QStringView text) override
    {
        log << QStringLiteral("text %1 %2").arg(index).arg(text);
    }
    void thinkingDelta(int index, QStringView thinking) override
    {
        log << QStringLiteral("thinking %1 %2").arg(index).arg(thinking);
    }
    void signatureSet(int index, const QString &signature) override
    {
        log << QStringLiteral("signature %1 %2").arg(index).arg(signature);
    }
    void toolInputDelta(int index, QByteArrayView partialJson) override
    {
        toolInput += partialJson;
        log << QStringLiteral("input %1 %2").arg(index).arg(QString::fromUtf8(partialJson));
    }
    void citationAdded(int index, const QJsonObject &citation) override
    {
        log << QStringLiteral("citation %1 %2")
                   .arg(index)
                   .arg(QString::fromUtf8(QJsonDocument(citation).toJson(QJsonDocument::Compact)));
    }
    void blockStopped(int index, const ContentBlock &block) override
    {
        log << QStringLiteral("stop %1 %2").arg(index).arg(block.typeName());
    }
    void messageDelta(const QString &stopReason, const Usage &usage) override
    {
        log << QStringLiteral("delta %1 in=%2 out=%3")
                   .arg(stopReason)
                   .arg(usage.inputTokens)
                   .arg(usage.outputTokens);
    }
    void messageStopped(const Message &message) override
    {
        log << QStringLiteral("message_stop ") + message.id;
    }
    void errorOccurred(const QString &type, const QString &message,
                       const QString &requestId) override
    {
        ++errors;
        log << QStringLiteral("error %1|%2|%3").arg(type, message, requestId);
    }
};

QByteArray sse(const QByteArray &name, const QByteArray &json)
{
    return "event: " + name + "\ndata: " + json + "\n\n";
}

QByteArray messageStart(const QByteArray &id = "msg_1",
                        const QByteArray &usage = R"({"input_tokens":12,"output_tokens":1})")
{
    return sse("message_start",
               "{\"type\":\"message_start\",\"message\":{\"id\":\"" + id +
                   "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4-8\","
                   "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":" +
                   usage + "}}");
}

QByteArray blockStart(int index, const QByteArray &block)
{
    return sse("content_block_start", R"({"type":"content_block_start","index":)" +
                                          QByteArray::number(index) + R"(,"content_block":)" +
                                          block + "}");
}

QByteArray delta(int index, const QByteArray &deltaJson)
{
    return sse("content_block_delta", R"({"type":"content_block_delta","index":)" +
                                          QByteArray::number(index) + R"(,"delta":)" + deltaJson +
                                          "}");
}

QByteArray textDelta(int index, const QByteArray &jsonStringBody)
{
    return delta(index, R"({"type":"text_delta","text":")" + jsonStringBody + "\"}");
}

QByteArray inputDelta(int index, const QByteArray &jsonStringBody)
{
    return delta(index, R"({"type":"input_json_delta","partial_json":")" + jsonStringBody + "\"}");
}

QByteArray blockStop(int index)
{
    return sse("content_block_stop",
               R"({"type":"content_block_stop","index":)" + QByteArray::number(index) + "}");
}

QByteArray messageDelta(const QByteArray &stopReason, const QByteArray &usage)
{
    return sse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" +
                                    stopReason + "\",\"stop_sequence\":null},\"usage\":" + usage +
                                    "}");
}

const QByteArray kPing = sse("ping", R"({"type": "ping"})");
const QByteArray kMessageStop = sse("message_stop", R"({"type":"message_stop"})");

// A text answer, shaped like the SDK's basic_response fixture.
QByteArray textStream()
{
    return messageStart() + blockStart(0, R"({"type":"text","text":""})") + kPing +
           textDelta(0, "Hello") + textDelta(0, " there!") + blockStop(0) +
           messageDelta("end_turn", R"({"output_tokens":6})") + kMessageStop;
}

// Text, then a tool call whose input arrives in the SDK fixture's pieces.
QByteArray toolUseStream()
{
    return messageStart("msg_tool") + blockStart(0, R"({"type":"text","text":""})") + kPing +
           textDelta(0, "I'll check.") + blockStop(0) +
           blockStart(1, R"({"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}})") +
           inputDelta(1, "") + inputDelta(1, R"({\"locati)") + inputDelta(1, R"(on\": \"P)") +
           inputDelta(1, "ar") + inputDelta(1, R"(is\"})") + blockStop(1) +
           messageDelta("tool_use", R"({"output_tokens":65})") + kMessageStop;
}

QList<SseEvent> parseAll(const QByteArray &stream, qsizetype chunkSize)
{
    SseParser parser;
    QList<SseEvent> events;
    for (qsizetype pos = 0; pos < stream.size(); pos += chunkSize) {
        if (!parser.feed(QByteArrayView(stream).sliced(pos, qMin(chunkSize, stream.size() - pos)),
                         events))
            qFatal("SSE parser failed: %s", qPrintable(parser.errorString()));
    }
    parser.finish(events);
    return events;
}

// Runs a whole SSE stream; returns false if any feed did.
bool run(MessageStreamAssembler &assembler, const QByteArray &stream, qsizetype chunkSize = 4096)
{
    bool ok = true;
    for (const SseEvent &event : parseAll(stream, chunkSize))
        ok = assembler.feed(event) && ok;
    return ok;
}

QJsonObject parseObject(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

class tst_MessageStreamAssembler : public QObject
{
    Q_OBJECT

private:
    // Feeds `body` (the inside of a JSON string literal) as a text delta and as a tool input
    // delta, on the fast path and, with an extra key, on the QJsonDocument path, and compares
    // both with what QJsonDocument makes of the literal.
    enum class FastPath
    {
        Expected,
        NotExpected,
        Unchecked
    };

    static void compareWithQJsonDocument(const QByteArray &body, FastPath textPath,
                                         FastPath inputPath)
    {
        // What QJsonDocument makes of the same string literal.
        QJsonParseError parseError;
        const QJsonDocument reference =
            QJsonDocument::fromJson("{\"s\":\"" + body + "\"}", &parseError);
        const bool valid = parseError.error == QJsonParseError::NoError;
        const QString expected = reference.object().value(QLatin1String("s")).toString();

        const QByteArray fastText = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
                                    "\"type\":\"text_delta\",\"text\":\"" +
                                    body + "\"}}";
        // An extra key keeps the event off the fast path: the QJsonDocument path.
        const QByteArray slowText = "{\"type\":\"content_block_delta\",\"index\":0,\"extra\":1,"
                                    "\"delta\":{\"type\":\"text_delta\",\"text\":\"" +
                                    body + "\"}}";
        for (const QByteArray &event : {fastText, slowText}) {
            MessageStreamAssembler assembler;
            QVERIFY(run(assembler, messageStart() + blockStart(0, R"({"type":"text","text":""})")));
            QCOMPARE(assembler.feed("content_block_delta", event), valid);
            QCOMPARE(assembler.hasError(), !valid);
            QCOMPARE(assembler.message().content.at(0).text, valid ? expected : QString());
            if (event == slowText || textPath != FastPath::Unchecked) {
                const bool fast = event == fastText && textPath == FastPath::Expected;
                QCOMPARE(assembler.fastPathEventCount(), fast ? 1 : 0);
            }
        }

        const QByteArray fastInput = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
                                     "\"type\":\"input_json_delta\",\"partial_json\":\"" +
                                     body + "\"}}";
        const QByteArray slowInput =
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"partial_json\":\"" + body +
            "\",\"type\":\"input_json_delta\",\"extra\":1}}";
        for (const QByteArray &event : {fastInput, slowInput}) {
            RecordingListener listener;
            MessageStreamAssembler assembler(&listener);
            QVERIFY(
                run(assembler,
                    messageStart() +
                        blockStart(0, R"({"type":"tool_use","id":"t","name":"n","input":{}})")));
            QCOMPARE(assembler.feed("content_block_delta", event), valid);
            QCOMPARE(listener.toolInput, valid ? expected.toUtf8() : QByteArray());
            if (event == slowInput || inputPath != FastPath::Unchecked) {
                const bool fast = event == fastInput && inputPath == FastPath::Expected;
                QCOMPARE(assembler.fastPathEventCount(), fast ? 1 : 0);
            }
        }
    }

    static FastPath fastPath(bool expected)
    {
        return expected ? FastPath::Expected : FastPath::NotExpected;
    }

private slots:
    void assemblesTextResponse()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        QVERIFY(run(assembler, textStream()));
        QVERIFY(assembler.isComplete());
        QVERIFY(!assembler.hasError());
        const Message &message = assembler.message();
        QCOMPARE(message.id, QStringLiteral("msg_1"));
        QCOMPARE(message.model, QStringLiteral("claude-opus-4-8"));
        QCOMPARE(message.content.size(), 1);
        QCOMPARE(message.content.at(0).type, ContentBlockType::Text);
        QCOMPARE(message.content.at(0).text, QStringLiteral("Hello there!"));
        QCOMPARE(message.stopReason, QStringLiteral("end_turn"));
        QCOMPARE(message.usage.inputTokens, 12);
        QCOMPARE(message.usage.outputTokens, 6);
        QCOMPARE(listener.log, (QStringList{
                                   "start msg_1",
                                   "block 0 text",
                                   "text 0 Hello",
                                   "text 0  there!",
                                   "stop 0 text",
                                   "delta end_turn in=12 out=6",
                                   "message_stop msg_1",
                               }));
        QCOMPARE(assembler.fastPathEventCount(), 2);
    }

    void assemblesToolUseFromPartialJsonPieces()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        QVERIFY(run(assembler, toolUseStream()));
        QVERIFY(assembler.isComplete());
        const Message &message = assembler.message();
        QCOMPARE(message.content.size(), 2);
        QCOMPARE(message.content.at(0).text, QStringLiteral("I'll check."));
        const ContentBlock &tool = message.content.at(1);
        QCOMPARE(tool.type, ContentBlockType::ToolUse);
        QCOMPARE(tool.id, QStringLiteral("toolu_01"));
        QCOMPARE(tool.name, QStringLiteral("get_weather"));
        QCOMPARE(tool.input.toObject(), parseObject(R"({"location":"Paris"})"));
        QCOMPARE(message.stopReason, QStringLiteral("tool_use"));
        QCOMPARE(listener.toolInput, QByteArray(R"({"location": "Paris"})"));
        QCOMPARE(listener.log.mid(4, 7), (QStringList{
                                             "block 1 tool_use",
                                             "input 1 ",
                                             "input 1 {\"locati",
                                             R"(input 1 on": "P)",
                                             "input 1 ar",
                                             "input 1 is\"}",
                                             "stop 1 tool_use",
                                         }));
        QCOMPARE(assembler.fastPathEventCount(), 6);
    }

    void assemblesIdenticallyInEveryChunkSizeWithCrlf()
    {
        QByteArray stream = toolUseStream();
        stream.replace("\n", "\r\n");
        MessageStreamAssembler whole;
        QVERIFY(run(whole, stream, stream.size()));
        QVERIFY(whole.isComplete());
        QCOMPARE(whole.message().content.at(1).input.toObject(),
                 parseObject(R"({"location":"Paris"})"));
        const QJsonObject expected = whole.message().toJson();
        for (qsizetype chunk = 1; chunk < stream.size(); ++chunk) {
            MessageStreamAssembler assembler;
            QVERIFY(run(assembler, stream, chunk));
            QVERIFY2(assembler.isComplete(), qPrintable(QStringLiteral("chunk %1").arg(chunk)));
            QVERIFY2(assembler.message().toJson() == expected,
                     qPrintable(QStringLiteral("chunk %1").arg(chunk)));
        }
    }

    void emptyToolInputIsEmptyObject()
    {
        MessageStreamAssembler assembler;
        QVERIFY(run(assembler,
                    messageStart() +
                        blockStart(0, R"({"type":"tool_use","id":"t","name":"n","input":{}})") +
                        inputDelta(0, "") + blockStop(0) + kMessageStop));
        QVERIFY(assembler.isComplete());
        QVERIFY(assembler.message().content.at(0).input.isObject());
        QCOMPARE(assembler.message().content.at(0).input.toObject(), QJsonObject());
    }

    void invalidToolInputJsonIsAnError()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        QVERIFY(!run(
            assembler,
            messageStart() +
                blockStart(0, R"({"type":"tool_use","id":"t","name":"get_weather","input":{}})") +
                inputDelta(0, R"({\"location\": )") + blockStop(0) + kMessageStop));
        QVERIFY(assembler.hasError());
        QVERIFY(!assembler.isComplete());
        QVERIFY(!assembler.errorCameFromServer());
        QCOMPARE(assembler.errorType(), MessageStreamAssembler::decodeErrorType());
        QVERIFY2(assembler.errorMessage().contains(QLatin1String("get_weather")),
                 qPrintable(assembler.errorMessage()));
        QVERIFY2(assembler.errorMessage().contains(QLatin1String("not valid JSON")),
                 qPrintable(assembler.errorMessage()));
        QCOMPARE(listener.errors, 1);
    }

    void thinkingSignatureReplacesAndRefusalStops()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        const QByteArray stream =
            messageStart("msg_think") +
            blockStart(0, R"({"type":"thinking","thinking":"","signature":""})") +
            delta(0, R"({"type":"thinking_delta","thinking":"Let me think"})") +
            delta(0, R"({"type":"thinking_delta","thinking":" about it."})") +
            delta(0, R"({"type":"thinking_delta","thinking":""})") +
            delta(0, R"({"type":"signature_delta","signature":"c2lnMQ=="})") +
            delta(0, R"({"type":"signature_delta","signature":"c2lnLWZpbmFs"})") + blockStop(0) +
            sse("message_delta",
                R"({"type":"message_delta","delta":{"stop_reason":"refusal","stop_sequence":null,"stop_details":{"type":"refusal","category":"cyber"}},"usage":{"output_tokens":20,"iterations":[{"type":"message","output_tokens":20}]}})") +
            kMessageStop;
        QVERIFY(run(assembler, stream));
        QVERIFY(assembler.isComplete());
        const Message &message = assembler.message();
        const ContentBlock &thinking = message.content.at(0);
        QCOMPARE(thinking.type, ContentBlockType::Thinking);
        QCOMPARE(thinking.thinking, QStringLiteral("Let me think about it."));
        QCOMPARE(thinking.signature, QStringLiteral("c2lnLWZpbmFs"));
        QCOMPARE(message.stopReason, QStringLiteral("refusal"));
        QCOMPARE(message.toJson().value(QLatin1String("stop_details")).toObject(),
                 parseObject(R"({"type":"refusal","category":"cyber"})"));
        QCOMPARE(message.usage.outputTokens, 20);
        QVERIFY(message.usage.raw.value(QLatin1String("iterations")).isArray());
        QVERIFY(listener.log.contains(QStringLiteral("signature 0 c2lnMQ==")));
        QVERIFY(listener.log.contains(QStringLiteral("signature 0 c2lnLWZpbmFs")));
        QVERIFY(listener.log.contains(QStringLiteral("thinking 0 Let me think")));
        QCOMPARE(
            message.content.at(0).toJson(),
            parseObject(
                R"({"type":"thinking","thinking":"Let me think about it.","signature":"c2lnLWZpbmFs"})"));
    }

    void keepsRedactedThinkingBlock()
    {
        MessageStreamAssembler assembler;
        QVERIFY(
            run(assembler, messageStart() +
                               blockStart(0, R"({"type":"redacted_thinking","data":"EmwKAhgB"})") +
                               blockStop(0) + kMessageStop));
        QVERIFY(assembler.isComplete());
        QCOMPARE(assembler.message().content.at(0).type, ContentBlockType::RedactedThinking);
        QCOMPARE(assembler.message().content.at(0).data, QStringLiteral("EmwKAhgB"));
    }

    void appendsCitationsToTextBlock()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        QVERIFY(run(
            assembler,
            messageStart() + blockStart(0, R"({"type":"text","text":"","citations":[]})") +
                textDelta(0, "Grass is green.") +
                delta(
                    0,
                    R"({"type":"citations_delta","citation":{"type":"char_location","cited_text":"green","start_char_index":0}})") +
                delta(
                    0,
                    R"({"type":"citations_delta","citation":{"type":"char_location","cited_text":"grass","start_char_index":9}})") +
                blockStop(0) + kMessageStop));
        const ContentBlock &block = assembler.message().content.at(0);
        QCOMPARE(block.citations.size(), 2);
        QCOMPARE(block.citations.at(1).toObject().value(QLatin1String("cited_text")).toString(),
                 QStringLiteral("grass"));
        QCOMPARE(block.text, QStringLiteral("Grass is green."));
        QVERIFY(listener.log.contains(
            R"(citation 0 {"cited_text":"green","start_char_index":0,"type":"char_location"})"));
    }

    void assemblesServerToolUseInput()
    {
        MessageStreamAssembler assembler;
        QVERIFY(run(
            assembler,
            messageStart() +
                blockStart(
                    0,
                    R"({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}})") +
                inputDelta(0, R"({\"query\": )") + inputDelta(0, R"(\"weather\"})") + blockStop(0) +
                kMessageStop));
        const ContentBlock &block = assembler.message().content.at(0);
        QCOMPARE(block.type, ContentBlockType::Other);
        QCOMPARE(block.toJson().value(QLatin1String("input")).toObject(),
                 parseObject(R"({"query":"weather"})"));
    }

    void ignoresPingAnywhere()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        const QByteArray unnamedPing = "data: {\"type\":\"ping\"}\n\n";
        QVERIFY(run(assembler, kPing + unnamedPing + messageStart() + kPing +
                                   blockStart(0, R"({"type":"text","text":""})") + kPing +
                                   textDelta(0, "a") + unnamedPing + textDelta(0, "b") + kPing +
                                   blockStop(0) + kPing + kMessageStop + kPing + unnamedPing));
        QVERIFY(assembler.isComplete());
        QCOMPARE(assembler.message().content.at(0).text, QStringLiteral("ab"));
        QCOMPARE(listener.log.size(), 6);
    }

    void surfacesErrorEventAfterHttp200()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        const QByteArray error = sse(
            "error",
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011"})");
        QVERIFY(!run(assembler, messageStart() + blockStart(0, R"({"type":"text","text":""})") +
                                    textDelta(0, "Hel") + error + textDelta(0, "lo") +
                                    blockStop(0) + kMessageStop));
        QVERIFY(assembler.hasError());
        QVERIFY(assembler.errorCameFromServer());
        QVERIFY(!assembler.isComplete());
        QCOMPARE(assembler.errorType(), QStringLiteral("overloaded_error"));
        QCOMPARE(assembler.errorMessage(), QStringLiteral("Overloaded"));
        QCOMPARE(assembler.errorRequestId(), QStringLiteral("req_011"));
        QCOMPARE(assembler.message().content.at(0).text, QStringLiteral("Hel"));
        QCOMPARE(listener.errors, 1);
        QCOMPARE(listener.log.constLast(),
                 QStringLiteral("error overloaded_error|Overloaded|req_011"));
        QVERIFY(!assembler.feed("message_stop", R"({"type":"message_stop"})"));
    }

    void surfacesErrorEventWithoutNameOrBeforeStart()
    {
        MessageStreamAssembler unnamed;
        QVERIFY(
            !unnamed.feed(QByteArrayView(),
                          R"({"type":"error","error":{"type":"api_error","message":"Internal"}})"));
        QCOMPARE(unnamed.errorType(), QStringLiteral("api_error"));
        QCOMPARE(unnamed.errorMessage(), QStringLiteral("Internal"));
        QVERIFY(unnamed.errorCameFromServer());

        MessageStreamAssembler notJson;
        QVERIFY(!notJson.feed("error", "upstream connect error"));
        QVERIFY(notJson.errorCameFromServer());
        QCOMPARE(notJson.errorType(), QStringLiteral("api_error"));
        QVERIFY2(notJson.errorMessage().contains(QLatin1String("upstream connect error")),
                 qPrintable(notJson.errorMessage()));

        MessageStreamAssembler noMessage;
        QVERIFY(
            !noMessage.feed("error", R"({"type":"error","error":{"type":"rate_limit_error"}})"));
        QCOMPARE(noMessage.errorType(), QStringLiteral("rate_limit_error"));
        QVERIFY(noMessage.errorMessage().contains(QLatin1String("rate_limit_error")));
    }

    void ignoresUnknownEventsAndDeltaTypes()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        QVERIFY(run(assembler,
                    messageStart() + sse("future_event", R"({"type":"future_event","x":1})") +
                        sse("not_json_either", "<html>") + "data: {\"type\":\"future\"}\n\n" +
                        blockStart(0, R"({"type":"text","text":""})") + textDelta(0, "ok") +
                        delta(0, R"({"type":"future_delta","stuff":[1,2]})") + blockStop(0) +
                        kMessageStop));
        QVERIFY(assembler.isComplete());
        QCOMPARE(assembler.message().content.at(0).text, QStringLiteral("ok"));
        QCOMPARE(listener.log.size(), 5);
    }

    void overwritesCumulativeUsage()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        QVERIFY(run(
            assembler,
            messageStart("m",
                         R"({"input_tokens":25,"output_tokens":1,"cache_read_input_tokens":7})") +
                messageDelta("end_turn", R"({"output_tokens":6})") +
                messageDelta(
                    "end_turn",
                    R"({"input_tokens":30,"output_tokens":15,"cache_read_input_tokens":null})") +
                kMessageStop));
        const Usage &usage = assembler.message().usage;
        QCOMPARE(usage.inputTokens, 30);
        QCOMPARE(usage.outputTokens, 15); // neither 1 + 6 + 15 nor 6 + 15
        QCOMPARE(usage.cacheReadInputTokens, 7);
        QCOMPARE(listener.log.mid(1, 2),
                 (QStringList{"delta end_turn in=25 out=6", "delta end_turn in=30 out=15"}));
    }

    void routesByJsonTypeWhenEventNameIsMissing()
    {
        QByteArray stream = toolUseStream();
        QByteArray unnamed;
        for (const QByteArray &line : stream.split('\n')) {
            if (!line.startsWith("event:"))
                unnamed += line + '\n';
        }
        MessageStreamAssembler assembler;
        QVERIFY(run(assembler, unnamed));
        QVERIFY(assembler.isComplete());
        QCOMPARE(assembler.message().content.at(1).input.toObject(),
                 parseObject(R"({"location":"Paris"})"));
        QCOMPARE(assembler.fastPathEventCount(), 6);
    }

    void reportsMalformedJsonAsError()
    {
        RecordingListener listener;
        MessageStreamAssembler assembler(&listener);
        QVERIFY(run(assembler, messageStart() + blockStart(0, R"({"type":"text","text":""})")));
        QVERIFY(!assembler.feed(
            "content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"abc"})"));
        QVERIFY(assembler.hasError());
        QVERIFY(!assembler.errorCameFromServer());
        QCOMPARE(assembler.errorType(), MessageStreamAssembler::decodeErrorType());
        QVERIFY2(assembler.errorMessage().contains(QLatin1String("not valid JSON")),
                 qPrintable(assembler.errorMessage()));
        QCOMPARE(assembler.message().content.at(0).text, QString());
        QCOMPARE(listener.errors, 1);
        // Nothing is taken after an error.
        QVERIFY(!assembler.feed(
            "content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}})"));
        QCOMPARE(assembler.message().content.at(0).text, QString());
        QCOMPARE(listener.errors, 1);
    }

    void rejectsEventsThatBreakTheProtocol_data()
    {
        QTest::addColumn<QByteArray>("stream");
        QTest::addColumn<QString>("messagePart");
        const QByteArray start = messageStart() + blockStart(0, R"({"type":"text","text":""})");
        QTest::newRow("delta before message_start")
            << textDelta(0, "x") << QStringLiteral("before message_start");
        QTest::newRow("second message_start")
            << messageStart() + messageStart() << QStringLiteral("second message_start");
        QTest::newRow("delta for unknown block")
            << start + textDelta(3, "x") << QStringLiteral("never started");
        QTest::newRow("delta after block stop")
            << start + blockStop(0) + textDelta(0, "x") << QStringLiteral("after it ended");
        QTest::newRow("block started out of order")
            << start + blockStart(2, R"({"type":"text","text":""})")
            << QStringLiteral("block 1 was expected");
        QTest::newRow("text delta on tool_use block")
            << messageStart() +
                   blockStart(0, R"({"type":"tool_use","id":"t","name":"n","input":{}})") +
                   textDelta(0, "x")
            << QStringLiteral("does not fit content block 0");
        QTest::newRow("input delta on text block")
            << start + inputDelta(0, "{}") << QStringLiteral("does not fit content block 0");
        QTest::newRow("text delta without text") << start + delta(0, R"({"type":"text_delta"})")
                                                 << QStringLiteral("does not fit content block 0");
        QTest::newRow("message_start without message")
            << sse("message_start", R"({"type":"message_start"})")
            << QStringLiteral("without a message");
    }

    void rejectsEventsThatBreakTheProtocol()
    {
        QFETCH(QByteArray, stream);
        QFETCH(QString, messagePart);
        MessageStreamAssembler assembler;
        QVERIFY(!run(assembler, stream));
        QVERIFY(assembler.hasError());
        QCOMPARE(assembler.errorType(), MessageStreamAssembler::decodeErrorType());
        QVERIFY2(assembler.errorMessage().contains(messagePart),
                 qPrintable(assembler.errorMessage()));
    }

    void ignoresEventsAfterMessageStop()
    {
        MessageStreamAssembler assembler;
        QVERIFY(run(assembler, textStream() + textDelta(0, "more") + messageStart()));
        QVERIFY(assembler.isComplete());
        QCOMPARE(assembler.message().content.at(0).text, QStringLiteral("Hello there!"));
    }

    void fastPathDecodesLikeQJsonDocument_data()
    {
        QTest::addColumn<QByteArray>("body"); // the inside of a JSON string literal
        QTest::addColumn<bool>("fastForText");
        QTest::addColumn<bool>("fastForInput");
        QTest::newRow("plain") << QByteArray("Hello, world") << true << true;
        QTest::newRow("empty") << QByteArray() << true << true;
        QTest::newRow("short escapes")
            << QByteArray(R"(a\nb\tc\rd\\e\"f\/g\bh\fi)") << true << true;
        QTest::newRow("bmp escapes") << QByteArray(R"(caf\u00e9 \u20AC \u4E2d)") << true << true;
        QTest::newRow("surrogate pair lower") << QByteArray(R"(x\ud83d\ude00y)") << true << true;
        QTest::newRow("surrogate pair upper") << QByteArray(R"(\uD83D\uDE00)") << true << true;
        QTest::newRow("raw utf8") << QByteArray("caf\xC3\xA9 \xE2\x82\xAC \xE4\xB8\xAD "
                                                "\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBD")
                                  << true << true;
        QTest::newRow("escaped nul") << QByteArray(R"(a\u0000b)") << true << true;
        QTest::newRow("del") << QByteArray("a\x7F"
                                           "b")
                             << true << true;
        QTest::newRow("lone high surrogate") << QByteArray(R"(x\ud800y)") << true << false;
        QTest::newRow("lone low surrogate") << QByteArray(R"(\udc00)") << true << false;
        QTest::newRow("high then not low") << QByteArray(R"(\ud800\u0041)") << true << false;
        QTest::newRow("raw noncharacter") << QByteArray("\xEF\xBF\xBE") << false << false;
        QTest::newRow("overlong nul") << QByteArray("\xC0\x80") << false << false;
        QTest::newRow("encoded surrogate") << QByteArray("\xED\xA0\x80") << false << false;
        QTest::newRow("lone continuation") << QByteArray("a\x80") << false << false;
        QTest::newRow("truncated sequence") << QByteArray("a\xE2\x82") << false << false;
        QTest::newRow("beyond U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << false << false;
        QTest::newRow("raw control") << QByteArray("a\x01") << false << false;
        QTest::newRow("raw newline") << QByteArray("a\nb") << false << false;
        QTest::newRow("unknown escape") << QByteArray(R"(\x41)") << false << false;
        QTest::newRow("short unicode escape") << QByteArray(R"(\u12)") << false << false;
        QTest::newRow("bad hex") << QByteArray(R"(\u12g4)") << false << false;
        QTest::newRow("escaped closing quote") << QByteArray(R"(abc\)") << false << false;
    }

    void fastPathDecodesLikeQJsonDocument()
    {
        QFETCH(QByteArray, body);
        QFETCH(bool, fastForText);
        QFETCH(bool, fastForInput);
        compareWithQJsonDocument(body, fastPath(fastForText), fastPath(fastForInput));
    }

    void fastPathDecodesSpecialsAtEveryOffsetOfLongRuns()
    {
        struct Special
        {
            QByteArray json;
            bool fastForText;
            bool fastForInput;
        };
        const QList<Special> specials = {
            {R"(\n)", true, true},
            {R"(\")", true, true},
            {R"(\\)", true, true},
            {"\xC3\xA9", true, true},
            {R"(\u00e9)", true, true},
            {"\xF0\x9F\x98\x80", true, true},
            {R"(\ud83d\ude00)", true, true},
            {R"(\udc00)", true, false},
            {"\x7F", true, true},
            {"\x1F", false, false}, // raw control character: invalid
            {"\"", false, false},   // raw quote: ends the string, the rest is not JSON
            {"\x80", false, false}, // stray continuation byte: invalid UTF-8
        };
        for (const Special &special : specials) {
            for (int offset = 0; offset < 18; ++offset) {
                const QByteArray body =
                    QByteArray(offset, 'a') + special.json + QByteArray(20 - offset, 'b');
                compareWithQJsonDocument(body, fastPath(special.fastForText),
                                         fastPath(special.fastForInput));
                if (QTest::currentTestFailed()) {
                    qWarning("body: %s", body.toPercentEncoding().constData());
                    return;
                }
            }
        }
    }

    void fastPathMatchesQJsonDocumentOnRandomStrings()
    {
        // Random mixes of the pieces a JSON string can hold, valid and not.
        const QList<QByteArray> pieces = {
            "a",
            "plain text ",
            R"(\n)",
            R"(\")",
            R"(\\)",
            R"(\/)",
            R"(\t)",
            R"(\u00e9)",
            R"(\u20AC)",
            R"(\ud83d)",
            R"(\ude00)",
            R"(\uFFFF)",
            "\xC3\xA9",
            "\xE2\x82\xAC",
            "\xF0\x9F\x98\x80",
            "\xEF\xBF\xBE",
            "\x7F",
            "\x01",
            "\xC3",
            "\x80",
            "\\",
            "\"",
            R"(\u00)",
            R"(\q)",
        };
        QRandomGenerator random(20261124);
        for (int i = 0; i < 3000; ++i) {
            QByteArray body;
            for (int n = random.bounded(1, 12); n > 0; --n)
                body += pieces.at(random.bounded(pieces.size()));
            compareWithQJsonDocument(body, FastPath::Unchecked, FastPath::Unchecked);
            if (QTest::currentTestFailed()) {
                qWarning("body: %s", body.toPercentEncoding().constData());
                return;
            }
        }
    }

    void fastPathAcceptsAnyKeyOrderAndWhitespace()
    {
        MessageStreamAssembler assembler;
        QVERIFY(run(assembler, messageStart() + blockStart(0, R"({"type":"text","text":""})")));
        QVERIFY(assembler.feed("content_block_delta", " {\r\n \"delta\" :\t{ \"text\" : \"a\\\"b\" "
                                                      ", \"type\":\"text_delta\" } ,\"index\" : 0, "
                                                      "\"type\" : \"content_block_delta\" }\n "));
        QVERIFY(assembler.feed(
            QByteArrayView(),
            R"({"index":0,"type":"content_block_delta","delta":{"type":"text_delta","text":"c"}})"));
        QCOMPARE(assembler.fastPathEventCount(), 2);
        QCOMPARE(assembler.message().content.at(0).text, QStringLiteral("a\"bc"));
    }

    void fastPathLeavesUnusualShapesToQJsonDocument_data()
    {
        QTest::addColumn<QByteArray>("event");
        QTest::newRow("fractional index") << QByteArray(
            R"({"type":"content_block_delta","index":0.0,"delta":{"type":"text_delta","text":"x"}})");
        QTest::newRow("exponent index") << QByteArray(
            R"({"type":"content_block_delta","index":0e0,"delta":{"type":"text_delta","text":"x"}})");
        QTest::newRow("escaped key") << QByteArray(
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","te\u0078t":"x"}})");
        QTest::newRow("escaped type value") << QByteArray(
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text\u005fdelta","text":"x"}})");
        QTest::newRow("duplicate text takes the last") << QByteArray(
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"y","text":"x"}})");
        QTest::newRow("unknown delta field") << QByteArray(
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","future":null}})");
    }

    void fastPathLeavesUnusualShapesToQJsonDocument()
    {
        QFETCH(QByteArray, event);
        MessageStreamAssembler assembler;
        QVERIFY(run(assembler, messageStart() + blockStart(0, R"({"type":"text","text":""})")));
        QVERIFY2(assembler.feed("content_block_delta", event),
                 qPrintable(assembler.errorMessage()));
        QCOMPARE(assembler.fastPathEventCount(), 0);
        QCOMPARE(assembler.message().content.at(0).text, QStringLiteral("x"));
    }

    void textBlockGrowsInAmortizedConstantTime()
    {
        for (const bool fast : {true, false}) {
            MessageStreamAssembler assembler;
            QVERIFY(run(assembler, messageStart() + blockStart(0, R"({"type":"text","text":""})")));
            const QByteArray event =
                fast
                    ? QByteArray(
                          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ab"}})")
                    : QByteArray(
                          R"({"type":"content_block_delta","index":0,"x":0,"delta":{"type":"text_delta","text":"ab"}})");
            constexpr int kDeltas = 20000;
            int capacityChanges = 0;
            qsizetype lastCapacity = -1;
            for (int i = 0; i < kDeltas; ++i) {
                QVERIFY(assembler.feed("content_block_delta", event));
                const qsizetype capacity = assembler.message().content.at(0).text.capacity();
                if (capacity != lastCapacity)
                    ++capacityChanges;
                lastCapacity = capacity;
            }
            QCOMPARE(assembler.message().content.at(0).text.size(), 2 * kDeltas);
            QCOMPARE(assembler.fastPathEventCount(), fast ? kDeltas : 0);
            // Geometric growth reallocates about log2(40000) times; growth by the delta
            // size would reallocate on every event.
            QVERIFY2(capacityChanges < 64, qPrintable(QString::number(capacityChanges)));
        }
    }

    void resetAllowsReuse()
    {
        MessageStreamAssembler assembler;
        QVERIFY(!assembler.feed("error", R"({"type":"error","error":{"type":"x","message":"y"}})"));
        assembler.reset();
        QVERIFY(!assembler.hasError());
        QVERIFY(!assembler.isStarted());
        QVERIFY(assembler.errorType().isEmpty());
        QVERIFY(run(assembler, textStream()));
        QVERIFY(assembler.isComplete());
        QCOMPARE(assembler.message().content.at(0).text, QStringLiteral("Hello there!"));
    }
};

QTEST_GUILESS_MAIN(tst_MessageStreamAssembler)
#include "tst_MessageStreamAssembler.moc"
