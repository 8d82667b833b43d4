package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Clients on a real terminal: each runs under {@code script}, which gives it a pseudo-terminal,
 * so it reads lines with its line editor as a user's terminal would have it.
 */
class TerminalIT {
    private static final Path SCRIPT = Path.of("/usr/bin/script");

    /** {@code bin/<command> <args>} on a pseudo-terminal; its output (both streams) on standard output. */
    private static Launched onTerminal(String command, String args) throws Exception {
        assumeTrue(Files.isExecutable(SCRIPT) || System.getenv("CI") != null,
                "script is needed for pseudo-terminal tests: apt-get install bsdutils");
        return Launched.program(SCRIPT.toString(), "-qfec",
                Launched.HOME.resolve("bin").resolve(command) + " " + args, "/dev/null");
    }

    @Test
    void aTopicClientWhoseServerStopsEndsWithOneLineAndNoStackTrace() throws Exception {
        for (int round = 0; round < 3; round++) { // the input thread's state at the end varies
            try (Launched server = TcpChatIT.topicServer()) {
                int port = TcpChatIT.portOf(server);
                try (Launched client = onTerminal("chat", "-topic 127.0.0.1:" + port + " dev --retry-for 0")) {
                    client.awaitOut(".*dev.*", Launched.WAIT); // registered: it says so
                    server.terminate();
                    assertEquals(0, server.exitCode(Duration.ofSeconds(5)));
                    int code = client.exitCode(Launched.WAIT);
                    client.awaitOutputEnd(Launched.SOON);
                    List<String> out = client.out();
                    assertTrue(out.stream().noneMatch(l -> l.contains("Exception") || l.startsWith("\tat ")),
                            "round " + round + ": " + out);
                    assertEquals(1, code, "round " + round + ": " + out);
                }
            }
        }
    }
}
