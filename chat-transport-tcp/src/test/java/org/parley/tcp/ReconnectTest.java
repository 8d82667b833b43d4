package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A {@link TopicClient} that reconnects, against a real server stopped and started again on the same port. */
class ReconnectTest {

    /** Records messages and the connection's events, in order. */
    static final class Events implements TcpListener {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        /** Every line, those taken from {@link #lines} included: what happened at all. */
        final List<String> all = new java.util.concurrent.CopyOnWriteArrayList<>();

        private void add(String line) {
            all.add(line);
            lines.add(line);
        }

        @Override
        public void onMessage(TcpMessage message) {
            add(message.displayLine());
        }

        @Override
        public void onConnectionLost(TcpAddress server, IOException cause) {
            add("lost");
        }

        @Override
        public void onReconnected(TcpAddress server) {
            add("reconnected");
        }

        @Override
        public void onPeerLeft(TcpAddress peer, IOException cause) {
            add("left");
        }

        @Override
        public void onClosed(IOException cause) {
            add(cause == null ? "closed" : "closed: " + cause.getMessage());
        }

        String next() throws InterruptedException {
            String e = lines.poll(10, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("nothing within 10 s");
            }
            return e;
        }

        /** Skips lines up to one equal to {@code wanted}. */
        void until(String wanted) throws InterruptedException {
            while (!next().equals(wanted)) {
                // skip
            }
        }
    }

    static TopicServer serverOn(int port) throws IOException {
        return TopicServer.start(TopicServerOptions.builder().port(port).build());
    }

    static TopicClient client(int port, String user, Duration retryFor, TcpListener listener) throws IOException {
        return TopicClient.builder("127.0.0.1", port).topics(List.of("dev")).user(user).retryFor(retryFor)
                .connect(listener);
    }

    /** Sends probes from {@code from} until {@code to} hears one: both are registered. */
    static void handshake(TopicClient from, Events to, String user) throws InterruptedException {
        for (int i = 0; ; i++) {
            assertTrue(from.send("probe " + i));
            String e = to.lines.poll(200, TimeUnit.MILLISECONDS);
            if (e != null && e.startsWith("dev:" + user + ": probe ")) {
                return;
            }
            assertTrue(i < 50, "no probe heard");
        }
    }

    @Test
    void aClientReconnectsToAServerStartedAgainOnTheSamePortAndSendsWhatWaited() throws Exception {
        TopicServer server = serverOn(0);
        int port = server.port();
        Events aEvents = new Events();
        Events bEvents = new Events();
        try (TopicClient a = client(port, "ann", Duration.ofSeconds(20), aEvents);
             TopicClient b = client(port, "bob", Duration.ofSeconds(20), bEvents)) {
            handshake(a, bEvents, "ann");
            server.close();
            aEvents.until("lost");
            bEvents.until("lost");
            assertFalse(a.isConnected());
            assertTrue(a.send("while away 1"));
            assertTrue(a.send("while away 2"));
            server = serverOn(port);
            aEvents.until("reconnected");
            bEvents.until("reconnected");
            // b registered again, but perhaps after a's lines reached the new server: send until heard.
            handshake(a, bEvents, "ann");
            assertTrue(a.isConnected());
            b.send("back");
            aEvents.until("dev:bob: back");
            assertTrue(a.isOpen());
            assertTrue(aEvents.all.stream().noneMatch(l -> l.equals("left")), aEvents.all.toString());
        } finally {
            server.close();
        }
    }

    @Test
    void whatWaitedIsSentOnceRegisteredAgain() throws Exception {
        TopicServer server = serverOn(0);
        int port = server.port();
        Events aEvents = new Events();
        Events bEvents = new Events();
        try (TopicClient a = client(port, "ann", Duration.ofSeconds(20), aEvents);
             TopicClient b = client(port, "bob", Duration.ofSeconds(20), bEvents)) {
            handshake(a, bEvents, "ann");
            server.close();
            aEvents.until("lost");
            bEvents.until("lost");
            server = serverOn(port);
            bEvents.until("reconnected");
            await().atMost(Duration.ofSeconds(5)).until(() -> b.isConnected());
            TopicServer now = server;
            await().atMost(Duration.ofSeconds(5)).until(() -> now.registrations() >= 2); // a's and b's
            assertTrue(a.send("queued or not")); // a may still be away: it waits, then goes after the registration
            bEvents.until("dev:ann: queued or not");
        } finally {
            server.close();
        }
    }

    @Test
    void aClientGivesUpAfterItsBoundAndSaysSo() throws Exception {
        TopicServer server = serverOn(0);
        int port = server.port();
        Events events = new Events();
        try (TopicClient a = client(port, "ann", Duration.ofSeconds(1), events)) {
            server.close();
            events.until("lost");
            String end = events.next();
            assertTrue(end.startsWith("closed: gave up reconnecting to 127.0.0.1:" + port + " after 1 s: "), end);
            assertTrue(a.awaitClosed(Duration.ofSeconds(5)));
            assertFalse(a.send("too late"));
        } finally {
            server.close();
        }
    }

    @Test
    void withoutRetryTheEndOfTheConnectionEndsTheClient() throws Exception {
        TopicServer server = serverOn(0);
        Events events = new Events();
        try (TopicClient a = client(server.port(), null, Duration.ZERO, events)) {
            server.close();
            events.until("left");
            assertEquals("closed", events.next());
        } finally {
            server.close();
        }
    }

    @Test
    void waitingMessagesAreBounded() throws Exception {
        TopicServer server = serverOn(0);
        int port = server.port();
        Events events = new Events();
        try (TopicClient a = client(port, "ann", Duration.ofSeconds(30), events)) {
            server.close();
            events.until("lost");
            for (int i = 0; i < TopicClient.MAX_WAITING; i++) {
                assertTrue(a.send("m" + i));
            }
            assertFalse(a.send("one too many"));
        } finally {
            server.close();
        }
    }
}
