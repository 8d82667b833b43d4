package org.parley.core;

/**
 * Receives the messages of a {@link ChatClient} subscription.
 *
 * <p>Calls come on the client's delivery thread, one at a time, in order; a slow listener
 * delays only its own client. {@link #onFailure} is called at most once, when the
 * subscription ends because of an error; no call follows it.
 *
 * <p>Thread safety: an implementation is called from one thread at a time (its client's
 * delivery thread), so it needs no locking of its own unless other threads share its state.
 */
@FunctionalInterface
public interface MessageListener {
    /** A message of the subscribed channel. */
    void onMessage(ChatMessage message);

    /** The subscription ended because of {@code error}. The default does nothing. */
    default void onFailure(Throwable error) {
    }
}
