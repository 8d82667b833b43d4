package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.core.ProtocolException;

class JsonObjectDecoderTest {
    private static final int LIMIT = 65536;
    private final JsonObjectDecoder decoder = new JsonObjectDecoder(LIMIT);
    private final List<ObjectNode> objects = new ArrayList<>();

    private void feed(byte[] bytes) throws ProtocolException {
        decoder.feed(bytes, 0, bytes.length, t -> objects.add(JsonObjectDecoder.tree(t)));
    }

    private void feed(String s) throws ProtocolException {
        feed(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void objectSplitAcrossReadsIsReadWhole() throws Exception {
        feed("{\"a\":\"he");
        assertEquals(0, objects.size());
        feed("llo\"}\n");
        assertEquals(1, objects.size());
        assertEquals("hello", objects.get(0).get("a").textValue());
    }

    @Test
    void twoObjectsInOneReadAreBothRead() throws Exception {
        feed("{\"n\":1}\n{\"n\":2}\n");
        assertEquals(2, objects.size());
        assertEquals(2, objects.get(1).get("n").intValue());
    }

    @Test
    void objectsWithoutSeparatorAreRead() throws Exception {
        feed("{\"n\":1}{\"n\":2}{\"n\":3}");
        assertEquals(3, objects.size());
    }

    @Test
    void whiteSpaceBetweenObjectsIsAccepted() throws Exception {
        feed(" \t\r\n{\"n\":1} \r\n\t {\"n\":2}  ");
        assertEquals(2, objects.size());
    }

    @Test
    void characterSplitInTheMiddleOfItsBytesIsDecoded() throws Exception {
        byte[] bytes = "{\"t\":\"caf\u00e9 \uD83D\uDE00\"}".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            feed(Arrays.copyOfRange(bytes, i, i + 1)); // one byte at a time
        }
        assertEquals("caf\u00e9 \uD83D\uDE00", objects.get(0).get("t").textValue());
    }

    @Test
    void oversizeMessageIsRejectedWithItsSizeAndTheLimit() {
        String big = "{\"t\":\"" + "x".repeat(70000 - 8) + "\"}";
        assertEquals(70000, big.length());
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed(big));
        assertTrue(e.getMessage().contains("exceeds the limit of 65536"), e.getMessage());
    }

