package org.parley.bench;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Where every subscriber of a scenario reports what it received: a count per subscriber and,
 * in latency mode, a histogram of send-to-receive times.
 *
 * <p>Counts only grow; a round takes a {@link #mark()} at its start and measures from there, so
 * a late delivery from an earlier round never races with a reset.
 *
 * <p>Thread safety: each subscriber index must be reported from one thread at a time (its
 * receiving thread); the readers ({@link #delivered}, {@link #slowest}) may run on any thread.
 */
final class DeliverySink {
    /** Highest latency the histogram tracks; anything above is clamped (and would be a failure anyway). */
    static final long MAX_TRACKED_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Counter[] counters;
    private volatile Histogram latency;

    DeliverySink(int subscribers) {
        if (subscribers < 1) {
            throw new IllegalArgumentException("subscribers " + subscribers + " < 1");
        }
        counters = new Counter[subscribers];
        for (int i = 0; i < subscribers; i++) {
            counters[i] = new Counter();
        }
    }

    int subscribers() {
        return counters.length;
    }

    /** Reports one received payload for subscriber {@code sub}. */
    void deliver(int sub, byte[] bytes) {
        deliver(sub, bytes, 0);
    }

    /**
     * Reports one received payload for subscriber {@code sub} that starts at {@code offset} of
     * {@code bytes} (a publication's text, read in place); an offset outside them counts as a
     * payload that arrived altered.
     */
    void deliver(int sub, byte[] bytes, int offset) {
        boolean inside = offset >= 0 && offset + Payload.SIZE <= bytes.length;
        Counter c = textOf(sub, inside ? bytes[offset] : 0);
        if (c != null) {
            Histogram h = latency; // read once: recording may start meanwhile
            count(c, h, h != null ? Payload.stamp(bytes, offset) : 0);
        }
    }

    /**
     * Reports one received payload for subscriber {@code sub}, as a string: for clients that
     * deliver text (Parley's), so the benchmark does not copy every text into bytes.
     */
    void deliver(int sub, String text) {
        Counter c = textOf(sub, text.charAt(0));
        if (c != null) {
            Histogram h = latency; // read once: recording may start meanwhile
            count(c, h, h != null ? Payload.stamp(text) : 0);
        }
    }

    /** Subscriber {@code sub}'s counter if the payload starting with {@code marker} is a text. */
    private Counter textOf(int sub, int marker) {
        Counter c = counters[sub];
        if (marker == Payload.PROBE) {
            c.ready = true;
            return null;
        }
        if (marker != Payload.TEXT) {
            c.foreign++;
            return null;
        }
        return c;
    }

    /** Counts a text for {@code c}, and records its latency in {@code h} unless null. */
    private static void count(Counter c, Histogram h, long stamp) {
        if (h != null) {
            long nanos = System.nanoTime() - stamp;
            h.recordValue(Math.min(Math.max(nanos, 0), MAX_TRACKED_NANOS));
        }
        c.count = c.count + 1; // single writer per counter: a volatile write, no CAS needed
    }

    /** Marks subscriber {@code sub} as live without a probe (for systems that confirm subscriptions). */
    void ready(int sub) {
        counters[sub].ready = true;
    }

    /** Whether subscriber {@code sub} has received a probe (or was marked live). */
    boolean isReady(int sub) {
        return counters[sub].ready;
    }

    boolean allReady() {
        for (Counter c : counters) {
            if (!c.ready) {
                return false;
            }
        }
        return true;
    }

    /** The current count of every subscriber, to measure a round from. */
    long[] mark() {
        long[] m = new long[counters.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = counters[i].count;
        }
        return m;
    }

    /** Deliveries to all subscribers since {@code mark}. */
    long delivered(long[] mark) {
        long sum = 0;
        for (int i = 0; i < mark.length; i++) {
            sum += counters[i].count - mark[i];
        }
        return sum;
    }

    /** Deliveries to the subscriber that has received the fewest since {@code mark}. */
    long slowest(long[] mark) {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < mark.length; i++) {
            min = Math.min(min, counters[i].count - mark[i]);
        }
        return min;
    }

    /** Payloads that were neither texts nor probes (a broken system under test). */
    long foreign() {
        long sum = 0;
        for (Counter c : counters) {
            sum += c.foreign;
        }
        return sum;
    }

    /** Starts recording latencies into a fresh histogram (nanoseconds) and returns it. */
    Histogram startRecording() {
        Histogram h = new ConcurrentHistogram(MAX_TRACKED_NANOS, 3);
        latency = h;
        return h;
    }

    void stopRecording() {
        latency = null;
    }

    /** One subscriber's figures; padded apart so that receiving threads do not share a cache line. */
    private static final class Counter {
        @SuppressWarnings("unused")
        private long p1, p2, p3, p4, p5, p6, p7;
        volatile long count;
        volatile boolean ready;
        volatile long foreign;
        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7;
    }
}
