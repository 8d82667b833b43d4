package org.parley.zmq;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.parley.core.internal.PeerText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells when the server of a {@link ZmqChatClient} is a new one (docs/PROTOCOL.md, "epoch"): an
 * empty log, {@code seq} from 1. Every ok reply names the server's epoch; a new one bumps the
 * {@link #generation}, under which subscriptions count anew. When SUB connects again the server
 * is probed, and subscriptions hold publications back while it is {@link #holding}, or they would
 * be counted against the old server's numbers.
 *
 * <p>Thread safety: {@link #generation} may be read from any thread; the rest belongs to the
 * socket loop's thread.
 */
final class RestartDetector {
    // Under the public class's name: one logger to configure for the whole client.
    private static final Logger log = LoggerFactory.getLogger(ZmqChatClient.class);

    private final Supplier<CompletableFuture<?>> probe; // null without a post port
    private final String server;
    private volatile int generation; // written by the loop's thread only
    private String epoch; // of the last ok reply, null before one
    private boolean connectedBefore;
    private int probing; // probes in flight after a reconnection

    /** {@code probe} sends a request whose reply names the epoch; null for a client without a post port. */
    RestartDetector(Supplier<CompletableFuture<?>> probe, String server) {
        this.probe = probe;
        this.server = server;
    }

    /** Bumped when the epoch changes. */
    int generation() {
        return generation;
    }

    /** Whether the server's epoch is being learnt after a reconnection. */
    boolean holding() {
        return probing > 0;
    }

    /**
     * SUB connected; on a reconnection the server may be a new one. Without a post port there
     * is no asking: a reconnection starts a new count, so a restarted server's {@code seq 1}
     * is not taken for a duplicate. PUB sends nothing twice, so nothing is delivered twice
     * either; what was missed cannot be fetched without a post port in any case.
     */
    void connected() {
        boolean hold = connectedBefore;
        connectedBefore = true;
        if (probe == null) {
            if (hold) {
                log.info("reconnected to {}: counting messages anew", server);
                generation++;
            }
            return;
        }
        if (hold) {
            probing++;
        }
        probe.get().whenComplete((reply, error) -> { // on the loop's thread, as every reply
            if (error != null) {
                log.warn("cannot learn whether {} restarted: {}", server,
                        PeerText.excerpt(error.getMessage(), 200)); // it may be the server's words
            }
            if (hold) {
                probing--;
            }
        });
    }

    /** The epoch a reply named, or null for a server without the extension. */
    void noteEpoch(String replyEpoch) {
        if (replyEpoch == null) {
            return;
        }
        if (epoch != null && !epoch.equals(replyEpoch)) {
            log.info("{} restarted (epoch {} -> {}): counting messages from 1 again", server,
                    PeerText.excerpt(epoch), PeerText.excerpt(replyEpoch));
            generation++; // what subscriptions counted, or scheduled to fetch, under the old one is void
        }
        epoch = replyEpoch;
    }
}
