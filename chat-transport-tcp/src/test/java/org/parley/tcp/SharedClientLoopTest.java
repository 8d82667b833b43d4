package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The selector thread that the clients of a process share, started with the first and stopped with the last. */
class SharedClientLoopTest {
    private static final String SHARED = "parley-tcp-clients-";
    private TopicServer server;

    @BeforeEach
    void start() throws Exception {
        server = TopicServer.start(TopicServerOptions.builder().port(0).build());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** A client on topic dev whose registration has taken effect. */
    private TopicClient member(TcpListener listener) throws Exception {
        long before = server.registrations();
        TopicClient c = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev")).connect(listener);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() > before);
        return c;
    }

    private static List<Thread> sharedThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(SHARED) && t.isAlive()).toList();
    }

    @Test
    void clientsOfAProcessChatOverOneSelectorThreadThatStopsWithTheLast() throws Exception {
        Recorder alice = new Recorder();
        Recorder bob = new Recorder();
        Thread thread;
        try (TopicClient a = member(alice); TopicClient b = member(bob)) {
            assertTrue(a.send("hello bob"));
            assertEquals("dev:hello bob", bob.until("dev:"));
            assertTrue(b.send("hello alice"));
            assertEquals("dev:hello alice", alice.until("dev:"));
            assertEquals(1, sharedThreads().size(), "one selector thread for both: " + sharedThreads());
            assertEquals(a.core.loop, b.core.loop);
            // The server's selector is the only one named after its port: the clients have none.
            long selectors = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("parley-tcp-selector-" + server.port())).count();
            assertEquals(1, selectors);
            thread = sharedThreads().get(0);
        }
        thread.join(Duration.ofSeconds(5).toMillis());
        assertFalse(thread.isAlive(), "the shared selector thread outlived the last client");
        // The next client starts a thread of its own again.
        Recorder carol = new Recorder();
        try (TopicClient c = member(carol); TopicClient d = member(new Recorder())) {
            assertTrue(d.send("a new thread"));
            assertEquals("dev:a new thread", carol.until("dev:"));
            assertEquals(1, sharedThreads().size());
        }
    }

    @Test
    void closingOneClientLeavesTheOtherWorking() throws Exception {
        Recorder bob = new Recorder();
        Recorder carol = new Recorder();
        TopicClient a = member(new Recorder());
        try (TopicClient b = member(bob); TopicClient c = member(carol)) {
            a.close();
            assertFalse(a.isOpen());
            assertTrue(a.awaitClosed(Duration.ofSeconds(5)));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 2);
            assertTrue(b.send("still here"));
            assertEquals("dev:still here", carol.until("dev:"));
            assertTrue(c.send("so am I"));
            assertEquals("dev:so am I", bob.until("dev:"));
            a.close(); // idempotent
        }
    }

    @Test
    void aListenerThatBlocksStallsOnlyItsOwnClient() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        Recorder bob = new Recorder();
        TcpListener stuck = m -> {
            blocked.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (TopicClient a = member(stuck); TopicClient b = member(bob);
                TopicClient c = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev"))
                        .connect(new Recorder())) {
            await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() >= 3);
            assertTrue(c.send("one"));
            assertTrue(blocked.await(5, TimeUnit.SECONDS));
            assertEquals("dev:one", bob.until("dev:"));
            assertTrue(c.send("two"));
            assertEquals("dev:two", bob.until("dev:")); // while alice's listener is still stuck
            assertTrue(a.isOpen());
            release.countDown(); // before the clients close, which would wait for the stuck listener
        } finally {
            release.countDown();
        }
    }

    @Test
    void connectingDirectPeersShareTheThreadToo() throws Exception {
        Recorder listening = new Recorder();
        try (DirectPeer server = DirectPeer.listen(0, listening);
                DirectPeer peer = DirectPeer.connect("127.0.0.1", server.port(), new Recorder());
                TopicClient client = member(new Recorder())) {
            assertEquals(client.core.loop, peer.core.loop);
            assertEquals("joined", listening.next());
            assertTrue(peer.send("hi"));
            assertEquals("direct:hi", listening.until("direct:"));
        }
    }
}
