package org.parley.zmq;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;

/**
 * The JeroMQ context that the ZeroMQ clients of a process share: made by the first client,
 * terminated when the last one closes. Each client takes a shadow of it ({@link ZContext#shadow}),
 * which owns that client's sockets alone, so closing a client closes its sockets and leaves the
 * others' connections up.
 *
 * <p>Why shared: in full-length benchmark runs, fourteen clients in one process moved more with
 * one context of {@value #IO_THREADS} I/O threads than with an I/O thread each (docs/BENCHMARKS.md,
 * findings, "Clients sharing one context"). A slow listener still delays only its own client:
 * each has its own socket and delivery threads, and the I/O threads only move bytes.
 *
 * <p>Thread safety: safe from any thread.
 */
final class SharedContext {
    private static final Logger log = LoggerFactory.getLogger(ZmqChatClient.class);
    /** I/O threads of the shared context: two did better than one for many clients on two cores. */
    static final int IO_THREADS = 2;
    /**
     * Sockets the shared context may hold: a client holds six (DEALER, SUB, two monitors and
     * their readers) and two more while it connects, so about a thousand clients. JeroMQ's
     * default, 1,024, counts for the whole process now.
     */
    static final int MAX_SOCKETS = 8_192;
    private static final Object lock = new Object();
    private static ZContext main; // guarded by lock; null while no client holds a share
    private static int users; // guarded by lock

    private SharedContext() {
    }

    /** A shadow of the shared context for one client, which {@link #release}s it once. */
    static ZContext acquire() {
        synchronized (lock) {
            if (main == null) {
                ZContext made = new ZContext(IO_THREADS);
                made.getContext().setMaxSockets(MAX_SOCKETS); // before its first socket, as the handlers
                ContextErrors.install(made, "the ZeroMQ clients of this process");
                main = made;
            }
            ZContext shadow = main.shadow();
            users++;
            return shadow;
        }
    }

    /** Closes {@code shadow} (the client's sockets), and the shared context with the last client. */
    static void release(ZContext shadow) {
        try {
            shadow.close();
        } catch (RuntimeException e) {
            log.warn("closing a ZeroMQ client's sockets failed", e);
        }
        ZContext ending = null;
        synchronized (lock) {
            if (--users == 0) {
                ending = main;
                main = null; // the next client makes a new one, whatever this close does
            }
        }
        if (ending != null) {
            try {
                ending.close(); // every shadow is closed: terminating waits for no socket
            } catch (RuntimeException e) {
                log.warn("ending the ZeroMQ clients' context failed", e);
            }
        }
    }

    /** The clients holding a share now; 0 when, and only when, no context is open: for tests. */
    static int users() {
        synchronized (lock) {
            return users;
        }
    }
}
