package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatMessage;
import org.parley.core.internal.ChatTime;
import org.parley.core.HistoryPage;
import org.parley.core.PostAck;
import org.parley.core.ProtocolException;

/** The codec's writer against the bytes of Jackson's trees, and what its reader reads and refuses. */
class WireTest {
    private static final ObjectMapper TREES = new ObjectMapper();
    private static final String AWKWARD = "tab\tquote\" back\\slash \u0001 caf\u00e9 \uD83D\uDE00";

    private static ChatMessage message(String text) {
        return new ChatMessage("dev", 42, "al\u00efce", Instant.parse("2026-11-21T22:50:51.123Z"), text);
    }

    /** A message as a Jackson tree: the reference the codec's bytes are held to. */
    private static ObjectNode messageNode(ChatMessage m) {
        return TREES.createObjectNode().put("channel", m.channel()).put("seq", m.seq()).put("user", m.user())
                .put("time", ChatTime.format(m.time())).put("text", m.text());
    }

    private static byte[] bytes(JsonNode node) throws JsonProcessingException {
        return TREES.writeValueAsBytes(node);
    }

    /** Reads as the server reads a request, the client a reply and a subscriber a publication. */
    private static Wire.Fields read(byte[] body, String what) throws ProtocolException {
        Wire.Shape usual = switch (what) {
            case "request" -> Wire.POST;
            case "reply" -> Wire.OK;
            default -> Wire.PUBLICATION;
        };
        return Wire.read(body, what, usual);
    }

    private static Wire.Fields read(String json, String what) throws ProtocolException {
        return read(json.getBytes(StandardCharsets.UTF_8), what);
    }

    @Test
    void encodersWriteTheBytesOfTheirTrees() throws Exception {
        ChatMessage m = message(AWKWARD);
        assertArrayEquals(bytes(messageNode(m)), Wire.encodeMessage(m));

        ObjectNode request = TREES.createObjectNode().put("type", "post").put("user", "bob").put("channel", "dev")
                .put("text", AWKWARD).put("time", "2026-11-21T22:50:51.123Z").put("ref", "r1");
        assertArrayEquals(bytes(request),
                Wire.postRequest("r1", "bob", "dev", AWKWARD, Instant.parse("2026-11-21T22:50:51.123Z"), null));

        for (String ref : new String[] {"r2", null}) {
            ObjectNode reply = TREES.createObjectNode().put("ok", true).put("channel", "dev").put("seq", 42L)
                    .put("time", "2026-11-21T22:50:51.123Z");
            if (ref != null) {
                reply.put("ref", ref);
            }
            reply.put("epoch", "e1");
            assertArrayEquals(bytes(reply), Wire.postReply(m, ref, "e1"));
            ObjectNode error = TREES.createObjectNode().put("ok", false).put("error", AWKWARD);
            if (ref != null) {
                error.put("ref", ref);
            }
            assertArrayEquals(bytes(error), Wire.errorReply(AWKWARD, ref));
        }
        assertEquals("{\"type\":\"history\",\"channel\":\"dev\",\"after\":10,\"limit\":100,\"ref\":\"h1\"}",
                new String(Wire.historyRequest("h1", "dev", 10, 100, -1), StandardCharsets.UTF_8));
        assertEquals("{\"type\":\"history\",\"channel\":\"dev\",\"last\":20,\"ref\":\"h2\"}",
                new String(Wire.historyRequest("h2", "dev", 0, 0, 20), StandardCharsets.UTF_8));
    }

