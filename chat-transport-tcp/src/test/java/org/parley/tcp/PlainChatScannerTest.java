package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.tcp.WireSamples.BAD_ENDS;
import static org.parley.tcp.WireSamples.FULL;
import static org.parley.tcp.WireSamples.PLAIN;
import static org.parley.tcp.WireSamples.REPEATED_KEYS;
import static org.parley.tcp.WireSamples.SHAPES;
import static org.parley.tcp.WireSamples.encoded;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.parley.core.ProtocolException;

/**
 * The codec's fast path for plain chat messages gives exactly what the Jackson path gives, for every input however it
 * is cut into reads: the same frames in the same order and the same error, and it takes the
 * plain messages our encoder writes.
 */
class PlainChatScannerTest {
    @Test
    void everyShapeAloneGivesTheSameAsJacksonAtEverySplit() {
        for (String shape : SHAPES) {
            sameAtEverySplit(shape, 65536);
        }
    }

    @Test
    void everyShapeAfterPlainMessagesGivesTheSameAsJacksonAtEverySplit() {
        for (String shape : SHAPES) {
            sameAtEverySplit(PLAIN + FULL + shape + PLAIN, 65536);
        }
    }

    @Test
    void everyBadEndGivesTheSameErrorAsJacksonAtEverySplit() {
        for (String bad : BAD_ENDS) {
            sameAtEverySplit(PLAIN + PLAIN + bad + PLAIN, 65536);
            sameAtEverySplit(bad + PLAIN, 65536);
        }
    }

    @Test
    void sizeLimitIsTheSameForPlainMessages() {
        int size = PLAIN.length() - 1; // without its newline
        for (int limit : new int[] {size - 1, size, size + 1, 40}) {
            sameAtEverySplit(PLAIN + PLAIN + PLAIN, limit);
            sameAtEverySplit(PLAIN + "  " + PLAIN.replace("\n", "") + PLAIN, limit);
        }
    }

