package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The raw JSON relay numbers, publishes and answers as Parley's server does, and refuses what it cannot read. */
class JsonRelayTest {
    private static final Instant TIME = Instant.parse("2026-11-21T22:50:51.123Z");

    @Test
    void aPostIsNumberedInItsChannelPublishedAndAcknowledged() {
        JsonRelay relay = new JsonRelay();
        PostRequests requests = new PostRequests("post0", "bench", "k7x");
        byte[] text = Payload.text(99);
        String t = Payload.asString(text);

        JeromqRelay.Relayed first = relay.apply(requests.next(text, TIME));
        assertArrayEquals("bench\0".getBytes(StandardCharsets.UTF_8), first.topic());
        assertEquals("{\"channel\":\"bench\",\"seq\":1,\"user\":\"post0\",\"time\":\"2026-11-21T22:50:51.123Z\",\"text\":\""
                + t + "\"}", ascii(first.body()));
        assertEquals("{\"ok\":true,\"channel\":\"bench\",\"seq\":1,\"time\":\"2026-11-21T22:50:51.123Z\",\"ref\":\"1\","
                + "\"epoch\":\"relay\"}", ascii(first.reply()));
        assertEquals(2, seq(relay.apply(requests.next(text, TIME))));
        assertEquals(1, seq(relay.apply(new PostRequests("post1", "other").next(text, TIME))), "numbered per channel");
        assertEquals(3, seq(relay.apply(requests.next(text, TIME))));

        int at = ZmqServerScenario.textAt(first.body());
        assertEquals(t, new String(first.body(), at, Payload.SIZE, StandardCharsets.US_ASCII),
                "the light subscribers find the text in place");
    }

    @Test
    void whatIsNotAPostIsRefusedAndNotPublished() {
        JsonRelay relay = new JsonRelay();
        JeromqRelay.Relayed garbage = relay.apply("not json".getBytes(StandardCharsets.US_ASCII));
        assertNull(garbage.body());
        assertEquals("{\"ok\":false", ascii(garbage.reply()).substring(0, 11));
        JeromqRelay.Relayed noText = relay.apply("{\"user\":\"a\",\"ref\":\"9\"}".getBytes(StandardCharsets.US_ASCII));
        assertNull(noText.body());
        assertEquals("{\"ok\":false,\"error\":\"\\\"text\\\" is missing\",\"ref\":\"9\"}", ascii(noText.reply()));
        assertEquals(-1, ZmqServerScenario.textAt("{\"text\":\"short\"}".getBytes(StandardCharsets.US_ASCII)));
    }

    private static long seq(JeromqRelay.Relayed r) {
        String body = ascii(r.body());
        int from = body.indexOf("\"seq\":") + 6;
        return Long.parseLong(body.substring(from, body.indexOf(',', from)));
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }
}
