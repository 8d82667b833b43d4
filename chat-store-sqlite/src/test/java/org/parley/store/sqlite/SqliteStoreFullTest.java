package org.parley.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatMessage;
import org.parley.core.ProtocolException;

/**
 * A store that fills up while it runs: posts fail with the reason, history is still served,
 * nothing acknowledged is lost, nothing refused is delivered later, and posts are taken again
 * once there is room.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SqliteStoreFullTest {
    static final Instant T = Instant.parse("2026-11-21T22:50:51.123Z");

    @TempDir
    Path dir;

    /** What became of a run of posts: the acknowledged, and the refusals' reasons. */
    record Outcome(List<ChatMessage> acknowledged, List<String> refusals) {
    }

    /** Posts {@code count} texts of {@code size} characters as fast as the store takes them. */
    static Outcome burst(SqliteStore store, String prefix, int count, int size) throws Exception {
        List<CompletableFuture<ChatMessage>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(store.append("dev", "alice", T, prefix + i + " " + "x".repeat(size), prefix + i, null));
        }
        Outcome o = new Outcome(new ArrayList<>(), new ArrayList<>());
        for (CompletableFuture<ChatMessage> f : futures) {
            try {
                o.acknowledged.add(f.get(30, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof ProtocolException, e.getCause().toString());
                o.refusals.add(e.getCause().getMessage());
            }
        }
        return o;
    }

    /** Every acknowledged message is in the store, and the channel holds nothing else. */
    static void holdsExactly(SqliteStore store, List<ChatMessage> acknowledged) {
        List<ChatMessage> held = new ArrayList<>();
        long after = 0;
        while (true) {
            List<ChatMessage> page = store.after("dev", after, 1000).messages();
            if (page.isEmpty()) {
                break;
            }
            held.addAll(page);
            after = page.get(page.size() - 1).seq();
        }
        assertEquals(acknowledged, held);
        for (int i = 0; i < held.size(); i++) {
            assertEquals(i + 1, held.get(i).seq(), "gap-free");
        }
    }

    @Test
    void aStoreAtItsSizeLimitRefusesPostsWithTheReasonAndTakesThemAgainOnceThereIsRoom() throws Exception {
        Path file = dir.resolve("chat.db");
        List<ChatMessage> delivered = java.util.Collections.synchronizedList(new ArrayList<>());
        List<ChatMessage> acknowledged = new ArrayList<>();
        try (SqliteStore store = SqliteStore.builder(file).open()) {
            store.start((m, o) -> delivered.add(m));
            acknowledged.addAll(burst(store, "before ", 50, 100).acknowledged());
            assertEquals(50, acknowledged.size());
            // SQLite answers SQLITE_FULL at max_page_count exactly as on a full disk.
            long pages = store.pragma("page_count");
            assertEquals(pages + 2, store.pragma("max_page_count = " + (pages + 2)));
            Outcome full = burst(store, "while full ", 400, 2000);
            acknowledged.addAll(full.acknowledged());
            assertTrue(full.refusals().size() > 0, "the store never filled");
            assertEquals(List.of("the store is full: the post was not stored"),
                    full.refusals().stream().distinct().toList());

            holdsExactly(store, acknowledged); // history still served, and only what was acknowledged
            assertEquals(acknowledged.size(), store.lastSeq("dev"));

            store.pragma("max_page_count = 1000000");
            Outcome later = burst(store, "after ", 20, 100);
            assertEquals(List.of(), later.refusals());
            assertEquals(acknowledged.size() + 1, later.acknowledged().get(0).seq(), "the refused left no gap");
            acknowledged.addAll(later.acknowledged());
            holdsExactly(store, acknowledged);
            // A refused post sent again, same id and text, is stored now: nothing of it was kept.
            String lastText = "while full 399 " + "x".repeat(2000);
            assertTrue(full.acknowledged().stream().noneMatch(m -> m.text().equals(lastText)), "the last was refused");
            ChatMessage retried = store.append("dev", "alice", T, lastText, "while full 399", null)
                    .get(10, TimeUnit.SECONDS);
            assertEquals(acknowledged.size() + 1, retried.seq());
            acknowledged.add(retried);
        }
        assertEquals(acknowledged, delivered, "delivered: exactly the acknowledged, in order");
        try (SqliteStore again = SqliteStore.builder(file).open()) {
            again.start((m, o) -> { });
            holdsExactly(again, acknowledged);
        }
    }

    @Test
    void aFullDiskRefusesPostsAndTheyAreTakenAgainOnceSpaceIsFreed() throws Exception {
        Path mount = dir.resolve("small");
        Files.createDirectory(mount);
        Assumptions.assumeTrue(SqliteStoreOpenTest.ReadOnly.run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs",
                mount.toString()), "mounting a small tmpfs needs root (CAP_SYS_ADMIN); not possible here");
        try {
            Path file = mount.resolve("chat.db");
            Path ballast = mount.resolve("ballast");
            List<ChatMessage> acknowledged = new ArrayList<>();
            try (SqliteStore store = SqliteStore.builder(file).open()) {
                store.start((m, o) -> { });
                acknowledged.addAll(burst(store, "before ", 20, 100).acknowledged());
                // Fill the disk but for a little, then post until it is full.
                Files.write(ballast, new byte[(int) (Files.getFileStore(mount).getUsableSpace() - 256 * 1024)]);
                List<String> refusals = new ArrayList<>();
                for (int round = 0; round < 20 && refusals.isEmpty(); round++) {
                    Outcome o = burst(store, "round " + round + " ", 50, 4000);
                    acknowledged.addAll(o.acknowledged());
                    refusals.addAll(o.refusals());
                }
                assertTrue(refusals.size() > 0, "the disk never filled");
                assertTrue(refusals.stream().allMatch(r -> r.equals("the store is full: the post was not stored")
                        || r.startsWith("the store could not write to its disk")), refusals.toString());
                holdsExactly(store, acknowledged);

                Files.delete(ballast);
                Outcome later = burst(store, "after ", 20, 100);
                assertEquals(List.of(), later.refusals());
                acknowledged.addAll(later.acknowledged());
                holdsExactly(store, acknowledged);
            }
            try (SqliteStore again = SqliteStore.builder(file).open()) {
                holdsExactly(again, acknowledged);
            }
        } finally {
            SqliteStoreOpenTest.ReadOnly.run("umount", mount.toString());
        }
    }
}
