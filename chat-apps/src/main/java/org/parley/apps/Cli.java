package org.parley.apps;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.internal.Names;
import org.parley.store.redis.RedisStore;
import org.parley.store.sqlite.SqliteStore;

/** Argument parsing and the life cycle shared by every command. */
final class Cli {
    /** The arguments that ask for help, wherever they stand among a command's arguments. */
    static final Set<String> HELP = Set.of("--help", "-h");
    private static final Command.Option HELP_OPTION = new Command.Option("-h, --help", "prints this help and exits");
    private static final Command.Option VERBOSE_OPTION = new Command.Option(Logging.VERBOSE,
            "logs to standard error at INFO (a client logs nothing without it, a server warnings only)");
    /** A server's option: keep the messages in a file. */
    static final String DATA = "--data";
    /** {@link #DATA} in a server's help. */
    static final Command.Option DATA_OPTION = new Command.Option(DATA + " <file>",
            "keeps the messages in this SQLite file (made if absent) across restarts");
    /** A server's option: share the channels with the other servers on a Redis. */
    static final String REDIS = "--redis";
    /** {@link #REDIS} in a server's help. */
    static final Command.Option REDIS_OPTION = new Command.Option(REDIS + " <redis://host:port>",
            "shares the channels, their numbering and history with every server on this Redis "
            + "(docs/SCALING.md); not with --data");
    /** The width help text is wrapped to. */
    private static final int WIDTH = 80;

    private Cli() {
    }

    /** Whether {@code args} ask for help: one of them is {@code --help} or {@code -h}. */
    static boolean asksForHelp(String[] args) {
        for (String arg : args) {
            if (HELP.contains(arg)) {
                return true;
            }
        }
        return false;
    }

    /** The usage line: {@code usage: <name> <arguments> [--verbose]}. */
    static String usage(Command command) {
        return "usage: " + command.name() + " " + command.arguments() + " [" + Logging.VERBOSE + "]";
    }

    /**
     * What {@code <command> --help} prints: the usage line, the command's summary, then one line
     * per option, {@code --verbose} and {@code --help} last.
     */
    static String help(Command command) {
        List<Command.Option> options = new ArrayList<>(command.options());
        options.add(VERBOSE_OPTION);
        options.add(HELP_OPTION);
        return usage(command) + "\n\n" + wrap(command.summary()) + "\n" + table("options:", options);
    }

    /** What {@code parley --help} prints: how to run a command, and every command's usage. */
    static String overview(Collection<Command> commands) {
        return "usage: parley <command> <args...>\n\n"
                + wrap("Runs one Parley command; each script in bin/ runs the command of its name. "
                        + "Every command answers --help (or -h) with what it does and its options, and takes "
                        + "--verbose.")
                + "\ncommands:\n" + commandList(commands) + "\n" + table("options:", List.of(VERBOSE_OPTION, HELP_OPTION));
    }

    /** The commands and their arguments, one an indented line. */
    static String commandList(Collection<Command> commands) {
        StringBuilder b = new StringBuilder();
        for (Command c : commands) {
            b.append("  ").append(c.name()).append(' ').append(c.arguments()).append('\n');
        }
        return b.toString();
    }

    /** A heading, then one line per option, the meanings lined up. */
    private static String table(String heading, List<Command.Option> options) {
        int width = options.stream().mapToInt(o -> o.synopsis().length()).max().orElse(0);
        StringBuilder b = new StringBuilder(heading).append('\n');
        for (Command.Option o : options) {
            b.append("  ").append(o.synopsis()).append(" ".repeat(width - o.synopsis().length() + 3))
                    .append(o.meaning()).append('\n');
        }
        return b.toString();
    }

