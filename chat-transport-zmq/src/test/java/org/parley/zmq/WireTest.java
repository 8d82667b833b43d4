package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatMessage;
import org.parley.core.internal.ChatTime;
import org.parley.core.HistoryPage;
import org.parley.core.ProtocolException;

/** The streamed encoders and the plain-publication reader against the tree code they stand for. */
class WireTest {
    private static final ObjectMapper TREES = new ObjectMapper();
    private static final String AWKWARD = "tab\tquote\" back\\slash \u0001 caf\u00e9 \uD83D\uDE00";

    private static ChatMessage message(String text) {
        return new ChatMessage("dev", 42, "al\u00efce", Instant.parse("2026-11-21T22:50:51.123Z"), text);
    }

    @Test
    void streamedEncodersWriteTheBytesOfTheirTrees() throws Exception {
        ChatMessage m = message(AWKWARD);
        assertArrayEquals(Wire.bytes(Wire.messageNode(m)), Wire.encodeMessage(m));

        ObjectNode request = TREES.createObjectNode().put("type", "post").put("user", "bob").put("channel", "dev")
                .put("text", AWKWARD).put("time", "2026-11-21T22:50:51.123Z").put("ref", "r1");
        assertArrayEquals(Wire.bytes(request),
                Wire.postRequest("r1", "bob", "dev", AWKWARD, Instant.parse("2026-11-21T22:50:51.123Z")));

        for (String ref : new String[] {"r2", null}) {
            ObjectNode reply = TREES.createObjectNode().put("ok", true).put("channel", "dev").put("seq", 42L)
                    .put("time", "2026-11-21T22:50:51.123Z");
            if (ref != null) {
                reply.put("ref", ref);
            }
            reply.put("epoch", "e1");
            assertArrayEquals(Wire.bytes(reply), Wire.postReply(m, ref, "e1"));
        }
    }

    @Test
    void handWrittenAsciiObjectsAreTheBytesOfTheirTrees() throws Exception {
        String printable = java.util.stream.IntStream.rangeClosed(0x20, 0x7e)
                .filter(c -> c != '"' && c != '\\').collect(StringBuilder::new,
                        StringBuilder::appendCodePoint, StringBuilder::append).toString();
        List<String> texts = List.of("", "hi", printable, "x".repeat(300), "y".repeat(5000),
                "del\u007f", "new\nline", "q\"", "b\\", "\u00e9");
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        for (String text : texts) {
            for (long seq : new long[] {1, 7, Long.MAX_VALUE}) {
                ChatMessage m = new ChatMessage("dev", seq, "bob", t, text);
                assertArrayEquals(Wire.bytes(Wire.messageNode(m)), Wire.encodeMessage(m), text);
                assertEquals(m, Wire.decodePublication(Wire.encodeMessage(m)));
                for (String ref : new String[] {"r2", null}) {
                    ObjectNode reply = TREES.createObjectNode().put("ok", true).put("channel", "dev")
                            .put("seq", seq).put("time", "2026-11-21T22:50:51.123Z");
                    if (ref != null) {
                        reply.put("ref", ref);
                    }
                    reply.put("epoch", text);
                    assertArrayEquals(Wire.bytes(reply), Wire.postReply(m, ref, text), text);
                }
            }
            ObjectNode request = TREES.createObjectNode().put("type", "post").put("user", "bob")
                    .put("channel", "dev").put("text", text).put("time", "2026-11-21T22:50:51.123Z").put("ref", "r1");
            assertArrayEquals(Wire.bytes(request), Wire.postRequest("r1", "bob", "dev", text, t), text);
        }
        // UTF-8 encoding turns a lone surrogate into '?', one byte: it must not pass for ASCII.
        String lone = "what\uD800?";
        ObjectNode request = TREES.createObjectNode().put("type", "post").put("user", "bob")
                .put("channel", "dev").put("text", lone).put("time", "2026-11-21T22:50:51.123Z").put("ref", "r1");
        assertArrayEquals(Wire.bytes(request), Wire.postRequest("r1", "bob", "dev", lone, t));
    }

