package org.parley.zmq;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The log lines of one class while a test runs, message and exception text together, so a
 * test can say what was logged, how often, and that no peer's text was echoed.
 *
 * <p>Thread safety: safe from any thread.
 */
final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final Level level;
    private final boolean additive;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    /** Every level, and only here (not also on the console) until closed. */
    private LogCapture(Class<?> source) {
        this.logger = (Logger) LoggerFactory.getLogger(source);
        this.level = logger.getLevel();
        this.additive = logger.isAdditive();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.DEBUG);
        logger.setAdditive(false);
    }

    static LogCapture of(Class<?> source) {
        return new LogCapture(source);
    }

    /** Each line logged so far: its level, its message, then every exception's class and message. */
    List<String> lines() {
        synchronized (appender) { // AppenderBase.doAppend appends to the list under this lock
            return appender.list.stream().map(LogCapture::render).toList();
        }
    }

    /** The lines that contain {@code part}. */
    List<String> containing(String part) {
        return lines().stream().filter(l -> l.contains(part)).toList();
    }

    private static String render(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(e.getLevel().toString()).append(' ').append(e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            b.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
        }
        return b.toString();
    }

    @Override
    public void close() {
        logger.setLevel(level);
        logger.setAdditive(additive);
        logger.detachAppender(appender);
        appender.stop();
    }
}
