package org.parley.apps;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point of {@code parley.jar}: {@code java -jar parley.jar <command> <args...>}.
 *
 * <p>Exit codes: 0 done, 1 failed (one line on standard error says why), 2 bad arguments
 * (a usage line on standard error). {@code --help} or {@code -h} anywhere among a command's
 * arguments prints its help on standard output and exits 0 without running it;
 * {@code --verbose} anywhere among them turns logging on (see {@link Logging}).
 */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        // Chat lines are UTF-8 whatever the platform's default encoding.
        System.setOut(new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)),
                true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        int code = run(args);
        System.out.flush();
        System.exit(code);
    }

    static Map<String, Command> commands() {
        List<Command> all = new ArrayList<>();
        all.addAll(ZmqCommands.all());
        all.addAll(TcpCommands.all());
        all.addAll(BridgeCommands.all());
        all.addAll(Keys.all());
        Map<String, Command> byName = new LinkedHashMap<>();
        for (Command c : all) {
            byName.put(c.name(), c);
        }
        return byName;
    }

    static int run(String[] args) {
        Map<String, Command> commands = commands();
        if (args.length > 0 && Cli.HELP.contains(args[0])) {
            System.out.print(Cli.overview(commands.values()));
            return 0;
        }
        if (args.length == 0 || !commands.containsKey(args[0])) {
            System.err.println(args.length == 0 ? "parley: no command given" : "parley: unknown command \"" + args[0] + "\"");
            System.err.println("usage: parley <command> <args...>, where the command is one of:");
            System.err.print(Cli.commandList(commands.values()));
            return 2;
        }
        Command command = commands.get(args[0]);
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Cli.asksForHelp(rest)) {
            System.out.print(Cli.help(command));
            return 0;
        }
        // --verbose, like --help, is every command's, wherever it stands: the command never sees it.
        String[] own = Arrays.stream(rest).filter(a -> !a.equals(Logging.VERBOSE)).toArray(String[]::new);
        Logging.configure(command.server(), own.length < rest.length);
        rest = own;
        try {
            return command.run(rest);
        } catch (Cli.UsageException e) {
            System.err.println(command.name() + ": " + e.getMessage());
            System.err.println(Cli.usage(command) + "   (--help for more)");
            return 2;
        } catch (Cli.FailureException e) {
            System.err.println(command.name() + ": " + e.getMessage());
            log.debug("{} failed", command.name(), e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (Exception e) {
            // Unexpected: one line for the user, the trace only at debug level.
            System.err.println(command.name() + ": " + e);
            log.debug("{} failed", command.name(), e);
            return 1;
        }
    }
}