    @Test
    void manyRandomCutsOfAMixedStreamGiveTheSameAsJackson() {
        StringBuilder stream = new StringBuilder();
        for (String shape : SHAPES) {
            stream.append(PLAIN).append(shape);
        }
        String all = stream.toString();
        int length = all.getBytes(StandardCharsets.UTF_8).length;
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<Integer> cuts = new ArrayList<>();
            for (int at = random.nextInt(200); at < length; at += 1 + random.nextInt(200)) {
                cuts.add(at);
            }
            assertEquals(run(all, cuts, false, 65536), run(all, cuts, true, 65536), "cuts " + cuts);
        }
    }

    @Test
    void plainMessagesAfterTheFirstSkipJackson() {
        String stream = PLAIN + FULL + PLAIN + FULL.replace("\n", "") + PLAIN;
        int[] hits = new int[1];
        List<Object> out = run(stream, List.of(), true, 65536, hits);
        assertEquals(5, out.size());
        assertEquals(4, hits[0], "the first object goes through the parser, the other four do not");
        WireCodec.Chat full = (WireCodec.Chat) out.get(1);
        assertEquals(new TcpMessage(new TcpAddress("10.0.0.1", 1), new TcpAddress("::1", 65535), "dev", "", "bob"),
                full.message());
    }

    @Test
    void aPlainMessageSplitAcrossReadsIsFinishedByJacksonAndTheNextLineIsTakenAgain() {
        String stream = PLAIN + PLAIN + PLAIN + PLAIN;
        int[] hits = new int[1];
        List<Object> out = run(stream, List.of(PLAIN.length() + 30), true, 65536, hits);
        assertEquals(4, out.size());
        assertEquals(2, hits[0], "the first and the split one go through the parser");
    }

    @Test
    void addressesAndTopicAreReusedOnlyWhenTheirBytesMatch() {
        PlainChatScanner scanner = new PlainChatScanner();
        byte[] a = PLAIN.getBytes(StandardCharsets.US_ASCII);
        byte[] b = PLAIN.replace("5555", "5556").replace("bench", "bencH").getBytes(StandardCharsets.US_ASCII);
        assertTrue(scanner.scan(a, 0, a.length, 65536) > 0);
        TcpMessage first = scanner.message();
        assertTrue(scanner.scan(a, 0, a.length, 65536) > 0);
        assertTrue(first.source() == scanner.message().source());
        assertTrue(scanner.scan(b, 0, b.length, 65536) > 0);
        assertEquals(new TcpAddress("127.0.0.1", 5556), scanner.message().source());
        assertEquals("bencH", scanner.message().topic());
    }

    @Test
    void theLastMessagesHeadAndTailAreReusedOnlyWhenTheirBytesMatch() {
        String withUser = PLAIN.replace("}}\n", ",\"user\":\"u\"}}\n");
        List<String> lines = List.of(PLAIN, withUser, withUser.replace("hello there", "again"),
                withUser.replace("\"u\"", "\"uv\""), PLAIN.replace("hello there", "hello there\\\"}}"), PLAIN,
                PLAIN.replace("\"bench\"", "\"bench2\""), PLAIN.replace("5555", "555"), PLAIN, FULL,
                FULL.replace("\"bob\"", "\"bo\""), FULL.replace(",\"user\":\"bob\"", ""), FULL);
        String stream = String.join("", lines);
        int[] hits = new int[1];
        assertEquals(run(stream, List.of(), false, 65536), run(stream, List.of(), true, 65536, hits));
        assertEquals(lines.size() - 2, hits[0], "all but the first and the escaped one skip the parser");
    }

    @Test
    void cachedTopicAndUserAreReusedOnlyWhenTheWholeStringMatches() {
        PlainChatScanner scanner = new PlainChatScanner();
        String[] lines = {FULL, FULL.replace("\"dev\"", "\"devops\"").replace("\"bob\"", "\"bobby\""),
                FULL.replace("\"dev\"", "\"de\"").replace("\"bob\"", "\"bo\""), FULL};
        String[][] expected = {{"dev", "bob"}, {"devops", "bobby"}, {"de", "bo"}, {"dev", "bob"}};
        for (int i = 0; i < lines.length; i++) {
            byte[] b = lines[i].getBytes(StandardCharsets.US_ASCII);
            assertEquals(b.length - 1, scanner.scan(b, 0, b.length, 65536));
            assertEquals(expected[i][0], scanner.message().topic());
            assertEquals(expected[i][1], scanner.message().user());
        }
        byte[] cut = FULL.substring(0, FULL.indexOf("bob") + 3).getBytes(StandardCharsets.US_ASCII);
        assertEquals(-1, scanner.scan(cut, 0, cut.length, 65536), "a cached string needs its closing quote too");
    }

    @Test
    void aRepeatedKeyIsNeverTakenSoTheParserRefusesIt() {
        List<String> repeated = REPEATED_KEYS;
        PlainChatScanner scanner = new PlainChatScanner();
        byte[] plain = PLAIN.getBytes(StandardCharsets.US_ASCII);
        for (String object : repeated) {
            assertTrue(scanner.scan(plain, 0, plain.length, 65536) > 0); // the cached parts are those of a good one
            byte[] b = object.getBytes(StandardCharsets.US_ASCII);
            assertEquals(-1, scanner.scan(b, 0, b.length, 65536), object);
            List<Object> out = run(PLAIN + object + "\n" + PLAIN, List.of(), true, 65536);
            assertTrue(out.get(1).toString().startsWith("error: duplicate key"), object + ": " + out);
        }
    }

    private static void sameAtEverySplit(String stream, int limit) {
        int length = stream.getBytes(StandardCharsets.UTF_8).length;
        assertEquals(run(stream, List.of(), false, limit), run(stream, List.of(), true, limit), stream);
        for (int cut = 1; cut < length; cut++) {
            assertEquals(run(stream, List.of(cut), false, limit), run(stream, List.of(cut), true, limit),
                    "cut at " + cut + " of " + stream);
        }
    }

    private static List<Object> run(String stream, List<Integer> cuts, boolean shortcut, int limit) {
        return run(stream, cuts, shortcut, limit, new int[1]);
    }

    /**
     * Feeds {@code stream} cut at {@code cuts} to a reader with or without its fast path, as the selector loop does (each read copied into
     * the middle of a buffer with other bytes around it), then ends it; returns the frames and
     * the error, if any.
     */
    static List<Object> run(String stream, List<Integer> cuts, boolean shortcut, int limit, int[] hits) {
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        WireCodec.Reader reader = new WireCodec.Reader(limit, shortcut);
        List<Object> out = new ArrayList<>();
        try {
            byte[] buffer = (PLAIN + stream + PLAIN).getBytes(StandardCharsets.UTF_8); // noise around each read
            int from = 0;
            List<Integer> ends = new ArrayList<>(cuts);
            ends.add(bytes.length);
            for (int to : ends) {
                System.arraycopy(bytes, from, buffer, 7, to - from);
                reader.feed(buffer, 7, to - from, out::add);
                from = to;
            }
            reader.endOfInput();
        } catch (ProtocolException e) {
            out.add("error: " + e.getMessage());
        }
        hits[0] = (int) reader.scanned();
        return out;
    }
}
