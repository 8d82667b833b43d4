package org.parley.apps;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqClientOptions;

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

    /**
     * {@code bin/<command> <args>} on an 80-column xterm (a pseudo-terminal's size is 0 by 0
     * otherwise); its output (both streams) on standard output, and whole, as the terminal got
     * it, in {@code typescript}.
     */
    private static Launched onXterm(String command, String args, Path typescript) throws Exception {
        assumeTrue(Files.isExecutable(SCRIPT) || System.getenv("CI") != null,
                "script is needed for pseudo-terminal tests: apt-get install bsdutils");
        return Launched.program(SCRIPT.toString(), "-qfec", "export TERM=xterm-256color; stty cols 80 rows 24; exec "
                + Launched.HOME.resolve("bin").resolve(command) + " " + args, typescript.toString());
    }

    /** What the terminal got so far. */
    private static String transcript(Path typescript) throws IOException {
        return new String(Files.readAllBytes(typescript), StandardCharsets.UTF_8);
    }

    /**
     * Waits until the line editor has read {@code lines} lines and waits for the next: it turns
     * bracketed paste on each time it starts reading, in raw mode. Typed before that, a line
     * would be echoed by the terminal itself.
     */
    private static void awaitReading(Path typescript, int lines) {
        await().atMost(Launched.WAIT).until(() -> transcript(typescript).split(Pattern.quote(BRACKETED_PASTE_ON), -1)
                .length > lines + 1);
    }

    private static final String BRACKETED_PASTE_ON = "\u001b[?2004h";

    @Test
    void aZeroMqClientShowsItsOwnLineOnceAsTheServerDeliversItAndTcpChatKeepsTheTypedLine(@TempDir Path dir)
            throws Exception {
        try (Launched server = Launched.start("mc_server", "127.0.0.1", "0", "0")) {
            int[] ports = ZmqLaunchersIT.ports(server);
            Path typescript = dir.resolve("mc_client.typescript");
            try (Launched dave = onXterm("mc_client", "127.0.0.1 " + ports[0] + " " + ports[1] + " dev dave",
                    typescript)) {
                dave.awaitOut(".*joined dev as dave.*", Launched.WAIT);
                ZmqLaunchersIT.awaitJoined(ports, "dev", dave); // its subscription is live
                awaitReading(typescript, 0);
                dave.type("hello from dave");
                await().atMost(Launched.SOON).until(() -> TerminalScreen.render(transcript(typescript)).stream()
                        .anyMatch(l -> l.matches("dave: hello from dave " + Launched.TIME)));
                awaitReading(typescript, 1);
                dave.type("/quit");
                assertEquals(0, dave.exitCode(Launched.WAIT));
                List<String> screen = TerminalScreen.render(transcript(typescript));
                assertEquals(List.of("dave: hello from dave"), screen.stream().filter(l -> l.contains("hello"))
                        .map(l -> l.replaceAll(" " + Launched.TIME + "$", "")).toList(), String.join("\n", screen));
            }
        }
        // TCP chat gets no echo from the server: the typed line stays, the one sign it was sent.
        try (Launched server = TcpChatIT.topicServer()) {
            int port = TcpChatIT.portOf(server);
            Path typescript = dir.resolve("chat.typescript");
            try (Launched chat = onXterm("chat", "-topic 127.0.0.1:" + port + " dev", typescript)) {
                chat.awaitOut(".*registered for dev.*", Launched.WAIT);
                awaitReading(typescript, 0);
                chat.type("hello from chat");
                awaitReading(typescript, 1);
                chat.type("/quit");
                assertEquals(0, chat.exitCode(Launched.WAIT));
                List<String> screen = TerminalScreen.render(transcript(typescript));
                assertEquals(List.of("> hello from chat"), screen.stream().filter(l -> l.contains("hello")).toList(),
                        String.join("\n", screen));
            }
        }
    }

    @Test
    void aJoinerSeesTheJoinedLineTheHistoryTheMarkerThenNewMessagesInThatOrder(@TempDir Path dir) throws Exception {
        try (Launched server = Launched.start("mc_server", "127.0.0.1", "0", "0");
             ZmqChatClient prober = ZmqChatClient.connect(ZmqClientOptions.builder()
                     .postPort(ZmqLaunchersIT.ports(server)[0]).user("prober").build())) {
            int[] ports = ZmqLaunchersIT.ports(server);
            prober.post("dev", "old 1").get();
            prober.post("dev", "old 2").get();
            Path typescript = dir.resolve("mc_client.typescript");
            try (Launched dave = onXterm("mc_client", "127.0.0.1 " + ports[0] + " " + ports[1] + " dev dave",
                    typescript)) {
                dave.awaitOut(".*-- 2 earlier messages above; new messages follow --.*", Launched.WAIT);
                ZmqLaunchersIT.awaitJoined(ports, "dev", dave); // new messages: probes, posted after the marker
                awaitReading(typescript, 0);
                dave.type("/quit");
                assertEquals(0, dave.exitCode(Launched.WAIT));
                List<String> screen = TerminalScreen.render(transcript(typescript));
                List<Integer> at = List.of("mc_client: joined dev as dave", "prober: old 1 ", "prober: old 2 ",
                        "-- 2 earlier messages above; new messages follow --", "prober: probe 0 ").stream()
                        .map(start -> indexOf(screen, start)).toList();
                for (int i = 1; i < at.size(); i++) {
                    assertTrue(at.get(i - 1) >= 0 && at.get(i - 1) < at.get(i), at + "\n" + String.join("\n", screen));
                }
            }
        }
    }

    /** The first line of {@code screen} that starts with {@code start}, or -1. */
    private static int indexOf(List<String> screen, String start) {
        for (int i = 0; i < screen.size(); i++) {
            if (screen.get(i).startsWith(start)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aLineTypedOnATerminalIsSentAsTypedBackslashesExclamationsQuotesAndAccentsIncluded(@TempDir Path dir)
            throws Exception {
        try (Launched server = TcpChatIT.topicServer()) {
            String address = "127.0.0.1:" + TcpChatIT.portOf(server);
            Path typescript = dir.resolve("chat.typescript");
            try (Launched reader = Launched.start("chat", "-topic", address, "dev");
                 Launched chat = onXterm("chat", "-topic " + address + " dev", typescript)) {
                reader.nextErrContaining("connected to");
                chat.awaitOut(".*registered for dev.*", Launched.WAIT);
                awaitReading(typescript, 0);
                chat.handshake(reader, "dev");
                // A line editor's history expansion would make "!!" the line before, drop the
                // backslashes, or wait for the quote to close; a chat sends what was typed.
                String typed = "C:\\temp\\new wow!! !$ it's \"half café 日本";
                chat.type(typed);
                reader.nextOut("dev:" + typed);
            }
        }
    }

    /**
     * A paste of 64 KiB on one line, as a terminal without bracketed paste sends it: key after
     * key. It used to take minutes (the line editor redrew the whole line after each key) and
     * then be refused; it is read at once and sent in parts of at most 16 KiB.
     */
    @Test
    void aPasteOf64KiBIsSentInPartsThatTheOtherClientReceivesWholeAndTheSenderStaysResponsive(@TempDir Path dir)
            throws Exception {
        String paste = pasteOf(64 * 1024);
        try (Launched server = TcpChatIT.topicServer()) {
            String address = "127.0.0.1:" + TcpChatIT.portOf(server);
            Path typescript = dir.resolve("chat.typescript");
            try (Launched reader = Launched.start("chat", "-topic", address, "dev");
                 Launched chat = onXterm("chat", "-topic " + address + " dev", typescript)) {
                reader.nextErrContaining("connected to");
                chat.awaitOut(".*registered for dev.*", Launched.WAIT);
                int[] typed = new int[1];
                Launched.probeUntilPrinted(i -> {
                    awaitReading(typescript, i); // each probe typed while the line editor reads
                    chat.type("probe " + i);
                    typed[0] = i + 1;
                }, "dev:probe \\d+", reader);
                awaitReading(typescript, typed[0]);

                long start = System.nanoTime();
                chat.type(paste);
                await().atMost(Launched.WAIT).until(() -> String.join("", received(reader)).length() >= paste.length());
                long millis = (System.nanoTime() - start) / 1_000_000;
                List<String> parts = received(reader);
                assertEquals(paste, String.join("", parts), "the parts, in order, are the paste");
                assertTrue(parts.size() >= 4 && parts.stream().allMatch(p -> utf8Length(p) <= 16 * 1024),
                        parts.size() + " parts of " + parts.stream().map(p -> utf8Length(p)).toList() + " bytes");
                chat.awaitOut(".*chat: sent in " + parts.size() + " parts: the text limit is 16384 bytes.*", Launched.SOON);

                // Responsive: a paste the terminal brackets, with a line break, is two messages.
                awaitReading(typescript, typed[0] + 1);
                chat.type("\u001b[200~first pasted line\rsecond pasted line\u001b[201~");
                reader.nextOut("dev:first pasted line");
                reader.nextOut("dev:second pasted line");
                awaitReading(typescript, typed[0] + 2);
                chat.type("/quit");
                assertEquals(0, chat.exitCode(Launched.WAIT), "64 KiB took " + millis + " ms");
            }
        }
    }

    /** What {@code reader} received of the paste so far: its lines after the probes, without "dev:". */
    private static List<String> received(Launched reader) {
        return reader.out().stream().filter(l -> l.startsWith("dev:") && !l.startsWith("dev:probe ")
                && !l.contains("pasted line")).map(l -> l.substring("dev:".length())).toList();
    }

    /** Words, accents, CJK and emoji: exactly {@code bytes} of UTF-8, ending in a word. */
    private static String pasteOf(int bytes) {
        StringBuilder b = new StringBuilder();
        int size = 0;
        for (int i = 0; ; i++) {
            String word = "word" + i + (i % 7 == 0 ? " café " : " ") + (i % 13 == 0 ? "日本語 🙂 " : "");
            int n = utf8Length(word);
            if (size + n >= bytes) {
                return b.append("x".repeat(bytes - size)).toString();
            }
            b.append(word);
            size += n;
        }
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
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
