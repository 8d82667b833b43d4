package org.parley.bench.attack;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one attack opened, closed in reverse order when it ends, however it ends.
 *
 * <p>Thread safety: synchronized; the attack's thread adds, the runner's thread closes.
 */
final class Closer {
    private static final Logger log = LoggerFactory.getLogger(Closer.class);

    private final Deque<AutoCloseable> open = new ArrayDeque<>(); // guarded by this

    /** Registers {@code c} to be closed; returns it. */
    synchronized <T extends AutoCloseable> T add(T c) {
        open.push(c);
        return c;
    }

    /** Closes everything registered so far, newest first; a failure is logged and the rest still closed. */
    void closeAll() {
        while (true) {
            AutoCloseable c;
            synchronized (this) {
                c = open.poll();
            }
            if (c == null) {
                return;
            }
            try {
                c.close();
            } catch (Exception e) {
                log.debug("closing {} failed", c, e);
            }
        }
    }
}
