package org.parley.zmq;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.internal.ChatTime;
import org.parley.core.HistoryPage;
import org.parley.core.HubListener;
import org.parley.core.HubOptions;
import org.parley.core.internal.HubAccess;
import org.parley.core.internal.Names;
import org.parley.core.ProtocolException;
import org.parley.core.Subscription;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PeerText;
import org.parley.core.internal.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.parley.core.internal.Users;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import zmq.Msg;
import zmq.io.Metadata;
import org.zeromq.ZMQException;

/**
 * The ZeroMQ chat server: a ROUTER socket for posts and history requests and a PUB socket
 * that publishes every recorded message, as in docs/PROTOCOL.md.
 *
 * <pre>{@code
 * try (ZmqChatServer server = ZmqChatServer.start(ZmqServerOptions.builder()
 *         .host("127.0.0.1").postPort(5555).pubPort(5556).build())) {
 *     // serving until closed
 * }
 * }</pre>
 *
 * <p>Peers speak ZMTP 3 (libzmq 4, JeroMQ); what each may send is bounded by the options
 * (see {@link ZmqServerOptions.Builder#maxIncomingBytes}), and the PUB socket applies only
 * the subscriptions a Parley client sends.
 *
 * <p>Threads: one, {@code parley-zmq-server-<postPort>}, owns both sockets, answers requests
 * in order and publishes; JeroMQ adds its own I/O and reaper threads, and the hub a dispatcher
 * ({@code parley-hub-ALL}) through which the posts of others (a bridge's, another server's)
 * come to be published. The server thread publishes its own post before its ok reply (both
 * sent at the end of its pass over the requests waiting), after any earlier
 * message of that channel not yet published (read from the hub's history); what the
 * dispatcher brings later is published unless it already was, so PUB keeps each channel in
 * {@code seq} order (a channel's first post here too: see {@code post}) and never loses or
 * repeats a message.
 *
 * <p>Thread safety: {@link #close()} and the getters may be called from any thread.
 */
public final class ZmqChatServer implements AutoCloseable {
    /** Replies queued for one peer before ZeroMQ drops them: a pipelining client's window. */
    static final int REPLY_HIGH_WATER_MARK = ZmqClientOptions.DEFAULT_MAX_PENDING_REQUESTS;
    private static final Logger log = LoggerFactory.getLogger(ZmqChatServer.class);
    private static final int POLL_MILLIS = 500;
    /** Publications a pass holds back at most before it sends them ({@link #sendHeld}). */
    private static final int MAX_HELD_PUBLICATIONS = 1024;
    /** Where a context's CurveZMQ handshakes ask whom to let in (ZeroMQ RFC 27, ZAP). */
    private static final String ZAP_ENDPOINT = "inproc://zeromq.zap.01";
    /**
     * How long closing the sockets may take to hand what is queued (publications, replies) to
     * the network: well within the 2 s a server has to stop, after the thread's last pass.
     */
    static final int CLOSE_LINGER_MILLIS = 1000;
    /** Channels whose newest published seq is remembered, the most recently published to. */
    static final int PUBLISHED_CHANNELS = 16_384;
    /** Messages published ahead of the dispatcher that are remembered until it brings them. */
    static final int PUBLISHED_AHEAD = 65_536;
    /** How long a stopping server waits for posts its store is still storing. */
    static final long STORE_WAIT_MILLIS = 500;
    /** The reply to a request whose handling failed for a reason of ours: the details go to the log only. */
    static final String INTERNAL_ERROR = "internal error";

    private final ZmqServerOptions options;
    private final ChatHub hub;
    private final boolean ownsHub;
    private final ZContext context;
    private final int maxFrameBytes;
    private final BlockingQueue<Brought> foreignPosts;
    private final Thread thread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong dropped = new AtomicLong();
    private final LogThrottle bugLog = new LogThrottle(10, TimeUnit.SECONDS);
    private final LogThrottle zapLog = new LogThrottle(10, TimeUnit.SECONDS);
    /** Handshakes the ZAP handler refused: a key that is no user's, or not CurveZMQ. */
    final AtomicLong refusedHandshakes = new AtomicLong();
    /** What bounds the frames peers send to each socket. */
    private final FrameGuard postGuard;
    private final FrameGuard pubGuard;
    /** Completes once the sockets are bound (with the ports) or failed to bind. */
    private final CompletableFuture<int[]> bound = new CompletableFuture<>();
    // Server thread only, made there: a JeroMQ socket stays with the thread that made it.
    private ZMQ.Socket router;
    private ZMQ.Socket pub; // null with publish(false)
    /** Answers the ZAP requests of CurveZMQ handshakes; null unless the hub authenticates. */
    private ZMQ.Socket zap;
    /** Applies the subscriptions the hub's read rules allow; null unless the hub authenticates. */
    private ReadRules readRules;
    /** The authenticated user of the request being answered; null unless the hub authenticates. */
    private String requester;
    /**
     * Seals the User-Ids the ZAP handler gives connections, so that only the server's own can
     * be read back: JeroMQ 0.6.0 lets the properties a client sends in its handshake replace
     * the ZAP handler's, User-Id included. Server thread only.
     */
    private final UserSeal seal = new UserSeal();
    // The topic frame of the last channel published to (server thread only): most runs of
    // posts are to one channel, and the frame need not be made again for each.
    private String lastChannel;
    private byte[] lastTopic;
    /** The pass's publications held back, topic and body in turn ({@link #sendHeld}). */
    private final List<byte[]> outgoing = new ArrayList<>();
    /** The pass's replies held back, each with its envelope. */
    private final List<Answer> replies = new ArrayList<>();
    private volatile Waker waker; // wake() from any thread once bound
    private SocketPoll poller; // server thread only
    private int postPort;
    private int pubPort;
    // Closed by the server thread once it has answered its last request, so that every post
    // it acknowledged was handed to PUB; by close() too, in case that thread never ran.
    private volatile Subscription hubSubscription;
    private volatile boolean stopping;
    /**
     * The newest seq published on PUB, per channel, by either path; the channels least recently
     * published to are forgotten past {@value #PUBLISHED_CHANNELS}. Server thread only. An own
     * post above its channel's newest + 1 is published after the ones between, read from the
     * hub's history (see {@link #publishOwn}).
     */
    private final Map<String, Long> lastPublished = bounded(PUBLISHED_CHANNELS, true);
    /**
     * Messages on PUB already that may come again by the other path: published ahead of a
     * later message (from history) until the dispatcher brings them or their reply comes, and
     * messages the dispatcher brought without an origin (a store that forgot it: they may be
     * this server's own posts, whose replies are still to come). The oldest are forgotten past
     * {@value #PUBLISHED_AHEAD}. Server thread only.
     */
    private final Set<Published> publishedAhead = Collections.newSetFromMap(bounded(PUBLISHED_AHEAD, false));

