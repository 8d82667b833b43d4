package org.parley.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.ProtocolException;

/** The codec in memory: the shapes it writes, and what it refuses to read. */
class WebWireTest {
    private static final Instant T = Instant.parse("2026-11-21T22:50:51.123Z");

    private static String refusal(String frame) {
        return assertThrows(ProtocolException.class, () -> WebWire.read(frame)).getMessage();
    }

    @Test
    void aMessageIsTheZeroMqPublicationBody() {
        assertEquals("{\"channel\":\"dev\",\"seq\":17,\"user\":\"kyle\",\"time\":\"2026-11-21T22:50:51.123Z\","
                + "\"text\":\"<b>\\\"hi\\\"</b>\"}", WebWire.message(new ChatMessage("dev", 17, "kyle", T, "<b>\"hi\"</b>")));
    }

    @Test
    void whatIsNotOneJsonObjectIsRefusedSayingWhy() {
        assertEquals("request is not valid JSON: trailing token (START_OBJECT) after the object", refusal("{} {}"));
        assertEquals("request is a JSON string, not an object", refusal("\"post\""));
        assertTrue(refusal("[".repeat(40)).startsWith("request is not valid JSON: Document nesting depth (17) exceeds"),
                refusal("[".repeat(40)));
        assertTrue(refusal("{\"after\":" + "9".repeat(200) + "}").startsWith("request is not valid JSON: Number value length"));
    }

    @Test
    void nullCountsAsAbsentAndUnknownFieldsAreIgnored() throws Exception {
        WebWire.Request r = WebWire.read("{\"type\":null,\"user\":\"a\",\"colour\":{\"deep\":[1,2]},\"text\":\"x\"}");
        assertEquals(null, r.string("type"));
        assertEquals("a", r.required("user"));
        assertEquals("\"channel\" is missing", assertThrows(ProtocolException.class, () -> r.required("channel")).getMessage());
    }

    @Test
    void aHistoryReplyOfTextsOfManyBytesAndALongRefStaysWithinItsBytes() throws Exception {
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            messages.add(new ChatMessage("dev", i, "kyle", T, "\u4e2d".repeat(5000))); // 3 bytes a character
        }
        HistoryPage page = new HistoryPage("dev", 1, 100, messages);
        String ref = "r".repeat(25_000);
        for (boolean newest : new boolean[] {false, true}) {
            String reply = WebWire.history(page, ref, 65_536, newest, "e");
            assertTrue(reply.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 65_536,
                    reply.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + " bytes");
            JsonNode read = WsClient.JSON.readTree(reply);
            assertEquals(2, read.get("messages").size()); // 15,000 bytes and more each, beside the ref
            assertEquals(ref, read.get("ref").asText());
        }
    }

    @Test
    void aHistoryReplyHoldsWhatFitsTheOldestOrTheNewest() throws Exception {
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            messages.add(new ChatMessage("dev", i, "kyle", T, "x".repeat(1000)));
        }
        HistoryPage page = new HistoryPage("dev", 1, 10, messages);
        JsonNode oldest = WsClient.JSON.readTree(WebWire.history(page, "r", 4000, false, "e"));
        JsonNode newest = WsClient.JSON.readTree(WebWire.history(page, "r", 4000, true, "e"));
        assertEquals(3, oldest.get("messages").size());
        assertEquals(1, oldest.get("messages").get(0).get("seq").asLong());
        assertEquals(3, newest.get("messages").size());
        assertEquals(10, newest.get("messages").get(2).get("seq").asLong());
        assertEquals(10, newest.get("last").asLong());
        assertEquals("e", newest.get("epoch").asText());
        // However small the limit, one message is sent: a client can always move on.
        assertEquals(1, WsClient.JSON.readTree(WebWire.history(page, null, 10, false, "e")).get("messages").size());
    }
}
