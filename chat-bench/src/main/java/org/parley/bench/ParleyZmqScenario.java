package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.MessageListener;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.ZmqServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

/**
 * Parley ZeroMQ: a {@link ZmqChatServer} in this JVM on loopback ports, K {@link ZmqChatClient}
 * subscribers of channel {@code bench}, and posting clients that post through their DEALER
 * sockets, pipelined (a post's acknowledgement is not awaited before the next is sent).
 *
 * <p>The clients share one JeroMQ context, as the ZeroMQ clients of any process do (two I/O
 * threads; raw JeroMQ's SUB sockets share one of one).
 *
 * <p>With {@code sqlite}, the server's hub keeps its messages in a SQLite file of a temporary
 * folder ({@code SqliteStore}, its defaults: commits grouped, {@code synchronous=FULL}).
 *
 * <p>With {@code curve}, the same with every user authenticated and every connection encrypted
 * (docs/SECURITY.md): a key pair per client, a users file naming them all, the server's key.
 *
 * <p>Deliveries are counted in the subscribers' listeners, on their delivery threads. A post
 * that fails (no acknowledgement within the request timeout) is counted and logged; the message
 * then shows as missing in delivered/expected.
 *
 * <p>Thread safety: as {@link Scenario}; each subscriber's listener runs on its own delivery
 * thread, the one thread that reports that subscriber into the sink.
 */
final class ParleyZmqScenario extends BaseScenario {
    private static final Logger log = LoggerFactory.getLogger(ParleyZmqScenario.class);
    static final String CHANNEL = "bench";

    private ZmqChatServer zmqServer;
    private ChatHub hub;
    private final List<ZmqChatClient> clients = new ArrayList<>();
    private final AtomicLong failedPosts = new AtomicLong();
    /** With CurveZMQ: the server's key pair and each user's, by name. */
    private final ZMQ.Curve.KeyPair serverKeys;
    private final Map<String, ZMQ.Curve.KeyPair> userKeys = new HashMap<>();

    private final boolean sqlite;
    private DurableHub durable;

    ParleyZmqScenario(int k, int publishers, boolean curve) {
        this(curve ? Systems.PARLEY_ZMQ_CURVE : Systems.PARLEY_ZMQ, k, publishers, curve, false);
    }

    /** Parley ZeroMQ on a SQLite store. */
    static ParleyZmqScenario durable(int k, int publishers) {
        return new ParleyZmqScenario(Systems.PARLEY_ZMQ_SQLITE, k, publishers, false, true);
    }

    private ParleyZmqScenario(String system, int k, int publishers, boolean curve, boolean sqlite) {
        super(system, k, publishers);
        this.serverKeys = curve ? ZMQ.Curve.generateKeyPair() : null;
        this.sqlite = sqlite;
    }

    /** A client's options: with its own keys, when the scenario encrypts. */
    private ZmqClientOptions.Builder client(String user) {
        ZmqClientOptions.Builder b = ZmqClientOptions.builder().host("127.0.0.1").user(user);
        ZMQ.Curve.KeyPair keys = userKeys.get(user);
        return keys == null ? b : b.curve(serverKeys.publicKey, keys.publicKey, keys.secretKey);
    }

    @Override
    public void setup(DeliverySink sink) throws IOException {
        ZmqServerOptions.Builder server = ZmqServerOptions.builder().host("127.0.0.1").postPort(0).pubPort(0);
        if (sqlite) {
            durable = DurableHub.open();
            hub = durable.hub();
            server.hub(hub);
        }
        if (serverKeys != null) {
            StringBuilder users = new StringBuilder();
            for (int i = 0; i < k + publishers(); i++) {
                String user = i < k ? "sub" + i : "post" + (i - k);
                ZMQ.Curve.KeyPair keys = ZMQ.Curve.generateKeyPair();
                userKeys.put(user, keys);
                users.append(user).append(" curve=").append(keys.publicKey).append('\n');
            }
            Path file = Files.createTempFile("parley-bench-users", "");
            try {
                Files.writeString(file, users);
                hub = ChatHub.create(HubOptions.builder().usersFile(file).build());
            } finally {
                Files.delete(file);
            }
            server.hub(hub).curve(serverKeys.publicKey, serverKeys.secretKey);
        }
        zmqServer = ZmqChatServer.start(server.build());
        for (int i = 0; i < k; i++) {
            int sub = i;
            ZmqChatClient c = ZmqChatClient.connect(client("sub" + i)
                    .postPort(zmqServer.postPort()).pubPort(zmqServer.pubPort()).build());
            clients.add(c);
            MessageListener listener = m -> sink.deliver(sub, m.text());
            c.subscribe(CHANNEL, listener);
        }
    }

    @Override
    public Sender openSender(int index) throws IOException {
        ZmqChatClient client = ZmqChatClient.connect(client("post" + index)
                .postPort(zmqServer.postPort()).pubPort(ZmqClientOptions.NO_PORT).build());
        synchronized (clients) {
            clients.add(client);
        }
        return poster(client, system(), failedPosts);
    }

    /**
     * A sender that posts through {@code client} to {@value #CHANNEL}, pipelined, counting the
     * posts that fail in {@code failed} (the first is logged): every scenario of Parley ZeroMQ
     * clients posts this way.
     */
    static Sender poster(ZmqChatClient client, String system, AtomicLong failed) {
        return new Sender() {
            @Override
            public void send(byte[] payload) {
                post(Payload.asString(payload));
            }

            private void post(String text) {
                client.post(CHANNEL, text).whenComplete((ack, error) -> {
                    if (error != null && failed.incrementAndGet() == 1) {
                        log.warn("a post failed: {}", error.toString());
                    }
                });
            }

            @Override
            public void awaitReady(DeliverySink sink, long timeoutNanos) {
                // A SUB socket's subscription reaches the server a moment after it connects: probe.
                String probe = Payload.asString(Payload.probe());
                probeUntilReady(sink, timeoutNanos, system, () -> post(probe));
            }
        };
    }

    @Override
    public void teardown() {
        synchronized (clients) {
            for (ZmqChatClient c : clients) {
                c.close();
            }
            clients.clear();
        }
        if (failedPosts.get() > 0) {
            log.warn("{} posts failed", failedPosts.get());
        }
        if (zmqServer != null) {
            zmqServer.close();
        }
        if (durable != null) {
            durable.close(); // the hub, its store and the file
        } else if (hub != null) {
            hub.close();
        }
    }
}
