package org.parley.apps;

import ch.qos.logback.classic.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How much a command logs to standard error. A client logs nothing: what its user must know
 * it prints as one-line notices, and a log line would break into the chat on a terminal. A
 * server logs warnings. {@value #VERBOSE}, which every command accepts, makes either log at
 * INFO. The environment variable {@value #LEVEL_VARIABLE} (read by logback.xml) overrides
 * both: {@code PARLEY_LOG_LEVEL=DEBUG} shows everything.
 *
 * <p>Thread safety: {@link #configure} is called once, on the main thread, before the
 * command starts any other thread.
 */
final class Logging {
    /** The option that turns logging on at INFO. */
    static final String VERBOSE = "--verbose";
    /** The environment variable whose level wins over the default and {@value #VERBOSE}. */
    static final String LEVEL_VARIABLE = "PARLEY_LOG_LEVEL";

    private Logging() {
    }

    /** Sets the level for a server or a client, {@code verbose} or not, unless {@value #LEVEL_VARIABLE} is set. */
    static void configure(boolean server, boolean verbose) {
        String override = System.getenv(LEVEL_VARIABLE);
        if (override != null && !override.isBlank()) {
            return; // logback.xml has applied it
        }
        Level level = verbose ? Level.INFO : server ? Level.WARN : Level.OFF;
        if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(level);
        }
        // JLine (the line editor) logs through java.util.logging: the same rule for it.
        java.util.logging.Logger.getLogger("").setLevel(verbose ? java.util.logging.Level.INFO
                : server ? java.util.logging.Level.WARNING : java.util.logging.Level.OFF);
    }
}
