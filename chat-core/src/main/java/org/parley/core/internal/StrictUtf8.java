package org.parley.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.parley.core.ProtocolException;

/**
 * The one check of incoming bytes that both transports make before a JSON parser sees them:
 * valid UTF-8 in its shortest form, and no NUL byte.
 *
 * <p>Refused: overlong forms ({@code C0 AF} for {@code /}), UTF-16 surrogates encoded as UTF-8
 * ({@code ED A0 80}), code points above U+10FFFF, truncated sequences, stray continuation bytes
 * and NUL. JSON never needs a raw NUL (a control character in a string must be escaped), and
 * refusing it also refuses UTF-16 and UTF-32 bodies, which a parser would otherwise detect
 * from their zero bytes and decode.
 *
 * <p>Not part of Parley's API: it may change without notice.
 *
 * <p>Thread safety: stateless.
 */
public final class StrictUtf8 {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private StrictUtf8() {
    }

    /**
     * Checks {@code b[from..to)}.
     *
     * @param what what the bytes are, for the error ({@code "request"}, {@code "message"})
     * @throws ProtocolException naming the first offending byte's offset (from {@code from}) and why
     */
    public static void check(byte[] b, int from, int to, String what) throws ProtocolException {
        int i = from;
        while (i < to) {
            // Eight ASCII bytes without a NUL at a time: the usual case.
            if (to - i >= 8) {
                long x = (long) LONGS.get(b, i);
                if (((x | ((x - ONES) & ~x)) & HIGHS) == 0) {
                    i += 8;
                    continue;
                }
            }
            int c = b[i] & 0xff;
            if (c == 0) {
                throw bad(what, i - from, "a NUL byte");
            }
            if (c < 0x80) {
                i++;
                continue;
            }
            int need;
            int min;
            int cp;
            if (c >= 0xc2 && c <= 0xdf) {
                need = 1;
                min = 0x80;
                cp = c & 0x1f;
            } else if (c >= 0xe0 && c <= 0xef) {
                need = 2;
                min = 0x800;
                cp = c & 0x0f;
            } else if (c >= 0xf0 && c <= 0xf4) {
                need = 3;
                min = 0x10000;
                cp = c & 0x07;
            } else if (c == 0xc0 || c == 0xc1) {
                throw bad(what, i - from, "an overlong form");
            } else if (c >= 0x80 && c <= 0xbf) {
                throw bad(what, i - from, "a continuation byte with no lead byte");
            } else {
                throw bad(what, i - from, "byte 0x" + Integer.toHexString(c) + ", which UTF-8 never uses");
            }
            if (to - i <= need) {
                throw bad(what, i - from, "a sequence cut short");
            }
            for (int k = 1; k <= need; k++) {
                int cc = b[i + k] & 0xff;
                if ((cc & 0xc0) != 0x80) {
                    throw bad(what, i - from, "a sequence cut short");
                }
                cp = cp << 6 | (cc & 0x3f);
            }
            if (cp < min) {
                throw bad(what, i - from, "an overlong form");
            }
            if (cp >= 0xd800 && cp <= 0xdfff) {
                throw bad(what, i - from, "an encoded UTF-16 surrogate");
            }
            if (cp > 0x10ffff) {
                throw bad(what, i - from, "a code point above U+10FFFF");
            }
            i += need + 1;
        }
    }

    /** {@link #check(byte[], int, int, String)} over the whole array. */
    public static void check(byte[] b, String what) throws ProtocolException {
        check(b, 0, b.length, what);
    }

    private static ProtocolException bad(String what, int offset, String why) {
        return new ProtocolException(what + " is not valid UTF-8: " + why + " at byte " + offset);
    }
}
