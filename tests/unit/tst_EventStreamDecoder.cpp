#include "EventStreamDecoder.h"
#include "EventStreamEncoder.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <random>

using namespace qlaude;
using qlaude::fakes::EventStreamEncoder;

namespace {

// The aws-sdk-go event-stream vectors (tests/data/eventstream/README.md), or the testdata
// folder named by QLAUDE_EVENTSTREAM_VECTORS.
QString vectorRoot()
{
    const QByteArray env = qgetenv("QLAUDE_EVENTSTREAM_VECTORS");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    return QStringLiteral(QLAUDE_TEST_DATA_DIR
                          "/eventstream/aws-sdk-go/private/protocol/eventstream/testdata");
}

QStringList vectorNames(const char *kind)
{
    return QDir(vectorRoot() + QStringLiteral("/encoded/") + QLatin1String(kind))
        .entryList(QDir::Files, QDir::Name);
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray();
    return file.readAll();
}

QByteArray encodedVector(const char *kind, const QString &name)
{
    return readFile(vectorRoot() + QStringLiteral("/encoded/") + QLatin1String(kind) +
                    QLatin1Char('/') + name);
}

QByteArray decodedVector(const char *kind, const QString &name)
{
    return readFile(vectorRoot() + QStringLiteral("/decoded/") + QLatin1String(kind) +
                    QLatin1Char('/') + name);
}

quint32 be32(const QByteArray &data, qsizetype at)
{
    const auto *p = reinterpret_cast<const uchar *>(data.constData() + at);
    return (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | quint32(p[3]);
}

// The decoded JSON's header value as the decoder gives it (see EventStreamHeader).
QVariant expectedValue(const QJsonObject &header)
{
    const QJsonValue v = header.value(QLatin1String("value"));
    switch (header.value(QLatin1String("type")).toInt(-1)) {
    case EventStreamHeader::BoolTrue:
    case EventStreamHeader::BoolFalse:
        return v.toBool();
    case EventStreamHeader::Byte:
    case EventStreamHeader::Short:
    case EventStreamHeader::Int32:
        return v.toInt();
    case EventStreamHeader::Int64:
    case EventStreamHeader::Timestamp:
        return qint64(v.toDouble());
    case EventStreamHeader::String:
        return QString::fromUtf8(QByteArray::fromBase64(v.toString().toLatin1()));
    case EventStreamHeader::Bytes:
    case EventStreamHeader::Uuid:
        return QByteArray::fromBase64(v.toString().toLatin1());
    default:
        return QVariant();
    }
}

// The decoded JSON as the message the decoder should produce.
EventStreamMessage expectedMessage(const QJsonObject &json)
{
    EventStreamMessage m;
    for (const QJsonValue &v : json.value(QLatin1String("headers")).toArray()) {
        const QJsonObject o = v.toObject();
        EventStreamHeader h;
        h.name = o.value(QLatin1String("name")).toString().toUtf8();
        h.type = quint8(o.value(QLatin1String("type")).toInt());
        h.value = expectedValue(o);
        m.headers.append(h);
    }
    m.payload = QByteArray::fromBase64(json.value(QLatin1String("payload")).toString().toLatin1());
    return m;
}

// Field by field; the first difference is named.
QString differenceBetween(const EventStreamMessage &got, const EventStreamMessage &want)
{
    if (got.headers.size() != want.headers.size())
        return QStringLiteral("%1 headers, expected %2")
            .arg(got.headers.size())
            .arg(want.headers.size());
    for (qsizetype i = 0; i < want.headers.size(); ++i) {
        const EventStreamHeader &g = got.headers.at(i);
        const EventStreamHeader &w = want.headers.at(i);
        if (g.name != w.name)
            return QStringLiteral("header %1 named '%2', expected '%3'")
                .arg(i)
                .arg(QString::fromUtf8(g.name), QString::fromUtf8(w.name));
        if (g.type != w.type)
            return QStringLiteral("header %1 of type %2, expected %3")
                .arg(i)
                .arg(g.type)
                .arg(w.type);
        if (g.value.typeId() != w.value.typeId() || g.value != w.value)
            return QStringLiteral("header '%1' value %2 (%3), expected %4 (%5)")
                .arg(QString::fromUtf8(g.name), g.value.toString(),
                     QString::fromLatin1(g.value.typeName()), w.value.toString(),
                     QString::fromLatin1(w.value.typeName()));
    }
    if (got.payload != want.payload)
        return QStringLiteral("payload differs: %1").arg(QString::fromUtf8(got.payload.toHex()));
    return QString();
}

struct Decoded
{
    QList<EventStreamMessage> messages;
    bool ok = false;
    QString error;
};

// Feeds `data` in pieces cut at `cuts` (ascending offsets), then finishes.
Decoded decodeInPieces(const QByteArray &data, const QList<qsizetype> &cuts)
{
    Decoded d;
    EventStreamDecoder decoder;
    qsizetype from = 0;
    d.ok = true;
    QList<qsizetype> ends = cuts;
    ends.append(data.size());
    for (const qsizetype to : ends) {
        if (!decoder.feed(QByteArrayView(data).sliced(from, to - from), d.messages)) {
            d.ok = false;
            break;
        }
        from = to;
    }
    if (d.ok)
        d.ok = decoder.finish();
    d.error = decoder.errorString();
    return d;
}

Decoded decodeWhole(const QByteArray &data)
{
    return decodeInPieces(data, {});
}

bool sameMessages(const QList<EventStreamMessage> &a, const QList<EventStreamMessage> &b,
                  QString *why)
{
    if (a.size() != b.size()) {
        *why = QStringLiteral("%1 messages, expected %2").arg(a.size()).arg(b.size());
        return false;
    }
    for (qsizetype i = 0; i < a.size(); ++i) {
        *why = differenceBetween(a.at(i), b.at(i));
        if (!why->isEmpty())
            return false;
    }
    return true;
}

EventStreamHeader header(const char *name, EventStreamHeader::Type type, const QVariant &value)
{
    EventStreamHeader h;
    h.name = name;
    h.type = type;
    h.value = value;
    return h;
}

// A prelude with a correct CRC.
QByteArray prelude(quint32 total, quint32 headersLength)
{
    QByteArray p;
    for (const quint32 v : {total, headersLength})
        for (int shift = 24; shift >= 0; shift -= 8)
            p += char((v >> shift) & 0xFF);
    const quint32 crc = EventStreamEncoder::crc32(p);
    for (int shift = 24; shift >= 0; shift -= 8)
        p += char((crc >> shift) & 0xFF);
    return p;
}

// A message with correct CRCs around an arbitrary header block and payload.
QByteArray frame(const QByteArray &headerBlock, const QByteArray &payload)
{
    QByteArray out =
        prelude(quint32(16 + headerBlock.size() + payload.size()), quint32(headerBlock.size())) +
        headerBlock + payload;
    const quint32 crc = EventStreamEncoder::crc32(out);
    for (int shift = 24; shift >= 0; shift -= 8)
        out += char((crc >> shift) & 0xFF);
    return out;
}

} // namespace

// The AWS event-stream decoder (PROTOCOLS.md 2.4) against the aws-sdk-go vectors, arbitrary
// chunking, corrupt and random input, and the fake servers' encoder.
class tst_EventStreamDecoder : public QObject
{
    Q_OBJECT

private slots:
    void findsTheVectors()
    {
        QVERIFY2(!vectorNames("positive").isEmpty(),
                 qPrintable(QStringLiteral("no positive vectors under ") + vectorRoot()));
        QVERIFY2(!vectorNames("negative").isEmpty(),
                 qPrintable(QStringLiteral("no negative vectors under ") + vectorRoot()));
        if (qEnvironmentVariableIsEmpty("QLAUDE_EVENTSTREAM_VECTORS")) {
            QCOMPARE(vectorNames("positive").size(), 5);
            QCOMPARE(vectorNames("negative").size(), 4);
        }
    }

