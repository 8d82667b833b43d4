package org.parley.apps;

/**
 * One command of {@code parley.jar}: {@code java -jar parley.jar <name> <args...>}.
 *
 * <p>{@link #run} returns the exit code: 0 done, 1 failed (after one clear line on standard
 * error), 2 bad arguments (throw {@link Cli.UsageException} and {@link Main} prints the usage).
 */
interface Command {
    /** The name, as the script in {@code bin/} is called. */
    String name();

    /** The arguments after the name, as in a usage line: {@code <ip> <port>}. */
    String arguments();

    int run(String[] args) throws Exception;
}
