package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.testing.RecordingListener;
import org.parley.core.testing.SoakLedger;
import org.parley.store.sqlite.SqliteStore;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.ZmqServerOptions;

/**
 * The delivery guarantee across restarts of a server on a file: 4 posters send 10,000 posts to
 * 3 subscribers while the server restarts three times on the same ports and file, each time
 * without waiting for the subscribers to catch up (a durable server forgets nothing they still
 * had to fetch). Every subscriber ends with every acknowledged post exactly once, in order per
 * poster, and the epoch never changes.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DurableRestartSoakTest {
    private static final int POSTERS = 4;
    private static final int SUBSCRIBERS = 3;
    private static final int POSTS = 10_000;
    private static final int IN_FLIGHT = 256; // per poster
    private static final String CHANNEL = "soak";

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedPostReachesEverySubscriberOnceInOrderAcrossRestartsOnTheFile() throws Exception {
        Path file = dir.resolve("chat.db");
        ZmqChatServer server = start(file, 0, 0);
        String epoch = server.hub().epoch();
        List<ZmqChatClient> clients = new ArrayList<>();
        SoakLedger ledger = new SoakLedger();
        try {
            ZmqChatClient sync = client(server, "sync");
            clients.add(sync);
            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<String> got = ledger.subscriber();
                ZmqChatClient subscriber = client(server, "sub" + s);
                clients.add(subscriber);
                subscriber.subscribe(CHANNEL, m -> got.add(m.user() + "/" + m.text()));
                awaitJoined(subscriber, sync);
            }
            List<Thread> posters = new ArrayList<>();
            for (int p = 0; p < POSTERS; p++) {
                ZmqChatClient poster = client(server, "poster" + p);
                clients.add(poster);
                Thread t = new Thread(() -> post(poster, ledger), "test-poster-" + p);
                posters.add(t);
                t.start();
            }
            Duration wait = Duration.ofSeconds(30);
            for (int share = 1; share <= 3; share++) {
                ledger.awaitDone(share * POSTS / 4, wait);
                server = restart(server, file);
                assertEquals(epoch, server.hub().epoch(), "the epoch stays with the file");
            }
            for (Thread t : posters) {
                t.join(TimeUnit.MINUTES.toMillis(2));
                assertTrue(!t.isAlive(), () -> t.getName() + " did not finish; the threads:\n" + org.parley.core.testing.ThreadDump.now());
            }
            ledger.assertEveryAcknowledgedPostOnceInOrder(POSTS, wait);
            assertEquals(POSTS, ledger.acknowledged().size(), "a durable server acknowledges every post in the end");
        } finally {
            clients.forEach(ZmqChatClient::close);
            stop(server);
        }
    }

    private static ZmqChatServer start(Path file, int postPort, int pubPort) throws IOException {
        ChatHub hub = ChatHub.create(HubOptions.defaults(), SqliteStore.builder(file).open());
        try {
            return ZmqChatServer.start(ZmqServerOptions.builder().host("127.0.0.1").postPort(postPort)
                    .pubPort(pubPort).hub(hub).build());
        } catch (IOException | RuntimeException e) {
            hub.close();
            throw e;
        }
    }

    /** Closes the server and its hub, which closes the store and releases the file. */
    private static void stop(ZmqChatServer server) {
        server.close();
        server.hub().close();
    }

    /** Stops {@code server} as on Ctrl-C and starts a new one on its ports and file. */
    private static ZmqChatServer restart(ZmqChatServer server, Path file) throws IOException {
        stop(server);
        return start(file, server.postPort(), server.pubPort());
    }

    private static ZmqChatClient client(ZmqChatServer server, String user) throws IOException {
        return ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1").postPort(server.postPort())
                .pubPort(server.pubPort()).user(user).build());
    }

    /** Posts probes to a channel of its own until {@code subscriber} hears one: its SUB socket is live. */
    private static void awaitJoined(ZmqChatClient subscriber, ZmqChatClient poster) throws Exception {
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

    /** Posts its share, at most {@value #IN_FLIGHT} unacknowledged at once, noting each outcome. */
    private static void post(ZmqChatClient poster, SoakLedger ledger) {
        Semaphore window = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int n = 0; n < POSTS / POSTERS; n++) {
            window.acquireUninterruptibly();
            String key = SoakLedger.key(poster.user(), n);
            all.add(poster.post(CHANNEL, key.substring(key.indexOf('/') + 1)).whenComplete((ack, error) -> {
                ledger.outcome(key, error);
                window.release();
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    }
}
