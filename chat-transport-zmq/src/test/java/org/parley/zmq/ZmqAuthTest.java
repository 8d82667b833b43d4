package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatClient;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HubOptions;
import org.parley.core.PostAck;
import org.parley.core.testing.DroppingProxy;
import org.parley.core.testing.RecordingListener;
import org.zeromq.ZMQ;

/**
 * A server whose hub authenticates: CurveZMQ on both sockets, a ZAP handler that lets in the
 * keys of the users file, posts only under the key's user, and the file's read and write rules
 * on requests and on PUB subscriptions.
 */
class ZmqAuthTest {
    private static final Duration SHORT = Duration.ofSeconds(3);

    @TempDir
    Path dir;
    private final ZMQ.Curve.KeyPair serverKeys = ZMQ.Curve.generateKeyPair();
    private final ZMQ.Curve.KeyPair aliceKeys = ZMQ.Curve.generateKeyPair();
    private final ZMQ.Curve.KeyPair bobKeys = ZMQ.Curve.generateKeyPair();
    private ChatHub hub;
    private ZmqChatServer server;

    @BeforeEach
    void start() throws IOException {
        Path users = dir.resolve("users");
        Files.writeString(users, String.join("\n",
                "# the users of this test",
                "alice curve=" + aliceKeys.publicKey,
                "bob   curve=" + bobKeys.publicKey + " read=dev,sync-* write=dev,sync-*",
                ""));
        hub = ChatHub.create(HubOptions.builder().usersFile(users).build());
        server = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).hub(hub)
                .curve(serverKeys.publicKey, serverKeys.secretKey).build());
    }

    @AfterEach
    void stop() {
        server.close();
        hub.close();
    }

    private ZmqChatClient client(String user, ZMQ.Curve.KeyPair keys) throws IOException {
        return client(user, keys, server.postPort(), server.pubPort());
    }

    private ZmqChatClient client(String user, ZMQ.Curve.KeyPair keys, int postPort, int pubPort) throws IOException {
        ZmqClientOptions.Builder options = ZmqClientOptions.builder().postPort(postPort).pubPort(pubPort).user(user)
                .requestTimeout(SHORT).postTimeout(SHORT);
        if (keys != null) {
            options.curve(serverKeys.publicKey, keys.publicKey, keys.secretKey);
        }
        return ZmqChatClient.connect(options.build());
    }

    private static String failure(java.util.concurrent.CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return e.getCause().getMessage();
    }

    @Test
    void aUserWithTheirKeyPostsAndReadsAsThemselves() throws Exception {
        try (ZmqChatClient alice = client("alice", aliceKeys)) {
            PostAck ack = alice.post("general", "signed, alice").get(10, TimeUnit.SECONDS);
            assertEquals(1, ack.seq());
            List<ChatMessage> page = alice.history("general", 0, 10).get(10, TimeUnit.SECONDS).messages();
            assertEquals("alice", page.get(0).user());
            assertEquals("signed, alice", page.get(0).text());
        }
    }

    @Test
    void aPostUnderAnotherUsersNameIsRefusedAndNotRecorded() throws Exception {
        try (ZmqChatClient mallory = client("bob", aliceKeys)) { // alice's key, bob's name
            assertEquals("user \"bob\" is not this connection's user: its key is alice's",
                    failure(mallory.post("dev", "I am bob")));
        }
        assertEquals(0, hub.lastSeq("dev"));
    }

    @Test
    void aKeyOfNoUserIsRefusedAtTheHandshake() throws Exception {
        try (ZmqChatClient stranger = client("alice", ZMQ.Curve.generateKeyPair())) {
            String why = failure(stranger.post("general", "let me in"));
            assertTrue(why.contains("the server refused this client's key"), why);
        }
        assertTrue(server.refusedHandshakes.get() > 0);
        assertEquals(0, hub.lastSeq("general"));
    }

    @Test
    void aPlainClientIsRefused() throws Exception {
        try (ZmqChatClient plain = client("alice", null)) {
            String why = failure(plain.post("general", "in clear"));
            assertTrue(why.contains("the server may require a key (CurveZMQ)"), why);
        }
        assertEquals(0, hub.lastSeq("general"));
    }

    @Test
    void theWriteRuleOfTheUsersFileHolds() throws Exception {
        try (ZmqChatClient bob = client("bob", bobKeys)) {
            assertEquals("user bob may not post to general", failure(bob.post("general", "not my channel")));
            assertEquals(1, bob.post("dev", "mine").get(10, TimeUnit.SECONDS).seq());
        }
    }

    @Test
    void theReadRuleHoldsForHistoryPresenceChannelsAndSubscriptions() throws Exception {
        try (ChatClient alice = hub.connect("alice");
             ZmqChatClient bob = client("bob", bobKeys)) {
            alice.post("general", "for alice's eyes").join();
            assertEquals("user bob may not read general", failure(bob.history("general", 0, 10)));
            assertEquals("user bob may not read general", failure(bob.recent("general", 5)));
            assertEquals("user bob may not read ALL", failure(bob.recent("ALL", 5)));
            assertEquals("user bob may not read general", failure(bob.presence("general")));
            assertFalse(bob.channels().get(10, TimeUnit.SECONDS).containsKey("general"));

            RecordingListener general = new RecordingListener();
            RecordingListener all = new RecordingListener();
            RecordingListener dev = new RecordingListener();
            bob.subscribe("general", general);
            bob.subscribe("ALL", all);
            bob.subscribe("dev", dev);
            ZmqTestSupport.awaitJoined(bob, alice);
            alice.post("general", "still not for bob").join();
            alice.post("dev", "for bob").join();
            // One PUB connection delivers in order, to one delivery thread: had general's or
            // ALL's subscription been applied, their messages would have come first.
            assertEquals("for bob", dev.next().text());
            assertEquals(null, general.poll(Duration.ZERO), "general was not subscribed");
            // What bob's ALL listener shows is what his connection receives: never general.
            for (ChatMessage m; (m = all.poll(Duration.ZERO)) != null; ) {
                assertTrue(m.channel().equals("dev") || m.channel().startsWith("sync-"), m.toString());
            }
        }
    }

    @Test
    void nothingOfAPostCrossesTheNetworkInClear() throws Exception {
        try (DroppingProxy post = new DroppingProxy(server.postPort());
             DroppingProxy pub = new DroppingProxy(server.pubPort());
             ZmqChatClient alice = client("alice", aliceKeys, post.port(), pub.port())) {
            RecordingListener seen = new RecordingListener();
            alice.subscribe("general", seen);
            ZmqTestSupport.awaitJoined(alice, alice);
            String secret = "the launch code is 0000";
            alice.post("general", secret).get(10, TimeUnit.SECONDS);
            assertEquals(secret, seen.next().text());
            for (DroppingProxy proxy : List.of(post, pub)) {
                String wire = new String(proxy.recorded(), StandardCharsets.ISO_8859_1);
                assertTrue(wire.length() > 200, "the proxy carried the connection: " + wire.length() + " bytes");
                assertFalse(wire.contains("launch code"), "the text crossed in clear");
                assertFalse(wire.contains("\"user\""), "the JSON crossed in clear");
            }
        }
    }

    @Test
    void withoutCurveThePostCrossesInClear() throws Exception {
        // The same capture on a plain server: the check above can fail.
        try (ZmqChatServer plain = ZmqTestSupport.startServer();
             DroppingProxy post = new DroppingProxy(plain.postPort());
             ZmqChatClient alice = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(post.port())
                     .user("alice").build())) {
            alice.post("general", "the launch code is 0000").get(10, TimeUnit.SECONDS);
            assertTrue(new String(post.recorded(), StandardCharsets.ISO_8859_1).contains("launch code"));
        }
    }

    @Test
    void aServerOfAnAuthenticatingHubNeedsItsKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().hub(hub).build());
        assertTrue(e.getMessage().contains("needs its CurveZMQ key pair"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().curve(serverKeys.publicKey, aliceKeys.secretKey));
        e = assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().curve(serverKeys.publicKey, serverKeys.secretKey).build());
        assertTrue(e.getMessage().startsWith("CurveZMQ needs a hub that authenticates its users"), e.getMessage());
    }
}
