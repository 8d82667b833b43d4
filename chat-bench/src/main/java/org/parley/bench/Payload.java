package org.parley.bench;

import java.nio.charset.StandardCharsets;

/**
 * The 100-byte benchmark text: printable ASCII that carries its send time, so every system
 * (binary or JSON, with or without framing) can carry it unchanged and every receiver can
 * compute latency from it.
 *
 * <p>Layout: {@code 'T'}, 16 hex digits of {@link System#nanoTime()} at the intended send time,
 * then filler letters. A probe (used to learn that a subscription is live) starts with {@code 'P'}
 * and is never counted as a delivery.
 *
 * <p>Thread safety: stateless.
 */
final class Payload {
    static final int SIZE = 100;
    static final byte TEXT = 'T';
    static final byte PROBE = 'P';

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TEMPLATE = template();

    private Payload() {
    }

    private static byte[] template() {
        byte[] b = new byte[SIZE];
        byte[] filler = "the quick brown fox jumps over the lazy dog ".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < SIZE; i++) {
            b[i] = filler[i % filler.length];
        }
        b[0] = TEXT;
        b[SIZE - 1] = '.';
        return b;
    }

    /** A new text stamped with {@code nanos}. */
    static byte[] text(long nanos) {
        byte[] b = TEMPLATE.clone();
        writeStamp(b, nanos);
        return b;
    }

    /** A probe: delivered like a text, never counted. */
    static byte[] probe() {
        byte[] b = TEMPLATE.clone();
        b[0] = PROBE;
        return b;
    }

    /** Writes the marker and stamp of a text; the filler must already be there. */
    private static void writeStamp(byte[] b, long nanos) {
        b[0] = TEXT;
        for (int i = 0; i < 16; i++) {
            b[1 + i] = HEX[(int) (nanos >>> (60 - 4 * i)) & 0xf];
        }
    }

    /** The stamp of a text. */
    static long stamp(byte[] b) {
        return stamp(b, 0);
    }

    /** The stamp of a text that starts at {@code offset} of {@code b}. */
    static long stamp(byte[] b, int offset) {
        long v = 0;
        for (int i = 0; i < 16; i++) {
            v = (v << 4) | hexValue(b[offset + 1 + i]);
        }
        return v;
    }

    /** The stamp of a text received as a string. */
    static long stamp(String s) {
        long v = 0;
        for (int i = 0; i < 16; i++) {
            v = (v << 4) | hexValue(s.charAt(1 + i));
        }
        return v;
    }

    private static int hexValue(int c) {
        return c <= '9' ? c - '0' : c - 'a' + 10;
    }

    /** The payload as a string, for text-based clients (Redis strings, JSON). */
    static String asString(byte[] payload) {
        return new String(payload, StandardCharsets.US_ASCII);
    }

}
