#include "SseParser.h"

#include <QtTest>

using namespace qlaude;

namespace {

using Events = QList<QPair<QByteArray, QByteArray>>;

Events toPairs(const QList<SseEvent> &events)
{
    Events pairs;
    for (const SseEvent &event : events)
        pairs.append({event.event, event.data});
    return pairs;
}

// Feeds `stream` in chunks of `chunkSize` bytes, then finishes.
Events parseInChunks(const QByteArray &stream, qsizetype chunkSize, bool *ok = nullptr)
{
    SseParser parser;
    QList<SseEvent> out;
    bool allOk = true;
    for (qsizetype pos = 0; pos < stream.size(); pos += chunkSize)
        allOk =
            parser.feed(QByteArrayView(stream).sliced(pos, qMin(chunkSize, stream.size() - pos)),
                        out) &&
            allOk;
    allOk = parser.finish(out) && allOk;
    if (ok)
        *ok = allOk;
    return toPairs(out);
}

// A stream that exercises every rule at once, with all three line ends.
const QByteArray kSampleStream = QByteArray("\xEF\xBB\xBF"
                                            ": a comment right after the BOM\n"
                                            "event: message_start\n"
                                            "data: {\"type\":\"message_start\"}\n"
                                            "\n"
                                            "event: content_block_delta\r\n"
                                            "data:{\"text\":\"no space\"}\r\n"
                                            "\r\n"
                                            "event: multi\r"
                                            "data: line one\r"
                                            ": comment inside an event\r"
                                            "data:  two spaces keep one\r"
                                            "id: 7\r"
                                            "retry: 1000\r"
                                            "\r"
                                            "event: ping\n"
                                            "\n"
                                            "data: unnamed\r\n"
                                            "\n"
                                            "event: last\n"
                                            "data: end\n"
                                            "\n");

const Events kSampleEvents = {
    {"message_start", "{\"type\":\"message_start\"}"},
    {"content_block_delta", "{\"text\":\"no space\"}"},
    {"multi", "line one\n two spaces keep one"},
    {"", "unnamed"},
    {"last", "end"},
};

} // namespace

class tst_SseParser : public QObject
{
    Q_OBJECT

private slots:
    void parsesSampleStreamWhole()
    {
        bool ok = false;
        QCOMPARE(parseInChunks(kSampleStream, kSampleStream.size(), &ok), kSampleEvents);
        QVERIFY(ok);
    }

    void parsesSampleStreamInEveryChunkSize()
    {
        for (qsizetype chunkSize = 1; chunkSize <= kSampleStream.size(); ++chunkSize) {
            bool ok = false;
            const Events events = parseInChunks(kSampleStream, chunkSize, &ok);
            QVERIFY2(ok, qPrintable(QStringLiteral("chunk size %1").arg(chunkSize)));
            QVERIFY2(events == kSampleEvents,
                     qPrintable(QStringLiteral("chunk size %1 gave %2 events")
                                    .arg(chunkSize)
                                    .arg(events.size())));
        }
    }

    void parsesSampleStreamSplitAtEveryPoint()
    {
        for (qsizetype split = 0; split <= kSampleStream.size(); ++split) {
            SseParser parser;
            QList<SseEvent> out;
            QVERIFY(parser.feed(QByteArrayView(kSampleStream).first(split), out));
            QVERIFY(parser.feed(QByteArrayView(kSampleStream).sliced(split), out));
            QVERIFY(parser.finish(out));
            QVERIFY2(toPairs(out) == kSampleEvents,
                     qPrintable(QStringLiteral("split at %1").arg(split)));
        }
    }

