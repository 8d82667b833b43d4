package org.parley.bench.attack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many TCP connections to one server on one selector: opened a few hundred at a time, each
 * optionally sent the same bytes, then held open while what the server sends back (an error
 * object, a close) is counted.
 *
 * <p>Thread safety: one thread runs it; {@link #close()} may come from any thread.
 */
final class ConnectionSwarm implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConnectionSwarm.class);
    private static final int MAX_PENDING = 1000;

    private final InetSocketAddress server;
    private final int target;
    private final byte[] payload;
    private final Selector selector;
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
    private final java.util.List<SocketChannel> channels = new java.util.ArrayList<>(); // guarded by itself
    private int attempts;
    private int pending;
    private int connected;
    private int failed;
    private int written;
    private int closedByServer;
    private int errorObjects;
    private String firstError;
    private String firstFailure;
    private long startNanos;
    private long lastConnectNanos;

    /** Per connection: what is left to write, and whether the server's first bytes were seen. */
    private static final class Conn {
        final ByteBuffer out;
        boolean sawBytes;

        Conn(ByteBuffer out) {
            this.out = out;
        }
    }

    /** {@code payload} may be null: the connections then send nothing. */
    ConnectionSwarm(InetSocketAddress server, int target, byte[] payload) throws IOException {
        this.server = server;
        this.target = target;
        this.payload = payload;
        this.selector = Selector.open();
    }

    /**
     * Opens connections until {@code target} are made (giving up on a connection after failures
     * of twice the target), writes the payload, and watches them, until {@code running} turns false.
     * {@code tick} runs on every turn (at least every 50 ms).
     */
    void run(BooleanSupplier running, Runnable tick) {
        startNanos = System.nanoTime();
        while (running.getAsBoolean()) {
            while (pending < MAX_PENDING && attempts < target + 2 * target && connected + pending < target) {
                openOne();
            }
            try {
                selector.select(50);
            } catch (IOException e) {
                log.debug("select failed", e);
                return;
            }
            for (SelectionKey key : selector.selectedKeys()) {
                handle(key);
            }
            selector.selectedKeys().clear();
            tick.run();
        }
    }

    private void openOne() {
        attempts++;
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            synchronized (channels) {
                channels.add(ch);
            }
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.SO_LINGER, 0); // no TIME_WAIT left behind by thousands of closes
            ch.bind(RawConn.attackerAddress(attempts));
            Conn conn = new Conn(payload == null ? null : ByteBuffer.wrap(payload));
            if (ch.connect(server)) {
                connected(ch.register(selector, 0, conn));
            } else {
                ch.register(selector, SelectionKey.OP_CONNECT, conn);
                pending++;
            }
        } catch (IOException e) {
            failed++;
            firstFailure = firstFailure == null ? e.toString() : firstFailure;
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException closing) {
                    log.debug("close failed", closing);
                }
            }
        }
    }

    private void connected(SelectionKey key) {
        connected++;
        lastConnectNanos = System.nanoTime();
        Conn conn = (Conn) key.attachment();
        key.interestOps(SelectionKey.OP_READ | (conn.out != null ? SelectionKey.OP_WRITE : 0));
    }

    private void handle(SelectionKey key) {
        SocketChannel ch = (SocketChannel) key.channel();
        Conn conn = (Conn) key.attachment();
        boolean connecting = key.isConnectable();
        try {
            if (connecting) {
                pending--;
                ch.finishConnect();
                connected(key);
                return;
            }
            if (key.isWritable()) {
                ch.write(conn.out);
                if (!conn.out.hasRemaining()) {
                    written++;
                    key.interestOps(SelectionKey.OP_READ);
                }
            }
            if (key.isReadable()) {
                scratch.clear();
                int n = ch.read(scratch);
                if (n > 0 && !conn.sawBytes) {
                    conn.sawBytes = true;
                    String first = new String(scratch.array(), 0, Math.min(n, 200), StandardCharsets.UTF_8);
                    if (first.startsWith("{\"error\"")) {
                        errorObjects++;
                        firstError = firstError == null ? Json.field(first, "error").orElse(first) : firstError;
                    }
                }
                if (n < 0) {
                    closedByServer++;
                    key.cancel();
                    ch.close();
                }
            }
        } catch (IOException e) {
            if (connecting) {
                failed++;
                firstFailure = firstFailure == null ? e.toString() : firstFailure;
            } else {
                closedByServer++;
            }
            key.cancel();
            try {
                ch.close();
            } catch (IOException closing) {
                log.debug("close failed", closing);
            }
        }
    }

    int connected() {
        return connected;
    }

    int open() {
        return connected - closedByServer;
    }

    /** A line for the notes: connected, written, closed by the server, error objects, failures. */
    String summary() {
        StringBuilder b = new StringBuilder();
        b.append("connected ").append(connected).append('/').append(target);
        if (connected > 0) {
            b.append(String.format(java.util.Locale.ROOT, " (the last after %.1f s)", (lastConnectNanos - startNanos) / 1e9));
        }
        if (payload != null) {
            b.append(", sent all ").append(payload.length).append(" B on ").append(written);
        }
        b.append(", closed by the server ").append(closedByServer);
        if (errorObjects > 0) {
            b.append(", error objects ").append(errorObjects).append(" (\"").append(Json.excerpt(firstError, 80)).append("\")");
        }
        if (failed > 0) {
            b.append(", connects failed ").append(failed).append(" (").append(Json.excerpt(firstFailure, 60)).append(')');
        }
        return b.toString();
    }

    /** Closes every connection and the selector; idempotent. */
    @Override
    public void close() {
        synchronized (channels) {
            for (SocketChannel ch : channels) {
                try {
                    ch.close();
                } catch (IOException e) {
                    log.debug("close failed", e);
                }
            }
            channels.clear();
        }
        try {
            selector.close();
        } catch (IOException e) {
            log.debug("closing the selector failed", e);
        }
    }
}
