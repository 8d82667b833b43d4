package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqClientOptions;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** The light posters send what Parley's client sends, byte for byte but for the clock and the counters. */
class PostRequestsTest {
    private static final Instant TIME = Instant.parse("2026-11-21T22:50:51.123Z");

    @Test
    void aRequestIsTheProtocolsPostWithARefAndAnIdInBase36() {
        PostRequests requests = new PostRequests("post0", "bench", "k7x");
        byte[] text = Payload.text(42);
        String t = Payload.asString(text);
        assertEquals("{\"type\":\"post\",\"user\":\"post0\",\"channel\":\"bench\",\"text\":\"" + t
                + "\",\"time\":\"2026-11-21T22:50:51.123Z\",\"ref\":\"1\",\"id\":\"k7x.1\"}",
                new String(requests.next(text, TIME), StandardCharsets.US_ASCII));
        for (int i = 2; i < 36; i++) {
            requests.next(text, TIME);
        }
        String thirtySixth = new String(requests.next(text, TIME), StandardCharsets.US_ASCII);
        assertTrue(thirtySixth.endsWith(",\"ref\":\"10\",\"id\":\"k7x.10\"}"), thirtySixth);
    }

    @Test
    void aBenchmarkTextNeedsNoEscapingInJson() throws Exception {
        for (byte[] text : List.of(Payload.text(System.nanoTime()), Payload.text(-1), Payload.probe())) {
            for (byte b : text) {
                assertTrue(b >= 0x20 && b < 0x7f && b != '"' && b != '\\', "byte " + b);
            }
            JsonNode post = new ObjectMapper().readTree(new PostRequests("post1", "bench").next(text));
            assertEquals(Payload.asString(text), post.get("text").asText(), "JSON reads the text back unchanged");
        }
    }

    @Test
    @Timeout(60)
    void parleysClientSendsTheSameBytesButForTimeRefAndId() throws Exception {
        byte[] text = Payload.text(7);
        try (ZContext context = new ZContext(1)) {
            ZMQ.Socket router = context.createSocket(SocketType.ROUTER);
            router.setReceiveTimeOut(20_000);
            int port = router.bindToRandomPort("tcp://127.0.0.1");
            List<String> bodies = new ArrayList<>();
            try (ZmqChatClient client = ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                    .postPort(port).pubPort(ZmqClientOptions.NO_PORT).user("post0").build())) {
                client.post("bench", Payload.asString(text));
                while (bodies.stream().noneMatch(b -> b.contains("\"type\":\"post\""))) {
                    assertNotNull(router.recv(), "the client's identity frame, within 20 s");
                    assertArrayEquals(new byte[0], router.recv(), "the empty delimiter");
                    bodies.add(new String(router.recv(), StandardCharsets.UTF_8));
                }
            }
            String parleys = bodies.stream().filter(b -> b.contains("\"type\":\"post\"")).findFirst().orElseThrow();
            String ours = new String(new PostRequests("post0", "bench").next(text), StandardCharsets.US_ASCII);
            assertEquals(normalised(parleys), normalised(ours), "the request " + parleys);
        }
    }

    /** The request with its clock, ref and id values blanked: what may differ between two clients. */
    private static String normalised(String request) {
        return request.replaceAll("\"time\":\"[^\"]*\"", "\"time\":\"T\"")
                .replaceAll("\"ref\":\"[0-9a-z]+\"", "\"ref\":\"R\"")
                .replaceAll("\"id\":\"[0-9a-z]+\\.[0-9a-z]+\"", "\"id\":\"P.N\"");
    }
}
