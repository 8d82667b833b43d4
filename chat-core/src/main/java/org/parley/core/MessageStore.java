package org.parley.core;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * Where a {@link ChatHub} keeps its messages: the one place that numbers them and answers
 * history. The hub is its only caller; it validates a post before it appends it.
 *
 * <p>A store numbers each channel's messages from 1 with no gaps ({@code seq}), within a
 * numbering space named by its {@link #epoch()}: a store that loses its numbering (an
 * in-memory store, restarted) has a new epoch, which tells clients to start counting again.
 *
 * <p>Appends may complete asynchronously (a durable store completes once the message is
 * committed; a shared store once another process has numbered it), and a store may hand the
 * hub messages it did not append itself (other servers' posts, for a shared store): every
 * message stored, whoever appended it, goes to the {@link Sink} given to {@link #start},
 * each channel's in {@code seq} order, once.
 *
 * <p>The in-memory store ({@link #inMemory}) is the default; {@link ChatHub#create(HubOptions, MessageStore)}
 * takes another (whose own bounds then apply, not {@link HubOptions}' log bounds). The hub
 * answers history from it.
 *
 * <p>Thread safety: an implementation is safe from any thread; the sink is called on
 * whatever thread the store stores on, and must not block.
 */
public interface MessageStore extends AutoCloseable {
    /**
     * Receives every message stored, in {@code seq} order per channel.
     *
     * <p>Thread safety: called on the store's threads (for the in-memory store, the
     * appender's, while it holds the channel); must not block and must not append.
     */
    @FunctionalInterface
    interface Sink {
        /**
         * @param message the stored message, numbered
         * @param origin  what was given to {@link #append} for it, or {@code null} for a
         *                message this store did not append (another server's)
         */
        void stored(ChatMessage message, Object origin);
    }

    /**
     * The default store: every channel's newest messages in memory, within the log bounds of
     * {@code options} (messages per channel, bytes in all), oldest forgotten first. Its epoch
     * is new each time one is made.
     */
    static MessageStore inMemory(HubOptions options) {
        return MessageLog.of(options);
    }

    /** Starts handing every message stored to {@code sink}; called once, before any append. */
    void start(Sink sink);

    /** The name of this store's numbering space. */
    String epoch();

    /**
     * Numbers and stores a message. The future completes with the stored message once it is
     * stored (for a durable store: committed), or exceptionally with a
     * {@link ProtocolException} that says why it was not (a full disk, say).
     *
     * <p>A post with an id is stored once: a store remembers the ids of its recent posts (the
     * in-memory store the newest {@value MessageLog#MAX_POST_IDS}; a durable one as long as it
     * holds the message) and completes a repeat of {@code user}'s {@code postId} with the
     * message stored the first time, without storing or handing it to the sink again. A repeat
     * with another channel or text fails with a {@link ProtocolException}.
     *
     * <p>The future may complete on a thread of the store's; a callback chained on it without an
     * executor runs there, so it must not wait for another append's future (use
     * {@code thenCompose} or an {@code ...Async} method).
     *
     * @param postId the client's id of this post (the protocol's {@code id}), or {@code null}
     * @param origin anything that identifies the poster to the sink, or {@code null}
     */
    CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text, String postId,
            Object origin);

    /** Messages of {@code channel} with {@code seq > after}, oldest first, at most {@code limit}. */
    HistoryPage after(String channel, long after, int limit);

    /** The newest {@code count} messages of {@code channel}, oldest first. */
    HistoryPage latest(String channel, int count);

    /** The newest {@code count} messages of all channels together, in the order they were stored. */
    HistoryPage latestOfAll(int count);

    /** The newest {@code seq} given in {@code channel}, 0 if none. */
    long lastSeq(String channel);

    /** Releases what the store holds (files, connections). Idempotent. */
    @Override
    void close();
}
