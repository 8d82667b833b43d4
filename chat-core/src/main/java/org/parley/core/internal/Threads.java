package org.parley.core.internal;

/**
 * Waiting for a thread to end within a time limit, as every close() of the transports does.
 *
 * <p>Thread safety: stateless.
 */
public final class Threads {
    private Threads() {
    }

    /**
     * Waits up to {@code millis} for {@code thread} to end; whether it did. An interrupt ends
     * the wait early and is kept for the caller. Never interrupts {@code thread}: a ZeroMQ
     * thread must not be.
     */
    public static boolean join(Thread thread, long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
