package org.parley.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds where a plain JSON string ends: one of printable ASCII (0x20 to 0x7e) without a
 * backslash, whose bytes are its characters as they stand. Both transports' hand readers take
 * such strings directly and leave every other (an escape, a control or non-ASCII byte) to
 * Jackson. Eight bytes are looked at in one step: a chat text is mostly such bytes, and the
 * byte-at-a-time loop was the largest part of a ZeroMQ subscriber's decoding.
 *
 * <p>Not part of Parley's API: it may change without notice.
 *
 * <p>Thread safety: stateless.
 */
public final class PlainStrings {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private PlainStrings() {
    }

    /**
     * The index of the closing quote of the string whose characters start at {@code from} (its
     * opening quote behind), or -1 if a byte before it is not plain or {@code limit} comes first.
     */
    public static int closingQuote(byte[] b, int from, int limit) {
        int p = from;
        while (limit - p >= 8 && !anyNotPlain((long) LONGS.get(b, p))) {
            p += 8;
        }
        for (; p < limit; p++) {
            int c = b[p] & 0xff;
            if (c == '"') {
                return p;
            }
            if (!isPlain(c)) {
                return -1;
            }
        }
        return -1;
    }

    /** Whether a character (or an unsigned byte) may stand in a plain string as it is. */
    public static boolean isPlain(int c) {
        return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
    }

    /**
     * Whether any of the eight bytes in {@code x} is not a plain string byte: not ASCII, below a
     * space, DEL, a quote or a backslash. Exact for "none", which is all the loop needs.
     */
    static boolean anyNotPlain(long x) {
        long below = (x - 0x20 * ONES) & ~x; // a byte below 0x20 (exact when no byte has its high bit)
        return ((x | below | zeroByte(x ^ ('"' * ONES)) | zeroByte(x ^ ('\\' * ONES)) | zeroByte(x ^ (0x7f * ONES)))
                & HIGHS) != 0;
    }

    /** Has the high bit of some byte set if and only if {@code x} has a zero byte. */
    private static long zeroByte(long x) {
        return (x - ONES) & ~x;
    }
}
