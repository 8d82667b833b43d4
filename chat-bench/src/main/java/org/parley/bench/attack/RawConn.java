package org.parley.bench.attack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection whose every read and write has a deadline, so an attack never blocks on
 * a server that stopped reading.
 *
 * <p>Thread safety: one thread uses it; {@link #close()} may come from any thread.
 */
final class RawConn implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RawConn.class);

    private final SocketChannel channel;
    private final Selector selector;

    private RawConn(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    /**
     * The local address of the {@code n}th attacking connection: 127.0.0.2 to 127.0.0.254 in
     * turn (every 127.0.0.0/8 address is this host's), so that attackers and the good clients,
     * which connect from 127.0.0.1, come from different addresses, as they would from
     * different hosts, and a per-address cap does not stand in for every other bound.
     */
    static InetSocketAddress attackerAddress(long n) {
        return new InetSocketAddress("127.0.0." + (2 + Math.floorMod(n, 253)), 0);
    }

    /** Connects within {@code timeoutMillis} from 127.0.0.1. */
    static RawConn connect(InetSocketAddress address, long timeoutMillis) throws IOException {
        return connect(address, null, timeoutMillis);
    }

    /** Connects within {@code timeoutMillis} from {@code local} (null: any). */
    static RawConn connect(InetSocketAddress address, InetSocketAddress local, long timeoutMillis) throws IOException {
        SocketChannel ch = SocketChannel.open();
        Selector sel = null;
        try {
            if (local != null) {
                ch.bind(local);
            }
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            sel = Selector.open();
            if (!ch.connect(address)) {
                SelectionKey key = ch.register(sel, SelectionKey.OP_CONNECT);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
                while (!ch.finishConnect()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IOException("no connection to " + address + " within " + timeoutMillis + " ms");
                    }
                    sel.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    sel.selectedKeys().clear();
                }
                key.cancel();
                sel.selectNow();
            }
            return new RawConn(ch, sel);
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (sel != null) {
                sel.close();
            }
            throw e;
        }
    }

    /** Writes all of {@code b}; false if the deadline came first. */
    boolean write(ByteBuffer b, long deadlineNanos) throws IOException {
        while (b.hasRemaining()) {
            if (channel.write(b) == 0 && !await(SelectionKey.OP_WRITE, deadlineNanos)) {
                return false;
            }
        }
        return true;
    }

    /** Fills {@code b}; false if the deadline came first or the peer closed. */
    boolean readFully(ByteBuffer b, long deadlineNanos) throws IOException {
        while (b.hasRemaining()) {
            int n = channel.read(b);
            if (n < 0) {
                return false;
            }
            if (n == 0 && !await(SelectionKey.OP_READ, deadlineNanos)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads what comes into {@code b}, waiting until at least one byte came or the deadline;
     * false at the deadline.
     *
     * @throws java.io.EOFException if the peer closed the connection
     */
    boolean readSome(ByteBuffer b, long deadlineNanos) throws IOException {
        while (true) {
            int n = channel.read(b);
            if (n < 0) {
                throw new java.io.EOFException("the peer closed the connection");
            }
            if (n > 0) {
                return true;
            }
            if (!await(SelectionKey.OP_READ, deadlineNanos)) {
                return false;
            }
        }
    }

    /**
     * Reads and counts what the peer sends until it closes the connection (true) or the deadline
     * comes (false). A reset counts as closed.
     */
    boolean awaitClose(long deadlineNanos, ByteBuffer scratch) {
        try {
            while (true) {
                scratch.clear();
                int n = channel.read(scratch);
                if (n < 0) {
                    return true;
                }
                if (n == 0 && !await(SelectionKey.OP_READ, deadlineNanos)) {
                    return false;
                }
            }
        } catch (IOException e) {
            log.debug("read until close: {}", e.toString());
            return true;
        }
    }

    /** Reads what is there now without waiting: bytes read, or -1 if the peer closed. */
    int readNow(ByteBuffer b) throws IOException {
        return channel.read(b);
    }

    private boolean await(int op, long deadlineNanos) throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        SelectionKey key = channel.register(selector, op);
        try {
            selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            selector.selectedKeys().clear();
        } finally {
            key.interestOps(0);
        }
        return true;
    }

    /** The local port of the connection, as the server sees it. */
    int localPort() throws IOException {
        return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    /** Idempotent. */
    @Override
    public void close() {
        try {
            channel.close();
            selector.close();
        } catch (IOException e) {
            log.debug("closing a raw connection failed", e);
        }
    }
}
