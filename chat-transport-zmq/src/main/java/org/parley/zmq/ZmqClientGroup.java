package org.parley.zmq;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.parley.core.internal.Threads;
import org.parley.zmq.internal.IoTicker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;

/**
 * Many {@link ZmqChatClient}s in one process sharing one ZeroMQ context: one JeroMQ I/O thread
 * for all their connections instead of one per client.
 *
 * <pre>{@code
 * try (ZmqClientGroup group = ZmqClientGroup.create()) {
 *     ZmqChatClient alice = group.connect(ZmqClientOptions.builder()
 *             .host("127.0.0.1").postPort(5555).pubPort(5556).user("alice").build());
 *     ZmqChatClient bob = group.connect(ZmqClientOptions.builder()
 *             .host("127.0.0.1").postPort(5555).pubPort(5556).user("bob").build());
 *     // ...
 * } // closes alice, bob and the shared context
 * }</pre>
 *
 * <p>Each client still has its own socket thread and its own delivery thread, so listeners of
 * one client never wait for another's. What is shared is the thread that moves bytes between
 * the sockets and TCP: with many clients (a bot farm, a test) that saves a thread, a
 * selector and a ticker per client. It is not free: one I/O thread can fall behind many
 * busy clients on few cores, so {@link #create(int)} spreads the connections over more. A
 * single client gains nothing from a group.
 *
 * <p>Closing a client leaves the group and its other clients working. Closing the group closes
 * the clients still open, then the context; it waits a bounded time and is idempotent.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class ZmqClientGroup implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ZmqClientGroup.class);

    private final ZContext context;
    private final Set<ZmqChatClient> clients = new LinkedHashSet<>(); // guarded by this
    private boolean closed; // guarded by this

    private ZmqClientGroup(int ioThreads) {
        this.context = new ZContext(ioThreads);
        ContextErrors.install(context, "client group"); // before any socket: see ContextErrors
        // One ticker per I/O thread for all the group's connections (see IoTicker).
        IoTicker.attach(context);
    }

    /** A group with one I/O thread, empty until {@link #connect} is called. */
    public static ZmqClientGroup create() {
        return create(1);
    }

    /**
     * A group whose connections are spread over {@code ioThreads} I/O threads: for many busy
     * clients, where one thread moving every client's bytes would fall behind.
     *
     * @throws IllegalArgumentException if {@code ioThreads < 1}
     */
    public static ZmqClientGroup create(int ioThreads) {
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads < 1: " + ioThreads);
        }
        return new ZmqClientGroup(ioThreads);
    }

    /**
     * Like {@link ZmqChatClient#connect(ZmqClientOptions)}, with the client's sockets in this
     * group's context. Close the client on its own or with the group.
     *
     * @throws IOException           if the address is not usable
     * @throws IllegalStateException if this group is closed
     */
    public ZmqChatClient connect(ZmqClientOptions options) throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("client group is closed");
            }
        }
        ZmqChatClient client = ZmqChatClient.connect(options, this);
        synchronized (this) {
            if (!closed) {
                clients.add(client);
                return client;
            }
        }
        client.close(); // the group was closed while this client connected
        throw new IllegalStateException("client group is closed");
    }

    /** The clients of this group that are still open. */
    public synchronized int size() {
        return clients.size();
    }

    /** The context the group's clients shadow; theirs alone to use, from their own threads. */
    ZContext context() {
        return context;
    }

    /** Called by a client of this group when it has closed. */
    synchronized void forget(ZmqChatClient client) {
        clients.remove(client);
    }

    /**
     * Closes the clients still open, then the shared context. Each step of closing (waiting for
     * answers to requests in flight, then for the socket and delivery threads) has one deadline
     * for all the clients, so closing many takes no longer than closing one. A client that is
     * closing on another thread meanwhile is waited for too. Idempotent.
     */
    @Override
    public void close() {
        List<ZmqChatClient> open = new ArrayList<>();
        List<ZmqChatClient> closingOnTheirOwn = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (ZmqChatClient c : clients) {
                (c.beginClose() ? open : closingOnTheirOwn).add(c);
            }
        }
        long stopped = ZmqChatClient.close(open);
        boolean allStopped = open.stream().allMatch(ZmqChatClient::stopped);
        // A client closing on another thread may still be waiting for its answers; its sockets
        // close when it is done, and the context cannot close before them.
        for (ZmqChatClient c : closingOnTheirOwn) {
            allStopped &= c.loop.join(stopped);
        }
        if (allStopped) {
            context.close();
            return;
        }
        // A client's socket thread did not stop: terminating the context would wait for its
        // sockets forever. Terminate on the side, bounded, rather than hang the caller.
        Thread closer = new Thread(context::close, "parley-zmq-group-close");
        closer.setDaemon(true);
        closer.start();
        if (!Threads.join(closer, ZmqChatClient.CLOSE_WAIT_MILLIS)) {
            log.warn("the client group's context did not close within {} ms", ZmqChatClient.CLOSE_WAIT_MILLIS);
        }
    }

    @Override
    public String toString() {
        return "ZmqClientGroup[" + size() + " clients]";
    }
}
