package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bin/parley_server}: one hub, a ZeroMQ client and a TCP topic client of one channel. */
class BridgeIT extends WithProcesses {
    static final String TCP_USER = "127\\.0\\.0\\.1-\\d+";




    /** {post, pub, tcp} as the server reports them. */
    private static int[] ports(Launched server) throws InterruptedException {
        List<Integer> ports = server.ports("parley_server: listening .*", Launched.WAIT);
        assertEquals(3, ports.size(), ports.toString());
        return ports.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Types probes into the TCP client until every reader printed one: then the TCP client is
     * registered (the server forwards only from registered connections) and the readers subscribed.
     */
    private static void probe(Launched tcp, Launched... readers) throws Exception {
        Launched.probeUntilPrinted(i -> tcp.type("probe " + i), ".*" + TCP_USER + ": probe \\d+ .*", readers);
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
        tcp.awaitErr("chat: connected to .*", Launched.WAIT);
        probe(tcp, zoe, watcher);

        tcp.type("hello from tcp");
        zoe.awaitOut(TCP_USER + ": hello from tcp " + Launched.TIME, Launched.SOON);
        watcher.awaitOut("\\[general\\] " + TCP_USER + ": hello from tcp " + Launched.TIME, Launched.SOON);

        zoe.type("hello from zmq");
        tcp.awaitOut("general:zoe: hello from zmq", Launched.SOON);
        watcher.awaitOut("\\[general\\] zoe: hello from zmq " + Launched.TIME, Launched.SOON);

        server.terminate();
        assertEquals(0, server.exitCode(Duration.ofSeconds(5)), server.err().toString());
    }

    @Test
    void bothSidesSeeOneListOfWhoIsThere() throws Exception {
        Launched server = start("parley_server", "127.0.0.1", "0", "0", "0");
        int[] p = ports(server);
        Launched zoe = start("mc_client", "127.0.0.1", Integer.toString(p[0]), Integer.toString(p[1]), "dev", "zoe");
        zoe.awaitErr("mc_client: joined dev as zoe", Launched.SOON);
        Launched alice = start("chat", "-topic", "127.0.0.1:" + p[2], "dev", "--name", "alice");
        alice.awaitErr("chat: connected to .*", Launched.WAIT);
        // Each says every 5 s that it is there; the hub keeps one list for both transports.
        zoe.awaitErr("mc_client: alice joined dev", Launched.SOON);
        alice.type("/who");
        alice.awaitErr("chat: in dev: alice, zoe", Launched.SOON);
        zoe.type("/who");
        zoe.awaitErr("mc_client: in dev: alice, zoe", Launched.SOON);
        alice.type("/channels");
        alice.awaitErr("chat: the topic protocol lists no channels .*", Launched.SOON);
        alice.type("/quit");
        assertEquals(0, alice.exitCode(Launched.SOON));
        zoe.awaitErr("mc_client: alice left dev", Duration.ofSeconds(45)); // 15 s of silence, then a refresh, on a busy machine
    }

    @Test
    void topicClientCannotPostToAllAndIsToldWhy() throws Exception {
        Launched server = start("parley_server", "127.0.0.1", "0", "0", "0");
        int[] p = ports(server);
        Launched tcp = start("chat", "-topic", "127.0.0.1:" + p[2], "ALL");
        tcp.awaitErr("chat: connected to .*", Launched.WAIT);
        tcp.type("may I?");
        // The client knows the rule and keeps the line (the server would refuse it and close the
        // connection: TCP BadInputTest covers that side).
        tcp.awaitErr(".*not sent: channel ALL is read-only", Launched.SOON);
        tcp.endInput();
        assertEquals(0, tcp.exitCode(Launched.SOON));
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
            assertEquals(2, l.exitCode(), l.err().toString());
            assertTrue(l.err().stream().anyMatch(s -> s.startsWith("usage: parley_server")), l.err().toString());
        }
    }
}
