package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The TCP chat's commands, run through bin/ as processes. */
class TcpChatIT {

    /** Starts {@code bin/topicserver 0} and returns it with the port it picked. */
    static Launched topicServer() throws Exception {
        return Launched.start("topicserver", "0");
    }

    static int portOf(Launched server) throws InterruptedException {
        String line = server.nextErrContaining("topicserver: listening on ");
        String tail = line.substring(line.lastIndexOf(':') + 1);
        return Integer.parseInt(tail.substring(0, tail.indexOf(' ')));
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void twoClientsOfATopicChatAndAClientOfAnotherTopicSeesNothing() throws Exception {
        try (Launched server = topicServer()) {
            int port = portOf(server);
            String address = "127.0.0.1:" + port;
            try (Launched a = Launched.start("chat", "-topic", address, "dev");
                 Launched b = Launched.start("chat", "-topic", address, "dev");
                 Launched c = Launched.start("chat", "-topic", address, "devops")) {
                for (Launched s : List.of(a, b, c)) {
                    s.nextErrContaining("connected to");
                }
                a.handshake(b, "dev");
                a.type("hello from a");
                b.nextOut("dev:hello from a");
                b.type("hello from b");
                a.nextOut("dev:hello from b");
                for (Launched s : List.of(a, b, c)) {
                    s.endInput();
                }
                for (Launched s : List.of(a, b, c)) {
                    assertEquals(0, s.exitCode(), s.err().toString());
                }
                assertEquals(List.of(), c.remainingOut());
            }
            server.terminate();
            assertEquals(0, server.exitCode(Duration.ofSeconds(5)));
        }
    }

    @Test
    void topicServerStopsOnSigtermWithinTwoSecondsAndExitZero() throws Exception {
        try (Launched server = topicServer()) {
            portOf(server);
            long start = System.nanoTime();
            server.terminate();
            assertEquals(0, server.exitCode(Duration.ofSeconds(5)));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 2000, "stopped in " + millis + " ms");
        }
    }

    @Test
    void directPeersChatBothWaysAndTheGuestEndsWhenTheHostLeaves() throws Exception {
        int port = freePort();
        try (Launched host = Launched.start("chat", "-direct", Integer.toString(port))) {
            host.nextErrContaining("listening on port " + port);
            try (Launched guest = Launched.start("chat", "-direct", "0", "127.0.0.1:" + port)) {
                host.nextErrContaining("joined");
                guest.type("hi host");
                host.nextOut("direct:hi host");
                host.type("hi guest");
                guest.nextOut("direct:hi guest");
                host.endInput();
                assertEquals(0, host.exitCode());
                guest.nextErrContaining("left");
                assertEquals(0, guest.exitCode());
            }
        }
    }

    @Test
    void badArgumentsPrintUsageAndExitTwo() throws Exception {
        List<List<String>> cases = List.of(
                List.of("chat"),
                List.of("chat", "-sideways", "1"),
                List.of("chat", "-direct", "5000", "127.0.0.1:5001"),
                List.of("chat", "-topic", "127.0.0.1:notaport", "dev"),
                List.of("chat", "-topic", "127.0.0.1:5000", "no spaces"),
                List.of("topicserver"),
                List.of("topicserver", "70000"));
        List<Launched> runs = new ArrayList<>();
        try {
            for (List<String> c : cases) {
                runs.add(Launched.start(c.get(0), c.subList(1, c.size()).toArray(String[]::new)));
            }
            for (int i = 0; i < runs.size(); i++) {
                Launched run = runs.get(i);
                assertEquals(2, run.exitCode(Duration.ofSeconds(60)), cases.get(i) + ": " + run.err());
                assertTrue(run.err().stream().anyMatch(l -> l.startsWith("usage: ")), cases.get(i) + ": " + run.err());
                assertTrue(run.err().stream().noneMatch(l -> l.contains("Exception")), run.err().toString());
            }
        } finally {
            runs.forEach(Launched::close);
        }
    }

    @Test
    void clientWithNoServerAndServerOnAPortInUseExitOneWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            int free = freePort();
            try (Launched topic = Launched.start("chat", "-topic", "127.0.0.1:" + free, "dev");
                 Launched direct = Launched.start("chat", "-direct", "0", "127.0.0.1:" + free);
                 Launched server = Launched.start("topicserver", Integer.toString(taken.getLocalPort()))) {
                assertEquals(1, topic.exitCode());
                assertEquals(List.of("chat: cannot connect to 127.0.0.1:" + free + ": Connection refused"), topic.err());
                assertEquals(1, direct.exitCode());
                assertEquals(1, direct.err().size(), direct.err().toString());
                assertEquals(1, server.exitCode());
                assertEquals(List.of("topicserver: address 0.0.0.0:" + taken.getLocalPort() + " is already in use"),
                        server.err());
            }
        }
    }
}
