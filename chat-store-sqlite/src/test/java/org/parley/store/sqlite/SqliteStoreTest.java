package org.parley.store.sqlite;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.HubOptions;
import org.parley.core.ProtocolException;
import org.parley.core.testing.RecordingListener;

/** The store's contract on real files: numbering, history, post ids, the sink, restarts, grouping, retention. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SqliteStoreTest {
    static final Instant T = Instant.parse("2026-11-21T22:50:51.123Z");

    @TempDir
    Path dir;

    /** The sink's calls, in order. */
    static final class Sunk {
        final BlockingQueue<ChatMessage> messages = new LinkedBlockingQueue<>();
        final List<Object> origins = java.util.Collections.synchronizedList(new ArrayList<>());

        void stored(ChatMessage m, Object origin) {
            messages.add(m);
            origins.add(origin);
        }
    }

    static SqliteStore open(Path file, Sunk sunk) throws Exception {
        SqliteStore store = SqliteStore.builder(file).open();
        store.start(sunk::stored);
        return store;
    }

    static ChatMessage post(SqliteStore store, String channel, String user, String text) throws Exception {
        return store.append(channel, user, T, text, null, null).get(10, TimeUnit.SECONDS);
    }

    @Test
    void eachChannelIsNumberedFromOneAndItsHistoryReadBack() throws Exception {
        Sunk sunk = new Sunk();
        try (SqliteStore store = open(dir.resolve("chat.db"), sunk)) {
            assertEquals(1, post(store, "dev", "alice", "one").seq());
            assertEquals(2, post(store, "dev", "bob", "two").seq());
            assertEquals(1, post(store, "ops", "olga", "first in ops").seq());
            assertEquals(3, post(store, "dev", "alice", "three").seq());

            HistoryPage page = store.after("dev", 1, 10);
            assertEquals(List.of("two", "three"), page.messages().stream().map(ChatMessage::text).toList());
            assertEquals(1, page.first());
            assertEquals(3, page.last());
            assertEquals(new ChatMessage("dev", 2, "bob", T, "two"), page.messages().get(0), "every field read back");
            assertEquals(List.of(2L), store.after("dev", 1, 1).messages().stream().map(ChatMessage::seq).toList());
            assertEquals(List.of(2L, 3L), store.latest("dev", 2).messages().stream().map(ChatMessage::seq).toList());
            assertEquals(List.of("two", "first in ops", "three"),
                    store.latestOfAll(3).messages().stream().map(ChatMessage::text).toList(), "in the order stored");
            assertEquals(3, store.lastSeq("dev"));
            assertEquals(0, store.lastSeq("nobody"));
            HistoryPage none = store.after("nobody", 0, 10);
            assertEquals(List.of(), none.messages());
            assertEquals(0, none.first());
            assertEquals(0, none.last());
            assertEquals(List.of("one", "two", "first in ops", "three"),
                    drain(sunk, 4).stream().map(ChatMessage::text).toList());
        }
    }

    @Test
    void aRestartKeepsHistoryEpochAndNumbering() throws Exception {
        Path file = dir.resolve("chat.db");
        String epoch;
        try (SqliteStore store = open(file, new Sunk())) {
            epoch = store.epoch();
            for (int i = 1; i <= 5; i++) {
                post(store, "dev", "alice", "before " + i);
            }
        }
        try (SqliteStore again = open(file, new Sunk())) {
            assertEquals(epoch, again.epoch());
            assertEquals(5, again.lastSeq("dev"));
            assertEquals(List.of("before 1", "before 5"), List.of(again.latest("dev", 5).messages().get(0).text(),
                    again.latest("dev", 5).messages().get(4).text()));
            assertEquals(6, post(again, "dev", "bob", "after").seq(), "no gap, no repeat");
        }
        try (SqliteStore other = open(dir.resolve("other.db"), new Sunk())) {
            assertNotEquals(epoch, other.epoch(), "a new file is a new numbering space");
        }
    }

    @Test
    void theSinkGetsEveryMessageOnceAndEachChannelInSeqOrder() throws Exception {
        Sunk sunk = new Sunk();
        try (SqliteStore store = open(dir.resolve("chat.db"), sunk)) {
            List<CompletableFuture<ChatMessage>> all = new ArrayList<>();
            List<Thread> posters = new ArrayList<>();
            List<Object> origins = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                int poster = t;
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 250; i++) {
                        Object origin = "poster " + poster + " #" + i;
                        origins.add(origin);
                        CompletableFuture<ChatMessage> f = store.append("c" + (i % 3), "u" + poster, T, "m" + i, null,
                                origin);
                        synchronized (all) {
                            all.add(f);
                        }
                    }
                });
                posters.add(thread);
                thread.start();
            }
            for (Thread thread : posters) {
                thread.join();
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            List<ChatMessage> got = drain(sunk, 1000);
            Map<String, Long> last = new HashMap<>();
            for (ChatMessage m : got) {
                long expected = last.getOrDefault(m.channel(), 0L) + 1;
                assertEquals(expected, m.seq(), "channel " + m.channel() + " in order, no gap");
                last.put(m.channel(), m.seq());
            }
            assertEquals(1000, last.values().stream().mapToLong(Long::longValue).sum());
            assertEquals(new java.util.HashSet<>(origins), new java.util.HashSet<>(sunk.origins),
                    "each post's origin with it");
            assertEquals(null, sunk.messages.poll(200, TimeUnit.MILLISECONDS), "nothing twice");
        }
    }

    @Test
    void postsArrivingTogetherShareACommit() throws Exception {
        try (SqliteStore store = open(dir.resolve("chat.db"), new Sunk())) {
            List<CompletableFuture<ChatMessage>> all = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                all.add(store.append("dev", "alice", T, "burst " + i, null, null));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long commits = store.commits();
            assertTrue(commits >= 2 && commits <= 200, commits + " commits for 2000 posts");
            assertEquals(2000, store.lastSeq("dev"));
        }
    }

    @Test
    void aPostSentAgainIsStoredOnceAndAnsweredWithTheFirst() throws Exception {
        Path file = dir.resolve("chat.db");
        Sunk sunk = new Sunk();
        try (SqliteStore store = open(file, sunk)) {
            ChatMessage first = store.append("dev", "alice", T, "hello", "p1", null).get(10, TimeUnit.SECONDS);
            ChatMessage again = store.append("dev", "alice", T.plusSeconds(5), "hello", "p1", null)
                    .get(10, TimeUnit.SECONDS);
            assertEquals(first, again);
            // Another user may use the same id.
            assertEquals(2, store.append("dev", "bob", T, "hello", "p1", null).get(10, TimeUnit.SECONDS).seq());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> store.append("dev", "alice", T, "other text", "p1", null).get(10, TimeUnit.SECONDS));
            assertEquals("post id \"p1\" was used before for another post; each post needs an id of its own",
                    e.getCause().getMessage());
            assertTrue(e.getCause() instanceof ProtocolException);
            assertThrows(ExecutionException.class,
                    () -> store.append("ops", "alice", T, "hello", "p1", null).get(10, TimeUnit.SECONDS));
            assertEquals(2, drain(sunk, 2).size());
            assertEquals(null, sunk.messages.poll(200, TimeUnit.MILLISECONDS), "a repeat is not delivered");
        }
        Sunk after = new Sunk();
        try (SqliteStore store = open(file, after)) {
            ChatMessage again = store.append("dev", "alice", T, "hello", "p1", null).get(10, TimeUnit.SECONDS);
            assertEquals(1, again.seq(), "remembered across a restart");
            assertEquals(2, store.lastSeq("dev"));
            assertEquals(null, after.messages.poll(200, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void aPostSentTwiceInOneBatchIsStoredOnce() throws Exception {
        Sunk sunk = new Sunk();
        try (SqliteStore store = SqliteStore.builder(dir.resolve("chat.db")).open()) {
            // Appended before the writer starts: all three wait in the queue and go in one batch.
            CompletableFuture<ChatMessage> a = store.append("dev", "alice", T, "hello", "p1", null);
            CompletableFuture<ChatMessage> b = store.append("dev", "alice", T, "hello", "p1", null);
            CompletableFuture<ChatMessage> c = store.append("dev", "alice", T, "changed", "p1", null);
            store.start(sunk::stored);
            assertEquals(a.get(10, TimeUnit.SECONDS), b.get(10, TimeUnit.SECONDS));
            assertThrows(ExecutionException.class, () -> c.get(10, TimeUnit.SECONDS));
            assertEquals(1, store.commits());
            assertEquals(1, store.lastSeq("dev"));
            assertEquals(1, drain(sunk, 1).size());
            assertEquals(null, sunk.messages.poll(200, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void eachChannelKeepsItsNewestMessagesAndItsNumbering() throws Exception {
        try (SqliteStore store = SqliteStore.builder(dir.resolve("chat.db")).keepPerChannel(10).open()) {
            store.start((m, o) -> { });
            for (int i = 1; i <= 25; i++) {
                post(store, "dev", "alice", "m" + i);
            }
            post(store, "ops", "olga", "only one");
            // Deleted a few at a time, with the next batch or when the writer is idle.
            await().atMost(Duration.ofSeconds(10)).until(() -> store.after("dev", 0, 100).first() == 16);
            HistoryPage dev = store.after("dev", 0, 100);
            assertEquals(10, dev.messages().size());
            assertEquals(25, dev.last());
            assertEquals(1, store.after("ops", 0, 100).messages().size());
            assertEquals(26, post(store, "dev", "alice", "next").seq());
        }
    }

    @Test
    void aBoundLoweredSinceTheFileWasWrittenIsAppliedWithoutAPost() throws Exception {
        Path file = dir.resolve("chat.db");
        try (SqliteStore store = open(file, new Sunk())) {
            for (int i = 1; i <= 30; i++) {
                store.append("dev", "alice", T, "m" + i, null, null);
            }
            post(store, "dev", "alice", "m31");
        }
        try (SqliteStore store = SqliteStore.builder(file).keepPerChannel(10).open()) {
            store.start((m, o) -> { });
            await().atMost(Duration.ofSeconds(10)).until(() -> store.after("dev", 0, 100).first() == 22);
            assertEquals(10, store.after("dev", 0, 100).messages().size());
        }
    }

    @Test
    void closeCommitsWhatIsQueuedAndAPostAfterItIsRefused() throws Exception {
        Path file = dir.resolve("chat.db");
        List<CompletableFuture<ChatMessage>> queued = new ArrayList<>();
        SqliteStore store = open(file, new Sunk());
        for (int i = 1; i <= 500; i++) {
            queued.add(store.append("dev", "alice", T, "m" + i, null, null));
        }
        store.close();
        for (CompletableFuture<ChatMessage> f : queued) {
            assertTrue(f.isDone(), "close returned before a post was answered");
        }
        long stored = queued.stream().filter(f -> !f.isCompletedExceptionally()).count();
        assertEquals(500, stored, "all written within close's two seconds");
        assertThrows(IllegalStateException.class, () -> store.append("dev", "alice", T, "late", null, null));
        store.close(); // idempotent
        try (SqliteStore again = open(file, new Sunk())) {
            assertEquals(500, again.lastSeq("dev"));
        }
    }

    @Test
    void oldMessagesAreDeletedAndTheNumberingGoesOn() throws Exception {
        try (SqliteStore store = SqliteStore.builder(dir.resolve("chat.db")).keepFor(Duration.ofMillis(1)).open()) {
            store.start((m, o) -> { });
            for (int i = 1; i <= 3; i++) {
                post(store, "dev", "alice", "m" + i);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> store.after("dev", 0, 100).messages().isEmpty());
            assertEquals(3, store.lastSeq("dev"), "an emptied channel keeps its numbering");
            assertEquals(4, post(store, "dev", "alice", "later").seq());
        }
    }

    @Test
    void readsDoNotWaitForAWriteInProgress() throws Exception {
        Path file = dir.resolve("chat.db");
        try (SqliteStore store = open(file, new Sunk())) {
            post(store, "dev", "alice", "committed");
            // Another connection holds the write lock, mid-transaction, as a long commit would.
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file)) {
                try (Statement s = other.createStatement()) {
                    s.execute("BEGIN IMMEDIATE");
                    s.execute("INSERT INTO meta (key, value) VALUES ('busy', 'yes')");
                    long t0 = System.nanoTime();
                    assertEquals(1, store.after("dev", 0, 10).messages().size());
                    assertEquals(1, store.latest("dev", 10).messages().size());
                    assertEquals(1, store.latestOfAll(10).messages().size());
                    assertEquals(1, store.lastSeq("dev"));
                    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "reads waited");
                    s.execute("ROLLBACK");
                }
            }
        }
    }

    @Test
    void aHubOnTheStoreDeliversAndAnswersHistory() throws Exception {
        Path file = dir.resolve("chat.db");
        String epoch;
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), SqliteStore.builder(file).open())) {
            RecordingListener listener = new RecordingListener();
            hub.subscribe("dev", listener);
            ChatMessage m = hub.post("dev", "alice", "hello", T, null);
            assertEquals(m, listener.next());
            epoch = hub.epoch();
        }
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), SqliteStore.builder(file).open())) {
            assertEquals(epoch, hub.epoch());
            assertEquals("hello", hub.recent("dev", 10).messages().get(0).text());
            assertEquals(2, hub.post("dev", "bob", "again", T, null).seq());
        }
    }

    @Test
    void optionsRefuseNonsenseByName() {
        SqliteStore.Builder b = SqliteStore.builder(dir.resolve("x.db"));
        assertEquals("keepPerChannel < 1: 0",
                assertThrows(IllegalArgumentException.class, () -> b.keepPerChannel(0)).getMessage());
        assertEquals("keepFor must be positive, not PT0S",
                assertThrows(IllegalArgumentException.class, () -> b.keepFor(Duration.ZERO)).getMessage());
    }

    static List<ChatMessage> drain(Sunk sunk, int n) throws InterruptedException {
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ChatMessage m = sunk.messages.poll(10, TimeUnit.SECONDS);
            if (m == null) {
                throw new AssertionError("the sink got " + out.size() + " of " + n);
            }
            out.add(m);
        }
        return out;
    }
}
