package org.parley.core;

import org.parley.core.internal.Names;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.internal.DeliveryThread;
import org.parley.core.internal.LogThrottle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread of a hub's that calls listeners: every {@link HubListener} subscribed through a
 * dispatcher is called on its thread, one call at a time, each channel's messages in
 * {@code seq} order. Listeners of different dispatchers never wait for each other, so a slow
 * or blocked listener delays only its own dispatcher; the thread that posted (a transport's
 * I/O thread, say) only hands the message over.
 *
 * <pre>{@code
 * try (Dispatcher d = hub.dispatcher("archiver", 10_000)) {
 *     d.subscribe("general", (message, origin) -> archive(message));
 *     ...
 * }
 * }</pre>
 *
 * <p>Its queue is bounded: a message that would pass the bound is dropped for this
 * dispatcher alone (counted in {@link #dropped()}, and logged), never blocking the poster. A
 * listener that must not miss any (a client) follows {@code seq} and reads what it missed
 * from the hub's history.
 *
 * <p>Threads: one, named as given. Thread safety: every method may be called from any thread.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    private final ChatHub hub;
    private final String name;
    private final DeliveryThread thread;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicLong dropped = new AtomicLong();
    private final LogThrottle dropLog = new LogThrottle(10, TimeUnit.SECONDS);
    private final AtomicBoolean closed = new AtomicBoolean();

    Dispatcher(ChatHub hub, String name, int capacity) {
        this.hub = hub;
        this.name = name;
        this.thread = new DeliveryThread(name, capacity);
    }

    /**
     * Delivers every message of {@code channel} (of every channel, for {@value Names#ALL})
     * stored from now on to {@code listener}, on this dispatcher's thread.
     *
     * @throws IllegalArgumentException if {@code channel} breaks the naming rule
     * @throws IllegalStateException    if this dispatcher or its hub is closed
     */
    public Subscription subscribe(String channel, HubListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) {
            throw new IllegalStateException("dispatcher " + name + " is closed");
        }
        ChannelRegistry.Registration registration = hub.register(channel, this, listener);
        Subscription subscription = new Subscription() {
            private final AtomicBoolean done = new AtomicBoolean();

            @Override
            public String channel() {
                return channel;
            }

            @Override
            public void close() {
                if (done.compareAndSet(false, true)) {
                    hub.unregister(channel, registration);
                    subscriptions.remove(this);
                }
            }
        };
        subscriptions.add(subscription);
        return subscription;
    }

    /** Messages this dispatcher dropped because its queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Messages waiting for this dispatcher's thread. */
    public int pending() {
        return thread.pending();
    }

    /** The store's sink, on the storing thread: hands one message over, never blocking. */
    void offer(HubListener listener, ChatMessage message, Object origin) {
        if (!thread.submit(() -> listener.onMessage(message, origin))) {
            long n = dropped.incrementAndGet();
            long held = dropLog.admit();
            if (held >= 0 && !closed.get()) {
                log.warn("{} is behind: dropped {} #{} ({} dropped in all)", name, message.channel(), message.seq(), n);
            }
        }
    }

    /**
     * Ends its subscriptions, lets what is queued be delivered for up to two seconds, then
     * stops the thread. Idempotent.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }

    /** {@link #close()} with another wait. */
    public void close(Duration wait) {
        closeUntil(System.nanoTime() + wait.toNanos());
    }

    /** Stops taking messages and ends its subscriptions, without waiting. */
    void stop() {
        if (closed.compareAndSet(false, true)) {
            for (Subscription s : subscriptions) {
                s.close();
            }
            thread.stop();
        }
    }

    /** {@link #stop()}, then waits for what is queued until {@code deadlineNanos}. */
    void closeUntil(long deadlineNanos) {
        stop();
        thread.closeUntil(deadlineNanos);
        hub.forget(this);
    }

    @Override
    public String toString() {
        return "Dispatcher[" + name + "]";
    }
}