    @Test
    void oversizeCompleteMessageFedInOneReadNamesItsExactSize() {
        JsonObjectDecoder large = new JsonObjectDecoder(100);
        String obj = "{\"t\":\"" + "x".repeat(142) + "\"}";
        byte[] bytes = obj.getBytes(StandardCharsets.UTF_8);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> large.feed(bytes, 0, bytes.length, t -> objects.add(JsonObjectDecoder.tree(t))));
        assertEquals("message of 150 bytes exceeds the limit of 100", e.getMessage());
    }

    @Test
    void objectThatNeverEndsIsCutAtTheLimit() throws Exception {
        feed("{\"t\":[");
        byte[] chunk = "1,".repeat(4096).getBytes(StandardCharsets.UTF_8);
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            for (int i = 0; i < 100; i++) {
                feed(chunk);
            }
        });
        assertTrue(e.getMessage().startsWith("message of more than 65536 bytes exceeds the limit of 65536"),
                e.getMessage());
    }

    @Test
    void stringThatNeverEndsIsCutAtTheLimit() throws Exception {
        feed("{\"t\":\"");
        byte[] chunk = "y".repeat(8192).getBytes(StandardCharsets.UTF_8);
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            for (int i = 0; i < 100; i++) {
                feed(chunk);
            }
        });
        assertTrue(e.getMessage().contains("exceeds the limit of 65536"), e.getMessage());
    }

    @Test
    void bytesThatAreNotJsonAreRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("hello there\n"));
        assertTrue(e.getMessage().startsWith("not JSON"), e.getMessage());
    }

    @Test
    void invalidUtf8IsRejected() {
        byte[] bytes = {'{', '"', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed(bytes));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void arrayAtTopLevelIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("[1,2]"));
        assertEquals("expected a JSON object, got an array", e.getMessage());
    }

    @Test
    void numberAtTopLevelIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("42\n"));
        assertEquals("expected a JSON object, got a number", e.getMessage());
    }

    @Test
    void stringAtTopLevelIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("\"hi\""));
        assertEquals("expected a JSON object, got a string", e.getMessage());
    }

    @Test
    void objectsBeforeABadOneAreDelivered() {
        assertThrows(ProtocolException.class, () -> feed("{\"n\":1}{\"n\":2}]"));
        assertEquals(2, objects.size());
    }

    @Test
    void streamEndingInsideAnObjectIsReported() throws Exception {
        feed("{\"n\":");
        ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.endOfInput(t -> objects.add(JsonObjectDecoder.tree(t))));
        assertEquals("the stream ended inside a message", e.getMessage());
    }

    @Test
    void overlongFormsAreRefusedWhereverTheReadsAreCut() {
        byte[][] forms = {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}};
        for (byte[] form : forms) {
            byte[] bytes = new byte[9 + form.length];
            System.arraycopy("{\"t\":\"a".getBytes(StandardCharsets.UTF_8), 0, bytes, 0, 7);
            System.arraycopy(form, 0, bytes, 7, form.length);
            bytes[7 + form.length] = '"';
            bytes[8 + form.length] = '}';
            for (int cut = 0; cut <= bytes.length; cut++) {
                JsonObjectDecoder d = new JsonObjectDecoder(LIMIT);
                List<ObjectNode> out = new ArrayList<>();
                int at = cut;
                ProtocolException e = assertThrows(ProtocolException.class, () -> {
                    d.feed(bytes, 0, at, t -> out.add(JsonObjectDecoder.tree(t)));
                    d.feed(bytes, at, bytes.length - at, t -> out.add(JsonObjectDecoder.tree(t)));
                }, "cut at " + cut);
                assertEquals("message is not valid UTF-8: an overlong form at byte 7", e.getMessage());
                assertEquals(0, out.size());
            }
        }
    }

    @Test
    void repeatedKeysAreRefusedAtAnyDepth() {
        assertEquals("duplicate key \"n\"",
                assertThrows(ProtocolException.class, () -> feed("{\"n\":1,\"n\":2}")).getMessage());
        assertEquals("duplicate key \"ip\"", assertThrows(ProtocolException.class,
                () -> new JsonObjectDecoderTest().feed("{\"a\":[{\"ip\":\"1\",\"ip\":\"2\"}]}")).getMessage());
    }

    @Test
    void decoderReleasedWhileAnObjectIsHandedOverReadsNoFurtherAndKeepsNothing() throws Exception {
        // What a connection closed by its handler mid-read does: the rest of the read is dropped.
        byte[] read = ("{\"n\":1}{\"n\":2}{\"t\":\"" + "y".repeat(60_000)).getBytes(StandardCharsets.UTF_8);
        int count = decoder.feed(read, 0, read.length, t -> {
            objects.add(JsonObjectDecoder.tree(t));
            decoder.release();
        });
        assertEquals(1, count);
        assertEquals(1, objects.size());
        assertEquals(0, decoder.bufferCapacity(), "an unfinished object kept after the release");
    }

    @Test
    void keyOfFiftyThousandCharactersIsReadWhenTheObjectFitsTheFrame() throws Exception {
        String key = "k".repeat(50_001); // past Jackson's own default for a key, within 64 KiB
        feed("{\"" + key + "\":\"" + "v".repeat(10_000) + "\"}");
        assertEquals(1, objects.size());
        assertEquals(10_000, objects.get(0).get(key).textValue().length());
    }

    @Test
    void numberOfMoreThanAHundredDigitsIsRefusedAsSuch() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("{\"n\":" + "1".repeat(101) + "}"));
        assertEquals("a number in the message exceeds the limit of 100 digits", e.getMessage());
    }

    @Test
    void anotherBoundOfTheParserIsNamedForWhatItIs() {
        ProtocolException e = JsonObjectDecoder.notJson(new StreamConstraintsException(
                "Token count (9) exceeds the maximum allowed (8, from `StreamReadConstraints.getMaxTokenCount()`)"));
        assertEquals("message exceeds a bound of the JSON parser: Token count (9) exceeds the maximum allowed"
                + " (8, from `StreamReadConstraints.getMaxTokenCount()`)", e.getMessage());
    }

    @Test
    void deepNestingIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> feed("{\"a\":" + "[".repeat(100)));
        assertTrue(e.getMessage().contains("nests deeper"), e.getMessage());
    }
}