    void crc32MatchesZlib()
    {
        // zlib's crc32 of "123456789" (the CRC-32/ISO-HDLC check value) and of nothing.
        QCOMPARE(EventStreamDecoder::crc32("123456789"), 0xCBF43926u);
        QCOMPARE(EventStreamDecoder::crc32(QByteArrayView()), 0u);
        // Continuing a CRC over the rest equals one pass; lengths around the 8-byte stride.
        const QByteArray data = "The quick brown fox jumps over the lazy dog, 0123456789";
        for (qsizetype n = 0; n <= data.size(); ++n) {
            const QByteArrayView whole = QByteArrayView(data).first(n);
            QCOMPARE(EventStreamDecoder::crc32(whole),
                     EventStreamEncoder::crc32(whole.toByteArray()));
            const qsizetype half = n / 2;
            QCOMPARE(EventStreamDecoder::crc32(whole.sliced(half),
                                               EventStreamDecoder::crc32(whole.first(half))),
                     EventStreamDecoder::crc32(whole));
        }
    }

    void decodesPositiveVectors_data()
    {
        QTest::addColumn<QString>("name");
        for (const QString &name : vectorNames("positive"))
            QTest::newRow(qPrintable(name)) << name;
    }
    void decodesPositiveVectors()
    {
        QFETCH(QString, name);
        const QByteArray encoded = encodedVector("positive", name);
        QJsonParseError pe;
        const QJsonObject json =
            QJsonDocument::fromJson(decodedVector("positive", name), &pe).object();
        QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
        QVERIFY(!encoded.isEmpty() || json.value(QLatin1String("total_length")).toInt() == 0);

        // The framing fields (CRCs are written as signed int32 in the JSON).
        QCOMPARE(qint64(encoded.size()), qint64(json.value(QLatin1String("total_length")).toInt()));
        QCOMPARE(be32(encoded, 0), quint32(encoded.size()));
        QCOMPARE(be32(encoded, 4), quint32(json.value(QLatin1String("headers_length")).toInt()));
        QCOMPARE(be32(encoded, 8), quint32(json.value(QLatin1String("prelude_crc")).toInt()));
        QCOMPARE(be32(encoded, encoded.size() - 4),
                 quint32(json.value(QLatin1String("message_crc")).toInt()));
        QCOMPARE(EventStreamDecoder::crc32(QByteArrayView(encoded).first(8)), be32(encoded, 8));

        const Decoded d = decodeWhole(encoded);
        QVERIFY2(d.ok, qPrintable(d.error));
        QCOMPARE(d.messages.size(), 1);
        const EventStreamMessage want = expectedMessage(json);
        const QString difference = differenceBetween(d.messages.constFirst(), want);
        QVERIFY2(difference.isEmpty(), qPrintable(difference));

        // The encoder writes the same bytes from the same fields.
        QCOMPARE(EventStreamEncoder::encode(want.headers, want.payload), encoded);
    }

