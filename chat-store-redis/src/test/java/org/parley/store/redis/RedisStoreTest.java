package org.parley.store.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.ProtocolException;
import org.parley.store.redis.testing.RedisProcess;

/** The store's contract on a real Redis: numbering, history, post ids, the sink, two stores on one Redis. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisStoreTest {
    static final Instant T = Instant.parse("2026-11-21T22:50:51.123Z");
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    RedisProcess redis;
    final List<RedisStore> stores = new ArrayList<>();

    /** The sink's calls, in order. */
    static final class Sunk {
        final BlockingQueue<ChatMessage> messages = new LinkedBlockingQueue<>();
        final BlockingQueue<Object> origins = new LinkedBlockingQueue<>();

        void stored(ChatMessage m, Object origin) {
            messages.add(m);
            origins.add(origin == null ? "none" : origin);
        }

        ChatMessage next() throws InterruptedException {
            ChatMessage m = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("the sink got nothing within " + WAIT);
            }
            return m;
        }

        Object nextOrigin() throws InterruptedException {
            return origins.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Nothing more within a short while: what a test that expects silence can check. */
        void assertQuiet() throws InterruptedException {
            ChatMessage m = messages.poll(300, TimeUnit.MILLISECONDS);
            assertNull(m, "the sink got more than expected: " + m);
        }
    }

    @BeforeEach
    void startRedis() throws IOException {
        redis = RedisProcess.start(dir.resolve("redis"));
    }

    @AfterEach
    void stop() {
        stores.forEach(RedisStore::close);
        if (redis != null) {
            redis.close();
        }
    }

    RedisStore open(Sunk sunk) throws IOException {
        RedisStore store = RedisStore.builder(redis.uri()).open();
        stores.add(store);
        store.start(sunk::stored);
        return store;
    }

    static ChatMessage post(RedisStore store, String channel, String user, String text) throws Exception {
        return store.append(channel, user, T, text, null, null).get(10, TimeUnit.SECONDS);
    }

    @Test
    void numbersEachChannelFromOneWithoutGapsAndAnswersHistory() throws Exception {
        RedisStore store = open(new Sunk());
        assertEquals(1, post(store, "dev", "alice", "one").seq());
        assertEquals(2, post(store, "dev", "bob", "two").seq());
        assertEquals(1, post(store, "ops", "carol", "three").seq());
        assertEquals(3, post(store, "dev", "alice", "four\nwith a line break").seq());

        assertEquals(3, store.lastSeq("dev"));
        assertEquals(0, store.lastSeq("nobody"));
        HistoryPage after = store.after("dev", 1, 10);
        assertEquals(List.of(2L, 3L), after.messages().stream().map(ChatMessage::seq).toList());
        assertEquals(1, after.first());
        assertEquals(3, after.last());
        assertEquals("four\nwith a line break", after.messages().get(1).text());
        assertEquals(T, after.messages().get(0).time());
        assertEquals(List.of("two", "four\nwith a line break"),
                store.latest("dev", 2).messages().stream().map(ChatMessage::text).toList());
        assertEquals(1, store.after("dev", 0, 1).messages().size());
        assertTrue(store.after("dev", 0, 0).messages().isEmpty());
        assertTrue(store.after("dev", Long.MAX_VALUE, 5).messages().isEmpty());
        assertEquals(List.of("one", "two", "three", "four\nwith a line break"),
                store.latestOfAll(10).messages().stream().map(ChatMessage::text).toList());
        HistoryPage none = store.latest("nobody", 5);
        assertEquals(0, none.first());
        assertEquals(0, none.last());
        assertTrue(none.messages().isEmpty());
    }

    @Test
    void sinkGetsEveryStoresMessagesOnceInOrderWithItsOwnOrigins() throws Exception {
        Sunk a = new Sunk();
        Sunk b = new Sunk();
        RedisStore first = open(a);
        RedisStore second = open(b);
        assertEquals(first.epoch(), second.epoch(), "one Redis, one epoch");
        Object origin = new Object();
        first.append("dev", "alice", T, "from a", null, origin).get(10, TimeUnit.SECONDS);
        second.append("dev", "bob", T, "from b", null, null).get(10, TimeUnit.SECONDS);

        ChatMessage m = a.next();
        assertEquals("from a", m.text());
        assertSame(origin, a.nextOrigin(), "a store's own post comes back with its origin");
        assertEquals("from b", a.next().text());
        assertEquals("none", a.nextOrigin());
        assertEquals(List.of(1L, 2L), List.of(b.next().seq(), b.next().seq()));
        assertEquals("none", b.nextOrigin(), "another store's post has no origin");
        a.assertQuiet();
        b.assertQuiet();
    }

    @Test
    void aPostSentAgainToAnotherStoreIsStoredOnce() throws Exception {
        Sunk a = new Sunk();
        RedisStore first = open(a);
        RedisStore second = open(new Sunk());
        ChatMessage stored = first.append("dev", "alice", T, "hello", "id.1", null).get(10, TimeUnit.SECONDS);
        ChatMessage again = second.append("dev", "alice", T.plusSeconds(5), "hello", "id.1", null).get(10, TimeUnit.SECONDS);
        assertEquals(stored, again, "the repeat gets the first post's message, time included");
        assertEquals(1, first.lastSeq("dev"));
        ChatMessage other = second.append("dev", "bob", T, "hello", "id.1", null).get(10, TimeUnit.SECONDS);
        assertEquals(2, other.seq(), "ids belong to their user");
        ExecutionException reused = assertThrows(ExecutionException.class,
                () -> second.append("dev", "alice", T, "something else", "id.1", null).get(10, TimeUnit.SECONDS));
        assertTrue(reused.getCause() instanceof ProtocolException);
        assertTrue(reused.getCause().getMessage().contains("was used before for another post"),
                reused.getCause().getMessage());
        assertEquals(List.of(1L, 2L), List.of(a.next().seq(), a.next().seq()));
        a.assertQuiet();
    }

    @Test
    void killedPubSubConnectionsAreRepairedFromTheStreams() throws Exception {
        Sunk a = new Sunk();
        Sunk b = new Sunk();
        RedisStore first = open(a);
        RedisStore second = open(b);
        await().atMost(WAIT).until(() -> first.subscriptions() >= 1 && second.subscriptions() >= 1);
        int n = 2_000;
        List<CompletableFuture<ChatMessage>> posted = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            RedisStore poster = i % 2 == 0 ? first : second;
            posted.add(poster.append(i % 3 == 0 ? "ops" : "dev", "alice", T, "post " + i, null, null));
            if (i % 500 == 0) {
                long before = first.subscriptions() + second.subscriptions();
                assertEquals(":2", redis.command("CLIENT", "KILL", "TYPE", "pubsub"), "both pub/sub connections killed");
                await().atMost(WAIT).until(() -> first.subscriptions() + second.subscriptions() == before + 2);
            }
        }
        CompletableFuture.allOf(posted.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        long dev = first.lastSeq("dev");
        long ops = first.lastSeq("ops");
        assertEquals(n, dev + ops);
        for (Sunk s : List.of(a, b)) {
            long nextDev = 1;
            long nextOps = 1;
            for (int i = 0; i < n; i++) {
                ChatMessage m = s.next();
                if (m.channel().equals("dev")) {
                    assertEquals(nextDev++, m.seq(), "dev in order, each once");
                } else {
                    assertEquals(nextOps++, m.seq(), "ops in order, each once");
                }
            }
            s.assertQuiet();
        }
        assertEquals(5, first.subscriptions(), "subscribed again after each of four kills");
    }

    @Test
    void anEntryThatIsNotAMessageIsLeftOutAndDeliveryGoesOn() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        await().atMost(WAIT).until(() -> store.subscriptions() >= 1);
        // Something else wrote into dev's stream: an entry without its time, as seq 1.
        redis.command("HINCRBY", "parley:seq", "dev", "1");
        assertTrue(redis.command("XADD", "parley:s:dev", "1-0", "u", "mallory", "x", "no time").startsWith("$"));
        // The next post's publication shows the gap; the repair reads the bad entry, leaves it
        // out, and delivery goes on, for this channel and the others.
        assertEquals(2, post(store, "dev", "alice", "after").seq());
        assertEquals("after", a.next().text());
        post(store, "ops", "alice", "elsewhere");
        assertEquals("elsewhere", a.next().text());
        assertEquals(List.of("after"), store.after("dev", 0, 10).messages().stream().map(ChatMessage::text).toList());
    }

    /**
     * A key of the store's that something else wrote: a post id's record saying its post was
     * seq 0. The post with that id is refused with the reason after one more try, and the post
     * queued behind it is stored without waiting out the first one's 10 s (at first the writer
     * ended, the post waited for ever and every later one was refused; then the first was tried
     * for its 10 s, and the next waited behind it).
     */
    @Test
    void aPostIdRecordTheStoreCannotReadRefusesThatPostAloneAndTheWriterGoesOn() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        await().atMost(WAIT).until(() -> store.subscriptions() >= 1);
        // What the script keeps for an id: channel, seq, time, tag and the SHA-1 of the text.
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                .digest("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals("+OK", redis.command("SET", "parley:id:p1:alice", "dev\n0\n1\nsomeone\n" + sha));
        CompletableFuture<ChatMessage> bad = store.append("dev", "alice", T, "hello", "p1", null);
        CompletableFuture<ChatMessage> next = store.append("dev", "alice", T, "next", "p2", null);
        long within = Writer.RETRY_MILLIS / 2;
        java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> bad.get(within, TimeUnit.MILLISECONDS));
        assertTrue(refused.getCause().getMessage().contains("gave answers the store cannot read"),
                refused.getCause().getMessage());
        assertEquals(1, next.get(within, TimeUnit.MILLISECONDS).seq());
        assertEquals("next", a.next().text());
    }

    @Test
    void aPostStoredAfterCloseRanOutOfTimeIsStillAnswered() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        await().atMost(WAIT).until(() -> store.subscriptions() >= 1);
        // Redis holds every write for a while: the post is sent, and answered only after close gave up on it.
        assertEquals("+OK", redis.command("CLIENT", "PAUSE", "4700", "WRITE"));
        CompletableFuture<ChatMessage> late = store.append("dev", "alice", T, "late", null, null);
        store.close();
        // Stored once Redis writes again, or refused as the store closes: answered either way,
        // never left waiting (a post the writer stored after the delivery had closed was).
        await().atMost(Duration.ofSeconds(15)).until(late::isDone);
        if (!late.isCompletedExceptionally()) {
            assertEquals("late", late.get().text());
        } else {
            java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, late::get);
            assertTrue(refused.getCause().getMessage().contains("was not stored"), refused.getCause().toString());
        }
    }

    @Test
    void aPubSubConnectionThatSaysNothingIsEndedAndSubscribedAgain() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        await().atMost(WAIT).until(() -> store.subscriptions() >= 1);
        long before = store.subscriptions();
        // Redis answers nobody for a while: the pings over pub/sub go unanswered, and a read of a
        // subscribed connection has no timeout of its own.
        assertEquals("+OK", redis.command("CLIENT", "PAUSE", "6000", "ALL"));
        await().atMost(Duration.ofSeconds(20)).until(() -> store.subscriptions() > before);
        assertEquals("after", post(store, "dev", "alice", "after").text());
        assertEquals("after", a.next().text());
    }

    /** Stores a message as the script would, without publishing it: a publication lost. */
    void storeUnpublished(String channel, String user, String text) throws IOException {
        String seq = redis.command("HINCRBY", "parley:seq", channel, "1").substring(1);
        assertTrue(redis.command("XADD", "parley:s:" + channel, seq + "-0", "u", user,
                "t", Long.toString(T.toEpochMilli()), "o", "", "x", text).startsWith("$"));
    }

    @Test
    void aMessageAheadOfTheNextIsHeldWhileTheGapIsFilledFromTheStream() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        await().atMost(WAIT).until(() -> store.subscriptions() >= 1);
        storeUnpublished("dev", "bob", "lost 1");
        storeUnpublished("dev", "bob", "lost 2");
        post(store, "dev", "alice", "three");
        assertEquals(List.of("lost 1", "lost 2", "three"), List.of(a.next().text(), a.next().text(), a.next().text()));
        assertEquals(2, store.repaired());
        a.assertQuiet();
    }

    @Test
    void theLastMessageOfABurstLostOnTheWayIsRepairedWithinASecondOrSo() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        await().atMost(WAIT).until(() -> store.subscriptions() >= 1);
        post(store, "dev", "alice", "one");
        assertEquals("one", a.next().text());
        storeUnpublished("dev", "bob", "lost");
        ChatMessage m = a.next(); // the channel was active: the next tick compares its counter
        assertEquals(2, m.seq());
        assertEquals("lost", m.text());
        a.assertQuiet();
    }

    @Test
    void aRestartedRedisThatLostEverythingIsANewEpochNumberedFromOne() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        String before = store.epoch();
        post(store, "dev", "alice", "one");
        post(store, "dev", "alice", "two");
        assertEquals(List.of(1L, 2L), List.of(a.next().seq(), a.next().seq()));

        redis.restart(); // SIGKILL, nothing saved
        ChatMessage after = post(store, "dev", "alice", "three"); // retried until Redis is back
        assertEquals(1, after.seq());
        assertNotEquals(before, store.epoch(), "a Redis that lost its numbering is a new epoch");
        assertEquals("three", a.next().text());
        assertEquals(1, store.latest("dev", 10).messages().size());
    }

    @Test
    void aRestartedRedisThatKeptEverythingIsStillANewEpochWithItsHistory() throws Exception {
        redis.close();
        redis = RedisProcess.start(dir.resolve("aof"), true);
        Sunk a = new Sunk();
        Sunk b = new Sunk();
        RedisStore first = open(a);
        RedisStore second = open(b);
        String before = first.epoch();
        post(first, "dev", "alice", "one");
        post(second, "dev", "bob", "two");

        redis.restart();
        ChatMessage third = post(second, "dev", "alice", "three");
        assertEquals(3, third.seq(), "the numbering goes on from what Redis kept");
        assertNotEquals(before, second.epoch(), "a restarted Redis may have lost writes: a new epoch");
        await().atMost(WAIT).until(() -> first.epoch().equals(second.epoch()));
        for (Sunk s : List.of(a, b)) {
            assertEquals(List.of("one", "two", "three"), List.of(s.next().text(), s.next().text(), s.next().text()));
            s.assertQuiet();
        }
        assertEquals(List.of("one", "two", "three"),
                first.latest("dev", 10).messages().stream().map(ChatMessage::text).toList());
    }

    @Test
    void aPostWaitsWhileRedisIsAwayAndIsStoredOnce() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        post(store, "dev", "alice", "before");
        a.next();
        redis.kill();
        CompletableFuture<ChatMessage> waiting = store.append("dev", "alice", T, "while away", "w.1", null);
        assertFalse(waiting.isDone());
        redis.restart();
        ChatMessage m = waiting.get(15, TimeUnit.SECONDS);
        assertEquals(1, m.seq());
        assertEquals("while away", a.next().text());
        a.assertQuiet();
    }

    @Test
    void aCallbackThatBlocksHoldsUpNoPostBeingStored() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<ChatMessage> first = store.append("dev", "alice", T, "one", null, null);
        CompletableFuture<Void> blocked = first.thenAccept(m -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        store.append("dev", "alice", T, "two", null, null);
        store.append("dev", "alice", T, "three", null, null);
        // Stored and delivered while the first post's callback blocks the completion thread.
        assertEquals(List.of("one", "two", "three"), List.of(a.next().text(), a.next().text(), a.next().text()));
        assertEquals(3, store.lastSeq("dev"));
        assertFalse(blocked.isDone());
        release.countDown();
        blocked.get(10, TimeUnit.SECONDS);
    }

    @Test
    void scriptsRedisForgotAreLoadedAgain() throws Exception {
        Sunk a = new Sunk();
        RedisStore store = open(a);
        post(store, "dev", "alice", "one");
        assertEquals("+OK", redis.command("SCRIPT", "FLUSH"));
        assertEquals(2, post(store, "dev", "alice", "two").seq());
        assertEquals("+OK", redis.command("SCRIPT", "FLUSH"));
        assertEquals(List.of("one", "two"), store.latest("dev", 5).messages().stream().map(ChatMessage::text).toList());
        assertEquals(List.of("one", "two"), List.of(a.next().text(), a.next().text()));
    }

    @Test
    void aRedisThatCannotBeReachedIsOneLine() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        IOException e = assertThrows(IOException.class,
                () -> RedisStore.builder(URI.create("redis://127.0.0.1:" + port)).open());
        assertEquals("cannot use Redis at 127.0.0.1:" + port + ": Connection refused", e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RedisStore.builder(URI.create("http://127.0.0.1:1")).open());
    }
}
