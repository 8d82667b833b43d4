package org.parley.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.parley.core.internal.Names;

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
 * <p>Thread safety: every method may be called from any thread. The client's socket is served
 * by the selector thread that the process's clients share, {@code parley-tcp-clients-<n>},
 * and its listener is called on a thread of its own, {@code parley-tcp-delivery-<port>}.
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
        List<String> checked = checkTopics(topics);
        PeerCore core = new PeerCore(Integer.toString(port), listener, null);
        try {
            WireLink c = core.loop.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT, core::link);
            TopicClient client = new TopicClient(core, c, checked);
            if (!core.loop.executeWaiting(() -> c.send(WireCodec.encodeRegistration(c.local(), checked)),
                    System.nanoTime() + CONNECT_TIMEOUT.toNanos())) {
                throw new IOException("cannot register with " + host + ":" + port
                        + ": the clients' selector thread took no task within " + CONNECT_TIMEOUT.toSeconds() + " s");
            }
            return client;
        } catch (IOException | RuntimeException e) {
            core.close();
            throw e;
        }
    }

    /** The topics registered, the first being where {@link #send(String)} posts. */
    List<String> topics() {
        return topics;
    }

    /** The server's address. */
    TcpAddress serverAddress() {
        return connection.remote();
    }

    /** This side's address on the connection, which the server shows as the source. */
    TcpAddress localAddress() {
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
