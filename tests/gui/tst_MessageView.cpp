// The virtualized message view: exact layout only for what is on screen, one re-laid-out row
// per frame while streaming, following the stream, thinking blocks, copy buttons.
#include "ChatWindowStyle.h"
#include "MarkdownSplitter.h"
#include "MessageDelegate.h"
#include "MessageModel.h"
#include "MessageView.h"

#include <QApplication>
#include <QClipboard>
#include <QImage>
#include <QLabel>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextLayout>
#include <QTextTable>
#include <QtTest>

using namespace qlaude;

namespace {

StoredBlock textBlock(const QString &text)
{
    StoredBlock b;
    b.text = text;
    return b;
}

// A conversation that looks like real ones: questions, answers of a few paragraphs, now and
// then a code block, a thinking block or a tool call.
QList<StoredMessage> history(int count)
{
    QList<StoredMessage> out;
    out.reserve(count);
    for (int i = 0; i < count; ++i) {
        StoredMessage m;
        m.id = i + 1;
        m.position = i;
        m.role = i % 2 == 0 ? MessageRole::User : MessageRole::Assistant;
        if (m.role == MessageRole::User) {
            m.blocks = {textBlock(QStringLiteral("Question %1: how do I make the widget %2 "
                                                 "faster without breaking it?")
                                      .arg(i)
                                      .arg(i * 7 % 13))};
        } else {
            m.model = QStringLiteral("claude-sonnet-4-5");
            if (i % 7 == 1) {
                StoredBlock t;
                t.type = BlockType::Thinking;
                t.text = QStringLiteral("Let me think about answer %1 step by step.").arg(i);
                m.blocks.append(t);
            }
            QString text = QStringLiteral("Answer **%1**. Profile first, then cache what you can. "
                                          "The view only needs the rows on screen.\n\n")
                               .arg(i);
            if (i % 5 == 1)
                text += QStringLiteral("```cpp\nint rows = model->rowCount();\nfor (int r = 0; "
                                       "r < rows; ++r)\n    touch(r);\n```\n\n");
            text += QStringLiteral("- one thing\n- another thing\n\nThat is all for %1.").arg(i);
            m.blocks.append(textBlock(text));
            m.usage.inputTokens = 100;
            m.usage.outputTokens = 50;
        }
        out.append(m);
    }
    return out;
}

QString delta(int i)
{
    if (i % 400 == 399)
        return QStringLiteral("\n\n```python\nprint(%1)\n```\n\n").arg(i);
    if (i % 60 == 59)
        return QStringLiteral(" end.\n\n");
    return QStringLiteral(" word%1").arg(i % 97);
}

} // namespace

class tst_MessageView : public QObject
{
    Q_OBJECT

    std::unique_ptr<MessageModel> m_model;
    std::unique_ptr<MessageView> m_view;

    void showView(int messages)
    {
        m_model = std::make_unique<MessageModel>();
        m_view = std::make_unique<MessageView>();
        m_view->setMessageModel(m_model.get());
        m_view->resize(900, 700);
        m_model->setMessages(history(messages));
        m_view->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
        QCoreApplication::processEvents();
        m_view->settle();
    }

    // Rows on screen have their exact heights, and the list uses them.
    void verifyVisibleRowsExact()
    {
        MessageDelegate *d = m_view->messageDelegate();
        const int x = m_view->viewport()->width() / 2;
        const QModelIndex first = m_view->indexAt(QPoint(x, 0));
        const QModelIndex last = m_view->indexAt(QPoint(x, m_view->viewport()->height() - 1));
        QVERIFY(first.isValid());
        const int to = last.isValid() ? last.row() : m_model->rowCount() - 1;
        for (int r = first.row(); r <= to; ++r) {
            const QModelIndex i = m_model->index(r);
            QVERIFY2(d->isExact(i), qPrintable(QStringLiteral("row %1 is estimated").arg(r)));
            QCOMPARE(m_view->laidOutHeight(r), d->rowHeight(i, true));
        }
    }

