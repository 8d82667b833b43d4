package org.parley.zmq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parley.core.ChatMessage;
import org.parley.core.testing.RecordingListener;
import org.parley.zmq.internal.IoTicker;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A client of a server that sends what no Parley server sends: the client refuses it, logs it
 * without echoing it, and goes on.
 */
@Timeout(30)
class ZmqHostileServerTest {
    private ZContext raw;
    private ZMQ.Socket pub;
    private int pubPort;
    private ZmqChatClient client;
    private final RecordingListener heard = new RecordingListener();

    @BeforeEach
    void start() {
        raw = new ZContext(1);
        IoTicker.attach(raw);
        pub = raw.createSocket(SocketType.PUB);
        pub.setLinger(0);
        pubPort = pub.bindToRandomPort("tcp://127.0.0.1");
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        raw.close();
    }

    private static byte[] publication(long seq, String time, byte[] text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("{\"channel\":\"general\",\"seq\":" + seq + ",\"user\":\"eve\",\"time\":\"" + time
                + "\",\"text\":\"").getBytes(UTF_8));
        out.writeBytes(text);
        out.writeBytes("\"}".getBytes(UTF_8));
        return out.toByteArray();
    }

    private void publish(byte[] body) {
        pub.sendMore(Wire.topic("general"));
        pub.send(body, 0);
    }

    /** Subscribes a client of the fake PUB to general and returns the seq after the probes it heard. */
    private long subscribed() throws Exception {
        client = ZmqChatClient.connect(ZmqClientOptions.builder()
                .postPort(ZmqClientOptions.NO_PORT).pubPort(pubPort).user("victim").build());
        client.subscribe("general", heard);
        long seq = 0;
        ChatMessage probe = null;
        while (probe == null && seq < 100) {
            publish(publication(++seq, "2026-11-21T22:50:51.123Z", "probe".getBytes(UTF_8)));
            probe = heard.poll(Duration.ofMillis(100));
        }
        assertNotNull(probe, "the subscription never took effect");
        while (heard.poll(Duration.ofMillis(200)) != null) {
            // the later probes
        }
        return seq;
    }

    @Test
    void aPublicationFromBeyondTheYear9999IsRefusedAndTheNextIsDelivered() throws Exception {
        long seq = subscribed();
        try (LogCapture logged = LogCapture.of(ZmqChatClient.class)) {
            publish(publication(seq + 1, "+999999999-12-31T23:59:59.999Z", "from the far future".getBytes(UTF_8)));
            publish(publication(seq + 2, "2026-11-21T22:50:52.000Z", "from now".getBytes(UTF_8)));
            ChatMessage next = heard.next();
            assertEquals("from now", next.text());
            assertTrue(next.displayLine().startsWith("eve: from now ("));
            await().atMost(Duration.ofSeconds(5)).until(() -> !logged.containing("publication ignored").isEmpty());
            String line = logged.containing("publication ignored").get(0);
            assertTrue(line.contains("+999999999-12-31T23:59:59.999Z is outside the years 1970 to"), line);
        }
    }

    @Test
    void aPublicationThatIsNotStrictUtf8IsRefusedAndTheNextIsDelivered() throws Exception {
        long seq = subscribed();
        try (LogCapture logged = LogCapture.of(ZmqChatClient.class)) {
            // C0 AF: an overlong "/", which a lenient decoder shows as one.
            publish(publication(seq + 1, "2026-11-21T22:50:51.123Z", new byte[] {'a', (byte) 0xc0, (byte) 0xaf, 'b'}));
            publish(publication(seq + 2, "2026-11-21T22:50:51.123Z", "plain".getBytes(UTF_8)));
            assertEquals("plain", heard.next().text());
            await().atMost(Duration.ofSeconds(5)).until(() -> !logged.containing("publication ignored").isEmpty());
            String line = logged.containing("publication ignored").get(0);
            assertTrue(line.contains("not valid UTF-8: an overlong form"), line);
        }
    }

    @Test
    void aReplyThatIsNotStrictUtf8IsNotTakenForAnAnswer() throws Exception {
        ZMQ.Socket router = raw.createSocket(SocketType.ROUTER);
        router.setLinger(0);
        router.setReceiveTimeOut(5000);
        int port = router.bindToRandomPort("tcp://127.0.0.1");
        client = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(port).pubPort(ZmqClientOptions.NO_PORT)
                .user("victim").postTimeout(Duration.ofMillis(1500)).build());
        var posted = client.post("general", "hello");
        byte[] identity = router.recv(0);
        assertEquals(0, router.recv(0).length);
        String request = new String(router.recv(0), UTF_8);
        String ref = request.substring(request.indexOf("\"ref\":\"") + 7, request.lastIndexOf('"'));
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        reply.writeBytes("{\"ok\":true,\"channel\":\"gen".getBytes(UTF_8));
        reply.writeBytes(new byte[] {(byte) 0xc0, (byte) 0xaf});
        reply.writeBytes(("eral\",\"seq\":1,\"time\":\"2026-11-21T22:50:51.123Z\",\"ref\":\"" + ref + "\"}").getBytes(UTF_8));
        router.sendMore(identity);
        router.sendMore(new byte[0]);
        router.send(reply.toByteArray(), 0);
        ExecutionException e = assertThrows(ExecutionException.class, () -> posted.get(5, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause());
        assertTrue(e.getCause().getMessage().startsWith("no reply from"), e.getCause().getMessage());
    }

    @Test
    void whatAServerSaysReachesTheLogOnlyAsAnEscapedExcerpt() throws Exception {
        ZMQ.Socket router = raw.createSocket(SocketType.ROUTER);
        router.setLinger(0);
        router.setReceiveTimeOut(5000);
        int port = router.bindToRandomPort("tcp://127.0.0.1");
        client = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(port).pubPort(ZmqClientOptions.NO_PORT)
                .user("victim").build());
        String[] epochs = {"e1", "\\u001b[2J" + "x".repeat(500)}; // JSON for an ESC, then a long tail
        try (LogCapture logged = LogCapture.of(ZmqChatClient.class)) {
            for (String epoch : epochs) {
                var posted = client.post("general", "hello");
                byte[] identity = router.recv(0);
                router.recv(0);
                String request = new String(router.recv(0), UTF_8);
                String ref = request.substring(request.indexOf("\"ref\":\"") + 7, request.lastIndexOf('"'));
                router.sendMore(identity);
                router.sendMore(new byte[0]);
                router.send(("{\"ok\":true,\"channel\":\"general\",\"seq\":1,\"time\":\"2026-11-21T22:50:51.123Z\","
                        + "\"ref\":\"" + ref + "\",\"epoch\":\"" + epoch + "\"}").getBytes(UTF_8), 0);
                posted.get(5, TimeUnit.SECONDS);
            }
            List<String> lines = logged.containing("restarted");
            assertEquals(1, lines.size(), logged.lines().toString());
            String line = lines.get(0);
            assertTrue(line.contains("\"e1\" -> \"\\u001b[2Jxxx") && line.contains("...(504 chars)"), line);
            assertTrue(line.indexOf('\u001b') < 0 && line.length() < 300, line);
        }
    }

    @Test
    void aFrameOverTheClientsLimitEndsTheConnection() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            client = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(listener.getLocalPort())
                    .pubPort(ZmqClientOptions.NO_PORT).user("victim").build());
            try (RawZmtp server = RawZmtp.accept(listener, "ROUTER")) {
                server.sendLongHeader(0, ZmqClientOptions.DEFAULT_MAX_INCOMING_BYTES + 1);
                assertTrue(server.closedWithin(Duration.ofSeconds(5)),
                        "the client kept reading a server that declared a frame over its limit");
            }
        }
    }

    @Test
    void aFloodOfRepliesStarvesNeitherPublicationsNorClose() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            client = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(listener.getLocalPort())
                    .pubPort(pubPort).user("victim").build());
            client.subscribe("general", heard);
            try (RawZmtp server = RawZmtp.accept(listener, "ROUTER")) {
                // Replies that cost the client more to read (UTF-8 check, JSON) than the
                // server to send, answering nothing: without end, as fast as it takes them.
                byte[] body = ("{\"ok\":true,\"ref\":\"none\",\"pad\":\"" + "x".repeat(60_000) + "\"}").getBytes(UTF_8);
                ByteArrayOutputStream reply = new ByteArrayOutputStream();
                reply.write(RawZmtp.MORE);
                reply.write(0);
                reply.write(RawZmtp.LONG);
                reply.writeBytes(java.nio.ByteBuffer.allocate(8).putLong(body.length).array());
                reply.writeBytes(body);
                byte[] chunk = reply.toByteArray();
                java.util.concurrent.atomic.AtomicBoolean flooding = new java.util.concurrent.atomic.AtomicBoolean(true);
                Thread flood = new Thread(() -> {
                    try {
                        while (flooding.get()) {
                            server.sendRaw(chunk);
                        }
                    } catch (IOException e) {
                        // the client went away: the flood ends
                    }
                }, "flood");
                flood.setDaemon(true);
                flood.start();
                try {
                    long seq = 0;
                    ChatMessage m = null;
                    while (m == null && seq < 100) {
                        publish(publication(++seq, "2026-11-21T22:50:51.123Z", "heard through the flood".getBytes(UTF_8)));
                        m = heard.poll(Duration.ofMillis(100));
                    }
                    assertNotNull(m, "no publication was delivered during the flood");
                    assertTrue(flood.isAlive(), "the flood ended early");
                    client.close(); // waits for the I/O thread, up to its limit
                    assertTrue(client.stopped(), "the I/O thread did not stop within close()'s limit");
                } finally {
                    flooding.set(false);
                }
            }
        }
    }

    @Test
    void aFrameLengthWithTheTopBitSetCostsTheClientNothing() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            client = ZmqChatClient.connect(ZmqClientOptions.builder().postPort(listener.getLocalPort())
                    .pubPort(pubPort).user("victim").requestTimeout(Duration.ofSeconds(1)).build());
            client.subscribe("general", heard);
            try (RawZmtp server = RawZmtp.accept(listener, "ROUTER")) {
                // (int) of it is 2 GiB - 256: what JeroMQ 0.6.0 would allocate for the frame.
                server.sendLongHeader(0, 0x8000_0000_7FFF_FF00L);
                // Refused by the guard, which allocates nothing for it.
                await().atMost(Duration.ofSeconds(5)).until(() -> client.loop.postGuard.bogusLengths() == 1);
                // The client goes on: its subscription still delivers.
                long seq = 0;
                ChatMessage m = null;
                while (m == null && seq < 100) {
                    publish(publication(++seq, "2026-11-21T22:50:51.123Z", "still here".getBytes(UTF_8)));
                    m = heard.poll(Duration.ofMillis(100));
                }
                assertNotNull(m, "the client stopped delivering");
            }
        }
    }
}
