package org.parley.apps;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGINT and SIGTERM as events, so a command stops cleanly and exits 0 instead of the JVM's
 * 130 or 143.
 */
final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    /** Runs {@code action} (on a signal thread) when SIGINT or SIGTERM arrives. */
    @SuppressWarnings("removal")
    static void onTerminate(Runnable action) {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> action.run());
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // Not on this platform (or already taken by the JVM): the default handling stays.
                log.debug("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
    }
}