    // Feeds deltas the way the network does, in bursts, and lets frames pass.
    int stream(qint64 id, int deltas, int perFrame, QString *sent)
    {
        int frames = 0;
        for (int i = 0; i < deltas; ++i) {
            const QString d = delta(i);
            m_model->appendText(id, 0, d);
            *sent += d;
            if ((i + 1) % perFrame == 0 || i + 1 == deltas) {
                QSignalSpy flushed(m_model.get(), &MessageModel::streamFlushed);
                if (!flushed.wait(1000))
                    return -1;
                ++frames;
            }
        }
        return frames;
    }

    // One assistant message with this Markdown, on screen.
    QModelIndex showAnswer(const QString &markdown, qint64 id = 1)
    {
        showView(0);
        StoredMessage m;
        m.id = id;
        m.role = MessageRole::Assistant;
        m.blocks = {textBlock(markdown)};
        m_model->setMessages({m});
        m_view->settle();
        QCoreApplication::processEvents();
        return m_model->index(0);
    }

    // The first point of the row whose hit is of this kind, scanning down its middle.
    QPoint findHit(const QModelIndex &index, MessageDelegate::Hit::Kind kind, int x = -1)
    {
        const QRect row = m_view->rowRect(index);
        if (x < 0)
            x = row.center().x();
        for (int y = qMax(0, row.top()); y < qMin(row.bottom(), m_view->viewport()->height());
             ++y) {
            if (m_view->messageDelegate()->hitTest(index, row, QPoint(x, y)).kind == kind)
                return QPoint(x, y);
        }
        return QPoint();
    }

    QImage grabViewport()
    {
        return m_view->viewport()->grab().toImage().convertToFormat(QImage::Format_RGB32);
    }

    static bool near(QRgb a, const QColor &b, int tolerance)
    {
        return qAbs(qRed(a) - b.red()) <= tolerance && qAbs(qGreen(a) - b.green()) <= tolerance &&
               qAbs(qBlue(a) - b.blue()) <= tolerance;
    }

    // The longest horizontal run of this colour in the image, and the row it is on.
    static int longestRow(const QImage &image, const QColor &color, int *row)
    {
        int best = 0;
        for (int y = 0; y < image.height(); ++y) {
            int run = 0;
            for (int x = 0; x < image.width(); ++x) {
                run = near(image.pixel(x, y), color, 2) ? run + 1 : 0;
                if (run > best) {
                    best = run;
                    *row = y;
                }
            }
        }
        return best;
    }

    // The longest vertical run of this colour, and the column it is in.
    static int longestColumn(const QImage &image, const QColor &color, int *column)
    {
        int best = 0;
        for (int x = 0; x < image.width(); ++x) {
            int run = 0;
            for (int y = 0; y < image.height(); ++y) {
                run = near(image.pixel(x, y), color, 2) ? run + 1 : 0;
                if (run > best) {
                    best = run;
                    *column = x;
                }
            }
        }
        return best;
    }

private slots:
    void cleanup()
    {
        m_view.reset();
        m_model.reset();
    }

    void splitterStreamsTheSameSegmentsAsAWholeText()
    {
        const QString text = QStringLiteral(
            "Intro paragraph\nwith two lines.\n\n- a\n- b\n\n- c\n\n```js\nlet a = 1;\n\nlet b "
            "= 2;\n```\n\nAfter the code.\n\n~~~\nunterminated");
        const QList<MarkdownSegment> whole = MarkdownSplitter::split(text);
        QCOMPARE(whole.size(), 5);
        QCOMPARE(whole.at(0).text, QStringLiteral("Intro paragraph\nwith two lines."));
        QCOMPARE(whole.at(1).text, QStringLiteral("- a\n- b\n\n- c")); // a list stays whole
        QCOMPARE(whole.at(2).kind, MarkdownSegment::Kind::Code);
        QCOMPARE(whole.at(2).language, QStringLiteral("js"));
        QCOMPARE(whole.at(2).text, QStringLiteral("let a = 1;\n\nlet b = 2;"));
        QVERIFY(whole.at(2).firstPiece && whole.at(2).lastPiece);
        QCOMPARE(whole.at(3).text, QStringLiteral("After the code."));
        QCOMPARE(whole.at(4).text, QStringLiteral("unterminated"));
        QCOMPARE(whole.at(4).codeBlock, 1);

        // Character by character, the closed segments are exactly the same.
        MarkdownSplitter s;
        QList<MarkdownSegment> streamed;
        for (int n = 1; n <= text.size(); ++n) {
            streamed += s.feed(QStringView(text).left(n));
            const QList<MarkdownSegment> open = s.pending(QStringView(text).left(n));
            QVERIFY(open.size() <= 1);
        }
        streamed += s.finish(text);
        QCOMPARE(streamed, whole);
    }

