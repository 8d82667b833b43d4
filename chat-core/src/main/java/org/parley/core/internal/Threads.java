package org.parley.core.internal;

import java.util.concurrent.TimeUnit;

/**
 * Waiting for a thread to end within a time limit, as every close() of the transports does.
 *
 * <p>Thread safety: stateless.
 */
public final class Threads {
    private Threads() {
    }

    /**
     * Waits up to {@code millis} (at least one: {@link Thread#join(long)} would take 0 as for
     * ever) for {@code thread} to end; whether it did. An interrupt ends the wait early and is
     * kept for the caller. Never interrupts {@code thread}: a ZeroMQ thread must not be.
     */
    public static boolean join(Thread thread, long millis) {
        try {
            thread.join(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }

    /** {@link #join(Thread, long)} until {@code deadline}, a {@link System#nanoTime()}. */
    public static boolean joinUntil(Thread thread, long deadline) {
        return join(thread, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }
}
