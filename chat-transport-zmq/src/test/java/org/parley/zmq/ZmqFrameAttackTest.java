package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parley.core.testing.RecordingListener;

/**
 * Frame headers and multipart messages that once made JeroMQ allocate or buffer gigabytes:
 * each attack runs against a server in a child JVM with a small heap ({@link ChildServer}),
 * while a good client posts and receives before, during and after it.
 */
class ZmqFrameAttackTest {
    private static final int MIB = 1 << 20;
    private static final String LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /** A good client of the child: subscribed to general, and sure its subscription is live. */
    private static ZmqChatClient goodClient(ChildServer child, RecordingListener heard) throws Exception {
        ZmqChatClient good = ZmqChatClient.connect(ZmqClientOptions.builder()
                .postPort(child.postPort).pubPort(child.pubPort).user("good").build());
        good.subscribe("general", heard);
        ZmqTestSupport.awaitJoined(good, good);
        return good;
    }

    /** Posts and hears the post back: the server answers and publishes. */
    private static void stillServed(ZmqChatClient good, RecordingListener heard, String text) throws Exception {
        long seq = good.post("general", text).get(10, TimeUnit.SECONDS).seq();
        var m = heard.next(Duration.ofSeconds(10));
        while (m.seq() < seq) {
            m = heard.next(Duration.ofSeconds(10));
        }
        assertEquals(text, m.text());
    }

    /** An attack on a fresh child server; a failure carries what the child printed. */
    private static void attack(Attack body, String... options) throws Exception {
        try (ChildServer child = ChildServer.start(options)) {
            try {
                body.run(child);
            } catch (Throwable t) {
                t.addSuppressed(new AssertionError("the child server printed " + child.output()));
                throw t;
            }
            assertEquals(List.of(), child.uncaught());
        }
    }

    @FunctionalInterface
    private interface Attack {
        void run(ChildServer child) throws Exception;
    }

    /** What an attacker writes. */
    @FunctionalInterface
    private interface Send {
        void run() throws IOException;
    }

