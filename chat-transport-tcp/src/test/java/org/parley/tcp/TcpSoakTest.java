package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.testing.DroppingProxy;

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
            List<List<String>> received = new ArrayList<>();
            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<String> got = Collections.synchronizedList(new ArrayList<>());
                received.add(got);
                // The last one reaches the server through the proxy, whose connections drop.
                int to = s == SUBSCRIBERS - 1 ? proxy.port() : port;
                clients.add(client(to, "sub" + s, m -> got.add(m.user() + "/" + m.text())));
            }
            TopicServer first = server;
            await().atMost(Duration.ofSeconds(10)).until(() -> first.registrations() >= SUBSCRIBERS);

            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            Set<String> failed = ConcurrentHashMap.newKeySet();
            Set<String> echoed = ConcurrentHashMap.newKeySet();
            AtomicInteger done = new AtomicInteger();
            List<Thread> posters = new ArrayList<>();
            for (int p = 0; p < POSTERS; p++) {
                String name = "poster" + p;
                TopicClient poster = client(port, name, m -> {
                    if (name.equals(m.user())) {
                        echoed.add(name + "/" + m.text());
                    }
                });
                clients.add(poster);
                Thread t = new Thread(() -> post(poster, name, acknowledged, failed, done), "test-poster-" + p);
                posters.add(t);
                t.start();
            }

            awaitDone(done, POSTS / 4);
            server = restart(server);
            awaitCaughtUp(received, acknowledged);
            awaitDone(done, POSTS / 2);
            proxy.dropAll();
            awaitCaughtUp(received, acknowledged);
            awaitDone(done, 3 * POSTS / 4);
            server = restart(server);
            for (Thread t : posters) {
                t.join(TimeUnit.SECONDS.toMillis(40));
                assertTrue(!t.isAlive(), t.getName() + " did not finish");
            }
            assertEquals(Set.of(), failed, "posts not acknowledged");
            assertEquals(POSTS, acknowledged.size());
            assertTrue(proxy.accepted() >= 3, "the proxied subscriber did not reconnect: " + proxy.accepted());

            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<String> got = received.get(s);
                String who = "sub" + s;
                try {
                    await().atMost(Duration.ofSeconds(20)).until(() -> missing(got, acknowledged).isEmpty());
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError(who + " has " + got.size() + " posts, lacks " + missing(got, acknowledged)
                            + " of " + acknowledged.size() + " acknowledged", e);
                }
            }
            // Anything still on its way would come right behind: a probe through the same server ends the wait.
            String probe = "poster0/probe";
            assertTrue(clients.get(SUBSCRIBERS).send("probe"));
            for (List<String> got : received) {
                await().atMost(Duration.ofSeconds(20)).until(() -> got.contains(probe));
            }
            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<String> got;
                synchronized (received.get(s)) {
                    got = new ArrayList<>(received.get(s));
                }
                got.remove(probe);
                assertEquals(got.size(), new HashSet<>(got).size(), "sub" + s + " got a post twice");
                Set<String> unacknowledged = new HashSet<>(got);
                unacknowledged.removeAll(acknowledged);
                assertEquals(Set.of(), unacknowledged, "sub" + s + " got posts that were not acknowledged");
                assertEquals(POSTS, got.size(), "sub" + s);
                int[] last = new int[POSTERS];
                java.util.Arrays.fill(last, -1);
                for (String m : got) {
                    int p = Integer.parseInt(m.substring("poster".length(), m.indexOf('/')));
                    int n = Integer.parseInt(m.substring(m.lastIndexOf(' ') + 1));
                    assertTrue(n > last[p], "sub" + s + ": poster" + p + "'s post " + n + " after " + last[p]);
                    last[p] = n;
                }
            }
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

    /** The acknowledged posts {@code got} lacks, a few of them, for the message of a failure. */
    private static List<String> missing(List<String> got, Set<String> acknowledged) {
        Set<String> have;
        synchronized (got) {
            have = new HashSet<>(got);
        }
        return acknowledged.stream().filter(k -> !have.contains(k)).sorted().limit(20).toList();
    }

    /** Waits until every subscriber has the posts acknowledged by now. */
    private static void awaitCaughtUp(List<List<String>> received, Set<String> acknowledged) {
        Set<String> now = Set.copyOf(acknowledged);
        for (int s = 0; s < received.size(); s++) {
            List<String> got = received.get(s);
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> missing(got, now).isEmpty());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("sub" + s + " has " + got.size() + " posts, lacks " + missing(got, now)
                        + " of " + now.size() + " acknowledged", e);
            }
        }
    }

    private static void awaitDone(AtomicInteger done, int count) {
        await().atMost(Duration.ofSeconds(40)).until(() -> done.get() >= count);
    }

    /** Posts its share, at most {@value #IN_FLIGHT} unacknowledged at once, noting each outcome. */
    private static void post(TopicClient poster, String name, Set<String> acknowledged, Set<String> failed,
            AtomicInteger done) {
        Semaphore window = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int n = 0; n < POSTS / POSTERS; n++) {
            window.acquireUninterruptibly();
            String text = "post " + n;
            String key = name + "/" + text;
            all.add(poster.sendAcknowledged(TOPIC, text).whenComplete((ack, error) -> {
                (error == null ? acknowledged : failed).add(key);
                done.incrementAndGet();
                window.release();
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    }
}
