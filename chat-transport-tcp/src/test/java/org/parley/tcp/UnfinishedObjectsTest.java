package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many connections each holding an unfinished object of almost the frame limit, made of tiny
 * tokens (the attack of issue 11, row 6, at a scale a test machine allows): each costs about
 * its bytes of heap, not seventeen times as much, and everybody else is served meanwhile and
 * afterwards. The same holds for a client against a hostile server.
 */
@Timeout(60)
class UnfinishedObjectsTest {
    private static final int CONNECTIONS = 32;
    private static final int LIMIT = 65536;
    /** What the figure per connection must stay under: the object's bytes twice over. */
    private static final long BOUND_PER_CONNECTION = 2L * LIMIT;
    /** 64,045 bytes of {@code "a",} tokens: under the limit, so never refused, and never ending. */
    private static final byte[] UNFINISHED = ("{\"source\":{\"ip\":\"1.1.1.1\",\"port\":\"1\"},\"topics\":["
            + "\"a\",".repeat(16_000)).getBytes(StandardCharsets.UTF_8);

    /** Heap in use after collecting what can be (a full collection with the default collector). */
    private static long heapInUse() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void serverHoldsAboutTheBytesOfEachUnfinishedObjectAndServesOthersThroughout() throws Exception {
        assertTrue(UNFINISHED.length < LIMIT);
        try (TopicServer server = TopicServer.start(TopicServerOptions.builder()
                .bindAddress(InetAddress.getLoopbackAddress()).build());
             RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port())) {
            long registered = server.registrations();
            a.register("dev");
            b.register("dev");
            await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() == registered + 2);
            a.say("dev", "before");
            assertEquals("dev:before", b.next());
            long before = heapInUse();
            List<Socket> attackers = new ArrayList<>();
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    Socket s = new Socket();
                    attackers.add(s);
                    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                    s.getOutputStream().write(UNFINISHED);
                }
                // Accepted, within the limits; then each round trip is a select round after every
                // attacker's bytes arrived.
                await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == CONNECTIONS + 2);
                a.say("dev", "during 1");
                assertEquals("dev:during 1", b.next());
                b.say("dev", "during 2");
                assertEquals("dev:during 2", a.next());
                long perConnection = (heapInUse() - before) / CONNECTIONS;
                assertTrue(perConnection < BOUND_PER_CONNECTION, "heap per connection holding an unfinished object of "
                        + UNFINISHED.length + " bytes: " + perConnection + " bytes");
            } finally {
                for (Socket s : attackers) {
                    s.close();
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 2);
            a.say("dev", "after");
            assertEquals("dev:after", b.next());
            long left = heapInUse() - before;
            assertTrue(left < CONNECTIONS * 16_384L, "heap still held after the attackers left: " + left + " bytes");
        }
    }

    @Test
    void clientHoldsAboutTheBytesOfAnUnfinishedObjectFromAHostileServer() throws Exception {
        try (ServerSocket hostile = new ServerSocket(0, CONNECTIONS + 1, InetAddress.getLoopbackAddress());
             TcpClientGroup group = TcpClientGroup.create()) {
            Recorder probeEvents = new Recorder();
            TopicClient probe = TopicClient.connect(group, "127.0.0.1", hostile.getLocalPort(), List.of("dev"), probeEvents);
            Socket toProbe = hostile.accept();
            List<TopicClient> victims = new ArrayList<>();
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    victims.add(TopicClient.connect(group, "127.0.0.1", hostile.getLocalPort(), List.of("dev"),
                            new Recorder()));
                    sockets.add(hostile.accept());
                }
                say(toProbe, "before");
                assertEquals("dev:before", probeEvents.until("dev:"));
                long before = heapInUse();
                for (Socket s : sockets) {
                    s.getOutputStream().write(UNFINISHED);
                }
                say(toProbe, "during 1"); // the group's thread has read everything sent before it
                assertEquals("dev:during 1", probeEvents.until("dev:"));
                say(toProbe, "during 2");
                assertEquals("dev:during 2", probeEvents.until("dev:"));
                long perClient = (heapInUse() - before) / CONNECTIONS;
                assertTrue(perClient < BOUND_PER_CONNECTION, "heap per client holding an unfinished object of "
                        + UNFINISHED.length + " bytes: " + perClient + " bytes");
                for (Socket s : sockets) {
                    s.close(); // the stream ends inside a message: each victim ends, the probe goes on
                }
                for (TopicClient victim : victims) {
                    assertTrue(victim.awaitClosed(Duration.ofSeconds(5)));
                }
                say(toProbe, "after");
                assertEquals("dev:after", probeEvents.until("dev:"));
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
                toProbe.close();
                probe.close();
            }
        }
    }

    private static void say(Socket s, String text) throws IOException {
        s.getOutputStream().write((RawClient.chat("dev", text) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
