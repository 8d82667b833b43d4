package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Direct peers and the topic client, on real loopback sockets. */
class PeersTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void directPeersChatBothWays() throws Exception {
        Recorder host = new Recorder();
        Recorder guest = new Recorder();
        try (DirectPeer listening = DirectPeer.listen(LOOPBACK, 0, host);
             DirectPeer connecting = DirectPeer.connect("127.0.0.1", listening.port(), guest)) {
            assertEquals("joined", guest.next());
            assertTrue(connecting.send("hello host"));
            assertEquals("joined", host.next());
            assertEquals("direct:hello host", host.next());
            assertTrue(listening.send("hello guest"));
            assertEquals("direct:hello guest", guest.next());
        }
    }

    @Test
    void listeningPeerSendsToEveryConnectedPeer() throws Exception {
        Recorder host = new Recorder();
        Recorder one = new Recorder();
        Recorder two = new Recorder();
        try (DirectPeer listening = DirectPeer.listen(LOOPBACK, 0, host);
             DirectPeer a = DirectPeer.connect("127.0.0.1", listening.port(), one);
             DirectPeer b = DirectPeer.connect("127.0.0.1", listening.port(), two)) {
            host.next();
            host.next(); // both joined
            listening.send("to all");
            assertEquals("direct:to all", one.until("direct:"));
            assertEquals("direct:to all", two.until("direct:"));
        }
    }

    @Test
    void connectingPeerEndsCleanlyWhenTheOtherSideLeaves() throws Exception {
        Recorder guest = new Recorder();
        Recorder host = new Recorder();
        DirectPeer listening = DirectPeer.listen(LOOPBACK, 0, host);
        try (DirectPeer connecting = DirectPeer.connect("127.0.0.1", listening.port(), guest)) {
            assertEquals("joined", host.next());
            listening.send("bye");
            listening.close();
            assertEquals("direct:bye", guest.until("direct:"));
            assertEquals("left", guest.next());
            assertEquals("closed", guest.next());
            assertTrue(connecting.awaitClosed(Duration.ofSeconds(5)));
            assertFalse(connecting.isOpen());
        }
    }

    @Test
    void listeningPeerSeesAPeerLeave() throws Exception {
        Recorder host = new Recorder();
        try (DirectPeer listening = DirectPeer.listen(LOOPBACK, 0, host)) {
            DirectPeer.connect("127.0.0.1", listening.port(), new Recorder()).close();
            assertEquals("joined", host.next());
            assertEquals("left", host.next());
            assertEquals(0, listening.peerCount());
        }
    }

    @Test
    void connectingWhereNobodyListensFails() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThrows(ConnectException.class, () -> DirectPeer.connect("127.0.0.1", port, new Recorder()));
    }

    @Test
    void listeningOnAPortInUseFails() throws Exception {
        try (DirectPeer first = DirectPeer.listen(LOOPBACK, 0, new Recorder())) {
            assertThrows(java.net.BindException.class, () -> DirectPeer.listen(LOOPBACK, first.port(), new Recorder()));
        }
    }

    @Test
    void topicClientsChatThroughTheServer() throws Exception {
        Recorder one = new Recorder();
        Recorder two = new Recorder();
        try (TopicServer server = TopicServer.start(TopicServerOptions.builder().bindAddress(LOOPBACK).build());
             TopicClient a = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev")).connect(one);
             TopicClient b = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev", "ops"))
                     .connect(two)) {
            org.awaitility.Awaitility.await().until(() -> server.registrations() == 2);
            assertTrue(a.send("hi b"));
            assertEquals("dev:hi b", two.until("dev:"));
            b.send("hi a"); // to b's first topic
            assertEquals("dev:hi a", one.until("dev:"));
            b.send("ops", "not for a");
            b.send("dev", "for a");
            assertEquals("dev:for a", one.next(), "a is not registered for ops: the next thing it hears is dev");
        }
    }

    @Test
    void topicClientRejectsBadTextAndTopicsBeforeSending() throws Exception {
        try (TopicServer server = TopicServer.start(TopicServerOptions.builder().bindAddress(LOOPBACK).build());
             TopicClient a = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev"))
                     .connect(new Recorder())) {
            assertEquals("text is blank", assertThrows(IllegalArgumentException.class, () -> a.send("  ")).getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.send("no spaces", "x"));
            assertEquals("channel ALL is read-only",
                    assertThrows(IllegalArgumentException.class, () -> a.send("ALL", "x")).getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> TopicClient.builder("127.0.0.1", server.port()).topics(List.of()).connect(new Recorder()));
        }
    }

    @Test
    void topicClientReportsAServersErrorAndTheEnd() throws Exception {
        Recorder events = new Recorder();
        try (ServerSocket fake = new ServerSocket(0, 1, LOOPBACK);
             TopicClient client = TopicClient.builder("127.0.0.1", fake.getLocalPort()).topics(List.of("dev"))
                     .connect(events);
             Socket s = fake.accept()) {
            OutputStream out = s.getOutputStream();
            out.write("{\"error\":\"you are not welcome\"}\n".getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            assertEquals("joined", events.next());
            assertEquals("error you are not welcome", events.next());
            assertEquals("left", events.next());
            assertEquals("closed", events.next());
        }
    }

    @Test
    void topicClientAnswersGarbageFromItsServerWithAnError() throws Exception {
        Recorder events = new Recorder();
        try (ServerSocket fake = new ServerSocket(0, 1, LOOPBACK);
             TopicClient client = TopicClient.builder("127.0.0.1", fake.getLocalPort()).topics(List.of("dev"))
                     .connect(events);
             Socket s = fake.accept()) {
            s.getOutputStream().write("garbage".getBytes(StandardCharsets.UTF_8));
            assertTrue(events.until("error").startsWith("error bad input from"));
            InputStream in = s.getInputStream();
            String received = new String(in.readAllBytes(), StandardCharsets.UTF_8); // until the client closes
            assertTrue(received.contains("\"topics\":[\"dev\"]"), received);
            assertTrue(received.contains("{\"error\":\"not JSON"), received);
            assertEquals("closed", events.until("closed"));
        }
    }

    @Test
    void messagesOfOneReadArriveInOrderBeforeTheEndAndOneFailingCallSkipsNoOther() throws Exception {
        // The client hands everything one read decodes to its delivery thread as one batch.
        Recorder events = new Recorder();
        TcpListener failsOnSecond = new TcpListener() {
            @Override
            public void onMessage(TcpMessage message) {
                events.onMessage(message);
                if (message.text().equals("2")) {
                    throw new IllegalStateException("listener bug on purpose");
                }
            }

            @Override
            public void onPeerLeft(TcpAddress peer, java.io.IOException cause) {
                events.onPeerLeft(peer, cause);
            }
        };
        StringBuilder lines = new StringBuilder();
        for (int i = 1; i <= 5; i++) {
            lines.append("{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"5\"},\"message\":{\"topic\":\"dev\",\"text\":\"")
                    .append(i).append("\"}}\n");
        }
        try (ServerSocket fake = new ServerSocket(0, 1, LOOPBACK);
             TopicClient client = TopicClient.builder("127.0.0.1", fake.getLocalPort()).topics(List.of("dev"))
                     .connect(failsOnSecond);
             Socket s = fake.accept()) {
            s.getOutputStream().write(lines.toString().getBytes(StandardCharsets.UTF_8)); // one write, one read
            s.shutdownOutput();
            assertEquals(List.of("dev:1", "dev:2", "dev:3", "dev:4", "dev:5", "left"),
                    List.of(events.next(), events.next(), events.next(), events.next(), events.next(), events.next()));
        }
    }

    @Test
    void closingLeavesNoThreadBehind() throws Exception {
        try (DirectPeer listening = DirectPeer.listen(LOOPBACK, 0, new Recorder())) {
            DirectPeer.connect("127.0.0.1", listening.port(), new Recorder()).close();
            listening.close();
            listening.close();
            // Tests run one after the other, each closing what it opened: no Parley thread may be left.
            assertEquals(List.of(), Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                    .map(Thread::getName).filter(n -> n.startsWith("parley-tcp-")).toList());
        }
    }

}
