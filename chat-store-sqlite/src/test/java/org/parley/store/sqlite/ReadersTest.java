package org.parley.store.sqlite;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The read connections against close(): no read waits for ever, no connection is left open. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadersTest {
    @TempDir
    Path dir;

    /** Reads that each hold a connection until {@code release} opens. */
    static List<CompletableFuture<Object>> hold(Readers readers, int n, CountDownLatch release) throws Exception {
        CountDownLatch held = new CountDownLatch(n);
        List<CompletableFuture<Object>> reads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reads.add(onThread(() -> readers.read(r -> {
                held.countDown();
                awaitQuietly(release);
                return "done";
            })));
        }
        assertTrue(held.await(10, TimeUnit.SECONDS), "the reads took their connections");
        return reads;
    }

    static CompletableFuture<Object> onThread(java.util.function.Supplier<Object> read) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(read.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        }, "test-read");
        t.setDaemon(true);
        t.start();
        return f;
    }

    static void awaitQuietly(CountDownLatch latch) {
        try {
            assertTrue(latch.await(30, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Readers readers() throws Exception {
        Path file = dir.resolve("chat.db");
        SqliteStore.builder(file).open().close(); // a store's schema, then its file alone
        return new Readers(file);
    }

    @Test
    void aReadWaitingForAConnectionWhileTheStoreClosesFailsInsteadOfWaitingForEver() throws Exception {
        Readers readers = readers();
        CountDownLatch release = new CountDownLatch(1);
        List<CompletableFuture<Object>> busy = hold(readers, Readers.SIZE, release);
        // A fifth read got past its look at "closed" and is about to wait for a connection...
        CountDownLatch atWait = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        readers.beforeWait = () -> {
            atWait.countDown();
            awaitQuietly(go);
        };
        CompletableFuture<Object> waiting = onThread(() -> readers.read(r -> "read"));
        assertTrue(atWait.await(10, TimeUnit.SECONDS));
        // ...when the store closes and every connection comes back to close().
        CompletableFuture<Object> closing = onThread(() -> {
            readers.close(10_000);
            return "closed";
        });
        release.countDown();
        assertEquals("closed", closing.get(20, TimeUnit.SECONDS));
        for (CompletableFuture<Object> f : busy) {
            assertEquals("done", f.get(10, TimeUnit.SECONDS), "a read under way at close ends normally");
        }
        go.countDown();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertEquals("store is closed", e.getCause().getMessage());
        assertEquals(0, readers.openConnections());
    }

    @Test
    void aConnectionGivenBackAfterCloseGaveUpWaitingIsClosed() throws Exception {
        Readers readers = readers();
        CountDownLatch release = new CountDownLatch(1);
        List<CompletableFuture<Object>> busy = hold(readers, 2, release);
        readers.close(0); // does not wait for the two reads under way
        assertEquals(2, readers.openConnections(), "the idle ones are closed at once");
        release.countDown();
        for (CompletableFuture<Object> f : busy) {
            assertEquals("done", f.get(10, TimeUnit.SECONDS));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> readers.openConnections() == 0);
        assertThrows(IllegalStateException.class, () -> readers.read(r -> "late"));
    }
}
