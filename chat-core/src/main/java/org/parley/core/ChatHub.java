package org.parley.core;

import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.HubAccess;
import org.parley.core.internal.Names;
import org.parley.core.internal.ChatTime;
import org.parley.core.internal.Users;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of a Parley server: validates posts, gives each one its per-channel sequence
 * number, records it in its {@link MessageStore} and hands it to every listener of its channel
 * and of {@value Names#ALL}.
 *
 * <p>Transports translate bytes into posts and deliver what their {@link HubListener}s
 * receive; two transports attached to one hub form a bridge. What they need beyond this class's
 * public methods (the post that does not wait for the store, presence, the channels in use, the
 * access rules of an authenticating hub) is reachable to Parley's own modules only.
 *
 * <pre>{@code
 * try (ChatHub hub = ChatHub.create();
 *      ChatClient alice = hub.connect("alice")) {
 *     alice.subscribe("general", m -> System.out.println(m.displayLine()));
 *     alice.post("general", "hello").join();
 * }
 * }</pre>
 *
 * <p>Threads: listeners run on the hub's {@link Dispatcher}s, never on the thread that
 * posted: one per {@link #subscribe}, one per {@link #dispatcher}, one per client from
 * {@link #connect}. A listener that is slow or blocked delays its own dispatcher only.
 *
 * <p>Thread safety: safe from any thread. Posts to one channel are serialised, and each
 * dispatcher calls its listeners with that channel's messages in {@code seq} order; posts to
 * different channels proceed in parallel.
 */
public final class ChatHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChatHub.class);

    private final HubOptions options;
    private final MessageStore store;
    private final ChannelRegistry registry = new ChannelRegistry();
    private final Presence presence = new Presence();
    /** Default bound of a dispatcher's queue: messages it may fall behind before dropping. */
    public static final int DEFAULT_DISPATCHER_CAPACITY = 100_000;
    /** In-process clients and dispatchers, closed with the hub. */
    private final Set<AutoCloseable> clients = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    static {
        HubAccess.install(new HubAccess.Hub() {
            @Override
            public ChatLimits limits(ChatHub hub) {
                return hub.options.limits();
            }

            @Override
            public boolean isClosed(ChatHub hub) {
                return hub.isClosed();
            }

            @Override
            public boolean authenticates(ChatHub hub) {
                return hub.authenticates();
            }

            @Override
            public String authenticate(ChatHub hub, String scheme, String credential) {
                return hub.authenticate(scheme, credential);
            }

            @Override
            public boolean mayRead(ChatHub hub, String user, String channel) {
                return hub.mayRead(user, channel);
            }

            @Override
            public List<String> presence(ChatHub hub, String channel, String user) throws ProtocolException {
                return hub.presence(channel, user);
            }

            @Override
            public List<String> channels(ChatHub hub) {
                return hub.channels();
            }

            @Override
            public CompletableFuture<ChatMessage> postAsync(ChatHub hub, String channel, String user, String text,
                    Instant time, String postId, Object origin) throws ProtocolException {
                return hub.postAsync(channel, user, text, time, postId, origin);
            }

            @Override
            public Subscription subscribeInline(ChatHub hub, String channel, HubListener listener) {
                return hub.subscribeInline(channel, listener);
            }
        });
    }

    private ChatHub(HubOptions options, MessageStore store) {
        this.options = options;
        this.store = store;
        store.start(this::deliver);
    }

    /** A hub with {@link HubOptions#defaults()}. */
    public static ChatHub create() {
        return create(HubOptions.defaults());
    }

    /** A hub keeping its messages in memory ({@link MessageStore#inMemory}), within {@code options}' bounds. */
    public static ChatHub create(HubOptions options) {
        return new ChatHub(options, MessageLog.of(options));
    }

    /**
     * A hub keeping its messages in {@code store} (a durable or a shared one), which it starts
     * now and closes when it closes.
     */
    public static ChatHub create(HubOptions options, MessageStore store) {
        return new ChatHub(options, Objects.requireNonNull(store, "store"));
    }

    /**
     * The numbering space of this hub's store: a {@code seq} only means something together
     * with the epoch it was given in. The in-memory store has a new one each time it is made,
     * so a server restarted with an empty log has a new epoch, which tells its clients to
     * start counting again; a durable or shared store keeps its epoch while it keeps its
     * numbering.
     */
    public String epoch() {
        return store.epoch();
    }

    /**
     * The newest {@code seq} given in {@code channel}, 0 if none.
     *
     * @throws IllegalArgumentException if {@code channel} breaks the naming rule
     */
    public long lastSeq(String channel) {
        Names.checkChannel(channel);
        return store.lastSeq(channel);
    }

    /**
     * Whether this hub authenticates ({@link HubOptions.Builder#usersFile}): then a transport
     * accepts only connections that prove a user's credential, and a post only under that user.
     */
    boolean authenticates() {
        return options.users() != null;
    }

    /**
     * The user whose credential this is, or {@code null} if no user of this hub has it or the hub
     * does not authenticate. Schemes: {@code "curve"}, a CurveZMQ public key in Z85;
     * {@code "token"}, {@code <user>:<token>}, checked against the SHA-256 in the users file.
     */
    String authenticate(String scheme, String credential) {
        Users users = options.users();
        return users == null ? null : users.userOf(scheme, credential);
    }

    /**
     * Whether {@code user} may read {@code channel} (its history, presence and messages):
     * always on a hub that does not authenticate. {@value Names#ALL} shows every channel, so a
     * user reads it only with {@code read=*} or with ALL named in the users file (which then
     * lets them read every channel through it).
     */
    boolean mayRead(String user, String channel) {
        Users users = options.users();
        return users == null || users.mayRead(user, channel);
    }

    /** The store, for the in-process client's gap repair. */
    MessageStore store() {
        return store;
    }

    /**
     * Says that {@code user} is in {@code channel} (any channel, {@value Names#ALL} included)
     * and returns who is there, sorted. A client says so at least every 5 s while it is there;
     * one silent for 15 s is gone. {@code user == null} only asks.
     *
     * @throws ProtocolException if the channel or the user name breaks its rule
     */
    List<String> presence(String channel, String user) throws ProtocolException {
        requireOpen();
        Names.requireChannel(channel);
        long now = System.nanoTime();
        if (user != null) {
            presence.touch(channel, Names.requireUser(user), now);
        }
        return presence.who(channel, now);
    }

    /**
     * The channels in use, sorted: those someone is in (see {@link #presence}) and those with
     * one of the newest {@value HubOptions#MAX_HISTORY_LIMIT} messages of all.
     */
    List<String> channels() {
        requireOpen();
        java.util.TreeSet<String> names = new java.util.TreeSet<>(presence.channels(System.nanoTime()));
        names.remove(Names.ALL);
        for (ChatMessage m : store.latestOfAll(HubOptions.MAX_HISTORY_LIMIT).messages()) {
            names.add(m.channel());
        }
        return List.copyOf(names);
    }

    /** How many listeners {@code channel} has ({@value Names#ALL} counts its own). */
    int listenerCount(String channel) {
        return registry.listenerCount(channel);
    }

    /**
     * Records a message and delivers it to the listeners of its channel and of
     * {@value Names#ALL}; waits until the store has stored it (at once for the in-memory store).
     *
     * @param channel the channel; {@value Names#ALL} is rejected as read-only
     * @param user    the author
     * @param text    the text
     * @param time    the author's time, or {@code null} for the hub's clock
     * @param origin  anything that identifies the poster to the listeners, or {@code null}; a
     *                {@link HubListener} given as the origin of its own post is not called for it
     * @return the recorded message, with its sequence number
     * @throws ProtocolException     if a name or the text breaks a rule, or on an authenticating hub
     *                               the user may not post to the channel (the message says which),
     *                               or the store could not store it
     * @throws IllegalStateException if the hub is closed
     */
    public ChatMessage post(String channel, String user, String text, Instant time, Object origin)
            throws ProtocolException {
        CompletableFuture<ChatMessage> stored = postAsync(channel, user, text, time, null, origin);
        try {
            return stored.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ProtocolException p) {
                throw p;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new ProtocolException("the store could not store the post: " + cause, cause);
        }
    }

    /**
     * {@link #post}, returning once the post is checked: the future completes when the store
     * has stored it (at once for the in-memory store), or exceptionally with a
     * {@link ProtocolException} from the store (a full disk, say). The transports and the
     * in-process client use this, so that a store that takes time never blocks them.
     *
     * <p>With a {@code postId}, a post sent again (its sender saw no acknowledgement and
     * retries) is recorded once: the repeat completes with the first one's message and is
     * delivered to nobody (see {@link MessageStore#append}).
     *
     * <p>A durable store completes the future on a thread of its own: a callback chained on it
     * without an executor runs there and must not wait for another post's future (chain it with
     * {@code thenCompose}, or use an {@code ...Async} method); {@link #post} waits that way.
     *
     * @param postId the client's id for this post (1 to 64 letters, digits, {@code _ - .}), or {@code null}
     * @throws ProtocolException     if a name, the id or the text breaks a rule, or on an authenticating hub
     *                               the user may not post to the channel (the message says which)
     * @throws IllegalStateException if the hub is closed
     */
    CompletableFuture<ChatMessage> postAsync(String channel, String user, String text, Instant time,
            String postId, Object origin) throws ProtocolException {
        requireOpen();
        Names.requireWritableChannel(channel);
        Names.requireUser(user);
        Names.requireText(text, options.limits());
        Names.requirePostId(postId);
        Users users = options.users();
        if (users != null) {
            users.requireWrite(user, channel);
        }
        Instant stamped = ChatTime.requireInRange(time != null ? time : options.clock().instant());
        return store.append(channel, user, stamped, text, postId, origin);
    }

    /**
     * The store's sink, on the storing thread: hands each message to the dispatchers of its
     * channel's listeners and of ALL's (and to the inline listeners of transports), in seq order
     * per channel, never waiting for a listener.
     */
    private void deliver(ChatMessage message, Object origin) {
        for (ChannelRegistry.Registration r : registry.of(message.channel())) {
            handOver(r, message, origin);
        }
        for (ChannelRegistry.Registration r : registry.ofAll()) {
            handOver(r, message, origin);
        }
    }

    private static void handOver(ChannelRegistry.Registration r, ChatMessage message, Object origin) {
        if (r.listener() == origin) {
            return;
        }
        Dispatcher d = r.dispatcher();
        if (d != null) {
            d.offer(r.listener(), message, origin);
            return;
        }
        try {
            r.listener().onMessage(message, origin); // a transport's hand-over to its own thread
        } catch (RuntimeException e) {
            log.error("an inline listener failed on {} #{}, a bug; the others are served", message.channel(),
                    message.seq(), e);
        }
    }

    /**
     * Subscribes a transport's {@code listener}, called on the storing thread, in {@code seq}
     * order per channel, possibly under the store's channel lock: it must only hand the message
     * to a thread of its own (a selector's queue), never block and never post. It saves the
     * transport a dispatcher's hop. Reached through {@link HubAccess#subscribeInline}.
     */
    Subscription subscribeInline(String channel, HubListener listener) {
        Objects.requireNonNull(listener, "listener");
        ChannelRegistry.Registration r = register(channel, null, listener);
        return subscription(channel, () -> unregister(channel, r)); // removing twice removes nothing
    }

    /** A subscription to {@code channel} whose close runs {@code close}, which must be idempotent. */
    private static Subscription subscription(String channel, Runnable close) {
        return new Subscription() {
            @Override
            public String channel() {
                return channel;
            }

            @Override
            public void close() {
                close.run();
            }
        };
    }

    /**
     * Subscribes {@code listener} to {@code channel}, or to every channel for {@value Names#ALL},
     * on a dispatcher of its own ({@code parley-hub-<channel>}), which closing the subscription
     * ends. Listeners that may share a thread share a {@link #dispatcher}.
     *
     * @throws IllegalArgumentException if {@code channel} breaks the naming rule
     */
    public Subscription subscribe(String channel, HubListener listener) {
        requireOpen();
        Names.checkChannel(channel);
        Dispatcher own = dispatcher("parley-hub-" + channel, DEFAULT_DISPATCHER_CAPACITY);
        Subscription inner;
        try {
            inner = own.subscribe(channel, listener);
        } catch (RuntimeException e) {
            own.close(); // a null listener, or the hub closed meanwhile: no thread left behind
            throw e;
        }
        return subscription(channel, () -> {
            inner.close();
            own.close();
        });
    }

    /**
     * A thread of this hub's that calls the listeners subscribed through it, up to
     * {@code capacity} messages behind; see {@link Dispatcher}. Closed with the hub.
     */
    public Dispatcher dispatcher(String name, int capacity) {
        requireOpen();
        return register(new Dispatcher(this, Objects.requireNonNull(name, "name"), capacity));
    }

    ChannelRegistry.Registration register(String channel, Dispatcher dispatcher, HubListener listener) {
        requireOpen();
        Names.checkChannel(channel);
        ChannelRegistry.Registration r = new ChannelRegistry.Registration(dispatcher, listener);
        registry.add(channel, r);
        return r;
    }

    void unregister(String channel, ChannelRegistry.Registration registration) {
        registry.remove(channel, registration);
    }

    /**
     * Messages of {@code channel} with {@code seq > after}, oldest first, at most {@code limit}
     * (capped at {@value HubOptions#MAX_HISTORY_LIMIT}). For {@value Names#ALL}, where sequence
     * numbers do not apply, {@code after} must be 0 and the newest messages of all channels
     * are returned.
     *
     * @throws ProtocolException if the channel is invalid or a number is negative
     */
    public HistoryPage history(String channel, long after, int limit) throws ProtocolException {
        Names.requireChannel(channel);
        if (after < 0) {
            throw new ProtocolException("after must be 0 or more, not " + after);
        }
        int capped = cap(limit);
        if (Names.ALL.equals(channel)) {
            if (after != 0) {
                throw new ProtocolException("history of ALL takes \"last\", not \"after\": "
                        + "sequence numbers are per channel");
            }
            return store.latestOfAll(capped);
        }
        return store.after(channel, after, capped);
    }

    /**
     * The newest {@code count} messages of {@code channel}, or of all channels for
     * {@value Names#ALL}, oldest first ({@code count} capped at {@value HubOptions#MAX_HISTORY_LIMIT}).
     */
    public HistoryPage recent(String channel, int count) throws ProtocolException {
        Names.requireChannel(channel);
        int capped = cap(count);
        return Names.ALL.equals(channel)
                ? store.latestOfAll(capped)
                : store.latest(channel, capped);
    }

    /**
     * An in-process client of this hub posting as {@code user}. Its listeners run on one
     * delivery thread of its own ({@code parley-delivery-<user>}).
     *
     * @throws IllegalArgumentException if {@code user} breaks the naming rule
     */
    public ChatClient connect(String user) {
        requireOpen();
        Names.checkUser(user);
        return register(new LocalChatClient(this, user));
    }

    <T extends AutoCloseable> T register(T owned) {
        clients.add(owned);
        return owned;
    }

    void forget(AutoCloseable client) {
        clients.remove(client);
    }

    /** Whether {@link #close} has begun. */
    boolean isClosed() {
        return closed.get();
    }

    /** Closes the in-process clients and the dispatchers, drops every listener and closes the store. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Every dispatcher stops first and all are waited for against one deadline, so a few
        // blocked listeners cost the close two seconds, not two each.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        List<AutoCloseable> owned = List.copyOf(clients);
        for (AutoCloseable c : owned) {
            if (c instanceof Dispatcher d) {
                d.stop();
            }
        }
        for (AutoCloseable c : owned) {
            if (c instanceof Dispatcher d) {
                d.closeUntil(deadline);
            }
        }
        for (AutoCloseable client : owned) {
            if (client instanceof Dispatcher) {
                continue;
            }
            try {
                client.close();
            } catch (Exception e) {
                log.warn("closing a client failed", e);
            }
        }
        registry.clear();
        store.close();
    }

    private static int cap(int limit) throws ProtocolException {
        if (limit < 0) {
            throw new ProtocolException("limit must be 0 or more, not " + limit);
        }
        return Math.min(limit, HubOptions.MAX_HISTORY_LIMIT);
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("hub is closed");
        }
    }
}
