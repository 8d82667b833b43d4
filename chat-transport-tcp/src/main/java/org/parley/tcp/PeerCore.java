package org.parley.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.Names;
import org.parley.core.ProtocolException;
import org.parley.core.internal.DeliveryThread;
import org.parley.core.internal.LogThrottle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link TopicClient} and a {@link DirectPeer} share: a {@link NioLoop}, the open
 * connections, and a delivery thread on which the user's {@link TcpListener} is called.
 *
 * <p>Thread safety: {@link #sendToAll}, {@link #peerCount} and {@link #close} may be called
 * from any thread; the {@link WireLink.Handler} methods run on the selector thread.
 */
final class PeerCore implements WireLink.Handler {
    private static final Logger log = LoggerFactory.getLogger(PeerCore.class);
    /**
     * Messages (and other listener calls) waiting for the listener, at most: the bound of the
     * delivery queue counts each message of a batch, so it holds whatever the size of a read.
     */
    static final int DELIVERY_CAPACITY = 100_000;
    /** How long closing lets queued bytes be written. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

    final NioLoop loop;
    /** What this core's connections share through the codec stage. */
    final WireLink.Settings wireSettings = WireLink.Settings.clientDefaults();
    /** The group whose loop this core shares, or null when it owns its loop (a listening core). */
    private final TcpClientGroup group;
    private final DeliveryThread delivery;
    private final TcpListener listener;
    private final boolean single; // one connection: its end is the end of the whole
    /** A listening core's caps on the peers it accepts; null for a core of one connection. */
    private final ConnectionCaps caps;
    private final LogThrottle refusedLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final Set<WireLink> peers = new LinkedHashSet<>(); // selector thread only
    private final AtomicInteger peerCount = new AtomicInteger();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    /**
     * Set by a client that reconnects: told when its single connection ends while the core is
     * open; if it answers true it takes over (reconnects, or ends the core itself), and the
     * core neither ends nor reports the peer as left. Null: the end of the connection ends the core.
     */
    volatile LinkLoss linkLoss;
    /** Set by a client that uses the extension (acks, resume): it takes those frames. Null: they are errors. */
    volatile Extension extension;

    /** What a client of the extension does with an ack or a registered frame; selector thread. */
    @FunctionalInterface
    interface Extension {
        void onFrame(WireLink c, WireCodec.Frame frame) throws ProtocolException;
    }

    /** Whether a peer joined was reported (single, reconnecting: only the first is). Selector thread only. */
    private boolean joinedReported;
    /** Messages decoded by the current read, handed to the delivery thread together; selector thread only. */
    private List<TcpMessage> batch = new ArrayList<>();

    /**
     * A listening core, with its own selector thread, that serves the peers it accepts within
     * {@code caps}; or, with {@code caps} null, a core of a single connection, whose end is the
     * end of the whole, on the selector thread the process's clients share.
     */
    PeerCore(String name, TcpListener listener, ConnectionCaps caps) throws IOException {
        this.caps = caps;
        this.single = caps == null;
        this.listener = listener;
        this.delivery = new DeliveryThread("parley-tcp-delivery-" + name, DELIVERY_CAPACITY);
        try {
            this.group = single ? TcpClientGroup.join(this) : null;
        } catch (IOException e) {
            delivery.close(CLOSE_TIMEOUT);
            throw e;
        }
        try {
            this.loop = single ? group.loop : clientLoop("parley-tcp-selector-" + name);
        } catch (IOException e) { // a selector could not be opened (no file descriptors left)
            delivery.close(CLOSE_TIMEOUT);
            throw e;
        }
        if (!single) {
            loop.start();
        }
    }

    /**
     * A selector loop for clients (the shared one, or a listening peer's own), with the defaults of a server's
     * limits: a hostile server meets the same bounds as a hostile client (the outbound cap and
     * keep-alive here; the frame limit on an unfinished object and its deadline in
     * {@link #wireSettings}).
     */
    static NioLoop clientLoop(String threadName) throws IOException {
        return new NioLoop(threadName, NioLoop.Settings.clientDefaults());
    }

    /** The user's listener. */
    TcpListener listener() {
        return listener;
    }

    int peerCount() {
        return peerCount.get();
    }

    boolean isOpen() {
        return !finished.get() && !closing.get();
    }

    /** A link for {@code c}, read for this core. */
    WireLink link(Connection c) {
        return new WireLink(c, this, wireSettings);
    }

    /** Queues one message per open connection, encoded by {@code encoder}; false if none was queued. */
    boolean sendToAll(Function<WireLink, ByteBuffer> encoder) {
        if (!isOpen() || peerCount.get() == 0) {
            return false;
        }
        return loop.execute(() -> {
            for (WireLink c : List.copyOf(peers)) {
                c.send(encoder.apply(c));
            }
        });
    }

    /** {@code text} if it may be sent; else the rule it breaks, as the misuse it is. */
    static String checkText(String text) {
        return check(() -> Names.requireText(text, ChatLimits.DEFAULT));
    }

    /** A rule of {@link Names} checked on a caller's argument: a broken rule is misuse here. */
    static String check(Rule rule) {
        try {
            return rule.check();
        } catch (ProtocolException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    @FunctionalInterface
    interface Rule {
        String check() throws ProtocolException;
    }

    /** Queues one message on {@code c}, a link made by this core's loop; false if closed. */
    boolean sendTo(WireLink c, Function<WireLink, ByteBuffer> encoder) {
        if (!isOpen()) {
            return false;
        }
        // Runs after the task that registered c: the loop's queue is first in, first out.
        return loop.execute(() -> c.send(encoder.apply(c)));
    }

    /** Writes what is queued (for up to two seconds), closes every connection and stops the threads. */
    void close() {
        startClose();
        awaitDone(System.nanoTime() + CLOSE_TIMEOUT.toNanos());
        endClose();
    }

    /** Asks the loop to write what is queued and then close this core's connections. */
    void startClose() {
        if (closing.compareAndSet(false, true)) {
            // Waits for room: on the shared loop a full queue is other clients' traffic, and a
            // close lost to it would leave this client's socket open.
            if (!loop.executeWaiting(() -> {
                if (peers.isEmpty()) {
                    finish(null);
                }
                for (WireLink c : List.copyOf(peers)) {
                    c.closeAfterFlush();
                }
            }, System.nanoTime() + CLOSE_TIMEOUT.toNanos())) {
                finish(null); // the loop has stopped, and its connections with it (or is stuck: endClose cuts)
            }
        }
    }

    /** Waits until the connections are closed or {@code deadline} (System.nanoTime()) passes. */
    void awaitDone(long deadline) {
        try {
            if (!done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                log.warn("closing: queued bytes not written within {}", CLOSE_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Cuts what is left, stops the delivery thread (and the loop, if this core owns it). */
    void endClose() {
        if (group == null) {
            loop.close(); // closes what is left; its handler calls finish()
        } else {
            // The loop is shared: cut only this core's connections, whose ends finish this core.
            if (peerCount.get() > 0 || done.getCount() > 0) {
                long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
                if (loop.executeWaiting(() -> {
                    for (WireLink c : List.copyOf(peers)) {
                        c.close();
                    }
                }, deadline)) {
                    awaitDone(deadline);
                } else {
                    log.warn("closing: the shared selector thread took no task within {}; the connection is left to it",
                            CLOSE_TIMEOUT);
                }
            }
            group.leave(this);
        }
        finish(null);
        delivery.close(CLOSE_TIMEOUT);
    }

    /** Waits until the whole has ended (by close, or by the end of its single connection). */
    boolean awaitClosed(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpen(WireLink c) {
        if (caps != null) {
            c.attachment = caps; // counted in: its end counts it out
            String refused = caps.admit(c.remote());
            if (refused != null) {
                long held = refusedLog.admit();
                if (held >= 0) {
                    log.warn("refusing {}: {} ({} more like it not logged)", c, refused, held);
                }
                c.fail(refused); // never a peer: the listener hears nothing of it
                return;
            }
        }
        peers.add(c);
        peerCount.incrementAndGet();
        if (!(single && linkLoss != null && joinedReported)) {
            joinedReported = true;
            deliver(() -> listener.onPeerJoined(c.remote()));
        }
    }

    /** What a reconnecting client does when its connection ends; selector thread. */
    @FunctionalInterface
    interface LinkLoss {
        /** {@code c} ended (cause null: the server closed it cleanly); true if the client takes over. */
        boolean lost(WireLink c, IOException cause);
    }

    @Override
    public void onFrame(WireLink c, WireCodec.Frame frame) throws ProtocolException {
        if (frame instanceof WireCodec.Chat chat) {
            Extension ext = extension;
            if (ext != null && chat.seq() > 0) {
                ext.onFrame(c, frame); // numbered (extension): the client orders it
                return;
            }
            batch.add(chat.message()); // delivered at the end of this read, in order, with its neighbours
        } else if (frame instanceof WireCodec.Error e) {
            // The other side closes after an error; say what it was.
            deliver(() -> listener.onError(c.remote(), e.error()));
        } else if (frame instanceof WireCodec.Registration) {
            throw new ProtocolException("unexpected registration: only a topic server takes one");
        } else {
            Extension ext = extension;
            if (ext == null) {
                throw new ProtocolException("unexpected " + (frame instanceof WireCodec.Ack ? "ack"
                        : frame instanceof WireCodec.Presence ? "presence" : "registered")
                        + ": this peer asked for none");
            }
            ext.onFrame(c, frame);
        }
    }

    @Override
    public void onReadComplete(WireLink c) {
        flushBatch();
    }

    /**
     * Hands the messages of the last read to the delivery thread as one task: one wake-up of
     * that thread per read, not per message, weighing as many as it holds. Each listener call
     * still fails on its own.
     */
    private void flushBatch() {
        if (batch.isEmpty()) {
            return;
        }
        List<TcpMessage> messages = batch;
        batch = new ArrayList<>();
        if (!delivery.submitEach(messages, listener::onMessage)) {
            log.warn("{} messages were dropped: the delivery queue is full or closed", messages.size());
        }
    }

    @Override
    public void onClose(WireLink c, IOException cause) {
        if (caps != null && c.attachment == caps) {
            caps.release(c.remote());
        }
        LinkLoss loss = linkLoss;
        boolean takenOver = single && loss != null && isOpen() && loss.lost(c, cause);
        if (peers.remove(c)) {
            peerCount.decrementAndGet();
            if (!takenOver) {
                deliver(() -> listener.onPeerLeft(c.remote(), cause));
            }
        }
        if (takenOver) {
            return;
        }
        if (single || (closing.get() && peers.isEmpty())) {
            finish(cause);
        }
    }

    @Override
    public void onProtocolError(WireLink c, String error) {
        deliver(() -> listener.onError(c.remote(), "bad input from " + c.remote() + ": " + error));
    }

    /** Ends the whole with {@code cause} (a reconnecting client that gave up). */
    void end(IOException cause) {
        finish(cause);
    }

    private void finish(IOException cause) {
        if (finished.compareAndSet(false, true)) {
            deliver(() -> listener.onClosed(cause));
            done.countDown();
            if (group != null) {
                group.leave(this);
            }
            if (group == null && loop.inLoop()) {
                loop.close(); // does not wait when called on the loop itself
            }
        }
    }

    /** Calls the listener on the delivery thread, after what was read before. */
    void deliver(Runnable call) {
        if (loop.inLoop()) {
            flushBatch(); // what was read before this event is delivered before it
        }
        if (!delivery.submit(call)) {
            log.warn("a listener call was dropped: the delivery queue is full or closed");
        }
    }
}
