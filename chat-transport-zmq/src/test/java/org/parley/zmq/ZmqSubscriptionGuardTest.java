package org.parley.zmq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.core.ChatMessage;
import org.parley.core.testing.RecordingListener;
import org.parley.core.internal.PeerText;
import org.parley.zmq.internal.IoTicker;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * What reaches the PUB socket's subscription trie: only what a Parley client sends, at most so
 * many per connection; a subscription long enough to overflow JeroMQ's recursive trie never.
 */
@Timeout(30)
class ZmqSubscriptionGuardTest {
    private ZmqChatServer server;
    private ZContext raw;
    private ZmqChatClient good;
    private final RecordingListener heard = new RecordingListener();

    @BeforeEach
    void start() throws Exception {
        start(ZmqServerOptions.builder().postPort(0).pubPort(0).build());
    }

    private void start(ZmqServerOptions options) throws Exception {
        stop();
        server = ZmqChatServer.start(options);
        raw = new ZContext(1);
        IoTicker.attach(raw);
        good = ZmqTestSupport.client(server, "good");
        good.subscribe("general", heard);
        ZmqTestSupport.awaitJoined(good, good);
    }

    @AfterEach
    void stop() {
        if (good != null) {
            good.close();
        }
        if (raw != null) {
            raw.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Posts to {@code channel} and returns once the good client heard it: the server answers and publishes. */
    private ChatMessage postAndHear(String channel, String text) throws Exception {
        long seq = good.post(channel, text).get(5, TimeUnit.SECONDS).seq();
        ChatMessage m = heard.next();
        while (!(m.channel().equals(channel) && m.seq() == seq)) {
            m = heard.next();
        }
        return m;
    }

    /**
     * Returns once the subscriptions {@code sub} made so far were handled by the server:
     * ZeroMQ handles one connection's subscriptions in order, so once one to a fresh channel
     * made after them brings a message, they were handled too (applied or dropped).
     */
    private void awaitHandled(ZMQ.Socket sub) throws Exception {
        String sync = "sync-" + UUID.randomUUID().toString().substring(0, 8);
        sub.subscribe(Wire.topic(sync));
        for (int i = 0; i < 50; i++) {
            good.post(sync, "probe").get(5, TimeUnit.SECONDS);
            byte[] topic = sub.recv(0);
            if (topic != null) {
                sub.recv(0);
                while (sub.recv(ZMQ.DONTWAIT) != null) {
                    // later probes
                }
                sub.unsubscribe(Wire.topic(sync));
                return;
            }
        }
        throw new AssertionError("the server never handled a subscription");
    }

    /**
     * Subscribes {@code sub} to a fresh channel and returns it once that subscription is live
     * and every probe it took is read: what {@code sub} receives next was published after this.
     */
    private String syncChannel(ZMQ.Socket sub) throws Exception {
        String sync = "sync-" + UUID.randomUUID().toString().substring(0, 8);
        sub.subscribe(Wire.topic(sync));
        boolean live = false;
        for (int i = 0; i < 50 && !live; i++) {
            good.post(sync, "probe").get(5, TimeUnit.SECONDS);
            byte[] topic;
            while (!live && (topic = sub.recv(0)) != null) { // and what came before: read and dropped
                sub.recv(0);
                live = Arrays.equals(Wire.topic(sync), topic);
            }
        }
        assertTrue(live, "the sync subscription never took effect");
        // Probes may still be on their way: read up to a last one, after which nothing is.
        String last = "last probe " + UUID.randomUUID();
        good.post(sync, last).get(5, TimeUnit.SECONDS);
        sub.setReceiveTimeOut(5000);
        try {
            while (!new String(receivedBody(sub), UTF_8).contains(last)) {
                // an earlier probe
            }
        } finally {
            sub.setReceiveTimeOut(300);
        }
        return sync;
    }

    /** The body of the next publication {@code sub} receives, whatever its topic. */
    private static byte[] receivedBody(ZMQ.Socket sub) {
        byte[] topic = sub.recv(0);
        assertTrue(topic != null && sub.hasReceiveMore(), "no publication arrived");
        return sub.recv(0);
    }

    /**
     * Asserts that what {@code sub} receives next is a publication to {@code expected},
     * posted after everything before: PUB keeps each connection's messages in order, so
     * nothing published before it to a channel {@code sub} should not hear came through.
     */
    private void assertNextIs(ZMQ.Socket sub, String expected, String why) throws Exception {
        String text = "marker " + UUID.randomUUID();
        good.post(expected, text).get(5, TimeUnit.SECONDS);
        sub.setReceiveTimeOut(5000);
        try {
            byte[] topic = sub.recv(0);
            assertArrayEquals(Wire.topic(expected), topic, why);
            assertTrue(new String(sub.recv(0), UTF_8).contains(text), why);
        } finally {
            sub.setReceiveTimeOut(300);
        }
    }

    private ZMQ.Socket rawSub() {
        ZMQ.Socket sub = raw.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setReceiveTimeOut(300);
        sub.connect("tcp://127.0.0.1:" + server.pubPort());
        return sub;
    }

    @Test
    void aSubscriptionOfTenThousandBytesCostsNothing() throws Exception {
        try (RawZmtp attacker = RawZmtp.connect(server.pubPort(), "SUB")) {
            byte[] subscription = new byte[1 + 10_000];
            subscription[0] = 1;
            Arrays.fill(subscription, 1, subscription.length, (byte) 'a');
            attacker.sendFrame(0, subscription);
            postAndHear("general", "during");
            assertTrue(attacker.closedWithin(Duration.ofSeconds(5)),
                    "the server kept a peer that sent a subscription of 10,000 bytes");
        }
        assertEquals("after", postAndHear("general", "after").text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gen", "general", "ALL\0", "dev/ops\0", "\0"})
    void aPrefixNoParleyClientSendsIsDropped(String prefix) throws Exception {
        try (LogCapture logged = LogCapture.of(FrameGuard.class)) {
            ZMQ.Socket bad = rawSub();
            bad.subscribe(prefix.getBytes(UTF_8));
            String sync = syncChannel(bad); // handled after the bad prefix
            postAndHear("general", "not for a bad prefix");
            assertNextIs(bad, sync, "a subscriber of " + PeerText.excerpt(prefix) + " got a publication");
            assertEquals(1, server.pubGuard().droppedSubscriptions());
            List<String> lines = logged.containing("dropped a subscription");
            assertEquals(1, lines.size(), logged.lines().toString());
            assertTrue(lines.get(0).contains("not a subscription a Parley client sends"), lines.get(0));
        }
    }

    @Test
    void aLongInvalidPrefixIsLoggedAsAnEscapedExcerpt() throws Exception {
        try (LogCapture logged = LogCapture.of(FrameGuard.class)) {
            ZMQ.Socket bad = rawSub();
            bad.subscribe(("\u001b[2J" + "x".repeat(500)).getBytes(UTF_8));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.pubGuard().droppedSubscriptions() == 1);
            String line = logged.containing("dropped a subscription").get(0);
            assertFalse(line.contains("\u001b"), line);
            assertTrue(line.contains("\\u001b[2J") && line.contains("(504 bytes)"), line);
            assertTrue(line.length() < 400, line.length() + " characters: " + line);
        }
    }

    @Test
    void validSubscriptionsStillWorkAndUnsubscribing() throws Exception {
        ZMQ.Socket dev = rawSub();
        dev.subscribe("dev\0".getBytes(UTF_8));
        ZMQ.Socket all = rawSub();
        all.subscribe(new byte[0]);
        ZMQ.Socket cafe = rawSub();
        cafe.subscribe("caf\u00e9\0".getBytes(UTF_8));
        // Subscriptions have no acknowledgement: post until each has one.
        for (String channel : List.of("dev", "caf\u00e9")) {
            ZMQ.Socket s = channel.equals("dev") ? dev : cafe;
            byte[] topic = null;
            for (int i = 0; i < 50 && topic == null; i++) {
                good.post(channel, "probe").get(5, TimeUnit.SECONDS);
                topic = s.recv(0);
            }
            assertArrayEquals(Wire.topic(channel), topic);
        }
        assertEquals(0, server.pubGuard().droppedSubscriptions());
        // The empty prefix sees every channel; its subscription may have reached the server
        // after the first probes, so it is probed too, and what it got of café skipped.
        byte[] seen = null;
        for (int i = 0; i < 50 && !java.util.Arrays.equals(Wire.topic("dev"), seen); i++) {
            good.post("dev", "probe for all").get(5, TimeUnit.SECONDS);
            while ((seen = all.recv(0)) != null && !java.util.Arrays.equals(Wire.topic("dev"), seen)) {
                all.recv(0); // the body of another channel's message
            }
        }
        assertArrayEquals(Wire.topic("dev"), seen);
        // Unsubscribing takes effect, and gives its bytes back.
        long held = server.pubGuard().subscriptionBytes();
        dev.unsubscribe("dev\0".getBytes(UTF_8));
        String sync = syncChannel(dev); // handled after the cancellation
        assertEquals(held - "dev\0".length() + Wire.topic(sync).length, server.pubGuard().subscriptionBytes());
        good.post("dev", "not for a cancelled subscription").get(5, TimeUnit.SECONDS);
        assertNextIs(dev, sync, "a cancelled subscription still delivered");
    }

    @Test
    void aConnectionHoldsAtMostTheSubscriptionLimit() throws Exception {
        start(ZmqServerOptions.builder().postPort(0).pubPort(0).maxSubscriptionsPerPeer(3).build());
        ZMQ.Socket greedy = rawSub();
        greedy.subscribe(Wire.topic("a"));
        greedy.subscribe(Wire.topic("b"));
        awaitHandled(greedy); // takes a third subscription for a moment, and gives it back
        greedy.subscribe(Wire.topic("c"));
        greedy.subscribe(Wire.topic("d"));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.pubGuard().droppedSubscriptions() == 1);
        for (String channel : List.of("a", "b", "c", "d")) {
            good.post(channel, "to " + channel).get(5, TimeUnit.SECONDS);
        }
        postAndHear("general", "published after a to d");
        for (String channel : List.of("a", "b", "c")) {
            assertArrayEquals(Wire.topic(channel), greedy.recv(0), "channel " + channel);
            greedy.recv(0);
        }
        // Posted after d: had d taken effect, its message would come first.
        assertNextIs(greedy, "c", "a fourth subscription took effect");
        // Cancelling one makes room for another.
        greedy.unsubscribe(Wire.topic("a"));
        greedy.subscribe(Wire.topic("d"));
        byte[] topic = null;
        for (int i = 0; i < 50 && topic == null; i++) {
            good.post("d", "to d again").get(5, TimeUnit.SECONDS);
            topic = greedy.recv(0);
        }
        assertArrayEquals(Wire.topic("d"), topic);
    }

    /** A channel of 64 letters of four bytes each: the longest subscription, {@code first} then 63 times {@code rest}. */
    private static String longChannel(int first, int rest) {
        return new StringBuilder().appendCodePoint(first).toString() + Character.toString(rest).repeat(63);
    }

    @Test
    void subscriptionsOfAllConnectionsShareOneBudget() throws Exception {
        start(ZmqServerOptions.builder().postPort(0).pubPort(0).maxSubscriptionBytes(300).build());
        long base = Wire.topic("general").length; // the good client's
        await().atMost(Duration.ofSeconds(5)).until(() -> server.pubGuard().subscriptionBytes() == base);
        String one = longChannel(0x1D400, 0x1D400);
        String two = longChannel(0x1D401, 0x1D400);
        ZMQ.Socket first = rawSub();
        first.subscribe(Wire.topic(one));
        awaitHandled(first); // and cancels its probe's subscription
        await().atMost(Duration.ofSeconds(5)).until(() -> server.pubGuard().subscriptionBytes() == base + 257);
        ZMQ.Socket second = rawSub();
        second.subscribe(Wire.topic(two));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.pubGuard().droppedSubscriptions() == 1);
        // Cancelling makes room, for another connection too.
        first.unsubscribe(Wire.topic(one));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.pubGuard().subscriptionBytes() == base);
        second.subscribe(Wire.topic(two));
        byte[] topic = null;
        for (int i = 0; i < 50 && topic == null; i++) {
            good.post(two, "to two").get(5, TimeUnit.SECONDS);
            topic = second.recv(0);
        }
        assertArrayEquals(Wire.topic(two), topic);
        // A closed connection's subscriptions leave the count once JeroMQ has let it go: PUB
        // lets a closed pipe go when it is next used, so publish while waiting.
        raw.destroySocket(second);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            postAndHear("general", "let the closed one go");
            System.gc();
            return server.pubGuard().subscriptionBytes() == base;
        });
    }

    /**
     * ZMTP 1.0 (unversioned), and the 1.0 and 2.0 framings of the versioned greeting (revision
     * 0 and 1), carry no metadata, so the frame guard would not see their frames: the server
     * refuses them. {@code revision} -1 stands for the unversioned protocol.
     */
    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 1})
    void aPeerOfAnOlderZmtpIsRefused(int revision) throws Exception {
        byte[] greeting = revision < 0
                ? new byte[] {1, 0} // an empty identity: length 1 (the flags byte), flags 0
                : new byte[] {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, (byte) revision, 5, // DEALER
                    (byte) (revision == 0 ? 1 : 0), 0}; // an empty identity, in 1.0 or 2.0 framing
        for (int port : new int[] {server.postPort(), server.pubPort()}) {
            try (RawZmtp old = RawZmtp.connectRaw(port)) {
                old.sendRaw(greeting);
                assertTrue(old.closedWithin(Duration.ofSeconds(5)), "a ZMTP peer of revision " + revision
                        + " was kept on port " + port);
            }
        }
        postAndHear("general", "after");
    }

}
