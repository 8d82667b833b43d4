package org.parley.apps;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.parley.core.internal.Names;

/** Argument parsing and the life cycle shared by every command. */
final class Cli {
    private Cli() {
    }

    /** Bad arguments: {@link Main} prints the message and the usage line and exits 2. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** An expected failure: {@link Main} prints the message alone and exits 1. */
    static final class FailureException extends Exception {
        private static final long serialVersionUID = 1L;

        FailureException(String message) {
            super(message);
        }

        FailureException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static void requireCount(String[] args, int count) throws UsageException {
        if (args.length != count) {
            throw new UsageException("expected " + count + " argument" + (count == 1 ? "" : "s")
                    + ", got " + args.length);
        }
    }

    /** A TCP port, 1..65535; with {@code allowZero}, 0 too. */
    static int port(String what, String value, boolean allowZero) throws UsageException {
        int port;
        try {
            port = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UsageException(what + " \"" + value + "\" is not a number");
        }
        if (port < (allowZero ? 0 : 1) || port > 65535) {
            throw new UsageException(what + " " + port + " is outside " + (allowZero ? 0 : 1) + "..65535");
        }
        return port;
    }

    static int port(String what, String value) throws UsageException {
        return port(what, value, false);
    }

    /** An IP address or host name that resolves. */
    static String host(String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException("address is empty");
        }
        try {
            InetAddress.getByName(value);
        } catch (UnknownHostException e) {
            throw new UsageException("address \"" + value + "\" is not an IP address or a known host");
        }
        return value;
    }

    /** A user name given on the command line. */
    static String user(String value) throws UsageException {
        return named(value, Names::checkUser, Names.MAX_USER_LENGTH);
    }

    /** A channel or topic given on the command line ({@value Names#ALL} included). */
    static String channel(String value) throws UsageException {
        return named(value, Names::checkChannel, Names.MAX_CHANNEL_LENGTH);
    }

    /** A name checked by {@code check}; the usage error spells the rule's pattern out in words. */
    private static String named(String value, UnaryOperator<String> check, int maxLength)
            throws UsageException {
        try {
            return check.apply(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(Console.printable(e.getMessage()) + " (1 to " + maxLength + " letters, digits, _ - .)");
        }
    }

    /** A {@code <host>:<port>} pair. */
    static HostPort hostPort(String value) throws UsageException {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new UsageException("\"" + value + "\" is not <ip>:<port>");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new HostPort(host(host), port("port", value.substring(colon + 1)));
    }

    record HostPort(String host, int port) {
    }

    /**
     * The life of every long-running command: handles SIGINT and SIGTERM, then prints
     * {@code announcement} (if not null) on standard error, blocks until a signal, closes
     * {@code resource} and returns 0. The handlers are in place before the announcement, so
     * whoever reads it may stop the command at once and still see exit status 0.
     */
    static int runUntilSignalled(AutoCloseable resource, String announcement) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTerminate(stop::countDown);
        try (resource) {
            if (announcement != null) {
                System.err.println(announcement);
            }
            stop.await();
        }
        return 0;
    }
}
