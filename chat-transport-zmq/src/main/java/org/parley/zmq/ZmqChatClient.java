package org.parley.zmq;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.ChatClient;
import org.parley.core.HistoryPage;
import org.parley.core.MessageListener;
import org.parley.core.internal.Names;
import org.parley.core.PostAck;
import org.parley.core.Subscription;
import org.parley.core.internal.DeliveryThread;

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
 * <p>Each post carries an id of its own, and the server records a post once however often it
 * arrives (docs/PROTOCOL.md, "post id"). So a post is sent until it is acknowledged: one sent
 * on a connection that is lost before its reply came is sent again on the next connection,
 * to the same server or a restarted one, within the post timeout (30 s by default); one never
 * sent by then fails and is never sent later.
 *
 * <p>ZeroMQ reconnects by itself when the server goes away and comes back. If it came back
 * as a new server (a new {@code epoch} in its replies: an empty log, {@code seq} from 1),
 * each subscription starts counting again and fetches from the new server's history what
 * it published before this client reconnected; a message that is the same post as one
 * delivered just before the restart (the same channel, user, time and text: a post sent
 * again to the new server) is not delivered twice.
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
 * {@code parley-delivery-<user>}; JeroMQ adds its own I/O and reaper threads, in one context
 * that the clients of a process share (made with the first, ended with the last). The futures
 * this client returns are completed on its I/O thread: actions chained with the non-async
 * methods ({@code thenAccept}, ...) run there and must not block.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class ZmqChatClient implements ChatClient {
    /** How long closing waits for answers, then for the socket thread, to stop. */
    static final long CLOSE_WAIT_MILLIS = 2000;
    static final long CLOSE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
    /** Frames of one message a server may send; replies and publications have two. */
    static final int MAX_INCOMING_FRAMES = 16;

    private final ZmqClientOptions options;
    private final AtomicBoolean closed = new AtomicBoolean();
    // The parts; each says in its Javadoc which thread owns what.
    final DeliveryThread delivery;
    final ClientLoop loop;
    final RestartDetector restarts;
    private final RequestCorrelator requests;
    /** Pages of missed messages the subscriptions fetched from history. */
    final AtomicLong repairs = new AtomicLong();
    /** This client's post ids: a random prefix, so that no other client of its user makes the same. */
    private final PostIdSource postIds = new PostIdSource();

    private ZmqChatClient(ZmqClientOptions options) throws IOException {
        this.options = options;
        this.loop = new ClientLoop(options);
        this.restarts = options.postPort() == ZmqClientOptions.NO_PORT
                ? new RestartDetector(null, "tcp://" + options.host() + ":" + options.pubPort())
                : new RestartDetector(options.curve() == null ? () -> recent(Names.DEFAULT_CHANNEL, 0)
                        : this::channels, // an authenticated user may not read general; channels is anyone's
                        "tcp://" + options.host() + ":" + options.postPort());
        this.requests = new RequestCorrelator(options, loop, restarts::noteEpoch, closed::get);
        this.delivery = new DeliveryThread("parley-delivery-" + options.user(), options.receiveHighWaterMark());
        java.util.function.Consumer<Boolean> heard = options.onConnection();
        if (heard != null) {
            loop.onConnection(up -> delivery.submit(() -> heard.accept(up))); // false when full: told later
        }
        try {
            loop.start(requests, restarts);
        } catch (IOException e) {
            delivery.close();
            throw e;
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
        return new ZmqChatClient(options);
    }

    @Override
    public String user() {
        return options.user();
    }

    ZmqClientOptions options() {
        return options;
    }

    @Override
    public CompletableFuture<PostAck> post(String channel, String text) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(text, "text");
        // One id and one time for every time it is sent: the server records it once.
        String id = postIds.next();
        Instant time = Instant.now();
        return requests.request(ref -> Wire.postRequest(ref, user(), channel, text, time, id), Wire::ack,
                options.postTimeout(), true);
    }

    @Override
    public CompletableFuture<HistoryPage> history(String channel, long after, int limit) {
        Objects.requireNonNull(channel, "channel");
        return requests.request(ref -> Wire.historyRequest(ref, channel, after, limit, -1), Wire::page,
                options.requestTimeout(), false);
    }

    /** The newest {@code count} messages, with the {@code last} extension of docs/PROTOCOL.md. */
    @Override
    public CompletableFuture<HistoryPage> recent(String channel, int count) {
        Objects.requireNonNull(channel, "channel");
        return requests.request(ref -> Wire.historyRequest(ref, channel, 0, 0, Math.max(count, 0)),
                Wire::page, options.requestTimeout(), false);
    }

    /**
     * Says that this client's user is in {@code channel} ({@value ChatClient#ALL} included) and
     * returns who is there, sorted. Say it at least every 5 s to stay in the list: the server
     * forgets a user silent for 15 s (docs/PROTOCOL.md, "presence"). Fails as {@link #post} does.
     */
    public CompletableFuture<List<String>> presence(String channel) {
        Objects.requireNonNull(channel, "channel");
        return requests.request(ref -> Wire.presenceRequest(ref, channel, user()), Wire::users,
                options.requestTimeout(), false);
    }

    /** The channels in use on the server, sorted, each with how many users are in it. Fails as {@link #post} does. */
    public CompletableFuture<java.util.Map<String, Integer>> channels() {
        return requests.request(Wire::channelsRequest, Wire::channels, options.requestTimeout(), false);
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
        return subscribe(channel, recent, listener, null);
    }

    /**
     * Like {@link #subscribe(String, int, MessageListener)}, and then calls {@code replayed} once
     * the recent messages have reached the listener, before any later message does: so a reader
     * can tell the history from what follows. It is called once, on the listener's thread, with
     * 0 when {@code recent} is 0, the channel holds none or this client has no post port; not at
     * all if the subscription or the client is closed first.
     *
     * @param replayed told that the replay is over; null for no one
     * @throws IllegalArgumentException if {@code channel} breaks the naming rule or {@code recent < 0}
     * @throws IllegalStateException    if this client is closed or has no PUB port
     */
    public Subscription subscribe(String channel, int recent, MessageListener listener, ReplayListener replayed) {
        Objects.requireNonNull(listener, "listener");
        Names.checkChannel(channel);
        if (recent < 0) {
            throw new IllegalArgumentException("recent < 0: " + recent);
        }
        if (closed.get()) {
            throw new IllegalStateException("client is closed");
        }
        if (options.pubPort() == ZmqClientOptions.NO_PORT) {
            throw new IllegalStateException("this client has no PUB port to subscribe with");
        }
        ClientSubscription s = new ClientSubscription(this, channel, listener);
        int replay = options.postPort() == ZmqClientOptions.NO_PORT ? 0 : recent;
        if (replay > 0 || replayed != null) {
            s.replayRecent(replay, replayed); // queued before the subscription can receive anything
        }
        loop.execute(() -> loop.add(s));
        return s;
    }

    /**
     * Hears that a subscription's replay of recent messages is over
     * ({@link ZmqChatClient#subscribe(String, int, MessageListener, ReplayListener)}): every message
     * the listener gets after it is newer than the history it was shown.
     *
     * <p>Thread safety: called on the client's delivery thread, the listener's, never at the same
     * time as a listener; like a listener, it must not block.
     */
    @FunctionalInterface
    public interface ReplayListener {
        /**
         * The replay is over.
         *
         * @param delivered how many recent messages the listener got
         * @param failure   why the recent messages could not be read (then none were delivered), or null
         */
        void replayed(int delivered, IOException failure);
    }

    /**
     * Waits up to two seconds (or the request timeout, if shorter) for the answers to requests
     * in flight, then stops the sockets and the delivery thread. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closing began already
        }
        requests.awaitAnswers(System.nanoTime() + CLOSE_WAIT_NANOS);
        loop.stop(); // listeners get nothing more
        delivery.stop();
        long stopped = System.nanoTime() + CLOSE_WAIT_NANOS;
        loop.join(stopped);
        delivery.closeUntil(stopped);
    }

    /** Whether the socket thread has finished (its sockets are closed). */
    boolean stopped() {
        return loop.stopped();
    }

    @Override
    public String toString() {
        return "ZmqChatClient[" + user() + " @ " + options.host() + "]";
    }

    /** Post ids unique to one client: up to 13 random base-36 digits (a random long), a dot, a counter. */
    private static final class PostIdSource {
        private final String prefix = Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong()
                & Long.MAX_VALUE, 36) + ".";
        private final AtomicLong count = new AtomicLong();

        String next() {
            return prefix + Long.toString(count.incrementAndGet(), 36);
        }
    }
}
