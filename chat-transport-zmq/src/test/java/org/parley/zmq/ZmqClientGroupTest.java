package org.parley.zmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatClient;
import org.parley.core.ChatMessage;
import org.parley.core.PostAck;
import org.parley.core.testing.RecordingListener;

class ZmqClientGroupTest {
    private ZmqChatServer server;
    private ZmqClientGroup group;

    @BeforeEach
    void start() throws IOException {
        server = ZmqTestSupport.startServer();
        group = ZmqClientGroup.create();
    }

    @AfterEach
    void stop() {
        group.close();
        server.close();
    }

    private ZmqChatClient member(String user) throws IOException {
        return group.connect(ZmqTestSupport.clientOf(server, user).build());
    }

    /** What {@code client} receives on general from now on. */
    private static RecordingListener general(ZmqChatClient client) {
        RecordingListener seen = new RecordingListener();
        client.subscribe("general", seen);
        return seen;
    }

    @Test
    void twoClientsOfOneGroupExchangeMessages() throws Exception {
        ZmqChatClient alice = member("alice");
        ZmqChatClient bob = member("bob");
        RecordingListener aliceSees = general(alice);
        RecordingListener bobSees = general(bob);
        ZmqTestSupport.awaitJoined(alice, bob);
        ZmqTestSupport.awaitJoined(bob, alice);

        alice.post("general", "hi bob").get(5, TimeUnit.SECONDS);
        bob.post("general", "hi alice").get(5, TimeUnit.SECONDS);

        assertEquals(List.of("hi bob", "hi alice"), ZmqTestSupport.texts(aliceSees.next(2)));
        assertEquals(List.of("hi bob", "hi alice"), ZmqTestSupport.texts(bobSees.next(2)));
        assertEquals(2, group.size());
    }

    @Test
    void clientsOfAGroupWithTwoIoThreadsExchangeMessages() throws Exception {
        try (ZmqClientGroup wide = ZmqClientGroup.create(2)) {
            assertEquals(2, wide.context().getIoThreads(), "the connections are spread over two I/O threads");
            ZmqChatClient alice = wide.connect(ZmqTestSupport.clientOf(server, "alice").build());
            ZmqChatClient bob = wide.connect(ZmqTestSupport.clientOf(server, "bob").build());
            RecordingListener bobSees = general(bob);
            ZmqTestSupport.awaitJoined(bob, alice);
            alice.post("general", "over two threads").get(5, TimeUnit.SECONDS);
            assertEquals("over two threads", bobSees.next().text());
        }
        assertThrows(IllegalArgumentException.class, () -> ZmqClientGroup.create(0));
    }

    @Test
    void closingOneClientLeavesTheOtherWorking() throws Exception {
        ZmqChatClient alice = member("alice");
        ZmqChatClient bob = member("bob");
        RecordingListener bobSees = general(bob);
        ZmqTestSupport.awaitJoined(bob, bob);

        alice.close();
        assertEquals(1, group.size());
        // And a client joining after the close works in the same context too.
        ZmqChatClient carol = member("carol");
        carol.post("general", "still here").get(5, TimeUnit.SECONDS);
        bob.post("general", "me too").get(5, TimeUnit.SECONDS);

        assertEquals(List.of("still here", "me too"), ZmqTestSupport.texts(bobSees.next(2)));
    }

    @Test
    void closingTheGroupClosesEveryClientAndLeavesNoThread() throws Exception {
        ZmqChatClient alice = member("grouped-alice");
        ZmqChatClient bob = member("grouped-bob");
        bob.subscribe("general", new RecordingListener());
        alice.post("general", "connected").get(5, TimeUnit.SECONDS);

        group.close();
        group.close(); // idempotent

        assertEquals(0, group.size());
        for (ZmqChatClient c : List.of(alice, bob)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> c.post("general", "late").get(5, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
        }
        Set<String> left = ZmqTestSupport.parleyThreads();
        assertTrue(left.stream().noneMatch(n -> n.contains("grouped-")), left.toString());
        assertTrue(group.context().isClosed(), "the shared context (its JeroMQ threads) is closed too");
        assertThrows(IllegalStateException.class, () -> member("late"));
    }

    @Test
    void closingAGroupWaitsForUnansweredRequestsOnceForAllItsClients() throws Exception {
        server.close(); // its ports stay known, and nobody answers on them from now on
        List<CompletableFuture<PostAck>> posts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ZmqChatClient c = group.connect(ZmqTestSupport.clientOf(server, "unanswered-" + i)
                    .requestTimeout(Duration.ofSeconds(30)).build());
            posts.add(c.post("general", "into the void"));
        }

        long start = System.nanoTime();
        group.close();
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        // Each client gives its requests up to CLOSE_WAIT_MILLIS; one client after another,
        // four of them took four times that.
        assertTrue(tookMillis >= ZmqChatClient.CLOSE_WAIT_MILLIS - 50, "waited for the answers: " + tookMillis + " ms");
        assertTrue(tookMillis < 2 * ZmqChatClient.CLOSE_WAIT_MILLIS, "one wait for all: " + tookMillis + " ms");
        for (CompletableFuture<PostAck> post : posts) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> post.get(5, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
        }
        assertTrue(group.context().isClosed());
    }

    @Test
    void aClientClosingOnItsOwnWhileTheGroupClosesIsWaitedFor() throws Exception {
        server.close();
        ZmqChatClient alone = group.connect(ZmqTestSupport.clientOf(server, "closing-alone")
                .requestTimeout(Duration.ofSeconds(30)).build());
        alone.post("general", "into the void");
        Thread own = new Thread(alone::close, "test-own-close");
        own.start();
        // Its close has begun once it refuses new requests; it then waits for its answer.
        await().atMost(Duration.ofSeconds(5))
                .until(() -> alone.post("general", "late").isCompletedExceptionally());

        group.close();

        assertTrue(alone.stopped(), "the group waited for the client's socket thread");
        assertTrue(group.context().isClosed(), "and then closed the context");
        own.join(5_000);
        assertFalse(own.isAlive());
    }

    @Test
    void twoSubscribersOfOneGroupBothFollowAServerRestart() throws Exception {
        ZmqChatClient alice = member("alice");
        ZmqChatClient bob = member("bob");
        RecordingListener aliceSees = general(alice);
        RecordingListener bobSees = general(bob);
        try (ChatClient dave = server.hub().connect("dave")) {
            ZmqTestSupport.awaitJoined(alice, dave);
            ZmqTestSupport.awaitJoined(bob, dave);
            dave.post("general", "before").join();
        }
        assertEquals("before", aliceSees.next().text());
        assertEquals("before", bobSees.next().text());
        // Same ports, an empty log: seq starts at 1 again, and both must count from there.
        server = ZmqTestSupport.restartOnSamePorts(server);
        try (ChatClient carol = server.hub().connect("carol")) {
            carol.post("general", "after 1").join();
            ZmqTestSupport.awaitJoined(alice, carol);
            ZmqTestSupport.awaitJoined(bob, carol);
            carol.post("general", "after 2").join();
            for (RecordingListener seen : List.of(aliceSees, bobSees)) {
                List<ChatMessage> after = seen.next(2);
                assertEquals(List.of("after 1", "after 2"), ZmqTestSupport.texts(after));
                assertEquals(List.of(1L, 2L), after.stream().map(ChatMessage::seq).toList());
            }
        }
    }
}
