package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parley.core.ProtocolException;

class WireCodecTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static WireCodec.Frame decode(String json) throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return WireCodec.decode(bytes, 0, bytes.length);
    }

    private static String error(String json) {
        return assertThrows(ProtocolException.class, () -> decode(json)).getMessage();
    }

    @Test
    void chatMessageOfTheProtocolIsRead() throws Exception {
        WireCodec.Chat chat = (WireCodec.Chat) decode("{\"source\":{\"ip\":\"192.168.1.1\",\"port\":\"2000\"},"
                + "\"destination\":{\"ip\":\"192.168.1.5\",\"port\":\"2032\"},"
                + "\"message\":{\"topic\":\"lame-conversation\",\"text\":\"This is such a lame message\"}}");
        TcpMessage m = chat.message();
        assertEquals(new TcpAddress("192.168.1.1", 2000), m.source());
        assertEquals(new TcpAddress("192.168.1.5", 2032), m.destination());
        assertEquals("lame-conversation:This is such a lame message", m.displayLine());
        assertNull(m.user());
    }

    @Test
    void portAsNumberIsAccepted() throws Exception {
        WireCodec.Chat chat = (WireCodec.Chat) decode(
                "{\"source\":{\"ip\":\"1.2.3.4\",\"port\":2000},\"message\":{\"topic\":\"t\",\"text\":\"x\"}}");
        assertEquals(2000, chat.message().source().port());
    }

    @Test
    void portThatIsNotANumberIsRejected() {
        assertEquals("source.port must be a port number (string or number), not \"abc\"",
                error("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"abc\"},\"message\":{\"topic\":\"t\",\"text\":\"x\"}}"));
        assertEquals("source.port 70000 is outside 0..65535",
                error("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":70000},\"message\":{\"topic\":\"t\",\"text\":\"x\"}}"));
    }

    @Test
    void topicsAsListOrSingleStringAreAccepted() throws Exception {
        assertEquals(List.of("a", "b"), ((WireCodec.Registration) decode(
                "{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"1\"},\"topics\":[\"a\",\"b\"]}")).topics());
        assertEquals(List.of("a"), ((WireCodec.Registration) decode(
                "{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"1\"},\"topics\":\"a\"}")).topics());
    }

    @Test
    void wrongTypedFieldsAreNamed() {
        assertEquals("topics must be a list of strings or a string, not a number",
                error("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"1\"},\"topics\":5}"));
        assertEquals("topics must hold strings, not an object",
                error("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"1\"},\"topics\":[{}]}"));
        assertEquals("message.text must be a string, not a number",
                error("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"1\"},\"message\":{\"topic\":\"t\",\"text\":5}}"));
        assertEquals("message must be an object, not a string",
                error("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"1\"},\"message\":\"hi\"}"));
        assertEquals("source must be an object with ip and port, not an array",
                error("{\"source\":[],\"message\":{\"topic\":\"t\",\"text\":\"x\"}}"));
    }

    @Test
    void missingFieldsAreNamed() {
        assertEquals("message.topic is missing",
                error("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"1\"},\"message\":{\"text\":\"x\"}}"));
        assertEquals("source is missing", error("{\"message\":{\"topic\":\"t\",\"text\":\"x\"}}"));
        assertEquals("source.ip is missing", error("{\"source\":{\"port\":\"1\"},\"topics\":[]}"));
        assertEquals("object is neither a chat message (no \"message\") nor a registration (no \"topics\")",
                error("{\"hello\":1}"));
    }

    @Test
    void errorObjectIsRead() throws Exception {
        assertEquals("bad", assertInstanceOf(WireCodec.Error.class, decode("{\"error\":\"bad\"}")).error());
    }

    @Test
    void encodedChatIsCompactJsonWithPortsAsStringsAndOneNewline() {
        String line = text(WireCodec.encodeChat(new TcpAddress("1.2.3.4", 5), new TcpAddress("6.7.8.9", 10),
                "t", "a \"quoted\"\nline", null));
        assertEquals("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"5\"},\"destination\":{\"ip\":\"6.7.8.9\",\"port\":\"10\"},"
                + "\"message\":{\"topic\":\"t\",\"text\":\"a \\\"quoted\\\"\\nline\"}}\n", line);
    }

    @Test
    void streamedChatHasTheBytesOfTheTreeItReplaced() throws Exception {
        // The encoder writes tokens directly; it must produce exactly what serialising a tree did,
        // escapes and characters outside the BMP included, with and without destination and user.
        String text = "tab\tquote\" back\\slash \u0001 caf\u00e9 \uD83D\uDE00 </script>";
        for (TcpAddress destination : new TcpAddress[] {null, new TcpAddress("::1", 65535)}) {
            for (String user : new String[] {null, "al\u00efce"}) {
                ObjectNode root = MAPPER.createObjectNode();
                root.putObject("source").put("ip", "10.0.0.1").put("port", "0");
                if (destination != null) {
                    root.putObject("destination").put("ip", "::1").put("port", "65535");
                }
                ObjectNode m = root.putObject("message").put("topic", "dev").put("text", text);
                if (user != null) {
                    m.put("user", user);
                }
                // The bytes the old encoder produced (the UTF-8 generator, as writeValueAsBytes uses).
                String expected = new String(MAPPER.writeValueAsBytes(root), StandardCharsets.UTF_8) + "\n";
                assertEquals(expected, text(WireCodec.encodeChat(new TcpAddress("10.0.0.1", 0), destination,
                        "dev", text, user)));
                TcpMessage back = ((WireCodec.Chat) decode(expected)).message();
                assertEquals(text, back.text());
                assertEquals(user, back.user());
            }
        }
    }

    @Test
    void portGivenAsTextMustBeOneToFiveDigits() throws Exception {
        String chat = "{\"source\":{\"ip\":\"1.2.3.4\",\"port\":%s},\"message\":{\"topic\":\"t\",\"text\":\"x\"}}";
        assertEquals(65535, ((WireCodec.Chat) decode(String.format(chat, "\"65535\""))).message().source().port());
        assertEquals(7, ((WireCodec.Chat) decode(String.format(chat, "\"007\""))).message().source().port());
        for (String bad : List.of("\"\"", "\"123456\"", "\"12a\"", "\"-1\"", "\" 80\"", "\"\u0661\"")) {
            assertEquals(true, error(String.format(chat, bad)).startsWith("source.port must be a port number"), bad);
        }
        assertEquals("source.port 65536 is outside 0..65535", error(String.format(chat, "\"65536\"")));
        // A negative number was let through to TcpAddress, whose IllegalArgumentException the
        // server reported as an internal error.
        assertEquals("source.port -1 is outside 0..65535", error(String.format(chat, "-1")));
    }

    /** What reading {@code json} off the wire gives: the frame, or "error: " and the message. */
    private static String read(String json) throws Exception {
        WireCodec.Reader reader = new WireCodec.Reader(65536);
        List<Object> out = new java.util.ArrayList<>();
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        try {
            reader.feed(bytes, 0, bytes.length, out::add);
        } catch (ProtocolException e) {
            out.add("error: " + e.getMessage());
        }
        assertEquals(1, out.size(), json);
        return out.get(0).toString();
    }

    @Test
    void everyShapeIsReadOrRefusedByNameAsTheTreeReaderDid() throws Exception {
        // The expected results are those of the tree reader this codec replaced.
        String src = "\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"5\"}";
        String msg = "\"message\":{\"topic\":\"t\",\"text\":\"hi\"}";
        String chat = "Chat[message=TcpMessage[source=1.2.3.4:5, destination=null, topic=t, text=hi, user=null]]";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{" + src + "," + msg + "}", chat);
        cases.put("{" + msg + "," + src + "}", chat);
        cases.put("{" + src + ",\"destination\":{\"port\":6,\"ip\":\"::1\"}," + msg + "}",
                "Chat[message=TcpMessage[source=1.2.3.4:5, destination=[::1]:6, topic=t, text=hi, user=null]]");
        cases.put("{" + src + ",\"message\":{\"text\":\"x\",\"user\":\"bob\",\"topic\":\"t\"}}",
                "Chat[message=TcpMessage[source=1.2.3.4:5, destination=null, topic=t, text=x, user=bob]]");
        cases.put("{" + src + "," + msg + ",\"extra\":[1,{\"a\":null}]}", chat);
        cases.put("{" + src + ",\"destination\":null," + msg + "}", "error: destination is missing");
        cases.put("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":70000}," + msg + "}", "error: source.port 70000 is outside 0..65535");
        cases.put("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"99999\"}," + msg + "}", "error: source.port 99999 is outside 0..65535");
        cases.put("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":5.0}," + msg + "}",
                "error: source.port must be a port number (string or number), not a number");
        cases.put("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":12345678901}," + msg + "}",
                "error: source.port must be a port number (string or number), not a number");
        cases.put("{\"source\":{\"ip\":7,\"port\":\"5\"}," + msg + "}", "error: source.ip must be a string, not a number");
        cases.put("{" + src + ",\"message\":{\"topic\":\"t\",\"text\":3}}", "error: message.text must be a string, not a number");
        cases.put("{" + src + ",\"message\":{\"topic\":\"t\",\"text\":\"a\",\"user\":null}}", "error: message.user is missing");
        cases.put("{" + src + ",\"message\":\"hi\"}", "error: message must be an object, not a string");
        cases.put("{" + src + ",\"message\":{\"topic\":\"t\"}}", "error: message.text is missing");
        cases.put("{" + msg + "}", "error: source is missing");
        cases.put("{" + src + "," + msg + ",\"topics\":[\"a\"]}", "Registration[source=1.2.3.4:5, topics=[a]]");
        cases.put("{" + src + "," + msg + ",\"error\":\"e\"}", "Error[error=e]");
        cases.put("{" + src + ",\"topics\":\"a\"}", "Registration[source=1.2.3.4:5, topics=[a]]");
        cases.put("{\"error\":\"bad\"}", "Error[error=bad]");
        cases.put("{}", "error: object is neither a chat message (no \"message\") nor a registration (no \"topics\")");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertEquals(c.getValue(), read(c.getKey()), c.getKey());
        }
        // A repeated key: a tree keeps the last value, but the wire refuses the object (issue 11),
        // so that no two readers of the same bytes can see two different messages.
        assertEquals("error: duplicate key \"source\"",
                read("{" + src + "," + msg + "," + src.replace("1.2.3.4", "9.9.9.9") + "}"));
        assertEquals("error: duplicate key \"port\"",
                read("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"5\",\"port\":\"6\"}," + msg + "}"));
        assertEquals("error: duplicate key \"text\"",
                read("{" + src + ",\"message\":{\"topic\":\"t\",\"text\":\"a\",\"text\":\"b\"}}"));
        assertEquals("error: duplicate key \"a\"", read("{" + src + "," + msg + ",\"extra\":[{\"a\":1,\"a\":2}]}"),
                "a repeat in a field the rules ignore");
    }

    @Test
    void everyKeyOfTheChatShapeRepeatedIsRefusedByName() throws Exception {
        String src = "\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"5\"}";
        String dst = "\"destination\":{\"ip\":\"1.2.3.5\",\"port\":6}";
        String msg = "\"message\":{\"topic\":\"t\",\"text\":\"a\",\"user\":\"u\"}";
        assertTrue(read("{" + src + "," + dst + "," + msg + "}").startsWith("Chat["));
        Map<String, String> repeated = new LinkedHashMap<>();
        repeated.put("source", "{" + src + "," + dst + "," + msg + "," + src + "}");
        repeated.put("destination", "{" + src + "," + dst + "," + dst + "," + msg + "}");
        repeated.put("message", "{" + src + "," + msg + "," + msg + "}");
        repeated.put("topic", "{" + src + "," + msg.replace("\"text\"", "\"topic\":\"t\",\"text\"") + "}");
        repeated.put("text", "{" + src + "," + msg.replace("\"user\"", "\"text\":\"b\",\"user\"") + "}");
        repeated.put("user", "{" + src + "," + msg.replace("}", ",\"user\":\"v\"}") + "}");
        repeated.put("ip", "{" + src.replace("\"port\"", "\"ip\":\"9.9.9.9\",\"port\"") + "," + msg + "}");
        repeated.put("port", "{" + src + "," + dst.replace("6}", "6,\"port\":\"7\"}") + "," + msg + "}");
        for (Map.Entry<String, String> e : repeated.entrySet()) {
            assertEquals("error: duplicate key \"" + e.getKey() + "\"", read(e.getValue()), e.getValue());
        }
    }

    @Test
    void encodedErrorIsOneLine() {
        assertEquals("{\"error\":\"boom\"}\n", text(WireCodec.encodeError("boom")));
    }

    /** The text of an encoded buffer. */
    private static String text(java.nio.ByteBuffer buffer) {
        java.nio.ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** What serialising a tree gave, the encoding before this codec streamed it. */
    private static String treeLine(TcpAddress source, TcpAddress destination, String topic, String text, String user)
            throws Exception {
        ObjectNode root = MAPPER.createObjectNode();
        root.putObject("source").put("ip", source.ip()).put("port", Integer.toString(source.port()));
        if (destination != null) {
            root.putObject("destination").put("ip", destination.ip()).put("port", Integer.toString(destination.port()));
        }
        ObjectNode m = root.putObject("message").put("topic", topic).put("text", text);
        if (user != null) {
            m.put("user", user);
        }
        return new String(MAPPER.writeValueAsBytes(root), StandardCharsets.UTF_8) + "\n";
    }

    @Test
    void chatIsEncodedToTheSameBytesAsATreeWhateverTheStrings() throws Exception {
        List<String> strings = List.of("", "plain text", "a\"quote", "back\\slash", "tab\tnew\nline", "\u0000\u001f",
                "\u007f del", "caf\u00e9", "\uD83D\uDE00", "/slash/", "~!@#$%^&*()_+{}[]:;'<>,.?", "x".repeat(1000),
                "why?", "?".repeat(17), "\u0141\u0161 low bytes A and a", "x".repeat(20) + "\u0122", "\u015c back",
                "?".repeat(9) + "\uD83D", "\uDE00" + "y".repeat(9));
        for (int port : new int[] {0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535}) {
            TcpAddress a = new TcpAddress("10.0.0.1", port);
            assertEquals(treeLine(a, a, "t", "x", null), text(WireCodec.encodeChat(a, a, "t", "x", null)), "port " + port);
        }
        TcpAddress v4 = new TcpAddress("127.0.0.1", 65535);
        TcpAddress v6 = new TcpAddress("fe80::1", 0);
        for (String s : strings) {
            for (TcpAddress destination : java.util.Arrays.asList(null, v6)) {
                for (String user : java.util.Arrays.asList(null, "bob", s)) {
                    assertEquals(treeLine(v4, destination, "t", s, user), text(WireCodec.encodeChat(v4, destination, "t", s, user)), s);
                    assertEquals(treeLine(new TcpAddress(s, 1), destination, s, "x", user),
                            text(WireCodec.encodeChat(new TcpAddress(s, 1), destination, s, "x", user)), s);
                }
            }
        }
    }

    @Test
    void messagesThatRepeatOrChangeTheirFieldsAreEachEncodedAsATree() throws Exception {
        TcpAddress a = new TcpAddress("10.0.0.1", 5);
        TcpAddress b = new TcpAddress("10.0.0.1", 6);
        TcpAddress odd = new TcpAddress("caf\u00e9", 7);
        java.util.Random random = new java.util.Random(3);
        List<TcpAddress> sources = List.of(a, b, odd);
        List<TcpAddress> destinations = java.util.Arrays.asList(null, a, b, odd);
        List<String> topics = List.of("dev", "devops", "t\"q");
        List<String> texts = List.of("hello", "x", "a\"quote", "caf\u00e9", "");
        List<String> users = java.util.Arrays.asList(null, "bob", "bo", "b\\o");
        for (int i = 0; i < 2000; i++) {
            // Mostly repeats of the last choice, as on a connection, with changes now and then.
            TcpAddress source = sources.get(random.nextInt(4) == 0 ? random.nextInt(3) : 0);
            TcpAddress destination = destinations.get(random.nextInt(4) == 0 ? random.nextInt(4) : 1);
            String topic = topics.get(random.nextInt(4) == 0 ? random.nextInt(3) : 0);
            String text = texts.get(random.nextInt(5));
            String user = users.get(random.nextInt(4) == 0 ? random.nextInt(4) : 1);
            assertEquals(treeLine(source, destination, topic, text, user),
                    text(WireCodec.encodeChat(source, destination, topic, text, user)), "message " + i);
        }
    }

    @Test
    void aTextReadOffTheWireIsWrittenBackAsItCame() throws Exception {
        TcpAddress a = new TcpAddress("10.0.0.1", 5);
        for (String text : List.of("plain words", "a \"quoted\" word", "caf\u00e9")) {
            String line = text(WireCodec.encodeChat(a, a, "dev", text, "bob"));
            TcpMessage m = ((WireCodec.Chat) decode(line)).message();
            assertEquals(line, text(WireCodec.encodeChat(m.source(), m.destination(), m.topic(), m.text(), m.user())));
        }
    }

    @Test
    void registrationIsCompactJsonWithItsTopicsInOrder() {
        assertEquals("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"5\"},\"topics\":[\"b\",\"a\"]}\n",
                text(WireCodec.encodeRegistration(new TcpAddress("1.2.3.4", 5), List.of("b", "a"))));
    }
}
