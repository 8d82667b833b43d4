package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.tcp.WireSamples.BAD_ENDS;
import static org.parley.tcp.WireSamples.FULL;
import static org.parley.tcp.WireSamples.PLAIN;
import static org.parley.tcp.WireSamples.REPEATED_KEYS;
import static org.parley.tcp.WireSamples.SHAPES;
import static org.parley.tcp.WireSamples.encoded;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.parley.core.ProtocolException;

/**
 * The codec's reader on a byte stream, fed in memory: objects split anywhere, many in one read,
 * too large, not JSON, not UTF-8, repeated keys, deep nesting, a byte order mark, and the same
 * frames and errors however the stream is cut into reads.
 */
class WireCodecReaderTest {
    private static final int LIMIT = 65536;

    private final WireCodec.Reader reader = new WireCodec.Reader(LIMIT);
    private final List<WireCodec.Frame> frames = new ArrayList<>();

    private void feed(byte[] bytes) throws ProtocolException {
        reader.feed(bytes, 0, bytes.length, frames::add);
    }

    private void feed(String s) throws ProtocolException {
        feed(s.getBytes(StandardCharsets.UTF_8));
    }

    private String error(int i) {
        return ((WireCodec.Error) frames.get(i)).error();
    }

    @Test
    void objectSplitAcrossReadsIsReadWhole() throws Exception {
        feed("{\"error\":\"he");
        assertEquals(0, frames.size());
        feed("llo\"}\n");
        assertEquals(1, frames.size());
        assertEquals("hello", error(0));
    }

    @Test
    void twoObjectsInOneReadAreBothRead() throws Exception {
        feed("{\"error\":\"1\"}\n{\"error\":\"2\"}\n");
        assertEquals(2, frames.size());
        assertEquals("2", error(1));
    }

    @Test
    void objectsWithoutSeparatorAreRead() throws Exception {
        feed("{\"error\":\"1\"}{\"error\":\"2\"}{\"error\":\"3\"}");
        assertEquals(3, frames.size());
    }

    @Test
    void whiteSpaceBetweenObjectsIsAccepted() throws Exception {
        feed(" \t\r\n{\"error\":\"1\"} \r\n\t {\"error\":\"2\"}  ");
        assertEquals(2, frames.size());
    }

