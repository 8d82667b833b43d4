package org.parley.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * One TCP connection on a {@link NioLoop}: its bounded write queue, its deadline, and the
 * {@link Handler} that takes the bytes it reads. It knows nothing of what the bytes mean.
 *
 * <p>Thread safety: confined to the selector thread, except {@link #remote()} and
 * {@link #local()}, which are fixed before the connection is handed to the loop.
 */
final class Connection {
    /** What one connection's reader does with its bytes; every method runs on the selector thread. */
    interface Handler {
        /** The connection is registered with the selector. */
        default void onOpen(Connection connection) {
        }

        /**
         * {@code bytes[from..to)} arrived; they are lent for this call only (the loop's read
         * buffer). May close the connection, or stop reading it ({@link Connection#closeAfterFlush}).
         */
        void onRead(Connection connection, byte[] bytes, int from, int to);

        /** The peer closed its side; the loop closes the connection once its queue is written. */
        default void onEndOfInput(Connection connection) {
        }

        /** The deadline set with {@link Connection#deadline} has come. */
        default void onDeadline(Connection connection) {
        }

        /** Bytes this handler keeps of what it read, waiting for the rest (for tests). */
        default long keptInputBytes() {
            return 0;
        }

        /** The connection is closed: {@code cause} null for an orderly end. Called once. */
        void onClose(Connection connection, IOException cause);
    }

    final NioLoop loop;
    final SocketChannel channel;
    /** What bytes are read from and written to: {@link #channel}, or TLS over it. */
    final ByteChannel io;
    /** TLS wants the socket writable to go on reading (a handshake's reply). Selector thread only. */
    boolean readWantsWrite;
    /** TLS wants the socket readable to go on writing (a handshake under way). Selector thread only. */
    boolean writeWantsRead;
    final Handler handler;
    private final TcpAddress remote;
    private final TcpAddress local;
    /** Buffers to write, shared with other connections and never changed. Selector thread only. */
    private final ArrayDeque<ByteBuffer> outbound = new ArrayDeque<>();
    private int headWritten; // bytes of the first queued buffer already written
    private boolean flushPending; // on the loop's list of connections to flush this round
    private final long maxOutboundBytes;
    private long queuedBytes;
    /** A deadline that is not set; {@link #deadlineIn} never gives it. */
    static final long NO_DEADLINE = Long.MIN_VALUE;

    SelectionKey key;            // selector thread only
    boolean closing;             // no more reading; close once the queue is written
    long closeDeadline;          // System.nanoTime() by which a closing connection is cut
    long deadline = NO_DEADLINE; // System.nanoTime() at which the handler's onDeadline is called
    NioLoop.Timer timer;         // this connection's entry in the loop's timer queue, or null
    boolean closed;

    /** A connection on {@code channel}, whose handler {@code handlerFor} makes for it (last). */
    Connection(NioLoop loop, SocketChannel channel, ByteChannel io, Function<Connection, ? extends Handler> handlerFor,
            long maxOutboundBytes) throws IOException {
        this.loop = loop;
        this.channel = channel;
        this.io = io;
        this.remote = TcpAddress.of((java.net.InetSocketAddress) channel.getRemoteAddress());
        this.local = TcpAddress.of((java.net.InetSocketAddress) channel.getLocalAddress());
        this.maxOutboundBytes = maxOutboundBytes;
        this.handler = handlerFor.apply(this);
    }

    /** The other side's address as observed on this connection. */
    TcpAddress remote() {
        return remote;
    }

    /** This side's address on this connection. */
    TcpAddress local() {
        return local;
    }

    /** Whether the connection is still read: neither closed nor closing. */
    boolean isOpen() {
        return !closed && !closing;
    }

    /**
     * Calls the handler's {@link Handler#onDeadline} once System.nanoTime() reaches {@code due}
     * (see {@link #deadlineIn}); {@link #NO_DEADLINE} takes it back. Replaces a deadline set
     * before. The loop queues one entry per connection, for its earliest deadline, so moving a
     * deadline later, as often as a handler likes, adds nothing to the queue.
     */
    void deadline(long due) {
        deadline = due;
        if (due != NO_DEADLINE && !closing && !closed) {
            loop.arm(this, due);
        }
    }

    /** System.nanoTime() {@code delayNanos} from now: a deadline, never {@link #NO_DEADLINE}. */
    static long deadlineIn(long delayNanos) {
        long due = System.nanoTime() + delayNanos;
        return due == NO_DEADLINE ? due + 1 : due;
    }

    /** Whether {@code deadline} is set and has come at {@code now}. */
    static boolean due(long deadline, long now) {
        return deadline != NO_DEADLINE && now - deadline >= 0;
    }

    /** The deadline still to be watched, or {@link #NO_DEADLINE}. */
    long nextDeadline() {
        return closing ? closeDeadline : deadline; // once closing, nothing else matters
    }

    /**
     * Queues bytes to write: the buffer itself, which one encoding may share with many
     * connections, so no one may change its position or limit from here on. They
     * are written when the loop finishes its current round ({@link NioLoop#flushPending}), so
     * everything one round produces for a connection leaves in one write (see {@link #flush})
     * instead of a system call per message. A connection whose queue would pass its cap is cut. Returns
     * false if the bytes were not queued.
     */
    boolean send(ByteBuffer bytes) {
        if (closed || closing) {
            return false;
        }
        int size = bytes.remaining();
        if (queuedBytes + size > maxOutboundBytes && !outbound.isEmpty()) {
            // Many messages may come in one round (the hub's dispatcher hands them over in
            // batches): write what the socket takes now before judging the peer a non-reader.
            flush();
            if (closed) {
                return false;
            }
        }
        if (queuedBytes + size > maxOutboundBytes) {
            long held = loop.cutLog.admit();
            if (held >= 0) {
                NioLoop.log.warn("closing {}: it does not read ({} bytes waiting, limit {}) ({} more like it not logged)",
                        remote, queuedBytes + size, maxOutboundBytes, held);
            }
            loop.close(this, new IOException("peer " + remote + " does not read: more than "
                    + maxOutboundBytes + " bytes waiting"));
            return false;
        }
        outbound.add(bytes);
        queuedBytes += size;
        if (!flushPending && (key.interestOps() & SelectionKey.OP_WRITE) == 0) {
            flushPending = true; // while OP_WRITE is set, the selector says when to write
            loop.flushLater(this);
        }
        return true;
    }

    /** Drops the bytes not yet written: the connection is closed, and the loop has let go of it. */
    void release() {
        outbound.clear();
        queuedBytes = 0;
        headWritten = 0;
    }

    /** Stops reading and closes once everything queued is written (or after a grace time). */
    void closeAfterFlush() {
        if (closed || closing) {
            return;
        }
        closing = true;
        closeDeadline = deadlineIn(NioLoop.LINGER_NANOS);
        key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
        loop.arm(this, closeDeadline);
        if (outbound.isEmpty()) {
            loop.close(this, null);
        }
    }

    /** Closes now, without writing what is queued; the handler hears of it with a null cause. */
    void close() {
        loop.close(this, null);
    }

    /**
     * Writes what the socket accepts: the queue's bytes are copied into the loop's direct
     * stage, up to {@link NioLoop#STAGE_BYTES} per system call, and the queue gives up as many
     * as the socket took. Called when writable and at the end of a loop round after queueing.
     */
    void flush() {
        flushPending = false;
        if (closed) {
            return;
        }
        try {
            ByteBuffer stage = loop.stage;
            while (!outbound.isEmpty()) {
                stage.clear(); // absolute puts are checked against the limit
                int filled = 0;
                int skip = headWritten;
                for (ByteBuffer b : outbound) {
                    int take = Math.min(b.remaining() - skip, stage.capacity() - filled);
                    stage.put(filled, b, b.position() + skip, take); // absolute: the buffers are untouched
                    filled += take;
                    skip = 0;
                    if (filled == stage.capacity()) {
                        break;
                    }
                }
                stage.limit(filled).position(0);
                int written;
                try {
                    written = filled == 0 ? 0 : io.write(stage);
                } catch (tlschannel.NeedsReadException e) {
                    writeWantsRead = true; // a TLS handshake waits for the peer: written once it answers
                    break;
                } catch (tlschannel.NeedsWriteException e) {
                    written = 0; // the socket is full
                }
                queuedBytes -= written;
                consume(written);
                if (written < filled || filled == 0) {
                    break; // the socket is full: the rest waits for OP_WRITE
                }
            }
        } catch (IOException e) {
            loop.close(this, e);
            return;
        }
        if (closed) {
            return;
        }
        if (outbound.isEmpty() || writeWantsRead) {
            if (!readWantsWrite) {
                key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
            }
            if (closing && outbound.isEmpty()) {
                loop.close(this, null);
            }
        } else {
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    /** Drops {@code n} written bytes from the head of the queue, and any buffer left empty. */
    private void consume(int n) {
        ByteBuffer head;
        while ((head = outbound.peek()) != null && (n > 0 || head.remaining() == headWritten)) {
            int r = head.remaining() - headWritten;
            if (r <= n) {
                outbound.poll();
                headWritten = 0;
                n -= r;
            } else {
                headWritten += n;
                n = 0;
            }
        }
    }

    long queuedBytes() {
        return queuedBytes;
    }

    @Override
    public String toString() {
        return "connection " + remote;
    }
}