    void splitterCutsLongCodeIntoSlicesOfOneBox()
    {
        QString code;
        for (int i = 0; i < 100; ++i)
            code += QStringLiteral("line %1\n").arg(i);
        const QList<MarkdownSegment> s = MarkdownSplitter::split(
            QString(QStringLiteral("```\n") + code + QStringLiteral("```\n")));
        QCOMPARE(s.size(), 3);
        QVERIFY(s.at(0).firstPiece && !s.at(0).lastPiece);
        QVERIFY(!s.at(1).firstPiece && !s.at(1).lastPiece);
        QVERIFY(!s.at(2).firstPiece && s.at(2).lastPiece);
        QCOMPARE(s.at(0).text.count(QLatin1Char('\n')), MarkdownSplitter::kMaxCodeLines - 1);
        for (const MarkdownSegment &seg : s)
            QCOMPARE(seg.codeBlock, 0);
    }

    // Issue 14: a 200,000-word answer (1.4 MB of text) paints at its top, its middle and its
    // end: every part of a message of any length shows its text.
    void aVeryLongAnswerPaintsEverywhere()
    {
        m_model = std::make_unique<MessageModel>();
        m_view = std::make_unique<MessageView>();
        m_view->setMessageModel(m_model.get());
        m_view->resize(900, 700);
        QString text;
        text.reserve(1500000);
        for (int i = 0; i < 200000; ++i) {
            text += QStringLiteral("w%1 ").arg(i % 100000, 5, 10, QLatin1Char('0'));
            if (i % 40 == 39)
                text += QLatin1Char('\n'); // 20-word lines in paragraphs of two
            if (i % 80 == 79)
                text += QLatin1Char('\n');
        }
        StoredMessage question;
        question.id = 1;
        question.role = MessageRole::User;
        question.blocks = {textBlock(QStringLiteral("Write a lot."))};
        StoredMessage answer;
        answer.id = 2;
        answer.role = MessageRole::Assistant;
        answer.blocks = {textBlock(text)};
        m_model->setMessages({question, answer});
        m_view->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
        m_view->settle();
        QScrollBar *bar = m_view->verticalScrollBar();
        QVERIFY(bar->maximum() > 100000);
        const auto inkedRows = [this] {
            const QImage image = m_view->viewport()->grab().toImage();
            const QRgb background = image.pixel(2, image.height() / 2);
            int rows = 0;
            for (int y = 0; y < image.height(); y += 4) {
                for (int x = image.width() / 4; x < image.width() * 3 / 4; ++x) {
                    if (image.pixel(x, y) != background) {
                        ++rows;
                        break;
                    }
                }
            }
            return rows;
        };
        for (const double at : {0.0, 0.5, 1.0}) {
            bar->setValue(int(bar->maximum() * at));
            QCoreApplication::processEvents();
            m_view->settle();
            const int rows = inkedRows();
            QVERIFY2(rows > 40, qPrintable(QStringLiteral("at %1 of the answer only %2 pixel rows "
                                                          "carry text")
                                               .arg(at)
                                               .arg(rows)));
        }
    }

