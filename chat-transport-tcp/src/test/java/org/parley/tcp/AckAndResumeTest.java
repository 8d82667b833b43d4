package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;

/** The extension "acknowledgements and resume" over plain sockets (docs/PROTOCOL.md). */
class AckAndResumeTest {
    private static final String SRC = "\"source\":{\"ip\":\"10.0.0.1\",\"port\":\"2000\"}";
    private static final String TIME = "2026-11-21T22:50:51.123Z";
    private ChatHub hub;
    private TopicServer server;

    @BeforeEach
    void start() throws Exception {
        hub = ChatHub.create();
        server = TopicServer.start(TopicServerOptions.builder().hub(hub).build());
    }

    @AfterEach
    void stop() {
        server.close();
        hub.close();
    }

    private RawClient registered(String registration) throws Exception {
        RawClient c = new RawClient(server.port());
        long before = server.registrations();
        c.write(registration + "\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() > before);
        return c;
    }

    private static String withId(String topic, String text, String id) {
        return "{" + SRC + ",\"message\":{\"topic\":\"" + topic + "\",\"text\":\"" + text + "\",\"user\":\"kyle\",\"id\":\""
                + id + "\",\"time\":\"" + TIME + "\"}}\n";
    }

    @Test
    void aMessageWithAnIdIsAcknowledgedOnceStoredAndARepeatIsAckedWithTheSameSeqAndForwardedOnce() throws Exception {
        try (RawClient a = registered("{" + SRC + ",\"topics\":[\"dev\"]}");
             RawClient b = registered("{" + SRC + ",\"topics\":[\"dev\"]}")) {
            a.write(withId("dev", "hello", "k.1"));
            JsonNode ack = a.json();
            assertEquals("k.1", ack.get("ack").get("id").asText());
            assertEquals("dev", ack.get("ack").get("topic").asText());
            assertEquals(1, ack.get("ack").get("seq").asLong());
            assertEquals(hub.epoch(), ack.get("ack").get("epoch").asText());
            a.write(withId("dev", "hello", "k.1")); // sent again: no reply seen, say
            assertEquals(ack, a.json());
            a.write(withId("dev", "next", "k.2"));
            assertEquals(2, a.json().get("ack").get("seq").asLong());
            // b, a seed client: today's bytes (no seq, no id), the repeat not forwarded
            String first = b.line();
            assertEquals("{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"" + a.port() + "\"},\"destination\":{\"ip\":\"127.0.0.1\","
                    + "\"port\":\"" + server.port() + "\"},\"message\":{\"topic\":\"dev\",\"text\":\"hello\",\"user\":\"kyle\"}}", first);
            assertTrue(b.line().contains("\"text\":\"next\""));
            assertEquals(2, hub.lastSeq("dev"));
            assertEquals(java.time.Instant.parse(TIME), hub.history("dev", 0, 10).messages().get(0).time());
        }
    }

    @Test
    void anIdUsedForAnotherPostIsAnErrorAndAMessageWithoutIdGetsNoAck() throws Exception {
        try (RawClient a = registered("{" + SRC + ",\"topics\":[\"dev\"]}")) {
            a.say("dev", "no id");
            a.write(withId("dev", "one", "k.1"));
            JsonNode ack = a.json(); // the first line a gets is the ack of the second message
            assertEquals(2, ack.get("ack").get("seq").asLong());
            a.write(withId("dev", "another", "k.1"));
            assertEquals("post id \"k.1\" was used before for another post; each post needs an id of its own",
                    a.json().get("error").asText());
            assertTrue(a.closedByServer());
        }
    }

    @Test
    void aBadIdOrTimeIsAnErrorNamingIt() throws Exception {
        try (RawClient a = registered("{" + SRC + ",\"topics\":[\"dev\"]}");
             RawClient b = registered("{" + SRC + ",\"topics\":[\"dev\"]}")) {
            a.write(withId("dev", "x", "a b"));
            assertEquals("post id \"a b\" breaks the rule [\\p{L}\\p{N}_.-]{1,64}", a.json().get("error").asText());
            b.write("{" + SRC + ",\"message\":{\"topic\":\"dev\",\"text\":\"x\",\"id\":\"k\",\"time\":\"yesterday\"}}\n");
            assertTrue(b.json().get("error").asText().startsWith("time \"yesterday\" is not an ISO-8601 UTC instant"));
        }
    }

    @Test
    void resumeAfterASeqReplaysWhatFollowsThenLiveOnesAllWithSeq() throws Exception {
        for (int i = 1; i <= 5; i++) {
            hub.post("dev", "zoe", "m" + i, null, null);
        }
        try (RawClient r = registered("{" + SRC + ",\"topics\":[\"dev\"],\"resume\":{\"epoch\":\"" + hub.epoch()
                + "\",\"after\":{\"dev\":3}}}")) {
            assertEquals("{\"registered\":{\"epoch\":\"" + hub.epoch() + "\"}}", r.line());
            JsonNode m4 = r.json();
            assertEquals("m4", m4.get("message").get("text").asText());
            assertEquals(4, m4.get("message").get("seq").asLong());
            assertEquals("zoe", m4.get("message").get("user").asText());
            assertTrue(m4.get("message").has("time"));
            assertEquals(5, r.json().get("message").get("seq").asLong());
            hub.post("dev", "zoe", "live", null, null);
            JsonNode live = r.json();
            assertEquals("live", live.get("message").get("text").asText());
            assertEquals(6, live.get("message").get("seq").asLong());
        }
    }

    @Test
    void resumeWithAnotherEpochReplaysAllTheLogHolds() throws Exception {
        hub.post("dev", "zoe", "m1", null, null);
        hub.post("dev", "zoe", "m2", null, null);
        hub.post("ops", "zoe", "o1", null, null);
        try (RawClient r = registered("{" + SRC + ",\"topics\":[\"dev\",\"ops\"],\"resume\":{\"epoch\":\"old\",\"after\":{\"dev\":2}}}");
             RawClient first = registered("{" + SRC + ",\"topics\":[\"dev\"],\"resume\":{}}")) {
            assertEquals(hub.epoch(), r.json().get("registered").get("epoch").asText());
            assertEquals("m1", r.json().get("message").get("text").asText());
            assertEquals("m2", r.json().get("message").get("text").asText());
            assertEquals("o1", r.json().get("message").get("text").asText());
            assertEquals(hub.epoch(), first.json().get("registered").get("epoch").asText());
            assertEquals(1, first.json().get("message").get("seq").asLong());
            assertEquals(2, first.json().get("message").get("seq").asLong());
        }
    }

    @Test
    void aClientThatSendsAnAckIsTreatedAsBeforeAndABadResumeIsAnError() throws Exception {
        try (RawClient a = registered("{" + SRC + ",\"topics\":[\"dev\"]}")) {
            a.write("{\"ack\":{\"id\":\"x\",\"topic\":\"dev\",\"seq\":1,\"epoch\":\"e\"}}\n");
            assertEquals("\"ack\" is sent by the server only", a.json().get("error").asText());
        }
        try (RawClient b = new RawClient(server.port())) {
            b.write("{" + SRC + ",\"topics\":[\"dev\"],\"resume\":{\"after\":{\"dev\":-1}}}\n");
            assertEquals("resume.after.dev must be a whole number of 0 or more, not -1", b.json().get("error").asText());
            assertTrue(b.closedByServer());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 0);
    }
}
