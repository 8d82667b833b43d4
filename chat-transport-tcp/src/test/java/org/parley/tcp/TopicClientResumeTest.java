package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.parley.core.PostAck;

/**
 * What a reconnecting {@link TopicClient} puts on the wire and does with what it gets
 * (extension "acknowledgements and resume"), against a scripted server on a plain socket.
 */
class TopicClientResumeTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String T1 = "2026-11-21T22:50:51.001Z";
    private static final String T2 = "2026-11-21T22:50:51.002Z";
    private static final String T3 = "2026-11-21T22:50:51.003Z";

    /** One accepted connection of the scripted server. */
    private static final class Peer implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        Peer(ServerSocket listener) throws IOException {
            listener.setSoTimeout(10_000);
            socket = listener.accept();
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        JsonNode read() throws IOException {
            String line = in.readLine();
            if (line == null) {
                throw new AssertionError("the client closed");
            }
            return MAPPER.readTree(line);
        }

        void write(String json) throws IOException {
            out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        void chat(String user, String text, long seq, String time) throws IOException {
            write("{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"9\"},\"message\":{\"topic\":\"dev\",\"text\":\"" + text
                    + "\",\"user\":\"" + user + "\",\"seq\":" + seq + ",\"time\":\"" + time + "\"}}");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void resumesFromWhatItGotSendsWhatWasNotAcknowledgedAgainUnchangedAndDeliversEachMessageOnce() throws Exception {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             TopicClient client = TopicClient.builder("127.0.0.1", listener.getLocalPort()).topics(List.of("dev"))
                     .user("ann").retryFor(Duration.ofSeconds(20)).connect(m -> got.add(m.displayLine()))) {
            JsonNode sent;
            JsonNode resent;
            CompletableFuture<PostAck> outcome;
            try (Peer first = new Peer(listener)) {
                JsonNode registration = first.read();
                assertEquals("dev", registration.get("topics").get(0).asText());
                assertEquals("{\"after\":{}}", registration.get("resume").toString()); // a first connection
                first.write("{\"registered\":{\"epoch\":\"e1\"}}");
                first.chat("bob", "one", 1, T1);
                first.chat("bob", "two", 2, T2);
                assertEquals("dev:bob: one", next(got));
                assertEquals("dev:bob: two", next(got));
                outcome = client.sendAcknowledged("dev", "mine");
                sent = first.read().get("message");
                assertEquals("ann", sent.get("user").asText());
                assertTrue(sent.get("id").asText().matches("[\\p{L}\\p{N}_.-]{1,64}"), sent.toString());
                assertTrue(sent.has("time"), sent.toString());
            } // dropped before the ack
            try (Peer second = new Peer(listener)) {
                JsonNode registration = second.read();
                assertEquals("{\"epoch\":\"e1\",\"after\":{\"dev\":2}}", registration.get("resume").toString());
                resent = second.read().get("message");
                assertEquals(sent, resent); // the same id, the same time
                second.write("{\"registered\":{\"epoch\":\"e1\"}}");
                second.chat("bob", "two", 2, T2); // already delivered: not again
                second.chat("ann", "mine", 3, resent.get("time").asText()); // its own post, replayed: no echo
                second.chat("bob", "three", 4, T3);
                assertEquals("dev:bob: three", next(got));
                assertFalse(outcome.isDone());
                second.write("{\"ack\":{\"id\":\"" + sent.get("id").asText() + "\",\"topic\":\"dev\",\"seq\":3,\"epoch\":\"e1\"}}");
                PostAck ack = outcome.get(10, TimeUnit.SECONDS);
                assertEquals(3, ack.seq());
                assertEquals("dev", ack.channel());
            }
            try (Peer third = new Peer(listener)) {
                JsonNode registration = third.read();
                assertEquals("{\"epoch\":\"e1\",\"after\":{\"dev\":4}}", registration.get("resume").toString());
                // A restarted server (another epoch): it counts from 1 again. A post the old one
                // delivered, recorded again (the same user, time and text), is not delivered twice.
                third.write("{\"registered\":{\"epoch\":\"e2\"}}");
                third.chat("bob", "three", 1, T3);
                third.chat("bob", "four", 2, T3);
                assertEquals("dev:bob: four", next(got));
            }
            try (Peer fourth = new Peer(listener)) {
                assertEquals("{\"epoch\":\"e2\",\"after\":{\"dev\":2}}", fourth.read().get("resume").toString());
            }
            assertNull(got.poll(200, TimeUnit.MILLISECONDS), "delivered more: " + got);
        }
    }

    @Test
    void aPlainClientSendsTheBasicObjectsAndAsksForNoAcknowledgement() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             TopicClient client = TopicClient.builder("127.0.0.1", listener.getLocalPort()).topics(List.of("dev"))
                     .connect(m -> { });
             Peer peer = new Peer(listener)) {
            assertFalse(peer.read().has("resume"));
            assertTrue(client.send("hi"));
            assertEquals("{\"topic\":\"dev\",\"text\":\"hi\"}", peer.read().get("message").toString());
            assertTrue(client.sendAcknowledged("dev", "hi").isCompletedExceptionally());
        }
    }

    @Test
    void unacknowledgedMessagesAreBoundedAndFailWhenTheClientCloses() throws Exception {
        CompletableFuture<PostAck> first;
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             TopicClient client = TopicClient.builder("127.0.0.1", listener.getLocalPort()).topics(List.of("dev"))
                     .user("ann").retryFor(Duration.ofSeconds(20)).connect(m -> { });
             Peer peer = new Peer(listener)) {
            peer.read();
            peer.write("{\"registered\":{\"epoch\":\"e1\"}}");
            first = client.sendAcknowledged("dev", "m0");
            for (int i = 1; i < TopicClient.MAX_WAITING; i++) {
                assertTrue(client.send("m" + i));
            }
            assertFalse(client.send("one too many"));
            assertTrue(client.sendAcknowledged("dev", "one too many").isCompletedExceptionally());
            assertEquals("m0", peer.read().get("message").get("text").asText());
        }
        assertTrue(first.isCompletedExceptionally());
    }

    private static String next(BlockingQueue<String> got) throws InterruptedException {
        String line = got.poll(10, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("nothing delivered within 10 s");
        }
        return line;
    }
}