    @Test
    void everyKindOfTextIsWrittenAsItsTreeIsAndReadBack() throws Exception {
        String printable = java.util.stream.IntStream.rangeClosed(0x20, 0x7e)
                .filter(c -> c != '"' && c != '\\').collect(StringBuilder::new,
                        StringBuilder::appendCodePoint, StringBuilder::append).toString();
        List<String> texts = List.of("", "hi", printable, "x".repeat(300), "y".repeat(5000),
                "del\u007f", "new\nline", "q\"", "b\\", "\u00e9");
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        for (String text : texts) {
            for (long seq : new long[] {1, 7, Long.MAX_VALUE}) {
                ChatMessage m = new ChatMessage("dev", seq, "bob", t, text);
                assertArrayEquals(bytes(messageNode(m)), Wire.encodeMessage(m), text);
                assertEquals(m, Wire.publication(Wire.encodeMessage(m)));
                for (String ref : new String[] {"r2", null}) {
                    ObjectNode reply = TREES.createObjectNode().put("ok", true).put("channel", "dev")
                            .put("seq", seq).put("time", "2026-11-21T22:50:51.123Z");
                    if (ref != null) {
                        reply.put("ref", ref);
                    }
                    reply.put("epoch", text);
                    assertArrayEquals(bytes(reply), Wire.postReply(m, ref, text), text);
                    Wire.Fields read = read(Wire.postReply(m, ref, text), "reply");
                    assertEquals(new PostAck("dev", seq, t), Wire.ack(read), text);
                    assertEquals(ref, read.string("ref"));
                    assertEquals(text, read.text("epoch"));
                }
            }
            ObjectNode request = TREES.createObjectNode().put("type", "post").put("user", "bob")
                    .put("channel", "dev").put("text", text).put("time", "2026-11-21T22:50:51.123Z").put("ref", "r1");
            assertArrayEquals(bytes(request), Wire.postRequest("r1", "bob", "dev", text, t, null), text);
            Wire.Fields post = read(Wire.postRequest("r1", "bob", "dev", text, t, null), "request");
            assertEquals(List.of("post", "bob", "dev", text, "2026-11-21T22:50:51.123Z", "r1"),
                    List.of(post.string("type"), post.required("user"), post.string("channel"), post.required("text"),
                            post.string("time"), post.string("ref")), text);
        }
        // UTF-8 encoding turns a lone surrogate into '?', one byte: it must not pass for ASCII.
        String lone = "what\uD800?";
        ObjectNode request = TREES.createObjectNode().put("type", "post").put("user", "bob")
                .put("channel", "dev").put("text", lone).put("time", "2026-11-21T22:50:51.123Z").put("ref", "r1");
        assertArrayEquals(bytes(request), Wire.postRequest("r1", "bob", "dev", lone, t, null));
    }

    /** The value read, or "error: " and the message of the ProtocolException. */
    private static Object outcome(Decoder decoder, String json) {
        try {
            return decoder.decode(json);
        } catch (ProtocolException e) {
            return "error: " + e.getMessage();
        }
    }

    @FunctionalInterface
    private interface Decoder {
        Object decode(String json) throws ProtocolException;
    }

    private static void assertOutcomes(Decoder decoder, Map<String, Object> expected) {
        expected.forEach((json, outcome) -> assertEquals(outcome, outcome(decoder, json), json));
    }

