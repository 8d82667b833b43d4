package org.parley.zmq;

import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.parley.core.ProtocolException;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PeerText;
import org.parley.core.internal.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests of a {@link ZmqChatClient} waiting for their replies: each carries a {@code ref},
 * and the reply with that {@code ref} completes its future, or its timeout fails it. At most
 * {@code maxPendingRequests} wait at once; every reply's epoch is passed on.
 *
 * <p>Every request may be sent more than once (a history request reads, and a post carries an id
 * that the server records once): those sent on a connection that is lost before their replies
 * came are sent again, in their order and before any held since, on the next connection.
 *
 * <p>Thread safety: {@link #request} and {@link #awaitAnswers} may be called from any thread; the
 * requests in flight belong to the socket loop's thread, which sends them and calls the rest.
 */
final class RequestCorrelator {
    // Under the public class's name: one logger to configure for the whole client.
    private static final Logger log = LoggerFactory.getLogger(ZmqChatClient.class);

    private final ZmqClientOptions options;
    private final String endpoint;
    private final ClientLoop loop;
    private final Consumer<String> epochs;
    private final BooleanSupplier closing;
    /** Posts and reads: each kind has one timeout, so the deadlines of a lane come in its order. */
    private final Lane posts = new Lane();
    private final Lane reads = new Lane();
    private final AtomicInteger outstanding = new AtomicInteger(); // requests not yet answered
    private final AtomicLong refs = new AtomicLong();
    /** Completed when none is outstanding any more once closing began. */
    private final CompletableFuture<Void> answered = new CompletableFuture<>();
    /** One line per interval for each kind of bad reply a server sends, however often it sends it. */
    private final LogThrottle badReplyLog = new LogThrottle(10, TimeUnit.SECONDS);

    /** {@code epochs} hears each reply's epoch (null without one); {@code closing} refuses requests. */
    RequestCorrelator(ZmqClientOptions options, ClientLoop loop, Consumer<String> epochs, BooleanSupplier closing) {
        this.options = options;
        this.endpoint = "tcp://" + options.host() + ":" + options.postPort();
        this.loop = loop;
        this.epochs = epochs;
        this.closing = closing;
    }

    /**
     * Sends the request {@code encode} makes of a fresh ref, until its reply or {@code timeout};
     * its future completes on the loop's thread.
     */
    <T> CompletableFuture<T> request(Function<String, byte[]> encode, Decoder<T> decoder, Duration timeout,
            boolean post) {
        String ref = Long.toString(refs.incrementAndGet(), 36);
        byte[] body = encode.apply(ref);
        if (closing.getAsBoolean()) {
            return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
        }
        if (options.postPort() == ZmqClientOptions.NO_PORT) {
            return CompletableFuture.failedFuture(new IllegalStateException("this client has no post port"));
        }
        if (outstanding.incrementAndGet() > options.maxPendingRequests()) {
            finished();
            return CompletableFuture.failedFuture(new IOException(
                    "too many requests waiting: " + options.maxPendingRequests()));
        }
        Pending<T> p = new Pending<>(ref, body, decoder, timeout, post);
        loop.execute(p);
        return p.future;
    }

    /**
     * Waits for the answers to the requests in flight until {@code deadline}. No longer than the
     * request timeout either: a request without an answer by then fails, and counts no more.
     */
    void awaitAnswers(long deadline) {
        if (outstanding.get() == 0) {
            return;
        }
        try {
            Threads.await(answered, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        } catch (IOException e) {
            log.debug("{} requests to {} unanswered at close; they fail as it stops", outstanding.get(), endpoint);
        }
    }

    private void finished() {
        // Counted down before closing is read; closing is set before awaitAnswers counts.
        if (outstanding.decrementAndGet() == 0 && closing.getAsBoolean()) {
            answered.complete(null);
        }
    }

    // ---- loop thread below

    /**
     * Sends request {@code ref} again, whole, after the server said its body came without the
     * delimiter (the connection ended between the two frames, and the body alone reached the
     * next one); once only: a server that says so again gets the error to fail it with, so no
     * server can keep a request going round. False if it is not waiting or went again already.
     */
    private boolean resendSplit(String ref) {
        Lane lane = posts.sent.containsKey(ref) ? posts : reads;
        Pending<?> p = lane.sent.get(ref);
        if (p == null || p.split) {
            return false;
        }
        p.split = true;
        return lane.sendAgain(ref);
    }

    /** A reply's frames: an empty delimiter and one body. Replies come in order. */
    void receive(List<byte[]> frames) {
        if (frames.size() != 2 || frames.get(0).length != 0) {
            badReply("a reply of " + frames.size() + " frames, not an empty delimiter and one body");
            return;
        }
        Wire.Fields reply;
        String ref;
        try {
            reply = Wire.read(frames.get(1), "reply", Wire.OK);
            ref = reply.string("ref");
        } catch (ProtocolException e) {
            badReply(e.getMessage());
            return;
        }
        epochs.accept(reply.text(Wire.EPOCH));
        loop.answered();
        if (ref != null && !reply.isTrue("ok") && Wire.NO_DELIMITER.equals(reply.text("error")) && resendSplit(ref)) {
            return;
        }
        if (ref != null && !reply.isTrue("ok") && Wire.SHUTTING_DOWN.equals(reply.text("error"))) {
            // Not taken: it goes again, in its place, to the server that comes next on the port.
            if (!posts.sendAgain(ref)) {
                reads.sendAgain(ref);
            }
            loop.serverStopping();
            return;
        }
        // One without ref (an error about the envelope) is the oldest request's.
        Pending<?> p = ref != null ? posts.take(ref) : null;
        if (p == null) {
            p = ref != null ? reads.take(ref) : oldest();
        }
        if (p == null) {
            log.debug("reply {} from {} arrived after its request timed out", PeerText.excerpt(ref), endpoint);
            return;
        }
        p.answer(reply);
    }

    /** The oldest request sent, of either lane, taken out; null if none. */
    private Pending<?> oldest() {
        Pending<?> post = posts.sent.isEmpty() ? null : posts.sent.values().iterator().next();
        Pending<?> read = reads.sent.isEmpty() ? null : reads.sent.values().iterator().next();
        Pending<?> first = post == null ? read : read == null || post.number < read.number ? post : read;
        return first == null ? null : first.lane.take(first.ref);
    }

    /**
     * DEALER's connection went: what it held is lost, so the requests sent on it and not
     * answered go again, in their order and before any held, once there is a connection. A
     * reply read meanwhile still answers one.
     */
    void connectionLost() {
        posts.sendAgain();
        reads.sendAgain();
    }

    /** Logs, once per interval, a reply that was ignored; {@code why} may quote the server, so it is an excerpt. */
    private void badReply(String why) {
        long held = badReplyLog.admit();
        if (held >= 0) {
            log.warn("reply from {} ignored: {} ({} more not logged)", endpoint, PeerText.excerpt(why), held);
        }
    }

    /** Fails the requests whose time is up; how long the loop may wait for the next one, at most {@code max} ms. */
    long expire(long max) {
        long now = System.nanoTime();
        long next = Math.min(posts.expire(now), reads.expire(now)); // the nearest deadline to come
        if (loop.dealerUp() && (!posts.held.isEmpty() || !reads.held.isEmpty())) {
            max = Math.min(max, 10); // connected but not taken yet: look again soon
        }
        return next == Long.MAX_VALUE ? max : Math.min(max, TimeUnit.NANOSECONDS.toMillis(next) + 1);
    }

    /** The loop ends: every request sent or held fails. */
    void failAll() {
        posts.failAll();
        reads.failAll();
    }

    /**
     * DEALER is connected, and no reply from before waits to be read: sends what a lost
     * connection held again, then the requests held, oldest first, as far as it takes them.
     */
    void sendHeld() {
        if (posts.resend() && reads.resend()) {
            posts.sendHeld();
            reads.sendHeld();
        }
    }

    /**
     * The requests of one kind, posts or reads. Loop thread only.
     */
    private final class Lane {
        /** Sent and not answered (some to go again: {@link Pending#again}), by ref, oldest first. */
        final Map<String, Pending<?>> sent = new LinkedHashMap<>();
        /** Not sent yet, oldest first: DEALER had no connection, or others wait to go again before them. */
        final java.util.ArrayDeque<Pending<?>> held = new java.util.ArrayDeque<>();
        /** How many of {@link #sent} are to go again. */
        int again;

        Pending<?> take(String ref) {
            Pending<?> p = sent.remove(ref);
            if (p != null && p.again) {
                again--;
            }
            return p;
        }

        /** The request {@code ref}, which the server did not take, goes again; false if it is not here. */
        boolean sendAgain(String ref) {
            Pending<?> p = sent.get(ref);
            if (p == null) {
                return false;
            }
            p.sent = false; // the server said it did not take it
            if (!p.again) {
                p.again = true;
                again++;
            }
            return true;
        }

        void sendAgain() {
            for (Pending<?> p : sent.values()) {
                if (!p.again) {
                    p.again = true;
                    again++;
                }
            }
        }

        /** Sends again what a lost connection held; false if DEALER took not all of them. */
        boolean resend() {
            if (again == 0) {
                return true;
            }
            for (Pending<?> p : sent.values()) {
                if (p.again) {
                    if (!loop.send(p.body)) {
                        return false;
                    }
                    p.again = false;
                    if (--again == 0) {
                        return true;
                    }
                }
            }
            return true;
        }

        void sendHeld() {
            Pending<?> p;
            while ((p = held.peek()) != null) {
                if (p.deadline - System.nanoTime() <= 0) {
                    held.poll().timedOut(); // its time is up: it is never sent
                } else if (loop.send(p.body)) {
                    held.poll();
                    p.sent = true;
                    sent.put(p.ref, p);
                } else {
                    return;
                }
            }
        }

        /** Fails the oldest whose time is up; the nearest deadline of the rest, or Long.MAX_VALUE. */
        long expire(long now) {
            long next = Long.MAX_VALUE;
            for (Iterator<Pending<?>> it = sent.values().iterator(); it.hasNext(); ) {
                Pending<?> p = it.next();
                if (p.deadline - now > 0) { // the rest are later: one timeout for the lane
                    next = p.deadline - now;
                    break;
                }
                it.remove();
                if (p.again) {
                    again--;
                }
                p.timedOut();
            }
            Pending<?> p;
            while ((p = held.peek()) != null && p.deadline - now <= 0) {
                held.poll().timedOut(); // not sent: it is posted once at most, and reported failed
            }
            return p == null ? next : Math.min(next, p.deadline - now);
        }

        void failAll() {
            for (Pending<?> p : sent.values()) {
                p.fail(new IOException(p.post
                        ? "client closed before the reply arrived; the server may have recorded the post"
                        : "client closed before the reply arrived"));
            }
            sent.clear();
            again = 0;
            for (Pending<?> p : held) {
                p.fail(new IOException("client closed before the request was sent"));
            }
            held.clear();
        }
    }

    // ---- replies

    /** How a reply becomes a value: {@link Wire#ack} or {@link Wire#page}. */
    @FunctionalInterface
    interface Decoder<T> {
        T decode(Wire.Fields reply) throws ProtocolException;
    }

    /** A request queued for the loop, then sent and waiting for its reply. */
    private final class Pending<T> implements ClientLoop.Abandonable {
        final String ref;
        final byte[] body;
        final Decoder<T> decoder;
        final Duration timeout;
        final long deadline;
        final CompletableFuture<T> future = new CompletableFuture<>();
        final Lane lane;
        /** Its ref as a number: the order requests were made in. */
        final long number;
        /** Whether it went to a server at least once: then the server may have it. */
        boolean sent;
        /** Sent on a connection that was lost before its reply came: to go again. */
        boolean again;
        /** Sent again once because its body reached the server without its delimiter. */
        boolean split;

        final boolean post;

        Pending(String ref, byte[] body, Decoder<T> decoder, Duration timeout, boolean post) {
            this.post = post;
            this.lane = post ? posts : reads;
            this.number = Long.parseLong(ref, 36);
            this.ref = ref;
            this.body = body;
            this.decoder = decoder;
            this.timeout = timeout;
            this.deadline = System.nanoTime() + timeout.toNanos();
        }

        /** On the loop's thread: sends it, or holds it until DEALER can take it (behind any held before it). */
        @Override
        public void run() {
            if (deadline - System.nanoTime() <= 0) {
                timedOut(); // the loop came to it too late: it is never sent
            } else if (lane.held.isEmpty() && lane.again == 0 && loop.dealerUp() && loop.send(body)) {
                sent = true;
                lane.sent.put(ref, this);
            } else {
                // No connection up yet, or others go first: sent once they went, if its time is not up.
                lane.held.add(this);
            }
        }

        /**
         * Its time is up, sent or not: either way it was not answered, and it goes no more. A
         * post never sent is sure not to be recorded; one sent may have reached a server that
         * went before it answered, which then delivered it, and the error says so (not when the
         * connection's handshake failed: nothing sent on it reached a server).
         */
        void timedOut() {
            Duration t = timeout;
            fail(new IOException("no reply from " + endpoint + " within "
                    + (t.toMillis() % 1000 == 0 ? t.toSeconds() + " s" : t.toMillis() + " ms")
                    + (post && sent && loop.handshakeFailure() == null
                            ? "; the server may have recorded it before it went" : loop.whyNoReply())));
        }

        @Override
        public void abandon() {
            fail(new IOException("client closed before the request was sent"));
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
}