    @Test
    void characterSplitInTheMiddleOfItsBytesIsDecoded() throws Exception {
        byte[] bytes = "{\"error\":\"caf\u00e9 \uD83D\uDE00\"}".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            feed(Arrays.copyOfRange(bytes, i, i + 1)); // one byte at a time
        }
        assertEquals("caf\u00e9 \uD83D\uDE00", error(0));
    }

    @Test
    void oversizeMessageIsRejectedWithItsSizeAndTheLimit() {
        String big = "{\"t\":\"" + "x".repeat(70000 - 8) + "\"}";
        assertEquals(70000, big.length());
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed(big));
        assertTrue(e.getMessage().contains("exceeds the limit of 65536"), e.getMessage());
    }

    @Test
    void oversizeCompleteMessageFedInOneReadNamesItsExactSize() {
        WireCodec.Reader small = new WireCodec.Reader(100);
        byte[] bytes = ("{\"t\":\"" + "x".repeat(142) + "\"}").getBytes(StandardCharsets.UTF_8);
        ProtocolException e = assertThrows(ProtocolException.class, () -> small.feed(bytes, 0, bytes.length, frames::add));
        assertEquals("message of 150 bytes exceeds the limit of 100", e.getMessage());
    }

    @Test
    void objectThatNeverEndsIsCutAtTheLimit() throws Exception {
        feed("{\"t\":[");
        byte[] chunk = "1,".repeat(4096).getBytes(StandardCharsets.UTF_8);
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            for (int i = 0; i < 100; i++) {
                feed(chunk);
            }
        });
        assertTrue(e.getMessage().startsWith("message of more than 65536 bytes exceeds the limit of 65536"),
                e.getMessage());
    }

    @Test
    void stringThatNeverEndsIsCutAtTheLimit() throws Exception {
        feed("{\"t\":\"");
        byte[] chunk = "y".repeat(8192).getBytes(StandardCharsets.UTF_8);
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            for (int i = 0; i < 100; i++) {
                feed(chunk);
            }
        });
        assertTrue(e.getMessage().contains("exceeds the limit of 65536"), e.getMessage());
    }

    @Test
    void bytesThatAreNotJsonAreRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("hello there\n"));
        assertTrue(e.getMessage().startsWith("not JSON"), e.getMessage());
        ProtocolException inside = assertThrows(ProtocolException.class, () -> new WireCodecReaderTest().feed("{\"a\":tru}"));
        assertTrue(inside.getMessage().startsWith("not JSON: Unrecognized token 'tru'"), inside.getMessage());
    }

    @Test
    void invalidUtf8IsRejected() {
        byte[] bytes = {'{', '"', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed(bytes));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void arrayAtTopLevelIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("[1,2]"));
        assertEquals("expected a JSON object, got an array", e.getMessage());
    }

    @Test
    void numberAtTopLevelIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("42\n"));
        assertEquals("expected a JSON object, got a number", e.getMessage());
    }

    @Test
    void stringAtTopLevelIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("\"hi\""));
        assertEquals("expected a JSON object, got a string", e.getMessage());
    }

    @Test
    void objectsBeforeABadOneAreDelivered() {
        assertThrows(ProtocolException.class, () -> feed("{\"error\":\"1\"}{\"error\":\"2\"}]"));
        assertEquals(2, frames.size());
    }

    @Test
    void streamEndingInsideAnObjectIsReported() throws Exception {
        feed("{\"n\":");
        ProtocolException e = assertThrows(ProtocolException.class, reader::endOfInput);
        assertEquals("the stream ended inside a message", e.getMessage());
    }

    @Test
    void overlongFormsAreRefusedWhereverTheReadsAreCut() {
        byte[][] forms = {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}};
        for (byte[] form : forms) {
            byte[] bytes = new byte[9 + form.length];
            System.arraycopy("{\"t\":\"a".getBytes(StandardCharsets.UTF_8), 0, bytes, 0, 7);
            System.arraycopy(form, 0, bytes, 7, form.length);
            bytes[7 + form.length] = '"';
            bytes[8 + form.length] = '}';
            for (int cut = 0; cut <= bytes.length; cut++) {
                WireCodec.Reader r = new WireCodec.Reader(LIMIT);
                List<WireCodec.Frame> out = new ArrayList<>();
                int at = cut;
                ProtocolException e = assertThrows(ProtocolException.class, () -> {
                    r.feed(bytes, 0, at, out::add);
                    r.feed(bytes, at, bytes.length - at, out::add);
                }, "cut at " + cut);
                assertEquals("message is not valid UTF-8: an overlong form at byte 7", e.getMessage());
                assertEquals(0, out.size());
            }
        }
    }

    @Test
    void repeatedKeysAreRefusedAtAnyDepth() {
        assertEquals("duplicate key \"n\"",
                assertThrows(ProtocolException.class, () -> feed("{\"n\":1,\"n\":2}")).getMessage());
        assertEquals("duplicate key \"ip\"", assertThrows(ProtocolException.class,
                () -> new WireCodecReaderTest().feed("{\"a\":[{\"ip\":\"1\",\"ip\":\"2\"}]}")).getMessage());
    }

    @Test
    void readerReleasedWhileAFrameIsHandedOverReadsNoFurtherAndKeepsNothing() throws Exception {
        // What a connection closed by its handler mid-read does: the rest of the read is dropped.
        byte[] read = ("{\"error\":\"1\"}{\"error\":\"2\"}{\"t\":\"" + "y".repeat(60_000)).getBytes(StandardCharsets.UTF_8);
        int count = reader.feed(read, 0, read.length, f -> {
            frames.add(f);
            reader.release();
        });
        assertEquals(1, count);
        assertEquals(1, frames.size());
        assertEquals(0, reader.bufferCapacity(), "an unfinished object kept after the release");
    }

    @Test
    void keyOfFiftyThousandCharactersIsReadWhenTheObjectFitsTheFrame() throws Exception {
        String key = "k".repeat(50_001); // past Jackson's own default for a key, within 64 KiB
        feed("{\"" + key + "\":\"" + "v".repeat(10_000) + "\",\"error\":\"e\"}");
        assertEquals(1, frames.size());
        assertEquals("e", error(0));
    }

    @Test
    void numberOfMoreThanAHundredDigitsIsRefusedAsSuch() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("{\"n\":" + "1".repeat(101) + "}"));
        assertEquals("a number in the message exceeds the limit of 100 digits", e.getMessage());
    }

    @Test
    void anotherBoundOfTheParserIsNamedForWhatItIs() {
        ProtocolException e = WireCodec.notJson(new StreamConstraintsException(
                "Token count (9) exceeds the maximum allowed (8, from `StreamReadConstraints.getMaxTokenCount()`)"));
        assertEquals("message exceeds a bound of the JSON parser: Token count (9) exceeds the maximum allowed"
                + " (8, from `StreamReadConstraints.getMaxTokenCount()`)", e.getMessage());
    }

    @Test
    void deepNestingIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("{\"a\":" + "[".repeat(100)));
        assertTrue(e.getMessage().contains("nests deeper"), e.getMessage());
    }

    @Test
    void byteOrderMarkMayOpenTheStreamOnly() throws Exception {
        feed("\uFEFF" + PLAIN);
        assertEquals(1, frames.size());
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("\uFEFF" + PLAIN));
        assertEquals("not JSON: byte 0xef where an object should begin", e.getMessage());
    }

    // Streams cut into reads at every byte, or at random: the same frames and the same error as whole.

    @Test
    void everyShapeAloneGivesTheSameAtEverySplit() {
        for (String shape : SHAPES) {
            sameAtEverySplit(shape, LIMIT);
        }
    }

    @Test
    void everyShapeAfterChatMessagesGivesTheSameAtEverySplit() {
        for (String shape : SHAPES) {
            sameAtEverySplit(PLAIN + FULL + shape + PLAIN, LIMIT);
        }
    }

    @Test
    void everyBadEndGivesItsErrorAtEverySplit() {
        for (String bad : BAD_ENDS) {
            List<Object> out = sameAtEverySplit(PLAIN + PLAIN + bad + PLAIN, LIMIT);
            assertEquals(3, out.size(), bad + ": " + out);
            assertTrue(out.get(2).toString().startsWith("error: "), bad + ": " + out);
            sameAtEverySplit(bad + PLAIN, LIMIT);
        }
    }

    @Test
    void sizeLimitIsTheSameAtEverySplit() {
        int size = PLAIN.length() - 1; // without its newline
        for (int limit : new int[] {size - 1, size, size + 1, 40}) {
            for (String stream : List.of(PLAIN + PLAIN + PLAIN, PLAIN + "  " + PLAIN.replace("\n", "") + PLAIN)) {
                List<Object> whole = run(stream, List.of(), limit);
                assertEquals(limit >= size ? 3 : 1, whole.size(), "limit " + limit + ": " + whole);
                int length = stream.getBytes(StandardCharsets.UTF_8).length;
                for (int cut = 1; cut < length; cut++) {
                    // The exact size is named when the object ends within the read that passes the limit.
                    assertEquals(sizeless(whole), sizeless(run(stream, List.of(cut), limit)), "cut at " + cut);
                }
            }
        }
    }

    private static List<String> sizeless(List<Object> out) {
        return out.stream().map(o -> o.toString().replaceFirst("message of (more than )?\\d+ bytes", "message of N bytes"))
                .toList();
    }

    @Test
    void manyRandomCutsOfAMixedStreamGiveTheSameAsWhole() {
        StringBuilder stream = new StringBuilder();
        for (String shape : SHAPES) {
            stream.append(PLAIN).append(shape);
        }
        String all = stream.toString();
        List<Object> whole = run(all, List.of(), LIMIT);
        int length = all.getBytes(StandardCharsets.UTF_8).length;
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<Integer> cuts = new ArrayList<>();
            for (int at = random.nextInt(200); at < length; at += 1 + random.nextInt(200)) {
                cuts.add(at);
            }
            assertEquals(whole, run(all, cuts, LIMIT), "cuts " + cuts);
        }
    }

    @Test
    void chatMessagesOfEveryFormAreReadInOrder() {
        List<Object> out = run(PLAIN + FULL + PLAIN + FULL.replace("\n", "") + PLAIN, List.of(), LIMIT);
        assertEquals(5, out.size());
        assertEquals(new TcpMessage(new TcpAddress("10.0.0.1", 1), new TcpAddress("::1", 65535), "dev", "", "bob"),
                ((WireCodec.Chat) out.get(1)).message());
        assertEquals(4, run(PLAIN + PLAIN + PLAIN + PLAIN, List.of(PLAIN.length() + 30), LIMIT).size(),
                "one split across reads");
    }

    @Test
    void neighboursThatShareOrDifferInAFieldAreEachReadAsTheyAre() {
        String withUser = PLAIN.replace("}}\n", ",\"user\":\"u\"}}\n");
        List<String> lines = List.of(PLAIN, PLAIN.replace("5555", "5556").replace("bench", "bencH"), withUser,
                withUser.replace("hello there", "again"), withUser.replace("\"u\"", "\"uv\""),
                PLAIN.replace("hello there", "hello there\\\"}}"), PLAIN, PLAIN.replace("\"bench\"", "\"bench2\""),
                PLAIN.replace("5555", "555"), FULL, FULL.replace("\"dev\"", "\"devops\"").replace("\"bob\"", "\"bobby\""),
                FULL.replace("\"dev\"", "\"de\"").replace("\"bob\"", "\"bo\""), FULL.replace(",\"user\":\"bob\"", ""), FULL);
        List<Object> out = run(String.join("", lines), List.of(), LIMIT);
        assertEquals(lines.size(), out.size());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(run(lines.get(i), List.of(), LIMIT).get(0), out.get(i), lines.get(i));
        }
        TcpMessage second = ((WireCodec.Chat) out.get(1)).message();
        assertEquals(new TcpAddress("127.0.0.1", 5556), second.source());
        assertEquals("bencH", second.topic());
        assertEquals("hello there\"}}", ((WireCodec.Chat) out.get(5)).message().text());
        assertEquals("devops", ((WireCodec.Chat) out.get(10)).message().topic());
        assertEquals("bo", ((WireCodec.Chat) out.get(11)).message().user());
        assertEquals(null, ((WireCodec.Chat) out.get(12)).message().user());
    }

    @Test
    void aRepeatedKeyOfTheChatShapeIsRefusedAfterGoodMessages() {
        List<String> repeated = REPEATED_KEYS;
        for (String object : repeated) {
            List<Object> out = run(PLAIN + object + "\n" + PLAIN, List.of(), LIMIT);
            assertEquals(2, out.size(), object + ": " + out);
            assertTrue(out.get(1).toString().startsWith("error: duplicate key"), object + ": " + out);
        }
    }

    /** Checks that {@code stream} gives the same fed whole as cut at each byte; returns what it gives. */
    private static List<Object> sameAtEverySplit(String stream, int limit) {
        int length = stream.getBytes(StandardCharsets.UTF_8).length;
        List<Object> whole = run(stream, List.of(), limit);
        for (int cut = 1; cut < length; cut++) {
            assertEquals(whole, run(stream, List.of(cut), limit), "cut at " + cut + " of " + stream);
        }
        return whole;
    }

    /** Feeds {@code stream} cut at {@code cuts} to the reader as the selector loop does (see PlainChatScannerTest). */
    private static List<Object> run(String stream, List<Integer> cuts, int limit) {
        return PlainChatScannerTest.run(stream, cuts, true, limit, new int[1]);
    }
}
