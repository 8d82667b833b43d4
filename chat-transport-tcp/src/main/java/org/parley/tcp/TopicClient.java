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
    private final String user;
    private volatile List<String> topics;

    private TopicClient(PeerCore core, WireLink connection, List<String> topics, String user) {
        super(core);
        this.connection = connection;
        this.topics = topics;
        this.user = user;
    }

    /**
     * A client to {@code host}:{@code port}, to be set up and then {@link Builder#connect connected}.
     *
     * <pre>{@code
     * TopicClient client = TopicClient.builder("127.0.0.1", 7777).topics(List.of("dev")).user("alice")
     *         .connect(m -> System.out.println(m.displayLine()));
     * }</pre>
     */
    public static Builder builder(String host, int port) {
        return new Builder(host, port);
    }

    /**
     * How a {@link TopicClient} connects: where, for which topics, under which name.
     *
     * <p>Thread safety: not thread-safe; set it up on one thread, then call {@link #connect}.
     */
    public static final class Builder {
        private final String host;
        private final int port;
        private List<String> topics;
        private String user;

        private Builder(String host, int port) {
            this.host = host;
            this.port = port;
        }

        /** The topics to register for, the first being where {@link TopicClient#send(String)} posts. */
        public Builder topics(List<String> topics) {
            this.topics = checkTopics(topics);
            return this;
        }

        /**
         * The name every message of this client carries ({@code message.user}), or {@code null}
         * (the default) for none: the server then names the client after its address.
         *
         * @throws IllegalArgumentException if the name breaks the user-name rule or is {@code ALL}
         */
        public Builder user(String user) {
            if (user != null) {
                PeerCore.check(() -> Names.requireUser(user));
            }
            this.user = user;
            return this;
        }

        /**
         * Connects and registers.
         *
         * @throws IllegalStateException if no topic was given
         * @throws IOException           if the server cannot be reached within {@link #CONNECT_TIMEOUT}
         */
        public TopicClient connect(TcpListener listener) throws IOException {
            if (topics == null) {
                throw new IllegalStateException("at least one topic is needed: call topics(...) first");
            }
            return TopicClient.connect(this, listener);
        }
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
        return builder(host, port).topics(topics).connect(listener);
    }

    private static TopicClient connect(Builder b, TcpListener listener) throws IOException {
        String host = b.host;
        int port = b.port;
        List<String> checked = b.topics;
        PeerCore core = new PeerCore(Integer.toString(port), listener, null);
        try {
            WireLink c = core.loop.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT, core::link);
            TopicClient client = new TopicClient(core, c, checked, b.user);
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
        return core.sendTo(connection, c -> WireCodec.encodeChat(c.local(), c.remote(), topic, text, user));
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
