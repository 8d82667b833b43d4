package org.parley.zmq;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes a thread that waits on its ZeroMQ sockets: a {@link Pipe} whose reading end the owner
 * polls beside the sockets' descriptors ({@link SocketPoll}). No ZeroMQ socket is shared
 * between threads: any thread writes a byte to the pipe.
 *
 * <p>Thread safety: {@link #wake()} may be called from any thread; {@link #reader()},
 * {@link #drain} and {@link #close()} belong to the owner thread.
 */
final class Waker {
    private static final Logger log = LoggerFactory.getLogger(Waker.class);
    private final Pipe pipe;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final ByteBuffer drained = ByteBuffer.allocate(64); // owner thread only

    Waker() throws IOException {
        pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        pipe.sink().configureBlocking(false);
    }

    /** The end to register with the owner's poller, for reading. */
    SelectableChannel reader() {
        return pipe.source();
    }

    /** Makes the owner's next (or current) poll return. Never blocks. */
    void wake() {
        // One byte in flight is enough: the owner empties its queue after draining it.
        if (pending.compareAndSet(false, true)) {
            try {
                pipe.sink().write(ByteBuffer.allocate(1)); // a buffer each: two threads may write at once
            } catch (IOException e) {
                pending.set(false); // closed: nobody to wake
                log.debug("wake after close", e);
            }
        }
    }

    /**
     * Consumes the wake-ups; the owner then looks at its queue. The bytes are read before the
     * flag is cleared: cleared first, a wake in between would write a byte that this read takes,
     * and a later wake would find the flag set and write none, leaving its command to wait for
     * the owner's poll timeout. A command queued before its wake is seen by the look at the
     * queue that follows; one queued after finds the flag clear and writes a byte.
     *
     * <p>{@code readable}: whether the owner's poll saw the reading end readable. With the
     * flag clear and nothing seen, no wake is under way and the pipe is not read (no system
     * call on every pass); a byte written late, after a drain that found the flag set but the
     * pipe still empty, makes the next poll see it, and that drain reads it.
     *
     * @return whether a wake came since the last drain that returned true: if not, nothing was
     *         queued since the owner last looked, and it need not look
     */
    boolean drain(boolean readable) {
        if (!readable && !pending.get()) {
            return false; // no wake under way and none seen by the poll: nothing to read, no system call
        }
        try {
            while (pipe.source().read(drained.clear()) > 0) {
                // discard
            }
        } catch (IOException e) {
            log.debug("drain after close", e); // nothing left to read
        }
        pending.set(false);
        return true;
    }

    void close() {
        for (java.nio.channels.Channel end : new java.nio.channels.Channel[] {pipe.sink(), pipe.source()}) {
            try {
                end.close();
            } catch (IOException e) {
                log.debug("closing a wake-up pipe failed", e); // nothing anyone could act on
            }
        }
    }
}
