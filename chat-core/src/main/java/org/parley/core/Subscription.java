package org.parley.core;

import org.parley.core.internal.Names;

/**
 * A live subscription to one channel (or to {@value Names#ALL}); closing it stops delivery.
 *
 * <p>Thread safety: {@link #close()} may be called from any thread, more than once.
 */
public interface Subscription extends AutoCloseable {
    /** The channel subscribed to. */
    String channel();

    /** Stops delivery. Idempotent. */
    @Override
    void close();
}
