package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.testing.DroppingProxy;
import org.parley.core.testing.SoakLedger;

/**
 * The delivery guarantee of the TCP topic client (acknowledgements and resume) under ordinary
 * failures: 4 named posters send 10,000 posts in all to 3 subscribers, all {@link TopicClient}s
 * that reconnect, while the server restarts twice (it stops as on Ctrl-C and a new one starts
 * on the same port, with a new hub: an empty log, a new epoch) and one subscriber's connection
 * drops once. Every subscriber ends with every acknowledged post exactly once, in order per
 * poster, and nothing that was not acknowledged; no poster gets its own posts back.
 *
 * <p>Each failure comes once the subscribers have recovered from the one before: the log is in
 * memory, so a server that restarts forgets what a subscriber still cut off by the last failure
 * had yet to fetch from it. The guarantee is for what the log holds.
 */
class TcpSoakTest {
    private static final int POSTERS = 4;
    private static final int SUBSCRIBERS = 3;
    private static final int POSTS = 10_000;
    private static final int IN_FLIGHT = 64; // per poster
    private static final String TOPIC = "soak";
    private static final Duration RETRY_FOR = Duration.ofSeconds(30);

    @Test
    void everyAcknowledgedPostReachesEverySubscriberOnceInOrderAcrossRestartsAndADrop() throws Exception {
        TopicServer server = start(0);
        int port = server.port();
        List<TopicClient> clients = new ArrayList<>();
        try (DroppingProxy proxy = new DroppingProxy(port)) {
            SoakLedger ledger = new SoakLedger();
            List<List<String>> received = new ArrayList<>();
            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<String> got = ledger.subscriber();
                received.add(got);
                // The last one reaches the server through the proxy, whose connections drop.
                int to = s == SUBSCRIBERS - 1 ? proxy.port() : port;
                clients.add(client(to, "sub" + s, m -> got.add(m.user() + "/" + m.text())));
            }
            TopicServer first = server;
            await().atMost(Duration.ofSeconds(10)).until(() -> first.registrations() >= SUBSCRIBERS);

            Set<String> echoed = ConcurrentHashMap.newKeySet();
            List<Thread> posters = new ArrayList<>();
            for (int p = 0; p < POSTERS; p++) {
                String name = "poster" + p;
                TopicClient poster = client(port, name, m -> {
                    if (name.equals(m.user())) {
                        echoed.add(name + "/" + m.text());
                    }
                });
                clients.add(poster);
                Thread t = new Thread(() -> post(poster, name, ledger), "test-poster-" + p);
                posters.add(t);
                t.start();
            }

            // A restart comes only once every subscriber holds what was acknowledged until just
            // before it: an in-memory server forgets what a subscriber had yet to fetch from it
            // (see ZmqSoakTest, where one still repairing the drop lost posts on a loaded machine).
            Duration wait = Duration.ofSeconds(20);
            ledger.awaitDone(POSTS / 4, wait);
            ledger.awaitCaughtUp(wait);
            server = restart(server);
            ledger.awaitCaughtUp(wait);
            ledger.awaitDone(POSTS / 2, wait);
            proxy.dropAll();
            ledger.awaitCaughtUp(wait);
            ledger.awaitDone(3 * POSTS / 4, wait);
            ledger.awaitCaughtUp(wait);
            server = restart(server);
            for (Thread t : posters) {
                t.join(TimeUnit.SECONDS.toMillis(40));
                assertTrue(!t.isAlive(), () -> t.getName() + " did not finish; the threads:\n" + org.parley.core.testing.ThreadDump.now());
            }
            assertEquals(POSTS, ledger.acknowledged().size(), "posts not acknowledged");
            assertTrue(proxy.accepted() >= 3, "the proxied subscriber did not reconnect: " + proxy.accepted());

            ledger.awaitCaughtUp(wait);
            // Anything still on its way would come right behind: a probe through the same server ends the wait.
            String probe = "poster0/probe";
            assertTrue(clients.get(SUBSCRIBERS).send("probe"));
            for (List<String> got : received) {
                await().atMost(wait).until(() -> got.contains(probe));
                got.remove(probe);
            }
            ledger.assertEveryAcknowledgedPostOnceInOrder(POSTS, wait);
            assertEquals(Set.of(), echoed, "posters got their own posts back");
        } finally {
            clients.forEach(TopicClient::close);
            stop(server);
        }
    }

    private static TopicClient client(int port, String name, TcpListener listener) throws IOException {
        return TopicClient.builder("127.0.0.1", port).topics(List.of(TOPIC)).user(name).retryFor(RETRY_FOR)
                .connect(listener);
    }

    /**
     * A server whose log holds every post of the run: a subscriber that reconnects is sent what
     * it missed from the log, and the guarantee is for what the log still holds.
     */
    private static TopicServer start(int port) throws IOException {
        ChatHub hub = ChatHub.create(HubOptions.builder().logCapacity(2 * POSTS).build());
        try {
            return TopicServer.start(TopicServerOptions.builder().port(port).hub(hub).build());
        } catch (IOException | RuntimeException e) {
            hub.close();
            throw e;
        }
    }

    /** Closes the server and its hub, which it does not own. */
    private static void stop(TopicServer server) {
        server.close();
        server.hub().close();
    }

    /** Stops {@code server} as on Ctrl-C and starts a new one on its port: an empty log, a new epoch. */
    private static TopicServer restart(TopicServer server) throws IOException {
        String epoch = server.hub().epoch();
        stop(server);
        TopicServer restarted = start(server.port());
        assertTrue(!epoch.equals(restarted.hub().epoch()), "the epoch stayed");
        return restarted;
    }

    /** Posts its share, at most {@value #IN_FLIGHT} unacknowledged at once, noting each outcome. */
    private static void post(TopicClient poster, String name, SoakLedger ledger) {
        Semaphore window = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int n = 0; n < POSTS / POSTERS; n++) {
            window.acquireUninterruptibly();
            String key = SoakLedger.key(name, n);
            all.add(poster.sendAcknowledged(TOPIC, key.substring(key.indexOf('/') + 1)).whenComplete((ack, error) -> {
                ledger.outcome(key, error);
                window.release();
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    }
}