    @Test
    void plainAckIsReadFromTheUsualReplyAndEverythingElseIsLeftToTheTree() {
        ChatMessage m = message("hi");
        assertEquals(new Wire.PlainAck("dev", 42, "2026-11-21T22:50:51.123Z", "r7", "e1"),
                Wire.plainAck(Wire.postReply(m, "r7", "e1")));
        assertEquals(new Wire.PlainAck("dev", 42, "2026-11-21T22:50:51.123Z", null, "e1"),
                Wire.plainAck(Wire.postReply(m, null, "e1")));
        assertEquals(new Wire.PlainAck("c", 0, "t", null, null),
                Wire.plainAck("{\"ok\":true,\"channel\":\"c\",\"seq\":0,\"time\":\"t\"}".getBytes(StandardCharsets.UTF_8)));
        List<String> others = List.of("", "[]", "{}", "not json",
                "{\"ok\":false,\"error\":\"no\"}",
                "{\"ok\":true,\"channel\":\"c\",\"time\":\"t\"}",
                "{\"ok\":true,\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\"}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":-1,\"time\":\"t\"}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":\"1\",\"time\":\"t\"}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":1.5,\"time\":\"t\"}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":99999999999999999999,\"time\":\"t\"}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\",\"messages\":[]}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\",\"ref\":1}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\"} {}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\",\"epoch\":\"a\",\"epoch\":\"b\"}");
        for (String other : others) {
            assertNull(Wire.plainAck(other.getBytes(StandardCharsets.UTF_8)), other);
        }
    }

    /** The message, or "error: " and the message of the ProtocolException. */
    private static Object outcome(Decoder decoder, String json) {
        try {
            return decoder.decode(json.getBytes(StandardCharsets.UTF_8));
        } catch (ProtocolException e) {
            return "error: " + e.getMessage();
        }
    }

    @FunctionalInterface
    private interface Decoder {
        ChatMessage decode(byte[] body) throws ProtocolException;
    }

    @Test
    void plainPublicationIsReadAsTheTreeReadsItAndEverythingElseFallsBack() throws Exception {
        String ok = new String(Wire.encodeMessage(message("hi")), StandardCharsets.UTF_8);
        List<String> cases = List.of(ok,
                new String(Wire.encodeMessage(message(AWKWARD)), StandardCharsets.UTF_8),
                "{\"text\":\"hi\",\"time\":\"2026-11-21T22:50:51Z\",\"user\":\"u\",\"seq\":0,\"channel\":\"c\"}",
                "{\"channel\":\"c\",\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"channel\":\"d\",\"seq\":1,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"seq\":1,\"seq\":2,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"seq\":-1,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"seq\":1.5,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"seq\":99999999999999999999,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"seq\":\"1\",\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"seq\":1,\"user\":null,\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"seq\":1,\"user\":\"u\",\"time\":\"yesterday\",\"text\":\"t\"}",
                "{\"channel\":\"bad channel\",\"seq\":1,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "{\"channel\":\"c\",\"seq\":1,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\",\"x\":[1]}",
                ok + " {}",
                ok + " garbage",
                "[" + ok + "]",
                "not json",
                "");
        for (String json : cases) {
            assertEquals(outcome(body -> Wire.decodeMessage(Wire.parseObject(body, "publication")), json),
                    outcome(Wire::decodePublication, json), json);
        }
        assertEquals(message(AWKWARD), Wire.decodePublication(Wire.encodeMessage(message(AWKWARD))));
        assertEquals(ChatTime.parse("2026-11-21T22:50:51.123Z"), Wire.decodePublication(ok.getBytes(StandardCharsets.UTF_8)).time());
    }

    /** What the server's tree path reads from a post request, or "error" / "not a post". */
    private static Object treePost(String json) {
        try {
            ObjectNode o = Wire.parseObject(json.getBytes(StandardCharsets.UTF_8), "request");
            String ref = Wire.optionalString(o, "ref");
            String type = Wire.optionalString(o, "type");
            if (type != null && !type.equals("post")) {
                return "not a post";
            }
            return new Wire.PlainPost(Wire.requiredString(o, "user"), Wire.optionalString(o, "channel"),
                    Wire.requiredString(o, "text"), Wire.optionalString(o, "time"), ref);
        } catch (ProtocolException e) {
            return "error";
        }
    }

    @Test
    void plainPostIsReadOnlyWhenTheTreeWouldReadTheSameFields() {
        String own = new String(Wire.postRequest("r1", "bob", "dev", AWKWARD, Instant.parse("2026-11-21T22:50:51.123Z")),
                StandardCharsets.UTF_8);
        assertEquals(treePost(own), Wire.plainPost(own.getBytes(StandardCharsets.UTF_8)), "a client's own post takes the short way");
        List<String> cases = List.of(own,
                "{\"user\":\"u\",\"text\":\"t\"}",
                "{\"text\":\"t\",\"user\":\"u\",\"channel\":\"c\",\"ref\":\"9\"}",
                "{\"type\":\"history\",\"channel\":\"c\"}",
                "{\"type\":\"post\",\"user\":\"u\"}",
                "{\"type\":\"post\",\"user\":\"u\",\"text\":\"t\",\"ref\":7}",
                "{\"type\":\"post\",\"user\":\"u\",\"text\":\"t\",\"channel\":null}",
                "{\"type\":\"post\",\"user\":\"u\",\"text\":\"t\",\"user\":\"v\"}",
                "{\"type\":\"post\",\"user\":\"u\",\"text\":\"t\",\"extra\":\"x\"}",
                "{\"type\":\"post\",\"user\":\"u\",\"text\":\"t\"} {}",
                "{\"type\":\"Post\",\"user\":\"u\",\"text\":\"t\"}",
                "[1]", "garbage", "");
        for (String json : cases) {
            Wire.PlainPost plain = Wire.plainPost(json.getBytes(StandardCharsets.UTF_8));
            if (plain != null) {
                assertEquals(treePost(json), plain, json);
            }
        }
    }

    @Test
    void handReaderReadsWhatJacksonReadsAndLeavesTheRestToIt() {
        List<String> names = List.of("ok", "channel", "seq", "text");
        String[] plain = {
            "{\"ok\":true,\"channel\":\"dev\",\"seq\":42,\"text\":\"hello there\"}",
            " { \"seq\" : 0 ,\n\"text\":\"\" ,\t\"channel\":\"a~b\" }\r\n",
            "{}",
            "{\"seq\":999999999999999999}",
            "{\"text\":\"a plain text well over eight bytes long, read eight at a time\",\"seq\":7}",
        };
        for (String body : plain) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            Object[] byHand = Wire.AsciiReader.read(bytes, names);
            assertNotNull(byHand, body);
            assertArrayEquals(Wire.jacksonFlatFields(bytes, names), byHand, body);
        }
        String[] leftToJackson = {
            "{\"text\":\"caf\u00e9\"}", "{\"text\":\"a\\\"b\"}", "{\"text\":\"\\u0041\"}",
            "{\"seq\":-1}", "{\"seq\":1.5}", "{\"seq\":1e3}", "{\"seq\":01}", "{\"seq\":1234567890123456789}",
            "{\"ok\":false}", "{\"ok\":truex}", "{\"ok\":null}", "{\"seq\":[1]}", "{\"seq\":{}}",
            "{\"seq\":1,\"seq\":2}", "{\"other\":1}", "{\"seq\":1,}", "{\"seq\":1} x", "{\"seq\":1}}",
            "[1]", "", "{\"seq\" 1}", "{\"seq\":1", "{\"text\":\"open", "{seq:1}", "{\"se\\u0071\":1}",
            // past the first eight bytes of a string: a DEL, an escaped quote, a non-ASCII character
            "{\"text\":\"abcdefgh\u007f\"}", "{\"text\":\"abcdefghij\\\"x\"}", "{\"text\":\"abcdefghij\u00e9\"}",
        };
        for (String body : leftToJackson) {
            assertNull(Wire.AsciiReader.read(body.getBytes(StandardCharsets.UTF_8), names), body);
        }
        byte[] withFf = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', 'a', (byte) 0xff, '"', '}'};
        assertNull(Wire.AsciiReader.read(withFf, names));
        byte[] ffOutside = {'{', '}', (byte) 0xff};
        assertNull(Wire.AsciiReader.read(ffOutside, names), "a byte after the object is trailing garbage");
    }