    /** {@code text} broken at spaces into lines of at most {@link #WIDTH} characters (unless a word is longer). */
    private static String wrap(String text) {
        StringBuilder b = new StringBuilder();
        int lineStart = 0;
        for (String word : text.trim().split("\\s+")) {
            if (b.length() > lineStart && b.length() - lineStart + 1 + word.length() > WIDTH) {
                b.append('\n');
                lineStart = b.length();
            } else if (b.length() > lineStart) {
                b.append(' ');
            }
            b.append(word);
        }
        return b.append('\n').toString();
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

    /** A user name given on the command line; {@value Names#ALL} is reserved. */
    static String user(String value) throws UsageException {
        if (Names.ALL.equals(value)) {
            throw new UsageException(Names.RESERVED_USER_ERROR);
        }
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

    /** The file named by {@code --data}. */
    static Path dataFile(String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException(DATA + " needs a file name");
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException(DATA + " \"" + Console.printable(value) + "\" is not a file name: " + e.getReason());
        }
    }

    /** The Redis named by {@code --redis}: {@code redis://host:port}. */
    static URI redisUri(String value) throws UsageException {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            uri = null;
        }
        if (uri == null || !("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))
                || uri.getHost() == null) {
            throw new UsageException(REDIS + " \"" + Console.printable(value) + "\" is not redis://host:port");
        }
        return uri;
    }

    /** {@code --data} and {@code --redis} together: a server keeps its messages in one place. */
    static void requireOneStore(Path data, URI redis) throws UsageException {
        if (data != null && redis != null) {
            throw new UsageException(DATA + " and " + REDIS + " cannot be used together: the messages are kept "
                    + "in one place, a file or a Redis");
        }
    }

    /** Takes {@code --redis <uri>} out of {@code args}, wherever it stands: the Redis, or null. */
    static URI takeRedis(List<String> args) throws UsageException {
        String uri = take(args, REDIS, "redis://host:port");
        return uri == null ? null : redisUri(uri);
    }

    /** Takes {@code --data <file>} out of {@code args}, wherever it stands: the file, or null. */
    static Path takeData(List<String> args) throws UsageException {
        String file = take(args, DATA, "a file name");
        return file == null ? null : dataFile(file);
    }

    /** {@link #take(List, String, String)} of an option whose value is any text. */
    static String take(List<String> args, String option) throws UsageException {
        return take(args, option, "a value");
    }

    /**
     * Takes {@code option <value>} out of {@code args}, wherever it stands: the value, or null if
     * absent. Given twice, or last with no value, it is an error that says it {@code needs} one.
     */
    static String take(List<String> args, String option, String needs) throws UsageException {
        String value = null;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals(option)) {
                if (i + 1 == args.size()) {
                    throw new UsageException(option + " needs " + needs);
                }
                if (value != null) {
                    throw new UsageException(option + " is given twice");
                }
                value = args.get(i + 1);
                args.subList(i, i + 2).clear();
                i--;
            }
        }
        return value;
    }

    /**
     * The hub of a server started with {@code --data <file>} (on the durable store in that
     * file) or {@code --redis <uri>} (on the store shared through that Redis), opened before the
     * server binds anything. Null without either: the server then makes its own hub, in memory.
     * A file or a Redis that cannot be used is one line and exit 1.
     */
    static ChatHub hubFor(String command, Path data, URI redis) throws FailureException {
        return hubFor(command, data, redis, HubOptions.defaults());
    }

    /** A server's hub options: the defaults, with the users file of {@code --auth} if given (read now). */
    static HubOptions hubOptions(String usersFile) throws FailureException {
        if (usersFile == null) {
            return HubOptions.defaults();
        }
        try {
            return HubOptions.builder().usersFile(Path.of(usersFile)).build();
        } catch (IOException e) {
            throw new FailureException(e.getMessage(), e);
        }
    }

    /** A server's hub: on the store {@code --data} or {@code --redis} names, else in memory; never null. */
    static ChatHub hub(String command, Path data, URI redis, HubOptions options) throws FailureException {
        ChatHub stored = hubFor(command, data, redis, options);
        return stored != null ? stored : ChatHub.create(options);
    }

    /** {@link #hubFor(String, Path, URI)} with these hub options (a users file, say). */
    static ChatHub hubFor(String command, Path data, URI redis, HubOptions options) throws FailureException {
        if (redis != null) {
            RedisStore store;
            try {
                store = RedisStore.builder(redis).open();
            } catch (IOException | IllegalArgumentException e) {
                throw new FailureException(e.getMessage(), e);
            }
            System.err.println(command + ": channels are shared through Redis at " + redis.getHost() + ":"
                    + (redis.getPort() == -1 ? 6379 : redis.getPort()) + " (epoch " + store.epoch() + ")");
            return ChatHub.create(options, store);
        }
        if (data == null) {
            return null;
        }
        SqliteStore store;
        try {
            store = SqliteStore.builder(data).open();
        } catch (IOException e) {
            throw new FailureException(e.getMessage(), e);
        }
        System.err.println(command + ": messages are kept in " + data);
        return ChatHub.create(options, store);
    }

    /** Closes a hub a launcher made ({@link #hubFor}); nothing for null. */
    static void close(ChatHub hub) {
        if (hub != null) {
            hub.close();
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
