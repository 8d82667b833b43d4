package org.parley.zmq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.core.ChatHub;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.HubAccess;
import org.parley.core.HubOptions;
import org.parley.core.ProtocolException;
import org.parley.core.ChatMessage;
import org.parley.core.PostAck;
import org.parley.core.testing.RecordingListener;
import org.parley.zmq.internal.IoTicker;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

class ZmqChatServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ZmqChatServer server;
    private ZContext raw;

    @BeforeEach
    void start() throws IOException {
        server = ZmqTestSupport.startServer();
        raw = new ZContext(1);
        IoTicker.attach(raw); // see IoTicker: raw JeroMQ test sockets need it as much as ours
    }

    @AfterEach
    void stop() {
        raw.close();
        server.close();
    }

    private ZMQ.Socket req() {
        return connected(SocketType.REQ);
    }

    private ZMQ.Socket dealer() {
        return connected(SocketType.DEALER);
    }

    private ZMQ.Socket connected(SocketType type) {
        ZMQ.Socket s = raw.createSocket(type);
        s.setLinger(0);
        s.setReceiveTimeOut(5000);
        s.connect("tcp://127.0.0.1:" + server.postPort());
        return s;
    }

    private static JsonNode ask(ZMQ.Socket req, String request) throws IOException {
        return ask(req, request.getBytes(UTF_8));
    }

    private static JsonNode ask(ZMQ.Socket req, byte[] request) throws IOException {
        req.send(request, 0);
        byte[] reply = req.recv(0);
        assertNotNull(reply, "no reply within 5 s");
        assertFalse(req.hasReceiveMore());
        return JSON.readTree(reply);
    }

    /** A DEALER reply: the empty delimiter, then the body. */
    private static JsonNode dealerReply(ZMQ.Socket dealer) throws IOException {
        byte[] delimiter = dealer.recv(0);
        assertNotNull(delimiter, "no reply within 5 s");
        assertEquals(0, delimiter.length);
        assertTrue(dealer.hasReceiveMore());
        byte[] body = dealer.recv(0);
        assertFalse(dealer.hasReceiveMore());
        return JSON.readTree(body);
    }

    @Test
    void postIsAcknowledgedWithSeqTimeAndEchoedRef() throws IOException {
        ZMQ.Socket req = req();
        JsonNode reply = ask(req, "{\"type\":\"post\",\"user\":\"kyle\",\"channel\":\"general\","
                + "\"text\":\"hello\",\"time\":\"2026-11-21T22:50:51.123Z\",\"ref\":\"r1\"}");
        assertEquals("{\"ok\":true,\"channel\":\"general\",\"seq\":1,"
                + "\"time\":\"2026-11-21T22:50:51.123Z\",\"ref\":\"r1\",\"epoch\":\"" + server.hub().epoch() + "\"}",
                reply.toString());
        assertEquals(1, server.hub().lastSeq("general"));
    }

    @Test
    void postWithoutTypeChannelOrTimeGoesToGeneralAtTheServersTime() throws IOException {
        Instant before = Instant.now().minusMillis(1);
        JsonNode reply = ask(req(), "{\"user\":\"kyle\",\"text\":\"hi\"}");
        assertTrue(reply.get("ok").asBoolean());
        assertEquals("general", reply.get("channel").asText());
        assertFalse(reply.has("ref"));
        assertFalse(Instant.parse(reply.get("time").asText()).isBefore(before.truncatedTo(ChronoUnit.MILLIS)));
    }

    @Test
    void seqCountsPerChannelFromOne() throws IOException {
        ZMQ.Socket req = req();
        assertEquals(1, ask(req, post("a", "dev", "1")).get("seq").asLong());
        assertEquals(2, ask(req, post("a", "dev", "2")).get("seq").asLong());
        assertEquals(1, ask(req, post("a", "ops", "1")).get("seq").asLong());
    }

    @Test
    void historyReturnsMessagesAfterASeqWithFirstAndLast() throws IOException {
        ZMQ.Socket req = req();
        for (int i = 1; i <= 5; i++) {
            ask(req, post("a", "general", "m" + i));
        }
        JsonNode reply = ask(req, "{\"type\":\"history\",\"channel\":\"general\",\"after\":2,\"limit\":2,\"ref\":\"h\"}");
        assertTrue(reply.get("ok").asBoolean());
        assertEquals(1, reply.get("first").asLong());
        assertEquals(5, reply.get("last").asLong());
        assertEquals("h", reply.get("ref").asText());
        assertEquals(List.of("m3", "m4"), texts(reply));
        String first = reply.get("messages").get(0).toString();
        assertTrue(first.matches("\\{\"channel\":\"general\",\"seq\":3,\"user\":\"a\","
                + "\"time\":\"[0-9T:.Z-]+\",\"text\":\"m3\"}"), first);
    }

    @Test
    void historyDefaultsToTheFirstHundredAndCapsTheLimitAtAThousand() throws Exception {
        // A frame limit large enough for 1000 messages in one reply.
        server.close();
        server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0)
                .hub(ChatHub.create(HubOptions.builder().maxTextBytes(16 * 1024).maxFrameBytes(1 << 20).build()))
                .build());
        for (int i = 1; i <= 1005; i++) {
            server.hub().post("general", "a", "m" + i, null, null);
        }
        ZMQ.Socket req = req();
        List<String> page = texts(ask(req, "{\"type\":\"history\"}"));
        assertEquals(100, page.size());
        assertEquals("m6", page.get(0)); // the log keeps the newest 1000
        assertEquals(1000, texts(ask(req, "{\"type\":\"history\",\"limit\":5000}")).size());
    }

    @Test
    void historyLastReturnsTheNewestAndAllMergesChannels() throws Exception {
        ZMQ.Socket req = req();
        ask(req, post("a", "dev", "d1"));
        ask(req, post("a", "ops", "o1"));
        ask(req, post("a", "dev", "d2"));
        JsonNode last = ask(req, "{\"type\":\"history\",\"channel\":\"dev\",\"last\":1}");
        assertEquals(List.of("d2"), texts(last));
        assertEquals(2, last.get("last").asLong());
        assertEquals(List.of("o1", "d2"),
                texts(ask(req, "{\"type\":\"history\",\"channel\":\"ALL\",\"last\":2}")));
    }

    @Test
    void historyReplyStaysWithinTheFrameLimit() throws Exception {
        String big = "x".repeat(16 * 1024);
        for (int i = 0; i < 10; i++) {
            server.hub().post("general", "a", big, null, null);
        }
        ZMQ.Socket req = req();
        req.send("{\"type\":\"history\",\"limit\":10}".getBytes(UTF_8), 0);
        byte[] reply = req.recv(0);
        assertTrue(reply.length <= 64 * 1024, reply.length + " bytes");
        JsonNode page = JSON.readTree(reply);
        int n = page.get("messages").size();
        assertTrue(n >= 1 && n <= 3, n + " messages");
        assertEquals(1, page.get("messages").get(0).get("seq").asLong());
    }

    static Stream<Arguments> malformedRequests() {
        return Stream.of(
                Arguments.of("hello", "not valid JSON"),
                Arguments.of("", "empty"),
                Arguments.of("[1,2]", "array, not an object"),
                Arguments.of("\"post\"", "string, not an object"),
                Arguments.of("{\"user\":\"a\",\"text\":\"x\"} trailing", "not valid JSON"),
                Arguments.of("{\"user\":\"a\",\"user\":\"b\",\"text\":\"x\"}", "not valid JSON"),
                Arguments.of("{\"type\":7,\"user\":\"a\",\"text\":\"x\"}", "\"type\" must be a string"),
                Arguments.of("{\"type\":\"shout\",\"user\":\"a\",\"text\":\"x\"}", "unknown type \"shout\""),
                Arguments.of("{\"text\":\"x\"}", "\"user\" is missing"),
                Arguments.of("{\"user\":\"a\"}", "\"text\" is missing"),
                Arguments.of("{\"user\":42,\"text\":\"x\"}", "\"user\" must be a string, not a number"),
                Arguments.of("{\"user\":\"a\",\"text\":[\"x\"]}", "\"text\" must be a string, not a array"),
                Arguments.of("{\"user\":\"bad name\",\"text\":\"x\"}", "user name \"bad name\" breaks the rule"),
                Arguments.of("{\"user\":\"" + "u".repeat(33) + "\",\"text\":\"x\"}", "breaks the rule"),
                Arguments.of("{\"user\":\"a\",\"channel\":\"dev/ops\",\"text\":\"x\"}", "channel \"dev/ops\" breaks the rule"),
                Arguments.of("{\"user\":\"a\",\"channel\":\"ALL\",\"text\":\"x\"}", "channel ALL is read-only"),
                Arguments.of("{\"user\":\"a\",\"text\":\"   \"}", "text is blank"),
                Arguments.of("{\"user\":\"a\",\"text\":\"a\\u0000b\"}", "NUL"),
                Arguments.of("{\"user\":\"a\",\"text\":\"\\ud800\"}", "unpaired surrogate"),
                Arguments.of("{\"user\":\"a\",\"text\":\"" + "y".repeat(16 * 1024 + 1) + "\"}",
                        "text of 16385 bytes exceeds the limit of 16384"),
                Arguments.of("{\"user\":\"a\",\"text\":\"x\",\"time\":\"yesterday\"}", "is not an ISO-8601"),
                Arguments.of("{\"user\":\"a\",\"text\":\"x\",\"ref\":5}", "\"ref\" must be a string"),
                Arguments.of("{\"type\":\"history\",\"after\":-1}", "\"after\" must be 0 or more"),
                Arguments.of("{\"type\":\"history\",\"limit\":2.5}", "\"limit\" must be a whole number"),
                Arguments.of("{\"type\":\"history\",\"limit\":\"10\"}", "\"limit\" must be a whole number"),
                Arguments.of("{\"type\":\"history\",\"channel\":\"ALL\",\"after\":3}", "history of ALL takes \"last\""),
                Arguments.of("{\"type\":\"history\",\"last\":3,\"after\":1}", "cannot be combined"));
    }

    @ParameterizedTest
    @MethodSource("malformedRequests")
    void malformedRequestGetsAnErrorNamingWhatWasWrong(String request, String error) throws Exception {
        try (ZmqChatClient alice = ZmqTestSupport.client(server, "alice")) {
            JsonNode reply = ask(req(), request);
            assertFalse(reply.get("ok").asBoolean());
            String said = reply.get("error").asText();
            assertTrue(said.contains(error), said);
            assertTrue(alice.post("general", "still here").get().seq() > 0);
        }
    }

    @Test
    void invalidUtf8GetsAnError() throws IOException {
        byte[] bad = "{\"user\":\"a\",\"text\":\"\u00ff\u00ff\"}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        JsonNode reply = ask(req(), bad);
        assertFalse(reply.get("ok").asBoolean());
        String said = reply.get("error").asText();
        assertTrue(said.contains("not valid JSON") && said.contains("UTF-8"), said);
    }

    @Test
    void deepNestingAndHugeNumbersAreRefusedBeforeTheyCostAnything() throws IOException {
        String deep = "{\"user\":\"a\",\"text\":\"x\",\"extra\":" + "[".repeat(40) + "]".repeat(40) + "}";
        String said = ask(req(), deep).get("error").asText();
        assertTrue(said.contains("not valid JSON") && said.contains("nesting depth"), said);

        String huge = "{\"type\":\"history\",\"after\":" + "9".repeat(500) + "}";
        said = ask(req(), huge).get("error").asText();
        assertTrue(said.contains("not valid JSON") && said.contains("Number value length"), said);
    }

    @Test
    void errorReplyEchoesTheRef() throws IOException {
        JsonNode reply = ask(req(), "{\"user\":\"a\",\"channel\":\"ALL\",\"text\":\"x\",\"ref\":\"q7\"}");
        assertEquals("{\"ok\":false,\"error\":\"channel ALL is read-only\",\"ref\":\"q7\"}", reply.toString());
    }

    @Test
    void theUserNameAllIsReservedButLowercaseAllIsAnOrdinaryName() throws IOException {
        ZMQ.Socket req = req();
        JsonNode refused = ask(req, "{\"user\":\"ALL\",\"channel\":\"dev\",\"text\":\"x\",\"ref\":\"r\"}");
        assertEquals("{\"ok\":false,\"error\":\"user name \\\"ALL\\\" is reserved: ALL is the channel that sees"
                + " every channel\",\"ref\":\"r\"}", refused.toString());
        assertEquals(0, server.hub().lastSeq("dev"), "nothing was stored");
        JsonNode lower = ask(req, post("all", "dev", "hi"));
        assertTrue(lower.get("ok").asBoolean(), lower.toString());
        assertEquals(1, lower.get("seq").asLong());
        JsonNode mixed = ask(req, post("All", "all", "hi"));
        assertTrue(mixed.get("ok").asBoolean(), mixed.toString());
        assertEquals("all", mixed.get("channel").asText());
    }

    @Test
    void frameOverTheLimitGetsAnError() throws IOException {
        JsonNode reply = ask(req(), new byte[64 * 1024 + 1]);
        assertEquals("request of 65537 bytes exceeds the limit of 65536", reply.get("error").asText());
    }

    @Test
    void hugeFrameDropsOnlyThatPeer() throws Exception {
        ZMQ.Socket hostile = raw.createSocket(SocketType.DEALER);
        hostile.setLinger(0);
        // The server cuts the connection (ZeroMQ's maximum message size) rather than reading
        // the frame and answering it: the hostile side sees its connection dropped.
        hostile.monitor("inproc://hostile", ZMQ.EVENT_DISCONNECTED);
        ZMQ.Socket events = raw.createSocket(SocketType.PAIR);
        events.setReceiveTimeOut(10_000);
        events.connect("inproc://hostile");
        hostile.connect("tcp://127.0.0.1:" + server.postPort());
        hostile.sendMore(new byte[0]);
        hostile.send(new byte[2 * 1024 * 1024], 0);
        ZMQ.Event dropped = ZMQ.Event.recv(events);
        assertNotNull(dropped, "the server did not drop the peer that sent 2 MiB");
        assertEquals(ZMQ.EVENT_DISCONNECTED, dropped.getEvent());
        try (ZmqChatClient alice = ZmqTestSupport.client(server, "alice")) {
            assertEquals(1, alice.post("general", "fine").get().seq());
        }
    }

    @Test
    void dealerWithoutDelimiterGetsAnErrorAndTheServerGoesOn() throws IOException {
        ZMQ.Socket d = dealer();
        d.send("{\"user\":\"a\",\"text\":\"x\"}".getBytes(UTF_8), 0);
        assertTrue(dealerReply(d).get("error").asText().contains("no empty delimiter"));
        // A body that came alone (its connection ended after the delimiter): the error names
        // its request, which Parley's client then sends again.
        d.send("{\"user\":\"a\",\"text\":\"x\",\"ref\":\"r9\"}".getBytes(UTF_8), 0);
        com.fasterxml.jackson.databind.JsonNode alone = dealerReply(d);
        assertEquals(Wire.NO_DELIMITER, alone.get("error").asText());
        assertEquals("r9", alone.get("ref").asText());
        // What a hostile peer sends alone instead: bytes that are not UTF-8, JSON too deep, a ref
        // that is not a string, a body over the frame limit. Each gets the error, without a ref
        // it cannot have, and nothing else.
        byte[] oversize = ("{\"ref\":\"big\",\"text\":\"" + "x".repeat(70_000) + "\"}").getBytes(UTF_8);
        for (byte[] hostile : new byte[][] {{(byte) 0xff, (byte) 0xfe, '{'}, "[".repeat(5000).getBytes(UTF_8),
                "{\"ref\":{\"a\":[1,2]}}".getBytes(UTF_8), oversize}) {
            d.send(hostile, 0);
            com.fasterxml.jackson.databind.JsonNode r = dealerReply(d);
            assertEquals(Wire.NO_DELIMITER, r.get("error").asText(), r.toString());
            org.junit.jupiter.api.Assertions.assertNull(r.get("ref"), r.toString());
        }
        d.sendMore(new byte[0]);
        d.sendMore("{}".getBytes(UTF_8));
        d.send("{}".getBytes(UTF_8), 0);
        assertTrue(dealerReply(d).get("error").asText()
                .contains("must be one frame after the empty delimiter, got 2"));
        d.sendMore(new byte[0]);
        d.send(post("a", "general", "ok now"), 0);
        assertTrue(dealerReply(d).get("ok").asBoolean());
    }

    @Test
    void pipelinedDealerRequestsAreAnsweredInOrder() throws IOException {
        ZMQ.Socket d = dealer();
        for (int i = 0; i < 50; i++) {
            d.sendMore(new byte[0]);
            d.send(("{\"user\":\"a\",\"text\":\"m" + i + "\",\"ref\":\"" + i + "\"}").getBytes(UTF_8), 0);
        }
        for (int i = 0; i < 50; i++) {
            JsonNode reply = dealerReply(d);
            assertEquals(Integer.toString(i), reply.get("ref").asText());
            assertEquals(i + 1, reply.get("seq").asLong());
        }
    }

    @Test
    void aPostSentAgainWithItsIdIsRecordedAndPublishedOnce() throws Exception {
        ZMQ.Socket sub = raw.createSocket(SocketType.SUB);
        sub.setReceiveTimeOut(100);
        sub.subscribe("dev\0".getBytes(UTF_8));
        sub.connect("tcp://127.0.0.1:" + server.pubPort());
        ZMQ.Socket req = req();
        // The subscription is up once a probe arrives on it.
        for (int i = 0; sub.recv(0) == null; i++) {
            assertTrue(i < 100, "the subscription never came up");
            ask(req, post("probe", "dev", "probe " + i));
        }
        while (sub.recv(0) != null) {
            // the body of the probe that arrived, and any probe after it
        }
        String request = "{\"type\":\"post\",\"user\":\"kyle\",\"channel\":\"dev\",\"text\":\"once\","
                + "\"time\":\"2026-11-21T22:50:51.123Z\",\"id\":\"k7.1\"}";
        JsonNode first = ask(req, request);
        JsonNode again = ask(req(), request); // another connection: a client that reconnected
        assertEquals(first.toString(), again.toString());
        assertTrue(first.get("ok").asBoolean(), first.toString());

        // Another user's post with the same id is its own post.
        JsonNode zoe = ask(req, request.replace("kyle", "zoe"));
        assertEquals(first.get("seq").asLong() + 1, zoe.get("seq").asLong(), zoe.toString());
        // The same id for other text is the client's mistake, said by name.
        JsonNode other = ask(req, request.replace("once", "twice"));
        assertEquals("{\"ok\":false,\"error\":\"post id \\\"k7.1\\\" was used before for another post; "
                + "each post needs an id of its own\"}", other.toString());
        assertEquals("{\"ok\":false,\"error\":\"post id \\\"a b\\\" breaks the rule [\\\\p{L}\\\\p{N}_.-]{1,64}\"}",
                ask(req, request.replace("k7.1", "a b")).toString());

        List<String> published = new ArrayList<>();
        while (sub.recv(0) != null) { // the topic frame, then the body
            JsonNode body = JSON.readTree(sub.recv(0));
            published.add(body.get("user").asText() + ":" + body.get("text").asText());
        }
        assertEquals(List.of("kyle:once", "zoe:once"), published);
        assertEquals(List.of("kyle:once", "zoe:once"), server.hub().recent("dev", 10).messages().stream()
                .filter(m -> !m.user().equals("probe")).map(m -> m.user() + ":" + m.text()).toList());
    }

    @Test
    void aPresenceReplyStaysWithinTheFrameLimitHoweverManyAreThere() throws Exception {
        for (int i = 0; i < 5000; i++) {
            HubAccess.presence(server.hub(), "crowd", "user-" + "x".repeat(20) + i);
        }
        ZMQ.Socket req = req();
        req.send("{\"type\":\"presence\",\"channel\":\"crowd\",\"user\":\"kyle\"}".getBytes(UTF_8), 0);
        byte[] reply = req.recv(0);
        assertNotNull(reply, "no reply within 5 s");
        assertTrue(reply.length <= 65536, reply.length + " bytes");
        JsonNode users = JSON.readTree(reply).get("users");
        assertTrue(users.size() > 100 && users.size() < 5001, users.size() + " users");
        // The server goes on: a post is answered.
        assertTrue(ask(req, post("kyle", "general", "still here")).get("ok").asBoolean());
    }

    @Test
    void publishesTwoFramesTopicAndBody() throws Exception {
        ZMQ.Socket sub = raw.createSocket(SocketType.SUB);
        sub.setReceiveTimeOut(100);
        sub.subscribe("general\0".getBytes(UTF_8));
        sub.connect("tcp://127.0.0.1:" + server.pubPort());
        ZMQ.Socket req = req();
        byte[] topic = null;
        for (int i = 0; i < 100 && topic == null; i++) {
            ask(req, post("kyle", "general", "hello"));
            topic = sub.recv(0);
        }
        assertArrayEquals("general\0".getBytes(UTF_8), topic);
        assertTrue(sub.hasReceiveMore());
        String body = new String(sub.recv(0), UTF_8);
        assertFalse(sub.hasReceiveMore());
        assertTrue(body.matches("\\{\"channel\":\"general\",\"seq\":\\d+,\"user\":\"kyle\","
                + "\"time\":\"[^\"]+\",\"text\":\"hello\"}"), body);
    }

    @Test
    void postsFromAnotherThreadOfTheHubArePublished() throws Exception {
        try (ZmqChatClient bob = ZmqTestSupport.client(server, "bob")) {
            RecordingListener seen = new RecordingListener();
            bob.subscribe("bridge", seen);
            ZmqTestSupport.awaitJoined(bob, bob);
            ChatMessage posted = server.hub().post("bridge", "tcpuser", "over the bridge", null, null);
            ChatMessage got = seen.next();
            assertEquals(posted, got);
        }
    }

    @Test
    void serverAttachedToAGivenHubLeavesItOpen() throws Exception {
        try (ChatHub hub = ChatHub.create()) {
            ZmqChatServer attached = ZmqChatServer.start(ZmqServerOptions.builder()
                    .hub(hub).postPort(0).pubPort(0).build());
            try (ZmqChatClient alice = ZmqTestSupport.client(attached, "alice")) {
                PostAck ack = alice.post("general", "into the shared hub").get();
                assertEquals(ack.seq(), hub.lastSeq("general"));
            }
            attached.close();
            assertFalse(HubAccess.isClosed(hub));
        }
    }

    @Test
    void postServerRecordsButBindsNoPubSocket() throws Exception {
        try (ZmqChatServer postOnly = ZmqChatServer.start(ZmqServerOptions.builder()
                .postPort(0).publish(false).build())) {
            assertEquals(0, postOnly.pubPort());
            JsonNode reply;
            ZMQ.Socket req = raw.createSocket(SocketType.REQ);
            req.setReceiveTimeOut(5000);
            req.connect("tcp://127.0.0.1:" + postOnly.postPort());
            reply = ask(req, post("alice", "general", "part one"));
            assertEquals(1, reply.get("seq").asLong());
            assertEquals(1, postOnly.hub().lastSeq("general"));
        }
    }

    @Test
    void portInUseIsAClearIOException() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            IOException e = assertThrows(IOException.class, () -> ZmqChatServer.start(
                    ZmqServerOptions.builder().postPort(port).pubPort(0).build()));
            assertEquals("address 127.0.0.1:" + port + " is already in use", e.getMessage());
            assertThrows(IOException.class, () -> ZmqChatServer.start(
                    ZmqServerOptions.builder().postPort(0).pubPort(port).build()));
        }
    }

    @Test
    void closeStopsTheServerThreadWithinTwoSeconds() throws Exception {
        ZmqChatServer other = ZmqTestSupport.startServer();
        String name = "parley-zmq-server-" + other.postPort();
        assertTrue(ZmqTestSupport.parleyThreads().contains(name));
        long start = System.nanoTime();
        other.close();
        other.close();
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2)) < 0);
        assertFalse(ZmqTestSupport.parleyThreads().contains(name));
    }

    // ---- strict input (issue 11: one rule for both transports)

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    private static byte[] concat(String before, byte[] middle, String after) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(before.getBytes(UTF_8));
        out.writeBytes(middle);
        out.writeBytes(after.getBytes(UTF_8));
        return out.toByteArray();
    }

    static Stream<Arguments> requestsThatAreNotStrictUtf8() {
        String post = "{\"user\":\"a\",\"text\":\"x\"}";
        return Stream.of(
                // C0 AF is an overlong "/", which a lenient decoder reads as one
                Arguments.of(concat("{\"user\":\"a\",\"text\":\"a", bytes(0xc0, 0xaf), "b\"}"), "an overlong form"),
                Arguments.of(concat("{\"user\":\"a\",\"text\":\"a", bytes(0xe0, 0x80, 0xaf), "b\"}"), "an overlong form"),
                // ED A0 80 is U+D800, a UTF-16 surrogate, encoded as if it were a character
                Arguments.of(concat("{\"user\":\"a\",\"text\":\"a", bytes(0xed, 0xa0, 0x80), "b\"}"),
                        "an encoded UTF-16 surrogate"),
                Arguments.of(post.getBytes(java.nio.charset.StandardCharsets.UTF_16LE), "a NUL byte at byte 1"),
                Arguments.of(post.getBytes(java.nio.charset.StandardCharsets.UTF_16BE), "a NUL byte at byte 0"),
                Arguments.of(post.getBytes(java.nio.charset.StandardCharsets.UTF_16), "byte 0xfe"),
                Arguments.of(concat("{\"user\":\"a\",\"text\":\"a", bytes(0xf4, 0x90, 0x80, 0x80), "\"}"),
                        "a code point above U+10FFFF"),
                Arguments.of(concat("{\"user\":\"a\",\"text\":\"a", bytes(0xe2, 0x82), "\"}"), "a sequence cut short"));
    }

    @ParameterizedTest
    @MethodSource("requestsThatAreNotStrictUtf8")
    void aRequestThatIsNotStrictUtf8IsRefusedNamingTheProblem(byte[] request, String problem) throws Exception {
        JsonNode reply = ask(req(), request);
        assertFalse(reply.get("ok").asBoolean(), reply.toString());
        String said = reply.get("error").asText();
        assertTrue(said.startsWith("request is not valid JSON: not valid UTF-8: ") && said.contains(problem), said);
        try (ZmqChatClient alice = ZmqTestSupport.client(server, "alice")) {
            assertEquals(1, alice.post("general", "caf\u00e9 \ud83d\ude00 still fine").get(5, TimeUnit.SECONDS).seq());
        }
        assertEquals(1, server.hub().lastSeq("general"), "the refused request was not recorded");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"user\":\"a\",\"text\":\"x\",\"text\":\"y\"}", // the usual shape, read by hand
        "{\"user\":\"a\",\"text\":\"x\",\"t\\u0065xt\":\"y\"}", // the same name, escaped: read by Jackson
        "{\"user\":\"a\",\"text\":\"caf\u00e9\",\"user\":\"b\"}", // not ASCII: read by Jackson
        "{\"type\":\"history\",\"limit\":1,\"limit\":1000}"})
    void aRequestThatRepeatsAFieldIsRefused(String request) throws Exception {
        JsonNode reply = ask(req(), request);
        assertFalse(reply.get("ok").asBoolean(), reply.toString());
        String said = reply.get("error").asText();
        assertTrue(said.contains("not valid JSON") && said.contains("Duplicate field"), said);
        assertEquals(0, server.hub().lastSeq("general"));
    }

    // ---- a request whose handling fails (issue 11, row 1)

    /** A clock that fails as a bug would: the hub stamps posts that come without a time with it. */
    private static Clock failingClock(RuntimeException failure) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                throw failure;
            }
        };
    }

    private void restartWithHubClock(Clock clock) throws IOException {
        server.close();
        server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0)
                .hub(ChatHub.create(HubOptions.builder().clock(clock).build())).build());
    }

    @Test
    void aRequestWhoseHandlingFailsGetsAnInternalErrorAndTheServerGoesOn() throws Exception {
        restartWithHubClock(failingClock(new DateTimeException("the clock of \u001b[31mred")));
        try (ZmqChatClient alice = ZmqTestSupport.client(server, "alice");
             LogCapture logged = LogCapture.of(ZmqChatServer.class)) {
            ZMQ.Socket req = req();
            for (int i = 0; i < 5; i++) {
                JsonNode reply = ask(req, "{\"user\":\"a\",\"text\":\"no time, so the hub's clock\",\"ref\":\"r" + i + "\"}");
                assertEquals("{\"ok\":false,\"error\":\"internal error\",\"ref\":\"r" + i + "\"}", reply.toString());
                assertEquals(i + 1, alice.post("general", "still served " + i).get(5, TimeUnit.SECONDS).seq());
            }
            List<String> bugs = logged.containing("a bug");
            assertEquals(1, bugs.size(), "one line for five failures in a row: " + logged.lines());
            assertTrue(bugs.get(0).startsWith("ERROR") && bugs.get(0).contains("DateTimeException"), bugs.get(0));
            assertFalse(bugs.get(0).contains("\u001b"), "an escape sequence reached the log: " + bugs.get(0));
        }
    }

    @Test
    void anIllegalStateWhileTheHubIsOpenIsABugNotAShutdown() throws Exception {
        restartWithHubClock(failingClock(new IllegalStateException("clock not wound")));
        JsonNode reply = ask(req(), "{\"user\":\"a\",\"text\":\"no time\"}");
        assertEquals("internal error", reply.get("error").asText());
        try (ZmqChatClient alice = ZmqTestSupport.client(server, "alice")) {
            assertEquals(1, alice.post("general", "still served").get(5, TimeUnit.SECONDS).seq());
        }
    }

    @Test
    void aPostToAClosedHubIsAnsweredAsAShutdown() throws Exception {
        ChatHub hub = ChatHub.create();
        server.close();
        server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).hub(hub).build());
        hub.close();
        assertEquals("server is shutting down", ask(req(), post("a", "general", "late")).get("error").asText());
    }

    @Test
    void aPostFromTheFarFutureIsRefusedAndTheServerGoesOn() throws Exception {
        try (ZmqChatClient alice = ZmqTestSupport.client(server, "alice")) {
            RecordingListener heard = new RecordingListener();
            alice.subscribe("general", heard);
            ZmqTestSupport.awaitJoined(alice, alice);
            JsonNode reply = ask(req(), "{\"user\":\"a\",\"text\":\"x\",\"time\":\"+1000000000-12-31T23:59:59.999Z\"}");
            assertFalse(reply.get("ok").asBoolean());
            assertTrue(reply.get("error").asText().contains("outside the years 1970 to 9999"), reply.toString());
            long seq = alice.post("general", "after").get(5, TimeUnit.SECONDS).seq();
            ChatMessage m = heard.next();
            assertEquals(seq, m.seq());
            assertEquals("after", m.text());
        }
    }

    // ---- closing (issue 11: every acknowledged post is published)

    @Test
    void everyPostAcknowledgedBeforeCloseReachesTheSubscriber() throws Exception {
        // Closing races with the post being answered: a few rounds make a loss show.
        for (int round = 0; round < 8; round++) {
            ZmqChatServer closing = ZmqTestSupport.startServer();
            try {
                assertEquals(Set.of(), lostAtClose(closing), "round " + round);
            } finally {
                closing.close();
            }
        }
    }

    /** The posts {@code s} acknowledged that a subscriber never heard, when it is closed while answering a stream of them. */
    private Set<Long> lostAtClose(ZmqChatServer s) throws Exception {
        ZMQ.Socket sub = raw.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setRcvHWM(0); // keeps everything that arrives, to be read after the server is gone
        sub.setReceiveTimeOut(100);
        sub.subscribe(Wire.topic("general"));
        sub.connect("tcp://127.0.0.1:" + s.pubPort());
        ZMQ.Socket poster = raw.createSocket(SocketType.DEALER);
        poster.setLinger(0);
        poster.setSndHWM(0);
        poster.setReceiveTimeOut(1000);
        poster.connect("tcp://127.0.0.1:" + s.postPort());
        // Subscribed once a probe arrives: ZeroMQ has no acknowledgement of a subscription.
        boolean joined = false;
        for (int i = 0; i < 100 && !joined; i++) {
            poster.sendMore(new byte[0]);
            poster.send(post("a", "general", "probe"), 0);
            assertNotNull(dealerReply(poster));
            joined = sub.recv(0) != null;
        }
        assertTrue(joined, "the subscription never took effect");
        Set<Long> heard = new HashSet<>();
        heard.add(JSON.readTree(sub.recv(0)).get("seq").asLong());
        Set<Long> acked = new HashSet<>(heard);

        // Many posts in flight, and the server closed while it answers them.
        String text = "p".repeat(8 * 1024);
        for (int i = 0; i < 1000; i++) {
            poster.sendMore(new byte[0]);
            poster.send(post("a", "general", text), 0);
        }
        acked.add(dealerReply(poster).get("seq").asLong());
        s.close();
        // The server is gone: what it sent is on its way or here already.
        poster.setReceiveTimeOut(300);
        for (byte[] delimiter; (delimiter = poster.recv(0)) != null; ) {
            assertEquals(0, delimiter.length);
            JsonNode reply = JSON.readTree(poster.recv(0));
            assertTrue(reply.get("ok").asBoolean(), reply.toString());
            acked.add(reply.get("seq").asLong());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!heard.containsAll(acked) && System.nanoTime() - deadline < 0) {
            if (sub.recv(0) != null) {
                heard.add(JSON.readTree(sub.recv(0)).get("seq").asLong());
            }
        }
        poster.close();
        sub.close();
        Set<Long> lost = new TreeSet<>(acked);
        lost.removeAll(heard);
        return lost;
    }

    private static byte[] post(String user, String channel, String text) {
        return ("{\"type\":\"post\",\"user\":\"" + user + "\",\"channel\":\"" + channel
                + "\",\"text\":\"" + text + "\"}").getBytes(UTF_8);
    }

    private static List<String> texts(JsonNode reply) {
        List<String> out = new ArrayList<>();
        reply.get("messages").forEach(m -> out.add(m.get("text").asText()));
        return out;
    }

    @Test
    void repliesToOnePeerComeInTheOrderOfItsRequestsWhenAPostOpensAChannel() throws IOException {
        ZMQ.Socket dealer = dealer();
        for (int round = 0; round < 20; round++) {
            // A post to a channel this server has not published in, then a history request.
            dealer.sendMore(new byte[0]);
            dealer.send(post("a", "fresh-" + round, "x"), 0);
            dealer.sendMore(new byte[0]);
            dealer.send("{\"type\":\"history\",\"channel\":\"general\",\"last\":1}".getBytes(UTF_8), 0);
            JsonNode first = dealerReply(dealer);
            JsonNode second = dealerReply(dealer);
            assertEquals("fresh-" + round, first.get("channel").asText(), first.toString());
            assertTrue(first.has("seq"), first.toString());
            assertTrue(second.has("messages"), second.toString());
        }
    }

    @Test
    void everyPostAcknowledgedIsOnPubWhileAnotherTransportPostsToTheSameChannel() throws Exception {
        server.close();
        server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).publishQueueCapacity(1).build());
        ZMQ.Socket sub = raw.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setRcvHWM(0);
        sub.setReceiveTimeOut(5000);
        sub.subscribe("c\0".getBytes(UTF_8));
        sub.connect("tcp://127.0.0.1:" + server.pubPort());
        ZMQ.Socket req = req();
        // Subscribed once a publication gets through.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ask(req, post("a", "c", "probe"));
            return sub.recv(ZMQ.DONTWAIT) != null;
        });
        while (sub.recv(ZMQ.DONTWAIT) != null) {
            // drop the probes' frames
        }
        java.util.concurrent.atomic.AtomicBoolean bridging = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread bridge = new Thread(() -> {
            while (bridging.get()) {
                try {
                    server.hub().post("c", "tcp-user", "from the other side", null, null);
                } catch (ProtocolException e) {
                    throw new IllegalStateException(e);
                }
            }
        }, "test-bridge");
        bridge.start();
        java.util.Set<Long> acked = new java.util.HashSet<>();
        try {
            for (int i = 0; i < 500; i++) {
                acked.add(ask(req, post("a", "c", "mine " + i)).get("seq").asLong());
            }
        } finally {
            bridging.set(false);
            bridge.join(5000);
        }
        java.util.Set<Long> seen = new java.util.HashSet<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            byte[] topic;
            while ((topic = sub.recv(ZMQ.DONTWAIT)) != null) {
                seen.add(JSON.readTree(sub.recv(0)).get("seq").asLong());
            }
            return seen.containsAll(acked);
        });
    }

    @Test
    void bindingAnAddressThisMachineDoesNotHaveSaysSoNotInUse() {
        // 192.0.2.1 is reserved for documentation: no machine has it.
        IOException e = assertThrows(IOException.class, () -> ZmqChatServer.start(
                ZmqServerOptions.builder().host("192.0.2.1").postPort(5555).pubPort(5556).build()).close());
        assertEquals("cannot bind 192.0.2.1:5555: not an address of this machine", e.getMessage());
    }

    @Test
    void bridgedPostsStillOnTheirWayToPubGoBeforeAnOwnPostInSeqOrder() throws Exception {
        ZMQ.Socket sub = raw.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setReceiveTimeOut(5000);
        sub.subscribe("c1028\0".getBytes(UTF_8));
        sub.connect("tcp://127.0.0.1:" + server.pubPort());
        ZMQ.Socket req = req();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ask(req, post("a", "c1028", "probe"));
            return sub.recv(ZMQ.DONTWAIT) != null;
        });
        while (sub.recv(ZMQ.DONTWAIT) != null) {
            // drop the probes' frames
        }
        long probes = server.hub().lastSeq("c1028");
        // Another transport's posts, then one of this server's own.
        server.hub().post("c1028", "tcp-user", "bridged 1", null, null);
        server.hub().post("c1028", "tcp-user", "bridged 2", null, null);
        long own = ask(req, post("a", "c1028", "own")).get("seq").asLong();
        List<String> seen = new ArrayList<>();
        while (seen.size() < 3) {
            byte[] topic = sub.recv(0);
            assertNotNull(topic, "only " + seen + " reached PUB");
            JsonNode m = JSON.readTree(sub.recv(0));
            if (!m.get("text").asText().equals("probe")) { // a probe's frame may still come late
                seen.add(m.get("seq").asLong() + ":" + m.get("text").asText());
            }
        }
        assertEquals(List.of((probes + 1) + ":bridged 1", (probes + 2) + ":bridged 2", own + ":own"), seen);
    }

    /**
     * A DEALER that never stops posting and never reads its replies (they pile up to the
     * server's reply bound and are dropped there): the server reads it in bounded batches and
     * holds each batch's sends, so a pair chatting on another channel meanwhile gets every
     * message, in order, each acknowledged, and after the flood too.
     */
    @Test
    void aPeerThatNeverStopsPostingLeavesAPairChattingOnAnotherChannelServed() throws Exception {
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread flood = new Thread(() -> {
            ZMQ.Socket d = dealer(); // made, used and closed on this thread alone
            d.setSendTimeOut(100);
            byte[] post = "{\"type\":\"post\",\"user\":\"flood\",\"channel\":\"flood\",\"text\":\"xxxxxxxxxxxxxxxx\"}"
                    .getBytes(UTF_8);
            while (!stop.get()) {
                if (d.sendMore(new byte[0]) && d.send(post, 0)) {
                    sent.incrementAndGet();
                }
            }
            d.close();
        }, "test-flooder");
        flood.start();
        try (ZmqChatClient alice = ZmqTestSupport.client(server, "alice");
             ZmqChatClient bob = ZmqTestSupport.client(server, "bob")) {
            RecordingListener heard = new RecordingListener();
            bob.subscribe("dev", heard);
            ZmqTestSupport.awaitJoined(bob, alice);
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() >= 20_000); // well under way
            for (int i = 0; i < 50; i++) {
                assertEquals(i + 1, alice.post("dev", "m" + i).get(10, TimeUnit.SECONDS).seq(), "acknowledged during the flood");
                assertEquals("m" + i, heard.next().text(), "delivered during the flood");
            }
            long during = sent.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() > during); // still read
            stop.set(true);
            flood.join(10_000);
            alice.post("dev", "after").get(10, TimeUnit.SECONDS);
            assertEquals("after", heard.next().text());
        } finally {
            stop.set(true);
        }
    }
}
