package org.parley.zmq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HubOptions;
import org.parley.core.testing.MemoryBackedStore;
import org.parley.core.ProtocolException;
import org.parley.zmq.internal.IoTicker;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** A store that takes its time (as a durable one does) never reorders a peer's replies or acks before PUB. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Stores each append on its own thread once the test lets it, or refuses it. */
    private static final class SlowStore extends MemoryBackedStore {
        final Semaphore permits = new Semaphore(0);
        final ExecutorService storing = Executors.newSingleThreadExecutor();
        volatile String refuseWith;
        /** When set, a stored message's future completes only after a permit of this, later than its sink call. */
        volatile Semaphore completions;
        /** Hands its sink no origin, as a shared store that forgot it does. */
        volatile boolean forgetsOrigins;
        /** While set, what is stored reaches the sink only when {@link #releaseSink} is called: a shared store's lag. */
        volatile boolean holdsSink;
        private final java.util.List<Runnable> heldSink = new java.util.ArrayList<>();

        @Override
        public void start(Sink sink) {
            super.start((message, origin) -> {
                synchronized (heldSink) {
                    if (holdsSink) {
                        heldSink.add(() -> sink.stored(message, origin));
                        return;
                    }
                }
                sink.stored(message, origin);
            });
        }

        /** Hands the sink what it held, in order, and stops holding. */
        void releaseSink() {
            synchronized (heldSink) {
                holdsSink = false;
                heldSink.forEach(Runnable::run);
                heldSink.clear();
            }
        }
        final java.util.concurrent.CountDownLatch blockEntered = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch blockRelease = new java.util.concurrent.CountDownLatch(1);

        @Override
        public String epoch() {
            return "slow";
        }

        @Override
        public CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
                String postId, Object origin) {
            if (text.startsWith("sync:")) { // another transport's post, stored at once
                return log.append(channel, user, time, text, postId, origin);
            }
            if (text.equals("block")) { // holds the posting thread (the server's) until released
                blockEntered.countDown();
                try {
                    blockRelease.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return log.append(channel, user, time, text, postId, origin);
            }
            CompletableFuture<ChatMessage> stored = new CompletableFuture<>();
            storing.execute(() -> {
                try {
                    permits.acquire();
                } catch (InterruptedException e) {
                    stored.completeExceptionally(e);
                    return;
                }
                if (refuseWith != null) {
                    stored.completeExceptionally(new ProtocolException(refuseWith));
                } else {
                    ChatMessage m = log.append(channel, user, time, text, postId, forgetsOrigins ? null : origin)
                            .join(); // calls the sink
                    Semaphore later = completions;
                    if (later != null) {
                        try {
                            later.acquire();
                        } catch (InterruptedException e) {
                            stored.completeExceptionally(e);
                            return;
                        }
                    }
                    stored.complete(m);
                }
            });
            return stored;
        }

        @Override
        public void close() {
            storing.shutdownNow();
        }
    }

    private static byte[] post(String channel, String text) {
        return ("{\"user\":\"a\",\"channel\":\"" + channel + "\",\"text\":\"" + text + "\"}").getBytes(UTF_8);
    }

    private static void send(ZMQ.Socket dealer, byte[] body) {
        dealer.sendMore(new byte[0]);
        dealer.send(body, 0);
    }

    private static JsonNode reply(ZMQ.Socket dealer) throws Exception {
        byte[] delimiter = dealer.recv(0);
        assertNotNull(delimiter, "no reply within 5 s");
        return JSON.readTree(dealer.recv(0));
    }

    /**
     * A SUB socket subscribed to {@code channels} and a DEALER of {@code server}, returned once the
     * subscription is in effect: posts to the first channel (each stored at once) until one
     * reaches PUB, and drops what the probes published.
     */
    private static ZMQ.Socket[] subAndDealer(ZContext raw, ZmqChatServer server, SlowStore store, String... channels)
            throws Exception {
        ZMQ.Socket sub = raw.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setReceiveTimeOut(5000);
        for (String channel : channels) {
            sub.subscribe((channel + "\0").getBytes(UTF_8));
        }
        sub.connect("tcp://127.0.0.1:" + server.pubPort());
        ZMQ.Socket dealer = raw.createSocket(SocketType.DEALER);
        dealer.setLinger(0);
        dealer.setReceiveTimeOut(5000);
        dealer.connect("tcp://127.0.0.1:" + server.postPort());
        for (int i = 0; ; i++) {
            send(dealer, post(channels[0], "probe " + i));
            store.permits.release();
            assertTrue(reply(dealer).get("ok").asBoolean());
            if (sub.recv(ZMQ.DONTWAIT) != null) {
                sub.recv(0);
                break;
            }
            assertTrue(i < 100, "the subscription never took effect");
        }
        while (sub.recv(ZMQ.DONTWAIT) != null) {
            // drop the probes' frames
        }
        return new ZMQ.Socket[] {sub, dealer};
    }

    /** Posts {@code text} through the hub and reads PUB until it comes (true) or 5 s pass in silence. */
    private static boolean published(ZMQ.Socket sub, ChatHub hub, String channel, String text) throws Exception {
        hub.post(channel, "b", text, null, null);
        while (sub.recv(0) != null) {
            if (JSON.readTree(sub.recv(0)).get("text").asText().equals(text)) {
                return true;
            }
        }
        return false;
    }

    /** Another transport posts to {@code channel}: the next publication is that post, nothing repeated before it. */
    private static void assertNothingMoreBeforeTheNextPost(ChatHub hub, ZMQ.Socket sub, String channel) throws Exception {
        hub.post(channel, "b", "sync:next", null, null);
        JsonNode next = nextPublished(sub);
        assertNotNull(next, "the next post never reached PUB");
        assertEquals("sync:next", next.get("text").asText(), "PUB repeated a post: " + next);
    }

    /** The next publication that is not a probe's (one may come late), or null after 5 s of silence. */
    private static JsonNode nextPublished(ZMQ.Socket sub) throws Exception {
        while (sub.recv(0) != null) {
            JsonNode m = JSON.readTree(sub.recv(0));
            if (!m.get("text").asText().startsWith("probe")) {
                return m;
            }
        }
        return null;
    }

    /** A server on a slow store's hub, a SUB of {@code channels} and a DEALER, ready (see {@link #subAndDealer}). */
    private record Rig(SlowStore store, ChatHub hub, ZmqChatServer server, ZContext raw, ZMQ.Socket sub,
            ZMQ.Socket dealer) implements AutoCloseable {
        static Rig of(String... channels) throws Exception {
            SlowStore store = new SlowStore();
            ChatHub hub = ChatHub.create(HubOptions.defaults(), store);
            ZmqChatServer server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).hub(hub).build());
            ZContext raw = new ZContext(1);
            try {
                IoTicker.attach(raw);
                ZMQ.Socket[] sockets = subAndDealer(raw, server, store, channels);
                return new Rig(store, hub, server, raw, sockets[0], sockets[1]);
            } catch (Exception | Error e) {
                raw.close(); // not left to load the tests after this one
                server.close();
                hub.close();
                throw e;
            }
        }

        @Override
        public void close() {
            raw.close();
            server.close();
            hub.close();
        }
    }

    @Test
    void answersHeldForAPostBeingStoredAreBoundedAndAllComeOnceItIsStored() throws Exception {
        SlowStore store = new SlowStore();
        // Room for about twenty history answers behind the held post.
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store);
             ZmqChatServer server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).hub(hub)
                     .maxHeldAnswerBytes(4096).build());
             ZContext raw = new ZContext(1)) {
            IoTicker.attach(raw);
            ZMQ.Socket[] sockets = subAndDealer(raw, server, store, "probe");
            ZMQ.Socket dealer = sockets[1];
            send(dealer, post("one", "held"));
            int asked = 500;
            for (int i = 0; i < asked; i++) {
                send(dealer, "{\"type\":\"history\",\"channel\":\"probe\",\"last\":1}".getBytes(UTF_8));
            }
            // The server holds a bounded number of answers, then reads no more requests: another
            // peer's request waits too, until the store catches up.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> server.holdingBack);
            ZMQ.Socket other = raw.createSocket(SocketType.DEALER);
            other.setLinger(0);
            other.setReceiveTimeOut(1000);
            other.connect("tcp://127.0.0.1:" + server.postPort());
            send(other, "{\"type\":\"history\",\"channel\":\"probe\",\"last\":1}".getBytes(UTF_8));
            assertNull(other.recv(0), "the server read on past its bound on held answers");
            store.permits.release();
            assertEquals("one", reply(dealer).get("channel").asText());
            for (int i = 0; i < asked; i++) {
                assertTrue(reply(dealer).has("messages"), "answer " + i);
            }
            other.setReceiveTimeOut(5000);
            assertNotNull(other.recv(0), "the other peer is answered once the store caught up");
        }
    }

    @Test
    void repliesKeepTheirOrderAndFollowThePostOnPubWhenTheStoreTakesItsTime() throws Exception {
        try (Rig rig = Rig.of("probe", "one", "two")) {
            SlowStore store = rig.store;
            ZMQ.Socket sub = rig.sub;
            ZMQ.Socket dealer = rig.dealer;
            send(dealer, post("one", "first"));
            send(dealer, "{\"type\":\"history\",\"channel\":\"probe\",\"last\":1}".getBytes(UTF_8));
            send(dealer, post("two", "second"));
            // While those wait for the store, another peer is answered: the server does not wait.
            ZMQ.Socket other = rig.raw.createSocket(SocketType.DEALER);
            other.setLinger(0);
            other.setReceiveTimeOut(5000);
            other.connect("tcp://127.0.0.1:" + rig.server.postPort());
            send(other, "{\"type\":\"history\",\"channel\":\"probe\",\"last\":1}".getBytes(UTF_8));
            assertTrue(reply(other).has("messages"), "another peer's request waited for this one's store");
            store.permits.release(2);
            JsonNode a = reply(dealer);
            JsonNode b = reply(dealer);
            JsonNode c = reply(dealer);
            assertEquals("one", a.get("channel").asText(), a.toString());
            assertTrue(b.has("messages"), b.toString());
            assertEquals("two", c.get("channel").asText(), c.toString());
            // Both posts went to PUB, each before its ok reply was sent. (PUB keeps each channel
            // in seq order; between two channels there is no order to keep.)
            java.util.Map<String, String> published = new java.util.HashMap<>();
            for (int i = 0; i < 2; i++) {
                String topic = new String(sub.recv(0), UTF_8);
                published.put(topic, JSON.readTree(sub.recv(0)).get("text").asText());
            }
            assertEquals(java.util.Map.of("one\0", "first", "two\0", "second"), published);
        }
    }

    @Test
    void aPostStoredBeforeItsFutureCompletesIsPublishedOnceWithItsReply() throws Exception {
        try (Rig rig = Rig.of("late")) {
            SlowStore store = rig.store;
            ChatHub hub = rig.hub;
            ZMQ.Socket sub = rig.sub;
            ZMQ.Socket dealer = rig.dealer;
            store.completions = new Semaphore(0);
            send(dealer, post("late", "first"));
            // Stored, and handed to the hub's listeners, before its future completes: the hub
            // does not hand it to the server that posted it, whose reply publishes it.
            store.permits.release();
            store.completions.release();
            long seq = reply(dealer).get("seq").asLong();
            JsonNode first = nextPublished(sub);
            assertNotNull(first, "the acknowledged post did not reach PUB");
            assertEquals("first", first.get("text").asText());
            assertEquals(seq, first.get("seq").asLong());
            store.completions = null;
            send(dealer, post("late", "second"));
            store.permits.release();
            assertTrue(reply(dealer).get("ok").asBoolean());
            JsonNode next = nextPublished(sub);
            assertNotNull(next, "the next post did not reach PUB");
            assertEquals("second", next.get("text").asText(), "PUB repeated a post: " + next);
            assertEquals(first.get("seq").asLong() + 1, next.get("seq").asLong());
        }
    }

    @Test
    void anOwnPostStoredBeforeAnothersGoesOutFirstAndOnceWhileHandOversAreDropped() throws Exception {
        SlowStore store = new SlowStore();
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store);
             ZmqChatServer server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).hub(hub)
                     .publishQueueCapacity(1).build());
             ZContext raw = new ZContext(1)) {
            IoTicker.attach(raw);
            ZMQ.Socket[] sockets = subAndDealer(raw, server, store, "late", "x");
            ZMQ.Socket sub = sockets[0];
            ZMQ.Socket dealer = sockets[1];
            // The hand-over queue is empty once a message posted after the probes is published
            // (one whose hand-over met the last probe's in the queue was dropped: post another).
            for (int i = 0; !published(sub, hub, "x", "sync:after the probes " + i); i++) {
                assertTrue(i < 10, "no message of the hub reached PUB after the probes");
            }
            store.completions = new Semaphore(0);
            send(dealer, post("late", "first")); // waits for the store
            send(dealer, post("y", "block"));    // holds the server thread in the store
            assertTrue(store.blockEntered.await(5, TimeUnit.SECONDS));
            // The hub's hand-over queue (one message) fills, so the next hand-overs are dropped.
            hub.post("x", "b", "sync:fills the queue", null, null);
            long dropped = server.droppedPublications();
            hub.post("x", "b", "sync:dropped", null, null);
            await().atMost(Duration.ofSeconds(5)).until(() -> server.droppedPublications() > dropped);
            // "first" is stored, and its reply held back; the hub never hands a server its own post.
            long before = hub.lastSeq("late");
            store.permits.release();
            await().atMost(Duration.ofSeconds(5)).until(() -> hub.lastSeq("late") > before);
            store.blockRelease.countDown();
            assertNotNull(sub.recv(0), "the queued message was not published"); // the queue has room again
            assertEquals("sync:fills the queue", JSON.readTree(sub.recv(0)).get("text").asText());
            // Another transport's post to the channel, stored after "first": PUB keeps seq order,
            // so "first" goes out ahead of it, read from history, before its own reply is made.
            List<String> texts = new ArrayList<>();
            boolean seen = false;
            for (int i = 0; !seen; i++) {
                assertTrue(i < 10, "no message of the hub reached PUB after the drop");
                hub.post("late", "b", "sync:second " + i, null, null);
                JsonNode m;
                while (!seen && (m = nextPublished(sub)) != null) {
                    texts.add(m.get("text").asText());
                    seen = m.get("text").asText().equals("sync:second " + i);
                }
            }
            assertEquals("first", texts.get(0), "PUB out of seq order: " + texts);
            store.completions.release(); // "first" is acknowledged now, and not published again
            JsonNode ack = reply(dealer);
            assertEquals("late", ack.get("channel").asText(), ack.toString());
            assertNothingMoreBeforeTheNextPost(hub, sub, "late");
        }
    }

    @Test
    void anOwnPostWhoseStoreForgotItsOriginIsPublishedOnce() throws Exception {
        try (Rig rig = Rig.of("late")) {
            SlowStore store = rig.store;
            ChatHub hub = rig.hub;
            ZMQ.Socket sub = rig.sub;
            ZMQ.Socket dealer = rig.dealer;
            store.forgetsOrigins = true;
            store.completions = new Semaphore(0);
            send(dealer, post("late", "first"));
            store.permits.release(); // stored; the hub, told no origin, hands it to the server as another's
            JsonNode first = nextPublished(sub);
            assertNotNull(first, "the stored post did not reach PUB through the hub");
            assertEquals("first", first.get("text").asText());
            store.completions.release();
            assertEquals(first.get("seq").asLong(), reply(dealer).get("seq").asLong());
            assertNothingMoreBeforeTheNextPost(hub, sub, "late");
        }
    }

    @Test
    void anothersPostStoredBeforeAChannelsFirstOwnPostButBroughtAfterItIsStillPublished() throws Exception {
        try (Rig rig = Rig.of("late", "dev")) {
            SlowStore store = rig.store;
            ChatHub hub = rig.hub;
            ZMQ.Socket sub = rig.sub;
            ZMQ.Socket dealer = rig.dealer;
            // Another node's post (no origin, as a shared store hands it), counted in the store's
            // newest seq before this server's first post to the channel, but brought after it.
            store.holdsSink = true;
            hub.post("dev", "b", "sync:theirs", null, null);
            send(dealer, post("dev", "mine"));
            store.permits.release();
            assertTrue(reply(dealer).get("ok").asBoolean());
            store.releaseSink();
            List<String> texts = new ArrayList<>();
            JsonNode m;
            while (texts.size() < 2 && (m = nextPublished(sub)) != null) {
                texts.add(m.get("text").asText());
            }
            // Each once, in either order: the channel's first post here goes alone (see publishOwn).
            assertEquals(java.util.Set.of("mine", "sync:theirs"), java.util.Set.copyOf(texts), "PUB carried " + texts);
            assertNothingMoreBeforeTheNextPost(hub, sub, "dev");
        }
    }

    @Test
    void anOwnPostWhoseReplyComesAfterAnothersPostKeepsSeqOrderOnPub() throws Exception {
        try (Rig rig = Rig.of("late")) {
            SlowStore store = rig.store;
            ChatHub hub = rig.hub;
            ZMQ.Socket sub = rig.sub;
            ZMQ.Socket dealer = rig.dealer;
            store.completions = new Semaphore(0);
            long before = hub.lastSeq("late");
            send(dealer, post("late", "first"));
            store.permits.release(); // stored (seq given, sink called); its future not complete yet
            await().atMost(Duration.ofSeconds(5)).until(() -> hub.lastSeq("late") > before);
            hub.post("late", "b", "sync:second", null, null); // another transport's, stored at once
            JsonNode a = nextPublished(sub);
            JsonNode b = nextPublished(sub);
            assertNotNull(b, "not both published");
            assertEquals(List.of("first", "sync:second"), List.of(a.get("text").asText(), b.get("text").asText()));
            assertEquals(a.get("seq").asLong() + 1, b.get("seq").asLong());
            store.completions.release();
            assertEquals(a.get("seq").asLong(), reply(dealer).get("seq").asLong());
            assertNothingMoreBeforeTheNextPost(hub, sub, "late");
        }
    }

    @Test
    void aPostTheStoreRefusesGetsItsReasonAndIsNeitherPublishedNorKept() throws Exception {
        SlowStore store = new SlowStore();
        store.refuseWith = "the disk is full";
        try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store);
             ZmqChatServer server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).hub(hub).build());
             ZContext raw = new ZContext(1)) {
            IoTicker.attach(raw);
            ZMQ.Socket dealer = raw.createSocket(SocketType.DEALER);
            dealer.setLinger(0);
            dealer.setReceiveTimeOut(5000);
            dealer.connect("tcp://127.0.0.1:" + server.postPort());
            send(dealer, post("general", "lost?"));
            store.permits.release();
            JsonNode r = reply(dealer);
            assertEquals("{\"ok\":false,\"error\":\"the disk is full\"}", r.toString());
            assertEquals(0, hub.history("general", 0, 10).messages().size());
        }
    }
}
