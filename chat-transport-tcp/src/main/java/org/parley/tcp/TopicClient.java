package org.parley.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.parley.core.Names;

/**
 * A client of a {@link TopicServer} (or of any server that speaks the TCP protocol): registers
 * for topics, sends messages to its first topic, and hands what arrives to a
 * {@link TcpListener}.
 *
 * <pre>{@code
 * try (TopicClient client = TopicClient.connect("127.0.0.1", 7777, List.of("dev"),
 *         m -> System.out.println(m.displayLine()))) {
 *     client.send("hello");
 * }
 * }</pre>
 *
 * <p>Many clients in one process can share one selector thread: connect them through a
 * {@link TcpClientGroup}.
 *
 * <p>Thread safety: every method may be called from any thread. The client runs two threads:
 * {@code parley-tcp-selector-<port>} for the socket (or its group's thread) and
 * {@code parley-tcp-delivery-<port>}, on which the listener is called.
 */
public final class TopicClient extends PeerHandle {
    /** How long {@link #connect} waits for the server. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final WireLink connection;
    private volatile List<String> topics;

    private TopicClient(PeerCore core, WireLink connection, List<String> topics) {
        super(core);
        this.connection = connection;
        this.topics = topics;
    }

    /**
     * Connects and registers for {@code topics} (the first is the one {@link #send(String)}
     * posts to).
     *
     * @throws IllegalArgumentException if there is no topic or one breaks the naming rule
     * @throws IOException              if the server cannot be reached within {@link #CONNECT_TIMEOUT}
     */
    public static TopicClient connect(String host, int port, List<String> topics, TcpListener listener)
            throws IOException {
        return connect(null, host, port, topics, listener);
    }

    /**
     * As {@link #connect(String, int, List, TcpListener)}, with the socket served by
     * {@code group}'s selector thread; the client still has its own delivery thread. Closing
     * the client leaves the group running; closing the group closes the client.
     *
     * <pre>{@code
     * TopicClient client = TopicClient.connect(group, "127.0.0.1", 7777, List.of("dev"), listener);
     * }</pre>
     *
     * @param group the group to join, or {@code null} for a selector thread of the client's own
     * @throws IllegalStateException if the group is closed
     * @throws IOException           as {@link #connect(String, int, List, TcpListener)}
     */
    public static TopicClient connect(TcpClientGroup group, String host, int port, List<String> topics,
            TcpListener listener) throws IOException {
        List<String> checked = checkTopics(topics);
        PeerCore core = new PeerCore(group, Integer.toString(port), listener, null);
        try {
            WireLink c = core.loop.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT, core::link);
            TopicClient client = new TopicClient(core, c, checked);
            core.loop.execute(() -> c.send(WireCodec.encodeRegistration(c.local(), checked)));
            return client;
        } catch (IOException | RuntimeException e) {
            core.close();
            throw e;
        }
    }

    /** The topics registered, the first being where {@link #send(String)} posts. */
    public List<String> topics() {
        return topics;
    }

    /** The server's address. */
    public TcpAddress serverAddress() {
        return connection.remote();
    }

    /** This side's address on the connection, which the server shows as the source. */
    public TcpAddress localAddress() {
        return connection.local();
    }

    /** Sends {@code text} to the first topic; see {@link #send(String, String)}. */
    public boolean send(String text) {
        return send(topics.get(0), text);
    }

    /**
     * Queues a message to {@code topic}.
     *
     * @return false if the client is closed or its queue is full
     * @throws IllegalArgumentException if the text or topic breaks a rule (the message says which)
     */
    public boolean send(String topic, String text) {
        PeerCore.check(() -> Names.requireWritableChannel(topic));
        PeerCore.checkText(text);
        return core.sendTo(connection, c -> WireCodec.encodeChat(c.local(), c.remote(), topic, text, null));
    }

    /** Replaces the registered topics. Returns false if the client is closed. */
    public boolean register(List<String> newTopics) {
        List<String> checked = checkTopics(newTopics);
        topics = checked;
        return core.sendTo(connection, c -> WireCodec.encodeRegistration(c.local(), checked));
    }

    private static List<String> checkTopics(List<String> topics) {
        if (topics == null || topics.isEmpty()) {
            throw new IllegalArgumentException("at least one topic is needed");
        }
        for (String t : topics) {
            PeerCore.check(() -> Names.requireChannel(t));
        }
        return List.copyOf(topics);
    }
}
