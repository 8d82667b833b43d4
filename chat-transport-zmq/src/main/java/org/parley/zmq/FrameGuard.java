package org.parley.zmq;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.internal.Names;
import org.parley.core.ProtocolException;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PeerText;
import org.parley.core.internal.StrictUtf8;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;
import zmq.Msg;
import zmq.io.Metadata;
import zmq.msg.MsgAllocator;

/**
 * Bounds what a peer can make one of our JeroMQ sockets allocate and buffer, and, on a PUB
 * socket, which subscriptions reach JeroMQ's subscription trie. It answers what JeroMQ 0.6.0
 * lets a peer do with a few bytes:
 *
 * <ul>
 *   <li>A frame length with the top bit set is a negative {@code long}: it passes both size
 *       checks of {@code zmq.io.coder.Decoder.sizeReady} ({@code size > maxmsgsize} and
 *       {@code size > Integer.MAX_VALUE} are false), and the decoder then allocates
 *       {@code (int) size} bytes, up to 2 GiB, at once. The decoder takes every frame's
 *       buffer from the socket's {@link MsgAllocator}, so this allocator refuses such a size
 *       without allocating when {@code (int) size} is negative or over the limit. When the
 *       low 32 bits fall within 0 and the limit, the frame is read as a normal frame of that
 *       size and the connection goes on: the allocator is given only {@code (int) size}, so
 *       it cannot tell; nor is more allocated than for an honest frame of that size.</li>
 *   <li>The receive high-water mark counts whole messages, and an unfinished multipart message
 *       is not one: a peer that marks every frame MORE is buffered without end. This guard
 *       counts the frames and bytes of each connection's message under way and ends the
 *       message at the frame that reaches the bound, kept whole; the rest of it is dropped.
 *       A frame without MORE ends the message and is not counted, so a message holds less
 *       than twice the bound.</li>
 *   <li>A subscription is applied by the recursive {@code zmq.socket.pubsub.Mtrie.addHelper},
 *       one call per byte, on the thread that uses the socket: a 10,000-byte prefix overflows
 *       its stack. A PUB socket's frames are all subscriptions; this guard lets through only
 *       those a Parley client sends ({@code <channel>\0} or the empty prefix of ALL), and at
 *       most so many per connection.</li>
 * </ul>
 *
 * <p>How it sees frames without changing JeroMQ: {@code zmq.io.coder.v2.V2Decoder.allocate}
 * takes each frame's {@link Msg} from this allocator and sets its flags (MORE, COMMAND) at
 * once; for ZMTP 3 peers {@code zmq.io.StreamEngine.decodeAndPush} calls
 * {@link Msg#setMetadata} on every decoded frame, with the connection's own {@link Metadata}
 * (never null over TCP: it always holds Peer-Address; Socket-Type and other READY properties
 * only if the peer sent them), just before
 * {@code session.pushMsg(msg)}; and {@code zmq.io.SessionBase.pushMsg} silently drops a frame
 * flagged COMMAND. So the frames this allocator makes check themselves in
 * {@link Msg#setMetadata}, and a frame to drop is flagged COMMAND there.
 *
 * <p>ZMTP 1.0 and 2.0 peers skip {@code decodeAndPush} (no metadata), so {@link #install}
 * also sets a ZAP domain: {@code zmq.io.StreamEngine.handshake} then refuses those framings
 * ({@code zmq.io.SessionBase.zapEnabled}). With no ZAP handler bound in our contexts, the NULL
 * mechanism proceeds as before ({@code zmq.io.mechanism.NullMechanism}: {@code zapConnect}
 * fails and the handshake goes on), so ZMTP 3 peers see no difference.
 *
 * <p>Thread safety: safe from any thread; JeroMQ calls it on its I/O threads.
 */
