package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpClientGroupTest {
    private TopicServer server;
    private TcpClientGroup group;

    @BeforeEach
    void start() throws Exception {
        server = TopicServer.start(TopicServerOptions.builder().port(0).build());
        group = TcpClientGroup.create();
    }

    @AfterEach
    void stop() {
        group.close();
        server.close();
    }

    /** A client of the group on topic dev whose registration has taken effect. */
    private TopicClient member(TcpListener listener) throws Exception {
        long before = server.registrations();
        TopicClient c = TopicClient.connect(group, "127.0.0.1", server.port(), List.of("dev"), listener);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() > before);
        return c;
    }

    @Test
    void twoClientsOfOneGroupChatOverOneSelectorThread() throws Exception {
        Recorder alice = new Recorder();
        Recorder bob = new Recorder();
        try (TopicClient a = member(alice); TopicClient b = member(bob)) {
            assertTrue(a.send("hello bob"));
            assertEquals("dev:hello bob", bob.until("dev:"));
            assertTrue(b.send("hello alice"));
            assertEquals("dev:hello alice", alice.until("dev:"));
            assertEquals(2, group.clients());
            // The server's selector is the only one named after its port: the clients have none.
            long selectors = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("parley-tcp-selector-" + server.port())).count();
            assertEquals(1, selectors);
        }
        assertEquals(0, group.clients());
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
            assertTrue(group.isOpen());
            assertTrue(b.send("still here"));
            assertEquals("dev:still here", carol.until("dev:"));
            assertTrue(c.send("so am I"));
            assertEquals("dev:so am I", bob.until("dev:"));
            a.close(); // idempotent
        }
    }

    @Test
    void closingTheGroupClosesEveryClientAndRefusesNewOnes() throws Exception {
        Recorder alice = new Recorder();
        TopicClient a = member(alice);
        TopicClient b = member(new Recorder());
        group.close();
        assertFalse(group.isOpen());
        assertTrue(a.awaitClosed(Duration.ofSeconds(5)));
        assertTrue(b.awaitClosed(Duration.ofSeconds(5)));
        assertFalse(a.isOpen());
        assertFalse(a.send("too late"));
        assertEquals("closed", alice.until("closed"));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 0);
        group.close(); // idempotent
        a.close();     // and so is closing a client of a closed group
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TopicClient.connect(group, "127.0.0.1", server.port(), List.of("dev"), new Recorder()));
        assertEquals("client group is closed", e.getMessage());
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
                TopicClient c = TopicClient.connect("127.0.0.1", server.port(), List.of("dev"), new Recorder())) {
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
    void directPeersConnectThroughAGroup() throws Exception {
        Recorder listening = new Recorder();
        try (DirectPeer server = DirectPeer.listen(0, listening);
                DirectPeer peer = DirectPeer.connect(group, "127.0.0.1", server.port(), new Recorder())) {
            assertEquals("joined", listening.next());
            assertTrue(peer.send("hi"));
            assertEquals("direct:hi", listening.until("direct:"));
        }
    }
}