    void crlfSplitAcrossChunksIsOneLineEnd()
    {
        // Were the \r and the \n two line ends, the empty line between them would dispatch
        // "a" alone before "b" arrives.
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("data: a\r", out));
        QVERIFY(out.isEmpty());
        QVERIFY(parser.feed("\ndata: b\r", out));
        QVERIFY(out.isEmpty());
        QVERIFY(parser.feed("\n", out));
        QVERIFY(out.isEmpty());
        QVERIFY(parser.feed("\r", out));
        QCOMPARE(toPairs(out), (Events{{"", "a\nb"}}));
        QVERIFY(parser.feed("\n", out)); // the \n of that CRLF: not another blank line
        QVERIFY(parser.feed("data: c\n\n", out));
        QCOMPARE(toPairs(out), (Events{{"", "a\nb"}, {"", "c"}}));
    }

    void crAtChunkEndThenEmptyChunkStillPairsWithLf()
    {
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("data: a\r", out));
        QVERIFY(parser.feed(QByteArrayView(), out));
        QVERIFY(parser.feed("\ndata: b\n\n", out));
        QCOMPARE(toPairs(out), (Events{{"", "a\nb"}}));
    }

    void loneCrEndsLines()
    {
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("event: x\rdata: 1\r\rdata: 2\r", out));
        QCOMPARE(toPairs(out), (Events{{"x", "1"}}));
        QVERIFY(parser.feed("\r", out));
        QCOMPARE(toPairs(out), (Events{{"x", "1"}, {"", "2"}}));
    }

    void crCrIsTwoLineEnds()
    {
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("data: a\r", out));
        QVERIFY(parser.feed("\r", out));
        QCOMPARE(toPairs(out), (Events{{"", "a"}}));
    }

    void stripsBomAtStreamStartOnly()
    {
        QCOMPARE(parseInChunks("\xEF\xBB\xBF"
                               "data: x\n\n",
                               1),
                 (Events{{"", "x"}}));
        // Without stripping, the field would be named "\xEF\xBB\xBFdata" and ignored.
        QCOMPARE(parseInChunks("data: x\n\n\xEF\xBB\xBF"
                               "data: y\n\n",
                               4),
                 (Events{{"", "x"}}));
    }

    void partialBomBytesAreText()
    {
        // "\xEF\xBB" then "d": not a BOM, so the first field is "\xEF\xBB" "data" (ignored).
        QCOMPARE(parseInChunks("\xEF\xBB"
                               "data: x\n\ndata: y\n\n",
                               1),
                 (Events{{"", "y"}}));
        QCOMPARE(parseInChunks("\xEF\xBB"
                               ":comment\ndata: y\n\n",
                               1),
                 (Events{{"", "y"}}));
    }

    void ignoresCommentLines()
    {
        QCOMPARE(parseInChunks(":\n: hello\ndata: a\n:data: b\n\n", 3), (Events{{"", "a"}}));
        // A stream of nothing but comments (keep-alives) dispatches nothing.
        QCOMPARE(parseInChunks(": keep-alive\n\n: keep-alive\n\n", 5), Events());
    }

    void joinsMultiLineDataWithNewline()
    {
        QCOMPARE(parseInChunks("data: one\ndata: two\ndata: three\n\n", 2),
                 (Events{{"", "one\ntwo\nthree"}}));
        QCOMPARE(parseInChunks("data: one\ndata:\ndata: three\n\n", 2),
                 (Events{{"", "one\n\nthree"}}));
    }

    void stripsOnlyOneSpaceAfterColon()
    {
        QCOMPARE(parseInChunks("event:name\ndata:x\n\n", 1), (Events{{"name", "x"}}));
        QCOMPARE(parseInChunks("data:   x \n\n", 1), (Events{{"", "  x "}}));
        QCOMPARE(parseInChunks("data:a:b: c\n\n", 1), (Events{{"", "a:b: c"}}));
    }

    void fieldWithoutColonHasEmptyValue()
    {
        QCOMPARE(parseInChunks("data\ndata\ndata: x\n\n", 1), (Events{{"", "\n\nx"}}));
        // `event` without a colon clears nothing but names the event "".
        QCOMPARE(parseInChunks("event\ndata: x\n\n", 1), (Events{{"", "x"}}));
        QCOMPARE(parseInChunks("data\n\n", 1), Events());
    }

    void ignoresIdRetryAndUnknownFields()
    {
        QCOMPARE(parseInChunks("id: 1\nretry: 5\nfoo: bar\nDATA: no\nevent: e\ndata: x\n\n", 1),
                 (Events{{"e", "x"}}));
    }

    void doesNotDispatchEventsWithoutData()
    {
        QCOMPARE(parseInChunks("event: ping\n\nevent: ping\ndata:\n\nid: 3\n\n", 1), Events());
    }

    void dispatchesEventsWithoutNameWithEmptyName()
    {
        QCOMPARE(parseInChunks("data: {\"type\":\"ping\"}\n\nevent: a\ndata: 1\n\ndata: 2\n\n", 1),
                 (Events{{"", "{\"type\":\"ping\"}"}, {"a", "1"}, {"", "2"}}));
    }

    void eventNameDoesNotLeakIntoNextEvent()
    {
        QCOMPARE(parseInChunks("event: a\n\ndata: 1\n\n", 1), (Events{{"", "1"}}));
        QCOMPARE(parseInChunks("event: a\nevent: b\ndata: 1\n\n", 1), (Events{{"b", "1"}}));
    }

    void appendsToOutputWithoutClearingIt()
    {
        SseParser parser;
        QList<SseEvent> out{{"earlier", "kept"}};
        QVERIFY(parser.feed("data: new\n\n", out));
        QCOMPARE(toPairs(out), (Events{{"earlier", "kept"}, {"", "new"}}));
    }

    void stopsWithClearErrorAtDefaultSizeCap()
    {
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("data: small\n\n", out));
        const QByteArray line = "data: " + QByteArray(SseParser::kDefaultMaxEventBytes, 'x');
        // The line has not ended yet; the cap still applies to what has arrived.
        QVERIFY(!parser.feed(line, out));
        QVERIFY(parser.hasError());
        QCOMPARE(parser.errorString(),
                 QStringLiteral(
                     "A server-sent event exceeded the 16 MiB limit; the stream was stopped."));
        QCOMPARE(toPairs(out), (Events{{"", "small"}}));
        QVERIFY(!parser.feed("\n\ndata: later\n\n", out));
        QVERIFY(!parser.finish(out));
        QCOMPARE(out.size(), 1);
    }

    void acceptsEventExactlyAtSizeCap()
    {
        SseParser parser(16);
        QList<SseEvent> out;
        QVERIFY(parser.feed("data: 0123456789\n\n", out)); // 16 bytes of lines
        QCOMPARE(toPairs(out), (Events{{"", "0123456789"}}));
        QVERIFY(!parser.hasError());
        QVERIFY(parser.errorString().isEmpty());
    }

    void sizeCapCountsEveryLineOfAnEvent()
    {
        SseParser parser(20);
        QList<SseEvent> out;
        QVERIFY(parser.feed("data: 12345\n", out));
        QVERIFY(!parser.feed("data: 12345\n", out)); // 22 bytes: over
        QVERIFY(parser.hasError());
        QCOMPARE(parser.errorString(),
                 QStringLiteral("A server-sent event exceeded the 20-byte limit; the stream was "
                                "stopped."));
        QVERIFY(out.isEmpty());
    }

    void sizeCapIsPerEvent()
    {
        SseParser parser(32);
        QList<SseEvent> out;
        for (int i = 0; i < 100; ++i)
            QVERIFY(parser.feed("event: e\ndata: 0123456789\n\n", out));
        QCOMPARE(out.size(), 100);
        QVERIFY(!parser.hasError());
    }

    void resetClearsErrorAndState()
    {
        SseParser parser(8);
        QList<SseEvent> out;
        QVERIFY(!parser.feed("data: way too long\n", out));
        parser.reset();
        QVERIFY(!parser.hasError());
        QVERIFY(parser.feed("data: ok\n\n", out));
        QCOMPARE(toPairs(out), (Events{{"", "ok"}}));
    }

    void finishDispatchesPendingEventWithoutBlankLine()
    {
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("event: message_stop\ndata: {\"type\":\"message_stop\"}\n", out));
        QVERIFY(out.isEmpty());
        QVERIFY(parser.finish(out));
        QCOMPARE(toPairs(out), (Events{{"message_stop", "{\"type\":\"message_stop\"}"}}));
    }

    void finishTakesLastLineWithoutLineEnd()
    {
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("data: a\ndata: b", out));
        QVERIFY(parser.finish(out));
        QCOMPARE(toPairs(out), (Events{{"", "a\nb"}}));
    }

    void finishWithoutPendingDataDispatchesNothing()
    {
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("data: a\n\nevent: x\n: comment", out));
        QVERIFY(parser.finish(out));
        QCOMPARE(toPairs(out), (Events{{"", "a"}}));
    }

    void finishStartsAFreshStream()
    {
        SseParser parser;
        QList<SseEvent> out;
        QVERIFY(parser.feed("event: a\ndata: 1", out));
        QVERIFY(parser.finish(out));
        QVERIFY(parser.finish(out)); // nothing left to flush
        QCOMPARE(out.size(), 1);
        // A new stream may start with a BOM again, and nothing of the old one survives.
        QVERIFY(parser.feed("\xEF\xBB\xBF"
                            "data: 2\n\n",
                            out));
        QCOMPARE(toPairs(out), (Events{{"a", "1"}, {"", "2"}}));
    }

    void keepsDataWhenCallerReusesChunkBuffer()
    {
        // The event's data line arrives in one chunk and its end in the next; the caller's
        // buffer is overwritten in between, as a network read buffer would be.
        SseParser parser;
        QList<SseEvent> out;
        QByteArray buffer = "event: e\ndata: first\n";
        QVERIFY(parser.feed(buffer, out));
        buffer.fill('X');
        buffer = "\ndata: second\n";
        QVERIFY(parser.feed(buffer, out));
        buffer.fill('Y');
        QVERIFY(parser.feed("\n", out));
        QCOMPARE(toPairs(out), (Events{{"e", "first"}, {"", "second"}}));
    }

    void handlesLongLinesAcrossManyChunks()
    {
        QByteArray payload;
        for (int i = 0; i < 5000; ++i)
            payload += QByteArray::number(i) + ',';
        const QByteArray stream = "event: big\r\ndata: " + payload + "\r\n\r\ndata: after\r\n\r\n";
        for (qsizetype chunk : {1, 7, 64, 4096}) {
            QCOMPARE(parseInChunks(stream, chunk), (Events{{"big", payload}, {"", "after"}}));
        }
    }
};

QTEST_GUILESS_MAIN(tst_SseParser)
#include "tst_SseParser.moc"
