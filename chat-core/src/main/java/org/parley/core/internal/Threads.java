package org.parley.core.internal;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waiting within a time limit: for a thread to end, as every close() of the transports does, or
 * for another thread's answer.
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

    /**
     * The value of {@code future}, waiting up to {@code millis}; its failure, the timeout or an
     * interrupt (kept for the caller) as an {@link IOException}.
     */
    public static <T> T await(Future<T> future, long millis) throws IOException {
        try {
            return future.get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IOException("no answer within " + millis + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