    /**
     * Per channel, the newest seq of this thread's own posts published with their reply, so
     * that a post sent again (the hub gives it the first post's seq) is not published again;
     * the channels least recently answered in are forgotten past {@value #PUBLISHED_CHANNELS}.
     * An own post below it that was not sent again was published ahead of a later one (see
     * {@link #publishOwn}). One number a channel, not one entry a post: a set of the 65,536
     * newest answered posts cost a fifth of Parley ZeroMQ's throughput in garbage collection
     * (docs/BENCHMARKS.md). Server thread only.
     */
    private final Map<String, Long> answeredUpTo = bounded(PUBLISHED_CHANNELS, true);

    /** A map that forgets its eldest entry (by insertion, or by access) past {@code max}. */
    private static <K, V> Map<K, V> bounded(int max, boolean byAccess) {
        return new LinkedHashMap<>(16, 0.75f, byAccess) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    /** One message, by its place: a channel and a seq. */
    private record Published(String channel, long seq) {
    }

    /**
     * The server's listener on the hub, and the origin of its own posts: the hub hands it the
     * posts of others only (see {@link HubListener}), as this thread publishes its own itself.
     */
    private final HubListener recorded = this::onRecorded;

    /** A message the dispatcher brought; {@code unnamed}: its store gave no origin (it may be an own post). */
    private record Brought(ChatMessage message, boolean unnamed) {
    }
    /**
     * Per peer (its identity frame), the answers not sent yet, in the order its requests came:
     * a post whose store has not stored it yet, and every answer to that peer behind it. Other
     * peers are answered meanwhile. Empty while the store stores at once, as the in-memory one
     * does. Server thread only.
     */
    private final Map<ByteBuffer, ArrayDeque<Answer>> unanswered = new HashMap<>();
    /**
     * Bytes of the answers held in {@link #unanswered} (a post still being stored counts
     * {@value #HELD_POST_BYTES}). Past {@link #MAX_HELD_ANSWER_BYTES} (by default) the server reads no more
     * requests until its store catches up: a peer that pipelines history requests behind a post
     * waiting for its commit cannot make it hold replies without end. Server thread only.
     */
    private long heldAnswerBytes;
    /** Whether the server reads no requests now, past its bound on held answers (for tests). */
    volatile boolean holdingBack;
    /** What a held post's answer is counted as, before its reply exists. */
    static final int HELD_POST_BYTES = 256;
    /** The most bytes of answers held for a store that takes its time: 64 MiB. */
    static final long MAX_HELD_ANSWER_BYTES = 64L * 1024 * 1024;
    /** The post the request being answered left to its store, if any. Server thread only. */
    private PendingPost pendingPost;

    /** An answer to send: {@code reply}, or the reply to {@code post} once it is stored. */
    private record Answer(List<byte[]> envelope, byte[] reply, PendingPost post) {
    }

    /** A post its store has yet to store, and the {@code ref} its reply echoes. */
    private record PendingPost(CompletableFuture<ChatMessage> stored, String ref) {
    }
    /**
     * Set, under {@link #publishGate}, just before the server thread's last drain of
     * {@link #foreignPosts}: a post of another thread offered before it is published, one
     * that comes after it is counted as dropped; none is left in the queue unseen.
     */
    private boolean publishClosed; // guarded by publishGate
    private final Object publishGate = new Object();

    private ZmqChatServer(ZmqServerOptions options) throws IOException {
        this.options = options;
        this.ownsHub = options.hub() == null;
        this.hub = ownsHub ? ChatHub.create() : options.hub();
        this.maxFrameBytes = HubAccess.limits(hub).maxFrameBytes();
        this.foreignPosts = new ArrayBlockingQueue<>(options.publishQueueCapacity());
        // Under CurveZMQ the guard sees the encrypted frames only, and never hands them their
        // metadata, by which it learns that a frame is complete: no budget can be kept then.
        this.postGuard = FrameGuard.forMessages("post socket", options.maxIncomingBytes(),
                options.maxIncomingFrames(), options.curveSecretKey() != null ? FrameGuard.NO_BUDGET
                        : options.maxIncomingBufferedBytes());
        this.pubGuard = FrameGuard.forSubscriptions("PUB socket", options.maxSubscriptionsPerPeer(),
                options.maxSubscriptionBytes());
        this.context = new ZContext(1);
        ContextErrors.install(context, "server " + options.host() + ":" + options.postPort());
        this.thread = new Thread(this::run, "parley-zmq-server-" + options.postPort());
        // Before the thread answers a post: every post it acknowledges is then published.
        // Until the thread is bound, onRecorded only queues (waker is null).
        this.hubSubscription = options.publish() ? hub.subscribe(Names.ALL, recorded) : null;
        thread.start();
        int[] ports;
        try {
            ports = bound.get();
        } catch (ExecutionException e) {
            closeHubSubscription();
            if (ownsHub) {
                hub.close();
            }
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
            closeHubSubscription();
            throw new IOException("interrupted while starting", e);
        }
        this.postPort = ports[0];
        this.pubPort = ports[1];
    }

    /**
     * Binds the sockets and starts serving.
     *
     * @throws IOException if an address cannot be bound (in use, not local); the message
     *                     names the address
     */
    public static ZmqChatServer start(ZmqServerOptions options) throws IOException {
        return new ZmqChatServer(options);
    }

    /** The hub this server posts to and delivers from. */
    public ChatHub hub() {
        return hub;
    }

    /** The post (ROUTER) port actually bound. */
    public int postPort() {
        return postPort;
    }

    /** The PUB port actually bound, 0 if this server does not publish. */
    public int pubPort() {
        return pubPort;
    }

    ZmqServerOptions options() {
        return options;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // The server thread takes no request after this, publishes what is queued, and closes
        // the sockets with a linger that lets them send it. The hub subscription stays until
        // then: a post acknowledged before is a post published.
        stopping = true;
        Waker w = waker;
        if (w != null) {
            w.wake();
        }
        if (!Threads.join(thread, ZmqChatClient.CLOSE_WAIT_MILLIS)) {
            // Never interrupt a ZeroMQ thread: it would close its sockets' channels under it.
            log.warn("{} did not stop within {} ms", thread.getName(), ZmqChatClient.CLOSE_WAIT_MILLIS);
        }
        closeHubSubscription();
        if (ownsHub) {
            hub.close();
        }
    }

    private void closeHubSubscription() {
        Subscription s = hubSubscription;
        if (s != null) {
            s.close(); // idempotent
        }
    }

    /** The guard of the post socket's frames. */
    FrameGuard postGuard() {
        return postGuard;
    }

    /** The guard of the PUB socket's frames: the subscriptions. */
    FrameGuard pubGuard() {
        return pubGuard;
    }

    @Override
    public String toString() {
        return "ZmqChatServer[" + options.host() + ":" + postPort
                + (pub == null ? "" : ", pub " + pubPort) + "]";
    }

    /** Whether {@code host} is this machine's (or every interface, or not one that resolves: then say "in use"). */
    private static boolean isOwnAddress(String host) {
        if ("*".equals(host)) {
            return true;
        }
        try {
            java.net.InetAddress a = java.net.InetAddress.getByName(host);
            return a.isAnyLocalAddress() || a.isLoopbackAddress() || java.net.NetworkInterface.getByInetAddress(a) != null;
        } catch (IOException e) {
            return true;
        }
    }

    private static int bind(ZMQ.Socket socket, String host, int port) throws IOException {
        String endpoint = "tcp://" + host + ":" + (port == 0 ? "*" : Integer.toString(port));
        try {
            if (!socket.bind(endpoint)) {
                throw new IOException("cannot bind " + host + ":" + port);
            }
        } catch (ZMQException e) {
            if (e.getErrorCode() == ZMQ.Error.EADDRINUSE.getCode()) {
                // JeroMQ reports every failed bind so, an address this machine does not have too.
                throw new IOException(isOwnAddress(host) ? "address " + host + ":" + port + " is already in use"
                        : "cannot bind " + host + ":" + port + ": not an address of this machine", e);
            }
            throw new IOException("cannot bind " + host + ":" + port + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot bind " + host + ":" + port + ": " + e.getMessage(), e);
        }
        String bound = socket.getLastEndpoint();
        return Integer.parseInt(bound.substring(bound.lastIndexOf(':') + 1));
    }

    // ---- hub side: any thread

    /**
     * On the hub's dispatcher: every message of the hub but this server's own posts, in seq
     * order per channel. Never touch the socket here; queue and wake the owner, which publishes
     * them in that order (skipping those it published itself, see {@link #publishOwn}).
     */
    private void onRecorded(ChatMessage message, Object origin) {
        synchronized (publishGate) {
            if (publishClosed) {
                dropped.incrementAndGet(); // after the last drain: the server is closing
                return;
            }
            if (!foreignPosts.offer(new Brought(message, origin == null))) {
                // PUB delivery is at most once; subscribers fetch what they miss from the log.
                if (dropped.incrementAndGet() % 1000 == 1) {
                    log.warn("publish queue full ({} messages): {} publications dropped so far",
                            options.publishQueueCapacity(), dropped.get());
                }
                return;
            }
        }
        // Read after the offer: null means the thread is not bound yet, and drains the queue
        // once it is (see run).
        Waker w = waker;
        if (w != null) {
            w.wake();
        }
    }

    /** Publications of other threads' posts dropped: the queue was full, or the server closing. */
    long droppedPublications() {
        return dropped.get();
    }

    /** Server thread: no post of another thread is queued after this; the ones queued are published next. */
    private void closePublishing() {
        synchronized (publishGate) {
            publishClosed = true;
        }
    }

    // ---- server thread only below

    /** Server thread: makes and binds the sockets, reporting the outcome to the constructor. */
    private boolean open() {
        try {
            // No IoTicker: the lost wake-up it works around strands a connection this context
            // makes (see IoTicker); a server only binds, and each accepted connection comes on a
            // channel of its own.
            if (HubAccess.authenticates(hub)) {
                // Bound before the sockets that consult it: a handshake with no handler to ask
                // would be let through.
                zap = context.createSocket(SocketType.REP);
                zap.setLinger(0);
                zap.bind(ZAP_ENDPOINT);
            }
            router = context.createSocket(SocketType.ROUTER);
            router.setLinger(CLOSE_LINGER_MILLIS);
            router.setRcvHWM(options.receiveHighWaterMark());
            // Replies waiting for one peer; past this ZeroMQ drops them, so it matches the
            // most requests Parley's client keeps in flight.
            router.setSndHWM(REPLY_HIGH_WATER_MARK);
            postGuard.install(router); // before bind: each connection copies the options
            curveServer(router);
            int post = bind(router, options.host(), options.postPort());
            int published = 0;
            if (options.publish()) {
                // With read rules, XPUB, which lets the server decide on each subscription.
                pub = context.createSocket(zap != null ? SocketType.XPUB : SocketType.PUB);
                if (zap != null) {
                    readRules = ReadRules.install(pub, hub, seal::open);
                }
                pub.setLinger(CLOSE_LINGER_MILLIS);
                pub.setSndHWM(options.sendHighWaterMark());
                pubGuard.install(pub);
                curveServer(pub);
                published = bind(pub, options.host(), options.pubPort());
            }
            waker = new Waker();
            poller = new SocketPoll(waker, router, zap, readRules != null ? pub : null);
            thread.setName("parley-zmq-server-" + post);
            bound.complete(new int[] {post, published});
            return true;
        } catch (IOException | RuntimeException e) {
            if (waker != null) {
                waker.close();
            }
            context.close();
            bound.completeExceptionally(e);
            return false;
        }
    }

    private void run() {
        if (!open()) {
            return;
        }
        try {
            publishQueued(); // posts of other threads recorded before the waker was made
            while (!stopping) {
                sendHeld(); // what the last pass held back, before this one waits
                // Non-blocking reads follow whether or not a socket said it has input: a bounded
                // batch may have left some, which no descriptor signals again.
                boolean woken = waker.drain(poller.await(POLL_MILLIS));
                answerHandshakes();
                if (readRules != null) {
                    readRules.apply();
                }
                if (woken) {
                    publishQueued(); // others' posts come with a wake: no queue is looked at on every pass
                }
                sendStored();
                holdingBack = heldAnswerBytes > options.maxHeldAnswerBytes();
                if (holdingBack) {
                    sendHeld();
                    awaitOldestStored(); // read nothing more until the store catches up
                    continue;
                }
                // A bounded batch, so queued publications are not starved by a busy peer.
                for (int i = 0; i < 256 && !stopping && heldAnswerBytes <= options.maxHeldAnswerBytes(); i++) {
                    List<byte[]> frames = receiveRequest();
                    if (frames == null) {
                        break;
                    }
                    if (frames.isEmpty()) {
                        continue; // cut short with its peer's connection
                    }
                    try {
                        handle(frames);
                    } catch (ZMQException e) {
                        throw e; // the socket's own failure: the server cannot go on
                    } catch (RuntimeException e) {
                        bug("answering a request", e); // answer() has its own boundary: this is the envelope
                    }
                }
            }
            // What the dispatcher still holds comes through as its subscription ends; then every
            // post acknowledged, or about to be, is published before the sockets close.
            sendHeld();
            closeHubSubscription();
            closePublishing();
            publishQueued();
            awaitStored();
            sendHeld();
        } catch (IOException | RuntimeException e) {
            // Requests and publications have boundaries of their own: this is the sockets failing.
            log.error("{} failed; the server stops", thread.getName(), e);
        } finally {
            closeHubSubscription();
            closePublishing();
            int unpublished = foreignPosts.size();
            foreignPosts.clear();
            dropped.addAndGet(unpublished); // none after a clean stop; the sockets failed otherwise
            poller.close();
            waker.close();
            context.close();
        }
    }

    /**
     * At stop: sends the answers of posts still being stored, as their store finishes, for up
     * to {@value #STORE_WAIT_MILLIS} ms; a post not stored by then gets no reply.
     */
    private void awaitStored() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STORE_WAIT_MILLIS);
        sendStored();
        sendHeld();
        while (!unanswered.isEmpty() && System.nanoTime() - deadline < 0) {
            try {
                // After sendStored, each waiting peer's first answer is a post being stored.
                unanswered.values().iterator().next().peek().post().stored()
                        .get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // a refusal is answered by sendStored; a timeout ends the wait below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            sendStored();
            sendHeld();
        }
        if (!unanswered.isEmpty()) {
            log.warn("{}: {} peers' requests unanswered at stop: their posts were still being stored",
                    thread.getName(), unanswered.size());
        }
    }

    /** Publishes what the hub's dispatcher handed over, in its order (see {@link #publishBrought}). */
    private void publishQueued() {
        Brought b;
        while ((b = foreignPosts.poll()) != null) {
            try {
                publishBrought(b.message(), b.unnamed());
            } catch (ZMQException e) {
                throw e; // the socket's own failure: the server cannot go on
            } catch (RuntimeException e) {
                bug("publishing a message", e);
            }
        }
    }

    /**
     * Publishes a post of another's that the hub's dispatcher brought, unless it is on PUB
     * already (published ahead, or an own post answered: its store forgot the origin), after
     * the messages of its channel before it not published yet (see {@link #publishEarlier}). One
     * without an origin is remembered: it may be an own post, whose reply must not publish it again.
     */
    private void publishBrought(ChatMessage m, boolean unnamed) {
        Published key = new Published(m.channel(), m.seq());
        if (publishedAhead.remove(key)) {
            return;
        }
        publishEarlier(m);
        publish(m);
        lastPublished.merge(m.channel(), m.seq(), Math::max);
        if (unnamed) {
            publishedAhead.add(key);
        }
    }

    /**
     * Publishes this thread's own post before its ok reply (the hub's dispatcher never brings
     * it: see {@link #recorded}). Before it, the messages of its channel above the newest one
     * published, read from the hub's history, so PUB keeps the channel in seq order: others'
     * posts the dispatcher has not brought yet, and own posts whose replies are still to come
     * (a store may finish them out of order); each is remembered, and skipped when the
     * dispatcher brings it or its reply comes. A channel's newest starts, at its first post
     * here, as the store's newest seq before that post (see {@code post}); a channel forgotten
     * since has none: its post goes alone, and earlier ones the dispatcher brings later follow
     * it, each once. A post answered before (sent again by a client that missed the reply: the
     * hub gives the first post's message) is on PUB already: its seq is at or below its
     * channel's newest answered (see {@link #answeredUpTo}).
     */
    private void publishOwn(ChatMessage m) {
        Published key = new Published(m.channel(), m.seq());
        if (publishedAhead.remove(key)) {
            answeredUpTo.merge(m.channel(), m.seq(), Math::max);
            return; // on PUB already, ahead of a later post
        }
        Long answered = answeredUpTo.get(m.channel());
        if (answered != null && m.seq() <= answered) {
            return; // sent again after its reply: on PUB already
        }
        publishEarlier(m);
        publish(m);
        lastPublished.merge(m.channel(), m.seq(), Math::max);
        answeredUpTo.put(m.channel(), m.seq());
    }

    /**
     * Publishes, ahead of {@code m}, the messages of its channel after the newest published
     * and before it, read from the hub's history: others' posts the dispatcher has not brought
     * yet, and own posts whose store has not finished (each is remembered, and skipped when it
     * comes by the other path). A history that cannot be read leaves them to the subscribers'
     * repair: {@code m} goes all the same.
     */
    private void publishEarlier(ChatMessage m) {
        Long last = lastPublished.get(m.channel());
        if (last != null && last < m.seq() - 1) {
            int missing = (int) Math.min(m.seq() - 1 - last, HubOptions.MAX_HISTORY_LIMIT);
            sendHeld(); // before a read that may wait on the store
            HistoryPage earlier;
            try {
                earlier = hub.history(m.channel(), m.seq() - 1 - missing, missing);
            } catch (ProtocolException e) {
                throw new IllegalStateException("a stored message's channel refused: " + m.channel(), e);
            } catch (java.io.UncheckedIOException e) {
                log.warn("{}: cannot read the history of {} to publish what came before #{}: {}", thread.getName(),
                        m.channel(), m.seq(), PeerText.excerpt(e.getMessage()));
                return;
            }
            for (ChatMessage e : earlier.messages()) {
                if (e.seq() < m.seq()) {
                    publishAhead(e);
                }
            }
        }
    }

    private void publishAhead(ChatMessage m) {
        publish(m);
        lastPublished.merge(m.channel(), m.seq(), Math::max);
        publishedAhead.add(new Published(m.channel(), m.seq()));
    }

    private void publish(ChatMessage message) {
        if (!message.channel().equals(lastChannel)) {
            lastTopic = Wire.topic(message.channel());
            lastChannel = message.channel();
        }
        if (outgoing.size() >= 2 * MAX_HELD_PUBLICATIONS) {
            sendHeld();
        }
        outgoing.add(lastTopic); // JeroMQ only reads a frame's array, never writes it: shareable
        outgoing.add(Wire.encodeMessage(message));
    }

    /**
     * Sends what was held back: the publications, then the replies (an ok reply still follows
     * its post's hand-over to PUB). A pass of the loop holds its sends so that they go one after
     * the other: a subscriber's pipe that JeroMQ's I/O thread has emptied costs a command and a
     * wake-up of that thread at the next publication, and sends close together share them (the
     * server's CPU per delivery fell by about a sixth; docs/BENCHMARKS.md). What is held goes out
     * before the thread waits: for a socket, for the store's commit ({@link #awaitOldestStored}),
     * or for a read of the store (history, a channel's newest seq), so that nothing waits for
     * another request's store. A send that fails drops the rest, as a failed send always did:
     * nothing is sent twice.
     */
    private void sendHeld() {
        try {
            for (int i = 0; i < outgoing.size(); i += 2) {
                pub.sendMore(outgoing.get(i));
                pub.send(outgoing.get(i + 1), 0);
            }
            for (Answer a : replies) {
                for (byte[] frame : a.envelope()) {
                    router.sendMore(frame);
                }
                router.send(a.reply(), 0);
            }
        } finally {
            outgoing.clear();
            replies.clear();
        }
    }

    /**
     * All frames of the next request, or {@code null} if none is waiting: the peer's identity
     * and at most {@link ZmqServerOptions#maxIncomingFrames} more, which the post socket's
     * {@link FrameGuard} ensures; none for a request whose connection went while it was read.
     */
    private List<byte[]> receiveRequest() {
        Msg first = router.recvMsg(ZMQ.DONTWAIT);
        if (first == null) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>(4);
        frames.add(first.data());
        Msg last = first;
        while (router.hasReceiveMore()) {
            // Never waits: a request is whole in its pipe, but the pipe of a peer gone for longer
            // than the linger goes with what is unread, and waiting for the rest of a request
            // would hold this thread until another peer's came (see ClientLoop#drain).
            last = router.recvMsg(ZMQ.DONTWAIT);
            if (last == null) {
                return List.of(); // its peer is gone: nobody to answer
            }
            if (frames.size() <= options.maxIncomingFrames()) {
                frames.add(last.data());
            }
        }
        // Each frame the peer sent carries its connection's metadata, which the ZAP handler's
        // User-Id is part of; the first (the peer's identity) is ROUTER's own.
        if (zap != null) {
            Metadata metadata = last.getMetadata();
            requester = metadata == null ? null : seal.open(metadata.get(Metadata.USER_ID));
        }
        return frames;
    }

    /**
     * Answers the ZAP requests waiting (ZeroMQ RFC 27): a CurveZMQ client is let in if its
     * public key is a user's in the hub's users file, with that user as its User-Id; any
     * other is refused, and its handshake fails.
     */
    private void answerHandshakes() {
        if (zap == null) {
            return;
        }
        List<byte[]> request;
        while ((request = receiveAll(zap)) != null) {
            // version, request id, domain, address, identity, mechanism, credentials
            String user = null;
            if (request.size() >= 7 && "1.0".equals(text(request.get(0))) && "CURVE".equals(text(request.get(5)))
                    && request.get(6).length == 32) {
                user = HubAccess.authenticate(hub, Users.CURVE, ZMQ.Curve.z85Encode(request.get(6)));
            }
            if (user == null) {
                refusedHandshakes.incrementAndGet();
                long held = zapLog.admit();
                if (held >= 0) {
                    log.warn("{}: refused a connection from {}: {} ({} more not logged)", thread.getName(),
                            request.size() > 3 ? PeerText.excerpt(text(request.get(3))) : "?",
                            request.size() > 5 && "CURVE".equals(text(request.get(5)))
                                    ? "its key is no user's" : "not a CurveZMQ handshake", held);
                }
            }
            zap.sendMore("1.0");
            zap.sendMore(request.size() > 1 ? request.get(1) : new byte[0]);
            zap.sendMore(user != null ? "200" : "400");
            zap.sendMore(user != null ? "OK" : "no user has this key");
            zap.sendMore(user != null ? seal.close(user) : "");
            zap.send(new byte[0], 0);
        }
    }

    private static List<byte[]> receiveAll(ZMQ.Socket socket) {
        byte[] first = socket.recv(ZMQ.DONTWAIT);
        if (first == null) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>(8);
        frames.add(first);
        while (socket.hasReceiveMore() && frames.size() < 16) {
            frames.add(socket.recv(0));
        }
        while (socket.hasReceiveMore()) {
            socket.recv(0); // more than a ZAP request has: dropped
        }
        return frames;
    }

    private static String text(byte[] frame) {
        return new String(frame, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Makes {@code socket} a CurveZMQ server under the options' key, if they give one; before it binds. */
    private void curveServer(ZMQ.Socket socket) {
        if (options.curveSecretKey() != null) {
            socket.setCurveServer(true);
            socket.setCurveSecretKey(CurveKeys.decode(options.curveSecretKey()));
        }
    }

    /**
     * On an authenticating hub: checks that the request's connection may read {@code channel}.
     *
     * @throws ProtocolException naming the user and the channel if not
     */
    private void requireReadable(String channel) throws ProtocolException {
        if (zap != null && !HubAccess.mayRead(hub, requester, channel)) {
            throw new ProtocolException("user " + requester + " may not read " + channel);
        }
    }

    /**
     * On an authenticating hub: checks that {@code user}, as a request names it, is the user its
     * connection's key belongs to.
     */
    private void requireRequester(String user) throws ProtocolException {
        if (zap != null && user != null && !user.equals(requester)) {
            throw new ProtocolException("user " + Names.quote(user) + " is not this connection's user: its key is "
                    + (requester == null ? "no user's" : requester + "'s"));
        }
    }

    private void handle(List<byte[]> frames) {
        // frames: peer identity, optional extra addresses, the empty delimiter, the body.
        int delimiter = -1;
        for (int i = 1; i < frames.size(); i++) {
            if (frames.get(i).length == 0) {
                delimiter = i;
                break;
            }
        }
        byte[] reply;
        int envelope;
        if (delimiter < 0) {
            envelope = 1;
            reply = Wire.errorReply(Wire.NO_DELIMITER, frames.size() == 2 ? refOf(frames.get(1)) : null);
        } else if (frames.size() - delimiter - 1 != 1) {
            envelope = delimiter + 1;
            int parts = frames.size() - delimiter - 1;
            // A message that reached the frame bound may have been longer: the guard ended it there.
            boolean atBound = frames.size() - 1 >= options.maxIncomingFrames();
            reply = Wire.errorReply("request must be one frame after the empty delimiter, got "
                    + (atBound ? "at least " : "") + parts, null);
        } else {
            envelope = delimiter + 1;
            pendingPost = null;
            reply = answer(frames.get(delimiter + 1));
        }
        List<byte[]> head = frames.subList(0, envelope);
        if (delimiter < 0) {
            head = new ArrayList<>(head);
            head.add(new byte[0]);
        }
        PendingPost post = reply == null ? pendingPost : null;
        if (post == null && unanswered.isEmpty()) {
            send(head, reply); // the usual case: answered at once
            return;
        }
        ByteBuffer peer = ByteBuffer.wrap(frames.get(0));
        if (post == null && !unanswered.containsKey(peer)) {
            send(head, reply); // nothing of this peer's is waiting for the store
            return;
        }
        // Behind a post its store has not stored yet: each peer's replies keep its requests' order.
        unanswered.computeIfAbsent(peer, p -> new ArrayDeque<>()).add(new Answer(List.copyOf(head), reply, post));
        heldAnswerBytes += held(reply);
        if (post != null) {
            post.stored().whenComplete((m, e) -> {
                Waker w = waker;
                if (w != null) {
                    w.wake();
                }
            });
        }
    }

    /**
     * The {@code ref} of a request body that came without its delimiter, or null: a client whose
     * connection ended between the two frames of a request can have its body alone reach the
     * server on the next connection (JeroMQ 0.6.0's DEALER sends the rest of a message to
     * another connection), and the error it gets must name that request.
     */
    private String refOf(byte[] body) {
        if (body.length > maxFrameBytes) {
            return null;
        }
        try {
            return Wire.read(body, "request", Wire.POST).text("ref");
        } catch (ProtocolException | RuntimeException e) {
            return null; // not a request: the error names none
        }
    }

    /** Holds back a reply until the pass's end ({@link #sendHeld}). */
    private void send(List<byte[]> envelope, byte[] reply) {
        // A copy, not a view of the request's frames: its body need not stay.
        replies.add(new Answer(List.copyOf(envelope), reply, null));
    }

    /**
     * Answers the posts that are stored, in order, publishing each post first (an ok reply
     * follows the hand-over to PUB; both held until {@link #sendHeld}); stops at the first still
     * being stored.
     */
    private void sendStored() {
        if (unanswered.isEmpty()) {
            return;
        }
        for (Iterator<ArrayDeque<Answer>> peers = unanswered.values().iterator(); peers.hasNext(); ) {
            ArrayDeque<Answer> waiting = peers.next();
            Answer a;
            while ((a = waiting.peek()) != null && (a.post() == null || a.post().stored().isDone())) {
                waiting.poll();
                heldAnswerBytes -= held(a.reply());
                send(a.envelope(), a.post() == null ? a.reply() : replyToStored(a.post()));
            }
            if (waiting.isEmpty()) {
                peers.remove();
            }
        }
    }

    private static long held(byte[] reply) {
        return reply == null ? HELD_POST_BYTES : reply.length;
    }

    /** Waits a little for the oldest post being stored (its commit, say), then sends what is stored. */
    private void awaitOldestStored() {
        for (ArrayDeque<Answer> waiting : unanswered.values()) {
            Answer first = waiting.peek();
            if (first != null && first.post() != null) {
                try {
                    first.post().stored().get(50, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException | ExecutionException e) {
                    // not stored yet, or refused: sendStored answers what is done
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopping = true;
                }
                break;
            }
        }
        sendStored();
    }

    /** The reply to a post its store has finished with: published and ok, or the store's refusal. */
    private byte[] replyToStored(PendingPost post) {
        ChatMessage m;
        try {
            m = post.stored().join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof ProtocolException p) {
                return Wire.errorReply(p.getMessage(), post.ref());
            }
            bug("storing a post", new IllegalStateException(cause));
            return Wire.errorReply(INTERNAL_ERROR, post.ref());
        }
        if (pub != null) {
            publishOwn(m);
        }
        return Wire.postReply(m, post.ref(), hub.epoch());
    }

    /**
     * The reply to one request body: always exactly one. Whatever handling it throws ends
     * here: a bug gets an {@value #INTERNAL_ERROR} reply and a log line, and the server goes on.
     */
    private byte[] answer(byte[] body) {
        if (body.length > maxFrameBytes) {
            return Wire.errorReply("request of " + body.length + " bytes exceeds the limit of "
                    + maxFrameBytes, null);
        }
        String ref = null;
        try {
            Wire.Fields request = Wire.read(body, "request", Wire.POST);
            ref = request.string("ref");
            String type = request.string("type");
            if (type == null || Wire.TYPE_POST.equals(type)) {
                String user = request.required("user");
                requireRequester(user);
                return post(user, request.string("channel"), request.required("text"),
                        request.string("time"), request.string("id"), ref);
            }
            sendHeld(); // before a read that may wait on the store (see sendHeld)
            if (Wire.TYPE_HISTORY.equals(type)) {
                return history(request, ref);
            }
            if (Wire.TYPE_PRESENCE.equals(type)) {
                String channel = request.string("channel");
                channel = channel == null ? Names.DEFAULT_CHANNEL : channel;
                String user = request.string("user");
                requireRequester(user);
                requireReadable(channel);
                return Wire.presenceReply(channel, HubAccess.presence(hub, channel, user), ref, hub.epoch(),
                        maxFrameBytes);
            }
            if (Wire.TYPE_CHANNELS.equals(type)) {
                return channels(ref);
            }
            throw new ProtocolException("unknown type " + Names.quote(type)
                    + "; expected \"post\", \"history\", \"presence\" or \"channels\"");
        } catch (ProtocolException e) {
            return Wire.errorReply(e.getMessage(), ref);
        } catch (ZMQException e) {
            throw e; // the sockets failing, not this request: the server stops (see run)
        } catch (RuntimeException e) {
            if (e instanceof IllegalStateException && HubAccess.isClosed(hub)) {
                return Wire.errorReply(Wire.SHUTTING_DOWN, ref); // not taken: a client sends it again
            }
            bug("handling a request", e);
            return Wire.errorReply(INTERNAL_ERROR, ref);
        }
    }

    /**
     * Logs a failure that only a bug explains, at most one line per interval. The exception's
     * message is shown as an excerpt: it may quote what a peer sent.
     */
    private void bug(String what, RuntimeException e) {
        long held = bugLog.admit();
        if (held >= 0) {
            log.error("{}: a bug: {} failed with {}; the server goes on ({} more failures not logged)",
                    thread.getName(), what, e.getClass().getName(), held, redacted(e, 0));
        }
    }

    /** {@code e} with its stack trace and causes, each message an excerpt (see {@link PeerText}). */
    private static Throwable redacted(Throwable e, int depth) {
        Throwable r = new Throwable(e.getClass().getName() + ": " + PeerText.excerpt(e.getMessage()));
        r.setStackTrace(e.getStackTrace());
        Throwable cause = e.getCause();
        if (cause != null && cause != e && depth < 8) {
            r.initCause(redacted(cause, depth + 1));
        }
        return r;
    }

    /**
     * Posts, and publishes the post (after any of its channel's earlier messages still on
     * their way from the hub's dispatcher) before the ok reply is made: an ok reply follows the
     * hand-over to PUB.
     */
    private byte[] post(String user, String channel, String text, String time, String id, String ref)
            throws ProtocolException {
        Instant stamped = time == null ? null : ChatTime.parse(time);
        String in = channel == null ? Names.DEFAULT_CHANNEL : channel;
        if (pub != null && !lastPublished.containsKey(in) && Names.isValidChannel(in) && !Names.ALL.equals(in)) {
            // A channel's first post here: what the store holds before it was published before
            // (or by a server before this one); what others store from now on, before this post,
            // goes to PUB ahead of it (see publishOwn), even if its reply comes first.
            sendHeld(); // before a read that may wait on the store
            lastPublished.put(in, hub.lastSeq(in));
        }
        CompletableFuture<ChatMessage> stored = HubAccess.postAsync(hub, in, user, text, stamped, id, recorded);
        PendingPost post = new PendingPost(stored, ref);
        if (!stored.isDone()) {
            pendingPost = post; // answered once stored (see sendStored)
            return null;
        }
        return replyToStored(post);
    }

    /** The channels in use, each with its newest seq and how many are in it; as many as fit in a frame. */
    private byte[] channels(String ref) throws ProtocolException {
        List<Wire.ChannelInfo> infos = new ArrayList<>();
        int bytes = 64;
        for (String channel : HubAccess.channels(hub)) {
            if (zap != null && !HubAccess.mayRead(hub, requester, channel)) {
                continue; // a channel this user may not read is not shown to exist
            }
            // {"channel":"<name>","last":<19 digits>,"users":<10 digits>}, and a comma: a name's
            // characters are letters, digits and _ - ., at most 4 bytes each, never escaped.
            bytes += channel.length() * 4 + 64;
            if (bytes > maxFrameBytes) {
                break; // at most 1000 or so: the newest messages' channels and those someone is in
            }
            infos.add(new Wire.ChannelInfo(channel, hub.lastSeq(channel), HubAccess.presence(hub, channel, null).size()));
        }
        return Wire.channelsReply(infos, ref, hub.epoch());
    }

    private byte[] history(Wire.Fields request, String ref) throws ProtocolException {
        String channel = request.string("channel");
        if (channel == null) {
            channel = Names.DEFAULT_CHANNEL;
        }
        if (zap != null) {
            requireReadable(Names.requireChannel(channel));
        }
        boolean hasAfter = request.has("after");
        boolean hasLast = request.has("last");
        HistoryPage page;
        if (hasLast) {
            if (hasAfter || request.has("limit")) {
                throw new ProtocolException("\"last\" cannot be combined with \"after\" or \"limit\"");
            }
            long last = request.count("last", 0);
            page = hub.recent(channel, (int) Math.min(last, HubOptions.MAX_HISTORY_LIMIT));
        } else {
            long after = request.count("after", 0);
            long limit = request.count("limit", Wire.DEFAULT_HISTORY_LIMIT);
            page = hub.history(channel, after, (int) Math.min(limit, HubOptions.MAX_HISTORY_LIMIT));
        }
        return Wire.historyReply(page, ref, maxFrameBytes, hasLast || Names.ALL.equals(channel), hub.epoch());
    }

}
