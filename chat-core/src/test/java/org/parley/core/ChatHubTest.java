package org.parley.core;

import org.parley.core.internal.Names;

import org.parley.core.testing.RecordingListener;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChatHubTest {
    private final ChatHub hub = ChatHub.create();

    @AfterEach
    void close() {
        hub.close();
    }

    @Test
    void postAssignsPerChannelSequenceAndRecords() throws Exception {
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        ChatMessage m = hub.post("general", "kyle", "hello", t, null);
        assertEquals(new ChatMessage("general", 1, "kyle", t, "hello"), m);
        assertEquals(2, hub.post("general", "kyle", "again", null, null).seq());
        assertEquals(1, hub.post("dev", "kyle", "other", null, null).seq());
        assertEquals(List.of(m), hub.history("general", 0, 1).messages());
    }

    @Test
    void postWithoutTimeUsesTheHubClock() throws Exception {
        Instant before = Instant.now().minusMillis(1);
        ChatMessage m = hub.post("general", "kyle", "hello", null, null);
        assertTrue(!m.time().isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
    }

    @Test
    void postToAllIsRejected() throws Exception {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> hub.post("ALL", "kyle", "hello", null, null));
        assertEquals("channel ALL is read-only", e.getMessage());
        assertEquals(List.of(), hub.recent("ALL", 10).messages());
    }

    @Test
    void rejectedPostsLeaveNoTrace() {
        assertThrows(ProtocolException.class, () -> hub.post("general", "bad name", "x", null, null));
        assertThrows(ProtocolException.class, () -> hub.post("general", "kyle", "   ", null, null));
        assertThrows(ProtocolException.class, () -> hub.post("bad channel", "kyle", "x", null, null));
        assertEquals(0, hub.lastSeq("general"));
    }

    @Test
    void subscriberOfDevNeverSeesDevops() throws Exception {
        RecordingListener dev = new RecordingListener();
        hub.subscribe("dev", dev);
        hub.post("devops", "kyle", "ops", null, null);
        hub.post("dev", "kyle", "dev", null, null);
        assertEquals("dev", dev.next().text());
        assertNull(dev.poll(Duration.ZERO));
    }

    @Test
    void allSeesEveryChannel() throws Exception {
        RecordingListener all = new RecordingListener();
        hub.subscribe("ALL", all);
        hub.post("a", "kyle", "1", null, null);
        hub.post("b", "kyle", "2", null, null);
        assertEquals(List.of("a", "b"), all.next(2).stream().map(ChatMessage::channel).toList());
    }

    @Test
    void listenerReceivesTheOriginOfThePost() throws Exception {
        Object origin = new Object();
        java.util.concurrent.BlockingQueue<Object> seen = new java.util.concurrent.LinkedBlockingQueue<>();
        hub.subscribe("general", (m, o) -> seen.add(o));
        hub.post("general", "kyle", "x", null, origin);
        assertSame(origin, seen.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void aListenerThatPostsWithItselfAsOriginIsNotCalledForItsOwnPosts() throws Exception {
        java.util.concurrent.BlockingQueue<String> own = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.BlockingQueue<String> other = new java.util.concurrent.LinkedBlockingQueue<>();
        HubListener poster = new HubListener() {
            @Override
            public void onMessage(ChatMessage m, Object origin) {
                own.add(m.text());
            }
        };
        hub.subscribe("ALL", poster);
        hub.subscribe("general", (m, o) -> other.add(m.text()));
        hub.post("general", "kyle", "mine", null, poster);
        hub.post("general", "stan", "theirs", null, null);
        // Everyone else hears both, in order; the poster hears only the post that is not its own.
        assertEquals("mine", other.poll(5, TimeUnit.SECONDS));
        assertEquals("theirs", other.poll(5, TimeUnit.SECONDS));
        assertEquals("theirs", own.poll(5, TimeUnit.SECONDS));
        assertTrue(own.isEmpty(), "called for its own post: " + own);
    }

    @Test
    void aFailingListenerDoesNotHarmTheOthers() throws Exception {
        hub.subscribe("general", (m, o) -> {
            throw new IllegalStateException("broken listener");
        });
        RecordingListener good = new RecordingListener();
        hub.subscribe("general", good);
        hub.post("general", "kyle", "x", null, null);
        assertEquals("x", good.next().text());
    }

    @Test
    void closedSubscriptionReceivesNothing() throws Exception {
        // One dispatcher for both: it calls them in order, so once the witness has the
        // message, the closed one would have had it too.
        Dispatcher d = hub.dispatcher("shared", 100);
        RecordingListener l = new RecordingListener();
        RecordingListener witness = new RecordingListener();
        Subscription s = d.subscribe("general", l);
        d.subscribe("general", witness);
        s.close();
        s.close();
        hub.post("general", "kyle", "x", null, null);
        assertEquals("x", witness.next().text());
        assertNull(l.poll(Duration.ZERO));
        assertEquals(1, hub.listenerCount("general"));
    }

    @Test
    void sequenceHasNoGapOrDuplicateUnderFourConcurrentPosters() throws Exception {
        RecordingListener l = new RecordingListener();
        hub.subscribe("general", l);
        int perThread = 2000;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String user = "user" + t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        hub.post("general", user, "m" + i, null, null);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<ChatMessage> got = l.next(4 * perThread);
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i + 1, got.get(i).seq(), "listener sees seq in order");
        }
        assertEquals(4 * perThread, hub.lastSeq("general"));
    }

    @Test
    void historyOfAllTakesTheNewestAcrossChannels() throws Exception {
        hub.post("a", "kyle", "1", null, null);
        hub.post("b", "kyle", "2", null, null);
        assertEquals(List.of("1", "2"), hub.recent("ALL", 10).messages().stream().map(ChatMessage::text).toList());
        assertThrows(ProtocolException.class, () -> hub.history("ALL", 3, 10));
    }

    @Test
    void historyRejectsNegativeNumbersAndCapsTheLimit() throws Exception {
        assertEquals("after must be 0 or more, not -1",
                assertThrows(ProtocolException.class, () -> hub.history("general", -1, 10)).getMessage());
        assertThrows(ProtocolException.class, () -> hub.history("general", 0, -5));
        for (int i = 0; i < 1100; i++) {
            hub.post("general", "kyle", "m", null, null);
        }
        assertEquals(HubOptions.MAX_HISTORY_LIMIT, hub.history("general", 0, 5000).messages().size());
    }

    @Test
    void localClientPostsAndReceivesOnItsOwnThread() throws Exception {
        try (ChatClient alice = hub.connect("alice"); ChatClient bob = hub.connect("bob")) {
            List<String> threads = new ArrayList<>();
            RecordingListener l = new RecordingListener();
            bob.subscribe("general", m -> {
                threads.add(Thread.currentThread().getName());
                l.onMessage(m);
            });
            PostAck ack = alice.post("general", "hi bob").join();
            assertEquals(1, ack.seq());
            ChatMessage m = l.next();
            assertEquals("alice", m.user());
            assertEquals("parley-delivery-bob", threads.get(0));
        }
    }

    @Test
    void localClientPostRejectionFailsTheFuture() {
        try (ChatClient alice = hub.connect("alice")) {
            CompletionException e = assertThrows(CompletionException.class, () -> alice.post("ALL", "x").join());
            assertEquals("channel ALL is read-only", e.getCause().getMessage());
        }
    }

    @Test
    void slowLocalListenerStillGetsEveryMessageInOrderOnce() throws Exception {
        LocalChatClient slow = hub.register(new LocalChatClient(hub, "slow", 4));
        CountDownLatch release = new CountDownLatch(1);
        RecordingListener l = new RecordingListener();
        slow.subscribe("general", m -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            l.onMessage(m);
        });
        for (int i = 1; i <= 50; i++) {
            hub.post("general", "kyle", "m" + i, null, null);
        }
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> slow.pending() == 0);
        // The queue dropped most of the 50; the next message reveals the gap and repairs it.
        hub.post("general", "kyle", "m51", null, null);
        List<ChatMessage> got = l.next(51);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i + 1, got.get(i).seq());
            assertTrue(seen.add(got.get(i).seq()));
        }
        // Delivery is in order: anything delivered twice would come before the next message.
        hub.post("general", "kyle", "m52", null, null);
        assertEquals(52, l.next().seq(), "nothing delivered twice");
        slow.close();
    }

    @Test
    void closedHubRefusesPostsAndClosesClients() {
        ChatClient c = hub.connect("alice");
        hub.close();
        hub.close();
        assertThrows(IllegalStateException.class, () -> hub.post("general", "kyle", "x", null, null));
        assertThrows(IllegalStateException.class, () -> c.subscribe("general", m -> { }));
    }

    @Test
    void closedClientRefusesEveryRequestAlike() {
        ChatClient c = hub.connect("alice");
        c.close();
        for (var request : List.of(c.post("general", "x"), c.history("general", 0, 10), c.recent("general", 10))) {
            CompletionException e = assertThrows(CompletionException.class, request::join);
            assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
        }
    }

    @Test
    void aBlockedListenerHoldsUpNeitherThePosterNorAnotherListener() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> callers = java.util.Collections.synchronizedList(new ArrayList<>());
        hub.subscribe("general", (m, origin) -> {
            callers.add(Thread.currentThread());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        RecordingListener other = new RecordingListener();
        hub.subscribe(Names.ALL, other);
        for (int i = 0; i < 100; i++) {
            hub.post("general", "kyle", "m" + i, null, null); // returns though one listener is stuck
        }
        assertEquals(100, other.next(100).size());
        assertTrue(callers.stream().noneMatch(t -> t == Thread.currentThread()), "never on the posting thread");
        release.countDown();
    }

    @Test
    void aListenerMayPostAndTheHubDoesNotDeadlock() throws Exception {
        RecordingListener echoes = new RecordingListener();
        hub.subscribe("echo", echoes);
        hub.subscribe("general", (m, origin) -> {
            try {
                hub.post("echo", "bot", "echo of " + m.text(), null, null);
            } catch (ProtocolException e) {
                throw new AssertionError(e);
            }
        });
        for (int i = 0; i < 50; i++) {
            hub.post("general", "kyle", "m" + i, null, null);
        }
        assertEquals("echo of m49", echoes.next(50).get(49).text());
    }

    @Test
    void anInlineListenerIsCalledOnThePostingThreadInOrderAndItsFailureHarmsNobody() throws Exception {
        List<Long> seqs = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> callers = java.util.Collections.synchronizedList(new ArrayList<>());
        Subscription inline = hub.subscribeInline(Names.ALL, (m, origin) -> {
            seqs.add(m.seq());
            callers.add(Thread.currentThread());
            if (m.text().equals("boom")) {
                throw new IllegalStateException("a broken hand-over");
            }
        });
        RecordingListener other = new RecordingListener();
        hub.subscribe("general", other);
        for (String text : List.of("a", "boom", "c")) {
            hub.post("general", "kyle", text, null, null); // the failure is not the poster's
        }
        // An in-memory store stores on the posting thread: the hand-over is done when post returns.
        assertEquals(List.of(1L, 2L, 3L), seqs);
        assertTrue(callers.stream().allMatch(t -> t == Thread.currentThread()), "on the storing thread");
        assertEquals(List.of("a", "boom", "c"), other.next(3).stream().map(ChatMessage::text).toList());
        inline.close();
        hub.post("general", "kyle", "d", null, null);
        assertEquals(3, seqs.size(), "nothing after close");
    }
}
