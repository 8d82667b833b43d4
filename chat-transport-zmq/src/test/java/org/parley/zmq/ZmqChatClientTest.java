package org.parley.zmq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatClient;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.MessageListener;
import org.parley.core.PostAck;
import org.parley.core.ProtocolException;
import org.parley.core.testing.RecordingListener;
import org.parley.zmq.internal.IoTicker;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

class ZmqChatClientTest {
    private ZmqChatServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = ZmqTestSupport.startServer();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        server.close();
    }

    private ZmqChatClient client(String user) throws IOException {
        ZmqChatClient c = ZmqTestSupport.client(server, user);
        closeables.add(c);
        return c;
    }

    @Test
    void postIsAcknowledgedWithTheServersSeq() throws Exception {
        ZmqChatClient alice = client("alice");
        PostAck first = alice.post("general", "one").get(5, TimeUnit.SECONDS);
        PostAck second = alice.post("general", "two").get(5, TimeUnit.SECONDS);
        assertEquals("general", first.channel());
        assertEquals(1, first.seq());
        assertEquals(2, second.seq());
    }

    @Test
    void rejectedPostFailsWithTheServersError() throws Exception {
        ZmqChatClient alice = client("alice");
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> alice.post("ALL", "hi").get(5, TimeUnit.SECONDS));
        assertInstanceOf(ProtocolException.class, e.getCause());
        assertEquals("channel ALL is read-only", e.getCause().getMessage());
        e = assertThrows(ExecutionException.class, () -> alice.post("general", " ").get(5, TimeUnit.SECONDS));
        assertEquals("text is blank", e.getCause().getMessage());
    }

    @Test
    void postWithoutServerFailsAfterTheRequestTimeout() throws Exception {
        int port = freePort();
        try (ZmqChatClient lonely = ZmqChatClient.connect(ZmqClientOptions.builder()
                .postPort(port).user("lonely").postTimeout(Duration.ofMillis(300)).build())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> lonely.post("general", "anyone?").get(5, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
            assertEquals("no reply from tcp://127.0.0.1:" + port + " within 300 ms", e.getCause().getMessage());
        }
    }

    /**
     * Starts a new server on the ports and posts until {@code client} reaches it: its first post
     * that does is the server's first message, so nothing it reported as failed before went.
     */
    private void assertTheNextPostIsTheFirstOfANewServer(ZmqChatClient client, int postPort, int pubPort)
            throws Exception {
        server.close();
        server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(postPort).pubPort(pubPort).build());
        PostAck ack = null;
        for (int i = 0; ack == null; i++) {
            assertTrue(i < 50, "the client never reached the server");
            try {
                ack = client.post("general", "now?").get(5, TimeUnit.SECONDS);
            } catch (ExecutionException timedOut) {
                // not connected yet: this one was not sent either
            }
        }
        assertEquals(1, ack.seq(), "a post reported as failed reached the server");
        assertEquals(List.of("now?"), server.hub().recent("general", 10).messages().stream()
                .map(ChatMessage::text).toList());
    }

    @Test
    void aPostReportedAsFailedIsNeverDeliveredWhenAServerStartsLater() throws Exception {
        int postPort;
        int pubPort;
        try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
            postPort = a.getLocalPort();
            pubPort = b.getLocalPort();
        }
        try (ZmqChatClient early = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(postPort)
                .pubPort(pubPort).user("early").postTimeout(Duration.ofMillis(300)).build())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> early.post("general", "anyone?").get(5, TimeUnit.SECONDS));
            assertEquals("no reply from tcp://127.0.0.1:" + postPort + " within 300 ms", e.getCause().getMessage());
            assertTheNextPostIsTheFirstOfANewServer(early, postPort, pubPort);
        }
    }

    @Test
    void aPostFailedWhileThePortTalkedNoZeroMqIsNeverDeliveredToTheServerAfter() throws Exception {
        // A port that accepts TCP but never finishes ZeroMQ's handshake (a hung or stopping
        // server): the post must not wait in a pipe for the next server on that port.
        int pubPort;
        try (ServerSocket b = new ServerSocket(0)) {
            pubPort = b.getLocalPort();
        }
        ServerSocket mute = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        int postPort = mute.getLocalPort();
        try (ZmqChatClient early = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(postPort)
                .pubPort(pubPort).user("early").postTimeout(Duration.ofMillis(300)).build())) {
            java.net.Socket accepted = mute.accept(); // TCP is up; ZeroMQ never answers
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> early.post("general", "anyone?").get(5, TimeUnit.SECONDS));
            assertEquals("no reply from tcp://127.0.0.1:" + postPort + " within 300 ms: the port accepts connections,"
                    + " but no ZeroMQ post socket answers there (are the post and PUB ports swapped?)",
                    e.getCause().getMessage());
            accepted.close();
            mute.close();
            assertTheNextPostIsTheFirstOfANewServer(early, postPort, pubPort);
        } finally {
            mute.close();
        }
    }

    /** A ROUTER bound on {@code port} once the port is free again (a closed one lets go of it in the background). */
    private static ZMQ.Socket routerOn(ZContext context, int port) {
        ZMQ.Socket[] bound = new ZMQ.Socket[1];
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            ZMQ.Socket r = context.createSocket(SocketType.ROUTER);
            r.setLinger(0);
            r.setReceiveTimeOut(5000);
            try {
                r.bind("tcp://127.0.0.1:" + port);
            } catch (RuntimeException inUse) {
                r.close();
                throw inUse;
            }
            bound[0] = r;
            return true;
        });
        return bound[0];
    }

    @Test
    void aPostWhoseConnectionIsLostBeforeItsReplyIsSentAgainTheSameOnTheNextOne() throws Exception {
        int port = freePort();
        try (ZContext raw = new ZContext(1)) {
            IoTicker.attach(raw);
            ZMQ.Socket first = routerOn(raw, port);
            ZmqChatClient alice = aliceOn(port);
            CompletableFuture<PostAck> posted = alice.post("general", "are you there?");
            List<byte[]> sent = receiveRequest(first);
            first.close(); // the server went before it answered

            ZMQ.Socket second = routerOn(raw, port);
            List<byte[]> again = receiveRequest(second);
            String body = new String(again.get(2), UTF_8);
            assertEquals(new String(sent.get(2), UTF_8), body, "the same post: its id, time and ref");
            assertTrue(body.matches(".*\"id\":\"[0-9a-z]+\\.1\".*"), body);
            String ref = refOf(again);
            answer(second, again, "{\"ok\":true,\"channel\":\"general\",\"seq\":1,"
                    + "\"time\":\"2026-11-21T22:50:51.123Z\",\"ref\":\"" + ref + "\"}");
            assertEquals(1, posted.get(10, TimeUnit.SECONDS).seq());
        }
    }

    @Test
    void aPostAnsweredServerIsShuttingDownGoesAgainToTheNextServer() throws Exception {
        int port = freePort();
        try (ZContext raw = new ZContext(1)) {
            IoTicker.attach(raw);
            ZMQ.Socket stopping = routerOn(raw, port);
            ZmqChatClient alice = aliceOn(port);
            CompletableFuture<PostAck> posted = alice.post("general", "still there?");
            List<byte[]> sent = receiveRequest(stopping);
            String ref = refOf(sent);
            answer(stopping, sent, "{\"ok\":false,\"error\":\"server is shutting down\",\"ref\":\"" + ref + "\"}");
            // Not failed, and not sent again to the server that refused it: it waits for the next one.
            stopping.setReceiveTimeOut(300);
            assertEquals(null, stopping.recv(0), "sent again to the stopping server");
            assertTrue(!posted.isDone());
            stopping.close();

            ZMQ.Socket next = routerOn(raw, port);
            List<byte[]> again = receiveRequest(next);
            assertEquals(new String(sent.get(2), UTF_8), new String(again.get(2), UTF_8));
            answer(next, again, "{\"ok\":true,\"channel\":\"general\",\"seq\":4,"
                    + "\"time\":\"2026-11-21T22:50:51.123Z\",\"ref\":\"" + ref + "\"}");
            assertEquals(4, posted.get(10, TimeUnit.SECONDS).seq());
        }
    }

    @Test
    void aRequestWhoseBodyReachedTheServerWithoutItsDelimiterGoesAgainWhole() throws Exception {
        int port = freePort();
        try (ZContext raw = new ZContext(1)) {
            IoTicker.attach(raw);
            ZMQ.Socket server = routerOn(raw, port);
            ZmqChatClient alice = aliceOn(port);
            CompletableFuture<PostAck> posted = alice.post("general", "split?");
            List<byte[]> sent = receiveRequest(server);
            String ref = refOf(sent);
            // As the server answers a body that came alone (a connection that ended between the
            // two frames): the error names the request, which is not failed but sent again.
            answer(server, sent, "{\"ok\":false,\"error\":\"" + Wire.NO_DELIMITER + "\",\"ref\":\"" + ref + "\"}");
            List<byte[]> again = receiveRequest(server);
            assertEquals(new String(sent.get(2), UTF_8), new String(again.get(2), UTF_8));
            answer(server, again, "{\"ok\":true,\"channel\":\"general\",\"seq\":2,"
                    + "\"time\":\"2026-11-21T22:50:51.123Z\",\"ref\":\"" + ref + "\"}");
            assertEquals(2, posted.get(10, TimeUnit.SECONDS).seq());

            // A server that says so again of the same request does not keep it going round:
            // it goes again once, and the second answer fails it with the server's error.
            CompletableFuture<PostAck> twice = alice.post("general", "split again?");
            String error = "{\"ok\":false,\"error\":\"" + Wire.NO_DELIMITER + "\",\"ref\":\"";
            List<byte[]> first = receiveRequest(server);
            String ref2 = refOf(first);
            answer(server, first, error + ref2 + "\"}");
            List<byte[]> second = receiveRequest(server);
            assertEquals(new String(first.get(2), UTF_8), new String(second.get(2), UTF_8), "not the same request again");
            answer(server, second, error + ref2 + "\"}");
            ExecutionException failed = assertThrows(ExecutionException.class, () -> twice.get(10, TimeUnit.SECONDS));
            assertTrue(failed.getCause().getMessage().contains("no empty delimiter"), failed.getCause().toString());
            server.setReceiveTimeOut(300);
            assertEquals(null, server.recv(0), "sent a third time");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Alice's client on the post port {@code port}, closed after the test; posts wait up to 20 s. */
    private ZmqChatClient aliceOn(int port) throws IOException {
        ZmqChatClient alice = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(port).user("alice")
                .postTimeout(Duration.ofSeconds(20)).build());
        closeables.add(alice);
        return alice;
    }

    /** The {@code ref} of a request as {@link #receiveRequest} read it. */
    private static String refOf(List<byte[]> request) {
        return new String(request.get(2), UTF_8).replaceAll(".*\"ref\":\"([^\"]+)\".*", "$1");
    }

    /** Answers {@code request} (as {@link #receiveRequest} read it) with {@code body}, as a server does. */
    private static void answer(ZMQ.Socket router, List<byte[]> request, String body) {
        router.sendMore(request.get(0));
        router.sendMore(new byte[0]);
        router.send(body);
    }

    /** One request as a ROUTER reads it: identity, delimiter, body. */
    private static List<byte[]> receiveRequest(ZMQ.Socket router) {
        List<byte[]> frames = new ArrayList<>();
        do {
            byte[] frame = router.recv(0);
            assertTrue(frame != null, "no request within 5 s");
            frames.add(frame);
        } while (router.hasReceiveMore());
        assertEquals(3, frames.size());
        return frames;
    }

    @Test
    void postsInFlightWhenTheServerRestartsAreAcknowledgedByTheNewOneOnce() throws Exception {
        ZmqChatClient alice = client("alice");
        int postPort = server.postPort();
        int pubPort = server.pubPort();
        alice.post("general", "before").get(5, TimeUnit.SECONDS);
        server.close();
        List<CompletableFuture<PostAck>> posts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            posts.add(alice.post("general", "during " + i));
        }
        server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(postPort).pubPort(pubPort).build());
        for (int i = 0; i < 20; i++) {
            assertEquals(i + 1, posts.get(i).get(20, TimeUnit.SECONDS).seq(), "in order, each once");
        }
        assertEquals(20, server.hub().recent("general", 100).messages().size());
    }

    @Test
    void clientsSeeWhoIsInAChannelAndWhichChannelsAreInUse() throws Exception {
        ZmqChatClient alice = client("alice");
        ZmqChatClient bob = client("bob");
        assertEquals(List.of("alice"), alice.presence("dev").get(5, TimeUnit.SECONDS));
        assertEquals(List.of("alice", "bob"), bob.presence("dev").get(5, TimeUnit.SECONDS));
        bob.post("news", "extra").get(5, TimeUnit.SECONDS);
        assertEquals(java.util.Map.of("dev", 2, "news", 0), alice.channels().get(5, TimeUnit.SECONDS));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> alice.presence("no way").get(5, TimeUnit.SECONDS));
        assertEquals("channel \"no way\" breaks the rule [\\p{L}\\p{N}_.-]{1,64}", e.getCause().getMessage());
    }

    @Test
    void closeWaitsForAnUnansweredRequestNoLongerThanItsTimeout() throws Exception {
        int port = freePort();
        ZmqChatClient lonely = ZmqChatClient.connect(ZmqClientOptions.builder()
                .postPort(port).user("lonely-closer").postTimeout(Duration.ofMillis(300)).build());
        CompletableFuture<PostAck> post = lonely.post("general", "anyone?");

        long start = System.nanoTime();
        lonely.close();
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        // The request fails at its timeout, and close stops waiting then, not at CLOSE_WAIT_MILLIS.
        ExecutionException e = assertThrows(ExecutionException.class, () -> post.get(5, TimeUnit.SECONDS));
        assertEquals("no reply from tcp://127.0.0.1:" + port + " within 300 ms", e.getCause().getMessage());
        assertTrue(tookMillis < ZmqChatClient.CLOSE_WAIT_MILLIS - 500, "close took " + tookMillis + " ms");
    }

    @Test
    void subscriberOfDevNeverSeesDevops() throws Exception {
        ZmqChatClient dev = client("dev");
        ZmqChatClient poster = client("poster");
        RecordingListener seen = new RecordingListener();
        dev.subscribe("dev", seen);
        ZmqTestSupport.awaitJoined(dev, poster);
        poster.post("devops", "not for dev").get();
        poster.post("dev", "for dev").get();
        // One server thread publishes in post order: a devops leak would have come first.
        assertEquals("for dev", seen.next().text());
    }

    @Test
    void devTopicFilterExcludesDevopsAtTheZeroMqLevel() throws Exception {
        ZmqChatClient poster = client("poster");
        try (ZContext raw = new ZContext(1)) {
            IoTicker.attach(raw);
            ZMQ.Socket sub = raw.createSocket(SocketType.SUB);
            sub.setReceiveTimeOut(100);
            sub.subscribe("dev\0".getBytes(UTF_8));
            sub.connect("tcp://127.0.0.1:" + server.pubPort());
            byte[] topic = null;
            for (int i = 0; i < 100 && topic == null; i++) {
                poster.post("dev", "probe").get();
                topic = sub.recv(0);
            }
            assertEquals("dev\0", new String(topic, UTF_8));
            while (sub.recv(ZMQ.DONTWAIT) != null) {
                // drain the probes
            }
            sub.setReceiveTimeOut(5000); // live now: wait for "last" as long as a message may take
            poster.post("devops", "filtered out").get();
            poster.post("dev", "last").get();
            List<String> bodies = new ArrayList<>();
            byte[] frame;
            while ((frame = sub.recv(0)) != null) {
                bodies.add(new String(frame, UTF_8));
                if (bodies.get(bodies.size() - 1).contains("\"last\"")) {
                    break;
                }
            }
            assertTrue(!bodies.isEmpty() && bodies.get(bodies.size() - 1).contains("\"last\""),
                    "the dev message after the devops one arrived: " + bodies);
            assertTrue(bodies.stream().noneMatch(b -> b.contains("devops")), bodies.toString());
        }
    }

    @Test
    void subscriberOfAllSeesEveryChannelAndCannotPost() throws Exception {
        ZmqChatClient watcher = client("watcher");
        ZmqChatClient poster = client("poster");
        RecordingListener all = new RecordingListener();
        watcher.subscribe("ALL", all);
        ZmqTestSupport.awaitJoined(watcher, poster);
        poster.post("dev", "d").get();
        poster.post("ops", "o").get();
        List<String> got = new ArrayList<>();
        while (got.size() < 2) {
            ChatMessage m = all.next();
            if (!m.channel().startsWith("sync-")) {
                got.add(m.channel() + ":" + m.text());
            }
        }
        assertEquals(List.of("dev:d", "ops:o"), got);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> watcher.post("ALL", "let me in").get(5, TimeUnit.SECONDS));
        assertEquals("channel ALL is read-only", e.getCause().getMessage());
    }

    @Test
    void fourConcurrentPostersGetGaplessSeqAndTheSubscriberSeesEachOnce() throws Exception {
        ZmqChatClient reader = client("reader");
        RecordingListener seen = new RecordingListener();
        reader.subscribe("busy", seen);
        ZmqTestSupport.awaitJoined(reader, reader);
        int perClient = 200;
        List<CompletableFuture<PostAck>> acks = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<ZmqChatClient> posters = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            posters.add(client("poster" + c));
        }
        for (ZmqChatClient p : posters) {
            Thread t = new Thread(() -> {
                for (int i = 0; i < perClient; i++) {
                    CompletableFuture<PostAck> f = p.post("busy", p.user() + " " + i);
                    synchronized (acks) {
                        acks.add(f);
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        Set<Long> seqs = new HashSet<>();
        for (CompletableFuture<PostAck> f : acks) {
            seqs.add(f.get(10, TimeUnit.SECONDS).seq());
        }
        assertEquals(4 * perClient, seqs.size());
        assertEquals(1, (long) seqs.stream().min(Long::compare).orElseThrow());
        assertEquals(4 * perClient, (long) seqs.stream().max(Long::compare).orElseThrow());
        for (int i = 1; i <= 4 * perClient; i++) {
            assertEquals(i, seen.next().seq());
        }
        // Delivery is in order: a duplicate would come before this last one.
        posters.get(0).post("busy", "the end").get();
        assertEquals("the end", seen.next().text());
    }

    @Test
    void lateJoinerReadsHistoryThenLiveMessagesWithoutDuplicates() throws Exception {
        ZmqChatClient alice = client("alice");
        for (int i = 1; i <= 30; i++) {
            alice.post("general", "old " + i).get();
        }
        HistoryPage page = alice.history("general", 25, 100).get();
        assertEquals(5, page.messages().size());
        assertEquals(1, page.first());
        assertEquals(30, page.last());
        ZmqChatClient bob = client("bob");
        RecordingListener seen = new RecordingListener();
        bob.subscribe("general", 20, seen);
        for (int i = 11; i <= 30; i++) {
            assertEquals("old " + i, seen.next().text());
        }
        alice.post("general", "new").get();
        ChatMessage live = seen.next();
        // The subscription may have missed "new" on PUB while joining; repair fills it in.
        assertEquals("new", live.text());
        assertEquals(31, live.seq());
        alice.post("general", "newer").get();
        assertEquals("newer", seen.next().text(), "nothing twice: the next one is the next post");
    }

    @Test
    void replayListenerIsToldOnceTheHistoryIsDeliveredAndBeforeAnyLaterMessage() throws Exception {
        ZmqChatClient alice = client("alice");
        for (String text : List.of("one", "two", "three")) {
            alice.post("dev", text).get(5, TimeUnit.SECONDS);
        }
        ZmqChatClient bob = client("bob");
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        ZmqChatClient.ReplayListener marker = (n, failure) -> seen.add("replayed " + n + (failure == null ? "" : " " + failure));
        bob.subscribe("dev", 2, m -> seen.add(m.text()), marker);
        alice.post("dev", "four"); // while bob joins: in his history or after the marker, never before it
        bob.subscribe("empty", 5, m -> seen.add(m.text()), (n, failure) -> seen.add("empty replayed " + n + " " + failure));
        bob.subscribe("quiet", 0, m -> seen.add(m.text()), (n, failure) -> seen.add("quiet replayed " + n + " " + failure));
        ZmqTestSupport.awaitJoined(bob, alice);
        alice.post("dev", "five").get(5, TimeUnit.SECONDS);

        List<String> order = new ArrayList<>();
        while (!order.contains("five")) {
            String next = seen.poll(10, TimeUnit.SECONDS);
            assertTrue(next != null, "nothing more after " + order);
            order.add(next);
        }
        // The history's messages, then the marker with their number, then the later ones; each once.
        List<String> dev = order.stream().filter(t -> !t.contains("replayed")).toList();
        int marked = order.indexOf(order.stream().filter(t -> t.startsWith("replayed ")).findFirst().orElseThrow());
        assertEquals(List.of("two", "three", "four", "five").subList(dev.size() == 4 ? 0 : 1, 4), dev, order.toString());
        assertEquals("replayed " + marked, order.get(marked), order.toString());
        assertTrue(marked == 2 || marked == 3 && dev.get(marked - 1).equals("four"), order.toString());
        assertTrue(order.indexOf("five") > marked, order.toString());
        // One subscription's replay is over before the next one's, each called once.
        assertEquals(List.of("empty replayed 0 null", "quiet replayed 0 null"),
                order.stream().filter(t -> t.contains(" replayed ")).toList(), order.toString());
        assertTrue(order.indexOf("empty replayed 0 null") > marked, order.toString());
        assertEquals(null, seen.poll(200, TimeUnit.MILLISECONDS), "nothing called twice");
    }

    @Test
    void replayListenerHearsWhyTheHistoryCouldNotBeReadAndOfNoHistoryWithoutAPostPort() throws Exception {
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        int nobody = freePort();
        try (ZmqChatClient lost = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(nobody)
                .pubPort(server.pubPort()).user("lost").requestTimeout(Duration.ofMillis(300)).build());
             ZmqChatClient listener = ZmqChatClient.connect(ZmqClientOptions.builder()
                     .pubPort(server.pubPort()).user("listener").build())) {
            lost.subscribe("dev", 5, m -> seen.add(m.text()), (n, failure) -> seen.add(n + " " + failure.getMessage()));
            assertEquals("0 no reply from tcp://127.0.0.1:" + nobody + " within 300 ms", seen.poll(10, TimeUnit.SECONDS));
            listener.subscribe("dev", 5, m -> seen.add(m.text()), (n, failure) -> seen.add(n + " " + failure));
            assertEquals("0 null", seen.poll(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void recentOfAllMergesChannelsInArrivalOrder() throws Exception {
        ZmqChatClient alice = client("alice");
        alice.post("dev", "d1").get();
        alice.post("ops", "o1").get();
        alice.post("dev", "d2").get();
        List<String> texts = new ArrayList<>();
        alice.recent("ALL", 10).get().messages().forEach(m -> texts.add(m.text()));
        assertEquals(List.of("d1", "o1", "d2"), texts);
    }

    @Test
    void subscriberWithoutPostPortReceivesWhatOthersPost() throws Exception {
        // No post port: no epoch probe, so no connection monitor either; publications still flow.
        ZmqChatClient watcher = ZmqChatClient.connect(ZmqClientOptions.builder()
                .pubPort(server.pubPort()).user("watcher").build());
        closeables.add(watcher);
        RecordingListener seen = new RecordingListener();
        watcher.subscribe("general", seen);
        ZmqChatClient alice = client("alice");
        ZmqTestSupport.awaitJoined(watcher, alice);
        alice.post("general", "to the watcher").get(5, TimeUnit.SECONDS);
        assertEquals("to the watcher", seen.next().text());
    }

    @Test
    void listenerThatThrowsLosesOnlyTheMessageItThrewOn() throws Exception {
        ZmqChatClient bob = client("bob");
        RecordingListener seen = new RecordingListener();
        bob.subscribe("general", m -> {
            if (m.text().equals("boom")) {
                throw new IllegalStateException("listener failure on purpose");
            }
            seen.onMessage(m);
        });
        ZmqChatClient alice = client("alice");
        ZmqTestSupport.awaitJoined(bob, alice);
        // Pipelined, so that they most likely arrive in one pass and are delivered as one batch.
        List<CompletableFuture<PostAck>> acks = new ArrayList<>();
        for (String text : List.of("before", "boom", "after", "boom", "last")) {
            acks.add(alice.post("general", text));
        }
        for (CompletableFuture<PostAck> f : acks) {
            f.get(5, TimeUnit.SECONDS);
        }
        assertEquals(List.of("before", "after", "last"), ZmqTestSupport.texts(seen.next(3)));
    }

    @Test
    void slowListenerStillGetsEveryMessageOnceInOrder() throws Exception {
        ZmqChatClient slow = ZmqChatClient.connect(ZmqTestSupport.clientOf(server, "slow")
                .receiveHighWaterMark(2).build());
        closeables.add(slow);
        ZmqChatClient poster = client("poster");
        CountDownLatch release = new CountDownLatch(1);
        RecordingListener seen = new RecordingListener();
        slow.subscribe("flood", new MessageListener() {
            @Override
            public void onMessage(ChatMessage m) {
                seen.onMessage(m);
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        ZmqTestSupport.awaitJoined(slow, poster);
        int n = 300;
        for (int i = 1; i <= n; i++) {
            poster.post("flood", "m" + i).get();
        }
        // While the listener is stuck on m1, at most two more fit in the queue: the rest is dropped.
        assertEquals("m1", seen.next().text());
        release.countDown();
        for (int i = 2; i <= n; i++) {
            ChatMessage m = seen.next();
            assertEquals(i, m.seq());
        }
        poster.post("flood", "the end").get();
        assertEquals("the end", seen.next().text(), "nothing twice: the next one is the next post");
        assertTrue(slow.repairs.get() > 0, "the test must exercise the repair");
    }

    @Test
    void clientWhoseServerRestartsResumesOnceEachAndFetchesWhatItMissed() throws Exception {
        ZmqChatClient bob = client("bob");
        RecordingListener seen = new RecordingListener();
        bob.subscribe("general", seen);
        try (ChatClient alice = server.hub().connect("alice")) {
            ZmqTestSupport.awaitJoined(bob, alice);
            for (int i = 1; i <= 3; i++) {
                alice.post("general", "before " + i).join();
            }
        }
        assertEquals(List.of("before 1", "before 2", "before 3"), ZmqTestSupport.texts(seen.next(3)));
        // Same ports, an empty log: seq starts at 1 again.
        server = ZmqTestSupport.restartOnSamePorts(server);
        try (ChatClient carol = server.hub().connect("carol")) {
            // Most likely before bob reconnected: these reach him from the new server's history.
            carol.post("general", "after 1").join();
            carol.post("general", "after 2").join();
            PostAck ack = bob.post("general", "bob is back").get(10, TimeUnit.SECONDS);
            assertEquals(3, ack.seq(), "a post after the restart is acknowledged by the new server");
            ZmqTestSupport.awaitJoined(bob, carol);
            carol.post("general", "after 4").join();
            List<ChatMessage> after = seen.next(4);
            assertEquals(List.of("after 1", "after 2", "bob is back", "after 4"), ZmqTestSupport.texts(after));
            assertEquals(List.of(1L, 2L, 3L, 4L), after.stream().map(ChatMessage::seq).toList());
            carol.post("general", "after 5").join();
            assertEquals("after 5", seen.next().text(), "nothing twice: the next one is the next post");
        }
    }

    @Test
    void theIoThreadTicksOnlyWhileAConnectionIsBeingMade() throws Exception {
        ZmqChatClient bob = client("bob");
        bob.subscribe("general", new RecordingListener());
        // Put on as the client connects (its connections may be up already: the process's
        // context is running, so they come up at once).
        assertEquals(1, bob.loop.tickerStarts(), "ticking from the start, while connecting");
        bob.post("general", "up").get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> !bob.loop.ticking()); // both connections up: idle
        int[] ports = {server.postPort(), server.pubPort()};
        server.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> bob.loop.tickerStarts() >= 2); // reconnecting
        server = ZmqTestSupport.restartOnSamePorts(server);
        assertEquals(ports[0], server.postPort());
        assertEquals(1, bob.post("general", "again").get(10, TimeUnit.SECONDS).seq(), "a new server: seq 1");
        await().atMost(Duration.ofSeconds(10)).until(() -> !bob.loop.ticking());
    }

    @Test
    void aSubscriberWithoutAPostPortCountsAnewAfterTheServerRestarts() throws Exception {
        // pub_client's case: no post port, so no epoch to ask for. The old server's numbers
        // (200 here) must not make the new server's 1, 2, ... look like duplicates.
        ZmqChatClient listener = ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                .pubPort(server.pubPort()).build());
        closeables.add(listener);
        RecordingListener seen = new RecordingListener();
        listener.subscribe("news", seen);
        try (ChatClient alice = server.hub().connect("alice")) {
            for (int i = 0; seen.poll(Duration.ofMillis(100)) == null; i++) {
                assertTrue(i < 100, "the subscription never took effect");
                alice.post("news", "probe").join();
            }
            while (server.hub().lastSeq("news") < 200) {
                alice.post("news", "before").join();
            }
            alice.post("news", "last before").join();
            while (!seen.next().text().equals("last before")) {
                // what the old server published, all of it heard
            }
        }
        server = ZmqTestSupport.restartOnSamePorts(server);
        try (ChatClient carol = server.hub().connect("carol")) {
            ChatMessage first = null;
            for (int i = 1; first == null || !first.text().startsWith("after"); i++) {
                assertTrue(i < 150, "nothing of the new server reached the listener in " + i + " posts: "
                        + "its seq 1.. were taken for the old server's");
                carol.post("news", "after " + i).join();
                first = seen.poll(Duration.ofMillis(100));
            }
            carol.post("news", "next").join();
            ChatMessage next = seen.next();
            while (next.text().startsWith("after")) { // the reconnection probes still in flight
                next = seen.next();
            }
            assertEquals("next", next.text());
            assertTrue(next.seq() < 200, "counted by the new server: " + next.seq());
        }
    }

    @Test
    void closeWaitsForPendingAcksAndLeavesNoThread() throws Exception {
        ZmqChatClient alice = ZmqTestSupport.client(server, "closer");
        alice.subscribe("general", new RecordingListener());
        alice.post("general", "connected").get(5, TimeUnit.SECONDS);
        List<CompletableFuture<PostAck>> acks = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            acks.add(alice.post("general", "m" + i));
        }
        alice.close();
        for (CompletableFuture<PostAck> f : acks) {
            assertTrue(f.isDone() && !f.isCompletedExceptionally());
        }
        alice.close();
        Set<String> left = ZmqTestSupport.parleyThreads();
        assertTrue(left.stream().noneMatch(n -> n.endsWith("-closer")), left.toString());
        ExecutionException e = assertThrows(ExecutionException.class, () -> alice.post("general", "late").get());
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void optionsRejectBadValues() {
        assertThrows(IllegalArgumentException.class,
                () -> ZmqClientOptions.builder().postPort(5555).user("bad name").build());
        assertThrows(IllegalArgumentException.class, () -> ZmqClientOptions.builder().build());
        assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().postPort(70000).build());
        assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().postPort(5555).pubPort(5555).build());
    }
}
