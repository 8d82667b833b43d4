package org.parley.zmq;

import java.util.concurrent.TimeUnit;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PeerText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;

/**
 * Sends what JeroMQ's I/O threads throw to SLF4J instead of standard error. JeroMQ 0.6.0's
 * {@code zmq.poll.Poller.run} catches a {@link RuntimeException} of a connection's handler,
 * hands it to the context's notification handler (by default {@code printStackTrace}) and
 * goes on; the handler's read is abandoned where it failed. A peer can provoke one per TCP
 * segment: a PING command of fewer than 7 bytes makes {@code StreamEngine.processHeartbeatMessage}
 * throw {@link IndexOutOfBoundsException}. So these are logged at most once per interval.
 *
 * <p>Thread safety: safe from any thread.
 */
final class ContextErrors {
    private static final Logger log = LoggerFactory.getLogger(ContextErrors.class);
    private static final long LOG_INTERVAL_SECONDS = 10;

    private ContextErrors() {
    }

    /**
     * Installs the handlers on {@code context}, which must not have made a socket yet (JeroMQ
     * refuses them then, and its I/O threads read them when they start).
     */
    static void install(ZContext context, String owner) {
        LogThrottle notified = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
        context.setNotificationExceptionHandler((thread, e) -> {
            long held = notified.admit();
            if (held >= 0) {
                // The message may quote what a peer sent: an excerpt, and no stack trace.
                log.warn("{}: JeroMQ's I/O thread {} failed handling a connection and goes on: {}: {} "
                                + "({} more not logged)",
                        owner, thread.getName(), e.getClass().getName(), PeerText.excerpt(e.getMessage()), held);
            }
        });
        LogThrottle uncaught = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
        context.setUncaughtExceptionHandler((thread, e) -> {
            long held = uncaught.admit();
            if (held >= 0) {
                log.error("{}: JeroMQ's thread {} stopped on {}: {} ({} more not logged)",
                        owner, thread.getName(), e.getClass().getName(), PeerText.excerpt(e.getMessage()), held);
            }
            // The process's own policy for a dead thread (exit on an Error, say) still applies.
            Thread.UncaughtExceptionHandler process = Thread.getDefaultUncaughtExceptionHandler();
            if (process != null) {
                process.uncaughtException(thread, e);
            }
        });
    }
}
