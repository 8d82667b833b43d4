package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Names on the TCP chat ({@code --name}) and its reconnection, run through bin/ as processes. */
class TcpNamesAndReconnectIT {

    @Test
    void aNamedSenderPrintsAsTopicUserTextAndAnUnnamedOneAsTopicText() throws Exception {
        try (Launched server = TcpChatIT.topicServer()) {
            String address = "127.0.0.1:" + TcpChatIT.portOf(server);
            try (Launched alice = Launched.start("chat", "-topic", address, "dev", "--name", "alice");
                 Launched plain = Launched.start("chat", "-topic", address, "dev")) {
                alice.nextErrContaining("connected to");
                plain.nextErrContaining("connected to");
                Launched.probeUntilPrinted(i -> alice.type("probe " + i), "dev:alice: probe \\d+", plain);
                alice.type("hello from alice");
                plain.nextOut("dev:alice: hello from alice");
                plain.type("hello from nobody");
                alice.nextOut("dev:hello from nobody");
                alice.endInput();
                plain.endInput();
                assertEquals(0, alice.exitCode(), alice.err().toString());
                assertEquals(0, plain.exitCode(), plain.err().toString());
            }
            server.terminate();
            assertEquals(0, server.exitCode(Duration.ofSeconds(5)));
        }
    }

    @Test
    void aListeningDirectPeerTellsItsTwoNamedPeersApart() throws Exception {
        int port = TcpChatIT.freePort();
        try (Launched host = Launched.start("chat", "-direct", Integer.toString(port))) {
            host.nextErrContaining("listening on port " + port);
            try (Launched ann = Launched.start("chat", "-direct", "0", "127.0.0.1:" + port, "--name", "ann");
                 Launched bob = Launched.start("chat", "--name", "bob", "-direct", "0", "127.0.0.1:" + port)) {
                host.nextErrContaining("joined");
                host.nextErrContaining("joined");
                ann.type("hi from ann");
                bob.type("hi from bob");
                host.awaitOut("direct:ann: hi from ann", Launched.SOON);
                host.awaitOut("direct:bob: hi from bob", Launched.SOON);
                host.type("hi both");
                ann.nextOut("direct:hi both");
                bob.nextOut("direct:hi both");
                host.endInput();
                assertEquals(0, host.exitCode());
                assertEquals(0, ann.exitCode());
                assertEquals(0, bob.exitCode());
            }
        }
    }

    @Test
    void aBadNameIsRefusedAtStartWithOneLineTheUsageAndExitTwo() throws Exception {
        try (Launched spaced = Launched.start("chat", "-topic", "127.0.0.1:5000", "dev", "--name", "a b");
             Launched reserved = Launched.start("chat", "-direct", "5000", "--name", "ALL");
             Launched missing = Launched.start("chat", "-topic", "127.0.0.1:5000", "dev", "--name")) {
            for (Launched run : List.of(spaced, reserved, missing)) {
                assertEquals(2, run.exitCode(Duration.ofSeconds(60)), run.err().toString());
                assertEquals(2, run.err().size(), run.err().toString());
                assertTrue(run.err().get(1).startsWith("usage: chat "), run.err().toString());
            }
            assertEquals("chat: user name \"a b\" breaks the rule [\\p{L}\\p{N}_.-]{1,32} (1 to 32 letters, digits, _ - .)",
                    spaced.err().get(0));
            assertEquals("chat: user name \"ALL\" is reserved: ALL is the channel that sees every channel",
                    reserved.err().get(0));
        }
    }

    @Test
    void aTopicClientReconnectsWhenItsServerRestartsDuringTraffic() throws Exception {
        int port = TcpChatIT.freePort();
        String address = "127.0.0.1:" + port;
        Launched server = Launched.start("topicserver", Integer.toString(port));
        server.nextErrContaining("listening on");
        try (Launched a = Launched.start("chat", "-topic", address, "dev", "--name", "ann", "--retry-for", "30");
             Launched b = Launched.start("chat", "-topic", address, "dev", "--retry-for", "30")) {
            a.nextErrContaining("connected to");
            b.nextErrContaining("connected to");
            Launched.probeUntilPrinted(i -> a.type("probe " + i), "dev:ann: probe \\d+", b);
            a.type("before the restart");
            b.nextOut("dev:ann: before the restart");
            server.terminate();
            assertEquals(0, server.exitCode(Duration.ofSeconds(5)));
            a.nextErrContaining("connection lost, reconnecting...");
            b.nextErrContaining("connection lost, reconnecting...");
            server.close();
            server = Launched.start("topicserver", Integer.toString(port));
            a.nextErrContaining("reconnected");
            b.nextErrContaining("reconnected");
            Launched.probeUntilPrinted(i -> a.type("again " + i), "dev:ann: again \\d+", b);
            a.type("after the restart");
            b.nextOut("dev:ann: after the restart");
            b.type("welcome back");
            a.nextOut("dev:welcome back");
            a.endInput();
            b.endInput();
            assertEquals(0, a.exitCode(), a.err().toString());
            assertEquals(0, b.exitCode(), b.err().toString());
            for (Launched c : List.of(a, b)) {
                assertTrue(c.err().stream().noneMatch(l -> l.contains("Exception") || l.startsWith("\tat ")), c.err().toString());
                assertEquals(1, c.err().stream().filter(l -> l.equals("connection lost, reconnecting...")).count(), c.err().toString());
                assertEquals(1, c.err().stream().filter(l -> l.equals("reconnected")).count(), c.err().toString());
            }
        } finally {
            server.close();
        }
    }

    @Test
    void aTopicClientGivesUpAfterRetryForWithOneLineAndExitOne() throws Exception {
        try (Launched server = TcpChatIT.topicServer()) {
            String address = "127.0.0.1:" + TcpChatIT.portOf(server);
            try (Launched a = Launched.start("chat", "-topic", address, "dev", "--retry-for", "1");
                 Launched b = Launched.start("chat", "-topic", address, "dev", "--retry-for", "0")) {
                a.nextErrContaining("connected to");
                a.handshake(b, "dev"); // a is registered: a loss now is one of a running client
                server.terminate();
                assertEquals(0, server.exitCode(Duration.ofSeconds(5)));
                assertEquals(1, a.exitCode());
                List<String> err = a.err();
                assertEquals(3, err.size(), err.toString());
                assertEquals("connection lost, reconnecting...", err.get(1));
                assertTrue(err.get(2).startsWith("chat: gave up reconnecting to 127.0.0.1:"), err.toString());
            }
        }
    }

    @Test
    void retryForIsForTopicModeAndAWholeNumber() throws Exception {
        try (Launched direct = Launched.start("chat", "-direct", "5000", "--retry-for", "5");
             Launched bad = Launched.start("chat", "-topic", "127.0.0.1:5000", "dev", "--retry-for", "soon")) {
            for (Launched run : List.of(direct, bad)) {
                assertEquals(2, run.exitCode(Duration.ofSeconds(60)), run.err().toString());
                assertEquals(2, run.err().size(), run.err().toString());
            }
            assertEquals("chat: --retry-for applies to -topic only: a direct peer does not reconnect", direct.err().get(0));
        }
    }
}
