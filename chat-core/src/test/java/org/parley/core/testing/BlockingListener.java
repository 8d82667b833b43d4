package org.parley.core.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.parley.core.ChatMessage;
import org.parley.core.HubListener;

/**
 * A hub listener that blocks in its first call until {@link #release}: for tests that a slow
 * listener holds up nobody else. Shared with the transport modules through chat-core's test jar.
 *
 * <p>Thread safety: safe from any thread.
 */
public final class BlockingListener implements HubListener, AutoCloseable {
    private final CountDownLatch stuck = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void onMessage(ChatMessage message, Object origin) {
        stuck.countDown();
        try {
            release.await(); // never returns while the test runs
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether a call came and is blocked now, waiting up to {@code seconds}. */
    public boolean awaitStuck(long seconds) throws InterruptedException {
        return stuck.await(seconds, TimeUnit.SECONDS);
    }

    /** Lets the blocked call (and every later one) return. */
    public void release() {
        release.countDown();
    }

    @Override
    public void close() {
        release();
    }
}
