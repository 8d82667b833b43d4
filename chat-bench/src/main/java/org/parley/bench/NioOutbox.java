package org.parley.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/**
 * The bytes still owed to one non-blocking socket: frames are shared read-only buffers, each
 * connection keeps its own duplicate (own position), so one encoding serves every recipient and a
 * partial write resumes exactly where the socket stopped taking bytes.
 *
 * <p>Thread safety: confined to the selector thread that owns the socket.
 */
final class NioOutbox {
    /** Frames handed to one gathering write: one system call for many small frames. */
    private static final int GATHER = 64;

    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private final ByteBuffer[] gather = new ByteBuffer[GATHER];
    private final int limit;

    /** @param limit most frames queued before {@link #offer} refuses (a consumer that stopped reading) */
    NioOutbox(int limit) {
        this.limit = limit;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /**
     * Sends {@code frame} (not consumed: a duplicate is used) after anything already queued,
     * writing what the socket takes now.
     *
     * @return false when the queue is full and the frame was not taken
     */
    boolean offer(SocketChannel channel, ByteBuffer frame) throws IOException {
        if (queue.size() >= limit) {
            return false;
        }
        ByteBuffer own = frame.duplicate();
        if (queue.isEmpty()) {
            channel.write(own);
            if (!own.hasRemaining()) {
                return true;
            }
        }
        queue.addLast(own);
        return true;
    }

    /**
     * Queues {@code frame} (a duplicate) without writing: the caller batches several frames and
     * sends them with one {@link #flush}.
     *
     * @return false when the queue is full and the frame was not taken
     */
    boolean enqueue(ByteBuffer frame) {
        if (queue.size() >= limit) {
            return false;
        }
        queue.addLast(frame.duplicate());
        return true;
    }

    /** Writes queued bytes (gathering many frames per call) until the socket stops taking them; true when nothing is left. */
    boolean flush(SocketChannel channel) throws IOException {
        while (!queue.isEmpty()) {
            int n = 0;
            for (ByteBuffer b : queue) {
                gather[n++] = b;
                if (n == GATHER) {
                    break;
                }
            }
            channel.write(gather, 0, n);
            for (int i = 0; i < n; i++) {
                gather[i] = null;
                if (queue.peekFirst().hasRemaining()) {
                    return false; // the socket is full: the rest waits for OP_WRITE
                }
                queue.pollFirst();
            }
        }
        return true;
    }
}