    @Test
    void aRepeatedFieldIsLeftByBothShortReadersToTheTreeWhichRefusesIt() {
        List<String> names = List.of("user", "text");
        String[] repeated = {
            "{\"user\":\"a\",\"text\":\"x\",\"text\":\"y\"}", // plain: the hand reader's
            "{\"user\":\"a\",\"text\":\"x\",\"t\\u0065xt\":\"y\"}", // the same name escaped: Jackson's
            "{\"user\":\"caf\u00e9\",\"user\":\"b\",\"text\":\"x\"}", // not ASCII: Jackson's
        };
        for (String body : repeated) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            assertNull(Wire.AsciiReader.read(b, names), body);
            assertNull(Wire.jacksonFlatFields(b, names), body);
            assertNull(Wire.plainPost(b), body);
            ProtocolException e = assertThrows(ProtocolException.class, () -> Wire.parseObject(b, "request"));
            assertTrue(e.getMessage().startsWith("request is not valid JSON: Duplicate field"), e.getMessage());
        }
        byte[] ack = "{\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\",\"ref\":\"a\",\"r\\u0065f\":\"b\"}"
                .getBytes(StandardCharsets.UTF_8);
        assertNull(Wire.plainAck(ack));
    }

    @Test
    void onlyStrictUtf8IsReadAndTheErrorSaysWhy() throws Exception {
        Wire.requireUtf8("{\"text\":\"caf\u00e9 \ud83d\ude00\"}".getBytes(StandardCharsets.UTF_8), "publication");
        byte[] overlong = {'{', '"', 'a', '"', ':', '"', (byte) 0xc0, (byte) 0xaf, '"', '}'};
        ProtocolException e = assertThrows(ProtocolException.class, () -> Wire.requireUtf8(overlong, "publication"));
        assertEquals("publication is not valid JSON: not valid UTF-8: an overlong form at byte 6", e.getMessage());
    }

    /** The history reply as it was first written: a tree of the whole page, each message measured. */
    private static byte[] historyReplyOfTrees(HistoryPage page, String ref, int maxBytes, boolean keepNewest, String epoch) {
        List<ObjectNode> nodes = new ArrayList<>();
        for (ChatMessage m : page.messages()) {
            nodes.add(Wire.messageNode(m));
        }
        ObjectNode o = TREES.createObjectNode();
        o.put("ok", true);
        o.put("channel", page.channel());
        o.put("first", page.first());
        o.put("last", page.last());
        ArrayNode list = o.putArray("messages");
        if (ref != null) {
            o.put("ref", ref);
        }
        o.put("epoch", epoch);
        long total = Wire.bytes(o).length;
        int from = 0;
        int to = nodes.size();
        for (int i = 0; i < nodes.size(); i++) {
            int index = keepNewest ? nodes.size() - 1 - i : i;
            total += Wire.bytes(nodes.get(index)).length + 1;
            if (total > maxBytes && i > 0) {
                if (keepNewest) {
                    from = index + 1;
                } else {
                    to = index;
                }
                break;
            }
        }
        for (int i = from; i < to; i++) {
            list.add(nodes.get(i));
        }
        return Wire.bytes(o);
    }

    private static HistoryPage page(String channel, int count, IntFunction<String> text) {
        List<ChatMessage> messages = new ArrayList<>();
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        for (int i = 1; i <= count; i++) {
            messages.add(new ChatMessage(channel.equals("ALL") ? (i % 2 == 0 ? "dev" : "ops") : channel, i,
                    "u" + i, t.plusMillis(i), text.apply(i)));
        }
        return new HistoryPage(channel, count == 0 ? 0 : 1, count, messages);
    }

    @Test
    void historyReplyIsTheBytesTheTreeOfThePageMade() {
        List<HistoryPage> pages = List.of(page("dev", 0, i -> "x"), page("dev", 1, i -> "one"),
                page("dev", 10, i -> "m" + i), page("dev", 30, i -> AWKWARD.repeat(i)),
                page("ALL", 20, i -> "y".repeat(i * 100)), page("dev", 5, i -> "z".repeat(16 * 1024)));
        for (HistoryPage p : pages) {
            for (int max : new int[] {10, 200, 1000, 4096, 64 * 1024, 1 << 20}) {
                for (boolean newest : new boolean[] {false, true}) {
                    for (String ref : new String[] {null, "h7", "q\"uote,\"messages\":["}) {
                        String what = p.channel() + " " + p.messages().size() + " max " + max + " newest " + newest
                                + " ref " + ref;
                        assertArrayEquals(historyReplyOfTrees(p, ref, max, newest, "e1"),
                                Wire.historyReply(p, ref, max, newest, "e1"), what);
                    }
                }
            }
        }
    }

    @Test
    void historyReplyWorkIsBoundedByTheFrameNotThePage() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported());
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        // A full page of a thousand short messages, for a reply that has room for a few.
        HistoryPage page = page("dev", 1000, i -> "short text " + i);
        for (boolean newest : new boolean[] {false, true}) {
            Wire.historyReply(page, "r", 1024, newest, "e1"); // warm up
            long before = counter.getCurrentThreadAllocatedBytes();
            byte[] reply = Wire.historyReply(page, "r", 1024, newest, "e1");
            long allocated = counter.getCurrentThreadAllocatedBytes() - before;
            assertTrue(reply.length <= 1024, reply.length + " bytes");
            // The page's own list is the hub's; what the reply costs is a few times its size.
            assertTrue(allocated < 64 * 1024, "a reply of " + reply.length + " bytes cost " + allocated + " bytes");
        }
    }

    @Test
    void aTopicFrameIsItsChannelsOnlyWhenEveryByteMatches() {
        List<String> channels = List.of("dev", "devops", "de", "d", "D\u00e9v", "\u00e9", "\u65e5\u672c", "a-b_c.9");
        for (String channel : channels) {
            for (String other : channels) {
                byte[] frame = Wire.topic(other);
                assertEquals(channel.equals(other), Wire.isTopicOf(frame, channel), other + " as " + channel);
                byte[] noNul = java.util.Arrays.copyOf(frame, frame.length - 1);
                assertEquals(false, Wire.isTopicOf(noNul, channel), other + " without its NUL as " + channel);
                byte[] longer = java.util.Arrays.copyOf(frame, frame.length + 1);
                assertEquals(false, Wire.isTopicOf(longer, channel), other + " and a byte more as " + channel);
            }
        }
    }
}
