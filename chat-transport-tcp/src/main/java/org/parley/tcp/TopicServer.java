package org.parley.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HubOptions;
import org.parley.core.internal.HubAccess;
import org.parley.core.internal.Names;
import org.parley.core.ProtocolException;
import org.parley.core.Subscription;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PeerText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP topic server: clients register for topics and chat; each message goes to the other
 * clients of its topic. Topics are the channels of a {@link ChatHub}, so every forwarded
 * message is in the hub's log, and another transport on the same hub sees the same traffic.
 *
 * <pre>{@code
 * try (TopicServer server = TopicServer.start(TopicServerOptions.builder().port(7777).build())) {
 *     System.out.println("listening on " + server.port());
 *     ...
 * }
 * }</pre>
 *
 * <p>Rules (docs/PROTOCOL.md, "TCP transport"): a message is forwarded to every other
 * connection registered for its topic, and only if its sender registered for it; otherwise
 * it is discarded and counted ({@link #discarded()}). {@code source} is rewritten to the
 * address observed on the sender's connection. A protocol violation gets
 * {@code {"error":...}} and that connection is closed; nobody else is affected. So does a
 * connection that does not register in time, one that takes too long over an object, and one
 * past the limit of connections (in all, or from its address): see {@link TopicServerOptions}.
 *
 * <p>Thread safety: safe from any thread. The server runs one thread,
 * {@code parley-tcp-selector-<port>}, which serves every connection and never runs user code.
 */
public final class TopicServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicServer.class);

    private final TopicServerOptions options;
    private final ChatHub hub;
    private final boolean ownsHub;
    private final NioLoop loop;
    private final InetSocketAddress address;
    private final TcpAddress serverAddress;
    private final Handler handler = new Handler();
    private final WireLink.Settings wireSettings;
    private final AtomicLong discarded = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private final ConnectionCaps caps;
    private final AtomicLong registrations = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    // The hash table from topic to the connections registered for it; selector thread only.
    private final Map<String, Members> byTopic = new HashMap<>();
    // Lines a peer can cause at will, each kind at most once per interval.
    private final LogThrottle refusedLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle discardLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle droppedLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle replayLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle storeLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle peerErrorLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle endLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    // Every message of the hub, handed to the selector thread, which picks the recipients.
    private final Subscription hubSubscription;
    /** Closing: chat messages are no longer posted (a client that resends gets them to the next server). */
    private volatile boolean stopping;
    /** Posts of TCP clients handed to the hub and not yet stored (or refused). */
    private final AtomicLong postsInFlight = new AtomicLong();
    /** Per channel, the newest seq stored from a TCP client, and the newest handed to the selector thread. */
    private final Map<String, Long> storedUpTo = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Long> handedUpTo = new java.util.concurrent.ConcurrentHashMap<>();
    /** Every open connection, registered or not; selector thread only. */
    private final Set<WireLink> open = new LinkedHashSet<>();
    /** How long a close waits, at most, for the hub to hand over what it holds, and then for the connections to drain. */
    static final java.time.Duration CLOSE_STEP = java.time.Duration.ofSeconds(1);

    private TopicServer(TopicServerOptions options, ChatHub hub, boolean ownsHub) throws IOException {
        this.options = options;
        this.hub = hub;
        this.ownsHub = ownsHub;
        this.caps = new ConnectionCaps("server", options.maxConnections(), options.maxConnectionsPerAddress());
        InetSocketAddress wanted = options.bindAddress() == null
                ? new InetSocketAddress(options.port()) : new InetSocketAddress(options.bindAddress(), options.port());
        this.wireSettings = options.wireSettings();
        this.loop = new NioLoop("parley-tcp-selector-" + options.port(), options.loopSettings());
        try {
            loop.start();
            this.address = loop.bind(wanted, c -> new WireLink(c, handler, wireSettings), options.tls());
        } catch (IOException | RuntimeException e) {
            loop.close();
            throw e;
        }
        // Listening on every interface: 0.0.0.0 names it on the wire and in logs, not "::".
        this.serverAddress = address.getAddress().isAnyLocalAddress()
                ? new TcpAddress("0.0.0.0", address.getPort()) : TcpAddress.of(address);
        // On the storing thread (this loop's, for a post of its own to an in-memory hub): queued
        // for the loop, never run there and then, as the store may hold its channel's lock.
        this.hubSubscription = HubAccess.subscribeInline(hub, Names.ALL, (message, origin) -> {
            boolean handed = loop.handOver(() -> deliver(message, origin));
            handedUpTo.merge(message.channel(), message.seq(), Math::max); // handed, or dropped: nothing to wait for
            if (!handed) {
                long held = droppedLog.admit(); // a flooding peer must not flood the log too
                if (held >= 0) {
                    log.warn("dropped {} #{} for TCP clients: the selector queue is full or stopped ({} more not logged)",
                            message.channel(), message.seq(), held);
                }
            }
        });
    }

    /**
     * Binds and starts serving.
     *
     * @throws java.net.BindException if the port is in use ({@code address 0.0.0.0:7777 is already in use})
     * @throws IOException            if the socket cannot be opened
     */
    public static TopicServer start(TopicServerOptions options) throws IOException {
        ChatHub hub = options.hub() != null ? options.hub()
                : ChatHub.create();
        boolean ownsHub = options.hub() == null;
        TopicServer server;
        try {
            server = new TopicServer(options, hub, ownsHub);
        } catch (IOException | RuntimeException e) {
            if (ownsHub) {
                hub.close();
            }
            throw e;
        }
        log.info("topic server listening on {}", server.serverAddress);
        return server;
    }

    /** The port listened on (the one picked, when the options said 0). */
    public int port() {
        return address.getPort();
    }

    /** The address listened on as it appears on the wire ({@code 0.0.0.0} for every interface). */
    public TcpAddress address() {
        return serverAddress;
    }

    /** The hub this server posts to and delivers from. */
    public ChatHub hub() {
        return hub;
    }

    /** Messages discarded because their sender had not registered for their topic. */
    long discarded() {
        return discarded.get();
    }

    /** Messages accepted from TCP clients and posted to the hub. */
    long forwarded() {
        return forwarded.get();
    }

    /** Registrations accepted so far (for tests: a registration has taken effect). */
    long registrations() {
        return registrations.get();
    }

    /** The server's selector loop (for tests). */
    NioLoop loop() {
        return loop;
    }

    /** Whether {@link #close} has begun: messages are no longer posted (for tests). */
    boolean isStopping() {
        return stopping;
    }

    /** Connections open now. */
    int connections() {
        return caps.open();
    }

    /**
     * Closes gracefully: stops posting what clients send (a client that reconnects sends it again
     * to the next server), waits up to {@link #CLOSE_STEP} for the hub to store the posts under way
     * and hand this server every message stored from its clients, then lets every connection
     * write what is queued for it (up to {@link #CLOSE_STEP} more) and closes the connections, the
     * listening socket and, if the server made it, the hub. So a message acknowledged to its
     * sender reaches the subscribers that stay connected. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            long handOver = System.nanoTime() + CLOSE_STEP.toNanos();
            stopPosting(handOver);
            while (!handedAll() && System.nanoTime() - handOver < 0) {
                LockSupport.parkNanos(1_000_000);
            }
            if (!handedAll()) {
                log.warn("closing {}: the hub did not hand over every stored message within {} ms", serverAddress,
                        CLOSE_STEP.toMillis());
            }
            long drained = System.nanoTime() + CLOSE_STEP.toNanos();
            // Runs after every delivery handed before it: the loop's queue is first in, first out.
            CompletableFuture<List<WireLink>> swept = new CompletableFuture<>();
            if (loop.executeWaiting(() -> {
                List<WireLink> all = List.copyOf(open);
                all.forEach(WireLink::closeAfterFlush);
                swept.complete(all);
            }, drained)) {
                List<WireLink> draining = swept.get(Math.max(0, drained - System.nanoTime()), TimeUnit.NANOSECONDS);
                // A client that connects meanwhile is not waited for: it is cut with the loop.
                while (draining.stream().anyMatch(WireLink::isOpen) && System.nanoTime() - drained < 0) {
                    LockSupport.parkNanos(1_000_000);
                }
                long left = draining.stream().filter(WireLink::isOpen).count();
                if (left > 0) {
                    log.warn("closing {}: {} connections did not take what was queued for them within {} ms",
                            serverAddress, left, CLOSE_STEP.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closes at once
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("closing {}: the selector thread did not close the connections in time", serverAddress);
        } finally {
            hubSubscription.close();
            loop.close();
            if (ownsHub) {
                hub.close();
            }
            log.info("topic server on {} stopped", serverAddress);
        }
    }

    /**
     * Stops posting what clients send: set on the selector thread, and waited for (until
     * {@code deadline}), since a task is queued, not run, when executeWaiting returns. A message
     * read before it is posted and counted before {@link #handedAll} looks; none is posted after.
     */
    private void stopPosting(long deadline) throws InterruptedException {
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        if (!loop.executeWaiting(() -> {
            stopping = true;
            stopped.countDown();
        }, deadline) || !stopped.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            stopping = true; // the loop has stopped or is stuck: it is closed below
        }
    }

    /** Whether every post under way is stored and every message stored from a client handed to the selector thread. */
    private boolean handedAll() {
        if (postsInFlight.get() > 0) {
            return false;
        }
        for (Map.Entry<String, Long> e : storedUpTo.entrySet()) {
            if (handedUpTo.getOrDefault(e.getKey(), 0L) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Counts a post to the hub until it is stored or refused; remembers the seq stored. */
    private CompletableFuture<ChatMessage> tracked(CompletableFuture<ChatMessage> posted) {
        postsInFlight.incrementAndGet();
        return posted.whenComplete((stored, failure) -> {
            if (stored != null) {
                storedUpTo.merge(stored.channel(), stored.seq(), Math::max);
            }
            postsInFlight.decrementAndGet();
        });
    }

    /** Per-connection state; selector thread only. */
    private static final class Client {
        Set<String> topics = Set.of();
        /** Asked to resume (extension): gets seq and time in each message. */
        boolean resumes;
        /** The epoch its last {@code registered} named; its seqs mean something under it only. */
        String epoch;
        /**
         * A resuming client's replay: per topic, the newest seq it was sent from the log. A live
         * message at or below it (stored before the resume, delivered to this thread after) was
         * in the replay and is not sent again. At most one entry per registered topic.
         */
        java.util.Map<String, Long> replayedUpTo = java.util.Map.of();
        String derivedUser;
        /** On a hub that authenticates: the user this connection proved it is, or null before. */
        String authenticated;
        boolean warnedDiscard;
        /** Bytes of replay this connection was sent (see resume). Selector thread only. */
        long replayed;
    }

    private final class Handler implements WireLink.Handler {
        @Override
        public void onOpen(WireLink c) {
            open.add(c);
            Client client = new Client();
            client.derivedUser = userFor(c.remote());
            c.attachment = client; // from here on, its end counts it out
            String refused = caps.admit(c.remote());
            if (refused != null) {
                refuse(c, refused);
            } else {
                c.deadline(options.registrationTimeout().toNanos());
                log.debug("{} connected", c);
            }
        }

        @Override
        public void onDeadline(WireLink c) {
            // Set at open, cleared by the first registration: this one never registered.
            refuse(c, "no registration within " + options.registrationTimeout().toMillis() + " ms");
        }

        @Override
        public void onFrame(WireLink c, WireCodec.Frame frame) throws ProtocolException {
            Client client = (Client) c.attachment;
            if (frame instanceof WireCodec.Auth a) {
                authenticate(c, client, a);
                return;
            }
            if (HubAccess.authenticates(hub) && client.authenticated == null) {
                refuse(c, "authenticate first: this server takes {\"auth\":{\"user\":...,\"token\":...}} "
                        + "before anything else");
                return;
            }
            if (frame instanceof WireCodec.Registration r) {
                register(c, client, r.topics());
                if (r.resume() != null) {
                    resume(c, client, r.resume());
                }
            } else if (frame instanceof WireCodec.Chat chat) {
                if (stopping) {
                    return; // closing: not posted, not acknowledged (a client that resends sends it to the next server)
                }
                TcpMessage m = chat.message();
                if (!client.topics.contains(m.topic())) {
                    long n = discarded.incrementAndGet();
                    long held;
                    if (!client.warnedDiscard && (held = discardLog.admit()) >= 0) {
                        client.warnedDiscard = true;
                        log.warn("discarded a message of {} to topic {}: not registered for it ({} discarded in all;"
                                + " {} more like it not logged)", c.remote(), PeerText.excerpt(m.topic()), n, held);
                    } else {
                        log.debug("discarded a message of {} to topic {}", c.remote(), PeerText.excerpt(m.topic()));
                    }
                    return;
                }
                String user = m.user() != null ? Names.requireUser(m.user())
                        : client.authenticated != null ? client.authenticated : client.derivedUser;
                if (client.authenticated != null && !client.authenticated.equals(user)) {
                    throw new ProtocolException("user " + Names.quote(user) + " is not this connection's user, "
                            + client.authenticated);
                }
                if (chat.id() != null || chat.time() != null) {
                    postWithId(c, m, user, chat.id(), chat.time());
                    return;
                }
                // Checked here (a bad name or text is this peer's error); stored and delivered
                // (through our HubListener) by the hub, without this thread waiting for the store.
                tracked(HubAccess.postAsync(hub, m.topic(), user, m.text(), null, null, c)).whenComplete((stored, failure) -> {
                    if (failure != null) {
                        long held = storeLog.admit();
                        if (held >= 0) {
                            log.warn("a message of {} to {} was not stored: {} ({} more like it not logged)",
                                    c.remote(), PeerText.excerpt(m.topic()), failure.getMessage(), held);
                        }
                    }
                });
                forwarded.incrementAndGet();
            } else if (frame instanceof WireCodec.Presence pr && pr.users() == null) {
                // Presence (extension): the hub's, shared with every transport on it; for a topic
                // this connection registered for, as a message is.
                if (!client.topics.contains(pr.topic())) {
                    throw new ProtocolException("presence in " + PeerText.excerpt(pr.topic())
                            + " needs a registration for that topic first");
                }
                if (client.authenticated != null && pr.user() != null && !client.authenticated.equals(pr.user())) {
                    throw new ProtocolException("user " + Names.quote(pr.user()) + " is not this connection's user, "
                            + client.authenticated);
                }
                List<String> users = HubAccess.presence(hub, pr.topic(), pr.user());
                c.send(WireCodec.encodePresence(pr.topic(), users, HubAccess.limits(hub).maxFrameBytes()));
            } else if (frame instanceof WireCodec.Ack || frame instanceof WireCodec.Registered
                    || frame instanceof WireCodec.Presence) {
                throw new ProtocolException("\"" + (frame instanceof WireCodec.Ack ? "ack"
                        : frame instanceof WireCodec.Registered ? "registered" : "presence\" with \"users")
                        + "\" is sent by the server only");
            } else if (frame instanceof WireCodec.Error e) {
                long held = peerErrorLog.admit();
                if (held >= 0) {
                    log.info("{} reported an error: {} ({} more like it not logged)", c, PeerText.excerpt(e.error()), held);
                }
            }
        }

        @Override
        public void onClose(WireLink c, IOException cause) {
            open.remove(c);
            Client client = (Client) c.attachment;
            if (client != null) {
                caps.release(c.remote());
                unregister(c, client.topics);
            }
            if (cause == null) {
                log.debug("{} left", c);
                return;
            }
            long held = endLog.admit();
            if (held >= 0) {
                log.info("{} ended: {} ({} more like it not logged)", c, PeerText.excerpt(cause.getMessage()), held);
            }
        }
    }

    /**
     * Extension: a client proves it is a user of an authenticating hub with its token (over TLS:
     * the options require it). Once per connection, before anything else; a wrong one is
     * refused without saying which part was wrong.
     */
    private void authenticate(WireLink c, Client client, WireCodec.Auth a) throws ProtocolException {
        if (!HubAccess.authenticates(hub)) {
            throw new ProtocolException("this server does not authenticate: send no \"auth\"");
        }
        if (client.authenticated != null) {
            throw new ProtocolException("this connection is authenticated already, as " + client.authenticated);
        }
        String user = HubAccess.authenticate(hub, org.parley.core.internal.Users.TOKEN, a.user() + ":" + a.token());
        if (user == null) {
            refuse(c, "authentication failed: no user " + Names.quote(a.user()) + " with this token");
            return;
        }
        client.authenticated = user;
    }

    /** Tells a connection why it is not served, and closes it; logs that now and then. */
    private void refuse(WireLink c, String why) {
        long held = refusedLog.admit();
        if (held >= 0) {
            log.warn("refusing {}: {} ({} more like it not logged)", c, why, held);
        }
        c.fail(why);
    }

    private void register(WireLink c, Client client, List<String> topics) throws ProtocolException {
        if (topics.size() > options.maxTopics()) {
            throw new ProtocolException("registration of " + topics.size() + " topics exceeds the limit of "
                    + options.maxTopics());
        }
        Set<String> next = new LinkedHashSet<>();
        for (String topic : topics) {
            next.add(Names.requireChannel(topic));
            if (client.authenticated != null && !HubAccess.mayRead(hub, client.authenticated, topic)) {
                throw new ProtocolException("user " + client.authenticated + " may not read " + topic);
            }
        }
        Set<String> removed = new LinkedHashSet<>(client.topics);
        removed.removeAll(next);
        unregister(c, removed);
        for (String topic : next) {
            byTopic.computeIfAbsent(topic, t -> new Members()).add(c);
        }
        client.topics = next;
        c.clearDeadline(); // the registration deadline, met; a later registration finds none
        registrations.incrementAndGet();
        if (log.isDebugEnabled()) { // a peer may register without end: build nothing unless asked
            log.debug("{} registered for {}", c, PeerText.excerpt(next.toString()));
        }
    }

    /**
     * Extension: a message with an id (and a time). Posted with that id, so a message sent again
     * is stored once; once stored, the sender gets {@code {"ack":...}} (the first one's seq for a
     * repeat). A message the hub refuses (an id used for another post) is this peer's error.
     */
    private void postWithId(WireLink c, TcpMessage m, String user, String id, String time) throws ProtocolException {
        java.time.Instant at = time != null ? org.parley.core.internal.ChatTime.parse(time) : null;
        tracked(HubAccess.postAsync(hub, m.topic(), user, m.text(), at, id, c)).whenComplete((stored, failure) -> {
            if (failure == null) {
                if (id != null) {
                    ByteBuffer ack = WireCodec.encodeAck(id, stored.channel(), stored.seq(), hub.epoch());
                    loop.execute(() -> c.send(ack)); // on a closed connection: dropped, the client sends it again
                }
                return;
            }
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof ProtocolException p) {
                loop.execute(() -> refuse(c, p.getMessage()));
            } else {
                long held = storeLog.admit();
                if (held >= 0) {
                    log.warn("a message of {} to {} was not stored: {} ({} more like it not logged)",
                            c.remote(), PeerText.excerpt(m.topic()), cause.getMessage(), held);
                }
            }
        });
        forwarded.incrementAndGet();
    }

    /** Bytes a resume may queue on one connection: half of what a connection may have waiting. */
    private long replayBudget() {
        return options.loopSettings().maxOutboundBytes() / 2;
    }

    /**
     * Extension: answers {@code {"registered":{"epoch":...}}}, then sends, per topic, what the
     * log holds after the seq the client gives (everything it holds when the epoch is another:
     * the server restarted), oldest first, within {@link #replayBudget()}; from now on this
     * connection's messages carry seq and time.
     */
    private void resume(WireLink c, Client client, WireCodec.Resume resume) throws ProtocolException {
        client.resumes = true;
        String epoch = hub.epoch();
        client.epoch = epoch;
        c.send(WireCodec.encodeRegistered(epoch));
        boolean same = epoch.equals(resume.epoch());
        // A connection's replays together cost the selector thread at most twice one's budget,
        // however often it registers again with a resume.
        long budget = Math.min(replayBudget(), 2 * replayBudget() - client.replayed);
        java.util.Map<String, Long> upTo = new HashMap<>();
        client.replayedUpTo = upTo;
        for (String topic : client.topics) {
            if (Names.ALL.equals(topic)) {
                continue; // seq is per channel: ALL gets live messages only
            }
            long after = same ? resume.after().getOrDefault(topic, 0L) : 0L;
            upTo.put(topic, after); // the client has these: a late live one is not sent again
            while (budget > 0) {
                org.parley.core.HistoryPage page = hub.history(topic, after, org.parley.core.HubOptions.MAX_HISTORY_LIMIT);
                if (page.messages().isEmpty()) {
                    break;
                }
                for (ChatMessage m : page.messages()) {
                    ByteBuffer bytes = encodeForResume(m, null);
                    budget -= bytes.remaining();
                    client.replayed += bytes.remaining();
                    c.send(bytes);
                    after = m.seq();
                    upTo.put(topic, after);
                    if (budget <= 0) {
                        long held = replayLog.admit();
                        if (held >= 0) {
                            log.warn("{}: resume of {} stopped at seq {}: the replay is past {} bytes"
                                    + " ({} more like it not logged)", c, PeerText.excerpt(topic), after,
                                    replayBudget(), held);
                        }
                        break;
                    }
                }
            }
        }
    }

    private void unregister(WireLink c, Set<String> topics) {
        for (String topic : topics) {
            Members members = byTopic.get(topic);
            if (members != null && members.remove(c) && members.isEmpty()) {
                byTopic.remove(topic);
            }
        }
    }

    /** Selector thread: sends {@code message} to the clients of its topic and of ALL, once each. */
    private void deliver(ChatMessage message, Object origin) {
        Members ofTopic = byTopic.get(message.channel());
        Members ofAll = byTopic.get(Names.ALL);
        ByteBuffer bytes = null; // encoded once, on the first recipient, and shared by all
        ByteBuffer withSeq = null; // the same for clients that resume (extension)
        String epoch = null; // the hub's, read once, for clients that resume
        if (ofTopic != null) {
            for (WireLink c : ofTopic.array()) {
                if (c != origin) {
                    Client client = (Client) c.attachment;
                    if (client.resumes) {
                        epoch = epoch != null ? epoch : hub.epoch();
                        if (renumbered(c, client, epoch)) {
                            continue;
                        }
                        if (message.seq() <= client.replayedUpTo.getOrDefault(message.channel(), 0L)) {
                            continue; // sent in its replay already
                        }
                        withSeq = withSeq != null ? withSeq : encodeForResume(message, origin);
                        c.send(withSeq);
                    } else {
                        bytes = bytes != null ? bytes : encode(message, origin);
                        c.send(bytes); // may close c, and change the sets: the array stays as it was
                    }
                }
            }
        }
        if (ofAll != null) {
            for (WireLink c : ofAll.array()) {
                if (c != origin && (ofTopic == null || !ofTopic.contains(c))) { // once, from the topic
                    if (((Client) c.attachment).resumes) {
                        epoch = epoch != null ? epoch : hub.epoch();
                        if (renumbered(c, (Client) c.attachment, epoch)) {
                            continue;
                        }
                        withSeq = withSeq != null ? withSeq : encodeForResume(message, origin);
                        c.send(withSeq);
                    } else {
                        bytes = bytes != null ? bytes : encode(message, origin);
                        c.send(bytes);
                    }
                }
            }
        }
    }

    /**
     * Whether the hub's epoch is no longer the one {@code client} resumed under (a shared store
     * whose Redis restarted numbers from where Redis was): then its seqs would be taken for ones
     * it has, so the connection is closed, and the client, reconnecting, learns the new epoch
     * and is sent what it lacks.
     */
    private boolean renumbered(WireLink c, Client client, String epoch) {
        if (epoch.equals(client.epoch)) {
            return false;
        }
        log.info("{}: the hub's epoch is now {}; closing the connection so that the client resumes under it",
                c, epoch);
        c.closeAfterFlush();
        return true;
    }

    /** A name the server derives from an address ({@link #userFor}), as far as its shape tells. */
    private static final java.util.regex.Pattern DERIVED =
            java.util.regex.Pattern.compile("(tcp-[0-9a-f]+|[0-9a-f]*\\.[0-9a-f.]*)-[0-9]{1,5}");

    /** For a client that resumes: seq and time too; from the log ({@code origin} null) the server speaks for the sender. */
    private ByteBuffer encodeForResume(ChatMessage message, Object origin) {
        TcpAddress source = serverAddress;
        TcpAddress destination = serverAddress;
        String user = message.user();
        if (origin instanceof WireLink c && c.handler() == handler) {
            source = c.remote();
            destination = c.local();
            if (c.attachment instanceof Client client && user.equals(client.derivedUser)) {
                user = null;
            }
        } else if (origin == null && DERIVED.matcher(user).matches()) {
            user = null; // replayed from the log: an unnamed TCP sender's derived name stays on the hub
        }
        return WireCodec.encodeChat(source, destination, message.channel(), message.text(), user, null,
                org.parley.core.internal.ChatTime.format(message.time()), message.seq());
    }

    /**
     * The connections registered for one topic, in order, and an array of them made again only
     * after a change: a message goes to them without a copy of the set per message.
     * Selector thread only.
     */
    private static final class Members {
        private final Set<WireLink> set = new LinkedHashSet<>();
        private WireLink[] array;

        void add(WireLink c) {
            if (set.add(c)) {
                array = null;
            }
        }

        boolean remove(WireLink c) {
            boolean removed = set.remove(c);
            if (removed) {
                array = null;
            }
            return removed;
        }

        boolean contains(WireLink c) {
            return set.contains(c);
        }

        boolean isEmpty() {
            return set.isEmpty();
        }

        WireLink[] array() {
            if (array == null) {
                array = set.toArray(new WireLink[0]);
            }
            return array;
        }
    }

    private ByteBuffer encode(ChatMessage message, Object origin) {
        TcpAddress source;
        TcpAddress destination;
        String user = message.user();
        if (origin instanceof WireLink c && c.handler() == handler) {
            source = c.remote();       // the address observed on the sender's connection
            destination = c.local();
            if (c.attachment instanceof Client client && user.equals(client.derivedUser)) {
                user = null; // the sender gave no name: the hub's name for it stays on the hub
            }
        } else {
            // From another transport or an in-process client: the server speaks for it.
            source = serverAddress;
            destination = serverAddress;
        }
        return WireCodec.encodeChat(source, destination, message.channel(), message.text(), user);
    }

    /** The hub user name of a sender that gives none: its observed address, as {@code 127.0.0.1-52344}. */
    static String userFor(TcpAddress remote) {
        String name = remote.ip().replace(':', '.') + "-" + remote.port();
        if (Names.isValidUser(name)) {
            return name;
        }
        // A long IPv6 address: keep the name within the rule and still tell clients apart.
        return "tcp-" + Integer.toHexString(remote.ip().hashCode()) + "-" + remote.port();
    }

}