    /**
     * Sends on a thread of its own: a server that stops reading must not block the test,
     * which closes the attacker's socket when it ends, and so ends a write still blocked.
     */
    private static CompletableFuture<Void> inBackground(Send send) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                send.run();
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, "attacker");
        t.setDaemon(true);
        t.start();
        return done;
    }

    @Test
    @Timeout(20)
    void aFrameOfTwoGigabytesDeclaredOnThePubPortCostsNothing() throws Exception {
        attack(child -> {
            RecordingListener heard = new RecordingListener();
            try (ZmqChatClient good = goodClient(child, heard);
                 RawZmtp attacker = RawZmtp.connect(child.pubPort, "SUB")) {
                attacker.sendLongHeader(0, 0x7FFF_FF00L); // just under 2 GiB, and nothing after it
                stillServed(good, heard, "during");
                assertTrue(attacker.closedWithin(Duration.ofSeconds(5)),
                        "the server kept a peer that declared a 2 GiB subscription");
                stillServed(good, heard, "after");
            }
        });
    }

    @Test
    @Timeout(20)
    void dataSentToThePubPortIsDropped() throws Exception {
        attack(child -> {
            RecordingListener heard = new RecordingListener();
            try (ZmqChatClient good = goodClient(child, heard);
                 RawZmtp attacker = RawZmtp.connect(child.pubPort, "XSUB")) {
                // An XSUB may send messages that are not subscriptions (first byte not 0 or 1):
                // a PUB socket keeps them for a reader it never has. 100 MB of them.
                byte[] data = new byte[1000];
                data[0] = 2;
                CompletableFuture<Void> flood = inBackground(() -> attacker.sendMany(100_000, 0, data));
                stillServed(good, heard, "during");
                flood.get(15, TimeUnit.SECONDS);
                child.awaitLine("dropped a subscription", Duration.ofSeconds(5));
                stillServed(good, heard, "after");
            }
        });
    }

    @Test
    @Timeout(20)
    void aFrameLengthWithTheTopBitSetCostsNothing() throws Exception {
        attack(child -> {
            RecordingListener heard = new RecordingListener();
            try (ZmqChatClient good = goodClient(child, heard);
                 RawZmtp attacker = RawZmtp.connect(child.postPort, "DEALER")) {
                // Negative as a signed long, so it passes JeroMQ 0.6.0's size check, and
                // (int) of it is 2 GiB - 256: the allocation the check was meant to prevent.
                attacker.sendLongHeader(0, 0x8000_0000_7FFF_FF00L);
                stillServed(good, heard, "during");
                // What the header promised, in part.
                inBackground(() -> attacker.sendRaw(new byte[64 * 1024])).get(10, TimeUnit.SECONDS);
                stillServed(good, heard, "after");
                String logged = child.awaitLine("declared a frame of 2147483392 bytes", Duration.ofSeconds(5));
                assertTrue(logged.contains("nothing more is read"), logged);
            }
        });
    }

    @Test
    @Timeout(30)
    void manyConnectionsDeclaringLargeFramesShareOneBudget() throws Exception {
        attack(child -> {
            RecordingListener heard = new RecordingListener();
            List<RawZmtp> attackers = new ArrayList<>();
            try (ZmqChatClient good = goodClient(child, heard)) {
                // 9 bytes each, and each header makes the server allocate 1 MiB: 128 of them
                // are twice the child's heap.
                for (int i = 0; i < 128; i++) {
                    RawZmtp attacker = RawZmtp.connect(child.postPort, "DEALER");
                    attackers.add(attacker);
                    attacker.sendLongHeader(0, MIB);
                }
                stillServed(good, heard, "during");
                String logged = child.awaitLine("the budget being 8388608", Duration.ofSeconds(5));
                assertTrue(logged.contains("nothing more is read"), logged);
            } finally {
                for (RawZmtp attacker : attackers) {
                    attacker.close();
                }
            }
        }, "maxIncomingBytes=" + MIB, "maxIncomingBufferedBytes=" + 8 * MIB);
    }

    @Test
    @Timeout(30)
    void subscriptionsOfManyConnectionsShareOneBudget() throws Exception {
        attack(child -> {
            RecordingListener heard = new RecordingListener();
            List<RawZmtp> attackers = new ArrayList<>();
            try (ZmqChatClient good = goodClient(child, heard)) {
                // 12 connections of 1,024 distinct valid subscriptions of 252 bytes: about
                // 11 MiB of JeroMQ's subscription trie each, twice the child's heap in all.
                for (int c = 0; c < 12; c++) {
                    RawZmtp attacker = RawZmtp.connect(child.pubPort, "SUB");
                    attackers.add(attacker);
                    java.io.ByteArrayOutputStream batch = new java.io.ByteArrayOutputStream();
                    for (int i = 0; i < 1024; i++) {
                        // They part at once, so the trie shares nothing but the first bytes.
                        String channel = "" + LETTERS.charAt(i / LETTERS.length()) + LETTERS.charAt(i % LETTERS.length())
                                + Character.toString(0x1D400 + c) + Character.toString(0x1D41A).repeat(61);
                        byte[] prefix = Wire.topic(channel);
                        batch.write(RawZmtp.LONG);
                        batch.writeBytes(java.nio.ByteBuffer.allocate(8).putLong(prefix.length + 1).array());
                        batch.write(1);
                        batch.writeBytes(prefix);
                    }
                    attacker.sendRaw(batch.toByteArray());
                }
                stillServed(good, heard, "during");
                child.awaitLine("bytes of subscriptions all connections together may hold", Duration.ofSeconds(5));
                stillServed(good, heard, "after");
            } finally {
                for (RawZmtp attacker : attackers) {
                    attacker.close();
                }
            }
        }, "maxSubscriptionsPerPeer=1024", "maxSubscriptionBytes=" + 256 * 1024);
    }

    @Test
    @Timeout(20)
    void aMultipartMessageThatNeverEndsIsBounded() throws Exception {
        attack(child -> {
            RecordingListener heard = new RecordingListener();
            try (ZmqChatClient good = goodClient(child, heard);
                 RawZmtp attacker = RawZmtp.connect(child.postPort, "DEALER")) {
                // 256 frames of 1 MiB, each marked MORE: four times the child's heap.
                CompletableFuture<Void> flood = inBackground(() -> attacker.sendMany(256, RawZmtp.MORE, new byte[MIB]));
                stillServed(good, heard, "during");
                flood.get(15, TimeUnit.SECONDS);
                stillServed(good, heard, "after");
                child.awaitLine("it was ended there", Duration.ofSeconds(5));
                // The message was ended at the bound and refused; the attacker got the error.
                RawZmtp.Frame delimiter = attacker.readFrame();
                assertEquals(0, delimiter.body().length);
                String reply = new String(attacker.readFrame().body(), StandardCharsets.UTF_8);
                assertTrue(reply.startsWith("{\"ok\":false,\"error\":\"request has no empty delimiter"), reply);
            }
        }, "maxIncomingBytes=" + MIB); // frames of 1 MiB are admitted one by one
    }

    @Test
    @Timeout(20)
    void aMultipartMessageOfCountlessTinyFramesIsBounded() throws Exception {
        attack(child -> {
            RecordingListener heard = new RecordingListener();
            try (ZmqChatClient good = goodClient(child, heard);
                 RawZmtp attacker = RawZmtp.connect(child.postPort, "DEALER")) {
                // Four million one-byte frames marked MORE: 12 MB on the wire, far more held
                // as one message object each.
                CompletableFuture<Void> flood = inBackground(() -> attacker.sendMany(4_000_000, RawZmtp.MORE, new byte[1]));
                stillServed(good, heard, "during");
                flood.get(15, TimeUnit.SECONDS);
                stillServed(good, heard, "after");
                child.awaitLine("it was ended there", Duration.ofSeconds(5));
            }
        });
    }
}
