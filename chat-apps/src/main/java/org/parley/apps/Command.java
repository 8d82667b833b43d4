package org.parley.apps;

import java.util.List;

/**
 * One command of {@code parley.jar}: {@code java -jar parley.jar <name> <args...>}.
 *
 * <p>{@link #run} returns the exit code: 0 done, 1 failed (after one clear line on standard
 * error), 2 bad arguments (throw {@link Cli.UsageException} and {@link Main} prints the usage).
 * A command never sees {@code --help} or {@code -h}: {@link Main} answers those with
 * {@link Cli#help}, built from what the command declares here. Nor {@code --verbose}, which
 * {@link Main} takes for every command.
 */
interface Command {
    /** The name, as the script in {@code bin/} is called. */
    String name();

    /** The arguments after the name, as in a usage line: {@code <ip> <port>}. */
    String arguments();

    /** One or two sentences for {@code --help}: what the command does. */
    String summary();

    /** The command's options (or modes), one line each in {@code --help}; {@code --help} itself is added. */
    List<Option> options();

    int run(String[] args) throws Exception;

    /**
     * Whether this is a server, which logs warnings by default; a client logs nothing unless
     * {@code --verbose} (see {@link Logging}).
     */
    default boolean server() {
        return false;
    }

    /** An option as written on the command line, {@code --history N}, and what it does in a few words. */
    record Option(String synopsis, String meaning) {
        public Option {
            if (synopsis.isBlank() || meaning.isBlank() || meaning.contains("\n")) {
                throw new IllegalArgumentException("an option needs a synopsis and a one-line meaning");
            }
        }
    }
}
