package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parley.core.ProtocolException;

@Timeout(10)
class JsonFramerTest {
    private static final int LIMIT = 65536;
    private final JsonFramer framer = new JsonFramer(LIMIT, 16);
    private final List<String> objects = new ArrayList<>();

    /** Feeds one read, as the loop does; collects the objects it completes. */
    private void feed(byte[] bytes) throws ProtocolException {
        int pos = 0;
        int next;
        while ((next = framer.next(bytes, pos, bytes.length)) >= 0) {
            JsonBytes o = framer.take();
            objects.add(new String(o.array(), o.from(), o.length(), StandardCharsets.UTF_8));
            pos = next;
        }
    }

    private void feed(String s) throws ProtocolException {
        feed(utf8(s));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void objectSplitInTheMiddleOfACharacterIsFramedWhole() throws Exception {
        String object = "{\"t\":\"caf\u00e9 \uD83D\uDE00 {not a brace} \\\"}\\\" [\"}";
        byte[] bytes = utf8(object + "\n");
        for (int i = 0; i < bytes.length; i++) {
            feed(Arrays.copyOfRange(bytes, i, i + 1)); // one byte at a time: every character is cut
        }
        assertEquals(List.of(object), objects);
        assertFalse(framer.inObject());
    }

    @Test
    void everySplitOfTwoObjectsGivesTheSameTwo() throws Exception {
        String stream = "{\"a\":\"}{\\\\\"}\n {\"b\":[1,{\"c\":\"\u00e9\"}]}";
        byte[] bytes = utf8(stream);
        for (int cut = 0; cut <= bytes.length; cut++) {
            JsonFramerTest t = new JsonFramerTest();
            t.feed(Arrays.copyOfRange(bytes, 0, cut));
            t.feed(Arrays.copyOfRange(bytes, cut, bytes.length));
            assertEquals(List.of("{\"a\":\"}{\\\\\"}", "{\"b\":[1,{\"c\":\"\u00e9\"}]}"), t.objects, "cut at " + cut);
        }
    }

    @Test
    void twoObjectsInOneReadAreBothFramedWhereTheyLie() throws Exception {
        byte[] read = utf8("{\"n\":1}\n{\"n\":2}\n");
        assertEquals(7, framer.next(read, 0, read.length)); // just past the closing brace
        JsonBytes first = framer.take();
        assertSame(read, first.array(), "an object whole in the read is not copied");
        assertEquals(0, first.from());
        assertEquals(7, first.to());
        assertEquals(15, framer.next(read, 7, read.length));
        assertEquals(8, framer.take().from());
        assertEquals(-1, framer.next(read, 15, read.length));
        assertFalse(framer.inObject());
    }

    @Test
    void objectsSeparatedByNothingOrAnyWhiteSpaceAreFramed() throws Exception {
        feed(" \t\r\n{\"n\":1}{\"n\":2} \r\n\t {\"n\":3}  ");
        assertEquals(List.of("{\"n\":1}", "{\"n\":2}", "{\"n\":3}"), objects);
    }

    @Test
    void oversizeObjectEndingInTheReadIsRefusedWithItsSize() {
        JsonFramer small = new JsonFramer(100, 16);
        byte[] bytes = utf8("{\"t\":\"" + "x".repeat(142) + "\"}");
        ProtocolException e = assertThrows(ProtocolException.class, () -> small.next(bytes, 0, bytes.length));
        assertEquals("message of 150 bytes exceeds the limit of 100", e.getMessage());
    }

    @Test
    void objectThatNeverEndsIsCutAsSoonAsItPassesTheLimitAndNeverHoldsMore() throws Exception {
        feed("{\"t\":[");
        byte[] chunk = utf8("\"a\",".repeat(1000));
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            for (int i = 0; i < 100; i++) {
                feed(chunk);
                assertTrue(framer.bufferCapacity() <= LIMIT, "holds " + framer.bufferCapacity());
            }
        });
        assertEquals("message of more than 65536 bytes exceeds the limit of 65536", e.getMessage());
    }

    @Test
    void unfinishedObjectIsKeptInABufferThatGrowsOnlyAsNeededAndIsLetGoAtItsEnd() throws Exception {
        feed("{\"t\":\"");
        assertEquals(JsonFramer.FIRST_BUFFER_BYTES, framer.bufferCapacity(), "a small part takes a small buffer");
        feed("y".repeat(40_000));
        assertEquals(65536, framer.bufferCapacity(), "doubled, up to what the object needs");
        feed("\"}\n");
        assertEquals(1, objects.size());
        assertEquals(40_008, objects.get(0).length());
        assertEquals(0, framer.bufferCapacity(), "between objects nothing is held");
        feed("{\"n\":1}\n{\"n\":");
        assertEquals(JsonFramer.FIRST_BUFFER_BYTES, framer.bufferCapacity(), "back to a small buffer after a large object");
    }

    @Test
    void objectExactlyAtTheLimitIsFramed() throws Exception {
        JsonFramer small = new JsonFramer(20, 16);
        byte[] bytes = utf8("{\"t\":\"" + "x".repeat(12) + "\"}");
        assertEquals(20, bytes.length);
        assertEquals(-1, small.next(bytes, 0, 10));
        assertEquals(20, small.next(bytes, 10, 20));
        assertEquals(20, small.take().length());
    }

    @Test
    void bytesThatCannotBeginAnObjectAreRefused() {
        assertEquals("not JSON: 'h' where an object should begin",
                assertThrows(ProtocolException.class, () -> feed("hello there\n")).getMessage());
        assertEquals("expected a JSON object, got an array",
                assertThrows(ProtocolException.class, () -> new JsonFramerTest().feed("[1]")).getMessage());
        assertEquals("expected a JSON object, got a number",
                assertThrows(ProtocolException.class, () -> new JsonFramerTest().feed("-1")).getMessage());
        assertEquals("expected a JSON object, got a string",
                assertThrows(ProtocolException.class, () -> new JsonFramerTest().feed("\"x\"")).getMessage());
        assertEquals("not JSON: byte 0x00 where an object should begin",
                assertThrows(ProtocolException.class, () -> new JsonFramerTest().feed("\u0000")).getMessage());
    }

    @Test
    void objectsBeforeWhatIsNotJsonAreFramed() {
        assertThrows(ProtocolException.class, () -> feed("{\"n\":1}{\"n\":2}]"));
        assertEquals(2, objects.size());
    }

    @Test
    void nestingDeeperThanTheLimitIsRefusedAtOnce() throws Exception {
        feed("{\"a\":" + "[".repeat(15) + "\"[[[[[[[[[[[[\""); // 16 levels, and brackets in a string
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("["));
        assertEquals("message nests deeper than 16 levels", e.getMessage());
    }

    @Test
    void streamEndingInsideAnObjectIsReported() throws Exception {
        feed("{\"n\":");
        assertTrue(framer.inObject());
        ProtocolException e = assertThrows(ProtocolException.class, framer::endOfInput);
        assertEquals("the stream ended inside a message", e.getMessage());
    }

    @Test
    void byteOrderMarkCutShortIsReportedAsSuchWhereverTheReadsAreCut() throws Exception {
        byte[] stream = {(byte) 0xEF, (byte) 0xBB, '{', '}'};
        for (int cut = 0; cut <= 2; cut++) { // the whole stream in one read, or cut inside the mark
            JsonFramerTest t = new JsonFramerTest();
            t.feed(Arrays.copyOfRange(stream, 0, cut));
            int at = cut;
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> t.feed(Arrays.copyOfRange(stream, at, stream.length)), "cut at " + cut);
            assertEquals("not JSON: an incomplete byte order mark (EF BB) before '{'", e.getMessage(), "cut at " + cut);
        }
        assertEquals("not JSON: an incomplete byte order mark (EF) before byte 0x00",
                assertThrows(ProtocolException.class, () -> feed(new byte[] {(byte) 0xEF, 0})).getMessage());
        JsonFramer ended = new JsonFramer(LIMIT, 16);
        assertEquals(-1, ended.next(stream, 0, 2));
        assertEquals("the stream ended inside a byte order mark",
                assertThrows(ProtocolException.class, ended::endOfInput).getMessage());
    }

    @Test
    void byteOrderMarkMayOpenTheStreamEvenCutButNothingElse() throws Exception {
        byte[] stream = utf8("\uFEFF{\"n\":1}");
        feed(Arrays.copyOfRange(stream, 0, 2));
        feed(Arrays.copyOfRange(stream, 2, stream.length));
        assertEquals(List.of("{\"n\":1}"), objects);
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("\uFEFF{\"n\":2}"));
        assertEquals("not JSON: byte 0xef where an object should begin", e.getMessage());
    }
}
