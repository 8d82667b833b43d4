package org.parley.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.parley.core.ProtocolException;

class StrictUtf8Test {
    private static String refusal(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        return assertThrows(ProtocolException.class, () -> StrictUtf8.check(b, "text")).getMessage();
    }

    @Test
    void everyWellFormedStringPasses() throws Exception {
        StrictUtf8.check("plain ascii, long enough for the eight-byte steps".getBytes(StandardCharsets.UTF_8), "t");
        StrictUtf8.check("é ü ß — € 中文 😀 \uD83D\uDC4D\u200D x".getBytes(StandardCharsets.UTF_8), "t");
        StrictUtf8.check(new String(Character.toChars(0x10FFFF)).getBytes(StandardCharsets.UTF_8), "t");
        StrictUtf8.check("\uFFFF\uE000\uD7FF".getBytes(StandardCharsets.UTF_8), "t");
    }

    @Test
    void overlongFormsAreRefused() {
        assertEquals("text is not valid UTF-8: an overlong form at byte 1", refusal("41c0af"));
        assertEquals("text is not valid UTF-8: an overlong form at byte 0", refusal("e080af"));
        assertEquals("text is not valid UTF-8: an overlong form at byte 0", refusal("f08080af"));
    }

    @Test
    void surrogatesCodePointsPastTheLastAndCutSequencesAreRefused() {
        assertEquals("text is not valid UTF-8: an encoded UTF-16 surrogate at byte 0", refusal("eda080"));
        assertEquals("text is not valid UTF-8: a code point above U+10FFFF at byte 0", refusal("f4908080"));
        assertEquals("text is not valid UTF-8: byte 0xf5, which UTF-8 never uses at byte 0", refusal("f5808080"));
        assertEquals("text is not valid UTF-8: a sequence cut short at byte 2", refusal("6162e282"));
        assertEquals("text is not valid UTF-8: a sequence cut short at byte 0", refusal("e24141"));
        assertEquals("text is not valid UTF-8: a continuation byte with no lead byte at byte 0", refusal("80"));
    }

    @Test
    void nulAndUtf16AreRefused() {
        assertEquals("text is not valid UTF-8: a NUL byte at byte 9", refusal("414141414141414141004141"));
        byte[] utf16 = "{\"text\":\"hi\"}".getBytes(StandardCharsets.UTF_16LE);
        assertThrows(ProtocolException.class, () -> StrictUtf8.check(utf16, "request"));
        byte[] bom16 = HexFormat.of().parseHex("feff007b");
        assertThrows(ProtocolException.class, () -> StrictUtf8.check(bom16, "request"));
    }

    @Test
    void agreesWithTheJdksStrictDecoderOnRandomBytes() {
        Random random = new Random(7);
        var decoder = StandardCharsets.UTF_8.newDecoder();
        for (int n = 0; n < 200_000; n++) {
            byte[] b = new byte[random.nextInt(12)];
            for (int i = 0; i < b.length; i++) {
                // Mostly bytes of multi-byte forms, so the edge cases come up often.
                b[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(0x80) + 1 : 0x80 + random.nextInt(0x80));
            }
            boolean jdk;
            try {
                decoder.reset().decode(java.nio.ByteBuffer.wrap(b));
                jdk = true;
            } catch (java.nio.charset.CharacterCodingException e) {
                jdk = false;
            }
            boolean ours;
            try {
                StrictUtf8.check(b, "x");
                ours = true;
            } catch (ProtocolException e) {
                ours = false;
            }
            assertEquals(jdk, ours, HexFormat.of().formatHex(b));
        }
    }
}
