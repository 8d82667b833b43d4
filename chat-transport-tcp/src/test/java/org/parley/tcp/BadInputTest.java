package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad input: the sender gets an error and is closed; a pair chatting meanwhile loses nothing. */
class BadInputTest {
    private static TopicServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TopicServer.start(TopicServerOptions.builder().build());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Stream<Arguments> badInputs() {
        String src = "\"source\":{\"ip\":\"1.1.1.1\",\"port\":\"1\"}";
        return Stream.of(
                Arguments.of("not JSON", utf8("hello, server\n"), "not JSON"),
                Arguments.of("oversize", utf8("{" + src + ",\"message\":{\"topic\":\"dev\",\"text\":\""
                        + "x".repeat(70_000) + "\"}}"), "exceeds the limit of 65536"),
                Arguments.of("an object that never ends", utf8("{\"message\":[" + "1,".repeat(40_000)),
                        "message of more than 65536 bytes exceeds the limit of 65536"),
                Arguments.of("invalid UTF-8", new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'}, "UTF-8"),
                Arguments.of("an array", utf8("[1,2,3]\n"), "expected a JSON object, got an array"),
                Arguments.of("a number", utf8("12345\n"), "expected a JSON object, got a number"),
                Arguments.of("text of the wrong type", utf8("{" + src + ",\"message\":{\"topic\":\"dev\",\"text\":7}}"),
                        "message.text must be a string, not a number"),
                Arguments.of("port of the wrong type", utf8("{\"source\":{\"ip\":\"1.1.1.1\",\"port\":true},\"topics\":[\"dev\"]}"),
                        "source.port must be a port number"),
                Arguments.of("a bad topic name", utf8("{" + src + ",\"topics\":[\"no spaces allowed\"]}"),
                        "channel \"no spaces allowed\" breaks the rule"),
                Arguments.of("blank text", utf8("{" + src + ",\"message\":{\"topic\":\"dev\",\"text\":\"  \"}}"),
                        "text is blank"),
                Arguments.of("a post to ALL", utf8("{" + src + ",\"topics\":[\"ALL\"]}{" + src
                        + ",\"message\":{\"topic\":\"ALL\",\"text\":\"everyone\"}}"), "channel ALL is read-only"),
                Arguments.of("a bad user name", utf8("{" + src + ",\"message\":{\"topic\":\"dev\",\"text\":\"x\",\"user\":\"a b\"}}"),
                        "user name \"a b\" breaks the rule"),
                Arguments.of("a number of 101 digits", utf8("{" + src + ",\"topics\":[\"dev\"],\"n\":" + "9".repeat(101) + "}"),
                        "a number in the message exceeds the limit of 100 digits"),
                Arguments.of("an unknown object", utf8("{\"hello\":\"world\"}"), "neither a chat message"),
                Arguments.of("an overlong slash (C0 AF)", withBytes("{" + src + ",\"message\":{\"topic\":\"dev\",\"text\":\"a",
                        new byte[] {(byte) 0xC0, (byte) 0xAF}, "b\"}}"), "message is not valid UTF-8: an overlong form at byte 72"),
                Arguments.of("an overlong slash (E0 80 AF)", withBytes("{" + src + ",\"message\":{\"topic\":\"dev\",\"text\":\"a",
                        new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, "b\"}}"), "message is not valid UTF-8: an overlong form"),
                Arguments.of("a repeated key", utf8("{" + src + ",\"message\":{\"topic\":\"dev\",\"text\":\"x\"}," + src + "}"),
                        "duplicate key \"source\""),
                Arguments.of("a repeated key in a message of the plain shape", utf8("{" + src
                        + ",\"message\":{\"topic\":\"dev\",\"text\":\"x\",\"user\":\"u\",\"user\":\"v\"}}"), "duplicate key \"user\""),
                Arguments.of("a repeated list of topics", utf8("{" + src + ",\"topics\":[\"dev\"],\"topics\":[\"ops\"]}"),
                        "duplicate key \"topics\""));
    }

    /** {@code before}, the raw bytes, {@code after}. */
    private static byte[] withBytes(String before, byte[] raw, String after) {
        byte[] a = utf8(before);
        byte[] c = utf8(after);
        byte[] all = java.util.Arrays.copyOf(a, a.length + raw.length + c.length);
        System.arraycopy(raw, 0, all, a.length, raw.length);
        System.arraycopy(c, 0, all, a.length + raw.length, c.length);
        return all;
    }

    @Test
    void overlongCharacterCutBetweenTwoReadsIsRefusedAndOthersChatOn() throws Exception {
        try (RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port());
             RawClient bad = new RawClient(server.port())) {
            long before = server.registrations();
            a.register("dev");
            b.register("dev");
            bad.register("dev");
            await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() >= before + 3);
            bad.write(withBytes(RawClient.chat("dev", "a").replace("a\"}}", "a"), new byte[] {(byte) 0xE0}, ""));
            a.say("dev", "between"); // a round trip: the server has read the first part on its own
            assertEquals("dev:between", b.next());
            bad.write(withBytes("", new byte[] {(byte) 0x80, (byte) 0xAF}, "b\"}}\n"));
            JsonNode error = bad.json();
            while (!error.has("error")) {
                error = bad.json();
            }
            assertTrue(error.get("error").textValue().startsWith("message is not valid UTF-8: an overlong form"),
                    error.toString());
            assertTrue(bad.closedByServer());
            b.say("dev", "after");
            assertEquals("dev:after", a.next());
        }
    }

    @ParameterizedTest(name = "{0} gets an error and a close, others go on")
    @MethodSource("badInputs")
    void badInputGetsAnErrorAndACloseWhileOthersChatOn(String what, byte[] input, String expected) throws Exception {
        try (RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port());
             RawClient bad = new RawClient(server.port())) {
            long before = server.registrations();
            a.register("dev");
            b.register("dev");
            bad.register("dev");
            await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() >= before + 3);
            a.say("dev", "before");
            bad.write(input);
            a.say("dev", "during");
            JsonNode error = bad.json();
            while (!error.has("error")) { // what was forwarded to it before its bad input was read
                error = bad.json();
            }
            assertTrue(error.get("error").textValue().contains(expected), what + ": " + error);
            assertTrue(bad.closedByServer(), what + ": the connection stays open");
            a.say("dev", "after");
            b.say("dev", "reply");
            assertEquals("dev:before", b.next());
            assertEquals("dev:during", b.next());
            assertEquals("dev:after", b.next());
            assertEquals("dev:reply", a.next());
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
