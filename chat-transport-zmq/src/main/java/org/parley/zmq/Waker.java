package org.parley.zmq;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Wakes a thread that waits in a ZeroMQ poll: an inproc PAIR pipe whose reading end the
 * owner registers with its poller.
 *
 * <p>Thread safety: {@link #wake()} may be called from any thread; the sending socket is
 * used under a lock, which gives the memory barrier ZeroMQ asks for when a socket is shared.
 * {@link #reader()}, {@link #drain()} and {@link #close()} belong to the owner thread.
 */
final class Waker {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final ZMQ.Socket reader;
    private final ZMQ.Socket writer; // guarded by this
    private final AtomicBoolean pending = new AtomicBoolean();
    private boolean closed; // guarded by this

    Waker(ZContext context, String name) {
        String endpoint = "inproc://parley-wake-" + name + "-" + COUNTER.incrementAndGet();
        reader = context.createSocket(SocketType.PAIR);
        reader.setLinger(0);
        reader.bind(endpoint);
        writer = context.createSocket(SocketType.PAIR);
        writer.setLinger(0);
        writer.setSndHWM(16);
        writer.connect(endpoint);
    }

    ZMQ.Socket reader() {
        return reader;
    }

    /** Makes the owner's next (or current) poll return. Never blocks. */
    void wake() {
        // One signal in flight is enough: the owner empties its queue after draining it.
        if (pending.compareAndSet(false, true)) {
            synchronized (this) {
                if (!closed) {
                    writer.send(new byte[0], ZMQ.DONTWAIT);
                }
            }
        }
    }

    /** Consumes the signals; the owner then looks at its queue. */
    void drain() {
        pending.set(false);
        while (reader.recv(ZMQ.DONTWAIT) != null) {
            // discard
        }
    }

    void close() {
        synchronized (this) {
            closed = true;
            writer.close();
        }
        reader.close();
    }
}
