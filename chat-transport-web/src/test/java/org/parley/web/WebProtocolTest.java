package org.parley.web;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;

/** The WebSocket protocol, through the JDK's own WebSocket client, against a server on a loopback port. */
class WebProtocolTest {
    private ChatHub hub;
    private WebServer server;
    private final List<WsClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        hub = ChatHub.create();
        server = WebServer.start(WebServerOptions.builder().port(0).hub(hub).build());
    }

    @AfterEach
    void stop() {
        clients.forEach(WsClient::close);
        server.close();
        hub.close();
    }

    private WsClient client() throws Exception {
        WsClient c = WsClient.connect(server.port());
        clients.add(c);
        return c;
    }

    /** A request the server cannot take any more is answered as such, with its ref, so the page can tell which. */
    @Test
    void aRequestWhileTheHubIsClosedIsAnsweredWithItsRef() throws Exception {
        WsClient alice = client();
        alice.sendJson("{'type':'channels','ref':'r1'}");
        assertTrue(alice.next().get("ok").asBoolean());
        hub.close();
        alice.sendJson("{'type':'post','user':'alice','channel':'dev','text':'late','ref':'r2'}");
        JsonNode reply = alice.next();
        assertEquals("server is shutting down", reply.path("error").asText(), reply.toString());
        assertEquals("r2", reply.path("ref").asText(), reply.toString());
    }

    @Test
    void postIsAcknowledgedAndEverySubscriberOfItsChannelGetsIt() throws Exception {
        WsClient alice = client();
        WsClient bob = client();
        WsClient ops = client();
        assertEquals(0, alice.subscribe("dev").get("count").asInt());
        bob.subscribe("dev");
        ops.subscribe("devops");

        alice.sendJson("{'type':'post','user':'alice','channel':'dev','text':'hello','time':'2026-11-21T22:50:51.123Z',"
                + "'id':'k7.1','ref':'a'}");
        // The acknowledgement and alice's own copy of the message, in either order.
        JsonNode first = alice.next();
        JsonNode second = alice.next();
        JsonNode ack = first.has("ok") ? first : second;
        JsonNode own = first.has("ok") ? second : first;
        assertEquals("hello", own.get("text").asText());
        assertTrue(ack.get("ok").asBoolean(), ack.toString());
        assertEquals("dev", ack.get("channel").asText());
        assertEquals(1, ack.get("seq").asLong());
        assertEquals("2026-11-21T22:50:51.123Z", ack.get("time").asText());
        assertEquals("k7.1", ack.get("id").asText());
        assertEquals("a", ack.get("ref").asText());
        assertEquals(hub.epoch(), ack.get("epoch").asText());

        assertEquals("{\"channel\":\"dev\",\"seq\":1,\"user\":\"alice\",\"time\":\"2026-11-21T22:50:51.123Z\","
                + "\"text\":\"hello\"}", bob.next().toString());
        assertNull(ops.poll(Duration.ofMillis(300)), "devops never sees dev");
    }

    @Test
    void postSentAgainWithItsIdIsRecordedOnce() throws Exception {
        WsClient alice = client();
        WsClient bob = client();
        bob.subscribe("dev");
        String post = "{'type':'post','user':'alice','channel':'dev','text':'once','id':'p1'}";
        alice.sendJson(post);
        long first = alice.next().get("seq").asLong();
        alice.sendJson(post);
        assertEquals(first, alice.next().get("seq").asLong());
        alice.sendJson("{'type':'post','user':'alice','channel':'dev','text':'next','id':'p2'}");
        alice.next();
        assertEquals("once", bob.next().get("text").asText());
        assertEquals("next", bob.next().get("text").asText(), "the post sent again was not delivered again");
        assertEquals(2, hub.lastSeq("dev"));
    }

    @Test
    void subscriptionSendsTheRecentMessagesFirstThenLiveOnesEachOnce() throws Exception {
        for (int i = 1; i <= 3; i++) {
            hub.post("dev", "zoe", "old " + i, null, null);
        }
        WsClient bob = client();
        bob.sendJson("{'type':'subscribe','channel':'dev','last':2,'ref':'s'}");
        JsonNode reply = bob.next();
        assertEquals("subscribe", reply.get("type").asText());
        assertEquals(2, reply.get("count").asInt());
        assertEquals(3, reply.get("last").asLong());
        assertEquals("s", reply.get("ref").asText());
        assertEquals(hub.epoch(), reply.get("epoch").asText());
        assertEquals("old 2", bob.next().get("text").asText());
        assertEquals("old 3", bob.next().get("text").asText());
        hub.post("dev", "zoe", "live", null, null);
        JsonNode live = bob.next();
        assertEquals(4, live.get("seq").asLong());
        assertNull(bob.poll(Duration.ofMillis(300)));
    }

    @Test
    void subscriptionAfterASeqSendsWhatWasMissedAndUnderAnotherEpochAllThatIsHeld() throws Exception {
        for (int i = 1; i <= 5; i++) {
            hub.post("dev", "zoe", "m" + i, null, null);
        }
        WsClient bob = client();
        bob.sendJson("{'type':'subscribe','channel':'dev','after':3,'epoch':'" + hub.epoch() + "'}");
        assertEquals(2, bob.next().get("count").asInt());
        assertEquals(4, bob.next().get("seq").asLong());
        assertEquals(5, bob.next().get("seq").asLong());

        bob.sendJson("{'type':'subscribe','channel':'dev','after':3,'epoch':'an-older-server'}");
        assertEquals(5, bob.next().get("count").asInt());
        for (int i = 1; i <= 5; i++) {
            assertEquals(i, bob.next().get("seq").asLong());
        }
    }

    @Test
    void allIsReadOnlyAndSeesEveryChannel() throws Exception {
        WsClient watcher = client();
        WsClient alice = client();
        watcher.subscribe("ALL");
        alice.sendJson("{'type':'post','user':'alice','channel':'ALL','text':'to everyone'}");
        JsonNode refused = alice.next();
        assertFalse(refused.get("ok").asBoolean());
        assertEquals("channel ALL is read-only", refused.get("error").asText());

        alice.sendJson("{'user':'alice','channel':'dev','text':'in dev'}");
        alice.sendJson("{'user':'alice','channel':'ops','text':'in ops'}");
        alice.sendJson("{'user':'alice','text':'in general'}");
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode m = watcher.next();
            seen.add(m.get("channel").asText() + ":" + m.get("text").asText());
        }
        assertEquals(List.of("dev:in dev", "ops:in ops", "general:in general"), seen);
        watcher.sendJson("{'type':'subscribe','channel':'ALL','after':1}");
        assertEquals("a subscription to ALL takes \"last\", not \"after\": sequence numbers are per channel",
                watcher.next().get("error").asText());
    }

    @Test
    void historyAnswersAsOnZeroMq() throws Exception {
        for (int i = 1; i <= 5; i++) {
            hub.post("dev", "zoe", "m" + i, null, null);
        }
        WsClient c = client();
        c.sendJson("{'type':'history','channel':'dev','after':2,'limit':2,'ref':'h'}");
        JsonNode page = c.next();
        assertTrue(page.get("ok").asBoolean());
        assertEquals(1, page.get("first").asLong());
        assertEquals(5, page.get("last").asLong());
        assertEquals(2, page.get("messages").size());
        assertEquals(3, page.get("messages").get(0).get("seq").asLong());
        assertEquals("h", page.get("ref").asText());
        c.sendJson("{'type':'history','channel':'dev','last':1}");
        assertEquals("m5", c.next().get("messages").get(0).get("text").asText());
        c.sendJson("{'type':'history','channel':'dev','last':1,'after':2}");
        assertEquals("\"last\" cannot be combined with \"after\" or \"limit\"", c.next().get("error").asText());
    }

    @Test
    void presenceListsEveryoneInTheChannelAndChannelsListsTheChannelsInUse() throws Exception {
        WsClient alice = client();
        WsClient bob = client();
        alice.sendJson("{'type':'presence','user':'alice','channel':'dev'}");
        assertEquals("[\"alice\"]", alice.next().get("users").toString());
        bob.sendJson("{'type':'presence','user':'bob','channel':'dev'}");
        assertEquals("[\"alice\",\"bob\"]", bob.next().get("users").toString());
        hub.post("ops", "zoe", "hi", null, null);
        bob.sendJson("{'type':'channels'}");
        JsonNode channels = bob.next();
        assertEquals("{\"channel\":\"dev\",\"last\":0,\"users\":2}", channels.get("channels").get(0).toString());
        assertEquals("{\"channel\":\"ops\",\"last\":1,\"users\":0}", channels.get("channels").get(1).toString());
        assertEquals(hub.epoch(), channels.get("epoch").asText());
    }

    @Test
    void eachBadRequestGetsAnErrorNamingWhatWasWrongAndTheConnectionGoesOn() throws Exception {
        WsClient bad = client();
        WsClient other = client();
        other.subscribe("dev");
        String[][] cases = {
                {"hello", "request is not valid JSON: Unrecognized token 'hello'"},
                {"[1,2]", "request is a JSON array, not an object"},
                {"", "request is empty; expected a JSON object"},
                {"{'user':5,'text':'x'}", "\"user\" must be a string, not a number"},
                {"{'type':'shout','user':'a'}", "unknown type \"shout\"; expected \"post\", \"subscribe\", \"history\", \"presence\", \"channels\" or \"auth\""},
                {"{'user':'a','text':'x','user':'b'}", "request is not valid JSON: Duplicate field 'user'"},
                {"{'user':'a b','text':'x'}", "user name \"a b\" breaks the rule [\\p{L}\\p{N}_.-]{1,32}"},
                {"{'user':'ALL','text':'x'}", "user name \"ALL\" is reserved: ALL is the channel that sees every channel"},
                {"{'user':'a','text':'   '}", "text is blank"},
                {"{'user':'a','text':'x','time':'yesterday'}", "time \"yesterday\" is not an ISO-8601 UTC instant like 2026-11-21T22:50:51.123Z"},
                {"{'type':'history','channel':'dev','after':-1}", "\"after\" must be 0 or more, not -1"},
                {"{'type':'subscribe','channel':'dev','last':2.5}", "\"last\" must be a whole number, not 2.5"},
                {"{'type':'subscribe'}", "\"channel\" is missing"},
        };
        for (String[] c : cases) {
            bad.sendJson(c[0]);
            JsonNode error = bad.next();
            assertFalse(error.get("ok").asBoolean(), c[0]);
            assertTrue(error.get("error").asText().startsWith(c[1]), c[0] + " -> " + error);
        }
        bad.send("{\"user\":\"a\",\"text\":\"" + "x".repeat(70_000) + "\"}");
        assertEquals("request of 70022 bytes exceeds the limit of 65536", bad.next().get("error").asText());
        bad.sendJson("{'user':'a','text':'" + "é".repeat(8193) + "'}");
        assertEquals("text of 16386 bytes exceeds the limit of 16384", bad.next().get("error").asText());

        // The same connection still posts, and the other one never noticed.
        bad.sendJson("{'user':'alice','channel':'dev','text':'still here','ref':'r'}");
        JsonNode ok = bad.next();
        assertTrue(ok.get("ok").asBoolean(), ok.toString());
        assertEquals("still here", other.next().get("text").asText());
        assertFalse(bad.closed.isDone());
    }

    @Test
    void binaryMessageGetsAnErrorAndTheConnectionGoesOn() throws Exception {
        WsClient c = client();
        c.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals("binary messages are not read; send each request as one JSON text message",
                c.next().get("error").asText());
        c.sendJson("{'type':'channels'}");
        assertTrue(c.next().get("ok").asBoolean());
    }

    @Test
    void messageOverTwiceTheLimitClosesThatConnectionOnly() throws Exception {
        WsClient huge = client();
        WsClient other = client();
        other.subscribe("dev");
        huge.sendWithoutWaiting("x".repeat(200_000));
        assertEquals(1009, huge.closed.get(10, TimeUnit.SECONDS)); // message too big
        hub.post("dev", "zoe", "after the giant", null, null);
        assertEquals("after the giant", other.next().get("text").asText());
    }

    @Test
    void slowReaderIsCutOffWhileOthersKeepReceiving() throws Exception {
        server.close();
        server = WebServer.start(WebServerOptions.builder().port(0).hub(hub).maxQueuedBytes(256 * 1024).build());
        WsClient slow = WsClient.connect(server.port(), null, false); // reads one message, then nothing
        clients.add(slow);
        WsClient fast = client();
        slow.subscribe("dev");
        fast.subscribe("dev");
        String text = "y".repeat(16_000);
        int sent = 0;
        // The slow one reads nothing, so it does not notice being cut off: the server counts it gone.
        while (server.connections() > 1 && sent < 10_000) {
            hub.post("dev", "zoe", text, null, null);
            sent++;
            assertEquals(sent, fast.next().get("seq").asLong()); // the fast one reads each as it comes
        }
        assertEquals(1, server.connections(), "the slow reader was never cut off after " + sent + " messages");
        hub.post("dev", "zoe", "the last", null, null);
        assertEquals("the last", fast.next().get("text").asText());
    }

    @Test
    void pageOfAnotherOriginIsRefusedAndTheServersOwnOrAnAllowedOneIsLetIn() throws Exception {
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> WsClient.connect(server.port(), "http://evil.example", true));
        assertTrue(refused.getCause() instanceof WebSocketHandshakeException, refused.toString());
        assertEquals(403, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
        assertEquals("origin \"http://evil.example\" is not allowed: only pages of this server (or of an origin its "
                + "options allow) may connect\n", ((WebSocketHandshakeException) refused.getCause()).getResponse().body());

        try (WsClient own = WsClient.connect(server.port(), "http://127.0.0.1:" + server.port(), true)) {
            own.sendJson("{'type':'channels'}");
            assertTrue(own.next().get("ok").asBoolean());
        }
        try (WebServer allowing = WebServer.start(WebServerOptions.builder().port(0).hub(hub)
                .allowOrigin("https://Chat.Example.org").build());
             WsClient other = WsClient.connect(allowing.port(), "https://chat.example.org", true)) {
            other.sendJson("{'type':'channels'}");
            assertTrue(other.next().get("ok").asBoolean());
        }
    }

    @Test
    void connectionPastTheBoundIsRefusedWithAReason() throws Exception {
        try (WebServer small = WebServer.start(WebServerOptions.builder().port(0).hub(hub).maxConnections(1).build());
             WsClient first = WsClient.connect(small.port())) {
            first.sendJson("{'type':'channels'}");
            first.next(); // open and answered: counted
            ExecutionException refused = assertThrows(ExecutionException.class, () -> WsClient.connect(small.port()));
            assertEquals(503, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
            first.sendJson("{'type':'channels'}");
            assertTrue(first.next().get("ok").asBoolean(), "the first one goes on");
        }
    }

    /**
     * Sockets that never upgrade count against the server's bound too: with them all taken, a
     * further connection is not served (not even the page) until one closes, and then it is.
     */
    @Test
    void connectionsThatNeverUpgradeAreBoundedToo() throws Exception {
        try (WebServer small = WebServer.start(WebServerOptions.builder().port(0).hub(hub).maxConnections(1).build())) {
            List<java.net.Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < WebServer.networkConnections(1); i++) {
                    java.net.Socket s = new java.net.Socket("127.0.0.1", small.port());
                    held.add(s);
                    s.setSoTimeout(5000);
                    askForThePage(s);
                    assertTrue(statusLine(s).startsWith("HTTP/1.1 200"), "accepted and answered: it counts");
                }
                java.net.Socket late = new java.net.Socket("127.0.0.1", small.port()); // the kernel still connects it
                held.add(late);
                late.setSoTimeout(1000);
                askForThePage(late);
                assertThrows(java.net.SocketTimeoutException.class, () -> statusLine(late), "served past the bound");
                held.remove(0).close();
                late.setSoTimeout(10_000);
                assertTrue(statusLine(late).startsWith("HTTP/1.1 200"), "served once a place is free");
            } finally {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
        }
    }

    /**
     * One address holds only its share of those sockets: one more from it is closed at once,
     * while another address is served, and a place freed is taken again.
     */
    @Test
    void oneAddressHoldsOnlyItsShareOfTheSockets() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(canBind("127.0.0.2"),
                "127.0.0.2 is not a loopback address of this host (Linux has all of 127/8)");
        try (WebServer small = WebServer.start(WebServerOptions.builder().port(0).hub(hub)
                .maxConnectionsPerAddress(1).build())) {
            List<java.net.Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < WebServer.networkConnections(1); i++) {
                    held.add(servedPage(small.port(), "127.0.0.1"));
                }
                java.net.Socket over = socket(small.port(), "127.0.0.1");
                held.add(over);
                askForThePage(over);
                assertTrue(closedWithoutAnAnswer(over), "past the address's share, closed at once");
                held.add(servedPage(small.port(), "127.0.0.2")); // another address is served
                held.remove(0).close();
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> held.add(servedPage(small.port(), "127.0.0.1")));
            } finally {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
        }
    }

    /** Whether the server closed {@code s} without a byte of answer (an end of stream, or a reset). */
    private static boolean closedWithoutAnAnswer(java.net.Socket s) throws java.io.IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketException reset) {
            return true; // closed with the request unread: the system resets the connection
        }
    }

    private static boolean canBind(String address) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.bind(new java.net.InetSocketAddress(address, 0));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static java.net.Socket socket(int port, String from) throws java.io.IOException {
        java.net.Socket s = new java.net.Socket();
        s.bind(new java.net.InetSocketAddress(from, 0));
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(5000);
        return s;
    }

    /** A socket from {@code from} whose page request was answered 200; open, for the caller to close. */
    private static java.net.Socket servedPage(int port, String from) throws java.io.IOException {
        java.net.Socket s = socket(port, from);
        try {
            askForThePage(s);
            String status = statusLine(s);
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new java.io.IOException("not served: \"" + status + "\"");
            }
            return s;
        } catch (java.io.IOException e) {
            s.close();
            throw e;
        }
    }

    private static void askForThePage(java.net.Socket s) throws java.io.IOException {
        s.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** The first line of the response, read a byte at a time (the rest is left unread). */
    private static String statusLine(java.net.Socket s) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = s.getInputStream().read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString().strip();
    }

    @Test
    void connectionPastTheBoundOfItsAddressIsRefusedWithAReason() throws Exception {
        try (WebServer small = WebServer.start(WebServerOptions.builder().port(0).hub(hub)
                .maxConnectionsPerAddress(1).build());
             WsClient first = WsClient.connect(small.port())) {
            first.sendJson("{'type':'channels'}");
            first.next();
            ExecutionException refused = assertThrows(ExecutionException.class, () -> WsClient.connect(small.port()));
            assertEquals(503, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
            assertEquals("connection 2 from 127.0.0.1 exceeds the limit of 1 per address",
                    ((WebSocketHandshakeException) refused.getCause()).getResponse().body().toString().strip());
            first.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> small.connections() == 0);
            try (WsClient again = WsClient.connect(small.port())) {
                again.sendJson("{'type':'channels'}");
                assertTrue(again.next().get("ok").asBoolean(), "a connection that ended frees its place");
            }
        }
    }

    @Test
    void pageIsServedAtTheRootWithAPolicyThatLoadsNothingElse() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElseThrow().toLowerCase());
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().startsWith("default-src 'none'"));
        assertTrue(page.body().contains("<title>Parley</title>"), page.body());
        HttpResponse<String> missing = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/etc/passwd")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, missing.statusCode());
    }

    @Test
    void closeSaysGoingAwayToEveryConnection() throws Exception {
        WsClient c = client();
        c.subscribe("dev");
        server.close();
        assertEquals(1001, c.closed.get(5, TimeUnit.SECONDS));
    }
}
