package org.parley.core;

/**
 * Receives every message the hub records in the channels it subscribed to.
 *
 * <p>This is the interface for transports and other code that must see messages as they are
 * recorded. The hub calls it on the posting thread while it holds the channel's lock, so the
 * calls for one channel come in {@code seq} order. An implementation must therefore return
 * quickly and never block: hand the message to a queue and return. A listener of
 * {@value Names#ALL} may be called concurrently for different channels.
 *
 * <p>User code that wants a thread of its own uses {@link ChatClient} and
 * {@link MessageListener} instead.
 *
 * <p>Thread safety: an implementation must be thread-safe: different channels' posts call it
 * from different threads at once.
 */
@FunctionalInterface
public interface HubListener {
    /**
     * @param message the recorded message
     * @param origin  what the poster passed to {@link ChatHub#post}, or {@code null}; lets a
     *                transport recognise its own connection (to suppress an echo, say)
     */
    void onMessage(ChatMessage message, Object origin);
}
