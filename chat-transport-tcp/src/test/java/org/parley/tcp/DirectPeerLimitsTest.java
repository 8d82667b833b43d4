package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A listening direct peer is a server too: it serves a bounded number of peers, in all and
 * from one address, tells one more why not, and goes on with those it has.
 */
@Timeout(30)
class DirectPeerLimitsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final List<RawClient> opened = new ArrayList<>();

    @AfterEach
    void closeClients() throws IOException {
        for (RawClient c : opened) {
            c.close();
        }
    }

    private RawClient open(DirectPeer listening, String localIp) throws IOException {
        RawClient c = new RawClient(listening.port(), localIp);
        opened.add(c);
        return c;
    }

    /** A raw client from {@code localIp} that {@code listening} took as a peer. */
    private RawClient joined(DirectPeer listening, Recorder host, String localIp) throws Exception {
        RawClient c = open(listening, localIp);
        assertEquals("joined", host.next());
        return c;
    }

    private static void assertToldAndClosed(RawClient c, String error) throws IOException {
        assertEquals(error, c.json().get("error").textValue());
        assertTrue(c.closedByServer(), "still open after: " + error);
    }

    @Test
    void oneAddressGetsNoMoreThanItsLimitOfPeersByDefault() throws Exception {
        Recorder host = new Recorder();
        Recorder guest = new Recorder();
        try (DirectPeer listening = DirectPeer.listen(LOOPBACK, 0, host)) {
            List<RawClient> fromOne = new ArrayList<>();
            for (int i = 0; i < DirectPeer.MAX_PEERS_PER_ADDRESS; i++) {
                fromOne.add(joined(listening, host, "127.0.0.4"));
            }
            assertToldAndClosed(open(listening, "127.0.0.4"), "connection 33 from 127.0.0.4 exceeds the limit of 32 per address");
            try (DirectPeer other = DirectPeer.connect("127.0.0.1", listening.port(), guest)) {
                assertEquals("joined", host.next(), "the refused one is not heard of; another address gets in");
                assertTrue(listening.send("still here"));
                assertEquals("direct:still here", guest.until("direct:"));
                assertEquals("direct:still here", fromOne.get(0).next());
            }
            assertEquals("left", host.next());
            fromOne.get(0).close();
            assertEquals("left", host.next());
            joined(listening, host, "127.0.0.4"); // a place was freed
            assertEquals(DirectPeer.MAX_PEERS_PER_ADDRESS, listening.peerCount());
        }
    }

    @Test
    void peerPastTheTotalIsToldTheListeningPeerIsFullAndAPlaceFreedIsTaken() throws Exception {
        Recorder host = new Recorder();
        try (DirectPeer listening = DirectPeer.listen(LOOPBACK, 0, host, 3, 2)) {
            RawClient a = joined(listening, host, "127.0.0.2");
            joined(listening, host, "127.0.0.3");
            joined(listening, host, "127.0.0.3");
            assertToldAndClosed(open(listening, "127.0.0.5"), "the peer is full: 3 connections");
            assertToldAndClosed(open(listening, "127.0.0.2"), "the peer is full: 3 connections");
            assertTrue(listening.send("to the three"));
            assertEquals("direct:to the three", a.next());
            a.close();
            assertEquals("left", host.next());
            await().atMost(Duration.ofSeconds(5)).until(() -> listening.peerCount() == 2);
            joined(listening, host, "127.0.0.5");
            assertEquals(3, listening.peerCount());
        }
    }
}
