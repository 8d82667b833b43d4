package org.parley.core.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One named thread that runs submitted tasks in order: the thread on which a client calls
 * its user's listeners. Part of Parley's implementation, shared by its modules; not API.
 *
 * <p>The queue is bounded: {@link #submit} never blocks and returns {@code false} when the
 * queue is full or the thread is closed, so a slow listener can never stall a network thread.
 * The bound is in units: a task counts one, or the weight it is submitted with (a batch of
 * {@code n} messages counts {@code n}), until it has run.
 *
 * <p>Thread safety: {@link #submit}, {@link #stop} and {@link #close} may be called from any thread.
 */
public final class DeliveryThread implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeliveryThread.class);
    private static final Task STOP = new Task(() -> { }, 0);

    private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>(); // bounded by load
    private final int capacity;
    private final AtomicInteger load = new AtomicInteger(); // units queued or running
    private final Thread thread;
    private volatile boolean closed;

    private record Task(Runnable run, int weight) {
    }

    public DeliveryThread(String name, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity < 1: " + capacity);
        }
        this.capacity = capacity;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues {@code task}, counting one unit; {@code false} if the queue is full or this is closed. */
    public boolean submit(Runnable task) {
        return submit(task, 1);
    }

    /**
     * Queues {@code task}, counting {@code weight} units until it has run; {@code false} if
     * they do not fit or this is closed.
     */
    public boolean submit(Runnable task, int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight < 1: " + weight);
        }
        int l;
        do {
            l = load.get();
            if (closed || l + weight > capacity) {
                return false;
            }
        } while (!load.compareAndSet(l, l + weight));
        queue.add(new Task(task, weight));
        return true;
    }

    /**
     * Queues one task that calls {@code action} on each of {@code items} in order, counting one
     * unit per item: a batch wakes this thread once, and a call that throws still loses only its
     * own item, as a task does. {@code false} if they do not fit or this is closed.
     */
    public <T> boolean submitEach(List<T> items, Consumer<? super T> action) {
        return submit(() -> {
            for (T item : items) {
                runLogged(action, item); // no object per item: a batch is per message
            }
        }, items.size());
    }

    /** Units that {@link #submit(Runnable, int)} could take now. */
    public int room() {
        return Math.max(0, capacity - load.get());
    }

    /** Whether the caller is this delivery thread. */
    private boolean isCurrentThread() {
        return Thread.currentThread() == thread;
    }

    /** Units queued or running. */
    public int pending() {
        return load.get();
    }

    /**
     * Stops taking tasks; the thread ends once the ones already queued have run. Does not wait
     * ({@link #closeUntil} does): an owner of many stops them all before waiting for any.
     */
    public void stop() {
        if (!closed) {
            closed = true;
            queue.offer(STOP);
        }
    }

    /**
     * Stops taking tasks, lets the queued ones run until {@code deadlineNanos} (a
     * {@link System#nanoTime()}), then stops the thread. Idempotent; safe to call from a task (it
     * then does not wait). The deadline may be shared: an owner of many {@link #stop}s them all,
     * then waits for each until the one deadline, so a few blocked listeners cost it the deadline,
     * not a wait each.
     */
    public void closeUntil(long deadlineNanos) {
        stop();
        if (isCurrentThread() || !thread.isAlive()) {
            return;
        }
        if (!Threads.joinUntil(thread, deadlineNanos)) {
            // This thread runs user code only, never a ZeroMQ socket, so interrupting is safe.
            thread.interrupt();
            Threads.join(thread, 100);
        }
    }

    /** {@link #closeUntil} {@code timeout} from now. */
    public void close(Duration timeout) {
        closeUntil(System.nanoTime() + timeout.toNanos());
    }

    /** {@link #close(Duration)} with two seconds. */
    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }

    private void run() {
        try {
            while (true) {
                Task task = queue.take();
                if (task == STOP) {
                    return;
                }
                try {
                    runLogged(Runnable::run, task.run());
                } finally {
                    load.addAndGet(-task.weight());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs one listener call; one that throws is logged and costs only itself. */
    private <T> void runLogged(Consumer<? super T> call, T item) {
        try {
            call.accept(item);
        } catch (VirtualMachineError e) {
            throw e; // out of memory, say: nothing here can mend that
        } catch (RuntimeException | Error e) {
            log.error("a listener failed on {}", thread.getName(), e);
        }
    }
}
