package org.parley.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import org.parley.core.internal.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>With {@link Builder#retryFor} set, a client whose connection is lost (the server stopped
 * or restarted, the connection dropped) connects again, with a backoff from 100 ms doubling to
 * 2 s, registers again and sends what was sent meanwhile (at most {@value #MAX_WAITING}
 * messages wait); its listener hears {@link TcpListener#onConnectionLost} and
 * {@link TcpListener#onReconnected}, and {@link TcpListener#onClosed} if it gives up.
 *
 * <p>Thread safety: every method may be called from any thread. The client's socket is served
 * by the selector thread that the process's clients share, {@code parley-tcp-clients-<n>},
 * and its listener is called on a thread of its own, {@code parley-tcp-delivery-<port>}.
 */
public final class TopicClient extends PeerHandle {
    private static final Logger log = LoggerFactory.getLogger(TopicClient.class);
    /** How long {@link #connect} waits for the server. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Messages that wait, at most, while a reconnecting client has no connection. */
    public static final int MAX_WAITING = 1000;
    /** The first wait before connecting again, doubled after each failure up to {@link #MAX_BACKOFF}. */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final InetSocketAddress server;
    private final TcpAddress serverName;
    private final String user;
    private final Duration retryFor;
    private final Object lock = new Object();
    private WireLink connection; // guarded by lock; null while reconnecting
    private final ArrayDeque<Outgoing> waiting = new ArrayDeque<>(); // guarded by lock
    private volatile List<String> topics;

    /** A message sent while there is no connection. */
    private record Outgoing(String topic, String text) {
    }

    private TopicClient(PeerCore core, InetSocketAddress server, WireLink connection, List<String> topics,
            String user, Duration retryFor) {
        super(core);
        this.server = server;
        this.serverName = connection.remote();
        this.connection = connection;
        this.topics = topics;
        this.user = user;
        this.retryFor = retryFor;
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
        private Duration retryFor = Duration.ZERO;

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
         * How long to keep trying to connect again after the connection is lost, each time it
         * is lost; {@link Duration#ZERO} (the default) does not reconnect: the end of the
         * connection ends the client. After that long without a connection the client ends
         * with {@link TcpListener#onClosed} and a cause that says so.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder retryFor(Duration retryFor) {
            if (retryFor.isNegative()) {
                throw new IllegalArgumentException("retryFor must not be negative: " + retryFor);
            }
            this.retryFor = retryFor;
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
        List<String> checked = b.topics;
        InetSocketAddress address = new InetSocketAddress(b.host, b.port);
        PeerCore core = new PeerCore(Integer.toString(b.port), listener, null);
        try {
            WireLink c = core.loop.connect(address, CONNECT_TIMEOUT, core::link);
            TopicClient client = new TopicClient(core, address, c, checked, b.user, b.retryFor);
            if (!b.retryFor.isZero()) {
                core.linkLoss = client::lost;
            }
            if (!core.loop.executeWaiting(() -> c.send(WireCodec.encodeRegistration(c.local(), checked)),
                    System.nanoTime() + CONNECT_TIMEOUT.toNanos())) {
                throw new IOException("cannot register with " + b.host + ":" + b.port
                        + ": the clients' selector thread took no task within " + CONNECT_TIMEOUT.toSeconds() + " s");
            }
            return client;
        } catch (IOException | RuntimeException e) {
            core.close();
            throw e;
        }
    }

    /** Selector thread: the connection ended while the client is open; reconnects on a thread of its own. */
    private boolean lost(WireLink c, IOException cause) {
        synchronized (lock) {
            if (connection != c) {
                return true; // an old one
            }
            connection = null;
        }
        log.info("lost {}: {}; reconnecting", serverName, cause == null ? "closed by the server" : cause.getMessage());
        core.deliver(() -> core.listener().onConnectionLost(serverName, cause));
        Thread t = new Thread(this::reconnect, "parley-tcp-reconnect-" + server.getPort());
        t.setDaemon(true);
        t.start();
        return true;
    }

    /** Tries to connect again, with backoff, until connected, closed, or {@code retryFor} has passed. */
    private void reconnect() {
        long deadline = System.nanoTime() + retryFor.toNanos();
        long backoff = FIRST_BACKOFF.toNanos();
        IOException last = null;
        try {
            while (true) {
                long wait = Math.min(backoff, Math.max(0, deadline - System.nanoTime()));
                if (core.awaitClosed(Duration.ofNanos(wait)) || !core.isOpen()) {
                    return;
                }
                try {
                    long left = Math.min(CONNECT_TIMEOUT.toNanos(), deadline - System.nanoTime());
                    WireLink c = core.loop.connect(server, Duration.ofNanos(Math.max(left, 1_000_000)), core::link);
                    if (core.loop.executeWaiting(() -> adopt(c), System.nanoTime() + CONNECT_TIMEOUT.toNanos())) {
                        return;
                    }
                    last = new IOException("the clients' selector thread took no task");
                } catch (IOException e) {
                    last = e;
                }
                if (System.nanoTime() - deadline >= 0) {
                    String why = last.getMessage() != null ? last.getMessage() : last.getClass().getSimpleName();
                    core.end(new IOException("gave up reconnecting to " + serverName + " after "
                            + retryFor.toSeconds() + " s: " + why, last));
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF.toNanos());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Selector thread: a new connection is up; registers again, sends what waited. */
    private void adopt(WireLink c) {
        if (!c.isOpen()) {
            return; // ended already: its end started another round
        }
        if (!core.isOpen()) {
            c.close();
            return;
        }
        c.send(WireCodec.encodeRegistration(c.local(), topics));
        synchronized (lock) {
            connection = c;
            for (Outgoing o; (o = waiting.poll()) != null; ) {
                c.send(WireCodec.encodeChat(c.local(), c.remote(), o.topic(), o.text(), user));
            }
        }
        core.deliver(() -> core.listener().onReconnected(serverName));
    }

    /** The topics registered, the first being where {@link #send(String)} posts. */
    List<String> topics() {
        return topics;
    }

    /** The server's address. */
    TcpAddress serverAddress() {
        return serverName;
    }

    /** This side's address on the connection, which the server shows as the source; null while reconnecting. */
    TcpAddress localAddress() {
        WireLink c = current();
        return c != null ? c.local() : null;
    }

    /** Whether the client has a connection now (false while a reconnecting client waits for one). */
    public boolean isConnected() {
        WireLink c = current();
        return c != null && c.isOpen() && core.isOpen();
    }

    private WireLink current() {
        synchronized (lock) {
            return connection;
        }
    }

    /** Sends {@code text} to the first topic; see {@link #send(String, String)}. */
    public boolean send(String text) {
        return send(topics.get(0), text);
    }

    /**
     * Queues a message to {@code topic}. While a reconnecting client has no connection, the
     * message waits for the next one (at most {@value #MAX_WAITING} do).
     *
     * @return false if the client is closed or its queue is full
     * @throws IllegalArgumentException if the text or topic breaks a rule (the message says which)
     */
    public boolean send(String topic, String text) {
        PeerCore.check(() -> Names.requireWritableChannel(topic));
        PeerCore.checkText(text);
        WireLink c;
        synchronized (lock) {
            c = connection;
            if (c == null) {
                if (!core.isOpen() || waiting.size() >= MAX_WAITING) {
                    return false;
                }
                waiting.add(new Outgoing(topic, text));
                return true;
            }
        }
        return core.sendTo(c, l -> WireCodec.encodeChat(l.local(), l.remote(), topic, text, user));
    }

    /**
     * Replaces the registered topics (kept for a reconnection too). Returns false if the
     * client is closed.
     */
    public boolean register(List<String> newTopics) {
        List<String> checked = checkTopics(newTopics);
        topics = checked;
        WireLink c = current();
        if (c == null) {
            return core.isOpen(); // registered on reconnecting
        }
        return core.sendTo(c, l -> WireCodec.encodeRegistration(l.local(), checked));
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
