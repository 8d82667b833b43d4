package org.parley.core.internal;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One named thread that runs submitted tasks in order: the thread on which a client calls
 * its user's listeners. Part of Parley's implementation, shared by its modules; not API.
 *
 * <p>The queue is bounded: {@link #submit} never blocks and returns {@code false} when the
 * queue is full or the thread is closed, so a slow listener can never stall a network thread.
 *
 * <p>Thread safety: {@link #submit} and {@link #close} may be called from any thread.
 */
public final class DeliveryThread implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeliveryThread.class);
    private static final Runnable STOP = () -> { };

    private final BlockingQueue<Runnable> queue;
    private final Thread thread;
    private volatile boolean closed;

    public DeliveryThread(String name, int capacity) {
        this.queue = new ArrayBlockingQueue<>(capacity + 1); // +1: room for STOP
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues {@code task}; {@code false} if the queue is full or this is closed. */
    public boolean submit(Runnable task) {
        if (closed || queue.remainingCapacity() <= 1) {
            return false;
        }
        return queue.offer(task);
    }

    /** Whether the caller is this delivery thread. */
    private boolean isCurrentThread() {
        return Thread.currentThread() == thread;
    }

    /** Tasks waiting. */
    public int pending() {
        return queue.size();
    }

    /**
     * Stops taking tasks, lets the queued ones run for up to {@code timeout}, then stops the
     * thread. Idempotent; safe to call from a task (it then does not wait).
     */
    public void close(Duration timeout) {
        if (closed) {
            return;
        }
        closed = true;
        queue.offer(STOP);
        if (isCurrentThread()) {
            return;
        }
        try {
            thread.join(timeout.toMillis());
            if (thread.isAlive()) {
                // This thread runs user code only, never a ZeroMQ socket, so interrupting is safe.
                thread.interrupt();
                thread.join(timeout.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #close(Duration)} with two seconds. */
    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }

    private void run() {
        try {
            while (true) {
                Runnable task = queue.poll(1, TimeUnit.SECONDS);
                if (task == STOP) {
                    return;
                }
                if (task != null) {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        log.error("a listener failed on {}", thread.getName(), e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
