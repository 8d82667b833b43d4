package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqClientOptions;

/** The ZeroMQ commands of bin/, run as processes: Parts 1 to 4 and their failure modes. */
class ZmqLaunchersIT extends WithProcesses {




    /** A server on ephemeral ports: its post port, then its pub port, as it reports them. */
    static int[] ports(Launched server) throws InterruptedException {
        return server.ports(".*listening for posts.*", Launched.WAIT).stream().mapToInt(Integer::intValue).toArray();
    }

    /** Posts probes to {@code channel} until each of {@code clients} printed one. */
    static void awaitJoined(int[] ports, String channel, Launched... clients) throws Exception {
        try (ZmqChatClient prober = ZmqChatClient.connect(ZmqClientOptions.builder()
                .postPort(ports[0]).user("prober").build())) {
            Launched.probeUntilPrinted(i -> prober.post(channel, "probe " + i).get(), ".*prober: probe \\d+ .*", clients);
        }
    }

    @Test
    void part1PostServerRecordsThreePostsAndStopsOnSigterm() throws Exception {
        Launched server = start("post_server", "127.0.0.1", "0");
        int port = ports(server)[0];
        for (String user : List.of("alice", "bob", "carol")) {
            // carol's message starts with "--": a message, not an option.
            String text = (user.equals("carol") ? "--" : "") + "hello from " + user;
            Launched post = start("post_client", "127.0.0.1", Integer.toString(port), user, text);
            assertEquals(0, post.exitCode(), user + ": " + post.err());
            assertEquals(List.of(), post.out());
        }
        server.awaitOut("alice: hello from alice " + Launched.TIME, Launched.SOON);
        server.awaitOut("bob: hello from bob " + Launched.TIME, Launched.SOON);
        server.awaitOut("carol: --hello from carol " + Launched.TIME, Launched.SOON);
        long t0 = System.nanoTime();
        server.terminate();
        assertEquals(0, server.exitCode(Duration.ofSeconds(3)));
        assertTrue(System.nanoTime() - t0 < 3_000_000_000L);
    }

    @Test
    void part2PubClientPrintsWhatPostClientPosts() throws Exception {
        Launched server = start("pub_server", "127.0.0.1", "0", "0");
        int[] ports = ports(server);
        Launched sub = start("pub_client", "127.0.0.1", Integer.toString(ports[1]));
        awaitJoined(ports, "general", sub);
        Launched post = start("post_client", "127.0.0.1", Integer.toString(ports[0]), "alice", "hello subscribers");
        assertEquals(0, post.exitCode(), post.err().toString());
        sub.awaitOut("alice: hello subscribers " + Launched.TIME, Launched.SOON);
        // History only when asked for, read from the post port.
        Launched late = start("pub_client", "127.0.0.1", Integer.toString(ports[1]),
                "--history", "1", "--post-port", Integer.toString(ports[0]));
        late.awaitOut("alice: hello subscribers " + Launched.TIME, Launched.WAIT);
        late.terminate();
        assertEquals(0, late.exitCode(Duration.ofSeconds(3)));
        assertEquals(1, late.out().size(), late.out().toString());
        sub.terminate();
        assertEquals(0, sub.exitCode(Duration.ofSeconds(3)));
        server.terminate();
        assertEquals(0, server.exitCode(Duration.ofSeconds(3)));
    }

    @Test
    void part3InteractiveClientsSeeEachOther() throws Exception {
        Launched server = start("pub_server", "127.0.0.1", "0", "0");
        int[] ports = ports(server);
        String post = Integer.toString(ports[0]);
        String pub = Integer.toString(ports[1]);
        Launched alice = start("interactive_client", "127.0.0.1", post, pub, "alice");
        Launched bob = start("interactive_client", "127.0.0.1", post, pub, "bob");
        alice.awaitErr(".*joined general as alice.*", Launched.WAIT);
        bob.awaitErr(".*joined general as bob.*", Launched.WAIT);
        awaitJoined(ports, "general", alice, bob);
        alice.type("hi bob");
        bob.awaitOut("alice: hi bob " + Launched.TIME, Launched.SOON);
        bob.type("hi alice");
        alice.awaitOut("bob: hi alice " + Launched.TIME, Launched.SOON);
        // A line over the text limit is sent in parts that fit it.
        alice.type("x".repeat(17_000));
        bob.awaitOut("alice: " + "x".repeat(16_384) + " " + Launched.TIME, Launched.SOON);
        bob.awaitOut("alice: " + "x".repeat(616) + " " + Launched.TIME, Launched.SOON);
        alice.awaitErr("interactive_client: sent in 2 parts: the text limit is 16384 bytes", Launched.SOON);
        // A rejected post: the server's reason on stderr, and the client carries on.
        alice.type("nul \0 here");
        alice.awaitErr("interactive_client: the server rejected the post: "
                + "text contains a NUL character at index 4", Launched.SOON);
        alice.type("bye");
        alice.endInput();
        assertEquals(0, alice.exitCode(Launched.SOON));
        bob.awaitOut("alice: bye " + Launched.TIME, Launched.SOON);
        bob.endInput();
        assertEquals(0, bob.exitCode(Launched.SOON));
    }

