package org.parley.tcp;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The selector thread that the {@link TopicClient}s and connecting {@link DirectPeer}s of a
 * process share: started with the first, stopped when the last has closed, started afresh for
 * the next. Many clients in one process (a bot fleet, a load generator, a gateway) so cost one
 * selector thread, not one each; each client keeps its own delivery thread, on which its
 * listener is called in order, so a listener that blocks holds up its own client only.
 *
 * <p>Thread safety: safe from any thread; membership is guarded by the class. The thread,
 * {@code parley-tcp-clients-<n>}, never runs user code.
 */
final class TcpClientGroup {
    private static final AtomicInteger GROUPS = new AtomicInteger();
    private static TcpClientGroup current; // guarded by TcpClientGroup.class

    final NioLoop loop;
    private final Set<PeerCore> members = new LinkedHashSet<>(); // guarded by TcpClientGroup.class

    private TcpClientGroup(NioLoop loop) {
        this.loop = loop;
    }

    /** The process's group, started if there is none, with {@code core} as a member. */
    static TcpClientGroup join(PeerCore core) throws IOException {
        synchronized (TcpClientGroup.class) {
            if (current == null) {
                NioLoop loop = PeerCore.clientLoop("parley-tcp-clients-" + GROUPS.incrementAndGet());
                loop.start();
                current = new TcpClientGroup(loop);
            }
            current.members.add(core);
            return current;
        }
    }

    /** Removes {@code core}; the last member to leave stops the thread. Idempotent. */
    void leave(PeerCore core) {
        synchronized (TcpClientGroup.class) {
            if (!members.remove(core) || !members.isEmpty()) {
                return;
            }
            if (current == this) {
                current = null; // the next client starts a new group
            }
        }
        loop.close(); // does not wait when called on the loop itself
    }
}
