package org.parley.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.PostAck;
import org.parley.core.ProtocolException;
import org.parley.core.internal.ChatTime;
import org.parley.core.internal.Names;
import org.parley.core.internal.OrderedDelivery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of a {@link TopicServer} (or of any server that speaks the TCP protocol): registers
 * for topics, sends messages to its first topic, and hands what arrives to a
 * {@link TcpListener}.
 *
 * <pre>{@code
 * try (TopicClient client = TopicClient.builder("127.0.0.1", 7777).topics(List.of("dev"))
 *         .connect(m -> System.out.println(m.displayLine()))) {
 *     client.send("hello");
 * }
 * }</pre>
 *
 * <p>With {@link Builder#retryFor} set, a client whose connection is lost (the server stopped
 * or restarted, the connection dropped) connects again, with a backoff from 100 ms doubling to
 * 2 s, registers again and sends what was sent meanwhile; its listener hears
 * {@link TcpListener#onConnectionLost} and {@link TcpListener#onReconnected}, and
 * {@link TcpListener#onClosed} if it gives up.
 *
 * <p>Such a client also uses the protocol's extension "acknowledgements and resume"
 * (docs/PROTOCOL.md), for exactly once across reconnections and server restarts: it stamps each
 * message with an id and a time, keeps it until the server acknowledges it (at most
 * {@value #MAX_WAITING}; {@link #sendAcknowledged} tells when), and after a reconnection sends the
 * unacknowledged ones again, unchanged and in order, before newer ones; the server records a
 * post once per user and id. It registers with what it has received (per topic, the last
 * {@code seq} under the server's epoch), gets what it missed, and hands its listener each
 * message once, in {@code seq} order per topic. Ids belong to their user: give the client a
 * {@linkplain Builder#user name}, since a client without one is named after its address, which
 * changes with each connection, so that a post sent again after a reconnection would be taken for
 * a new one. A plain client (no {@code retryFor}) writes exactly the protocol's basic objects.
 *
 * <p>Thread safety: every method may be called from any thread. The client's socket is served
 * by the selector thread that the process's clients share, {@code parley-tcp-clients-<n>},
 * and its listener is called on a thread of its own, {@code parley-tcp-delivery-<port>}.
 */
public final class TopicClient extends PeerHandle {
    private static final Logger log = LoggerFactory.getLogger(TopicClient.class);
    /** How long {@link Builder#connect} waits for the server. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Messages a reconnecting client keeps, at most, until the server acknowledges them (sent, or
     * waiting for a connection); past that, {@link #send} refuses.
     */
    public static final int MAX_WAITING = 10_000;
    /** The first wait before connecting again, doubled after each failure up to {@link #MAX_BACKOFF}. */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final InetSocketAddress server;
    /** The TLS context of every connection to the server, or null for plain TCP. */
    private final SSLContext tls;
    /** The user's token, sent first on every connection, or null. */
    private final String token;
    private final TcpAddress serverName;
    private final String user;
    private final Duration retryFor;
    private final Object lock = new Object();
    private WireLink connection; // guarded by lock; null while reconnecting
    private volatile List<String> topics;

    // ---- the extension (acks and resume): a reconnecting client only
    private final boolean acks;
    /** This client's part of its post ids: random, so that two runs under one name do not meet. */
    private final String idPrefix;
    private long idCounter; // guarded by lock
    /** Messages not yet acknowledged, by id, in the order sent. Guarded by lock. */
    private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();
    /** Presence questions sent on the current connection, in order: the server answers in order. Guarded by lock. */
    private final java.util.ArrayDeque<Asked> asked = new java.util.ArrayDeque<>();

    /** A presence question and its answer to come. */
    private record Asked(String topic, CompletableFuture<List<String>> answer) {
    }
    /** The current connection's server answered the resume: it acknowledges. Guarded by lock. */
    private boolean acknowledging;
    private long connectedAt; // System.nanoTime() of the current connection; guarded by lock
    /**
     * When reconnecting gives up (System.nanoTime()): set when a connection the server had
     * answered is lost, and kept through reconnections the server ends before answering (a
     * refused token, say), so that they count against one {@code retryFor}; 0 while answered.
     * Guarded by lock.
     */
    private long retryUntil;
    /** Keys of this client's recent posts, which a replay brings back to it: not delivered. Guarded by itself. */
    private final Set<String> own = new LinkedHashSet<>();
    // Selector thread only: what a registration asks to resume from.
    private String epoch;
    private long epochNumber;
    private final Map<String, Long> received = new HashMap<>();
    // Delivery thread only.
    private final OrderedDelivery ordered;
    private long deliveringEpoch;
    private ChatMessage handingChat;
    private TcpMessage handing;

    /** A message kept until acknowledged: sent again unchanged (its id and time) after a reconnection. */
    private record Pending(String id, String topic, String text, Instant time, CompletableFuture<PostAck> outcome) {
    }

    /** The user a message without {@code message.user} counts under in {@link OrderedDelivery}. */
    private static final String UNNAMED = "-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private TopicClient(PeerCore core, InetSocketAddress server, WireLink connection, List<String> topics,
            String user, Duration retryFor, SSLContext tls, String token) {
        super(core);
        this.server = server;
        this.tls = tls;
        this.token = token;
        this.serverName = connection.remote();
        this.connection = connection;
        this.topics = topics;
        this.user = user;
        this.retryFor = retryFor;
        this.acks = !retryFor.isZero();
        this.idPrefix = Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
        this.connectedAt = System.nanoTime();
        this.ordered = new OrderedDelivery((channel, after, limit) -> new HistoryPage(channel, 0, 0, List.of()),
                this::handOver, () -> deliveringEpoch);
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
        private SSLContext tls;
        private String token;

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
         * with {@link TcpListener#onClosed} and a cause that says so. A client that reconnects
         * uses acknowledgements and resume (see {@link TopicClient}); for exactly once it needs a
         * {@link #user} name.
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
         * Connects over TLS, trusting what this context's trust managers trust (a self-signed
         * server's certificate, say); the certificate must name the host connected to. Plain TCP
         * without it.
         */
        public Builder tls(SSLContext context) {
            this.tls = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * Proves to a server that authenticates that this client is its {@link #user}, with that
         * user's secret token, sent first on every connection. Needs {@link #user} and
         * {@link #tls} (a token must not cross the network in clear).
         */
        public Builder token(String token) {
            this.token = Objects.requireNonNull(token, "token");
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
            if (token != null && (user == null || tls == null)) {
                throw new IllegalStateException("a token needs a user name (user(...)) and TLS (tls(...))");
            }
            return TopicClient.connect(this, listener);
        }
    }

    private static TopicClient connect(Builder b, TcpListener listener) throws IOException {
        List<String> checked = b.topics;
        InetSocketAddress address = new InetSocketAddress(b.host, b.port);
        PeerCore core = new PeerCore(Integer.toString(b.port), listener, null);
        try {
            WireLink c = core.loop.connect(address, CONNECT_TIMEOUT, core::link, b.tls);
            TopicClient client = new TopicClient(core, address, c, checked, b.user, b.retryFor, b.tls, b.token);
            if (client.acks) {
                core.linkLoss = client::lost;
                core.extension = client::onExtension;
            }
            if (!core.loop.executeWaiting(() -> c.send(client.registration(c, checked, true)),
                    System.nanoTime() + CONNECT_TIMEOUT.toNanos())) {
                throw new IOException("cannot register with " + b.host + ":" + b.port + ": " + (core.isOpen()
                        ? "the clients' selector thread took no task within " + CONNECT_TIMEOUT.toSeconds() + " s"
                        : "the connection ended before the registration went"));
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
            if (retryUntil == 0) {
                retryUntil = System.nanoTime() + retryFor.toNanos();
            }
        }
        failAsked("the connection was lost before the server answered");
        log.info("lost {}: {}; reconnecting", serverName, cause == null ? "closed by the server" : cause.getMessage());
        core.deliver(() -> core.listener().onConnectionLost(serverName, cause));
        Thread t = new Thread(() -> reconnect(cause), "parley-tcp-reconnect-" + server.getPort());
        t.setDaemon(true);
        t.start();
        return true;
    }

    /** Tries to connect again, with backoff, until connected, closed, or {@code retryFor} has passed. */
    private void reconnect(IOException lost) {
        long deadline;
        synchronized (lock) {
            deadline = retryUntil;
        }
        long backoff = FIRST_BACKOFF.toNanos();
        IOException last = lost != null ? lost : new IOException("closed by the server");
        try {
            // Connections the server ended before answering used up the time already.
            if (System.nanoTime() - deadline >= 0 && !retryFor.isZero()) {
                giveUp(last);
                return;
            }
            while (true) {
                long wait = Math.min(backoff, Math.max(0, deadline - System.nanoTime()));
                if (core.awaitClosed(Duration.ofNanos(wait)) || !core.isOpen()) {
                    return;
                }
                try {
                    long left = Math.min(CONNECT_TIMEOUT.toNanos(), deadline - System.nanoTime());
                    WireLink c = core.loop.connect(server, Duration.ofNanos(Math.max(left, 1_000_000)), core::link, tls);
                    if (core.loop.executeWaiting(() -> adopt(c), System.nanoTime() + CONNECT_TIMEOUT.toNanos())) {
                        return;
                    }
                    last = new IOException("the clients' selector thread took no task");
                } catch (IOException e) {
                    last = e;
                }
                if (System.nanoTime() - deadline >= 0) {
                    giveUp(last);
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF.toNanos());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void giveUp(IOException last) {
        String why = last.getMessage() != null ? last.getMessage() : last.getClass().getSimpleName();
        failPending("the client gave up reconnecting before the server acknowledged it");
        core.end(new IOException("gave up reconnecting to " + serverName + " after "
                + retryFor.toSeconds() + " s: " + why, last));
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
        c.send(registration(c, topics, true));
        synchronized (lock) {
            connection = c;
            acknowledging = false;
            connectedAt = System.nanoTime();
            for (Pending p : pending.values()) {
                c.send(encode(c, p)); // unchanged, in order, before anything newer
            }
        }
        core.deliver(() -> core.listener().onReconnected(serverName));
    }

    /** Selector thread: a registration; with the extension, one that asks to resume from what was received. */
    /**
     * The registration to send; on a new connection ({@code first}) after the user's token, if
     * it has one (the server takes nothing before it): written here, ahead of the registration.
     */
    private ByteBuffer registration(WireLink c, List<String> topics, boolean first) {
        if (first && token != null) {
            c.send(WireCodec.encodeAuth(user, token));
        }
        return registration(c, topics);
    }

    private ByteBuffer registration(WireLink c, List<String> topics) {
        if (!acks) {
            return WireCodec.encodeRegistration(c.local(), topics);
        }
        Map<String, Long> after = new LinkedHashMap<>();
        for (String t : topics) {
            Long seq = received.get(t);
            if (seq != null) {
                after.put(t, seq);
            }
        }
        return WireCodec.encodeRegistration(c.local(), topics, epoch, after);
    }

    private ByteBuffer encode(WireLink c, Pending p) {
        return WireCodec.encodeChat(c.local(), c.remote(), p.topic(), p.text(), user, p.id(),
                ChatTime.format(p.time()), 0);
    }

    /** Selector thread: an object of the extension from the server (registered, ack, a numbered message). */
    private void onExtension(WireLink c, WireCodec.Frame frame) throws ProtocolException {
        if (frame instanceof WireCodec.Presence pr) {
            Asked a;
            synchronized (lock) {
                a = asked.peek();
                if (a == null || pr.users() == null || !a.topic().equals(pr.topic())) {
                    throw new ProtocolException("a presence answer for " + Names.quote(pr.topic()) + " that was not asked for");
                }
                asked.poll();
            }
            List<String> users = List.copyOf(pr.users());
            core.deliver(() -> a.answer().complete(users));
        } else if (frame instanceof WireCodec.Registered r) {
            synchronized (lock) {
                if (connection == c) {
                    acknowledging = true;
                    retryUntil = 0; // this server answers: a later loss gets a whole retryFor
                }
            }
            if (!r.epoch().equals(epoch)) { // a new server (or the first): its numbers start again
                epoch = r.epoch();
                epochNumber++;
                received.clear();
            }
        } else if (frame instanceof WireCodec.Ack a) {
            if (a.seq() < 1) {
                throw new ProtocolException("ack.seq must be 1 or more, not " + a.seq());
            }
            Pending p;
            synchronized (lock) {
                p = pending.remove(a.id());
            }
            if (p != null && p.outcome() != null) {
                PostAck ack = new PostAck(a.topic(), a.seq(), p.time());
                core.deliver(() -> p.outcome().complete(ack));
            }
        } else if (frame instanceof WireCodec.Chat chat) {
            TcpMessage m = chat.message();
            if (chat.time() == null) {
                throw new ProtocolException("message.time is missing beside message.seq");
            }
            ChatMessage numbered;
            try {
                numbered = new ChatMessage(m.topic(), chat.seq(), m.user() != null ? m.user() : UNNAMED,
                        ChatTime.parse(chat.time()), m.text());
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("a message the client cannot take: " + e.getMessage());
            }
            received.merge(m.topic(), chat.seq(), Math::max);
            long number = epochNumber;
            core.deliver(() -> {
                deliveringEpoch = number;
                handing = m;
                handingChat = numbered;
                try {
                    ordered.deliver(numbered, number);
                } finally {
                    handing = null;
                    handingChat = null;
                }
            });
        } else {
            throw new ProtocolException("unexpected " + frame.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** Delivery thread: what {@link OrderedDelivery} lets through, to the listener, unless it is this client's own. */
    private void handOver(ChatMessage m) {
        if (m != handingChat) {
            return; // not the message being delivered (the history source gives none)
        }
        if (user != null && user.equals(m.user())) {
            synchronized (own) {
                if (own.contains(ownKey(m.channel(), m.time(), m.text()))) {
                    return; // this client's post, brought back by a replay: no echo
                }
            }
        }
        core.listener().onMessage(handing);
    }

    private static String ownKey(String topic, Instant time, String text) {
        return topic + '\0' + time.toEpochMilli() + '\0' + text.length() + '\0' + text.hashCode();
    }

    /** Fails what waits for an acknowledgement: the client ended before it came. */
    private void failPending(String why) {
        List<Pending> left;
        synchronized (lock) {
            left = new ArrayList<>(pending.values());
            pending.clear();
        }
        for (Pending p : left) {
            if (p.outcome() != null) {
                p.outcome().completeExceptionally(new IOException(why));
            }
        }
    }

    /**
     * Closes; a message not yet acknowledged is not sent again, and its
     * {@link #sendAcknowledged} future fails.
     */
    @Override
    public void close() {
        super.close();
        failPending("the client closed before the server acknowledged it");
        failAsked("the client closed before the server answered");
    }

    /**
     * Says that this client's user is in {@code topic} and asks who is there (docs/PROTOCOL.md,
     * TCP "Extension: presence"): the future completes with the users, sorted, on the client's
     * delivery thread. Say it at least every 5 s to stay in the list; the server forgets a user
     * silent for 15 s. A client without a name only asks. Fails if the connection is down or
     * is lost first, the server has not answered the resume on it (so may not speak the
     * extension), the client is closed, or it does not reconnect (the extension needs
     * {@link Builder#retryFor}).
     *
     * <p>Thread safety: may be called from any thread.
     *
     * @throws IllegalArgumentException if {@code topic} breaks the naming rule
     */
    public CompletableFuture<List<String>> presence(String topic) {
        Names.checkChannel(topic);
        CompletableFuture<List<String>> answer = new CompletableFuture<>();
        if (!acks) {
            answer.completeExceptionally(new IllegalStateException("presence needs a client that reconnects: set retryFor"));
            return answer;
        }
        synchronized (lock) {
            WireLink c = connection;
            if (c == null || !core.isOpen()) {
                answer.completeExceptionally(new IOException(core.isOpen() ? "not connected now" : "the client is closed"));
                return answer;
            }
            if (!acknowledging) {
                // Not asked before the server showed it speaks the extensions (it answered the
                // resume): a server without them would take the object for a violation and close.
                answer.completeExceptionally(new IOException("the server has not shown it speaks the extensions"));
                return answer;
            }
            if (asked.size() >= MAX_ASKED) {
                answer.completeExceptionally(new IOException(MAX_ASKED + " presence questions wait for an answer already"));
                return answer;
            }
            asked.add(new Asked(topic, answer));
            if (!core.sendTo(c, l -> WireCodec.encodePresence(topic, user))) {
                asked.removeLast();
                answer.completeExceptionally(new IOException("the client is closed"));
            }
        }
        return answer;
    }

    /** Presence questions waiting for their answers at most. */
    static final int MAX_ASKED = 64;

    private void failAsked(String why) {
        List<Asked> left;
        synchronized (lock) {
            left = new ArrayList<>(asked);
            asked.clear();
        }
        for (Asked a : left) {
            a.answer().completeExceptionally(new IOException(why));
        }
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
     * Queues a message to {@code topic}. A reconnecting client keeps it until the server
     * acknowledges it, sending it again after a reconnection; while it has no connection, the
     * message waits for the next one. At most {@value #MAX_WAITING} are kept.
     *
     * @return false if the client is closed or {@value #MAX_WAITING} messages wait for an acknowledgement
     * @throws IllegalArgumentException if the text or topic breaks a rule (the message says which)
     */
    public boolean send(String topic, String text) {
        PeerCore.check(() -> Names.requireWritableChannel(topic));
        PeerCore.checkText(text);
        if (acks) {
            return keep(topic, text, null);
        }
        WireLink c;
        synchronized (lock) {
            c = connection;
        }
        return core.sendTo(c, l -> WireCodec.encodeChat(l.local(), l.remote(), topic, text, user));
    }

    /**
     * {@link #send(String, String)}, telling the outcome: the future completes with the server's
     * acknowledgement (the message is in its log, with that {@code seq}) on the client's delivery
     * thread, or fails if the message cannot be sent (the client is closed, {@value #MAX_WAITING}
     * wait already), the client closes or gives up reconnecting first, or the client does not
     * reconnect (acknowledgements need {@link Builder#retryFor}).
     *
     * <p>Thread safety: may be called from any thread, as {@link #send}.
     *
     * @throws IllegalArgumentException if the text or topic breaks a rule (the message says which)
     */
    public CompletableFuture<PostAck> sendAcknowledged(String topic, String text) {
        PeerCore.check(() -> Names.requireWritableChannel(topic));
        PeerCore.checkText(text);
        CompletableFuture<PostAck> outcome = new CompletableFuture<>();
        if (!acks) {
            outcome.completeExceptionally(new IllegalStateException(
                    "acknowledgements need a client that reconnects: set retryFor"));
        } else if (!keep(topic, text, outcome)) {
            outcome.completeExceptionally(new IllegalStateException(core.isOpen()
                    ? MAX_WAITING + " messages wait for an acknowledgement already" : "the client is closed"));
        }
        return outcome;
    }

    /** Stamps a message, keeps it until acknowledged, sends it if connected; false if closed or full. */
    private boolean keep(String topic, String text, CompletableFuture<PostAck> outcome) {
        synchronized (lock) {
            if (!core.isOpen() || (pending.size() >= MAX_WAITING && !dropOldestForAServerThatDoesNotAcknowledge())) {
                return false;
            }
            Pending p = new Pending(idPrefix + "." + (++idCounter), topic, text, ChatTime.truncate(Instant.now()), outcome);
            pending.put(p.id(), p);
            synchronized (own) {
                own.add(ownKey(topic, p.time(), text));
                if (own.size() > MAX_WAITING) {
                    Iterator<String> oldest = own.iterator();
                    oldest.next();
                    oldest.remove();
                }
            }
            WireLink c = connection;
            // Queued while the lock is held: the loop sends in the order kept, and after adopt()'s resend.
            if (c != null && !core.sendTo(c, l -> encode(l, p))) {
                pending.remove(p.id());
                return false;
            }
            return true;
        }
    }

    /**
     * A server that has not answered the resume within {@link #CONNECT_TIMEOUT} of the connection
     * does not speak the extension (the seed's, say) and never acknowledges: the oldest kept
     * message is let go (it was sent once), so that the client keeps sending. Guarded by lock.
     */
    private boolean dropOldestForAServerThatDoesNotAcknowledge() {
        if (connection == null || acknowledging || System.nanoTime() - connectedAt < CONNECT_TIMEOUT.toNanos()) {
            return false;
        }
        Iterator<Pending> oldest = pending.values().iterator();
        Pending p = oldest.next();
        oldest.remove();
        if (p.outcome() != null) {
            p.outcome().completeExceptionally(new IOException("the server does not acknowledge messages"));
        }
        return true;
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
        return core.sendTo(c, l -> registration(l, checked));
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