    void opensTenThousandMessagesLayingOutOnlyTheScreen()
    {
        showView(10000);
        MessageDelegate *d = m_view->messageDelegate();
        // Every row has a height, but only what is on screen was laid out.
        QVERIFY2(d->stats().laidOut.size() < 40,
                 qPrintable(QStringLiteral("%1 rows laid out").arg(d->stats().laidOut.size())));
        QCOMPARE(m_view->verticalScrollBar()->value(), m_view->verticalScrollBar()->maximum());
        QVERIFY(m_view->isFollowing());
        verifyVisibleRowsExact();
        QVERIFY(!m_view->emptyStateLabel()->isVisible());
    }

    void scrollingUpKeepsTheRowsOnScreenExact()
    {
        showView(2000);
        QScrollBar *bar = m_view->verticalScrollBar();
        bar->setValue(bar->maximum() / 2);
        QCoreApplication::processEvents();
        QVERIFY(!m_view->isFollowing());
        verifyVisibleRowsExact();
        // Scrolling line by line keeps the top row still: no row above it jumps in height.
        const int x = m_view->viewport()->width() / 2;
        const QModelIndex top = m_view->indexAt(QPoint(x, 0));
        const int before = m_view->visualRect(top).top();
        QTest::keyClick(m_view.get(), Qt::Key_Up); // moves the current row, not the scroll
        bar->triggerAction(QAbstractSlider::SliderSingleStepSub);
        QCoreApplication::processEvents();
        QCOMPARE(m_view->visualRect(top).top(), before + bar->singleStep());
        verifyVisibleRowsExact();
    }

    void streamingInvalidatesOnlyTheStreamingRow()
    {
        showView(10000);
        const qint64 id = 20001;
        m_model->beginAssistant(id, QStringLiteral("claude-sonnet-4-5"));
        m_model->startBlock(id, 0, textBlock(QString()));
        QTest::qWait(50);
        const int row = m_model->rowOf(id);
        QCOMPARE(row, 10000);

        MessageDelegate *d = m_view->messageDelegate();
        d->resetStats();
        const int listLayoutsBefore = m_view->listLayouts();
        QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
        QString sent;
        const int frames = stream(id, 20000, 100, &sent);
        QVERIFY(frames > 0);

        // One dataChanged per frame, for the streaming row and nothing else.
        QVERIFY2(
            changed.size() <= frames,
            qPrintable(
                QStringLiteral("%1 dataChanged for %2 frames").arg(changed.size()).arg(frames)));
        for (const QList<QVariant> &args : qAsConst(changed)) {
            QCOMPARE(args.at(0).toModelIndex().row(), row);
            QCOMPARE(args.at(1).toModelIndex().row(), row);
        }
        // Size hints: no other row was measured again; only the streaming message was laid out.
        QVERIFY2(d->stats().estimates == 0,
                 qPrintable(QStringLiteral("%1 estimates").arg(d->stats().estimates)));
        QCOMPARE(d->stats().laidOut, QSet<qint64>{id});
        QVERIFY(d->stats().layouts <= frames + 2);
        // Per frame only the open tail is laid out: a few documents, however long the answer.
        const double segmentsPerLayout = double(d->stats().segments) / d->stats().layouts;
        QVERIFY2(segmentsPerLayout < 3,
                 qPrintable(QStringLiteral("%1 documents per layout").arg(segmentsPerLayout)));
        // The list around it was re-laid out about once per screenful, not per frame.
        const int listLayouts = m_view->listLayouts() - listLayoutsBefore;
        qInfo("%d deltas in %d frames: %d dataChanged, %d layouts of the streaming row (%d "
              "documents), %d list layouts, %d size hints",
              20000, frames, int(changed.size()), d->stats().layouts, d->stats().segments,
              listLayouts, d->stats().sizeHints);
        QVERIFY2(listLayouts < frames / 4,
                 qPrintable(
                     QStringLiteral("%1 list layouts for %2 frames").arg(listLayouts).arg(frames)));
        // And no hidden re-layout of the whole list per frame (QListView::dataChanged would
        // schedule one): every size hint asked for belongs to one of those re-layouts, or to the
        // few rows a frame touches.
        const qint64 bound = qint64(listLayouts + 1) * (m_model->rowCount() + 1) + frames * 20;
        QVERIFY2(d->stats().sizeHints <= bound,
                 qPrintable(QStringLiteral("%1 size hints, at most %2 expected")
                                .arg(d->stats().sizeHints)
                                .arg(bound)));
        QCOMPARE(m_model->item(row).message.blocks.at(0).text, sent);

        // It followed the stream to the end.
        QVERIFY(m_view->isFollowing());
        const QRect last = m_view->visualRect(m_model->index(row));
        QCOMPARE(last.top() + d->contentHeight(m_model->index(row)), m_view->viewport()->height());

        m_model->finish(id, MessageStatus::Complete, QString());
        QCoreApplication::processEvents();
        // Finished, the row gives back the room it had reserved.
        QCOMPARE(m_view->laidOutHeight(row), d->contentHeight(m_model->index(row)));
    }

