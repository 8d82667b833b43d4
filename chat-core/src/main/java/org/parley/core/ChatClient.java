package org.parley.core;

import java.util.concurrent.CompletableFuture;

/**
 * A chat participant with one user name: posts to channels, subscribes to them, reads history.
 *
 * <p>Implementations: an in-process client from {@link ChatHub#connect(String)}, and the
 * network clients of the transport modules.
 *
 * <p>Thread safety: every method may be called from any thread. Listeners run on the
 * client's own delivery thread, one call at a time.
 */
public interface ChatClient extends AutoCloseable {
    /** The channel that stands for every channel: subscribe to it to hear all, read its history. It is read-only. */
    String ALL = "ALL";
    /** The channel of the assignment's commands that take none. */
    String DEFAULT_CHANNEL = "general";

    /** The user name this client posts as. */
    String user();

    /**
     * Posts {@code text} to {@code channel}. The future completes with the server's
     * acknowledgement, or exceptionally: {@link ProtocolException} when the server rejects
     * the post (the message says why), {@link java.io.IOException} when it cannot be reached,
     * {@link IllegalStateException} when this client is closed.
     */
    CompletableFuture<PostAck> post(String channel, String text);

    /**
     * Delivers every message of {@code channel} (or of every channel, for {@value #ALL})
     * recorded from now on to {@code listener}.
     *
     * @throws IllegalArgumentException if {@code channel} breaks the naming rule
     * @throws IllegalStateException    if this client is closed
     */
    Subscription subscribe(String channel, MessageListener listener);

    /**
     * Messages of {@code channel} with {@code seq > after}, oldest first, at most {@code limit}.
     * Fails as {@link #post} does, closed client included.
     */
    CompletableFuture<HistoryPage> history(String channel, long after, int limit);

    /** The newest {@code count} messages of {@code channel} (or of all, for {@value #ALL}); fails as {@link #post} does. */
    CompletableFuture<HistoryPage> recent(String channel, int count);

    /**
     * Waits, up to a short time limit, for posts already made to be acknowledged, then
     * releases every thread and socket. Idempotent.
     */
    @Override
    void close();
}
