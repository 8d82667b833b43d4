package org.parley.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HubOptions;
import org.parley.core.ProtocolException;
import org.parley.core.testing.MemoryBackedStore;

/** A store that takes its time, as a durable one does, never reorders a connection's replies. */
class WebSlowStoreTest {
    /** Stores each post on a thread of its own once the test lets it, or refuses it. */
    private static final class SlowStore extends MemoryBackedStore {
        final Semaphore permits = new Semaphore(0);
        final ExecutorService storing = Executors.newSingleThreadExecutor();

        @Override
        public String epoch() {
            return "slow";
        }

        @Override
        public CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
                String postId, Object origin) {
            CompletableFuture<ChatMessage> stored = new CompletableFuture<>();
            storing.execute(() -> {
                permits.acquireUninterruptibly();
                if (text.startsWith("refuse")) {
                    stored.completeExceptionally(new ProtocolException("the store is full: the post was not stored"));
                } else {
                    stored.complete(log.append(channel, user, time, text, postId, origin).join());
                }
            });
            return stored;
        }

        @Override
        public void close() {
            storing.shutdownNow();
            log.close();
        }
    }

    @Test
    void repliesComeInTheOrderOfTheRequestsWhateverTheStoreTakes() throws Exception {
        SlowStore store = new SlowStore();
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store);
             WebServer server = WebServer.start(WebServerOptions.builder().port(0).hub(hub).build());
             WsClient c = WsClient.connect(server.port())) {
            c.sendJson("{'user':'alice','channel':'dev','text':'first','ref':'1'}");
            c.sendJson("{'type':'channels','ref':'2'}");
            c.sendJson("{'user':'alice','channel':'dev','text':'refuse me','ref':'3'}");
            c.sendJson("{'type':'subscribe','channel':'dev','ref':'4'}");
            c.sendJson("{'user':'alice','channel':'dev','text':'last','ref':'5'}");
            assertNull(c.poll(Duration.ofMillis(300)), "nothing before the first post is stored");

            store.permits.release(3);
            JsonNode first = c.next();
            assertEquals("1", first.get("ref").asText());
            assertEquals(1, first.get("seq").asLong());
            assertEquals("2", c.next().get("ref").asText());
            JsonNode refused = c.next();
            assertEquals("3", refused.get("ref").asText());
            assertFalse(refused.get("ok").asBoolean());
            assertEquals("the store is full: the post was not stored", refused.get("error").asText());
            JsonNode subscribed = c.next();
            assertEquals("4", subscribed.get("ref").asText());
            assertEquals(1, subscribed.get("count").asInt());
            assertEquals("first", c.next().get("text").asText());
            JsonNode last = c.next(n -> n.has("ok"));
            assertEquals("5", last.get("ref").asText());
            assertTrue(last.get("ok").asBoolean());
        }
    }

    @Test
    void repliesHeldBehindAPostBeingStoredCountAsWaitingAndCutAPeerThatAsksOn() throws Exception {
        SlowStore store = new SlowStore();
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store);
             WebServer server = WebServer.start(WebServerOptions.builder().port(0).hub(hub)
                     .maxQueuedBytes(128 * 1024).build());
             WsClient greedy = WsClient.connect(server.port());
             WsClient other = WsClient.connect(server.port())) {
            store.permits.release(20);
            for (int i = 0; i < 20; i++) { // history worth keeping: each reply below holds them all
                hub.post("dev", "bob", "x".repeat(4000) + i, null, null);
            }
            greedy.sendJson("{'user':'alice','channel':'dev','text':'held','ref':'p'}");
            for (int i = 0; i < 100; i++) {
                greedy.sendWithoutWaiting("{\"type\":\"history\",\"channel\":\"dev\",\"last\":20,\"ref\":\"h" + i + "\"}");
            }
            // About 80 KB a reply, held: past 128 KiB of them the peer is cut as a slow reader.
            assertEquals(1006, greedy.closed.get(10, java.util.concurrent.TimeUnit.SECONDS).intValue());
            // Nobody else waited: another connection is answered, and the store goes on.
            other.sendJson("{'type':'history','channel':'dev','last':1,'ref':'o'}");
            assertEquals("o", other.next().get("ref").asText());
            store.permits.release(1);
        }
    }

    /** A store whose reads of channel "slow" wait until the test lets them. */
    private static final class SlowReads extends MemoryBackedStore {
        final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

        @Override
        public String epoch() {
            return "slow-reads";
        }

        @Override
        public CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
                String postId, Object origin) {
            return log.append(channel, user, time, text, postId, origin);
        }

        @Override
        public org.parley.core.HistoryPage latest(String channel, int count) {
            if (channel.equals("slow")) {
                entered.countDown();
                try {
                    release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.latest(channel, count);
        }

        @Override
        public void close() {
            log.close();
        }
    }

    @Test
    void aSubscriptionWhoseStoreReadWaitsHoldsUpNobodyElsesDelivery() throws Exception {
        SlowReads store = new SlowReads();
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store);
             WebServer server = WebServer.start(WebServerOptions.builder().port(0).hub(hub).build());
             WsClient reader = WsClient.connect(server.port());
             WsClient waiting = WsClient.connect(server.port())) {
            reader.subscribe("dev");
            waiting.sendWithoutWaiting("{\"type\":\"subscribe\",\"channel\":\"slow\",\"ref\":\"s\"}");
            assertTrue(store.entered.await(10, java.util.concurrent.TimeUnit.SECONDS));
            // A message of its channel comes to the waiting connection meanwhile, then one for
            // another: the hub's one dispatcher must not wait for the connection that reads.
            hub.post("slow", "bob", "while it reads", null, null);
            hub.post("dev", "bob", "not held up", null, null);
            assertEquals("not held up", reader.next(n -> n.has("text")).get("text").asText());
            store.release.countDown();
            assertEquals("s", waiting.next().get("ref").asText());
            assertEquals("while it reads", waiting.next(n -> n.has("text")).get("text").asText(),
                    "what came while it read comes after, once");
        }
    }
}
