package org.parley.bench.attack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A good client's record: each message it sent (numbered from 0) with the phase it was sent
 * in, which of them came back, and when each post was acknowledged.
 *
 * <p>Thread safety: guarded by this; the sender and the receiver may be different threads.
 */
final class DeliveryLog {
    private final List<Phase> phaseOf = new ArrayList<>(); // guarded by this
    private final List<Long> sentAt = new ArrayList<>(); // guarded by this
    private final List<Long> ackedAt = new ArrayList<>(); // guarded by this; null until acknowledged
    private final BitSet received = new BitSet(); // guarded by this
    private final CountDownLatch firstReceived = new CountDownLatch(1);
    private volatile Phase phase = Phase.WARMUP;

    void phase(Phase p) {
        phase = p;
    }

    Phase phase() {
        return phase;
    }

    /** Records a message sent now in the current phase; returns its number. */
    synchronized int sent() {
        phaseOf.add(phase);
        sentAt.add(System.nanoTime());
        ackedAt.add(null);
        return phaseOf.size() - 1;
    }

    synchronized void acked(int n) {
        if (n >= 0 && n < ackedAt.size() && ackedAt.get(n) == null) {
            ackedAt.set(n, System.nanoTime());
        }
    }

    void received(int n) {
        synchronized (this) {
            if (n < 0 || n >= phaseOf.size()) {
                return; // not ours: a number this client never sent
            }
            received.set(n);
        }
        firstReceived.countDown();
    }

    boolean awaitFirst(long timeoutMillis) throws InterruptedException {
        return firstReceived.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    synchronized Delivery delivery(Phase p) {
        int sent = 0;
        int got = 0;
        for (int i = 0; i < phaseOf.size(); i++) {
            if (phaseOf.get(i) == p) {
                sent++;
                if (received.get(i)) {
                    got++;
                }
            }
        }
        return new Delivery(sent, got);
    }

    /** Acknowledgement latencies in milliseconds of the posts sent in {@code p}, sorted; unacknowledged ones left out. */
    synchronized double[] ackMillis(Phase p) {
        double[] out = new double[phaseOf.size()];
        int k = 0;
        for (int i = 0; i < phaseOf.size(); i++) {
            if (phaseOf.get(i) == p && ackedAt.get(i) != null) {
                out[k++] = (ackedAt.get(i) - sentAt.get(i)) / 1e6;
            }
        }
        double[] sorted = Arrays.copyOf(out, k);
        Arrays.sort(sorted);
        return sorted;
    }

    /** The value at quantile {@code q} (0..1) of sorted values, nearest rank; NaN if none. */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
