package org.parley.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy to a port of this machine that can drop every connection through it at
 * once, as a network that fails would: the clients on one side see their connection lost, and
 * connect again through it. For tests of reconnection. It also keeps the first
 * {@value #RECORDED_BYTES} bytes that crossed it, both ways, for tests of what goes over the
 * network in clear.
 *
 * <p>Thread safety: safe from any thread; each connection has two pumping threads of its own.
 */
public final class DroppingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private volatile int target;
    private final List<Socket> open = new ArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;
    /** How many of the bytes that cross the proxy it keeps. */
    public static final int RECORDED_BYTES = 4 * 1024 * 1024;
    private final java.io.ByteArrayOutputStream recorded = new java.io.ByteArrayOutputStream(); // guarded by itself

    /** A proxy on an ephemeral loopback port to {@code targetPort} on the loopback address. */
    public DroppingProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "test-proxy-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The port clients connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /**
     * Sends new connections to {@code targetPort} from now on, as a load balancer that took a
     * server out would; the open ones stay where they are until dropped.
     */
    public void retarget(int targetPort) {
        this.target = targetPort;
    }

    /** Closes every connection through the proxy; new ones are accepted as before. */
    public void dropAll() {
        List<Socket> now;
        synchronized (open) {
            now = new ArrayList<>(open);
            open.clear();
        }
        now.forEach(DroppingProxy::closeQuietly);
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        dropAll();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            Socket server = new Socket();
            try {
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5000);
            } catch (IOException e) {
                closeQuietly(client); // nobody there: as a refused connection
                closeQuietly(server);
                continue;
            }
            synchronized (open) {
                open.add(client);
                open.add(server);
            }
            pump(client, server);
            pump(server, client);
        }
    }

    /** The bytes that crossed the proxy so far, both ways (up to {@value #RECORDED_BYTES}). */
    public byte[] recorded() {
        synchronized (recorded) {
            return recorded.toByteArray();
        }
    }

    private void record(byte[] buffer, int n) {
        synchronized (recorded) {
            recorded.write(buffer, 0, Math.max(0, Math.min(n, RECORDED_BYTES - recorded.size())));
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    record(buffer, n);
                    out.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // dropped or closed: the other side is closed below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "test-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
