package org.parley.core;

import org.parley.core.internal.Names;

import org.parley.core.testing.RecordingListener;
import org.parley.core.testing.MemoryBackedStore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hub through its store seam: a store that stores later, fails, or feeds others' messages. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MessageStoreSeamTest {
    /**
     * A store that keeps its messages in a {@link MessageLog} but stores each append only when
     * the test says so, as a durable or shared store might, and can be fed messages it did not
     * append, as a shared store is.
     */
    private static final class LaterStore extends MemoryBackedStore {
        final BlockingQueue<Runnable> waiting = new LinkedBlockingQueue<>();
        final AtomicBoolean closed = new AtomicBoolean();
        volatile String failWith;

        @Override
        public String epoch() {
            return "later";
        }

        @Override
        public CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
                String postId, Object origin) {
            CompletableFuture<ChatMessage> stored = new CompletableFuture<>();
            waiting.add(() -> {
                if (failWith != null) {
                    stored.completeExceptionally(new ProtocolException(failWith));
                } else {
                    log.append(channel, user, time, text, postId, origin).thenAccept(stored::complete);
                }
            });
            return stored;
        }

        void storeNext() throws InterruptedException {
            Runnable next = waiting.poll(5, TimeUnit.SECONDS);
            if (next == null) {
                throw new AssertionError("nothing was appended");
            }
            next.run();
        }

        /** Another server's message, numbered here and handed to the hub without an origin. */
        void feed(String channel, String user, String text) {
            log.append(channel, user, Instant.EPOCH, text, null, null);
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    @Test
    void aPostIsDeliveredAndAcknowledgedOnlyOnceTheStoreHasStoredIt() throws Exception {
        LaterStore store = new LaterStore();
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store)) {
            RecordingListener listener = new RecordingListener();
            hub.subscribe("dev", listener);
            Object origin = new Object();
            CompletableFuture<ChatMessage> posted = hub.postAsync("dev", "alice", "hello", null, null, origin);
            assertFalse(posted.isDone());
            assertEquals(0, hub.history("dev", 0, 10).messages().size(), "nothing is stored yet");
            store.storeNext();
            ChatMessage m = posted.get(5, TimeUnit.SECONDS);
            assertEquals(1, m.seq());
            assertEquals(m, listener.next());
            assertEquals("later", hub.epoch());
        }
        assertTrue(store.closed.get(), "the hub closes its store");
    }

    @Test
    void aStoreThatCannotStoreMakesThePostFailWithItsReason() throws Exception {
        LaterStore store = new LaterStore();
        store.failWith = "the disk is full";
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store)) {
            CompletableFuture<ChatMessage> posted = hub.postAsync("dev", "alice", "hello", null, null, null);
            store.storeNext();
            ExecutionException e = assertThrows(ExecutionException.class, () -> posted.get(5, TimeUnit.SECONDS));
            assertEquals("the disk is full", e.getCause().getMessage());
            assertEquals(0, hub.history("dev", 0, 10).messages().size());
        }
    }

    @Test
    void messagesAStoreDidNotAppendReachTheListenersOfTheirChannelAndOfAll() throws Exception {
        LaterStore store = new LaterStore();
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store)) {
            BlockingQueue<Object[]> seen = new LinkedBlockingQueue<>();
            hub.subscribe("dev", (m, origin) -> seen.add(new Object[] {"dev", m, origin}));
            hub.subscribe(Names.ALL, (m, origin) -> seen.add(new Object[] {"ALL", m, origin}));
            store.feed("dev", "bob", "from another server");
            Object[] a = seen.poll(5, TimeUnit.SECONDS);
            Object[] b = seen.poll(5, TimeUnit.SECONDS);
            // Two subscriptions, two dispatchers: which hears it first is not defined.
            Object[] first = "dev".equals(a[0]) ? a : b;
            Object[] second = first == a ? b : a;
            assertEquals("dev", first[0]);
            assertEquals("ALL", second[0]);
            assertSame(first[1], second[1]);
            assertEquals("from another server", ((ChatMessage) first[1]).text());
            assertNull(first[2], "no origin: this hub did not post it");
            assertEquals(1, hub.history("dev", 0, 10).messages().size());
        }
    }
}
