package org.parley.tcp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One selector thread shared by many {@link TopicClient}s and {@link DirectPeer}s of a process:
 * clients connected through a group read and write their sockets on the group's thread instead
 * of one thread each, which saves a thread per client and the switches between them when one
 * process holds many clients (a bot fleet, a load generator, a gateway).
 *
 * <pre>{@code
 * try (TcpClientGroup group = TcpClientGroup.create()) {
 *     TopicClient alice = TopicClient.connect(group, "127.0.0.1", 7777, List.of("dev"), m -> show(m));
 *     TopicClient bob = TopicClient.connect(group, "127.0.0.1", 7777, List.of("dev"), m -> show(m));
 *     alice.send("hello");
 * } // closes alice and bob
 * }</pre>
 *
 * <p>Each client keeps its own delivery thread, on which its listener is called in order, so a
 * listener that blocks holds up its own client only. Closing a client closes its connection and
 * leaves the group and its other clients running; closing the group closes every client still
 * in it, then stops the thread.
 *
 * <p>Thread safety: safe from any thread. The group runs one thread,
 * {@code parley-tcp-clients-<n>}, which never runs user code.
 */
public final class TcpClientGroup implements AutoCloseable {
    private static final AtomicInteger GROUPS = new AtomicInteger();

    final NioLoop loop;
    private final Set<PeerCore> members = new LinkedHashSet<>(); // guarded by itself
    private boolean closed;                                       // guarded by members

    private TcpClientGroup(NioLoop loop) {
        this.loop = loop;
    }

    /**
     * Starts a group's selector thread.
     *
     * @throws IOException if the selector cannot be opened
     */
    public static TcpClientGroup create() throws IOException {
        NioLoop loop = PeerCore.clientLoop("parley-tcp-clients-" + GROUPS.incrementAndGet());
        loop.start();
        return new TcpClientGroup(loop);
    }

    /** Whether clients may still join (the group is not closed). */
    public boolean isOpen() {
        synchronized (members) {
            return !closed;
        }
    }

    /** Clients of the group that are not closed yet. */
    public int clients() {
        synchronized (members) {
            return members.size();
        }
    }

    /** @throws IllegalStateException if the group is closed, as {@code ZmqClientGroup} does */
    void add(PeerCore core) {
        synchronized (members) {
            if (closed) {
                throw new IllegalStateException("client group is closed");
            }
            members.add(core);
        }
    }

    void remove(PeerCore core) {
        synchronized (members) {
            members.remove(core);
        }
    }

    /**
     * Closes every client of the group (each writes what it has queued, for up to two seconds
     * in all), then stops the thread. Idempotent.
     */
    @Override
    public void close() {
        List<PeerCore> all;
        synchronized (members) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(members);
        }
        for (PeerCore core : all) {
            core.startClose();
        }
        long deadline = System.nanoTime() + PeerCore.CLOSE_TIMEOUT.toNanos(); // for all the clients together
        for (PeerCore core : all) {
            core.awaitDone(deadline);
        }
        loop.close(); // cuts whatever has not finished; each connection's end finishes its client
        for (PeerCore core : all) {
            core.endClose();
        }
    }
}