    void followsTheStreamUnlessScrolledUp()
    {
        showView(200);
        const qint64 id = 5000;
        m_model->beginAssistant(id, QStringLiteral("claude"));
        m_model->startBlock(id, 0, textBlock(QString()));
        QString sent;
        QVERIFY(stream(id, 600, 50, &sent) > 0);
        QScrollBar *bar = m_view->verticalScrollBar();
        QVERIFY(m_view->isFollowing());
        // The user scrolls up: the view stays where they put it while text keeps coming.
        bar->triggerAction(QAbstractSlider::SliderPageStepSub);
        QCoreApplication::processEvents();
        QVERIFY(!m_view->isFollowing());
        const int parked = bar->value();
        QVERIFY(stream(id, 600, 50, &sent) > 0);
        QCOMPARE(bar->value(), parked);
        // Back at the end, it follows again.
        m_view->scrollToEnd();
        QVERIFY(m_view->isFollowing());
        QVERIFY(stream(id, 300, 50, &sent) > 0);
        const QModelIndex last = m_model->index(m_model->rowCount() - 1);
        QCOMPARE(m_view->visualRect(last).top() + m_view->messageDelegate()->contentHeight(last),
                 m_view->viewport()->height());
    }

    void thinkingOpensAndClosesOnClick()
    {
        showView(0);
        StoredMessage m;
        m.id = 1;
        m.role = MessageRole::Assistant;
        StoredBlock t;
        t.type = BlockType::Thinking;
        t.text = QStringLiteral("First I consider the options.\n\nThen I pick one.");
        m.blocks = {t, textBlock(QStringLiteral("The answer."))};
        m_model->setMessages({m});
        m_view->settle();
        const QModelIndex index = m_model->index(0);
        const int closed = m_view->laidOutHeight(0);
        // The title line sits at the top of the body.
        const QRect row = m_view->visualRect(index);
        const MessageStyle &st = m_view->messageDelegate()->style();
        const QPoint title(row.x() + st.contentLeft(m_view->viewport()->width()) +
                               MessageStyle::kPadding + 30,
                           row.y() + st.bodyTop() + st.lineHeight / 2);
        QCOMPARE(m_view->messageDelegate()->hitTest(index, row, title).kind,
                 MessageDelegate::Hit::Kind::ToggleThinking);
        QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, title);
        QVERIFY(m_model->isThinkingExpanded(0, 0));
        QVERIFY(m_view->laidOutHeight(0) > closed);
        QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, title);
        QVERIFY(!m_model->isThinkingExpanded(0, 0));
        QCOMPARE(m_view->laidOutHeight(0), closed);
    }

    void longCodeLinesScrollSidewaysInsteadOfWrapping()
    {
        const QString longLine =
            QStringLiteral("result = compute(") +
            QStringList(QList<QString>(40, QStringLiteral("argument"))).join(QStringLiteral(", ")) +
            QStringLiteral(")");
        const QString shortCode = QStringLiteral("x = 1\nprint(x)");
        const QString longCode = QStringLiteral("x = 1\n") + longLine;
        MessageDelegate *d = nullptr;

        // The same two lines, one of them very long: the box keeps the height of two lines.
        QModelIndex index =
            showAnswer(QStringLiteral("```python\n") + shortCode + QStringLiteral("\n```"));
        d = m_view->messageDelegate();
        const int shortHeight = d->contentHeight(index);
        const QPoint shortBox = findHit(index, MessageDelegate::Hit::Kind::InBox);
        QVERIFY(!shortBox.isNull());
        QCOMPARE(d->boxScroll(index, 0, 0).range, 0);

        index = showAnswer(QStringLiteral("```python\n") + longCode + QStringLiteral("\n```"));
        d = m_view->messageDelegate();
        QCOMPARE(d->contentHeight(index), shortHeight);
        MessageDelegate::BoxScroll scroll = d->boxScroll(index, 0, 0);
        QVERIFY2(scroll.range > 1000, qPrintable(QString::number(scroll.range)));
        QCOMPARE(scroll.value, 0);

        // The box shows a scroll bar under its lines...
        const QPoint bar = findHit(index, MessageDelegate::Hit::Kind::BoxScrollBar);
        QVERIFY(!bar.isNull());
        // ...Shift with the wheel scrolls it sideways, not the list...
        const QPoint inBox = findHit(index, MessageDelegate::Hit::Kind::InBox);
        QVERIFY(!inBox.isNull());
        const QImage before = grabViewport();
        const int listScroll = m_view->verticalScrollBar()->value();
        QWheelEvent wheel(QPointF(inBox), QPointF(m_view->viewport()->mapToGlobal(inBox)), QPoint(),
                          QPoint(0, -120), Qt::NoButton, Qt::ShiftModifier, Qt::NoScrollPhase,
                          false);
        QCoreApplication::sendEvent(m_view->viewport(), &wheel);
        scroll = d->boxScroll(index, 0, 0);
        QVERIFY(scroll.value > 0);
        QCOMPARE(m_view->verticalScrollBar()->value(), listScroll);
        QVERIFY(grabViewport() != before); // the lines moved
        // ...so do the arrow keys on the current message, back to the start...
        m_view->setCurrentIndex(index);
        m_view->setFocus();
        QTest::keyClick(m_view.get(), Qt::Key_Right);
        QVERIFY(d->boxScroll(index, 0, 0).value > scroll.value);
        for (int i = 0; i < 100; ++i)
            QTest::keyClick(m_view.get(), Qt::Key_Left);
        QCOMPARE(d->boxScroll(index, 0, 0).value, 0);
        // ...and dragging the bar's thumb to the right end shows the end of the line.
        const QRect track = d->hitTest(index, m_view->rowRect(index), bar).rect;
        const QRect thumb = MessageDelegate::scrollThumb(track, d->boxScroll(index, 0, 0));
        QTest::mousePress(m_view->viewport(), Qt::LeftButton, {}, thumb.center());
        QMouseEvent move(
            QEvent::MouseMove, QPointF(track.right() + 50, thumb.center().y()),
            m_view->viewport()->mapToGlobal(QPointF(track.right() + 50, thumb.center().y())),
            Qt::NoButton, Qt::LeftButton, {});
        QCoreApplication::sendEvent(m_view->viewport(), &move);
        QTest::mouseRelease(m_view->viewport(), Qt::LeftButton, {},
                            QPoint(track.right() + 50, thumb.center().y()));
        QCOMPARE(d->boxScroll(index, 0, 0).value, d->boxScroll(index, 0, 0).range);

        // Copy still copies the code exactly.
        QCOMPARE(d->hitTest(index, m_view->rowRect(index), inBox).text, longCode);
    }

    void tablesHaveARuleUnderTheHeader()
    {
        const QModelIndex index = showAnswer(
            QStringLiteral("Before.\n\n> a quote first\n\n| Name | Value |\n|---|---|\n| one | 1 "
                           "|\n| two | 2 |\n\nAfter."));
        QVERIFY(index.isValid());
        const QPalette pal = QGuiApplication::palette();
        const QColor rule =
            chatstyle::mix(pal.color(QPalette::Base), pal.color(QPalette::Text), 0.45);
        int row = -1;
        const QImage image = grabViewport();
        const int run = longestRow(image, rule, &row);
        // A line under the header as wide as the table (two columns of short words).
        QVERIFY2(run >= 60, qPrintable(QStringLiteral("longest rule run: %1").arg(run)));
        // It is two pixels thick.
        int x = 0;
        while (x < image.width() && !near(image.pixel(x, row), rule, 2))
            ++x;
        int thick = 0;
        for (int y = row - 3; y <= row + 3; ++y)
            thick += near(image.pixel(x + 5, y), rule, 2) ? 1 : 0;
        QCOMPARE(thick, 2);
        // The header row holds one line: Qt's importer leaves an empty paragraph at the top of
        // the first header cell after a quote, which doubled the row's height.
        const auto doc = makeMarkdownDocument(
            QStringLiteral("> a quote first\n\n| Name | Value |\n|---|---|\n| one | 1 |\n"),
            QApplication::font(), 600);
        QTextTable *table = nullptr;
        for (QTextFrame *f : doc->rootFrame()->childFrames())
            table = table ? table : qobject_cast<QTextTable *>(f);
        QVERIFY(table);
        const QTextTableCell first = table->cellAt(0, 0);
        QCOMPARE(first.firstCursorPosition().block().text(), QStringLiteral("Name"));
        QCOMPARE(first.firstCursorPosition().blockNumber(),
                 first.lastCursorPosition().blockNumber());
    }

    void blockquotesHaveABarAtTheLeft()
    {
        const QModelIndex index = showAnswer(
            QStringLiteral("Intro.\n\n> The first line of a quote\n> that goes on.\n>\n> A "
                           "second paragraph.\n\nAfter."));
        const QPalette pal = QGuiApplication::palette();
        int column = -1;
        const QImage image = grabViewport();
        const int run = longestColumn(image, chatstyle::quoteBar(pal), &column);
        // As tall as both quoted paragraphs, at the text column's left edge.
        const int lineHeight = m_view->messageDelegate()->style().lineHeight;
        QVERIFY2(run >= 2 * lineHeight, qPrintable(QStringLiteral("bar %1 px").arg(run)));
        const int textLeft =
            m_view->rowRect(index).left() +
            m_view->messageDelegate()->style().contentLeft(m_view->viewport()->width()) +
            MessageStyle::kPadding;
        QVERIFY2(qAbs(column - textLeft) <= 3,
                 qPrintable(QStringLiteral("bar at %1, text at %2").arg(column).arg(textLeft)));
    }

    void listsIndentOneStepPerLevelWhateverTheirKind()
    {
        const QFont font = QApplication::font();
        const auto doc = makeMarkdownDocument(
            QStringLiteral("Para.\n\n- top\n  - nested\n    1. deep\n\n1. first\n\n   more "
                           "text\n2. second\n   - nested\n     1. deep\n"),
            font, 600);
        QVERIFY(doc->size().height() > 0); // laid out
        QTextBlock paragraph = doc->firstBlock();
        QVERIFY(paragraph.layout()->lineCount() > 0);
        const qreal base = paragraph.layout()->lineAt(0).x();
        const QFontMetricsF fm(font);
        qreal step = 0;
        int blocks = 0;
        const QHash<QString, int> level{
            {QStringLiteral("top"), 1},    {QStringLiteral("first"), 1},
            {QStringLiteral("second"), 1}, {QStringLiteral("more text"), 1},
            {QStringLiteral("nested"), 2}, {QStringLiteral("deep"), 3}};
        for (QTextBlock b = paragraph.next(); b.isValid(); b = b.next(), ++blocks) {
            QVERIFY2(b.layout()->lineCount() > 0, qPrintable(b.text()));
            const qreal x = b.layout()->lineAt(0).x() - base;
            if (step == 0) {
                step = x;
                // Room for "10." before the text, not Qt's 40 pixels whatever the font.
                QVERIFY2(step >= fm.horizontalAdvance(QStringLiteral("00. ")) && step < 40,
                         qPrintable(QString::number(step)));
            }
            QVERIFY2(level.contains(b.text()), qPrintable(b.text()));
            QVERIFY2(
                qFuzzyCompare(x, level.value(b.text()) * step),
                qPrintable(QStringLiteral("%1 at %2, step %3").arg(b.text()).arg(x).arg(step)));
        }
        QCOMPARE(blocks, 8);
        // The ordered list that follows the bulleted one is set apart by a paragraph's gap.
        for (QTextBlock b = paragraph.next(); b.isValid(); b = b.next()) {
            if (b.text() == QLatin1String("first")) {
                QVERIFY2(b.blockFormat().topMargin() >= 0.6 * fm.lineSpacing() - 0.01,
                         qPrintable(QString::number(b.blockFormat().topMargin())));
            }
        }
    }

    void copyButtonCopiesTheWholeCodeBlock()
    {
        showView(0);
        QString code;
        for (int i = 0; i < 90; ++i)
            code += QStringLiteral("x = %1\n").arg(i);
        code.chop(1);
        StoredMessage m;
        m.id = 1;
        m.role = MessageRole::Assistant;
        m.blocks = {textBlock(QStringLiteral("Here:\n\n```python\n") + code +
                              QStringLiteral("\n```\n\nDone."))};
        m_model->setMessages({m});
        m_view->settle();
        const QModelIndex index = m_model->index(0);
        const QRect row = m_view->visualRect(index);
        // Find the Copy button by scanning the box's header line.
        QPoint button;
        for (int y = row.top();
             y < qMin(row.bottom(), m_view->viewport()->height()) && button.isNull(); y += 2) {
            for (int x = row.right(); x > row.left(); x -= 4) {
                if (m_view->messageDelegate()->hitTest(index, row, QPoint(x, y)).kind ==
                    MessageDelegate::Hit::Kind::CopyBox) {
                    button = QPoint(x, y);
                    break;
                }
            }
        }
        QVERIFY(!button.isNull());
        QGuiApplication::clipboard()->clear();
        QSignalSpy copied(m_view.get(), &MessageView::textCopied);
        QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, button);
        QCOMPARE(copied.size(), 1);
        QCOMPARE(QGuiApplication::clipboard()->text(), code);
    }

    void partialAnswersAreMarked_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("word");
        QTest::newRow("stopped") << int(MessageStatus::Stopped) << QStringLiteral("stopped");
        QTest::newRow("interrupted")
            << int(MessageStatus::Interrupted) << QStringLiteral("interrupted");
        QTest::newRow("error") << int(MessageStatus::Error) << QStringLiteral("error");
    }
    void partialAnswersAreMarked()
    {
        QFETCH(int, status);
        QFETCH(QString, word);
        showView(0);
        StoredMessage plain;
        plain.id = 1;
        plain.role = MessageRole::Assistant;
        plain.blocks = {textBlock(QStringLiteral("Half an answer"))};
        StoredMessage cut = plain;
        cut.id = 2;
        cut.status = MessageStatus(status);
        cut.errorText = QStringLiteral("HTTP 529 overloaded_error");
        m_model->setMessages({plain, cut});
        m_view->settle();
        const QString a11y = m_model->index(1).data(Qt::AccessibleTextRole).toString();
        QVERIFY2(a11y.contains(word), qPrintable(a11y));
        // The mark takes room of its own: the same text with a mark is taller.
        QVERIFY(m_view->laidOutHeight(1) > m_view->laidOutHeight(0));
    }

    void emptyStateIsShownWithoutMessages()
    {
        showView(0);
        m_view->setEmptyState(QStringLiteral("Start a conversation"),
                              QStringLiteral("Type below."));
        QVERIFY(m_view->emptyStateLabel()->isVisible());
        QVERIFY(m_view->emptyStateLabel()->text().contains(QStringLiteral("Start a conversation")));
        m_model->setMessages(history(2));
        QVERIFY(!m_view->emptyStateLabel()->isVisible());
    }
};

QTEST_MAIN(tst_MessageView)
#include "tst_MessageView.moc"
