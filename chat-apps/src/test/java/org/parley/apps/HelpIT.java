package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every command of bin/ answers --help and -h, wherever they stand, and runs nothing. */
class HelpIT {
    /** Many JVMs start at once here: the time a busy machine takes to start them all. */
    private static final Duration STARTING_ALL = Duration.ofSeconds(60);

    @Test
    @Timeout(120)
    void everyCommandPrintsItsHelpOnStandardOutputAndExitsZeroWithoutStarting() throws Exception {
        String p1 = Integer.toString(ZmqLaunchersIT.freePort());
        String p2 = Integer.toString(ZmqLaunchersIT.freePort());
        // Arguments that would start a server, wait for a server or for input, were the help
        // flag not among them: exit 0 with nothing on standard error is the help alone.
        List<List<String>> cases = List.of(
                List.of("post_server", "127.0.0.1", p1, "--help"),
                List.of("post_client", "--help", "127.0.0.1", p1, "alice", "hello"),
                List.of("pub_server", "127.0.0.1", "0", "0", "-h"),
                List.of("pub_client", "127.0.0.1", p2, "--history", "5", "--post-port", p1, "-h"),
                List.of("interactive_client", "127.0.0.1", p1, p2, "alice", "--help"),
                List.of("mc_server", "--help"),
                List.of("mc_server", "-h", "127.0.0.1", "0", "0"),
                List.of("mc_client", "127.0.0.1", p1, p2, "--help", "dev", "dave"),
                List.of("chat", "--help"),
                List.of("chat", "-direct", p1, "-h"),
                List.of("chat", "-topic", "127.0.0.1:" + p1, "dev", "--help"),
                List.of("topicserver", "0", "--bind", "127.0.0.1", "--help"),
                List.of("parley_server", "127.0.0.1", "0", "0", "0", "--web", "0", "-h"),
                List.of("web_server", "127.0.0.1", "0", "--help"),
                List.of("keygen", "alice", "--help")); // writes no alice.key
        Map<String, Command> commands = Main.commands();
        Set<String> covered = new LinkedHashSet<>();
        cases.forEach(c -> covered.add(c.get(0)));
        assertEquals(commands.keySet(), covered, "a command of Main without a case here");

        List<Launched> runs = new ArrayList<>();
        try {
            for (List<String> c : cases) {
                runs.add(Launched.start(c.get(0), c.subList(1, c.size()).toArray(String[]::new)));
            }
            for (int i = 0; i < runs.size(); i++) {
                Launched run = runs.get(i);
                Command command = commands.get(cases.get(i).get(0));
                assertEquals(0, run.exitCode(STARTING_ALL), cases.get(i) + ": " + run.err());
                run.awaitOutputEnd(Launched.SOON);
                assertEquals(List.of(), run.err(), cases.get(i).toString());
                List<String> out = run.out();
                assertEquals("usage: " + command.name() + " " + command.arguments() + " [--verbose]", out.get(0),
                        cases.get(i).toString());
                for (Command.Option option : command.options()) {
                    assertTrue(out.stream().anyMatch(l -> l.startsWith("  " + option.synopsis() + " ")),
                            cases.get(i) + " does not list " + option.synopsis() + ": " + out);
                }
                assertTrue(out.stream().anyMatch(l -> l.startsWith("  -h, --help ")), out.toString());
                assertTrue(out.stream().anyMatch(l -> l.startsWith("  --verbose ")), out.toString());
            }
        } finally {
            runs.forEach(Launched::close);
        }
        assertTrue(!java.nio.file.Files.exists(Launched.HOME.resolve("alice.key")), "keygen --help wrote a key");
    }

    @Test
    @Timeout(60)
    void parleyAloneListsEveryCommandAndSaysEachAnswersHelp() throws Exception {
        try (Launched parley = Launched.start("parley", "--help")) {
            assertEquals(0, parley.exitCode());
            parley.awaitOutputEnd(Launched.SOON);
            assertEquals(List.of(), parley.err());
            List<String> out = parley.out();
            assertEquals("usage: parley <command> <args...>", out.get(0));
            for (Command c : Main.commands().values()) {
                assertTrue(out.contains("  " + c.name() + " " + c.arguments()), c.name() + " missing: " + out);
            }
            assertTrue(String.join(" ", out).contains("Every command answers --help"), out.toString());
            assertTrue(out.stream().anyMatch(l -> l.startsWith("  --verbose ")), out.toString());
        }
    }

    @Test
    @Timeout(60)
    void aWrongArgumentStillPrintsTheErrorAndTheUsageAndExitsTwo() throws Exception {
        try (Launched bad = Launched.start("mc_server", "127.0.0.1", "5555")) {
            assertEquals(2, bad.exitCode());
            bad.awaitOutputEnd(Launched.SOON);
            assertEquals(List.of("mc_server: expected 3 arguments, got 2",
                    "usage: mc_server <ip> <post_port> <pub_port> [--data <file> | --redis <uri>] [--verbose]   (--help for more)"), bad.err());
            assertEquals(List.of(), bad.out());
        }
    }
}