final class FrameGuard implements MsgAllocator {
    /** The ZAP domain of every guarded socket; see the class comment. */
    static final String ZAP_DOMAIN = "parley";
    /** The longest subscription a Parley client sends: 1 (subscribe or cancel), 64 characters of 4 bytes, NUL. */
    static final int MAX_SUBSCRIPTION_BYTES = 2 + 4 * Names.MAX_CHANNEL_LENGTH;
    /**
     * The largest frame a PUB socket reads: a subscription, or a peer's handshake command
     * (READY and its properties), which the same size limit bounds.
     */
    static final int MAX_PUB_FRAME_BYTES = 1024;

    /**
     * Frames of at most this size are never refused for the budget, nor tracked while under
     * way: a connection holds no more than this in a frame the peer has not finished, about
     * what JeroMQ's own read buffer of a connection costs ({@code Config.IN_BATCH_SIZE}).
     */
    static final int SMALL_FRAME_BYTES = 8 * 1024;
    /** No budget: a socket with one connection (a client's), bounded by its frame and message limits. */
    static final long NO_BUDGET = Long.MAX_VALUE;

    private static final Logger log = LoggerFactory.getLogger(FrameGuard.class);
    private static final long LOG_INTERVAL_SECONDS = 10;

    private final String socketName;
    private final int maxFrameBytes;
    private final int maxMessageFrames;
    /**
     * The most bytes, over all connections, of frames allocated and not yet complete plus
     * frames of messages not yet complete (held in the connections' pipes); past it a frame
     * over {@link #SMALL_FRAME_BYTES} is refused like a bogus length.
     */
    private final long maxBufferedBytes;
    /** Subscriptions a connection may hold; 0 when the socket's frames are not subscriptions. */
    private final int maxSubscriptions;
    /** Bytes of the prefixes all connections together may hold subscribed (PUB sockets). */
    private final long maxSubscriptionBytes;