    @Test
    void part4ChannelsAreIsolatedAndAllIsReadOnly() throws Exception {
        Launched server = start("mc_server", "127.0.0.1", "0", "0");
        int[] ports = ports(server);
        String post = Integer.toString(ports[0]);
        String pub = Integer.toString(ports[1]);
        Launched dave = start("mc_client", "127.0.0.1", post, pub, "dev", "dave");
        Launched olga = start("mc_client", "127.0.0.1", post, pub, "devops", "olga");
        Launched watcher = start("mc_client", "127.0.0.1", post, pub, "ALL", "watcher");
        awaitJoined(ports, "dev", dave, watcher);
        awaitJoined(ports, "devops", olga);
        dave.type("dev only");
        olga.type("devops only");
        watcher.awaitOut("\\[dev] dave: dev only " + Launched.TIME, Launched.SOON);
        watcher.awaitOut("\\[devops] olga: devops only " + Launched.TIME, Launched.SOON);
        dave.awaitOut("dave: dev only " + Launched.TIME, Launched.SOON);
        olga.awaitOut("olga: devops only " + Launched.TIME, Launched.SOON);

        watcher.type("can I post here?");
        watcher.awaitErr(".*channel ALL is read-only.*", Launched.SOON);
        watcher.type("still not");
        // Each refused line gets its own notice.
        watcher.awaitErrAll(".*channel ALL is read-only.*", 2, Launched.SOON);
        dave.type("after the refusal");
        watcher.awaitOut("\\[dev] dave: after the refusal " + Launched.TIME, Launched.SOON);

        // A late joiner is shown the channel's recent history, each message once.
        Launched late = start("mc_client", "127.0.0.1", post, pub, "dev", "late");
        late.awaitOut("dave: after the refusal " + Launched.TIME, Launched.WAIT);
        late.endInput();
        assertEquals(0, late.exitCode(Launched.SOON));
        assertEquals(1, late.out().stream().filter(l -> l.startsWith("dave: dev only ")).count());

        for (Launched c : List.of(dave, olga, watcher)) {
            c.endInput();
            assertEquals(0, c.exitCode(Launched.SOON));
        }
        assertTrue(dave.out().stream().noneMatch(l -> l.contains("devops only")), dave.out().toString());
        assertTrue(olga.out().stream().noneMatch(l -> l.contains("dev only") && !l.contains("devops")),
                olga.out().toString());
        assertTrue(watcher.out().stream().noneMatch(l -> l.contains("can I post")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "post_client 127.0.0.1 5555 alice",
        "post_server 127.0.0.1 notaport",
        "mc_client 127.0.0.1 5555 5556 dev/ops alice",
        "mc_client 127.0.0.1 5555 5556 dev bad%name",
        "pub_client 127.0.0.1 5556 --history 5",
        "interactive_client 127.0.0.1 5555 5556 alice --history -1",
    })
    void badArgumentsPrintUsageAndExitTwo(String commandLine) throws Exception {
        String[] words = commandLine.split(" ");
        Launched bad = start(words[0], java.util.Arrays.copyOfRange(words, 1, words.length));
        assertEquals(2, bad.exitCode());
        bad.awaitErr("usage: " + words[0] + " .*", Launched.SOON);
        assertTrue(bad.err().stream().noneMatch(l -> l.contains("Exception") || l.startsWith("\tat ")),
                bad.err().toString());
    }

    @Test
    void theUserNameAllIsRefusedWithTheUsageAndExitTwo() throws Exception {
        Launched bad = start("mc_client", "127.0.0.1", "5555", "5556", "dev", "ALL");
        assertEquals(2, bad.exitCode());
        bad.awaitErr(java.util.regex.Pattern.quote(
                "mc_client: user name \"ALL\" is reserved: ALL is the channel that sees every channel"),
                Launched.SOON);
        bad.awaitErr("usage: mc_client .*", Launched.SOON);
        assertEquals(2, bad.err().size(), bad.err().toString());
    }

    @Test
    void postClientWithoutServerExitsOneWithinAboutFiveSeconds() throws Exception {
        int port = freePort();
        long t0 = System.nanoTime();
        Launched post = start("post_client", "127.0.0.1", Integer.toString(port), "alice", "anyone?");
        assertEquals(1, post.exitCode());
        long millis = (System.nanoTime() - t0) / 1_000_000;
        // The client gives up 5 s after it asked; the rest is JVM start-up, which a busy machine
        // stretches. The bound only shows that it does not wait much longer than it says.
        assertTrue(millis < 15_000, millis + " ms");
        post.awaitErr("post_client: no reply from tcp://127.0.0.1:" + port + " within 5 s", Launched.SOON);
        assertEquals(1, post.err().size(), post.err().toString());
    }

    @Test
    void mcClientWithoutServerExitsOneWithOneLine() throws Exception {
        int postPort = freePort();
        int pubPort = freePort();
        Launched client = start("mc_client", "127.0.0.1", Integer.toString(postPort), Integer.toString(pubPort),
                "dev", "alice");
        client.type("anyone?"); // typed while it tries: not posted, and no line of its own
        assertEquals(1, client.exitCode(Launched.WAIT));
        client.awaitErr("mc_client: cannot reach the server: no reply from tcp://127.0.0.1:" + postPort
                + " within 5 s", Launched.SOON);
        client.awaitOutputEnd(Launched.SOON);
        assertEquals(1, client.err().size(), client.err().toString());
        assertEquals(List.of(), client.out());
    }

    @Test
    void mcClientWithSwappedPortsSaysSoInOneLineAndExitsOne() throws Exception {
        Launched server = start("mc_server", "127.0.0.1", "0", "0");
        int[] ports = ports(server);
        // The PUB port where the post port goes, and the other way round.
        Launched client = start("mc_client", "127.0.0.1", Integer.toString(ports[1]), Integer.toString(ports[0]),
                "dev", "alice");
        client.type("anyone?");
        assertEquals(1, client.exitCode(Launched.WAIT));
        client.awaitErr("mc_client: cannot reach the server: no reply from tcp://127.0.0.1:" + ports[1]
                + " within 5 s: the port accepts connections, but no ZeroMQ post socket answers there"
                + " \\(are the post and PUB ports swapped\\?\\)", Launched.SOON);
        client.awaitOutputEnd(Launched.SOON);
        assertEquals(1, client.err().size(), client.err().toString());
        assertEquals(List.of(), client.out());
    }

    @Test
    void pubClientPrintsEveryPostOfARestartedServer() throws Exception {
        // Seen: after a restart, pub_client took the new server's seq 1..7 for duplicates of the
        // old server's and printed nothing until the 8th.
        Launched server = start("mc_server", "127.0.0.1", "0", "0");
        int[] ports = ports(server);
        Launched sub = start("pub_client", "127.0.0.1", Integer.toString(ports[1]));
        awaitJoined(ports, "general", sub);
        server.terminate();
        assertEquals(0, server.exitCode(Launched.SOON));
        Launched again = start("mc_server", "127.0.0.1", Integer.toString(ports[0]), Integer.toString(ports[1]));
        ports(again);
        awaitJoined(ports, "general", sub); // its SUB has reconnected once a probe arrives
        for (int i = 1; i <= 8; i++) {
            Launched post = start("post_client", "127.0.0.1", Integer.toString(ports[0]), "bob", "after " + i);
            assertEquals(0, post.exitCode(), post.err().toString());
        }
        for (int i = 1; i <= 8; i++) {
            sub.awaitOut("bob: after " + i + " " + Launched.TIME, Launched.SOON);
        }
    }

    @Test
    void serverOnAPortInUseExitsOneWithOneClearLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            Launched server = start("mc_server", "127.0.0.1", Integer.toString(port), "0");
            assertEquals(1, server.exitCode());
            server.awaitErr("mc_server: address 127.0.0.1:" + port + " is already in use", Launched.SOON);
            assertEquals(1, server.err().size(), server.err().toString());
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
