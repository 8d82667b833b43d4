package org.parley.store.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HubOptions;
import org.parley.core.testing.DroppingProxy;
import org.parley.core.testing.RecordingListener;
import org.parley.core.testing.SoakLedger;
import org.parley.store.redis.testing.RedisProcess;
import org.parley.tcp.TcpListener;
import org.parley.tcp.TcpMessage;
import org.parley.tcp.TopicClient;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.ZmqServerOptions;

/**
 * Three servers on one Redis, in one JVM: each node a hub on a {@link RedisStore} with a ZeroMQ
 * server and a TCP topic server, clients on every node.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    RedisProcess redis;
    final List<Node> nodes = new ArrayList<>();
    final List<AutoCloseable> clients = new ArrayList<>();

    /** One server of the cluster: a hub on the shared store, served over ZeroMQ and TCP. */
    record Node(ChatHub hub, ZmqChatServer zmq, TopicServer tcp) implements AutoCloseable {
        static Node start(RedisProcess redis) throws IOException {
            ChatHub hub = ChatHub.create(HubOptions.defaults(), RedisStore.builder(redis.uri()).open());
            ZmqChatServer zmq = null;
            try {
                zmq = ZmqChatServer.start(ZmqServerOptions.builder().host("127.0.0.1").postPort(0).pubPort(0).hub(hub).build());
                TopicServer tcp = TopicServer.start(TopicServerOptions.builder()
                        .bindAddress(InetAddress.getLoopbackAddress()).port(0).hub(hub).build());
                return new Node(hub, zmq, tcp);
            } catch (IOException | RuntimeException e) {
                if (zmq != null) {
                    zmq.close();
                }
                hub.close();
                throw e;
            }
        }

        ZmqChatClient zmqClient(String user) throws IOException {
            return ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1").postPort(zmq.postPort())
                    .pubPort(zmq.pubPort()).user(user).build());
        }

        @Override
        public void close() {
            tcp.close();
            zmq.close();
            hub.close();
        }
    }

    @BeforeEach
    void start() throws IOException {
        redis = RedisProcess.start(dir.resolve("redis"));
        for (int i = 0; i < 3; i++) {
            nodes.add(Node.start(redis));
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
        nodes.forEach(Node::close);
        if (redis != null) {
            redis.close();
        }
    }

    <T extends AutoCloseable> T keep(T client) {
        clients.add(client);
        return client;
    }

    /** Each channel's seqs as a subscriber got them. */
    static final class Seqs {
        final Map<String, List<Long>> byChannel = Collections.synchronizedMap(new HashMap<>());

        void add(ChatMessage m) {
            byChannel.computeIfAbsent(m.channel(), c -> Collections.synchronizedList(new ArrayList<>())).add(m.seq());
        }

        int size(String channel) {
            return byChannel.getOrDefault(channel, List.of()).size();
        }

        /** 1..last exactly once, in order. */
        void assertOneToLastOnce(String channel, long last, String who) {
            List<Long> got = List.copyOf(byChannel.getOrDefault(channel, List.of()));
            List<Long> want = new ArrayList<>();
            for (long s = 1; s <= last; s++) {
                want.add(s);
            }
            assertEquals(want, got, who + " on " + channel);
        }
    }

    @Test
    void everySubscriberOnEveryNodeSeesEachChannelOnceInOrderThroughCutPubSubConnectionsAndTcpAndZeroMqSeeEachOther() throws Exception {
        List<String> channels = List.of("dev", "ops");
        List<Seqs> zmqSubscribers = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            ZmqChatClient sub = keep(node.zmqClient("sub" + i));
            Seqs seqs = new Seqs();
            zmqSubscribers.add(seqs);
            for (String c : channels) {
                sub.subscribe(c, seqs::add);
            }
            awaitJoined(sub, keep(node.zmqClient("sync" + i)));
        }
        // A TCP subscriber on node 1 and a TCP poster on node 2: the bridge works across nodes.
        SoakLedger tcpLedger = new SoakLedger();
        List<String> tcpGot = tcpLedger.subscriber();
        List<String> tcpAll = Collections.synchronizedList(new ArrayList<>());
        TopicClient tcpSub = keep(TopicClient.builder("127.0.0.1", nodes.get(0).tcp().port()).topics(channels)
                .user("tcpsub").retryFor(Duration.ofSeconds(30)).connect(m -> {
                    String key = m.user() + "/" + m.text() + " in " + m.topic();
                    tcpAll.add(key);
                    if (m.user().equals("tcp")) {
                        tcpGot.add(m.user() + "/" + m.text());
                    }
                }));
        awaitRegistered(tcpSub);

        int perPoster = 300;
        List<CompletableFuture<?>> posted = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            ZmqChatClient poster = keep(nodes.get(i).zmqClient("poster" + i));
            for (int n = 0; n < perPoster; n++) {
                posted.add(poster.post(channels.get(n % 2), "post " + n));
            }
        }
        // Mid-stream, every node's pub/sub connection is cut: what they miss comes from the streams.
        assertEquals(":3", redis.command("CLIENT", "KILL", "TYPE", "pubsub"));
        TopicClient tcpPoster = keep(TopicClient.builder("127.0.0.1", nodes.get(1).tcp().port()).topics(channels)
                .user("tcp").retryFor(Duration.ofSeconds(30)).connect(m -> { }));
        for (int n = 0; n < 100; n++) {
            String key = SoakLedger.key("tcp", n);
            posted.add(tcpPoster.sendAcknowledged("dev", "post " + n)
                    .whenComplete((ack, e) -> tcpLedger.outcome(key, e)));
        }
        CompletableFuture.allOf(posted.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        long dev = nodes.get(2).hub().lastSeq("dev");
        long ops = nodes.get(1).hub().lastSeq("ops");
        assertEquals(3 * perPoster + 100, dev + ops);
        for (int i = 0; i < zmqSubscribers.size(); i++) {
            Seqs s = zmqSubscribers.get(i);
            int node = i + 1;
            await().atMost(WAIT).untilAsserted(() -> assertTrue(s.size("dev") >= dev && s.size("ops") >= ops,
                    "the subscriber on node " + node + " has " + s.size("dev") + " of dev's " + dev + " and "
                    + s.size("ops") + " of ops' " + ops + "; dev " + gaps(s, "dev") + ", ops " + gaps(s, "ops")));
            s.assertOneToLastOnce("dev", dev, "the subscriber on node " + (i + 1));
            s.assertOneToLastOnce("ops", ops, "the subscriber on node " + (i + 1));
        }
        tcpLedger.assertEveryAcknowledgedPostOnceInOrder(100, WAIT); // the TCP poster's posts, across nodes
        await().atMost(WAIT).until(() -> tcpAll.size() >= dev + ops);
        assertEquals(dev + ops, Set.copyOf(tcpAll).size(), "the TCP subscriber on node 1 got every post once");
        assertEquals(dev + ops, tcpAll.size(), "the TCP subscriber on node 1 got every post once");
    }

    @Test
    void aNodeClosedMidStreamLosesNothingAndDoublesNothingForClientsThatFailOver() throws Exception {
        Node leaving = nodes.get(2);
        // The TCP clients reach node 3 through a proxy, as through a load balancer that takes it out.
        try (DroppingProxy balancer = new DroppingProxy(leaving.tcp().port())) {
            SoakLedger ledger = new SoakLedger();
            List<Seqs> zmqSubscribers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ZmqChatClient sub = keep(nodes.get(i).zmqClient("sub" + i));
                Seqs seqs = new Seqs();
                zmqSubscribers.add(seqs);
                List<String> got = ledger.subscriber();
                sub.subscribe("dev", m -> {
                    seqs.add(m);
                    got.add(m.user() + "/" + m.text());
                });
                awaitJoined(sub, keep(nodes.get(i).zmqClient("sync" + i)));
            }
            List<String> tcpGot = ledger.subscriber();
            awaitRegistered(keep(TopicClient.builder("127.0.0.1", balancer.port()).topics(List.of("dev"))
                    .user("tcpsub").retryFor(Duration.ofSeconds(60)).connect(listener(tcpGot))));

            int posts = 2_000;
            List<Thread> posters = new ArrayList<>();
            for (int p = 0; p < 2; p++) {
                String name = "poster" + p;
                TopicClient poster = keep(TopicClient.builder("127.0.0.1", balancer.port()).topics(List.of("dev"))
                        .user(name).retryFor(Duration.ofSeconds(60)).connect(m -> { }));
                Thread t = new Thread(() -> post(poster, name, posts / 2, ledger), "test-" + name);
                posters.add(t);
                t.start();
            }
            ledger.awaitDone(posts / 4, WAIT);
            balancer.retarget(nodes.get(0).tcp().port()); // node 3 leaves mid-stream
            leaving.close();
            nodes.remove(leaving);
            balancer.dropAll();
            for (Thread t : posters) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertTrue(!t.isAlive(), () -> t.getName() + " did not finish; the threads:\n" + org.parley.core.testing.ThreadDump.now());
            }
            ledger.assertEveryAcknowledgedPostOnceInOrder(posts, WAIT);
            assertEquals(posts, ledger.acknowledged().size(), "every post is acknowledged in the end, by one node or the other");
            long last = nodes.get(0).hub().lastSeq("dev");
            assertEquals(posts, last, "each post stored once");
            for (Seqs s : zmqSubscribers) {
                s.assertOneToLastOnce("dev", last, "a subscriber on a node that stayed");
            }
            assertTrue(balancer.accepted() >= 6, "the TCP clients connected again, to node 1");
        }
    }

    @Test
    void aZeroMqSubscriberWhoseNodeClosesResumesOnAnotherWithNothingLostOrDoubled() throws Exception {
        Node leaving = nodes.get(2);
        List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
        ZmqChatClient first = keep(leaving.zmqClient("reader"));
        awaitJoined(first, keep(leaving.zmqClient("sync")));
        first.subscribe("dev", m -> seqs.add(m.seq()));
        awaitJoinedOn(first, "dev", keep(leaving.zmqClient("probe")), seqs);

        int posts = 600;
        List<CompletableFuture<?>> posted = new ArrayList<>();
        List<ZmqChatClient> posters = List.of(keep(nodes.get(0).zmqClient("p0")), keep(nodes.get(1).zmqClient("p1")));
        for (int n = 0; n < posts; n++) {
            posted.add(posters.get(n % 2).post("dev", "post " + n));
        }
        await().atMost(WAIT).until(() -> seqs.size() >= 100);
        first.close();
        leaving.close(); // mid-stream
        nodes.remove(leaving);

        // A fresh client on node 1 resumes after the last seq it had: the newest messages from
        // history merged with live ones, those it had dropped.
        long had = seqs.get(seqs.size() - 1);
        ZmqChatClient again = keep(nodes.get(0).zmqClient("reader"));
        again.subscribe("dev", HubOptions.MAX_HISTORY_LIMIT, m -> {
            if (m.seq() > had) {
                seqs.add(m.seq());
            }
        });
        CompletableFuture.allOf(posted.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long last = nodes.get(0).hub().lastSeq("dev");
        await().atMost(WAIT).until(() -> seqs.size() >= last);
        Seqs all = new Seqs();
        for (long s : List.copyOf(seqs)) {
            all.add(new ChatMessage("dev", s, "x", java.time.Instant.EPOCH, ""));
        }
        all.assertOneToLastOnce("dev", last, "the reader, across two nodes");
    }

    /**
     * One probe through {@code channel} (its #1), which the reader's listener records: its SUB
     * socket is live already ({@link #awaitJoined}), and now its subscription of the channel too.
     */
    static void awaitJoinedOn(ZmqChatClient reader, String channel, ZmqChatClient prober, List<Long> seqs)
            throws Exception {
        prober.post(channel, "probe").get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> !seqs.isEmpty());
    }

    @Test
    void aRestartedRedisIsANewEpochOnEveryNodeAndPostsFlowAgain() throws Exception {
        String before = nodes.get(0).hub().epoch();
        ZmqChatClient sub = keep(nodes.get(0).zmqClient("sub"));
        RecordingListener got = new RecordingListener();
        sub.subscribe("dev", got);
        ZmqChatClient poster = keep(nodes.get(1).zmqClient("poster"));
        awaitJoined(sub, keep(nodes.get(0).zmqClient("sync")));
        java.util.concurrent.BlockingQueue<String> tcpGot = new java.util.concurrent.LinkedBlockingQueue<>();
        TopicClient tcp = keep(TopicClient.builder("127.0.0.1", nodes.get(2).tcp().port()).topics(List.of("dev"))
                .user("tcpsub").retryFor(Duration.ofSeconds(60)).connect(m -> tcpGot.add(m.text())));
        awaitRegistered(tcp);
        poster.post("dev", "before").get(10, TimeUnit.SECONDS);
        poster.post("dev", "before 2").get(10, TimeUnit.SECONDS);
        assertEquals("before", got.next().text());
        assertEquals("before 2", got.next().text());
        assertEquals("before", tcpGot.poll(10, TimeUnit.SECONDS));
        assertEquals("before 2", tcpGot.poll(10, TimeUnit.SECONDS));

        redis.restart(); // empty: nothing was saved
        assertEquals(1, poster.post("dev", "after").get(20, TimeUnit.SECONDS).seq(), "counted from 1 again");
        await().atMost(WAIT).until(() -> nodes.stream().allMatch(n -> !n.hub().epoch().equals(before)
                && n.hub().epoch().equals(nodes.get(1).hub().epoch())));
        assertNotEquals(before, nodes.get(2).hub().epoch());
        // The subscriber posts nothing: it learns the new epoch from its subscription's periodic
        // check of the channel's newest seq, and fetches what it took for a duplicate.
        ChatMessage after = got.next(WAIT);
        assertEquals("after", after.text());
        assertEquals(1, after.seq());
        assertEquals(null, got.poll(Duration.ofMillis(300)), "nothing twice");
        assertEquals("after", tcpGot.poll(20, TimeUnit.SECONDS), "the TCP client on node 3 gets it too");
    }

    /** The seqs missing from a subscriber's channel, a few of them, for the message of a failure. */
    static List<Long> gaps(Seqs s, String channel) {
        List<Long> got = List.copyOf(s.byChannel.getOrDefault(channel, List.of()));
        Set<Long> have = Set.copyOf(got);
        List<Long> missing = new ArrayList<>();
        long last = got.stream().mapToLong(Long::longValue).max().orElse(0);
        for (long q = 1; q <= last && missing.size() < 10; q++) {
            if (!have.contains(q)) {
                missing.add(q);
            }
        }
        return missing;
    }

    /** Answered on the connection after the registration: from then on it gets live messages. */
    static void awaitRegistered(TopicClient client) throws Exception {
        await().atMost(WAIT).until(client::isConnected);
        client.presence("dev").get(10, TimeUnit.SECONDS);
    }

    private static TcpListener listener(List<String> got) {
        return m -> got.add(m.user() + "/" + m.text());
    }

    /** Posts probes to a channel of its own until {@code subscriber} hears one: its SUB socket is live. */
    static void awaitJoined(ZmqChatClient subscriber, ZmqChatClient poster) throws Exception {
        String channel = "sync-" + subscriber.user();
        RecordingListener probes = new RecordingListener();
        try (var s = subscriber.subscribe(channel, probes)) {
            for (int i = 0; i < 100; i++) {
                poster.post(channel, "probe " + i).get(10, TimeUnit.SECONDS);
                if (probes.poll(Duration.ofMillis(100)) != null) {
                    return;
                }
            }
        }
        throw new AssertionError("subscription of " + subscriber.user() + " never took effect");
    }

    /** Posts {@code count}, at most 64 unacknowledged at once, noting each outcome. */
    private static void post(TopicClient poster, String name, int count, SoakLedger ledger) {
        Semaphore window = new Semaphore(64);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            window.acquireUninterruptibly();
            String key = SoakLedger.key(name, n);
            all.add(poster.sendAcknowledged("dev", "post " + n).whenComplete((ack, error) -> {
                ledger.outcome(key, error);
                window.release();
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    }
}
