package org.parley.tcp;

import java.time.Duration;

/**
 * What a {@link TopicClient} and a {@link DirectPeer} share: the life cycle of their
 * connections, run by one {@link PeerCore}.
 */
abstract class PeerHandle implements AutoCloseable {
    final PeerCore core;

    PeerHandle(PeerCore core) {
        this.core = core;
    }

    /** Whether this end is still running. */
    public boolean isOpen() {
        return core.isOpen();
    }

    /** Waits up to {@code timeout} for this end to close; true if it has. */
    public boolean awaitClosed(Duration timeout) throws InterruptedException {
        return core.awaitClosed(timeout);
    }

    /** Writes what is queued (for up to two seconds), closes the connections, stops the threads. Idempotent. */
    @Override
    public void close() {
        core.close();
    }
}
