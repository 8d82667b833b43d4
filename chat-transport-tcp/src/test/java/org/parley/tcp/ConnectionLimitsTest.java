package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a topic server does to connections that hold a place without using it (issue 11, row
 * 10, at a test's scale, with the deadlines made short): a connection that never registers, an
 * object trickled a byte at a time, too many connections from one address. Each gets an error
 * and is closed; clients that keep the rules are served during and after, and one that only
 * listens is never cut.
 */
@Timeout(30)
class ConnectionLimitsTest {
    private static final Duration SHORT = Duration.ofMillis(300);
    private TopicServer server;
    private final List<RawClient> opened = new ArrayList<>();
    private final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() throws IOException {
        trickle.shutdownNow();
        for (RawClient c : opened) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private void start(TopicServerOptions.Builder options) throws IOException {
        server = TopicServer.start(options.bindAddress(InetAddress.getLoopbackAddress()).build());
    }

    private RawClient open(String localIp) throws IOException {
        RawClient c = localIp == null ? new RawClient(server.port()) : new RawClient(server.port(), localIp);
        opened.add(c);
        return c;
    }

    /** A client whose registration has taken effect. */
    private RawClient registered(String localIp, String topic) throws IOException {
        RawClient c = open(localIp);
        long before = server.registrations();
        c.register(topic);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() > before);
        return c;
    }

    /** Writes a space every 20 ms until the socket fails: a peer that is never quite silent. */
    private void trickle(RawClient c) {
        trickle.scheduleWithFixedDelay(() -> {
            try {
                c.write(" ");
            } catch (IOException e) {
                throw new IllegalStateException("closed", e); // ends this task only
            }
        }, 0, 20, TimeUnit.MILLISECONDS);
    }

    /** The error {@code c} got (after what was forwarded to it before), and its end. */
    private static void assertToldAndClosed(RawClient c, String error) throws IOException {
        assertEquals(error, errorOf(c));
        assertTrue(c.closedByServer(), "still open after: " + error);
    }

    private static String errorOf(RawClient c) throws IOException {
        JsonNode line = c.json();
        while (!line.has("error")) {
            line = c.json();
        }
        return line.get("error").textValue();
    }

    private static void chat(RawClient from, RawClient to, String text) throws IOException {
        from.say("dev", text);
        assertEquals("dev:" + text, to.next());
    }

    @Test
    void connectionThatNeverRegistersIsToldAndClosedAtTheDeadlineEvenIfNotSilent() throws Exception {
        start(TopicServerOptions.builder().registrationTimeout(SHORT));
        RawClient a = registered(null, "dev");
        RawClient b = registered(null, "dev");
        RawClient silent = open(null);
        RawClient chatty = open(null);
        RawClient trickling = open(null);
        trickle(trickling); // white space between objects: bytes, but never a registration
        chatty.say("dev", "not registered"); // discarded, and no registration either
        chat(a, b, "during");
        assertToldAndClosed(silent, "no registration within 300 ms");
        assertToldAndClosed(chatty, "no registration within 300 ms");
        assertToldAndClosed(trickling, "no registration within 300 ms");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 2);
        chat(b, a, "after");
    }

    @Test
    void objectTrickledAByteAtATimeIsCutAtTheObjectDeadline() throws Exception {
        start(TopicServerOptions.builder().objectTimeout(SHORT));
        RawClient a = registered(null, "dev");
        RawClient b = registered(null, "dev");
        RawClient slowloris = registered(null, "dev");
        slowloris.write("{\"source\":");
        trickle(slowloris); // white space inside the object: it goes on, and never ends
        chat(a, b, "during");
        assertToldAndClosed(slowloris, "message not complete within 300 ms");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 2);
        chat(b, a, "after");
    }

    @Test
    void eachObjectHasItsOwnDeadlineSoAStreamOfCutObjectsIsNeverCut() throws Exception {
        start(TopicServerOptions.builder().objectTimeout(SHORT));
        RawClient a = registered(null, "dev");
        RawClient b = registered(null, "dev");
        // Every 40 ms the end of one message and the start of the next: an object is always
        // unfinished, for longer than the deadline in all, but none for longer than 40 ms.
        int count = 12;
        List<String> pieces = new ArrayList<>();
        String half = RawClient.chat("dev", "cut 0").substring(0, 30);
        pieces.add(half);
        for (int i = 0; i < count; i++) {
            String message = RawClient.chat("dev", "cut " + i) + "\n";
            String next = i + 1 < count ? RawClient.chat("dev", "cut " + (i + 1)).substring(0, 30) : "";
            pieces.add(message.substring(30) + next);
        }
        java.util.Iterator<String> it = pieces.iterator();
        trickle.scheduleWithFixedDelay(() -> {
            try {
                if (it.hasNext()) {
                    a.write(it.next());
                }
            } catch (IOException e) {
                throw new IllegalStateException("closed", e);
            }
        }, 0, 40, TimeUnit.MILLISECONDS);
        for (int i = 0; i < count; i++) {
            assertEquals("dev:cut " + i, b.next());
        }
        chat(b, a, "still open");
    }

    @Test
    void registeredClientThatOnlyListensIsNeverCutForBeingQuiet() throws Exception {
        start(TopicServerOptions.builder().registrationTimeout(SHORT).objectTimeout(SHORT));
        RawClient listener = registered(null, "dev");
        RawClient late = open(null); // opened after the listener: cut after both deadlines passed for it
        assertToldAndClosed(late, "no registration within 300 ms");
        RawClient speaker = registered(null, "dev");
        speaker.say("dev", "still there?");
        assertEquals("dev:still there?", listener.next());
        assertEquals(2, server.connections());
    }

    @Test
    void oneAddressGetsNoMoreThanItsLimitOfConnections() throws Exception {
        start(TopicServerOptions.builder().maxConnectionsPerAddress(3));
        RawClient a = registered(null, "dev");
        registered(null, "dev");
        RawClient third = registered(null, "dev");
        RawClient fourth = open(null);
        assertToldAndClosed(fourth, "connection 4 from 127.0.0.1 exceeds the limit of 3 per address");
        RawClient other = registered("127.0.0.2", "dev"); // another address has its own count
        chat(other, a, "from another address");
        third.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 3);
        RawClient again = registered(null, "dev");
        chat(again, a, "a place was freed");
    }

    @Test
    void floodOfConnectionsThatNeverRegisterIsClearedAndClientsFromTheFloodingAddressGetIn() throws Exception {
        start(TopicServerOptions.builder().maxConnections(40).maxConnectionsPerAddress(16).registrationTimeout(SHORT));
        RawClient a = registered(null, "dev");
        RawClient b = registered(null, "dev");
        List<RawClient> flood = new ArrayList<>();
        for (int host = 2; host <= 5; host++) { // 4 addresses x 16: more than the server holds
            for (int i = 0; i < 16; i++) {
                flood.add(open("127.0.0." + host));
            }
        }
        flood.add(open("127.0.0.2")); // one more than 127.0.0.2 may have
        chat(a, b, "during");
        for (RawClient c : flood) {
            String error = errorOf(c);
            assertTrue(error.equals("no registration within 300 ms") || error.startsWith("the server is full")
                    || error.equals("connection 17 from 127.0.0.2 exceeds the limit of 16 per address"), error);
            assertTrue(c.closedByServer());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 2);
        for (int i = 0; i < 16; i++) { // as many as one address may have, from one that flooded
            chat(registered("127.0.0.2", "dev"), a, "newcomer " + i);
        }
        chat(b, a, "after");
    }

    @Test
    void connectionsCutAtTheRegistrationDeadlineNoLongerCountForTheirAddress() throws Exception {
        start(TopicServerOptions.builder().maxConnectionsPerAddress(3).registrationTimeout(SHORT));
        RawClient a = registered(null, "dev");
        List<RawClient> silent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            silent.add(open("127.0.0.2"));
        }
        for (RawClient c : silent) {
            assertToldAndClosed(c, "no registration within 300 ms");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 1);
        for (int i = 0; i < 3; i++) {
            chat(registered("127.0.0.2", "dev"), a, "after the deadline " + i);
        }
    }

    @Test
    void connectionsRefusedAsTheServerIsFullNoLongerCountForTheirAddress() throws Exception {
        start(TopicServerOptions.builder().maxConnections(4).maxConnectionsPerAddress(3));
        RawClient a = registered(null, "dev");
        List<RawClient> filling = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            filling.add(registered("127.0.0.3", "dev"));
        }
        List<RawClient> refused = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            refused.add(open("127.0.0.2"));
        }
        for (RawClient c : refused) {
            assertToldAndClosed(c, "the server is full: 4 connections");
        }
        for (RawClient c : filling) {
            c.close();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 1);
        for (int i = 0; i < 3; i++) {
            chat(registered("127.0.0.2", "dev"), a, "after the server was full " + i);
        }
    }
}
