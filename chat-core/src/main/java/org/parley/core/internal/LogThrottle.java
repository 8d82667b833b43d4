package org.parley.core.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one kind of log line through at most once per interval, and counts the ones it held
 * back, so a peer that repeats a mistake a million times makes a few lines, not a million.
 *
 * <pre>{@code
 * long held = badInput.admit();
 * if (held >= 0) {
 *     log.warn("bad request from {} ({} more like it not logged)", peer, held);
 * }
 * }</pre>
 *
 * <p>Not part of Parley's API: it may change without notice.
 *
 * <p>Thread safety: safe from any thread.
 */
public final class LogThrottle {
    private final long intervalNanos;
    private final AtomicLong nextNanos;
    private final AtomicLong held = new AtomicLong();

    public LogThrottle(long interval, TimeUnit unit) {
        this.intervalNanos = unit.toNanos(interval);
        this.nextNanos = new AtomicLong(System.nanoTime());
    }

    /**
     * Whether to log now: the number of lines held back since the last one let through (0 or
     * more) if so, -1 if this one is held back too.
     */
    public long admit() {
        long now = System.nanoTime();
        long next = nextNanos.get();
        if (now - next >= 0 && nextNanos.compareAndSet(next, now + intervalNanos)) {
            return held.getAndSet(0);
        }
        held.incrementAndGet();
        return -1;
    }
}