    @Test
    void anAckIsReadFromAnOkReplyAndWhatIsWrongWithOneIsNamed() {
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("{\"ok\":true,\"channel\":\"c\",\"seq\":3,\"time\":\"2026-11-21T22:50:51.123Z\",\"x\":[{}]}",
                new PostAck("c", 3, t));
        cases.put("{\"ok\":true,\"channel\":\"c\",\"seq\":0,\"time\":\"t\"}",
                "error: time \"t\" is not an ISO-8601 UTC instant like 2026-11-21T22:50:51.123Z");
        cases.put("{\"ok\":true,\"seq\":1,\"time\":\"2026-11-21T22:50:51.123Z\"}", "error: \"channel\" is missing");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"seq\":-1,\"time\":\"t\"}", "error: \"seq\" must be 0 or more, not -1");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"seq\":\"1\",\"time\":\"t\"}",
                "error: \"seq\" must be a whole number, not a string");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"seq\":1.5,\"time\":\"t\"}", "error: \"seq\" must be a whole number, not 1.5");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"seq\":99999999999999999999,\"time\":\"t\"}",
                "error: \"seq\" must be a whole number, not 99999999999999999999");
        cases.put("{\"ok\":true,\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\"}",
                "error: reply is not valid JSON: Duplicate field 'ok'");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\",\"ref\":\"a\",\"r\\u0065f\":\"b\"}",
                "error: reply is not valid JSON: Duplicate field 'ref'");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\"} {}",
                "error: reply is not valid JSON: trailing token (START_OBJECT) after the object");
        cases.put("[]", "error: reply is a JSON array, not an object");
        cases.put("", "error: reply is empty; expected a JSON object");
        assertOutcomes(json -> Wire.ack(read(json, "reply")), cases);
    }

    @Test
    void aPageIsReadFromAHistoryReplyAndWhatIsWrongWithOneIsNamed() throws Exception {
        HistoryPage page = page("dev", 3, i -> AWKWARD + i);
        assertEquals(page, Wire.page(read(Wire.historyReply(page, "h", 1 << 20, false, "e1"), "reply")));
        String m = new String(Wire.encodeMessage(message("hi")), StandardCharsets.UTF_8);
        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("{\"ok\":true,\"channel\":\"c\",\"first\":1,\"last\":2}", "error: bad reply: \"messages\" is not an array");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"messages\":{}}", "error: bad reply: \"messages\" is not an array");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"messages\":[" + m + ",7]}", "error: a message must be a JSON object");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"messages\":[null]}", "error: a message must be a JSON object");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"messages\":[{\"channel\":\"c\"}]}", "error: \"user\" is missing");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"first\":-2,\"messages\":[]}", "error: \"first\" must be 0 or more, not -2");
        cases.put("{\"ok\":true,\"channel\":\"c\",\"messages\":[" + m + "," + m.replace("\"seq\"", "\"seq\":1,\"seq\"") + "]}",
                "error: reply is not valid JSON: Duplicate field 'seq'");
        assertOutcomes(json -> Wire.page(read(json, "reply")), cases);
    }

    @Test
    void aPublicationIsReadAndWhatIsWrongWithOneIsNamed() throws Exception {
        String ok = new String(Wire.encodeMessage(message("hi")), StandardCharsets.UTF_8);
        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put(ok, message("hi"));
        cases.put(new String(Wire.encodeMessage(message(AWKWARD)), StandardCharsets.UTF_8), message(AWKWARD));
        cases.put("{\"text\":\"hi\",\"time\":\"2026-11-21T22:50:51Z\",\"user\":\"u\",\"seq\":0,\"channel\":\"c\"}",
                "error: bad message: seq < 1: 0");
        cases.put("{\"channel\":\"c\",\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "error: bad message: seq < 1: 0");
        cases.put("{\"channel\":\"c\",\"channel\":\"d\",\"seq\":1,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "error: publication is not valid JSON: Duplicate field 'channel'");
        cases.put("{\"channel\":\"c\",\"seq\":1,\"seq\":2,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "error: publication is not valid JSON: Duplicate field 'seq'");
        cases.put("{\"channel\":\"c\",\"seq\":-1,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "error: \"seq\" must be 0 or more, not -1");
        cases.put("{\"channel\":\"c\",\"seq\":1.5,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "error: \"seq\" must be a whole number, not 1.5");
        cases.put("{\"channel\":\"c\",\"seq\":\"1\",\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "error: \"seq\" must be a whole number, not a string");
        cases.put("{\"channel\":\"c\",\"seq\":1,\"user\":null,\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "error: \"user\" is missing");
        cases.put("{\"channel\":\"c\",\"seq\":1,\"user\":\"u\",\"time\":\"yesterday\",\"text\":\"t\"}",
                "error: time \"yesterday\" is not an ISO-8601 UTC instant like 2026-11-21T22:50:51.123Z");
        cases.put("{\"channel\":\"bad channel\",\"seq\":1,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\"}",
                "error: bad message: channel \"bad channel\" is not a channel one can post to (rule [\\p{L}\\p{N}_.-]{1,64}, not ALL)");
        cases.put("{\"channel\":\"c\",\"seq\":1,\"user\":\"u\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\"t\",\"x\":[1]}",
                new ChatMessage("c", 1, "u", Instant.parse("2026-11-21T22:50:51.123Z"), "t"));
        cases.put(ok + " {}", "error: publication is not valid JSON: trailing token (START_OBJECT) after the object");
        cases.put(ok + " garbage", "error: publication is not valid JSON: Unrecognized token 'garbage': was expecting "
                + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
        cases.put("[" + ok + "]", "error: publication is a JSON array, not an object");
        cases.put("not json", "error: publication is not valid JSON: Unrecognized token 'not': was expecting "
                + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
        cases.put("", "error: publication is empty; expected a JSON object");
        assertOutcomes(json -> Wire.publication(json.getBytes(StandardCharsets.UTF_8)), cases);
    }

    @Test
    void theUsualShapesAsParleyWritesThemAreReadInThePlainForm() throws Exception {
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        ChatMessage m = message("hi");
        Map<byte[], Wire.Shape> own = new LinkedHashMap<>();
        own.put(Wire.encodeMessage(new ChatMessage("dev", 42, "bob", t, "hello there")), Wire.PUBLICATION);
        own.put(Wire.encodeMessage(new ChatMessage("dev", 999_999_999_999_999_999L, "bob", t, "")), Wire.PUBLICATION);
        own.put(Wire.postRequest("r1", "bob", "dev", "hello there", t, null), Wire.POST);
        own.put(Wire.postReply(m, "r7", "e1"), Wire.OK);
        own.put(Wire.postReply(m, null, "e1"), Wire.OK);
        // As a client written from the protocol's examples sends it, with json.dumps' spacing.
        own.put(("{\"type\": \"post\", \"user\": \"kyle\", \"channel\": \"general\", \"text\": \"hello\", "
                + "\"time\": \"2026-11-21T22:50:51.123Z\"}").getBytes(StandardCharsets.UTF_8), Wire.POST);
        own.put(" {\r\n\t\"ok\" :true , \"seq\"\n:\n7 }\n".getBytes(StandardCharsets.UTF_8), Wire.OK);
        own.forEach((body, shape) -> {
            String what = new String(body, StandardCharsets.UTF_8);
            Wire.Fields plain = shape.readPlain(body);
            assertNotNull(plain, what);
            assertEquals(assertDoesNotThrow(() -> Wire.readJson(body, "frame")).toString(), plain.toString(), what);
        });
    }

    @Test
    void thePlainFormIsReadAsJacksonReadsItAndEverythingElseIsLeftToJackson() {
        List<String> same = List.of("{}", "{\"ok\":true}", "{\"ok\":false,\"ref\":\"r\"}", "{\"seq\":0}",
                "{\"seq\":999999999999999999,\"time\":\"t\"}", "{\"channel\":\"c\",\"seq\":\"1\"}",
                "{\"channel\":\"a~b !#$%&'()*+,-./:;<=>?@[]^_`{|}\",\"text\":\"\"}", "{\"type\":\"post\",\"text\":\"t\"}",
                "{\"ok\":true,\"channel\":\"c\",\"seq\":1,\"time\":\"t\",\"ref\":\"a\",\"epoch\":\"e\"}",
                " { } ", "{\"seq\":1} ", " {\"seq\":1}", "{\"seq\": 1}", "{ \"seq\" : 1 , \"time\" : \"t\" }",
                "{\"ok\":true\n,\"seq\":0}", "{\"ok\":false\t}");
        List<String> leftToJackson = List.of("", " ", "[1]", "{", "}", "{\"seq\":1", "{\"seq\":1}}", "{\"seq\":1} x",
                "{\"seq\":1} {}", "{\"seq\" 1}", "{\"seq\":}", "{\"seq\":1,}", "{\"seq\":1 2}", "{\"seq\":1,,}",
                "{\"seq\":1\u000c}", "{\"seq\":\"a\",}", "{\"seq\":-1}", "{\"seq\":1.5}", "{\"seq\":1e3}",
                "{\"seq\":01}", "{\"seq\":1234567890123456789}", "{\"seq\":null}", "{\"ok\":tru}", "{\"ok\":truex}",
                "{\"ok\":[]}", "{\"text\":\"caf\u00e9\"}", "{\"text\":\"a\\\"b\"}", "{\"text\":\"\\u0041\"}",
                "{\"text\":\"del\u007f\"}", "{\"text\":\"tab\t\"}", "{\"text\":\"open}", "{\"se\\u0071\":1}",
                "{\"seq\":1,\"seq\":2}", "{\"time\":\"t\",\"seq\":1}", "{\"seq\":1,\"other\":1}", "{\"other\":1}");
        for (Wire.Shape shape : List.of(Wire.PUBLICATION, Wire.POST, Wire.OK)) {
            for (String json : same) {
                byte[] body = json.getBytes(StandardCharsets.UTF_8);
                Wire.Fields plain = shape.readPlain(body);
                if (plain != null) {
                    assertEquals(assertDoesNotThrow(() -> Wire.readJson(body, "frame")).toString(), plain.toString(), json);
                }
            }
            for (String json : leftToJackson) {
                assertNull(shape.readPlain(json.getBytes(StandardCharsets.UTF_8)), json);
            }
        }
        assertNotNull(Wire.PUBLICATION.readPlain("{\"seq\":0}".getBytes(StandardCharsets.UTF_8)));
        byte[] withFf = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', 'a', (byte) 0xff, '"', '}'};
        assertNull(Wire.PUBLICATION.readPlain(withFf));
        byte[] ffOutside = {'{', '}', (byte) 0xff};
        assertNull(Wire.PUBLICATION.readPlain(ffOutside), "a byte after the object is trailing garbage");
    }

    @Test
    void whatThePlainFormReadsJacksonReadsTheSameInTenThousandMutatedFrames() {
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        List<byte[]> seeds = List.of(Wire.encodeMessage(new ChatMessage("dev", 42, "bob", t, "hi there")),
                Wire.postRequest("r1", "bob", "dev", "hello", t, null), Wire.postReply(message("x"), "r7", "e1"),
                "{ \"ok\": true, \"seq\": 10, \"time\": \"t\" }".getBytes(StandardCharsets.UTF_8));
        byte[] alphabet = "{}[]\":, \t\n019-.etrufalsn\\x\u007f".getBytes(StandardCharsets.ISO_8859_1);
        java.util.Random random = new java.util.Random(12);
        int readPlain = 0;
        for (int round = 0; round < 10_000; round++) {
            byte[] b = seeds.get(random.nextInt(seeds.size())).clone();
            for (int edits = 1 + random.nextInt(2); edits > 0; edits--) {
                int at = random.nextInt(b.length + 1);
                byte[] next = new byte[b.length + 1];
                System.arraycopy(b, 0, next, 0, at);
                System.arraycopy(b, at, next, at + 1, b.length - at);
                next[at] = alphabet[random.nextInt(alphabet.length)];
                b = random.nextBoolean() || at == b.length ? next : java.util.Arrays.copyOf(b, b.length); // insert
                if (b != next) {
                    b[at] = alphabet[random.nextInt(alphabet.length)]; // or overwrite
                }
            }
            for (Wire.Shape shape : List.of(Wire.PUBLICATION, Wire.POST, Wire.OK)) {
                Wire.Fields plain = shape.readPlain(b);
                if (plain == null) {
                    continue;
                }
                readPlain++;
                byte[] frame = b;
                String what = new String(b, StandardCharsets.ISO_8859_1);
                assertEquals(assertDoesNotThrow(() -> Wire.readJson(frame, "frame"), what).toString(), plain.toString(), what);
            }
        }
        assertTrue(readPlain > 1000, readPlain + " mutated frames read in the plain form");
    }

    @Test
    void aRepeatedFieldAnywhereIsRefused() {
        String[] repeated = {
            "{\"user\":\"a\",\"text\":\"x\",\"text\":\"y\"}",
            "{\"user\":\"a\",\"text\":\"x\",\"t\\u0065xt\":\"y\"}", // the same name, escaped
            "{\"user\":\"caf\u00e9\",\"user\":\"b\",\"text\":\"x\"}",
            "{\"user\":\"a\",\"text\":\"x\",\"extra\":1,\"extra\":2}", // a field no shape knows
            "{\"user\":\"a\",\"text\":\"x\",\"extra\":[{\"k\":1,\"k\":2}]}", // deep inside one
        };
        for (String body : repeated) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> read(body, "request"));
            assertTrue(e.getMessage().startsWith("request is not valid JSON: Duplicate field"), e.getMessage());
        }
    }

    @Test
    void requestFieldsAreReadByKindAndNullIsAbsent() throws Exception {
        Wire.Fields r = read("{\"type\":\"history\",\"channel\":null,\"after\":7,\"limit\":null,\"user\":5,"
                + "\"unknown\":{\"after\":-1},\"text\":[\"x\"],\"last\":2.50,\"ref\":true,\"time\":{}}", "request");
        assertEquals("history", r.string("type"));
        assertNull(r.string("channel"));
        assertEquals(7, r.count("after", 0));
        assertTrue(r.has("after"));
        assertEquals(100, r.count("limit", 100));
        assertEquals(false, r.has("limit"));
        assertEquals("\"user\" must be a string, not a number",
                assertThrows(ProtocolException.class, () -> r.string("user")).getMessage());
        assertEquals("\"text\" must be a string, not a array",
                assertThrows(ProtocolException.class, () -> r.required("text")).getMessage());
        assertEquals("\"last\" must be a whole number, not 2.50",
                assertThrows(ProtocolException.class, () -> r.count("last", 0)).getMessage());
        assertEquals("\"ref\" must be a string, not a boolean",
                assertThrows(ProtocolException.class, () -> r.string("ref")).getMessage());
        assertEquals("\"time\" must be a whole number, not a object",
                assertThrows(ProtocolException.class, () -> r.count("time", 0)).getMessage());
        assertNull(r.text("user"));
        assertEquals(false, r.isTrue("ok"));
    }

    @Test
    void onlyStrictUtf8IsReadAndTheErrorSaysWhy() throws Exception {
        read("{\"text\":\"caf\u00e9 \ud83d\ude00\"}", "publication");
        byte[] overlong = {'{', '"', 'a', '"', ':', '"', (byte) 0xc0, (byte) 0xaf, '"', '}'};
        ProtocolException e = assertThrows(ProtocolException.class, () -> read(overlong, "publication"));
        assertEquals("publication is not valid JSON: not valid UTF-8: an overlong form at byte 6", e.getMessage());
    }

    /** The history reply as it was first written: a tree of the whole page, each message measured. */
    private static byte[] historyReplyOfTrees(HistoryPage page, String ref, int maxBytes, boolean keepNewest, String epoch)
            throws JsonProcessingException {
        List<ObjectNode> nodes = new ArrayList<>();
        for (ChatMessage m : page.messages()) {
            nodes.add(messageNode(m));
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
        long total = bytes(o).length;
        int from = 0;
        int to = nodes.size();
        for (int i = 0; i < nodes.size(); i++) {
            int index = keepNewest ? nodes.size() - 1 - i : i;
            total += bytes(nodes.get(index)).length + 1;
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
        return bytes(o);
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
    void historyReplyIsTheBytesTheTreeOfThePageMade() throws Exception {
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
