package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.testing.DroppingProxy;
import org.parley.core.testing.SoakLedger;

/**
 * The delivery guarantee under ordinary failures: 4 posters send 10,000 posts in all to 3
 * subscribers while the server restarts twice (an empty log, a new epoch: it stops as on
 * Ctrl-C and starts again on the same ports) and the connections of one subscriber and one
 * poster drop once. Every
 * subscriber ends with every acknowledged post exactly once, in order per poster, and nothing
 * that was not acknowledged.
 */
class ZmqSoakTest {
    private static final int POSTERS = 4;
    private static final int SUBSCRIBERS = 3;
    private static final int POSTS = 10_000;
    private static final int IN_FLIGHT = 256; // per poster
    private static final String CHANNEL = "soak";

    @Test
    void everyAcknowledgedPostReachesEverySubscriberOnceInOrderAcrossRestartsAndADrop() throws Exception {
        ZmqChatServer server = start(0, 0);
        List<ZmqChatClient> clients = new ArrayList<>();
        SoakLedger ledger = new SoakLedger();
        try (DroppingProxy postProxy = new DroppingProxy(server.postPort());
             DroppingProxy pubProxy = new DroppingProxy(server.pubPort())) {
            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<String> got = ledger.subscriber();
                // The last one reaches the server through the proxy, whose connections drop.
                ZmqClientOptions.Builder options = s == SUBSCRIBERS - 1
                        ? ZmqClientOptions.builder().postPort(postProxy.port()).pubPort(pubProxy.port()).user("sub" + s)
                        : ZmqTestSupport.clientOf(server, "sub" + s);
                ZmqChatClient subscriber = ZmqChatClient.connect(options.build());
                clients.add(subscriber);
                subscriber.subscribe(CHANNEL, m -> got.add(m.user() + "/" + m.text()));
            }
            ZmqChatClient sync = ZmqTestSupport.client(server, "sync");
            clients.add(sync);
            for (ZmqChatClient subscriber : clients.subList(0, SUBSCRIBERS)) {
                ZmqTestSupport.awaitJoined(subscriber, sync);
            }

            List<Thread> posters = new ArrayList<>();
            for (int p = 0; p < POSTERS; p++) {
                // The first posts through the proxy too: its posts in flight at the drop go again
                // to the same server, which records each once.
                ZmqChatClient poster = p == 0
                        ? ZmqChatClient.connect(ZmqClientOptions.builder().postPort(postProxy.port()).user("poster0").build())
                        : ZmqTestSupport.client(server, "poster" + p);
                clients.add(poster);
                Thread t = new Thread(() -> post(poster, ledger), "test-poster-" + p);
                posters.add(t);
                t.start();
            }

            // Two restarts and a drop, each once a share of the posts is done and the subscribers
            // have caught up, while the posters go on: an in-memory server that restarts forgets
            // what a subscriber had yet to fetch from it (docs/PROTOCOL.md), so a restart comes
            // only once every subscriber holds what was acknowledged until just before it. (A
            // subscriber still repairing the drop's gap when the second restart came lost the
            // posts it was fetching, on a loaded machine.)
            Duration wait = Duration.ofSeconds(20);
            ledger.awaitDone(POSTS / 4, wait);
            ledger.awaitCaughtUp(wait);
            server = restart(server);
            ledger.awaitCaughtUp(wait);
            ledger.awaitDone(POSTS / 2, wait);
            pubProxy.dropAll();
            postProxy.dropAll();
            ledger.awaitCaughtUp(wait);
            ledger.awaitDone(3 * POSTS / 4, wait);
            ledger.awaitCaughtUp(wait);
            server = restart(server);
            for (Thread t : posters) {
                t.join(TimeUnit.MINUTES.toMillis(2));
                assertTrue(!t.isAlive(), () -> t.getName() + " did not finish; the threads:\n" + org.parley.core.testing.ThreadDump.now());
            }
            ledger.assertEveryAcknowledgedPostOnceInOrder(POSTS, wait);
        } finally {
            clients.forEach(ZmqChatClient::close);
            stop(server);
        }
    }

    /**
     * A server whose log holds every post of the run: the guarantee is for what the log still
     * holds, and a subscriber cut off for a while asks for what it missed after the fact.
     */
    private static ZmqChatServer start(int postPort, int pubPort) throws java.io.IOException {
        ChatHub hub = ChatHub.create(HubOptions.builder().logCapacity(2 * POSTS).build());
        try {
            return ZmqChatServer.start(ZmqServerOptions.builder().postPort(postPort).pubPort(pubPort).hub(hub).build());
        } catch (java.io.IOException | RuntimeException e) {
            hub.close();
            throw e;
        }
    }

    /** Closes the server and its hub, which it does not own. */
    private static void stop(ZmqChatServer server) {
        server.close();
        server.hub().close();
    }

    /** Stops {@code server} as on Ctrl-C and starts a new one on its ports: an empty log, a new epoch. */
    private static ZmqChatServer restart(ZmqChatServer server) throws java.io.IOException {
        String epoch = server.hub().epoch();
        stop(server);
        ZmqChatServer restarted = start(server.postPort(), server.pubPort());
        assertTrue(!epoch.equals(restarted.hub().epoch()), "the epoch stayed");
        return restarted;
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
