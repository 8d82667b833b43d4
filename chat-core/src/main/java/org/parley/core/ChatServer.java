package org.parley.core;

/**
 * A running server: a transport attached to a {@link ChatHub}.
 *
 * <p>Thread safety: {@link #close()} may be called from any thread, more than once.
 */
public interface ChatServer extends AutoCloseable {
    /** The hub this server posts to and delivers from. */
    ChatHub hub();

    /** Stops accepting and serving, waits for the server's threads with a time limit. Idempotent. */
    @Override
    void close();
}