    private final AtomicLong bogusLengths = new AtomicLong();
    private final AtomicLong cutMessages = new AtomicLong();
    private final AtomicLong droppedSubscriptions = new AtomicLong();
    private final AtomicLong overBudget = new AtomicLong();
    private final LogThrottle bogusLog = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle cutLog = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle subscriptionLog = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle budgetLog = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);

    // The budget (guarded by this). A frame over SMALL_FRAME_BYTES counts from its allocation
    // until the engine hands it its metadata (complete), or, if the connection dies first, until
    // the collector finds it unreachable; a frame of a message under way counts from then until
    // the message ends, or until the connection's state is forgotten. Counting a frame twice
    // for a moment is allowed; never releasing it is not.
    private long bufferedBytes;
    /** The prefixes' bytes each connection holds subscribed, summed over the connections. */
    private long subscriptionBytes;
    private final Set<InFlight> inFlight = new HashSet<>();
    private final ReferenceQueue<GuardedMsg> abandoned = new ReferenceQueue<>();

    // Per connection, keyed by its Metadata object's identity (Metadata.equals compares
    // contents) and held weakly: a connection's state goes when JeroMQ drops its Metadata.
    // Guarded by this.
    private final Map<Key, Peer> peers = new HashMap<>();
    private final ReferenceQueue<Metadata> gone = new ReferenceQueue<>();
    /** Looks a connection up without making a reference per lookup; holds nothing between lookups. */
    private final Probe probe = new Probe();
    private Peer lastPeer; // the connection of the last frame: most frames follow their own

    private FrameGuard(String socketName, int maxFrameBytes, int maxMessageFrames, long maxBufferedBytes,
            int maxSubscriptions, long maxSubscriptionBytes) {
        this.socketName = socketName;
        this.maxFrameBytes = maxFrameBytes;
        this.maxMessageFrames = maxMessageFrames;
        this.maxBufferedBytes = maxBufferedBytes;
        this.maxSubscriptions = maxSubscriptions;
        this.maxSubscriptionBytes = maxSubscriptionBytes;
    }

    /**
     * A guard for a socket that reads messages: each frame at most {@code maxBytes}, each
     * multipart message ended at the frame that brings its frames but the last to {@code maxBytes}
     * or more (so a message holds less than twice {@code maxBytes}), at most {@code maxFrames}
     * frames per message, and at most {@code maxBufferedBytes} of unfinished frames and
     * messages over all connections ({@link #NO_BUDGET} for none).
     */
    static FrameGuard forMessages(String socketName, int maxBytes, int maxFrames, long maxBufferedBytes) {
        return new FrameGuard(socketName, maxBytes, maxFrames, maxBufferedBytes, 0, 0);
    }

    /**
     * A guard for a PUB socket: one-frame subscriptions a Parley client sends, at most
     * {@code maxSubscriptions} per connection, and prefixes of at most
     * {@code maxSubscriptionBytes} in all, summed over the connections (a prefix counts its
     * bytes, at least 1, once per connection that holds it).
     */
    static FrameGuard forSubscriptions(String socketName, int maxSubscriptions, long maxSubscriptionBytes) {
        return new FrameGuard(socketName, MAX_PUB_FRAME_BYTES, 1, NO_BUDGET, maxSubscriptions, maxSubscriptionBytes);
    }

    /**
     * Makes {@code socket} read through this guard: the size limit for JeroMQ's own check, this
     * allocator, and the ZAP domain that keeps out framings the guard cannot see. Call it
     * before the socket binds or connects: JeroMQ copies a socket's options into each
     * connection as it is made.
     */
    void install(ZMQ.Socket socket) {
        require(socket.setMaxMsgSize(maxFrameBytes), "setMaxMsgSize");
        require(socket.setMsgAllocator(this), "setMsgAllocator");
        require(socket.setZAPDomain(ZAP_DOMAIN), "setZAPDomain");
    }

    private static void require(boolean done, String option) {
        if (!done) {
            throw new IllegalStateException("JeroMQ refused " + option);
        }
    }

    /** Frames refused for a length over the limit or negative; their connections read no further. */
    long bogusLengths() {
        return bogusLengths.get();
    }

    /** Multipart messages ended at the bound. */
    long cutMessages() {
        return cutMessages.get();
    }

    /** Subscriptions (and other frames sent to a PUB socket) dropped. */
    long droppedSubscriptions() {
        return droppedSubscriptions.get();
    }

    /** Frames refused because the connections' unfinished frames and messages held the budget. */
    long overBudget() {
        return overBudget.get();
    }

    /** Bytes of the subscriptions all connections hold now, as counted against their budget. */
    synchronized long subscriptionBytes() {
        forgetClosed();
        return subscriptionBytes;
    }

    /** Bytes counted against the budget now. */
    synchronized long bufferedBytes() {
        forgetAbandoned();
        forgetClosed();
        return bufferedBytes;
    }

    /**
     * Called by the decoder for every frame with the size the peer declared, cast to an int
     * (see the class comment): a size below 0 or above the limit can only come from a length
     * with the top bit set, since JeroMQ refuses larger positive ones before asking. A length
     * with the top bit set whose low 32 bits are within the limit looks like an honest one here.
     */
    @Override
    public Msg allocate(int size) {
        if (size < 0 || size > maxFrameBytes) {
            return new GuardedMsg(0, Refusal.LENGTH, size);
        }
        if (size <= SMALL_FRAME_BYTES || maxBufferedBytes == NO_BUDGET) {
            return new GuardedMsg(size, null, size);
        }
        synchronized (this) {
            forgetAbandoned();
            if (bufferedBytes + size > maxBufferedBytes) {
                // Nothing allocated: the connection reads no further (see admit).
                return new GuardedMsg(0, Refusal.BUDGET, size);
            }
            GuardedMsg msg = new GuardedMsg(size, null, size);
            msg.inFlight = new InFlight(msg, abandoned, size);
            inFlight.add(msg.inFlight);
            bufferedBytes += size;
            return msg;
        }
    }

    /** Why a frame's declared size was refused. */
    private enum Refusal {
        /** Negative, or over the limit. */
        LENGTH,
        /** Over the budget of what all connections may have buffered. */
        BUDGET
    }

    /** A frame that checks itself when JeroMQ hands it the connection's metadata. */
    private final class GuardedMsg extends Msg {
        /** Why the declared size was refused (and nothing allocated), or null. */
        private final Refusal refusal;
        private final int declaredSize;
        /** Set while the frame counts against the budget (guarded by the guard). */
        private InFlight inFlight;

        GuardedMsg(int capacity, Refusal refusal, int declaredSize) {
            super(capacity);
            this.refusal = refusal;
            this.declaredSize = declaredSize;
        }

        @Override
        public Msg setMetadata(Metadata metadata) {
            super.setMetadata(metadata);
            // The engine calls this once the frame is complete (StreamEngine.decodeAndPush).
            if (metadata == null || isCommand()) { // a ZMTP command: the engine's, and dropped by the session
                if (inFlight != null) {
                    complete(this);
                }
            } else {
                try {
                    if (!admit(this, metadata)) {
                        setFlags(Msg.COMMAND); // SessionBase.pushMsg drops it
                    }
                } catch (RuntimeException e) {
                    // A bug of ours. Thrown on, JeroMQ's Poller.run would catch it and go on, but the
                    // engine's read would be abandoned (its other bytes wait for more to arrive)
                    // and the context's handler would report it; dropping the frame keeps the
                    // connection in step and says what failed.
                    log.error("{}: checking a frame failed, a bug; the frame is dropped", socketName, e);
                    setFlags(Msg.COMMAND);
                }
            }
            return this;
        }
    }

    /** A frame counted against the budget while under way; enqueued if its connection drops it unfinished. */
    private static final class InFlight extends WeakReference<GuardedMsg> {
        final int size;

        InFlight(GuardedMsg msg, ReferenceQueue<GuardedMsg> queue, int size) {
            super(msg, queue);
            this.size = size;
        }
    }

    /** {@code msg} is complete: it no longer counts as a frame under way. */
    private synchronized void complete(GuardedMsg msg) {
        InFlight f = msg.inFlight;
        if (f != null) {
            msg.inFlight = null;
            f.clear();
            release(f);
        }
    }

    /** Releases the frames that connections dropped unfinished (closed while a frame was under way). */
    private void forgetAbandoned() {
        for (Reference<? extends GuardedMsg> r; (r = abandoned.poll()) != null; ) {
            release((InFlight) r);
        }
    }

    /** A frame under way no longer counts against the budget; once only, whichever path comes first. */
    private void release(InFlight f) {
        if (inFlight.remove(f)) {
            bufferedBytes -= f.size;
        }
    }

    /** What this guard remembers of one connection. Guarded by the guard. */
    private static final class Peer {
        final PeerKey key;
        /** Set once a refused length left the connection's framing out of step: nothing more is read. */
        boolean desynchronised;
        /** Dropping the rest of a message ended at the bound, up to the peer's own last frame. */
        boolean discarding;
        int frames;
        long bytes;
        Set<String> subscriptions; // PUB sockets only
        long subscriptionBytes; // the bytes of their prefixes

        Peer(PeerKey key) {
            this.key = key;
        }
    }

    /** A key of {@link #peers}: equal when both stand for the same Metadata object. */
    private abstract static class Key {
        abstract Metadata metadata();

        /** The Metadata's identity hash, which a key keeps once its Metadata is collected. */
        abstract int hash();

        @Override
        public final int hashCode() {
            return hash();
        }

        @Override
        public final boolean equals(Object o) {
            if (o == this) {
                return true;
            }
            Metadata m = metadata();
            return o instanceof Key k && m != null && m == k.metadata();
        }
    }

    /** The key a connection's state is stored under: its Metadata, held weakly. */
    private static final class PeerKey extends Key {
        final WeakReference<Metadata> ref;
        private final int hash;

        PeerKey(Metadata metadata, ReferenceQueue<Metadata> queue) {
            this.ref = new Gone(metadata, queue, this);
            this.hash = System.identityHashCode(metadata);
        }

        @Override
        Metadata metadata() {
            return ref.get();
        }

        @Override
        int hash() {
            return hash;
        }
    }

    /** What the queue hands back once a connection's Metadata is collected: its key. */
    private static final class Gone extends WeakReference<Metadata> {
        final PeerKey key;

        Gone(Metadata metadata, ReferenceQueue<Metadata> queue, PeerKey key) {
            super(metadata, queue);
            this.key = key;
        }
    }

    /** The key a lookup uses: set for one lookup, cleared after it. */
    private static final class Probe extends Key {
        Metadata metadata;

        @Override
        Metadata metadata() {
            return metadata;
        }

        @Override
        int hash() {
            return System.identityHashCode(metadata);
        }
    }

    /** Forgets the connections whose Metadata JeroMQ dropped: they are closed. */
    private void forgetClosed() {
        for (Reference<? extends Metadata> r; (r = gone.poll()) != null; ) {
            Peer p = peers.remove(((Gone) r).key);
            if (p != null) {
                released(p);
            }
        }
    }

    /** A closed connection's state is gone: what it held is released. */
    private void released(Peer p) {
        if (p == lastPeer) {
            lastPeer = null;
        }
        endMessage(p); // the pipe that held its message under way is gone
        subscriptionBytes -= p.subscriptionBytes; // JeroMQ removed them from its trie with the pipe
        p.subscriptionBytes = 0;
        p.subscriptions = null;
    }

    /** The connection's message under way ended (whole, cut or gone): its frames leave the budget. */
    private void endMessage(Peer p) {
        bufferedBytes -= p.bytes;
        p.frames = 0;
        p.bytes = 0;
    }

    private Peer peer(Metadata metadata) {
        forgetClosed();
        Peer last = lastPeer;
        if (last != null && last.key.metadata() == metadata) {
            return last;
        }
        probe.metadata = metadata;
        Peer p;
        try {
            p = peers.get(probe);
        } finally {
            probe.metadata = null;
        }
        if (p == null) {
            PeerKey key = new PeerKey(metadata, gone);
            p = new Peer(key);
            peers.put(key, p);
        }
        lastPeer = p;
        return p;
    }

    /** Whether {@code msg} goes on to the socket; false drops it. Updates the connection's state. */
    private synchronized boolean admit(GuardedMsg msg, Metadata metadata) {
        complete(msg);
        forgetAbandoned();
        Peer p = peer(metadata);
        if (p.desynchronised) {
            return false;
        }
        if (msg.refusal != null) {
            // The bytes after the header were meant as the frame's body: from here on the
            // decoder reads the peer's data as headers, so nothing it makes of them is a frame.
            p.desynchronised = true;
            logRefusal(msg, metadata);
            if (p.frames > 0) {
                // End the message under way with this empty frame, so the socket reads it (and
                // refuses it) instead of holding its frames in the pipe for as long as the
                // connection lasts.
                msg.resetFlags(Msg.MORE);
                endMessage(p);
                return true;
            }
            return false;
        }
        boolean more = msg.hasMore();
        if (p.discarding) {
            if (!more) {
                p.discarding = false; // the peer's own last frame: the next message starts clean
            }
            return false;
        }
        if (maxSubscriptions > 0) {
            return admitSubscription(p, msg, more, metadata);
        }
        if (!more) {
            endMessage(p);
            return true;
        }
        p.frames++;
        p.bytes += msg.size();
        bufferedBytes += msg.size();
        if (p.frames >= maxMessageFrames || p.bytes >= maxFrameBytes) {
            // The message ends here: the socket gets a whole message, cut short, which its
            // reader refuses like any malformed one; the rest of it is dropped as it comes.
            msg.resetFlags(Msg.MORE);
            endMessage(p);
            p.discarding = true;
            cutMessages.incrementAndGet();
            long held = cutLog.admit();
            if (held >= 0) {
                log.warn("{}: {} sent a message that reached {} frames or {} bytes and went on; it was ended "
                                + "there and the rest is dropped ({} more like it not logged)",
                        socketName, address(metadata), maxMessageFrames, maxFrameBytes, held);
            }
        }
        return true;
    }

    private void logRefusal(GuardedMsg msg, Metadata metadata) {
        if (msg.refusal == Refusal.BUDGET) {
            overBudget.incrementAndGet();
            long held = budgetLog.admit();
            if (held >= 0) {
                log.warn("{}: {} declared a frame of {} bytes while connections held {} bytes of unfinished frames and "
                                + "messages, the budget being {}; nothing more is read from that connection "
                                + "({} more like it not logged)",
                        socketName, address(metadata), msg.declaredSize, bufferedBytes, maxBufferedBytes, held);
            }
            return;
        }
        bogusLengths.incrementAndGet();
        long held = bogusLog.admit();
        if (held >= 0) {
            log.warn("{}: {} declared a frame of {} bytes (as an int), over the limit of {}; nothing more is read "
                            + "from that connection ({} more like it not logged)",
                    socketName, address(metadata), msg.declaredSize, maxFrameBytes, held);
        }
    }

    private boolean admitSubscription(Peer p, GuardedMsg msg, boolean more, Metadata metadata) {
        byte[] data = msg.data();
        if (more) {
            p.discarding = true; // a subscription is one frame: drop the whole message
            return dropSubscription(metadata, data, "a message of several frames");
        }
        String topic = topicOf(data);
        if (topic == null) {
            return dropSubscription(metadata, data, "not a subscription a Parley client sends");
        }
        if (p.subscriptions == null) {
            p.subscriptions = new HashSet<>();
        }
        long cost = Math.max(1, data.length - 1); // the prefix; the empty one still takes a place
        if (data[0] == 0) {
            if (p.subscriptions.remove(topic)) {
                p.subscriptionBytes -= cost;
                subscriptionBytes -= cost;
            }
            return true;
        }
        if (p.subscriptions.contains(topic)) {
            return true;
        }
        if (p.subscriptions.size() >= maxSubscriptions) {
            return dropSubscription(metadata, data, "one more than the " + maxSubscriptions + " a connection may hold");
        }
        if (subscriptionBytes + cost > maxSubscriptionBytes) {
            return dropSubscription(metadata, data, "past the " + maxSubscriptionBytes
                    + " bytes of subscriptions all connections together may hold");
        }
        p.subscriptions.add(topic);
        p.subscriptionBytes += cost;
        subscriptionBytes += cost;
        return true;
    }

    private boolean dropSubscription(Metadata metadata, byte[] data, String why) {
        droppedSubscriptions.incrementAndGet();
        long held = subscriptionLog.admit();
        if (held >= 0) {
            log.warn("{}: dropped a subscription from {}, {}: {} ({} more like it not logged)",
                    socketName, address(metadata), why, excerpt(data), held);
        }
        return false;
    }

    /**
     * The channel a subscription message names, "" for the empty prefix (ALL), or null if it
     * is not one a Parley client sends. The message is a byte, 1 to subscribe or 0 to cancel,
     * and the prefix: empty, or a channel's UTF-8 name and a NUL (docs/PROTOCOL.md).
     */
    static String topicOf(byte[] data) {
        if (data.length == 0 || (data[0] != 0 && data[0] != 1)) {
            return null;
        }
        if (data.length == 1) {
            return "";
        }
        if (data.length > MAX_SUBSCRIPTION_BYTES || data[data.length - 1] != 0) {
            return null;
        }
        try {
            StrictUtf8.check(data, 1, data.length - 1, "subscription");
        } catch (ProtocolException e) {
            return null;
        }
        String channel = new String(data, 1, data.length - 2, StandardCharsets.UTF_8);
        return Names.isValidChannel(channel) && !Names.ALL.equals(channel) ? channel : null;
    }

    /** What a log line shows of a subscription: an escaped excerpt of its prefix. */
    private static String excerpt(byte[] data) {
        if (data.length == 0) {
            return "(an empty frame)";
        }
        int shown = Math.min(data.length - 1, 4 * PeerText.MAX_SHOWN);
        return PeerText.excerpt(new String(data, 1, shown, StandardCharsets.UTF_8))
                + (data.length - 1 > shown ? " (" + (data.length - 1) + " bytes)" : "");
    }

    private static String address(Metadata metadata) {
        String address = metadata.get(Metadata.PEER_ADDRESS);
        return address == null ? "a peer" : PeerText.excerpt(address);
    }
}