    // Each positive vector fed one byte at a time, and split in two at every offset.
    void positiveVectorsSurviveAnyChunking_data() { decodesPositiveVectors_data(); }
    void positiveVectorsSurviveAnyChunking()
    {
        QFETCH(QString, name);
        const QByteArray encoded = encodedVector("positive", name);
        const Decoded whole = decodeWhole(encoded);
        QVERIFY2(whole.ok, qPrintable(whole.error));

        QList<qsizetype> everyByte;
        for (qsizetype i = 1; i < encoded.size(); ++i)
            everyByte.append(i);
        const Decoded byByte = decodeInPieces(encoded, everyByte);
        QVERIFY2(byByte.ok, qPrintable(byByte.error));
        QString why;
        QVERIFY2(sameMessages(byByte.messages, whole.messages, &why), qPrintable(why));

        for (qsizetype cut = 0; cut <= encoded.size(); ++cut) {
            const Decoded split = decodeInPieces(encoded, {cut});
            QVERIFY2(split.ok,
                     qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(split.error)));
            QVERIFY2(sameMessages(split.messages, whole.messages, &why),
                     qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(why)));
        }
    }

    void allVectorsInOneStream()
    {
        QByteArray stream;
        QList<EventStreamMessage> expected;
        for (const QString &name : vectorNames("positive")) {
            stream += encodedVector("positive", name);
            expected +=
                expectedMessage(QJsonDocument::fromJson(decodedVector("positive", name)).object());
        }
        std::mt19937 random(7);
        QList<qsizetype> cuts;
        for (qsizetype at = 0; at < stream.size();) {
            at += std::uniform_int_distribution<int>(1, 40)(random);
            if (at < stream.size())
                cuts.append(at);
        }
        for (const QList<qsizetype> &pieces : {QList<qsizetype>(), cuts}) {
            const Decoded d = decodeInPieces(stream, pieces);
            QVERIFY2(d.ok, qPrintable(d.error));
            QString why;
            QVERIFY2(sameMessages(d.messages, expected, &why), qPrintable(why));
        }
    }

    void rejectsNegativeVectors_data()
    {
        QTest::addColumn<QString>("name");
        for (const QString &name : vectorNames("negative"))
            QTest::newRow(qPrintable(name)) << name;
    }
    void rejectsNegativeVectors()
    {
        QFETCH(QString, name);
        const QByteArray encoded = encodedVector("negative", name);
        const Decoded d = decodeWhole(encoded);
        QVERIFY2(!d.ok, "a corrupt message decoded");
        QVERIFY(d.messages.isEmpty());
        // The expected error text (the prelude CRC is checked before anything else).
        const QByteArray expectedError = decodedVector("negative", name).trimmed();
        if (!expectedError.isEmpty())
            QCOMPARE(d.error, QString::fromUtf8(expectedError));

        QList<qsizetype> everyByte;
        for (qsizetype i = 1; i < encoded.size(); ++i)
            everyByte.append(i);
        const Decoded byByte = decodeInPieces(encoded, everyByte);
        QVERIFY(!byByte.ok);
        QVERIFY(byByte.messages.isEmpty());
    }

    void errorsAreStickyUntilReset()
    {
        const QByteArray good = encodedVector("positive", QStringLiteral("int32_header"));
        QVERIFY(!good.isEmpty());
        QByteArray bad = good;
        bad[bad.size() - 1] = char(bad.at(bad.size() - 1) ^ 1);

        EventStreamDecoder decoder;
        QList<EventStreamMessage> out;
        QVERIFY(!decoder.feed(bad, out));
        QVERIFY(decoder.hasError());
        QCOMPARE(decoder.errorString(), QStringLiteral("Message checksum mismatch"));
        QVERIFY(!decoder.feed(good, out));
        QVERIFY(!decoder.finish());
        QVERIFY(out.isEmpty());

        decoder.reset();
        QVERIFY(!decoder.hasError());
        QVERIFY(decoder.feed(good, out));
        QVERIFY(decoder.finish());
        QCOMPARE(out.size(), 1);
    }

    void truncatedStreamFailsAtFinish()
    {
        const QByteArray good = encodedVector("positive", QStringLiteral("all_headers"));
        QVERIFY(good.size() > 20);
        for (const qsizetype keep : {qsizetype(1), qsizetype(11), qsizetype(12), good.size() - 1}) {
            EventStreamDecoder decoder;
            QList<EventStreamMessage> out;
            QVERIFY(decoder.feed(QByteArrayView(good).first(keep), out));
            QVERIFY(out.isEmpty());
            QVERIFY2(!decoder.finish(), qPrintable(QString::number(keep)));
            QCOMPARE(decoder.errorString(), QStringLiteral("Truncated event message"));
        }
        EventStreamDecoder empty;
        QVERIFY(empty.finish());
    }

    void rejectsBadPreludesBeforeTheBodyArrives()
    {
        struct Case
        {
            quint32 total;
            quint32 headers;
        };
        for (const Case c : {Case{EventStreamDecoder::kMaxMessageBytes + 1, 0}, Case{15, 0},
                             Case{0, 0}, Case{100, 85}, Case{0xFFFFFFFFu, 0},
                             Case{EventStreamDecoder::kMaxHeaderBytes + 1000,
                                  EventStreamDecoder::kMaxHeaderBytes + 1}}) {
            EventStreamDecoder decoder;
            QList<EventStreamMessage> out;
            QVERIFY2(!decoder.feed(prelude(c.total, c.headers), out),
                     qPrintable(QStringLiteral("%1/%2").arg(c.total).arg(c.headers)));
        }
        // At the limits: a prelude that is fine waits for the rest.
        EventStreamDecoder decoder;
        QList<EventStreamMessage> out;
        QVERIFY(decoder.feed(prelude(EventStreamDecoder::kMaxMessageBytes, 0), out));
        QVERIFY(!decoder.finish());
    }

    void rejectsBadHeaders()
    {
        const QByteArray badHeaders[] = {
            QByteArray("\x04name\x0A", 6),     // type 10
            QByteArray("\x04name\xFF", 6),     // type 255
            QByteArray("\x00\x07\x00\x00", 4), // empty name
            QByteArray("\x09name", 5),         // name longer than the section
            QByteArray("\x04name", 5),         // no type
            QByteArray("\x04name\x07\x00\x05"
                       "ab",
                       9),                                  // string longer than the section
            QByteArray("\x04name\x06\x00", 7),              // truncated length
            QByteArray("\x04name\x04\x00\x00\x01", 9),      // truncated int32
            QByteArray("\x04name\x05\x00\x00\x00\x00", 10), // truncated int64
            QByteArray("\x04name\x09\x01\x02\x03", 9),      // truncated uuid
            QByteArray("\x04name\x03\x01", 7),              // truncated short
            QByteArray("\x04name\x02", 6),                  // no byte
        };
        for (const QByteArray &block : badHeaders) {
            EventStreamDecoder decoder;
            QList<EventStreamMessage> out;
            QVERIFY2(!decoder.feed(frame(block, "payload"), out), block.toHex().constData());
            QVERIFY(out.isEmpty());
        }
        // A name running past the end of the message (the asan preset catches an over-read).
        for (const QByteArray &block : {QByteArray("\xFFname", 5), QByteArray("\x01")}) {
            EventStreamDecoder decoder;
            QList<EventStreamMessage> out;
            QVERIFY(!decoder.feed(frame(block, QByteArray()), out));
            QVERIFY(out.isEmpty());
        }
        // The same frame builder with a good header decodes.
        EventStreamDecoder decoder;
        QList<EventStreamMessage> out;
        QVERIFY(decoder.feed(frame(QByteArray("\x04name\x02\x7F", 7), "p"), out));
        QCOMPARE(out.size(), 1);
        QCOMPARE(out.constFirst().header("name"), QVariant(127));
    }

    void randomInputNeverCrashes()
    {
        std::mt19937 random(20261124);
        std::uniform_int_distribution<int> byte(0, 255);
        const QByteArray valid = EventStreamEncoder::chunkEvent(
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}})");
        qint64 decodedMessages = 0;
        for (int i = 0; i < 10000; ++i) {
            QByteArray input;
            switch (i % 4) {
            case 0: // pure garbage
                input.resize(std::uniform_int_distribution<int>(0, 300)(random));
                for (char &c : input)
                    c = char(byte(random));
                break;
            case 1: // a valid frame with bytes flipped
                input = valid + valid;
                for (int n = std::uniform_int_distribution<int>(1, 4)(random); n > 0; --n)
                    input[std::uniform_int_distribution<int>(0, int(input.size()) - 1)(random)] =
                        char(byte(random));
                break;
            default: { // random headers and payload inside correct CRCs
                QByteArray block(std::uniform_int_distribution<int>(0, 64)(random), '\0');
                for (char &c : block)
                    c = char(byte(random));
                if (!block.isEmpty() && i % 2 == 0)
                    block[0] = char(std::uniform_int_distribution<int>(0, 8)(random));
                input = frame(block,
                              QByteArray(std::uniform_int_distribution<int>(0, 32)(random), 'x'));
                break;
            }
            }
            EventStreamDecoder decoder;
            QList<EventStreamMessage> out;
            qsizetype pos = 0;
            bool ok = true;
            while (ok && pos < input.size()) {
                const qsizetype n = std::min<qsizetype>(
                    input.size() - pos, std::uniform_int_distribution<int>(1, 64)(random));
                ok = decoder.feed(QByteArrayView(input).sliced(pos, n), out);
                pos += n;
            }
            if (ok)
                decoder.finish();
            decodedMessages += out.size();
            for (const EventStreamMessage &m : out)
                QVERIFY(m.payload.size() <= input.size());
        }
        QVERIFY(decodedMessages > 0); // some mutated frames still had valid headers
    }

    void encoderRoundTrip()
    {
        const QList<EventStreamHeader> headers{
            header("t", EventStreamHeader::BoolTrue, true),
            header("f", EventStreamHeader::BoolFalse, false),
            header("byte", EventStreamHeader::Byte, -128),
            header("short", EventStreamHeader::Short, -32768),
            header("int", EventStreamHeader::Int32, int(0x80000000u)),
            header("long", EventStreamHeader::Int64, qint64(-1234567890123456789LL)),
            header("bytes", EventStreamHeader::Bytes, QByteArray("\x00\xFF\x01", 3)),
            header("string", EventStreamHeader::String, QStringLiteral("h\u00e9llo \U0001F600")),
            header("ts", EventStreamHeader::Timestamp, qint64(1764000000123LL)),
            header("uuid", EventStreamHeader::Uuid, QByteArray("0123456789abcdef")),
            header("empty", EventStreamHeader::String, QString()),
        };
        const QByteArray payload(70000, 'p'); // larger than one 64 KiB read
        const QByteArray encoded = EventStreamEncoder::encode(headers, payload);
        const Decoded d = decodeWhole(encoded);
        QVERIFY2(d.ok, qPrintable(d.error));
        QCOMPARE(d.messages.size(), 1);
        EventStreamMessage want;
        want.headers = headers;
        want.payload = payload;
        const QString difference = differenceBetween(d.messages.constFirst(), want);
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QCOMPARE(d.messages.constFirst().stringHeader("string"),
                 QStringLiteral("h\u00e9llo \U0001F600"));
        QCOMPARE(d.messages.constFirst().stringHeader("int"), QString()); // not a string
        QVERIFY(!d.messages.constFirst().header("missing").isValid());
    }

    void bedrockFramesFromTheEncoder()
    {
        const QByteArray event =
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})";
        const QByteArray stream =
            EventStreamEncoder::chunkEvent(event) +
            EventStreamEncoder::exceptionEvent("throttlingException", "Too many \"requests\"");
        const Decoded d = decodeWhole(stream);
        QVERIFY2(d.ok, qPrintable(d.error));
        QCOMPARE(d.messages.size(), 2);

        const EventStreamMessage &chunk = d.messages.at(0);
        QCOMPARE(chunk.headers.size(), 3);
        QCOMPARE(chunk.headers.at(0).name, QByteArray(":event-type"));
        QCOMPARE(chunk.headers.at(1).name, QByteArray(":content-type"));
        QCOMPARE(chunk.headers.at(2).name, QByteArray(":message-type"));
        QCOMPARE(chunk.stringHeader(":event-type"), QStringLiteral("chunk"));
        QCOMPARE(chunk.stringHeader(":content-type"), QStringLiteral("application/json"));
        QCOMPARE(chunk.stringHeader(":message-type"), QStringLiteral("event"));
        const QJsonObject body = QJsonDocument::fromJson(chunk.payload).object();
        QCOMPARE(body.keys(), QStringList{QStringLiteral("bytes")});
        QCOMPARE(QByteArray::fromBase64(body.value(QLatin1String("bytes")).toString().toLatin1()),
                 event);

        const EventStreamMessage &exception = d.messages.at(1);
        QCOMPARE(exception.stringHeader(":message-type"), QStringLiteral("exception"));
        QCOMPARE(exception.stringHeader(":exception-type"), QStringLiteral("throttlingException"));
        QCOMPARE(exception.stringHeader(":content-type"), QStringLiteral("application/json"));
        QCOMPARE(QJsonDocument::fromJson(exception.payload)
                     .object()
                     .value(QLatin1String("message"))
                     .toString(),
                 QStringLiteral("Too many \"requests\""));
    }
};

QTEST_GUILESS_MAIN(tst_EventStreamDecoder)
#include "tst_EventStreamDecoder.moc"
