package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.HubOptions;
import org.parley.core.MessageStore;

/**
 * {@link TopicServer#close()} lets what was acknowledged reach the subscribers that stay
 * connected: it stops posting, waits for the hub to hand over what it has stored, and lets
 * every connection drain before it closes.
 */
class GracefulCloseTest {
    private static final String SRC = "\"source\":{\"ip\":\"10.0.0.1\",\"port\":\"2000\"}";

    @Test
    void everyAcknowledgedMessageReachesASubscriberThatReadsOnlyOnceTheCloseHasBegun() throws Exception {
        LateStore store = new LateStore();
        ChatHub hub = ChatHub.create(HubOptions.defaults(), store);
        TopicServer server = TopicServer.start(TopicServerOptions.builder().hub(hub).build());
        int count = 300;
        String text = "x".repeat(10_000); // 3 MB in all: more than the sockets take before the subscriber reads
        try (RawClient subscriber = new RawClient(server.port(), 16 * 1024);
             RawClient poster = new RawClient(server.port())) {
            subscriber.register("dev");
            poster.register("dev");
            await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() >= 2);
            StringBuilder all = new StringBuilder();
            for (int i = 1; i <= count; i++) {
                all.append("{").append(SRC).append(",\"message\":{\"topic\":\"dev\",\"text\":\"").append(text)
                        .append(i).append("\",\"user\":\"kyle\",\"id\":\"k.").append(i).append("\"}}\n");
            }
            poster.write(all.toString());
            for (int i = 1; i <= count; i++) {
                assertEquals("k." + i, poster.json().get("ack").get("id").asText());
            }
            // All stored and acknowledged, none handed to the server yet. Close, then let the store hand them over.
            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            await().atMost(Duration.ofSeconds(5)).until(server::isStopping);
            store.handOver.countDown();
            for (int i = 1; i <= count; i++) {
                assertEquals("dev:" + text + i, subscriber.next());
            }
            assertTrue(subscriber.closedByServer());
            closing.get(10, TimeUnit.SECONDS);
        } finally {
            store.handOver.countDown();
            server.close();
            hub.close();
        }
    }

    /**
     * The in-memory store, but it hands what it stores to the hub only once {@link #handOver}
     * opens (as a store shared by several servers may hand a message over after its append has
     * completed): the server acknowledges before it has the message to deliver.
     */
    private static final class LateStore implements MessageStore {
        final MessageStore inner = MessageStore.inMemory(HubOptions.defaults());
        final CountDownLatch handOver = new CountDownLatch(1);
        private final BlockingQueue<Runnable> held = new LinkedBlockingQueue<>();

        @Override
        public void start(Sink sink) {
            inner.start((m, origin) -> held.add(() -> sink.stored(m, origin)));
            Thread t = new Thread(() -> {
                try {
                    handOver.await();
                    while (true) {
                        held.take().run();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "test-late-store");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public String epoch() {
            return inner.epoch();
        }

        @Override
        public CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
                String postId, Object origin) {
            return inner.append(channel, user, time, text, postId, origin);
        }

        @Override
        public HistoryPage after(String channel, long after, int limit) {
            return inner.after(channel, after, limit);
        }

        @Override
        public HistoryPage latest(String channel, int count) {
            return inner.latest(channel, count);
        }

        @Override
        public HistoryPage latestOfAll(int count) {
            return inner.latestOfAll(count);
        }

        @Override
        public long lastSeq(String channel) {
            return inner.lastSeq(channel);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
