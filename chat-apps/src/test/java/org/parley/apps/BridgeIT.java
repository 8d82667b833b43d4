package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code bin/parley_server}: one hub, a ZeroMQ client and a TCP topic client of one channel. */
class BridgeIT {
    static final Duration START = Duration.ofSeconds(20);
    static final Duration SOON = Duration.ofSeconds(10);
    static final String TIME = "\\(\\d\\d:\\d\\d:\\d\\d\\)";
    static final String TCP_USER = "127\\.0\\.0\\.1-\\d+";

    private final List<Launched> started = new ArrayList<>();

    @AfterEach
    void killEverything() {
        started.forEach(Launched::close);
    }

    private Launched start(String command, String... args) throws IOException {
        Launched l = Launched.start(command, args);
        started.add(l);
        return l;
    }

    /** {post, pub, tcp} as the server reports them. */
    private static int[] ports(Launched server) throws InterruptedException {
        String line = server.awaitErr("parley_server: listening .*", START);
        Matcher m = Pattern.compile(":(\\d+)").matcher(line);
        int[] ports = new int[3];
        for (int i = 0; i < 3; i++) {
            assertTrue(m.find(), line);
            ports[i] = Integer.parseInt(m.group(1));
        }
        return ports;
    }

    /**
     * Types probes into the TCP client until every reader printed one: then the TCP client is
     * registered (the server forwards only from registered connections) and the readers subscribed.
     */
    private static void probe(Launched tcp, Launched... readers) throws Exception {
        for (Launched reader : readers) {
            for (int i = 0; ; i++) {
                tcp.type("probe " + i);
                try {
                    reader.awaitOut(".*" + TCP_USER + ": probe \\d+ .*", Duration.ofMillis(300));
                    break;
                } catch (AssertionError notYet) {
                    if (i > 60) {
                        throw notYet;
                    }
                }
            }
        }
    }

    @Test
    void topicClientAndChannelClientSeeEachOtherAndAllSeesBoth() throws Exception {
        Launched server = start("parley_server", "127.0.0.1", "0", "0", "0");
        int[] p = ports(server);
        String post = Integer.toString(p[0]);
        String pub = Integer.toString(p[1]);
        Launched zoe = start("mc_client", "127.0.0.1", post, pub, "general", "zoe", "--history", "0");
        Launched watcher = start("mc_client", "127.0.0.1", post, pub, "ALL", "watcher", "--history", "0");
        Launched tcp = start("chat", "-topic", "127.0.0.1:" + p[2], "general");
        tcp.awaitErr("chat: connected to .*", START);
        probe(tcp, zoe, watcher);

        tcp.type("hello from tcp");
        zoe.awaitOut(TCP_USER + ": hello from tcp " + TIME, SOON);
        watcher.awaitOut("\\[general\\] " + TCP_USER + ": hello from tcp " + TIME, SOON);

        zoe.type("hello from zmq");
        tcp.awaitOut("general:hello from zmq", SOON);
        watcher.awaitOut("\\[general\\] zoe: hello from zmq " + TIME, SOON);

        server.terminate();
        assertEquals(0, server.exitCode(Duration.ofSeconds(5)), server.err().toString());
    }

    @Test
    void topicClientCannotPostToAllAndIsToldWhy() throws Exception {
        Launched server = start("parley_server", "127.0.0.1", "0", "0", "0");
        int[] p = ports(server);
        Launched tcp = start("chat", "-topic", "127.0.0.1:" + p[2], "ALL");
        tcp.awaitErr("chat: connected to .*", START);
        tcp.type("may I?");
        tcp.awaitErr("error from 127\\.0\\.0\\.1:" + p[2] + ": channel ALL is read-only", SOON);
        assertEquals(1, tcp.exitCode(SOON));
        assertEquals(List.of(), tcp.out());
        assertEquals(List.of(), server.out());
        server.terminate();
        assertEquals(0, server.exitCode(Duration.ofSeconds(5)));
    }

    @Test
    void badArgumentsPrintUsageAndExitTwo() throws Exception {
        Launched few = start("parley_server", "127.0.0.1", "0", "0");
        Launched same = start("parley_server", "127.0.0.1", "7000", "7000", "7001");
        for (Launched l : List.of(few, same)) {
            assertEquals(2, l.exitCode(START), l.err().toString());
            assertTrue(l.err().stream().anyMatch(s -> s.startsWith("usage: parley_server")), l.err().toString());
        }
    }
}
