package org.parley.zmq;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZMQ;

/**
 * Waits until one of a thread's ZeroMQ sockets may have input or its {@link Waker} is woken:
 * what {@code ZMQ.Poller} does, without its busy turn.
 *
 * <p>A JeroMQ socket signals its owner through a pipe: the sending thread queues a command,
 * writes a byte, and only then counts it, and the socket reads a byte only once it is counted.
 * {@code ZMQ.Poller.poll} goes round until a socket reports input, so when it wakes between
 * the byte and its count, it selects again at once, and again, until the sender counts; where
 * the woken thread has taken the sender's core, for as long as the scheduler lets it. Here a
 * wait that ended on a socket's descriptor with no input behind it gives the processor up before
 * it selects again, so the sender gets to count. (The ZeroMQ server at 100 posts/s: a
 * thirteenth of the {@code epoll_wait} calls and half the CPU of its thread; docs/BENCHMARKS.md.)
 *
 * <p>A socket signals by edge, not level: messages already in its pipes raise no descriptor,
 * so {@link #await} first asks each socket for its events (which also takes the commands and
 * counted bytes that have come), and does not wait while one has input.
 *
 * <p>Thread safety: not thread-safe; it belongs to the thread that owns the sockets.
 */
final class SocketPoll implements AutoCloseable {
    private final Selector selector;
    private final ZMQ.Socket[] sockets;
    private final SelectionKey wakes;

    /** Polls {@code sockets} (nulls are left out) and the reading end of {@code waker}. */
    SocketPoll(Waker waker, ZMQ.Socket... sockets) throws IOException {
        selector = Selector.open();
        try {
            this.sockets = Arrays.stream(sockets).filter(Objects::nonNull).toArray(ZMQ.Socket[]::new);
            for (ZMQ.Socket s : this.sockets) {
                s.getFD().register(selector, SelectionKey.OP_READ);
            }
            wakes = waker.reader().register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
    }

    /**
     * Waits up to {@code millis} ms (0: not at all) for input on a socket or a wake; returns at
     * once when a socket already has input.
     *
     * @return whether the waker's end was seen readable (for {@link Waker#drain})
     */
    boolean await(long millis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            boolean input = hasInput();
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            int selected = input || left <= 0 ? selector.selectNow() : selector.select(left);
            boolean woken = false;
            boolean onSocket = false;
            if (selected > 0) {
                for (SelectionKey key : selector.selectedKeys()) {
                    woken |= key == wakes;
                    onSocket |= key != wakes;
                }
                selector.selectedKeys().clear();
            }
            if (input || woken || !onSocket || hasInput() || left <= 0) {
                return woken;
            }
            // A descriptor readable and no input behind it: a byte written and not yet counted.
            // Let its writer run and count it rather than select on it again at once.
            Thread.yield();
        }
    }

    private boolean hasInput() {
        for (ZMQ.Socket s : sockets) {
            int events = s.getEvents(); // -1 when interrupted or terminated: no input
            if (events > 0 && (events & ZMQ.Poller.POLLIN) != 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException e) {
            // nothing left to release that anyone could act on
        }
    }
}
