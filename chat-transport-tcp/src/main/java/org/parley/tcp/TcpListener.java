package org.parley.tcp;

import java.io.IOException;

/**
 * Receives what happens on a {@link TopicClient} or a {@link DirectPeer}: messages, errors,
 * peers coming and going, and the end.
 *
 * <p>Thread safety: calls come on the client's delivery thread ({@code parley-tcp-delivery-<port>}),
 * one at a time, in order; never on the selector thread. {@link #onClosed} comes last, once.
 */
@FunctionalInterface
public interface TcpListener {
    /** A chat message arrived. */
    void onMessage(TcpMessage message);

    /**
     * The other side reported an error ({@code {"error":...}}), or broke the protocol; the
     * connection is closing. The default does nothing.
     */
    default void onError(TcpAddress peer, String error) {
    }

    /** A peer connected (direct mode) or the connection was established. The default does nothing. */
    default void onPeerJoined(TcpAddress peer) {
    }

    /**
     * A peer's connection ended: {@code cause} is {@code null} when it left cleanly (closed
     * its side), else what went wrong. The default does nothing.
     */
    default void onPeerLeft(TcpAddress peer, IOException cause) {
    }

    /**
     * A {@link TopicClient} that reconnects ({@link TopicClient.Builder#retryFor}) lost its
     * connection to {@code server} ({@code cause} null: the server closed it) and is trying
     * again; messages sent meanwhile wait. The default does nothing.
     */
    default void onConnectionLost(TcpAddress server, IOException cause) {
    }

    /**
     * A reconnecting {@link TopicClient} is connected and registered again; what waited is
     * being sent. The default does nothing.
     */
    default void onReconnected(TcpAddress server) {
    }

    /**
     * The client or peer stopped: {@code cause} is {@code null} after {@link AutoCloseable#close()}
     * or when the only connection ended cleanly, else what went wrong (for a reconnecting
     * {@link TopicClient} that gave up, {@code gave up reconnecting to <ip>:<port> after <n> s: <why>}).
     * The default does nothing.
     */
    default void onClosed(IOException cause) {
    }
}
