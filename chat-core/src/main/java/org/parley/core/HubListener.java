package org.parley.core;

/**
 * Receives every message the hub records in the channels it subscribed to.
 *
 * <p>This is the interface for transports and other code that must see messages as they are
 * recorded. The hub calls it on the thread of the {@link Dispatcher} it was subscribed
 * through, never on the thread that posted: one call at a time, each channel's messages in
 * {@code seq} order. A listener that takes its time delays its own dispatcher only; one that
 * throws is logged and loses only that call. A listener may post; one that posts with
 * itself as the origin is not called for its own posts (a transport that delivers its own
 * posts itself, as the ZeroMQ server publishes them before acknowledging, needs no echo), as
 * long as the store hands the origin back with the message: a shared store may not (see
 * {@link MessageStore.Sink}), so such a listener still recognises its own posts if they come.
 *
 * <p>Thread safety: called from its dispatcher's thread only.
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
