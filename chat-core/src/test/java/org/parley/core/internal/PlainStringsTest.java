package org.parley.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PlainStringsTest {
    @Test
    void eightBytesAtATimeFindEveryByteThatIsNotPlain() {
        Random random = new Random(7);
        for (int round = 0; round < 20_000; round++) {
            long word = 0;
            boolean expected = false;
            for (int i = 0; i < 8; i++) {
                int b = round < 256 * 8 && i == round / 256 ? round % 256 // every value at every place
                        : round < 256 * 8 ? 'a' : random.nextInt(256);
                expected |= !plain(b);
                word |= (long) b << (8 * i);
            }
            assertEquals(expected, PlainStrings.anyNotPlain(word), Long.toHexString(word));
        }
    }

    @Test
    void closingQuoteIsFoundWhereALoopByteByByteFindsIt() {
        Random random = new Random(11);
        for (int round = 0; round < 20_000; round++) {
            byte[] b = new byte[random.nextInt(40)];
            for (int i = 0; i < b.length; i++) {
                // Mostly plain letters, now and then a quote or any byte at all, at every offset.
                int pick = random.nextInt(20);
                b[i] = (byte) (pick == 0 ? '"' : pick == 1 ? random.nextInt(256) : 'a' + random.nextInt(26));
            }
            int from = b.length == 0 ? 0 : random.nextInt(b.length + 1);
            int limit = from + random.nextInt(b.length - from + 1);
            assertEquals(byteByByte(b, from, limit), PlainStrings.closingQuote(b, from, limit),
                    () -> new String(b, java.nio.charset.StandardCharsets.ISO_8859_1) + " from " + from + " to " + limit);
        }
    }

    @Test
    void theLimitEndsTheSearchEvenBeforeAQuote() {
        byte[] b = "abcdefghijklmnop\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(16, PlainStrings.closingQuote(b, 0, b.length));
        assertEquals(-1, PlainStrings.closingQuote(b, 0, 16));
        assertEquals(-1, PlainStrings.closingQuote("a\\\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 3));
    }

    private static boolean plain(int b) {
        return b >= 0x20 && b <= 0x7e && b != '"' && b != '\\';
    }

    private static int byteByByte(byte[] b, int from, int limit) {
        for (int p = from; p < limit; p++) {
            if (b[p] == '"') {
                return p;
            }
            if (!plain(b[p] & 0xff)) {
                return -1;
            }
        }
        return -1;
    }
}
