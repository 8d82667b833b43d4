package org.parley.zmq;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.ChatClient;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.MessageListener;
import org.parley.core.Names;
import org.parley.core.PostAck;
import org.parley.core.ProtocolException;
import org.parley.core.SequenceTracker;
import org.parley.core.Subscription;
import org.parley.core.internal.DeliveryThread;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PeerText;
import org.parley.core.internal.Threads;
import org.parley.zmq.internal.IoTicker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * A client of a {@link ZmqChatServer} (or of any server speaking docs/PROTOCOL.md): a DEALER
 * socket for posts and history, a SUB socket for the channels it subscribes to.
 *
 * <pre>{@code
 * try (ZmqChatClient alice = ZmqChatClient.connect(ZmqClientOptions.builder()
 *         .host("127.0.0.1").postPort(5555).pubPort(5556).user("alice").build())) {
 *     alice.subscribe("general", 20, m -> System.out.println(m.displayLine()));
 *     alice.post("general", "hello").join();
 * }
 * }</pre>
 *
 * <p>Posts are pipelined: each request carries a {@code ref} and its future completes when
 * the reply with that {@code ref} arrives, or fails after the request timeout. Publication
 * is at most once, so each subscription follows {@code seq} per channel and fetches what it
 * missed (a gap, or messages dropped because its listener fell behind) from the server's
 * history: a listener gets every message the log still holds, in order, exactly once.
 *
 * <p>ZeroMQ reconnects by itself when the server goes away and comes back. If it came back
 * as a new server (a new {@code epoch} in its replies: an empty log, {@code seq} from 1),
 * each subscription starts counting again and fetches from the new server's history what
 * it published before this client reconnected. A request in flight when the server went
 * away is not sent again (a post is not idempotent): it fails after the request timeout
 * unless the old server answered it first.
 *
 * <p>What a server sends is checked as a server checks requests: a reply or publication that
 * is not strict UTF-8, not valid JSON or not a valid message (a time outside the years 1970
 * to 9999, say) is ignored and logged, and the client goes on. Frames are bounded at
 * {@link ZmqClientOptions#maxIncomingBytes} bytes (a message at less than twice that) and at
 * {@value #MAX_INCOMING_FRAMES} frames, and replies queued at {@code maxPendingRequests} plus a
 * few, so a hostile server cannot make the client buffer without end; what it floods the
 * client with is read in batches, so sends, publications, timeouts and close go on.
 *
 * <p>Threads: {@code parley-zmq-client-<user>} owns both sockets; listeners run on
 * {@code parley-delivery-<user>}; JeroMQ adds its own I/O and reaper threads, which the
 * clients of one {@link ZmqClientGroup} share. The futures
 * this client returns are completed on its I/O thread: actions chained with the non-async
 * methods ({@code thenAccept}, ...) run there and must not block.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class ZmqChatClient implements ChatClient {
    private static final Logger log = LoggerFactory.getLogger(ZmqChatClient.class);
    private static final long POLL_MILLIS = 200;
    /** How long closing waits for a socket thread (or a group's context) to stop. */
    static final long CLOSE_WAIT_MILLIS = 2000;
    static final long CLOSE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
    /** Publications, and replies, read in one pass of the loop: a flood of one starves nothing else. */
    private static final int SUB_BATCH = 1024;
    private static final int REPLY_BATCH = 1024;
    /**
     * Replies queued beyond {@code maxPendingRequests}: the epoch probes, and a reply that
     * arrives as its request times out. A Parley server queues no more for one client either
     * ({@link ZmqChatServer#REPLY_HIGH_WATER_MARK}), so a client that reads its replies never
     * makes the server drop one.
     */
    static final int REPLY_MARGIN = 64;
    /** Numbers each client's monitor endpoint: clients of one group share an inproc namespace. */
    private static final AtomicInteger MONITORS = new AtomicInteger();
    /** Frames of one message a server may send; replies and publications have two. */
    static final int MAX_INCOMING_FRAMES = 16;
    /** One line per interval for each kind of bad input a server sends, however often it sends it. */
    private static final long LOG_INTERVAL_SECONDS = 10;

    private final ZmqClientOptions options;
    private final String postEndpoint;
    /** This client's own context, or a shadow of its group's: closing it closes our sockets only. */
    private final ZContext context;
    private final ZmqClientGroup group; // null for a client with a context of its own
    private final boolean hasPost;
    private final boolean hasPub;
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    // Made by the I/O thread and used by it alone: a JeroMQ socket stays with its thread.
    private ZMQ.Socket dealer; // null without a post port
    private ZMQ.Socket sub; // null without a PUB port
    private ZMQ.Socket monitor; // SUB's connection events; null without a PUB port
    private volatile Waker waker; // wake() from any thread once opened
    private final Thread ioThread;
    private final DeliveryThread delivery;
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Map<String, Pending<?>> pending = new LinkedHashMap<>(); // I/O thread only
    private final AtomicInteger outstanding = new AtomicInteger(); // requests not yet answered
    private final Object outstandingLock = new Object();
    private final List<ClientSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicLong refs = new AtomicLong();
    private final AtomicLong repairs = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile boolean ioDone;
    // Server restarts (docs/PROTOCOL.md, "epoch"). I/O thread only, except generation.
    private String serverEpoch; // the epoch of the last ok reply, null before one
    /** Bumped when the epoch changes; a subscription that sees a new value starts counting again. */
    private volatile int generation;
    private int probing; // epoch probes in flight; publications are held while > 0
    private boolean subConnectedBefore;
    private final ArrayDeque<ChatMessage> held = new ArrayDeque<>();
    private final Map<String, Long> heldOverflow = new HashMap<>();
    private final LogThrottle badReplyLog = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle badPublicationLog = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    /** What bounds the frames a server sends to each socket. */
    private final FrameGuard postGuard;
    private final FrameGuard subGuard;

    private ZmqChatClient(ZmqClientOptions options, ZmqClientGroup group) throws IOException {
        this.options = options;
        this.group = group;
        this.hasPost = options.postPort() != ZmqClientOptions.NO_PORT;
        this.hasPub = options.pubPort() != ZmqClientOptions.NO_PORT;
        this.postEndpoint = hasPost ? "tcp://" + options.host() + ":" + options.postPort() : null;
        this.postGuard = FrameGuard.forMessages("post socket of " + options.user(), options.maxIncomingBytes(),
                MAX_INCOMING_FRAMES, FrameGuard.NO_BUDGET);
        this.subGuard = FrameGuard.forMessages("SUB socket of " + options.user(), options.maxIncomingBytes(),
                MAX_INCOMING_FRAMES, FrameGuard.NO_BUDGET);
        this.context = group == null ? new ZContext(1) : ZContext.shadow(group.context());
        if (group == null) { // a group's context has them already
            ContextErrors.install(context, "client " + options.user());
        }
        this.delivery = new DeliveryThread("parley-delivery-" + options.user(),
                options.receiveHighWaterMark());
        this.ioThread = new Thread(this::run, "parley-zmq-client-" + options.user());
        ioThread.setDaemon(true);
        ioThread.start();
        try {
            opened.get();
        } catch (ExecutionException e) {
            delivery.close();
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while connecting", e);
        }
    }

    /** I/O thread: makes and connects the sockets, reporting the outcome to the constructor. */
    private boolean open() {
        try {
            if (group == null) {
                IoTicker.attach(context); // a group has one for all its clients
            }
            if (hasPost) {
                dealer = context.createSocket(SocketType.DEALER);
                dealer.setLinger(0);
                // Room for a reply to every request this client may have in flight: a hostile
                // server cannot make it queue more, and a Parley server never sends more.
                dealer.setRcvHWM(replyHighWaterMark(options));
                postGuard.install(dealer); // a hostile server, too, is bounded
                connect(dealer, postEndpoint);
            }
            if (hasPub) {
                sub = context.createSocket(SocketType.SUB);
                sub.setLinger(0);
                sub.setRcvHWM(options.receiveHighWaterMark());
                subGuard.install(sub);
                if (hasPost) {
                    // Each (re)connection of SUB is followed by an epoch probe: a server restarted
                    // on the same port numbers its messages from 1 again. Without a post port
                    // there is nothing to probe with, so no monitor either.
                    String endpoint = "inproc://parley-sub-monitor-" + MONITORS.incrementAndGet();
                    sub.monitor(endpoint, ZMQ.EVENT_CONNECTED);
                    monitor = context.createSocket(SocketType.PAIR);
                    monitor.setLinger(0);
                    monitor.connect(endpoint);
                }
                connect(sub, "tcp://" + options.host() + ":" + options.pubPort());
            }
            waker = new Waker();
            opened.complete(null);
            return true;
        } catch (IOException | RuntimeException e) {
            ioDone = true;
            context.close();
            opened.completeExceptionally(e);
            return false;
        }
    }

    /**
     * A client of the server in {@code options}. ZeroMQ connects in the background, so this
     * returns at once even if the server is not up yet; requests then wait for it up to the
     * request timeout.
     *
     * @throws IOException if the address is not usable
     */
    public static ZmqChatClient connect(ZmqClientOptions options) throws IOException {
        return new ZmqChatClient(options, null);
    }

    /** A client in {@code group}'s context: see {@link ZmqClientGroup#connect}. */
    static ZmqChatClient connect(ZmqClientOptions options, ZmqClientGroup group) throws IOException {
        return new ZmqChatClient(options, Objects.requireNonNull(group, "group"));
    }

    /** Whether the socket thread has finished (its sockets are closed). */
    boolean stopped() {
        return !ioThread.isAlive();
    }

    private static void connect(ZMQ.Socket socket, String endpoint) throws IOException {
        try {
            if (!socket.connect(endpoint)) {
                throw new IOException("cannot connect to " + endpoint);
            }
        } catch (ZMQException | IllegalArgumentException e) {
            throw new IOException("cannot connect to " + endpoint + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String user() {
        return options.user();
    }

    public ZmqClientOptions options() {
        return options;
    }

    /** How many times a subscription fetched messages it had missed. */
    long repairs() {
        return repairs.get();
    }

    @Override
    public CompletableFuture<PostAck> post(String channel, String text) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(text, "text");
        String ref = nextRef();
        return request(ref, Wire.postRequest(ref, user(), channel, text, Instant.now()), Wire::ack);
    }

    @Override
    public CompletableFuture<HistoryPage> history(String channel, long after, int limit) {
        Objects.requireNonNull(channel, "channel");
        String ref = nextRef();
        return request(ref, Wire.historyRequest(ref, channel, after, limit, -1),
                Wire::page);
    }

    /** The newest {@code count} messages, with the {@code last} extension of docs/PROTOCOL.md. */
    @Override
    public CompletableFuture<HistoryPage> recent(String channel, int count) {
        Objects.requireNonNull(channel, "channel");
        String ref = nextRef();
        return request(ref, Wire.historyRequest(ref, channel, 0, 0, Math.max(count, 0)),
                Wire::page);
    }

    @Override
    public Subscription subscribe(String channel, MessageListener listener) {
        return subscribe(channel, 0, listener);
    }

    /**
     * Like {@link #subscribe(String, MessageListener)}, and first delivers the newest
     * {@code recent} messages of the channel from the server's history. The subscription is
     * made before the history is read, and sequence numbers merge the two, so no message is
     * missed or delivered twice.
     *
     * @throws IllegalArgumentException if {@code channel} breaks the naming rule or {@code recent < 0}
     * @throws IllegalStateException    if this client is closed or has no PUB port
     */
    public Subscription subscribe(String channel, int recent, MessageListener listener) {
        Objects.requireNonNull(listener, "listener");
        Names.checkChannel(channel);
        if (recent < 0) {
            throw new IllegalArgumentException("recent < 0: " + recent);
        }
        if (closed.get()) {
            throw new IllegalStateException("client is closed");
        }
        if (!hasPub) {
            throw new IllegalStateException("this client has no PUB port to subscribe with");
        }
        ClientSubscription s = new ClientSubscription(channel, listener);
        if (recent > 0 && hasPost) {
            // Queued before the subscription can receive anything, so history comes first.
            delivery.submit(() -> s.replayRecent(recent));
        }
        subscriptions.add(s);
        byte[] topic = topicOf(channel);
        command(() -> sub.subscribe(topic));
        return s;
    }

    /**
     * Waits up to two seconds (or the request timeout, if shorter) for the answers to requests
     * in flight, then stops the sockets and the delivery thread. Idempotent.
     */
    @Override
    public void close() {
        if (beginClose()) {
            awaitAnswers(System.nanoTime() + CLOSE_WAIT_NANOS);
            stop();
            awaitStopped(System.nanoTime() + CLOSE_WAIT_NANOS);
        }
    }

    // Closing in steps, so that a group closes all its clients against one deadline per step
    // rather than one per client.

    /** Refuses new requests from now on; false if closing had begun already. */
    boolean beginClose() {
        return closed.compareAndSet(false, true);
    }

    /**
     * Waits for the answers to the requests in flight until {@code deadline}. No longer than the
     * request timeout either: a request without an answer by then fails, and counts no more.
     */
    void awaitAnswers(long deadline) {
        synchronized (outstandingLock) {
            long left;
            while (outstanding.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(outstandingLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    /** Tells the socket thread and the delivery thread to stop; listeners get nothing more. */
    void stop() {
        for (ClientSubscription s : subscriptions) {
            s.active = false;
        }
        delivery.stop();
        stopping = true;
        Waker w = waker;
        if (w != null) {
            w.wake();
        }
    }

    /** Waits for the socket thread and the delivery thread until {@code deadline}, then leaves the group. */
    void awaitStopped(long deadline) {
        awaitSocketThread(deadline);
        delivery.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        if (group != null) {
            group.forget(this);
        }
    }

    @Override
    public String toString() {
        return "ZmqChatClient[" + user() + " @ " + options.host() + "]";
    }

    /** Waits for the socket thread until {@code deadline}; whether it has stopped. */
    boolean awaitSocketThread(long deadline) {
        if (!Threads.joinUntil(ioThread, deadline)) {
            log.warn("{} did not stop in time for its close", ioThread.getName());
            return false;
        }
        return true;
    }

    // ---- requests

    private String nextRef() {
        return Long.toString(refs.incrementAndGet(), 36);
    }

    private <T> CompletableFuture<T> request(String ref, byte[] body, Decoder<T> decoder) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
        }
        if (!hasPost) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("this client has no post port"));
        }
        if (outstanding.incrementAndGet() > options.maxPendingRequests()) {
            finished();
            return CompletableFuture.failedFuture(new IOException(
                    "too many requests waiting: " + options.maxPendingRequests()));
        }
        Pending<T> p = new Pending<>(ref, decoder,
                System.nanoTime() + options.requestTimeout().toNanos());
        command(new FailingSend() {
            @Override
            public void run() {
                send(p, body);
            }

            @Override
            public void failNow() {
                p.fail(new IOException("client closed before the request was sent"));
            }
        });
        return p.future;
    }

    private void command(Runnable task) {
        commands.add(task);
        waker.wake();
        if (ioDone) {
            // The I/O thread is gone (closed): it will not run what was just queued.
            failQueued();
        }
    }

    private void finished() {
        if (outstanding.decrementAndGet() == 0) {
            synchronized (outstandingLock) {
                outstandingLock.notifyAll();
            }
        }
    }

    @FunctionalInterface
    private interface Decoder<T> {
        T decode(Wire.Fields reply) throws ProtocolException;
    }

    /** A request sent and not yet answered. */
    private final class Pending<T> {
        final String ref;
        final Decoder<T> decoder;
        final long deadline;
        final CompletableFuture<T> future = new CompletableFuture<>();

        Pending(String ref, Decoder<T> decoder, long deadline) {
            this.ref = ref;
            this.decoder = decoder;
            this.deadline = deadline;
        }

        void answer(Wire.Fields reply) {
            try {
                if (reply.isTrue("ok")) {
                    future.complete(decoder.decode(reply));
                } else {
                    String error = reply.text("error");
                    future.completeExceptionally(new ProtocolException(error == null || error.isEmpty()
                            ? "the server rejected the request without saying why" : error));
                }
            } catch (ProtocolException e) {
                future.completeExceptionally(e);
            } finally {
                finished();
            }
        }

        void fail(Throwable error) {
            future.completeExceptionally(error);
            finished();
        }
    }

    // ---- I/O thread

    private void run() {
        if (!open()) {
            return;
        }
        ZMQ.Poller poller = context.createPoller(4);
        poller.register(waker.reader(), ZMQ.Poller.POLLIN);
        if (dealer != null) {
            poller.register(dealer, ZMQ.Poller.POLLIN);
        }
        if (sub != null) {
            poller.register(sub, ZMQ.Poller.POLLIN);
        }
        if (monitor != null) {
            poller.register(monitor, ZMQ.Poller.POLLIN);
        }
        try {
            boolean backlog = false;
            while (!stopping) {
                poller.poll(backlog ? 0 : pollTimeout());
                // Read whether or not poll said so (non-blocking): a ZeroMQ socket signals by
                // edge, and a missed edge must not strand a reply or a publication.
                waker.drain();
                Runnable task;
                while ((task = commands.poll()) != null) {
                    task.run();
                }
                if (monitor != null) {
                    receiveConnectionEvents(); // before publications: a new connection's are held
                }
                backlog = false;
                if (dealer != null) {
                    backlog |= receiveReplies();
                }
                if (sub != null) {
                    backlog |= receivePublications();
                }
                expire();
                for (ClientSubscription s : subscriptions) {
                    s.scheduleCatchUp();
                }
            }
        } catch (RuntimeException e) {
            log.error("{} failed; the client stops", ioThread.getName(), e);
        } finally {
            ioDone = true;
            IOException closedError = new IOException("client closed before the reply arrived");
            for (Pending<?> p : pending.values()) {
                p.fail(closedError);
            }
            pending.clear();
            failQueued();
            if (monitor != null) {
                // Closes the monitor's own socket now: in a group's context a forgotten one
                // would keep the context from terminating.
                sub.monitor(null, 0);
            }
            poller.close();
            waker.close();
            context.close(); // a group's shadow: our sockets only
        }
    }

    // ---- server restarts

    private void receiveConnectionEvents() {
        ZMQ.Event event;
        while ((event = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT)) != null) {
            if (event.getEvent() != ZMQ.EVENT_CONNECTED || !hasPost) {
                continue;
            }
            // On a reconnection the server may be a new one: hold publications until its
            // epoch is known, or they would be counted against the old server's numbers.
            boolean hold = subConnectedBefore;
            subConnectedBefore = true;
            if (hold) {
                probing++;
            }
            String ref = nextRef();
            request(ref, Wire.historyRequest(ref, Names.DEFAULT_CHANNEL, 0, 0, 0), Wire::page)
                    .whenComplete((page, error) -> {
                        if (error != null) {
                            log.warn("cannot learn whether {} restarted: {}", postEndpoint,
                                    PeerText.excerpt(error.getMessage(), 200)); // it may be the server's words
                        }
                        if (hold && --probing == 0) {
                            releaseHeld();
                        }
                    });
        }
    }

    /** I/O thread: every ok reply names the server's epoch; a new one means a restart. */
    private void noteEpoch(String epoch) {
        if (epoch == null) {
            return; // a server without the extension
        }
        if (serverEpoch != null && !serverEpoch.equals(epoch)) {
            log.info("{} restarted (epoch {} -> {}): counting messages from 1 again", postEndpoint,
                    PeerText.excerpt(serverEpoch), PeerText.excerpt(epoch));
            generation++;
            for (ClientSubscription s : subscriptions) {
                s.dropped.clear(); // the old server's numbers; its log is gone
            }
        }
        serverEpoch = epoch;
    }

    /** I/O thread: hands one pass's publications, in order, to the subscriptions. */
    private void dispatch(List<ChatMessage> batch) {
        if (probing > 0) {
            for (ChatMessage m : batch) {
                if (held.size() < options.receiveHighWaterMark()) {
                    held.add(m);
                } else {
                    heldOverflow.merge(m.channel(), m.seq(), Math::max);
                }
            }
            return;
        }
        for (ClientSubscription s : subscriptions) {
            s.offer(batch);
        }
    }

    private void releaseHeld() {
        if (!held.isEmpty()) {
            List<ChatMessage> all = new ArrayList<>(held);
            held.clear();
            dispatch(all);
        }
        for (Map.Entry<String, Long> e : heldOverflow.entrySet()) {
            for (ClientSubscription s : subscriptions) {
                s.missed(e.getKey(), e.getValue());
            }
        }
        heldOverflow.clear();
    }

    private void failQueued() {
        // Requests queued but never sent: their send task fails them when run here.
        Runnable task;
        while ((task = commands.poll()) != null) {
            if (task instanceof FailingSend f) {
                f.failNow();
            }
        }
    }

    private long pollTimeout() {
        long timeout = POLL_MILLIS;
        if (!pending.isEmpty()) {
            long untilFirst = pending.values().iterator().next().deadline - System.nanoTime();
            timeout = Math.max(1, Math.min(timeout, TimeUnit.NANOSECONDS.toMillis(untilFirst) + 1));
        }
        return timeout;
    }

    private <T> void send(Pending<T> p, byte[] body) {
        if (!dealer.sendMore(new byte[0]) || !dealer.send(body, ZMQ.DONTWAIT)) {
            p.fail(new IOException("cannot send to " + postEndpoint + ": its queue is full"));
            return;
        }
        pending.put(p.ref, p);
    }

    /** The receive high-water mark of the post socket: every reply this client may be owed, and a margin. */
    static int replyHighWaterMark(ZmqClientOptions options) {
        return (int) Math.min(Integer.MAX_VALUE, (long) options.maxPendingRequests() + REPLY_MARGIN);
    }

    /** Whether the I/O thread has ended. */
    boolean ioThreadEnded() {
        return !ioThread.isAlive();
    }

    /** The guard of the post socket's frames (replies). */
    FrameGuard postGuard() {
        return postGuard;
    }

    /** The guard of the SUB socket's frames (publications). */
    FrameGuard subGuard() {
        return subGuard;
    }

    /** Reads at most {@value #REPLY_BATCH} replies; true if more may be waiting. */
    private boolean receiveReplies() {
        for (int n = 0; n < REPLY_BATCH; n++) {
            byte[] first = dealer.recv(ZMQ.DONTWAIT);
            if (first == null) {
                return false;
            }
            List<byte[]> frames = new ArrayList<>(2);
            frames.add(first);
            while (dealer.hasReceiveMore()) {
                frames.add(dealer.recv(0));
            }
            if (frames.size() != 2 || frames.get(0).length != 0) {
                badReply("a reply of " + frames.size() + " frames, not an empty delimiter and one body");
                continue;
            }
            byte[] body = frames.get(1);
            Wire.Fields reply;
            String ref;
            try {
                reply = Wire.read(body, "reply", Wire.OK);
                ref = reply.string("ref");
            } catch (ProtocolException e) {
                badReply(e.getMessage());
                continue;
            }
            noteEpoch(reply.text(Wire.EPOCH));
            // Replies come in order; one without ref (an error about the envelope) is the oldest's.
            Pending<?> p = ref != null ? pending.remove(ref) : oldestPending();
            if (p == null) {
                log.debug("reply {} from {} arrived after its request timed out", PeerText.excerpt(ref), postEndpoint);
                continue;
            }
            p.answer(reply);
        }
        return true;
    }

    /** Logs, once per interval, a reply that was ignored; {@code why} may quote the server, so it is an excerpt. */
    private void badReply(String why) {
        long held = badReplyLog.admit();
        if (held >= 0) {
            log.warn("reply from {} ignored: {} ({} more not logged)", postEndpoint, PeerText.excerpt(why), held);
        }
    }

    /** Logs, once per interval, a publication that was ignored; {@code why} may quote the server. */
    private void badPublication(String why) {
        long held = badPublicationLog.admit();
        if (held >= 0) {
            log.warn("publication ignored: {} ({} more not logged)", PeerText.excerpt(why), held);
        }
    }

    /** The oldest request waiting: the one a reply without ref answers (replies come in order). */
    private Pending<?> oldestPending() {
        return pending.isEmpty() ? null : pending.remove(pending.keySet().iterator().next());
    }

    /** Reads at most {@value #SUB_BATCH} publications; true if more may be waiting. */
    private boolean receivePublications() {
        List<ChatMessage> batch = null;
        boolean full = true;
        for (int i = 0; i < SUB_BATCH; i++) {
            byte[] topic = sub.recv(ZMQ.DONTWAIT);
            if (topic == null) {
                full = false;
                break;
            }
            byte[] body = sub.hasReceiveMore() ? sub.recv(0) : null;
            boolean extra = false;
            while (sub.hasReceiveMore()) {
                sub.recv(0);
                extra = true;
            }
            if (body == null || extra) {
                badPublication("expected two frames, a topic and a body");
                continue;
            }
            ChatMessage m;
            try {
                // Refused here, a message never reaches a listener: a time past the year 9999,
                // which no zone can show, or bytes a lenient decoder would read as other text.
                m = Wire.publication(body);
            } catch (ProtocolException e) {
                badPublication(e.getMessage());
                continue;
            }
            if (!Wire.isTopicOf(topic, m.channel())) {
                badPublication("a message of channel " + m.channel() + " under another topic");
                continue;
            }
            if (batch == null) {
                batch = new ArrayList<>();
            }
            batch.add(m);
        }
        if (batch != null) {
            dispatch(batch);
        }
        return full;
    }

    private void expire() {
        long now = System.nanoTime();
        Iterator<Pending<?>> it = pending.values().iterator();
        while (it.hasNext()) {
            Pending<?> p = it.next();
            if (now - p.deadline < 0) {
                break; // one timeout for all: entries are in deadline order
            }
            it.remove();
            p.fail(new IOException("no reply from " + postEndpoint + " within "
                    + describe(options.requestTimeout())));
        }
    }

    static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static byte[] topicOf(String channel) {
        return Names.ALL.equals(channel) ? new byte[0] : Wire.topic(channel);
    }

    /** A queued send that can fail its request if the I/O thread is gone. */
    private interface FailingSend extends Runnable {
        void failNow();
    }

    // ---- subscriptions

    private final class ClientSubscription implements Subscription {
        private final String channel;
        private final MessageListener listener;
        private final SequenceTracker tracker = new SequenceTracker(); // delivery thread only
        private int trackedGeneration = generation; // delivery thread only (after construction)
        /** Per channel, the newest seq dropped because the delivery queue was full. I/O thread only. */
        final Map<String, Long> dropped = new HashMap<>();
        private final AtomicBoolean done = new AtomicBoolean();
        volatile boolean active = true;

        ClientSubscription(String channel, MessageListener listener) {
            this.channel = channel;
            this.listener = listener;
        }

        @Override
        public String channel() {
            return channel;
        }

        /**
         * I/O thread: hands the publications of its channel to the delivery thread as one task
         * (one wake-up, not one per message), as many as the queue has room for; the rest are
         * remembered as dropped and fetched from history later.
         */
        void offer(List<ChatMessage> batch) {
            if (!active) {
                return;
            }
            List<ChatMessage> mine = batch;
            if (!Names.ALL.equals(channel)) {
                mine = new ArrayList<>(batch.size());
                for (ChatMessage m : batch) {
                    if (channel.equals(m.channel())) {
                        mine.add(m);
                    }
                }
                if (mine.isEmpty()) {
                    return;
                }
            }
            int g = generation;
            // Once one is dropped, later ones wait for the catch-up too, to keep the order. The
            // delivery queue's bound is in messages (receiveHighWaterMark), whatever the batch.
            int admitted = dropped.isEmpty() ? Math.min(mine.size(), delivery.room()) : 0;
            if (admitted > 0) {
                List<ChatMessage> part = List.copyOf(mine.subList(0, admitted));
                if (!delivery.submitEach(part, m -> deliver(m, g))) {
                    admitted = 0;
                }
            }
            for (int i = admitted; i < mine.size(); i++) {
                ChatMessage m = mine.get(i);
                dropped.merge(m.channel(), m.seq(), Math::max);
            }
        }

        /** I/O thread: messages up to {@code seq} of {@code ch} never reached this subscription. */
        void missed(String ch, long seq) {
            if (active && (Names.ALL.equals(channel) || channel.equals(ch))) {
                dropped.merge(ch, seq, Math::max);
            }
        }

        /** I/O thread: once the delivery queue has room, fetch what was dropped from history. */
        void scheduleCatchUp() {
            if (dropped.isEmpty()) {
                return;
            }
            Map<String, Long> upTo = Map.copyOf(dropped);
            int g = generation;
            if (delivery.submit(() -> catchUp(upTo, g))) {
                dropped.clear();
            }
        }

        // delivery thread below

        /** Starts counting again when the server restarted since the last delivery. */
        private void follow(int g) {
            if (g != trackedGeneration) {
                tracker.restart();
                trackedGeneration = g;
            }
        }

        private void deliver(ChatMessage m, int g) {
            if (!active) {
                return;
            }
            follow(g);
            switch (tracker.check(m)) {
                case DUPLICATE -> {
                    return;
                }
                case GAP -> {
                    if (!repair(m.channel(), m.seq() - 1)) {
                        return; // the server restarted meanwhile: m is the old one's
                    }
                }
                case NEXT -> { }
            }
            tracker.accept(m); // the repair stopped short of m: it is next now
            listener.onMessage(m);
        }

        private void catchUp(Map<String, Long> upTo, int g) {
            if (!active || g != generation) {
                return; // counted against a server that has since restarted
            }
            follow(g);
            for (Map.Entry<String, Long> e : upTo.entrySet()) {
                repair(e.getKey(), e.getValue());
            }
        }

        /**
         * Delivers the messages of {@code ch} after the last one delivered, up to {@code upTo};
         * false if the server restarted meanwhile, so the pages were not the ones asked for.
         */
        private boolean repair(String ch, long upTo) {
            if (!hasPost) {
                log.debug("cannot fetch missed messages of {}: no post port", ch);
                return true;
            }
            repairs.incrementAndGet();
            int g = trackedGeneration;
            boolean[] stale = {false};
            try {
                tracker.fill(ch, upTo, (c, after, limit) -> {
                    HistoryPage page = active ? await(history(c, after, limit)) : null;
                    if (page == null || generation != g) {
                        stale[0] = page != null;
                        return new HistoryPage(c, 0, 0, List.of());
                    }
                    return page;
                }, listener::onMessage);
            } catch (IOException e) {
                log.warn("cannot fetch missed messages of {} up to {}: {}", ch, upTo, PeerText.excerpt(e.getMessage()));
            }
            return !stale[0];
        }

        private void replayRecent(int count) {
            HistoryPage page;
            try {
                page = await(recent(channel, count));
            } catch (IOException e) {
                log.warn("cannot fetch the recent messages of {}: {}", channel, PeerText.excerpt(e.getMessage()));
                return;
            }
            for (ChatMessage m : page.messages()) {
                if (active && tracker.check(m) != SequenceTracker.Verdict.DUPLICATE) {
                    tracker.accept(m);
                    listener.onMessage(m);
                }
            }
        }

        private HistoryPage await(CompletableFuture<HistoryPage> f) throws IOException {
            try {
                return f.get(options.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
            } catch (TimeoutException e) {
                throw new IOException("no reply from " + postEndpoint, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        @Override
        public void close() {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            active = false;
            subscriptions.remove(this);
            if (!closed.get()) {
                byte[] topic = topicOf(channel);
                command(() -> sub.unsubscribe(topic));
            }
        }
    }
}
