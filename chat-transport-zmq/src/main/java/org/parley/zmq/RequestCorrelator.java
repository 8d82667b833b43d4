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
    /** Sent and not yet answered, by ref, oldest first. Loop thread only. */
    private final Map<String, Pending<?>> pending = new LinkedHashMap<>();
    /**
     * Not sent yet, oldest first: DEALER has no connection to the server. Sent once it has; one
     * whose time is up first fails and is never sent. Loop thread only.
     */
    private final java.util.ArrayDeque<Pending<?>> held = new java.util.ArrayDeque<>();
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
        // One without ref (an error about the envelope) is the oldest request's.
        Pending<?> p = ref != null ? pending.remove(ref)
                : pending.isEmpty() ? null : pending.remove(pending.keySet().iterator().next());
        if (p == null && ref != null) {
            p = unhold(ref); // read after its connection was lost, before it went again
        }
        if (p == null) {
            log.debug("reply {} from {} arrived after its request timed out", PeerText.excerpt(ref), endpoint);
            return;
        }
        p.answer(reply);
    }

    private Pending<?> unhold(String ref) {
        for (Iterator<Pending<?>> it = held.iterator(); it.hasNext(); ) {
            Pending<?> p = it.next();
            if (p.ref.equals(ref)) {
                it.remove();
                return p;
            }
        }
        return null;
    }

    /**
     * DEALER's connection went: what it held is lost, so the requests sent on it and not
     * answered go again, first, once there is a connection.
     */
    void connectionLost() {
        if (pending.isEmpty()) {
            return;
        }
        java.util.ArrayDeque<Pending<?>> again = new java.util.ArrayDeque<>(pending.values());
        pending.clear();
        again.addAll(held);
        held.clear();
        held.addAll(again);
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
        long next = Long.MAX_VALUE; // the nearest deadline still to come
        for (Iterator<Pending<?>> it = held.iterator(); it.hasNext(); ) {
            Pending<?> p = it.next();
            if (p.deadline - now <= 0) {
                it.remove();
                p.timedOut(); // not sent (again): it is posted once at most, and reported failed
            } else {
                next = Math.min(next, p.deadline - now);
            }
        }
        if (!held.isEmpty()) {
            // Connected but not taken yet: look again soon.
            max = Math.min(max, loop.dealerUp() ? 10 : max);
        }
        for (Iterator<Pending<?>> it = pending.values().iterator(); it.hasNext(); ) {
            Pending<?> p = it.next();
            if (p.deadline - now <= 0) {
                it.remove();
                p.timedOut();
            } else {
                next = Math.min(next, p.deadline - now);
            }
        }
        return next == Long.MAX_VALUE ? max : Math.min(max, TimeUnit.NANOSECONDS.toMillis(next) + 1);
    }

    /** The loop ends: every request sent or held fails. */
    void failAll() {
        IOException closed = new IOException("client closed before the reply arrived");
        for (Pending<?> p : pending.values()) {
            p.fail(closed);
        }
        pending.clear();
        for (Pending<?> p : held) {
            p.fail(new IOException("client closed before the request was sent"));
        }
        held.clear();
    }

    /** DEALER is connected: sends the requests held for it, oldest first, as far as it takes them. */
    void sendHeld() {
        Pending<?> p;
        while ((p = held.peek()) != null) {
            if (p.deadline - System.nanoTime() <= 0) {
                held.poll().timedOut(); // its time is up: it is never sent
            } else if (loop.send(p.body)) {
                held.poll();
                p.sent = true;
                pending.put(p.ref, p);
            } else {
                return;
            }
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
        /** Whether it went to a server at least once: then the server may have it. */
        boolean sent;

        final boolean post;

        Pending(String ref, byte[] body, Decoder<T> decoder, Duration timeout, boolean post) {
            this.post = post;
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
            } else if (held.isEmpty() && loop.dealerUp() && loop.send(body)) {
                sent = true;
                pending.put(ref, this);
            } else {
                held.add(this); // no connection up yet: sent once there is, if its time is not up
            }
        }

        /**
         * Its time is up, sent or not: either way it was not answered, and it goes no more. A
         * post never sent is sure not to be recorded; one sent may have reached a server that
         * went before it answered, which then delivered it, and the error says so.
         */
        void timedOut() {
            Duration t = timeout;
            fail(new IOException("no reply from " + endpoint + " within "
                    + (t.toMillis() % 1000 == 0 ? t.toSeconds() + " s" : t.toMillis() + " ms")
                    + (post && sent ? "; the server may have recorded it before it went" : "")));
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
